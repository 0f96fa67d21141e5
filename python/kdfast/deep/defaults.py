"""Defaults of :func:`kdfast.deep.compare`, shared with ``kdfast deep`` (no PyTorch needed to read them).

See docs/RESULTS-deep.md for the runs they were chosen from.
"""

ARCH = "cnn"
WIDTHS = (1, 2, 4, 8)
TEACHER_WIDTH = 32
SEEDS = 3
EPOCHS = 8
BATCH_SIZE = 64
LR = 0.05
OPTIMIZER = "sgd"  # with momentum MOMENTUM
MOMENTUM = 0.9
SCHEDULE = "cosine"
WEIGHT_DECAY = 0.0
# Temperature 1, not Hinton's common 4: with tau = 4 the soft loss's gradient
# (tau (softmax(s / tau) - softmax(t / tau)) per logit) is up to 4 times the
# cross-entropy's, and with this optimiser the soft students' ReLUs died
# on noise-free MNIST (chance accuracy; docs/RESULTS-deep.md).
TEMPERATURE = 1.0
ALPHA = 1.0
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("cosine", "constant")

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
TEMPERATURE = 4.0
ALPHA = 1.0
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("cosine", "constant")

"""Deep students: small CNNs on soft and on hard labels (needs PyTorch).

The same question for convolutional students in PyTorch, on scikit-learn's
8 x 8 digits (ten classes; 1,258 training and 539 test images) with 20% of
the training labels flipped: a wider CNN (width 32) trained on the noisy
labels teaches; for each width, soft students (tempered KL to the teacher)
and hard students (cross-entropy on the labels) of 3 seeds train as one
vectorised model, 8 epochs each. The result is a :class:`kdfast.Comparison`,
so its summary, plot and file formats are those of the two-layer students.

    python examples/deep_comparison.py [OUTPUT_DIRECTORY]
"""

import sys
from pathlib import Path

from kdfast import deep

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out.mkdir(parents=True, exist_ok=True)

data = deep.digits(flip=0.2)
result = deep.compare(data, arch="cnn", widths=[1, 2, 4, 8], seeds=3, epochs=8, progress=False)

summary = result.summary("test_acc")
print(f"teacher: {result.params['teacher']}, test accuracy {result.params['teacher_test_acc']:.3f}")
print(summary[["width", "soft_mean", "hard_mean", "gap_mean", "gap_low", "gap_high"]].round(3).to_string(index=False))

result.plot(out / "deep_comparison.png", metrics="test_acc")
print(f"wrote {out / 'deep_comparison.png'}")

"""The gallery's examples (examples/*.py) run against the installed kdfast and write their figures.

Each example is run as a user would run it, in a fresh interpreter (this
one's, so the installed kdfast and its extras), from an empty working
directory, with a temporary output directory as its one argument; the docs
show the figures that docs/make_figures.py makes with the same scripts.
The tests run from a clone: examples/ is found beside tests/.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# Each example and the figures it writes into its output directory.
FIGURES = {
    "first_comparison.py": ["first_comparison.png", "gap_vs_width.png"],
    "sweep_difficulty.py": ["sweep_difficulty.png"],
    "digit_pairs_gamma.py": ["digit_pairs_gamma.png"],
    "scaling_fit.py": ["scaling_fit.png"],
    "deep_comparison.py": ["deep_comparison.png"],
}
NEEDS_TORCH = {"deep_comparison.py"}
# A guard against a hung example; each takes well under a minute on 2 cores.
TIMEOUT_S = 300


def test_every_example_is_listed():
    assert EXAMPLES.is_dir(), f"examples/ not found beside tests/ ({EXAMPLES}): run the tests from a clone"
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(FIGURES)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_example_runs(name: str, tmp_path: Path):
    if name in NEEDS_TORCH and importlib.util.find_spec("torch") is None:
        pytest.skip(f'{name} needs PyTorch (pip install "kdfast[torch]")')
    out = tmp_path / "figures"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    seconds = time.perf_counter() - start
    assert done.returncode == 0, f"{name} failed after {seconds:.0f} s:\n{done.stdout}\n{done.stderr}"
    for figure in FIGURES[name]:
        path = out / figure
        assert path.is_file() and path.stat().st_size > 0, f"{name} did not write {figure}"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{figure} is not a PNG"
    print(f"{name}: {seconds:.1f} s")

"""Regenerate the figures and printed outputs that the docs and the README show.

Runs every script of examples/ (as tests/test_examples.py does) with
docs/figures as its output directory, and keeps what each printed next to
its figures as docs/figures/NAME.txt, which the gallery pages include. Run
from the repository root, with kdfast installed with the plot, data and
torch extras (``pip install ".[test]"`` has them)::

    python docs/make_figures.py            # every example
    python docs/make_figures.py scaling_fit  # one of them

Prints each example's wall time.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FIGURES = Path("docs") / "figures"  # relative, so the printed outputs name no machine's paths


def main(names: list[str]) -> None:
    scripts = sorted(EXAMPLES.glob("*.py"))
    if names:
        unknown = sorted(set(names) - {p.stem for p in scripts})
        if unknown:
            sys.exit(f"no such example: {', '.join(unknown)} (examples: {', '.join(p.stem for p in scripts)})")
        scripts = [p for p in scripts if p.stem in names]
    (ROOT / FIGURES).mkdir(parents=True, exist_ok=True)
    for script in scripts:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script.relative_to(ROOT)), str(FIGURES)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"{script.name} failed:\n{done.stdout}\n{done.stderr}")
        (ROOT / FIGURES / f"{script.stem}.txt").write_text(done.stdout)
        print(f"{script.name}: {seconds:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env bash
# Thread scaling on a machine with many cores (written for 16): kdfast alone
# at 1, 2, 4, ... up to every core, beside NumPy's sgemm peak at each count
# (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from that measurement
# only), then the full comparison at every core. Results are bitwise the
# same at every count; only the time changes.
#
#   pip install ".[bench]" torch==2.13.0
#   bash bench/many_cores.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
cores="$(python -c 'import os; print(len(os.sched_getaffinity(0)))')"
counts=1
for t in 2 4 8 16 32 64; do
  if [ "$t" -le "$cores" ]; then counts="$counts,$t"; fi
done
if [ "${counts##*,}" != "$cores" ]; then counts="$counts,$cores"; fi
python bench/report.py --scaling "$counts" --rounds "$rounds"
python bench/report.py --threads "$cores" --rounds "$rounds"

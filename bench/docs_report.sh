#!/bin/sh
# Regenerates the tables of the docs' performance page (docs/guide/performance.md):
# the comparison against JAX and PyTorch and the thread scaling, as printed by
# bench/report.py, with a first line naming the machine. Run from the repository
# root on an otherwise idle machine, after `pip install ".[bench]" torch==2.13.0`:
#
#     sh bench/docs_report.sh   # 3 alternating rounds: one round took 11 minutes on a 2-core AVX2 machine
set -e
out=docs/benchmarks
mkdir -p "$out"
machine() {
    python - <<'PY'
import datetime, os, platform
import kdfast
cpu = platform.processor() or platform.machine()
try:
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
except OSError:
    pass
print(f"Measured {datetime.date.today()} with kdfast {kdfast.__version__} on {cpu}, {os.cpu_count()} cores.")
PY
}
{ machine; python bench/report.py --rounds 3; } > "$out/report.md.tmp"
mv "$out/report.md.tmp" "$out/report.md"
{ machine; python bench/report.py --scaling 1,2 --rounds 3; } > "$out/scaling.md.tmp"
mv "$out/scaling.md.tmp" "$out/scaling.md"
cat "$out/report.md" "$out/scaling.md"

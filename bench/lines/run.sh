#!/usr/bin/env bash
# Line reading: kiwi socket::recv_until vs CPython asyncio readline (see bench/README.md).
# Knobs: KIWI=/path/to/kiwi (no build), RUNS=5, LINES=500000, LEN=20 (bytes per line,
# newline included), WRITE=1 (also put the report into bench/RESULTS.md).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUNS="${RUNS:-5}" LINES="${LINES:-500000}" LEN="${LEN:-20}"
PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
if [[ -z "${KIWI:-}" ]]; then
  (cd "$ROOT" && cargo build --release -p kiwi-cli >&2)
  KIWI="$ROOT/target/release/kiwi"
fi
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
table="$("$PYTHON" "$HERE/run.py" "$KIWI" "$RUNS" "$LINES" "$LEN")"
cpu="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
report="$(
  echo "## Line reading: recv_until vs asyncio readline (bench/lines/run.sh)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), workspace HEAD $commit, kiwi: $KIWI"
  echo "- python: $("$PYTHON" -c 'import platform; print(platform.python_implementation(), platform.python_version())')"
  echo "- machine: $(nproc) CPU(s), ${cpu:-unknown CPU}, $(uname -sr)"
  echo "- $LINES lines of $LEN bytes from one Python server (64 KiB writes), read to end of stream;"
  echo "  median wall time of $RUNS alternating runs, process start-up included"
  echo
  echo "$table"
)"
echo "$report"
if [[ "${WRITE:-0}" == 1 ]]; then
  "$PYTHON" "$ROOT/bench/write_section.py" "$ROOT/bench/RESULTS.md" "bench/lines/run.sh" "$report"
fi

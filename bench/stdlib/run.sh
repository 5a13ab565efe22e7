#!/usr/bin/env bash
# Library hot paths: kiwi vs CPython on the same inputs (JSON 10 MB, SHA-256 and MD5 of 100 MB,
# gzip round trip of 20 MB, regex scan and replace over 17 MB of text, CSV parse of 50 MB).
# Knobs: KIWI=/path/to/kiwi (no build), RUNS=5, WRITE=1 (also put the report into
# bench/RESULTS.md). Only the operations are timed (inputs are read before the clock starts).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUNS="${RUNS:-5}"
PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
if [[ -z "${KIWI:-}" ]]; then
  (cd "$ROOT" && cargo build --release -p kiwi-cli >&2)
  KIWI="$ROOT/target/release/kiwi"
fi
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
table="$("$PYTHON" "$HERE/run.py" "$KIWI" "$RUNS")"
cpu="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
report="$(
  echo "## Library hot paths vs CPython (bench/stdlib/run.sh)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), workspace HEAD $commit, kiwi: $KIWI"
  echo "- python: $("$PYTHON" -c 'import platform; print(platform.python_implementation(), platform.python_version())')"
  echo "- machine: $(nproc) CPU(s), ${cpu:-unknown CPU}, $(uname -sr)"
  echo "- each operation timed inside the process (inputs already in memory), the same inputs for both;"
  echo "  median of $RUNS alternating runs; kiwi/CPython below 1 means kiwi is faster"
  echo
  echo "$table"
)"
echo "$report"
if [[ "${WRITE:-0}" == 1 ]]; then
  "$PYTHON" "$ROOT/bench/write_section.py" "$ROOT/bench/RESULTS.md" "bench/stdlib/run.sh" "$report"
fi

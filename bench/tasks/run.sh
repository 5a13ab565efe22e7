#!/usr/bin/env bash
# Peak memory of N suspended tasks: kiwi tasks vs CPython asyncio tasks, same run.
# Usage: bench/tasks/run.sh [count] [sleep_ms]    (KIWI= to use a prebuilt binary;
# PYTHON= and PYFLAGS= for CPython, as in bench/interp/run.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-10000}
ms=${2:-500}
if [ -z "${KIWI:-}" ]; then
  cargo build --release -q -p kiwi-cli
  KIWI=target/release/kiwi
fi
source bench/cpython.sh
measure() { # prints "max_rss_kb wall_s output"
  local out
  out=$( { /usr/bin/time -f '%M %e' "$@" > /tmp/sleepers.out; } 2>&1 | tail -1)
  echo "$out $(cat /tmp/sleepers.out)"
}
read -r k_rss k_wall k_out < <(measure "$KIWI" bench/tasks/sleepers.kiwi "$count" "$ms")
# shellcheck disable=SC2086 # PYFLAGS is a list of options
read -r p_rss p_wall p_out < <(measure "$PYTHON" $PYFLAGS bench/tasks/sleepers.py "$count" "$ms")
read -r k0 _ < <(measure "$KIWI" -e 'println 1')
# shellcheck disable=SC2086
read -r p0 _ < <(measure "$PYTHON" $PYFLAGS -c 'print(1)')
if [ "$k_out" != "$p_out" ]; then echo "output mismatch: kiwi '$k_out' vs python '$p_out'"; exit 1; fi
echo "| runtime | peak RSS (MB) | RSS over empty run (MB) | per task (KB) | wall (s) |"
echo "|---|---:|---:|---:|---:|"
awk -v n="$count" -v r="$k_rss" -v b="$k0" -v w="$k_wall" 'BEGIN{printf "| kiwi | %.1f | %.1f | %.2f | %s |\n", r/1024, (r-b)/1024, (r-b)/n, w}'
awk -v n="$count" -v r="$p_rss" -v b="$p0" -v w="$p_wall" 'BEGIN{printf "| CPython asyncio | %.1f | %.1f | %.2f | %s |\n", r/1024, (r-b)/1024, (r-b)/n, w}'
awk -v a="$k_rss" -v b="$p_rss" 'BEGIN{printf "\nkiwi/CPython peak RSS ratio: %.2f\n", a/b}'

#!/usr/bin/env bash
# Peak memory (maximum resident set size, /usr/bin/time's %M) of the interpreter workloads:
# kiwi vs CPython 3.11 vs Lua 5.4, each workload's twins, same machine, same run. Every run
# must print the workload's expected line (the same checks as run.sh).
# Environment: KIWI=/path/to/kiwi (default: cargo build --release, then target/release/kiwi),
#   PYTHON=, PYFLAGS=, LUA= (as in run.sh), WORKLOADS="objects fib30 churn structs" (subset / order),
#   WRITE=1 (also put the report into its section of bench/RESULTS.md).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORKLOADS="${WORKLOADS:-objects fib30 churn structs strbuild}"
# Expected result line of each workload (every interpreter must print it).
source "$HERE/expected.sh"
source "$ROOT/bench/cpython.sh"
source "$ROOT/bench/lua.sh"
lua_ready || { echo "memory.sh: $LUA not found" >&2; exit 1; }
[[ -x /usr/bin/time ]] || apt-get install -y -qq time >/dev/null 2>&1 || true
[[ -x /usr/bin/time ]] || { echo "memory.sh: /usr/bin/time not found" >&2; exit 1; }
if [[ -z "${KIWI:-}" ]]; then
  (cd "$ROOT" && cargo build --release -q -p kiwi-cli)
  KIWI="$ROOT/target/release/kiwi"
fi

# peak_kb WORKLOAD CMD...: runs CMD, checks its output, prints the peak RSS in KiB.
peak_kb() {
  local w=$1 out log
  shift
  out=$(mktemp) log=$(mktemp)
  if ! /usr/bin/time -f '%M' -o "$log" "$@" >"$out" 2>/dev/null; then
    echo "memory.sh: $* failed" >&2
    exit 1
  fi
  if [[ "$(cat "$out")" != "${EXPECT[$w]}" ]]; then
    echo "memory.sh: $* printed '$(cat "$out")', expected '${EXPECT[$w]}'" >&2
    exit 1
  fi
  tail -1 "$log"
  rm -f "$out" "$log"
}

report=$(mktemp)
{
  echo "## Interpreter workloads: peak memory (bench/interp/memory.sh)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); workspace HEAD $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- $("$PYTHON" -V 2>&1)${PYFLAGS:+ ($PYFLAGS)}, $("$LUA" -v 2>&1 | awk '{print $1, $2}'); peak RSS of the whole process, start-up included"
  echo
  echo "| workload | kiwi (MiB) | CPython (MiB) | Lua (MiB) | kiwi/CPython |"
  echo "|---|---:|---:|---:|---:|"
  for w in $WORKLOADS; do
    k=$(peak_kb "$w" "$KIWI" "$HERE/$w.kiwi")
    # shellcheck disable=SC2086 # PYFLAGS is a list of options
    p=$(peak_kb "$w" "$PYTHON" $PYFLAGS "$HERE/$w.py")
    l=$(peak_kb "$w" "$LUA" "$HERE/$w.lua")
    awk -v w="$w" -v k="$k" -v p="$p" -v l="$l" \
      'BEGIN { printf "| %s | %.1f | %.1f | %.1f | %.2f |\n", w, k/1024, p/1024, l/1024, k/p }'
  done
} | tee "$report"
if [[ "${WRITE:-}" == 1 ]]; then
  python3 "$ROOT/bench/write_section.py" "$ROOT/bench/RESULTS.md" bench/interp/memory.sh "$(cat "$report")"
fi
rm -f "$report"

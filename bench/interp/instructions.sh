#!/usr/bin/env bash
# Whole-process instructions (callgrind) of the interpreter workloads: kiwi, optionally a second
# kiwi binary to compare a change against, CPython and Lua 5.4. Instruction counts are
# deterministic where wall-clock time on a shared machine moves by several percent between
# identical runs (bench/README.md), so this is how a VM change is judged first. Knobs:
#   KIWI=/path/to/kiwi   the binary to count (default: build target/release/kiwi)
#   BASE=/path/to/kiwi   also count this binary and print KIWI's change against it
#   PYTHON, PYFLAGS      the CPython and its options (bench/cpython.sh; default -S)
#   LUA=lua5.4           Lua to count (installed from Debian when missing); SKIP_PEERS=1 counts
#                        kiwi only
#   WORKLOADS="fib fib30 loop churn structs objects"   subset / order
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORKLOADS="${WORKLOADS:-fib fib30 loop churn structs objects}"
SKIP_PEERS="${SKIP_PEERS:-0}"
source "$HERE/expected.sh"
source "$ROOT/bench/cpython.sh"
source "$ROOT/bench/lua.sh"

command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
if [[ "$SKIP_PEERS" != 1 ]] && ! lua_ready; then
  echo "instructions.sh: $LUA not found (SKIP_PEERS=1 counts kiwi only)" >&2
  exit 1
fi
if [[ -z "${KIWI:-}" ]]; then
  (cd "$ROOT" && cargo build --release -q -p kiwi-cli >&2)
  KIWI="$ROOT/target/release/kiwi"
fi

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# count NAME CMD... : prints the instructions CMD executes; checks its result line too.
count() {
  local name=$1
  shift
  if ! valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.out" "$@" >"$OUT/stdout" \
    2>"$OUT/valgrind.log"; then
    echo "instructions.sh: $name failed: $*" >&2
    tail -5 "$OUT/valgrind.log" >&2
    exit 1
  fi
  if [[ "$(tail -1 "$OUT/stdout")" != "$want" ]]; then
    echo "instructions.sh: $name printed '$(tail -1 "$OUT/stdout")', expected '$want'" >&2
    exit 1
  fi
  awk '/^totals:/ {print $2; exit}' "$OUT/cg.out"
}

# millions with one decimal
m() { awk -v n="$1" 'BEGIN { printf "%\047.1f", n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

header="| workload | kiwi (M)"
rule="|---|---:"
[[ -n "${BASE:-}" ]] && header+=" | base (M) | kiwi/base" && rule+="|---:|---:"
[[ "$SKIP_PEERS" != 1 ]] && header+=" | CPython (M) | Lua (M) | kiwi/CPython | kiwi/Lua" &&
  rule+="|---:|---:|---:|---:"
echo "$header |"
echo "$rule|"
for w in $WORKLOADS; do
  want="${EXPECT[$w]}"
  k=$(count kiwi "$KIWI" "$HERE/$w.kiwi")
  row="| $w | $(m "$k")"
  if [[ -n "${BASE:-}" ]]; then
    b=$(count base "$BASE" "$HERE/$w.kiwi")
    row+=" | $(m "$b") | $(awk -v a="$k" -v b="$b" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }')"
  fi
  if [[ "$SKIP_PEERS" != 1 ]]; then
    # shellcheck disable=SC2086 # PYFLAGS holds zero or more options
    p=$(count cpython "$PYTHON" $PYFLAGS "$HERE/$w.py")
    l=$(count lua "$LUA" "$HERE/$w.lua")
    row+=" | $(m "$p") | $(m "$l") | $(ratio "$k" "$p") | $(ratio "$k" "$l")"
  fi
  echo "$row |"
done

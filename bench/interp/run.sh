#!/usr/bin/env bash
# Interpreter benchmark: kiwi vs CPython 3.11 and Lua 5.4 on the workloads below.
# See bench/README.md. Environment knobs:
#   KIWI=/path/to/kiwi   use this binary (may include arguments) instead of
#                        building target/release/kiwi with cargo
#   SKIP_KIWI=1          run only the Python side (no build)
#   LUA=lua5.4           Lua to compare against (installed from Debian when missing);
#                        SKIP_LUA=1 leaves the Lua column out
#   PYTHON=/path/python  CPython to compare against (default: the real
#                        executable behind `python3`, resolved so that a pyenv
#                        shim's start-up cost is not timed)
#   PYFLAGS=-S           options for the timed CPython runs (default -S: no `site`
#                        import, whose .pth files can run anything at start-up; see
#                        bench/README.md). PYFLAGS= times the full start-up.
#   RUNS=5               timed runs per interpreter per workload
#   TIMEOUT=600          seconds allowed for a single run
#   WORKLOADS="fib fib30 loop strbuild churn structs objects"   subset / order
#   WRITE=1              also put the report into its section of bench/RESULTS.md
#   VERBOSE=1            print every single run time to stderr
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUNS="${RUNS:-5}"
TIMEOUT="${TIMEOUT:-600}"
WORKLOADS="${WORKLOADS:-fib fib30 loop strbuild churn structs objects}"
SKIP_KIWI="${SKIP_KIWI:-0}"
SKIP_LUA="${SKIP_LUA:-0}"

# Expected result line of each workload (every interpreter must print it).
source "$HERE/expected.sh"

source "$ROOT/bench/cpython.sh"
source "$ROOT/bench/lua.sh"
PYVER="$("$PYTHON" -c 'import platform; print(platform.python_implementation(), platform.python_version())')"
if [[ "$SKIP_LUA" != 1 ]]; then
  if ! lua_ready; then
    echo "run.sh: $LUA not found (SKIP_LUA=1 runs without it)" >&2
    exit 1
  fi
  LUAVER="$("$LUA" -v 2>&1 | awk '{print $1, $2}')"
fi

if [[ "$SKIP_KIWI" != 1 && -z "${KIWI:-}" ]]; then
  echo "building kiwi-cli (release)..." >&2
  if ! (cd "$ROOT" && cargo build --release -p kiwi-cli >&2); then
    echo "run.sh: cargo build --release -p kiwi-cli failed" >&2
    exit 1
  fi
  KIWI="$ROOT/target/release/kiwi"
fi
if [[ "$SKIP_KIWI" != 1 ]]; then
  # KIWI may carry arguments; only its first word has to be runnable.
  read -r -a kiwi_words <<<"$KIWI"
  if ! command -v "${kiwi_words[0]}" >/dev/null 2>&1; then
    echo "run.sh: kiwi binary not found: ${kiwi_words[0]}" >&2
    exit 1
  fi
fi

# Record the source state now, right after the build, not after the runs.
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
if [[ -n "$(git -C "$ROOT" status --porcelain -- crates 2>/dev/null)" ]]; then
  commit="$commit, crates/ has uncommitted changes"
fi

verbose=()
[[ "${VERBOSE:-0}" == 1 ]] && verbose=(-v)

status=0
rows=()
problems=()
errfile="$(mktemp)"
trap 'rm -f "$errfile"' EXIT
for w in $WORKLOADS; do
  if [[ -z "${EXPECT[$w]+x}" ]]; then
    echo "run.sh: unknown workload '$w'" >&2
    exit 2
  fi
  py_cmd="$(printf '%q' "$PYTHON") $PYFLAGS $(printf '%q' "$HERE/$w.py")"
  cmds=()
  [[ "$SKIP_KIWI" != 1 ]] && cmds+=("$KIWI $(printf '%q' "$HERE/$w.kiwi")")
  cmds+=("$py_cmd")
  [[ "$SKIP_LUA" != 1 ]] && cmds+=("$(printf '%q %q' "$(command -v "$LUA")" "$HERE/$w.lua")")
  echo "== $w (${#cmds[@]} interpreter(s) x $RUNS runs)" >&2
  rc=0
  res="$("$PYTHON" "$HERE/timeit.py" -n "$RUNS" --timeout "$TIMEOUT" \
          --expect "${EXPECT[$w]}" "${verbose[@]}" -- "${cmds[@]}" 2>"$errfile")" || rc=$?
  cat "$errfile" >&2
  while IFS= read -r line; do
    [[ "$line" == timeit:* ]] && problems+=("$w: ${line#timeit: }")
  done <"$errfile"
  if [[ $rc != 0 ]]; then
    status=1
  fi
  if [[ -z "$res" ]]; then  # timeit itself broke (usage error)
    rows+=("| $w | ERROR | ERROR | ERROR | - | - |")
    continue
  fi
  fmt() { [[ "$1" == FAIL ]] && echo FAILED || printf '%.3f' "$1"; }
  ratio() { [[ "$1" != FAIL && "$2" != FAIL && -n "$2" ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo -; }
  read -r -a times <<<"$res"
  if [[ "$SKIP_KIWI" == 1 ]]; then
    times=(skipped "${times[@]}")
  fi
  kw="${times[0]}" py="${times[1]}" lua="${times[2]:-}"
  kwf=skipped
  [[ "$kw" != skipped ]] && kwf="$(fmt "$kw")"
  luaf=-
  [[ -n "$lua" ]] && luaf="$(fmt "$lua")"
  if [[ "$kw" == skipped ]]; then
    rows+=("| $w | skipped | $(fmt "$py") | $luaf | - | - |")
  else
    rows+=("| $w | $kwf | $(fmt "$py") | $luaf | $(ratio "$kw" "$py") | $(ratio "$kw" "$lua") |")
  fi
done

cpu="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"

kiwi_built=""
if [[ "$SKIP_KIWI" != 1 ]]; then
  kiwi_path="$(command -v "${kiwi_words[0]}")"
  kiwi_built=", binary modified $(date -u -r "$kiwi_path" '+%Y-%m-%d %H:%M UTC')"
fi

report="$(
  echo "# kiwi interpreter benchmark"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- kiwi: ${KIWI:-not run}${kiwi_built} (workspace HEAD $commit)"
  echo "- python: $PYVER ($PYTHON${PYFLAGS:+ $PYFLAGS})"
  [[ "$SKIP_LUA" != 1 ]] && echo "- lua: $LUAVER ($(command -v "$LUA"))"
  echo "- machine: $(nproc) CPU(s), ${cpu:-unknown CPU}, $(uname -sr)"
  echo "- median wall time of $RUNS alternating runs each, process start-up included"
  echo
  echo "| workload | kiwi (s) | CPython (s) | Lua (s) | kiwi/CPython | kiwi/Lua |"
  echo "|---|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  if ((${#problems[@]})); then
    echo
    echo "Failures:"
    echo
    printf -- '- %s\n' "${problems[@]}"
  fi
  echo
  echo "A ratio > 1 means kiwi is slower. Ratios are only comparable within one run (one table)."
)"
echo "$report"
if [[ "${WRITE:-0}" == 1 ]]; then
  # Only this benchmark's own section is replaced; the network sections stay.
  echo "$report" | python3 "$ROOT/bench/echo/report.py" write-section "$ROOT/bench/RESULTS.md" bench/interp/run.sh
  echo "wrote the bench/interp/run.sh section of bench/RESULTS.md" >&2
fi
if [[ $status != 0 ]]; then
  echo "run.sh: at least one workload failed (output mismatch, crash or timeout; see above)" >&2
fi
exit $status

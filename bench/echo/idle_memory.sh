#!/usr/bin/env bash
# Server memory per idle connection: N connections (default 10,000) held open and
# idle against examples/echo_server.kiwi (every handler task waiting in recv), and
# against the tokio echo server as a reference.
# Usage: bench/echo/idle_memory.sh [N]
#   SERVERS="kiwi tokio"  which servers (the ratio needs both)
#   SETTLE=2              seconds between the last connect and the RSS reading
#   KIWI=/path/to/kiwi    use this binary, no kiwi build
#   WRITE=1               also put the report into bench/RESULTS.md (own section)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

N="${1:-10000}"
SERVERS="${SERVERS:-kiwi tokio}"
SETTLE="${SETTLE:-2}"

# Both the server and the client hold N sockets; raise the descriptor limit.
want=65536
if ! ulimit -n "$want" 2>/dev/null; then
  hard="$(ulimit -Hn)"
  ulimit -n "$hard" 2>/dev/null || true
fi
if (("$(ulimit -n)" < N + 100)); then
  echo "idle_memory.sh: open-file limit $(ulimit -n) is too low for $N connections" >&2
  exit 1
fi

need_kiwi=0
[[ " $SERVERS " == *" kiwi "* ]] && need_kiwi=1
build_binaries "$need_kiwi"
commit="$(workspace_commit)"
trap 'stop_server' EXIT

status=0
rows=()
problems=()
declare -A per=()
for s in $SERVERS; do
  port="$(free_port)"
  echo "== $s on 127.0.0.1:$port: $N idle connections" >&2
  if ! start_server "$s" "$port"; then
    problems+=("$s: $START_ERR")
    rows+=("| $s | FAILED | - | - | - | - |")
    status=1
    continue
  fi
  sleep 0.5 # let the server finish start-up before the "before" reading
  if ! out="$(run_client --port "$port" --idle "$N" --verify 10 \
                --settle-secs "$SETTLE" --server-pid "$SERVER_PID" 2>>"$LOGDIR/loadgen.log")"; then
    out=""
  fi
  alive=1
  kill -0 "$SERVER_PID" 2>/dev/null || alive=0
  stop_server
  if [[ -z "$out" || $alive == 0 ]]; then
    problems+=("$s: loadgen failed or the server died (see $LOGDIR)")
    rows+=("| $s | FAILED | - | - | - | - |")
    status=1
    continue
  fi
  echo "   $out" >&2
  read -r connected verified vwant errors before idle after pc < <(
    "$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); print(*(r[k] for k in ("connected","verified","verify_wanted","errors","rss_before_kib","rss_idle_kib","rss_after_verify_kib","rss_per_conn_kib")))' "$out")
  if [[ "$connected" != "$N" || "$verified" != "$vwant" || "$errors" != 0 ]]; then
    problems+=("$s: connected $connected/$N, echo verified on $verified/$vwant, $errors errors")
    status=1
  fi
  per[$s]="$pc"
  rows+=("$(awk -v s="$s" -v b="$before" -v i="$idle" -v a="$after" -v pc="$pc" -v v="$verified" -v w="$vwant" \
    'BEGIN { printf "| %s | %.1f | %.1f | %.1f | %.2f | %d/%d |", s, b/1024, i/1024, a/1024, pc, v, w }')")
done

report="$(
  echo "## TCP echo: memory per idle connection (bench/echo/idle_memory.sh $N)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), workspace HEAD $commit, kiwi: ${KIWI:-not run}"
  echo "- machine: $(machine_line)"
  echo "- $N connections opened by kiwi-loadgen --idle, then ${SETTLE} s idle; VmRSS of the server"
  echo "  before connecting and with all connections idle; then 10 connections spread over the set"
  echo "  must still echo a message"
  echo
  echo "| server | RSS before (MiB) | RSS, $N idle (MiB) | RSS after echo check (MiB) | per connection (KiB) | echo check |"
  echo "|---|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  if [[ -n "${per[kiwi]:-}" && -n "${per[tokio]:-}" ]]; then
    echo
    awk -v k="${per[kiwi]}" -v t="${per[tokio]}" 'BEGIN { if (t > 0) printf "kiwi/tokio memory per idle connection: %.2f\n", k/t }'
  fi
  if ((${#problems[@]})); then
    echo
    echo "Failures:"
    echo
    printf -- '- %s\n' "${problems[@]}"
  fi
)"
echo "$report"
if [[ "${WRITE:-0}" == 1 ]]; then
  echo "$report" | "$PY" "$ECHO_DIR/report.py" write-section "$ROOT/bench/RESULTS.md" "bench/echo/idle_memory.sh"
  echo "wrote the bench/echo/idle_memory.sh section of bench/RESULTS.md" >&2
fi
exit $status

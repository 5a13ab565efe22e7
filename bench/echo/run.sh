#!/usr/bin/env bash
# TCP echo benchmark: examples/echo_server.kiwi vs reference echo servers, same run.
# See bench/README.md. Environment knobs:
#   SERVERS="kiwi tokio node asyncio uvloop"   subset / order (ratios need tokio)
#   RUNS=3        runs per server, interleaved (kiwi, tokio, ..., kiwi, tokio, ...)
#   SECS=10       measured seconds per run
#   WARMUP=2      warm-up seconds per run (not counted)
#   CONNS=50      concurrent connections
#   SIZE=64       message size in bytes
#   KIWI=/path/to/kiwi   use this binary (may include arguments), no kiwi build
#   WRITE=1       also put the report into bench/RESULTS.md (its own section;
#                 the other sections are kept)
#   VERBOSE=1     print every loadgen JSON line to stderr
#   SCHED=fifo|nice|normal   how server and loadgen are scheduled (see common.sh;
#                 default fifo = chrt -f 1 when root)
# The server runs pinned to CPU $SERVER_CPU (0), the load generator to
# CPU $CLIENT_CPU (1). Exit status 1 if a server failed or a run had errors.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SERVERS="${SERVERS:-kiwi tokio node asyncio uvloop}"
RUNS="${RUNS:-3}"
SECS="${SECS:-10}"
WARMUP="${WARMUP:-2}"
CONNS="${CONNS:-50}"
SIZE="${SIZE:-64}"

need_kiwi=0
[[ " $SERVERS " == *" kiwi "* ]] && need_kiwi=1
build_binaries "$need_kiwi"
commit="$(workspace_commit)"

results="$LOGDIR/results.tsv"
loadavg="$(cut -d' ' -f1-3 /proc/loadavg)"
: >"$results"
trap 'stop_server' EXIT

# Servers that cannot run at all here are reported once and not retried.
declare -A unavailable=()
if [[ " $SERVERS " == *" uvloop "* ]] && ! ensure_uvloop; then
  unavailable[uvloop]="uvloop could not be imported or installed with pip"
fi
if [[ " $SERVERS " == *" node "* ]] && ! command -v "$NODE" >/dev/null; then
  unavailable[node]="node not found"
fi
for s in "${!unavailable[@]}"; do
  echo "skipping $s: ${unavailable[$s]}" >&2
  printf '%s\tFAILED: %s\n' "$s" "${unavailable[$s]}" >>"$results"
done

for ((run = 1; run <= RUNS; run++)); do
  for s in $SERVERS; do
    [[ -n "${unavailable[$s]+x}" ]] && continue
    port="$(free_port)"
    echo "== run $run/$RUNS: $s on 127.0.0.1:$port" >&2
    if ! start_server "$s" "$port"; then
      echo "   $s: $START_ERR" >&2
      printf '%s\tFAILED: %s\n' "$s" "$START_ERR" >>"$results"
      # A server that cannot start (e.g. a kiwi without sockets) will not start later.
      unavailable[$s]="$START_ERR"
      continue
    fi
    out="$(run_client --port "$port" --conns "$CONNS" --size "$SIZE" \
             --warmup-secs "$WARMUP" --secs "$SECS" --server-pid "$SERVER_PID" 2>>"$LOGDIR/loadgen.log")" \
      || out="FAILED: loadgen exited with status $? (see $LOGDIR/loadgen.log)"
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      out="FAILED: server died during the run (see $LOGDIR/$s.log)"
    fi
    stop_server
    [[ "${VERBOSE:-0}" == 1 ]] && echo "   $out" >&2
    printf '%s\t%s\n' "$s" "$out" >>"$results"
  done
done

status=0
table="$("$PY" "$ECHO_DIR/report.py" table "$results" $SERVERS)" || status=1
kiwi_desc="not run"
if [[ "$need_kiwi" == 1 ]]; then
  read -r -a kiwi_words <<<"$KIWI"
  kiwi_path="$(command -v "${kiwi_words[0]}" || echo "${kiwi_words[0]}")"
  kiwi_desc="$KIWI, binary modified $(date -u -r "$kiwi_path" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo '?')"
fi
report="$(
  echo "## TCP echo: throughput, latency, server CPU (bench/echo/run.sh)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), workspace HEAD $commit"
  echo "- kiwi: $kiwi_desc (examples/echo_server.kiwi)"
  echo "- peers: tokio-echo (current-thread runtime), node $("$NODE" --version 2>/dev/null || echo '?'),"\
       "$("$PY" -c 'import platform; print(platform.python_implementation(), platform.python_version())') asyncio"\
       "(Protocol), uvloop $("$PY" -c 'import uvloop; print(uvloop.__version__)' 2>/dev/null || echo 'not installed')"
  echo "- machine: $(machine_line); server pinned to CPU $SERVER_CPU, kiwi-loadgen to CPU $CLIENT_CPU;" \
       "scheduling: $SCHED ${PRIO[*]}; load average before the run: $loadavg"
  echo "- load: $CONNS connections, closed loop, $SIZE-byte messages, every echo checked;" \
       "$WARMUP s warm-up, $SECS s measured; median of $RUNS interleaved runs per server"
  echo
  echo "$table"
  echo
  echo "CPU µs/msg: server utime+stime (all threads, /proc/PID/stat) over the measured window," \
       "divided by the messages echoed in it. \"server CPU busy\" is that CPU time over the window:" \
       "near 100% means the server was the bottleneck; \"loadgen CPU busy\" is the same for kiwi-loadgen." \
       " Ratios: throughput above 1 is better than" \
       "tokio; p99 and CPU below 1 are better. Ratios are only comparable within one table."
)"
echo "$report"
echo "(raw results: $results)" >&2
if [[ "${WRITE:-0}" == 1 ]]; then
  echo "$report" | "$PY" "$ECHO_DIR/report.py" write-section "$ROOT/bench/RESULTS.md" "bench/echo/run.sh"
  echo "wrote the bench/echo/run.sh section of bench/RESULTS.md" >&2
fi
exit $status

#!/usr/bin/env bash
# Leak check: TOTAL messages (default 1,000,000) over connections that come and go
# (kiwi-loadgen --churn: CONNS workers, each connection does PER_CONN messages,
# closes, reconnects) against examples/echo_server.kiwi, while the server's RSS
# is sampled every SAMPLE_MS ms. PASS if the RSS at the end is within +10% or
# +2 MiB (whichever is larger) of the RSS after warm-up (first sample at or past
# 10% of the messages).
# Usage: bench/echo/leak.sh
#   TOTAL=1000000 PER_CONN=100 CONNS=50 SIZE=64 SAMPLE_MS=500
#   SERVER=kiwi          or tokio/node/asyncio/uvloop, to check the check
#   SAMPLES=path         where the samples go (default bench/echo/leak_rss.txt under $LOGDIR)
#   KIWI=/path/to/kiwi   use this binary, no kiwi build
#   WRITE=1              also put the report into bench/RESULTS.md (own section)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TOTAL="${TOTAL:-1000000}"
PER_CONN="${PER_CONN:-100}"
CONNS="${CONNS:-50}"
SIZE="${SIZE:-64}"
SAMPLE_MS="${SAMPLE_MS:-500}"
SERVER="${SERVER:-kiwi}"
SAMPLES="${SAMPLES:-$LOGDIR/leak_rss_$SERVER.txt}"

need_kiwi=0
[[ "$SERVER" == kiwi ]] && need_kiwi=1
build_binaries "$need_kiwi"
commit="$(workspace_commit)"
trap 'stop_server' EXIT

port="$(free_port)"
echo "== $SERVER on 127.0.0.1:$port: $TOTAL messages, $PER_CONN per connection, $CONNS at a time" >&2
if ! start_server "$SERVER" "$port"; then
  echo "leak.sh: $SERVER: $START_ERR" >&2
  exit 1
fi
rc=0
out="$(run_client --port "$port" --churn --total "$TOTAL" --per-conn "$PER_CONN" \
         --conns "$CONNS" --size "$SIZE" --server-pid "$SERVER_PID" --sample-file "$SAMPLES" \
         --sample-ms "$SAMPLE_MS" 2>>"$LOGDIR/loadgen.log")" || rc=$?
alive=1
kill -0 "$SERVER_PID" 2>/dev/null || alive=0
stop_server
echo "   $out" >&2
if [[ $rc != 0 || -z "$out" ]]; then
  echo "leak.sh: loadgen failed (status $rc; see $LOGDIR/loadgen.log)" >&2
  exit 1
fi
read -r msgs secs mps opened errors < <(
  "$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); print(*(r[k] for k in ("msgs","secs","msgs_per_sec","connections_opened","errors")))' "$out")

# samples: "secs msgs rss_kib" per line; the last line is taken 1 s after the
# last message, when the server has closed every connection.
verdict="$(awk -v total="$TOTAL" '
  { t[NR] = $1; m[NR] = $2; r[NR] = $3; if ($3 > max) max = $3 }
  END {
    w = 0
    for (i = 1; i <= NR; i++) if (m[i] >= total / 10) { w = i; break }
    if (w == 0 || NR < 3) { print "FAIL too-few-samples 0 0 0 0"; exit }
    end = r[NR]; allow = r[w] / 10; if (allow < 2048) allow = 2048
    ok = (end - r[w] <= allow) ? "PASS" : "FAIL"
    printf "%s %d %d %d %d %d\n", ok, NR, r[w], m[w], end, max
  }' "$SAMPLES")"
read -r result nsamples warm warm_msgs end_rss max_rss <<<"$verdict"
problems=()
[[ "$msgs" != "$TOTAL" ]] && problems+=("only $msgs of $TOTAL messages were echoed")
[[ "$errors" != 0 ]] && problems+=("loadgen counted $errors errors")
[[ $alive == 0 ]] && problems+=("the server died during the run")
((${#problems[@]})) && result=FAIL

report="$(
  echo "## TCP echo: memory under connection churn (bench/echo/leak.sh)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), workspace HEAD $commit, server: $SERVER${KIWI:+ ($KIWI)}"
  echo "- $msgs messages of $SIZE bytes in $secs s ($(printf '%.0f' "$mps") msgs/s) over $opened connections" \
       "($PER_CONN messages each, $CONNS at a time), $errors errors; VmRSS sampled every $SAMPLE_MS ms"
  echo
  echo "| RSS after warm-up (MiB, at $warm_msgs msgs) | RSS at end (MiB) | max RSS (MiB) | end - warm-up (KiB) | samples | result |"
  echo "|---:|---:|---:|---:|---:|---|"
  awk -v w="$warm" -v e="$end_rss" -v x="$max_rss" -v n="$nsamples" -v res="$result" \
    'BEGIN { printf "| %.1f | %.1f | %.1f | %+d | %d | %s |\n", w/1024, e/1024, x/1024, e-w, n, res }'
  echo
  echo "PASS: end RSS at most max(+10%, +2 MiB) over the RSS after warm-up. Samples (secs msgs rss_kib): $SAMPLES"
  if ((${#problems[@]})); then
    echo
    printf -- '- %s\n' "${problems[@]}"
  fi
)"
echo "$report"
if [[ "${WRITE:-0}" == 1 ]]; then
  echo "$report" | "$PY" "$ECHO_DIR/report.py" write-section "$ROOT/bench/RESULTS.md" "bench/echo/leak.sh"
  echo "wrote the bench/echo/leak.sh section of bench/RESULTS.md" >&2
fi
[[ "$result" == PASS ]]

#!/usr/bin/env bash
# TLS echo and handshake benchmark: examples/tls_echo_server.kiwi vs the
# tokio-rustls reference, same run. See bench/README.md. Environment knobs:
#   SERVERS="kiwi tokio-rustls"   subset / order (ratios need tokio-rustls)
#   KEY=ecdsa     server key type: ecdsa (P-256, default) or rsa (RSA-2048)
#   RUNS=3        runs per server, interleaved (kiwi, tokio-rustls, kiwi, ...)
#   SECS=10       measured seconds per run, for each of the two measurements
#   WARMUP=2      warm-up seconds per measurement (not counted)
#   CONNS=50      concurrent connections (echo) and handshake workers
#   SIZE=64       message size in bytes
#   KIWI=/path/to/kiwi   use this binary (may include arguments), no kiwi build
#   WRITE=1       also put the report into bench/RESULTS.md (its own section;
#                 the other sections are kept)
#   VERBOSE=1     print every loadgen JSON line to stderr
#   SCHED=fifo|nice|normal   how server and loadgen are scheduled (see
#                 bench/echo/common.sh; default fifo = chrt -f 1 when root)
# Each run starts the server once (pinned to CPU $SERVER_CPU, 0), runs the
# closed-loop TLS echo, then the handshake loop, both with kiwi-loadgen pinned
# to CPU $CLIENT_CPU (1), then stops the server. Exit status 1 if a server
# failed or a run had errors.
set -euo pipefail
BENCH_KIND=tls
TLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$TLS_DIR/../echo/common.sh"

SERVERS="${SERVERS:-kiwi tokio-rustls}"
KEY="${KEY:-ecdsa}"
RUNS="${RUNS:-3}"
SECS="${SECS:-10}"
WARMUP="${WARMUP:-2}"
CONNS="${CONNS:-50}"
SIZE="${SIZE:-64}"
REF=tokio-rustls
TOKIO_RUSTLS_ECHO="$ROOT/target/release/tokio-rustls-echo"

# rustls's published single-core server figure for full TLS 1.3 handshakes
# (TLS13_AES_256_GCM_SHA384, X25519): rustls.dev/perf/2024-10-18-report/, source
# website/content/perf/2024-10-18-report.md in the rustls repository; rustls
# 0.23.15 with aws-lc-rs on a Xeon E-2386G. See bench/README.md.
case "$KEY" in
  ecdsa) PUBLISHED=8325.74; KEY_DESC="ECDSA P-256" ;;
  rsa)   PUBLISHED=2544.31; KEY_DESC="RSA-2048" ;;
  *) echo "KEY must be ecdsa or rsa" >&2; exit 2 ;;
esac

# The TLS servers (replaces the echo servers of common.sh).
server_cmd() {
  local name="$1" port="$2"
  case "$name" in
    kiwi) read -r -a SERVER_CMD <<<"$KIWI"
          SERVER_CMD+=("$ROOT/examples/tls_echo_server.kiwi" "$port" "$CERTS/cert.pem" "$CERTS/key.pem") ;;
    tokio-rustls) SERVER_CMD=("$TOKIO_RUSTLS_ECHO" "$port" "$CERTS/cert.pem" "$CERTS/key.pem") ;;
    *) echo "unknown server '$name' (known: kiwi tokio-rustls)" >&2; return 2 ;;
  esac
}

need_kiwi=0
[[ " $SERVERS " == *" kiwi "* ]] && need_kiwi=1
EXTRA_PKGS=kiwi-bench-tokio-rustls-echo build_binaries "$need_kiwi"
commit="$(workspace_commit)"

CERTS="$LOGDIR/certs"
"$TLS_DIR/gen_certs.sh" "$CERTS" "$KEY"
echo_results="$LOGDIR/echo.tsv"
hs_results="$LOGDIR/handshakes.tsv"
loadavg="$(cut -d' ' -f1-3 /proc/loadavg)"
: >"$echo_results"
: >"$hs_results"
trap 'stop_server' EXIT

# run_load SERVER RESULTS LOADGEN-ARGS...: one loadgen run against $SERVER_PID,
# its JSON line (or FAILED: reason) appended to RESULTS.
run_load() {
  local s="$1" results="$2" out
  shift 2
  out="$(run_client --port "$port" --ca "$CERTS/ca.pem" --conns "$CONNS" --size "$SIZE" \
           --warmup-secs "$WARMUP" --secs "$SECS" --server-pid "$SERVER_PID" "$@" \
           2>>"$LOGDIR/loadgen.log")" \
    || out="FAILED: loadgen exited with status $? (see $LOGDIR/loadgen.log)"
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    out="FAILED: server died during the run (see $LOGDIR/$s.log)"
  fi
  [[ "${VERBOSE:-0}" == 1 ]] && echo "   $out" >&2
  printf '%s\t%s\n' "$s" "$out" >>"$results"
}

declare -A unavailable=()
for ((run = 1; run <= RUNS; run++)); do
  for s in $SERVERS; do
    [[ -n "${unavailable[$s]+x}" ]] && continue
    port="$(free_port)"
    echo "== run $run/$RUNS: $s on 127.0.0.1:$port ($KEY_DESC)" >&2
    if ! start_server "$s" "$port"; then
      echo "   $s: $START_ERR" >&2
      printf '%s\tFAILED: %s\n' "$s" "$START_ERR" | tee -a "$echo_results" >>"$hs_results"
      # A server that cannot start (e.g. a kiwi without TLS) will not start later.
      unavailable[$s]="$START_ERR"
      continue
    fi
    run_load "$s" "$echo_results" --tls
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      run_load "$s" "$hs_results" --handshakes
    else
      printf '%s\tFAILED: server died during the echo run\n' "$s" >>"$hs_results"
    fi
    stop_server
  done
done

status=0
echo_table="$("$PY" "$ECHO_DIR/report.py" table "$echo_results" --ref "$REF" $SERVERS)" || status=1
hs_table="$("$PY" "$ECHO_DIR/report.py" handshakes "$hs_results" --ref "$REF" \
              --published "$PUBLISHED" $SERVERS)" || status=1
# The negotiated suite and key exchange, as the load generator saw them.
negotiated="$("$PY" -c '
import json, sys
seen = set()
for line in open(sys.argv[1]):
    _, _, payload = line.rstrip("\n").partition("\t")
    try:
        seen.add(json.loads(payload).get("tls") or "?")
    except ValueError:
        pass
print(", ".join(sorted(seen)) or "?")' "$hs_results")"
kiwi_desc="not run"
if [[ "$need_kiwi" == 1 ]]; then
  read -r -a kiwi_words <<<"$KIWI"
  kiwi_path="$(command -v "${kiwi_words[0]}" || echo "${kiwi_words[0]}")"
  kiwi_desc="$KIWI, binary modified $(date -u -r "$kiwi_path" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo '?')"
fi
section="bench/tls/run.sh"
[[ "$KEY" != ecdsa ]] && section="bench/tls/run.sh KEY=$KEY"
report="$(
  echo "## TLS echo and handshakes: throughput, latency, server CPU ($section)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), workspace HEAD $commit"
  echo "- kiwi: $kiwi_desc (examples/tls_echo_server.kiwi)"
  echo "- reference: tokio-rustls-echo (bench/peers/tokio-rustls-echo: tokio current-thread runtime," \
       "rustls 0.23 with the ring provider, TLS 1.2 and 1.3 enabled)"
  echo "- certificate: $KEY_DESC, generated for the run (bench/tls/gen_certs.sh), server sends one" \
       "certificate signed by a throw-away CA; client: kiwi-loadgen (rustls, ring), TLS 1.3 only," \
       "session resumption off; negotiated: $negotiated"
  echo "- machine: $(machine_line); server pinned to CPU $SERVER_CPU, kiwi-loadgen to CPU $CLIENT_CPU;" \
       "scheduling: $SCHED ${PRIO[*]}; load average before the run: $loadavg"
  echo "- load: $CONNS connections / workers, $SIZE-byte messages, every echo checked; $WARMUP s warm-up," \
       "$SECS s measured per measurement; median of $RUNS interleaved runs per server"
  echo
  echo "### TLS echo (closed loop over TLS 1.3)"
  echo
  echo "$echo_table"
  echo
  echo "### Full TLS 1.3 handshakes (connect, handshake, one checked 64-byte echo, close_notify, close)"
  echo
  echo "$hs_table"
  echo
  echo "CPU µs/msg and CPU µs/handshake: server utime+stime (/proc/PID/stat) over the measured window," \
       "divided by the messages echoed or handshakes completed in it; handshakes per server CPU-second" \
       "is the inverse. p50/p99 of handshakes: TCP connect plus TLS handshake as the client sees it," \
       "with $CONNS workers queueing. \"per core vs rustls published\": handshakes per server" \
       "CPU-second over rustls's published single-core server figure for full TLS 1.3 handshakes with" \
       "$KEY_DESC ($PUBLISHED handshakes/s: rustls 0.23.15 with aws-lc-rs on a Xeon E-2386G," \
       "in-memory, no sockets; rustls.dev/perf/2024-10-18-report/). That figure excludes TCP, the" \
       "event loop and the echo, and comes from another CPU and crypto library, so the ratio is a" \
       "rough orientation only; the ratios to $REF (same machine, same run) are the comparison." \
       "Ratios are only comparable within one table."
)"
echo "$report"
echo "(raw results: $echo_results $hs_results)" >&2
if [[ "${WRITE:-0}" == 1 ]]; then
  echo "$report" | "$PY" "$ECHO_DIR/report.py" write-section "$ROOT/bench/RESULTS.md" "$section"
  echo "wrote the $section section of bench/RESULTS.md" >&2
fi
exit $status

#!/bin/bash
# User-space instructions per HTTP request, counted by callgrind: a figure that does not move
# with CPU steal or frequency, for comparing changes to the server path (wall-clock runs on
# this 2-core VM vary by +-15%). Kernel time is not counted (about 6 us per request here,
# the same for every server).
#
#   bench/http/instructions.sh [KIWI_BINARY] [SCRIPT]   kiwi's httpserver (bench/http/server.kiwi)
#   bench/http/instructions.sh hyper                    the raw hyper peer, for scale
#
# wrk drives GET /json with 50 keep-alive connections for 2 s (warm-up, not counted), then 5 s
# with counting on; prints requests, instructions and instructions per request. Loopback only.
# KEEP=file keeps callgrind's profile there (for callgrind_annotate).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$ROOT/target/release/kiwi}
SCRIPT=${2:-$ROOT/bench/http/server.kiwi}
source "$ROOT/bench/callgrind_count.sh"
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [[ $BIN == hyper ]]; then
  cmd=("$ROOT/target/release/hyper-json" "$PORT")
else
  cmd=("$BIN" "$SCRIPT" "$PORT")
fi
cg_start "${cmd[@]}"
for _ in $(seq 150); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
wrk -t1 -c50 -d2s "http://127.0.0.1:$PORT/json" >/dev/null
cg_on
REQS=$(wrk -t1 -c50 -d5s "http://127.0.0.1:$PORT/json" | awk '/requests in/ {print $1}')
cg_stop
IR=$(cg_total)
echo "$(basename "${cmd[0]}"): $REQS requests, $IR instructions, $((IR / REQS)) per request"

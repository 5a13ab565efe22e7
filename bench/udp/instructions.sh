#!/bin/bash
# User-space instructions per echoed UDP datagram, counted by callgrind: a figure that does not
# move with CPU steal or frequency, for comparing changes on the datagram path (wall-clock
# runs on this 2-core VM vary by +-15%). Kernel time is not counted (bench/udp/cpu_split.sh
# shows it: about 4.5 us per datagram, the same for kiwi and tokio).
#
#   bench/udp/instructions.sh [KIWI_BINARY] [SCRIPT]   kiwi's echo (bench/udp/echo.kiwi)
#   bench/udp/instructions.sh tokio                    the tokio peer, for scale
#
# kiwi-udp-loadgen (50 sockets, 64-byte datagrams) runs 1 s uncounted, then 4 s with counting
# on. Run it on an idle machine: a server starved of CPU finds its socket empty more often and
# takes the slower waiting path, which costs more instructions per datagram. Loopback only.
# KEEP=file keeps callgrind's profile there (for callgrind_annotate).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REL=$ROOT/target/release
BIN=${1:-$REL/kiwi}
SCRIPT=${2:-$ROOT/bench/udp/echo.kiwi}
source "$ROOT/bench/callgrind_count.sh"
[[ -x $REL/kiwi-udp-loadgen && -x $REL/tokio-udp-echo ]] ||
  (cd "$ROOT" && cargo build --release -q -p kiwi-loadgen -p kiwi-bench-tokio-udp-echo)
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [[ $BIN == tokio ]]; then
  cmd=("$REL/tokio-udp-echo" "$PORT")
else
  cmd=("$BIN" "$SCRIPT" "$PORT")
fi
cg_start "${cmd[@]}"
sleep 4
"$REL/kiwi-udp-loadgen" --port "$PORT" --secs 1 --warmup-secs 0 >/dev/null
cg_on
N=$("$REL/kiwi-udp-loadgen" --port "$PORT" --secs 4 --warmup-secs 0 |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["msgs"])')
cg_stop
IR=$(cg_total)
echo "$(basename "${cmd[0]}"): $N datagrams, $IR instructions, $((IR / N)) per datagram"

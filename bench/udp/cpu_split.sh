#!/bin/bash
# User and system CPU time per datagram of a UDP echo server under load: shows whether a gap
# to tokio is the server's own work (user) or the kernel's (system). Loopback only.
#
#   bench/udp/cpu_split.sh [kiwi|tokio] [SECS]
#
# The server runs on CPU 0 and kiwi-udp-loadgen on CPU 1 for SECS seconds (default 4); the
# server's utime/stime come from /proc/PID/stat before and after.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REL=$ROOT/target/release
WHO=${1:-kiwi}
SECS=${2:-4}
[[ -x $REL/kiwi-udp-loadgen && -x $REL/tokio-udp-echo && -x $REL/kiwi ]] ||
  (cd "$ROOT" && cargo build --release -q -p kiwi-cli -p kiwi-loadgen -p kiwi-bench-tokio-udp-echo)
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [[ $WHO == tokio ]]; then
  taskset -c 0 "$REL/tokio-udp-echo" "$PORT" >/dev/null &
else
  taskset -c 0 "$REL/kiwi" "$ROOT/bench/udp/echo.kiwi" "$PORT" >/dev/null &
fi
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
sleep 0.5
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$SERVER/stat")
N=$(taskset -c 1 "$REL/kiwi-udp-loadgen" --port "$PORT" --secs "$SECS" --warmup-secs 0 |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["msgs"])')
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$SERVER/stat")
TICK=$(getconf CLK_TCK)
python3 -c "n = $N; t = 1e6 / $TICK
print('$WHO: %d datagrams, user %.2f us, system %.2f us per datagram' % (n, ($u1 - $u0) * t / n, ($s1 - $s0) * t / n))"

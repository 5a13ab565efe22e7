# Shared by bench/echo/*.sh and bench/tls/*.sh (sourced, not run). Sets ROOT, PY,
# LOADGEN, TOKIO_ECHO, KIWI, and defines build_binaries, start_server, stop_server,
# free_port, rss_kib. A script may redefine server_cmd (after sourcing) for its own
# servers; start_server calls it. All servers listen on 127.0.0.1 only and all
# traffic stays on loopback.

ECHO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$ECHO_DIR/../.." && pwd)"
PY="${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}"
NODE="${NODE:-node}"
LOADGEN="$ROOT/target/release/kiwi-loadgen"
TOKIO_ECHO="$ROOT/target/release/tokio-echo"
SERVER_CPU="${SERVER_CPU:-0}"   # core the server is pinned to
CLIENT_CPU="${CLIENT_CPU:-1}"   # core the load generator is pinned to
# Scheduling of the server and the load generator, so that other work on the
# machine (builds, tests) disturbs a closed-loop ping-pong less:
#   SCHED=fifo    chrt -f 1: SCHED_FIFO priority 1 (default when root and chrt exist).
#                 Each of the two pinned processes then runs whenever it is runnable;
#                 the kernel's RT throttling still leaves 5% of each core to others.
#   SCHED=nice    nice -n $NICE (default -10)
#   SCHED=normal  no change
if [[ -z "${SCHED:-}" ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v chrt >/dev/null; then SCHED=fifo; else SCHED=normal; fi
fi
case "$SCHED" in
  fifo)   PRIO=(chrt -f 1) ;;
  nice)   PRIO=(nice -n "${NICE:--10}") ;;
  normal) PRIO=() ;;
  *) echo "SCHED must be fifo, nice or normal" >&2; exit 2 ;;
esac
# run_client ARGS...: the load generator, pinned to $CLIENT_CPU, scheduled per $SCHED.
run_client() { "${PRIO[@]}" taskset -c "$CLIENT_CPU" "$LOADGEN" "$@"; }
LOGDIR="${LOGDIR:-$(mktemp -d "/tmp/kiwi-${BENCH_KIND:-echo}-bench.XXXXXX")}"

# build_binaries [need_kiwi]: release builds of the load generator, the tokio
# peer, the packages in $EXTRA_PKGS and (unless KIWI= is set or need_kiwi is 0)
# kiwi itself.
build_binaries() {
  local need_kiwi="${1:-1}"
  local pkgs=(-p kiwi-loadgen -p kiwi-bench-tokio-echo) p
  for p in ${EXTRA_PKGS:-}; do pkgs+=(-p "$p"); done
  if [[ "$need_kiwi" == 1 && -z "${KIWI:-}" ]]; then
    pkgs+=(-p kiwi-cli)
    KIWI="$ROOT/target/release/kiwi"
  fi
  echo "building ${pkgs[*]} (release)..." >&2
  if ! (cd "$ROOT" && cargo build --release -q "${pkgs[@]}" >&2); then
    echo "$(basename "$0"): cargo build --release ${pkgs[*]} failed" >&2
    exit 1
  fi
}

free_port() { "$PY" "$ECHO_DIR/report.py" free-port; }

# True once something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ensure_uvloop: succeeds if `import uvloop` works, trying `pip install uvloop` once.
ensure_uvloop() {
  "$PY" -c 'import uvloop' 2>/dev/null && return 0
  echo "uvloop not importable; trying: $PY -m pip install -q uvloop" >&2
  "$PY" -m pip install -q uvloop >&2 2>&1 || true
  "$PY" -c 'import uvloop' 2>/dev/null
}

# server_cmd NAME PORT: prints nothing, fills the array SERVER_CMD.
server_cmd() {
  local name="$1" port="$2"
  case "$name" in
    kiwi)    read -r -a SERVER_CMD <<<"$KIWI"; SERVER_CMD+=("$ROOT/examples/echo_server.kiwi" "$port") ;;
    tokio)   SERVER_CMD=("$TOKIO_ECHO" "$port") ;;
    node)    SERVER_CMD=("$NODE" "$ECHO_DIR/../peers/node_echo.js" "$port") ;;
    asyncio) SERVER_CMD=("$PY" "$ECHO_DIR/../peers/asyncio_echo.py" "$port") ;;
    uvloop)  SERVER_CMD=("$PY" "$ECHO_DIR/../peers/asyncio_echo.py" "$port" --uvloop) ;;
    *) echo "unknown server '$name' (known: kiwi tokio node asyncio uvloop)" >&2; return 2 ;;
  esac
}

# start_server NAME PORT: starts the server pinned to $SERVER_CPU, output in
# $LOGDIR/NAME.log, and waits (up to 15 s) until the port accepts connections.
# Sets SERVER_PID. On failure sets START_ERR to the reason and returns 1.
start_server() {
  local name="$1" port="$2" log="$LOGDIR/$1.log"
  START_ERR=""
  server_cmd "$name" "$port" || return 1
  # chrt/nice and taskset exec the server, so $! is the server's own pid.
  "${PRIO[@]}" taskset -c "$SERVER_CPU" "${SERVER_CMD[@]}" >"$log" 2>&1 &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      wait "$SERVER_PID" 2>/dev/null
      START_ERR="server exited before accepting connections: $(tr '\n' ' ' <"$log" | cut -c1-300)"
      SERVER_PID=""
      return 1
    fi
    port_open "$port" && return 0
    sleep 0.05
  done
  stop_server
  START_ERR="port $port did not accept connections within 15 s"
  return 1
}

stop_server() {
  if [[ -n "${SERVER_PID:-}" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# json_field JSON KEY: prints the value of a top-level key of a flat JSON object.
json_field() { "$PY" -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }

machine_line() {
  local cpu
  cpu="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
  echo "$(nproc) CPU(s), ${cpu:-unknown CPU}, $(uname -sr)"
}

workspace_commit() {
  local c
  c="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
  if [[ -n "$(git -C "$ROOT" status --porcelain -- crates 2>/dev/null)" ]]; then
    c="$c, crates/ has uncommitted changes"
  fi
  echo "$c"
}

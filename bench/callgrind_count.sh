# Counts a server's user-space instructions under callgrind while a load runs; sourced by
# bench/http/instructions.sh and bench/udp/instructions.sh.
#
#   cg_start CMD...   start CMD under callgrind with counting off
#   cg_on             start counting
#   cg_stop           stop counting, write the profile, stop the server
#   cg_total          the instructions counted (KEEP=file keeps the profile there)
command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
CG_OUT=$(mktemp -d)
CG_PID=

cg_start() {
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$CG_OUT/cg.out" "$@" \
    >/dev/null 2>"$CG_OUT/valgrind.log" &
  CG_PID=$!
  trap 'kill $CG_PID 2>/dev/null || true; rm -rf "$CG_OUT"' EXIT
}

cg_on() {
  callgrind_control -i on "$CG_PID" >/dev/null 2>&1
}

cg_stop() {
  callgrind_control -i off "$CG_PID" >/dev/null 2>&1
  callgrind_control -d "$CG_PID" >/dev/null 2>&1
  kill "$CG_PID"
  wait "$CG_PID" 2>/dev/null || true
}

cg_total() {
  local profile
  profile=$(ls "$CG_OUT"/cg.out.* | head -1)
  if [[ -n ${KEEP:-} ]]; then
    cp "$profile" "$KEEP"
  fi
  awk '/^totals:/ {print $2; exit}' "$profile"
}

# The Lua the interpreter benchmarks compare against (sourced by interp/run.sh, memory.sh and
# instructions.sh). LUA: the executable, `lua5.4` unless set.

LUA="${LUA:-lua5.4}"

# Installs lua5.4 from Debian when LUA is that default and missing; fails when LUA cannot run.
lua_ready() {
  if ! command -v "$LUA" >/dev/null 2>&1 && [[ "$LUA" == lua5.4 ]]; then
    echo "installing lua5.4..." >&2
    apt-get install -y -qq lua5.4 >/dev/null 2>&1 || true
  fi
  command -v "$LUA" >/dev/null 2>&1
}

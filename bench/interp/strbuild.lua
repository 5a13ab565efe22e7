-- strbuild.lua: twin of strbuild.kiwi: 65,536 chunks of 16 characters (1 MiB), then the length.
-- Lua strings are immutable and `s = s .. chunk` copies the whole string each time (quadratic,
-- minutes here); a Lua programmer collects the pieces in a table and joins them once, so the
-- twin does that.
local function main()
  local chunk = "abcdefghijklmnop"
  local parts = {}
  for i = 1, 65536 do
    parts[i] = chunk
  end
  local s = table.concat(parts)
  print(#s)
end

main()

-- churn.lua: twin of churn.kiwi (see there for the phases). Prints one checksum line.
-- Lua tables do not count their keys, so the hashmap's size is kept alongside; lists are
-- 1-based, hence the `+ 1` on every index.
local function main()
  local n = 100000
  local h = {}
  local size = 0
  local keys = {}

  local i = 0
  while i < n do
    local k = "key" .. i
    keys[#keys + 1] = k
    h[k] = i * 3
    size = size + 1
    i = i + 1
  end

  local total = 0
  local j = 0
  while j < n do
    local k = keys[(j * 7919) % n + 1]
    total = total + h[k]
    j = j + 1
  end

  local hits = 0
  local misses = 0
  j = 0
  while j < n do
    if h["key" .. (j * 2)] ~= nil then
      hits = hits + 1
    else
      misses = misses + 1
    end
    j = j + 1
  end

  local nums = {}
  i = 0
  while i < n do
    nums[#nums + 1] = (i * 31) % 1000
    i = i + 1
  end
  j = 0
  while j < n do
    total = total + nums[(j * 7) % n + 1]
    j = j + 1
  end

  j = 0
  while j < n do
    h[keys[j + 1]] = nil
    size = size - 1
    j = j + 2
  end
  j = 0
  while j < 50000 do
    total = total + table.remove(nums)
    j = j + 1
  end

  for _, v in pairs(h) do
    total = total + v
  end

  print(string.format("%d %d %d %d %d", total, hits, misses, size, #nums))
end

main()

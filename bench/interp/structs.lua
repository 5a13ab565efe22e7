-- structs.lua: twin of structs.kiwi (see there for the work), with metatable classes.
-- Prints one checksum line.
local Base = {}
Base.__index = Base

function Base.init(self, x, y)
  self.x = x
  self.y = y
  self.hits = 0
end

function Base:norm1()
  return self.x + self.y
end

function Base:kind()
  return 1
end

local Vec = setmetatable({}, { __index = Base })
Vec.__index = Vec

function Vec.new(x, y)
  local o = setmetatable({}, Vec)
  Base.init(o, x, y)
  return o
end

Vec.__add = function(a, o)
  return Vec.new(a.x + o.x, a.y + o.y)
end

function Vec:kind()
  return 2
end

function Vec:touch()
  self.hits = self.hits + 1
end

local function main()
  local n = 100000
  local acc = Vec.new(0, 0)
  local total = 0
  local i = 0
  while i < n do
    local v = Vec.new(i % 7, i % 11)
    acc = acc + v
    total = total + v:norm1() + v:kind()
    v:touch()
    total = total + v.hits
    i = i + 1
  end
  print(string.format("%d %d %d", acc.x, acc.y, total))
end

main()

-- objects.lua: twin of objects.kiwi (see there for the work), with a metatable class.
-- Prints one checksum line.
local Point = {}
Point.__index = Point

function Point.new(x, y)
  return setmetatable({ x = x, y = y }, Point)
end

function Point:moved(dx, dy)
  return Point.new(self.x + dx, self.y + dy)
end

function Point:scale(k)
  self.x = self.x * k
  self.y = self.y * k
end

function Point:sum()
  return self.x + self.y
end

local function main()
  local total = 0
  local i = 0
  while i < 300000 do
    local p = Point.new(i % 10, i % 7)
    local q = p:moved(1, 2)
    q:scale(2)
    total = total + q:sum() + p.x
    i = i + 1
  end
  print(total)
end

main()

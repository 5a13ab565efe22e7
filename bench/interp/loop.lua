-- loop.lua: twin of loop.kiwi. A plain while loop on locals.
local function main()
  local total = 0
  local i = 0
  while i < 10000000 do
    total = total + i
    i = i + 1
  end
  print(total)
end

main()

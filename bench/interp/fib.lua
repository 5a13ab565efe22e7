-- fib.lua: twin of fib.kiwi. Naive recursive Fibonacci, fib(27) = 196418, inside main().
local function fib(n)
  if n < 2 then
    return n
  end
  return fib(n - 1) + fib(n - 2)
end

local function main()
  print(fib(27))
end

main()

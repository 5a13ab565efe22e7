-- fib30.lua: twin of fib30.kiwi. A global function (found as a global on every call, as the
-- Kiwi and Python twins find theirs), called at the top level.
function fib(n)
  if n < 2 then
    return n
  end
  return fib(n - 1) + fib(n - 2)
end

print(fib(30))

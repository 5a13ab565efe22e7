# fib30.py: twin of fib30.kiwi. A module-level function called at module level.


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


print(fib(30))

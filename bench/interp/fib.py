# fib.py: twin of fib.kiwi. Naive recursive Fibonacci, fib(27) = 196418.


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def main():
    print(fib(27))


main()

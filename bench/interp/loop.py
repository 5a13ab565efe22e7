# loop.py: twin of loop.kiwi. A plain while loop (not sum(range())),
# inside a function so the variables are fast locals.


def main():
    total = 0
    i = 0
    while i < 10000000:
        total += i
        i += 1
    print(total)


main()

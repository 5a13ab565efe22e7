# churn.py: twin of churn.kiwi (see there for the phases). Prints one
# checksum line.


def main():
    n = 100000
    h = {}
    keys = []

    i = 0
    while i < n:
        k = "key" + str(i)
        keys.append(k)
        h[k] = i * 3
        i += 1

    total = 0
    j = 0
    while j < n:
        k = keys[(j * 7919) % n]
        total += h[k]
        j += 1

    hits = 0
    misses = 0
    j = 0
    while j < n:
        if ("key" + str(j * 2)) in h:
            hits += 1
        else:
            misses += 1
        j += 1

    nums = []
    i = 0
    while i < n:
        nums.append((i * 31) % 1000)
        i += 1
    j = 0
    while j < n:
        total += nums[(j * 7) % n]
        j += 1

    j = 0
    while j < n:
        del h[keys[j]]
        j += 2
    j = 0
    while j < 50000:
        total += nums.pop()
        j += 1

    for k in h:
        total += h[k]

    print(f"{total} {hits} {misses} {len(h)} {len(nums)}")


main()

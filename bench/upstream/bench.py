"""The sections of upstream Kiwi's bench/bench.kiwi, written as the same work in Python 3.

Each section is a function doing what the Kiwi section of the same name does, with the same
sizes and the same result. Callbacks stay callbacks (map, filter, reduce, sort comparator,
each), so a call per element is paid in both languages. Timing mirrors kiwi-rs's `bench`
package: 3 untimed warm-up calls, then 50 timed calls; the summary gives milliseconds in the
same columns as `bench::run_all`, so bench/upstream/run.py reads both the same way.
"""

import functools
import statistics
import sys
import time


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def factorial(n):
    if n <= 1:
        return 1
    return n * factorial(n - 1)


class Point:
    def __init__(self, x, y):
        self._x = x
        self._y = y

    def x(self):
        return self._x

    def y(self):
        return self._y

    def distance_sq(self, other):
        dx = self._x - other.x()
        dy = self._y - other.y()
        return dx * dx + dy * dy


class Counter:
    def __init__(self, start):
        self._value = start

    def increment(self):
        self._value += 1

    def value(self):
        return self._value


SECTIONS = []


def section(name):
    def register(f):
        SECTIONS.append((name, f))
        return f

    return register


@section("int: sum while 1..10000")
def int_sum_while():
    total = 0
    i = 1
    while i <= 10000:
        total += i
        i += 1
    return total


@section("int: repeat 5000 squares")
def int_repeat_squares():
    total = 0
    for i in range(1, 5001):
        total += i * i
    return total


@section("int: fizzbuzz while 5000")
def int_fizzbuzz():
    count = 0
    i = 1
    while i <= 5000:
        if i % 15 == 0:
            count += 1
        elif i % 3 == 0:
            count += 1
        elif i % 5 == 0:
            count += 1
        i += 1
    return count


@section("float: sum of reciprocals 5000")
def float_reciprocals():
    total = 0.0
    i = 1
    while i <= 5000:
        total += 1.0 / i
        i += 1
    return total


@section("float: newton sqrt 200 iters")
def float_newton():
    x = 2.0
    for _ in range(200):
        x = (x + 2.0 / x) / 2.0
    return x


@section("string: join 500-element list")
def string_join():
    parts = []
    for _ in range(500):
        parts.append("kiwi")
    return "-".join(parts)


@section("string: interpolation 500x")
def string_interpolation():
    result = ""
    i = 1
    while i <= 500:
        result = f"item_{i}_of_500"
        i += 1
    return result


@section("string: split and rejoin 100x")
def string_split_rejoin():
    s = "the quick brown fox jumps over the lazy dog"
    result = ""
    for _ in range(100):
        result = "-".join(s.split(" "))
    return result


@section("string: contains and index 500x")
def string_contains_index():
    s = "the quick brown fox jumps over the lazy dog"
    found = 0
    for _ in range(500):
        if "fox" in s:
            found += 1
        if s.find("lazy") >= 0:
            found += 1
    return found


@section("list: push 2000 elements")
def list_push():
    lst = []
    i = 0
    while i < 2000:
        lst.append(i)
        i += 1
    return len(lst)


def one_to(n):
    lst = []
    for i in range(1, n + 1):
        lst.append(i)
    return lst


@section("list: map 1000 elements")
def list_map():
    return sum(list(map(lambda x: x * 2 + 1, one_to(1000))))


@section("list: filter 1000 elements")
def list_filter():
    return len(list(filter(lambda x: x % 3 == 0, one_to(1000))))


@section("list: map then filter 1000 elements")
def list_map_filter():
    squares = list(map(lambda x: x * x, one_to(1000)))
    return sum(list(filter(lambda x: x % 2 == 0, squares)))


@section("list: reduce 1000 elements")
def list_reduce():
    return functools.reduce(lambda acc, x: acc + x, one_to(1000), 0)


@section("list: sort 500 (custom comparator)")
def list_sort():
    lst = []
    i = 500
    while i > 0:
        lst.append(i)
        i -= 1
    # Kiwi's comparator says whether a goes before b; cmp_to_key makes one call per comparison.
    lst.sort(key=functools.cmp_to_key(lambda a, b: -1 if a < b else (1 if b < a else 0)))
    return lst[0]


@section("list: each 1000 elements")
def list_each():
    lst = one_to(1000)
    total = 0

    def add(x):
        nonlocal total
        total += x

    for x in lst:
        add(x)
    return total


@section("list: flatten 100 inner lists")
def list_flatten():
    lst = []
    for _ in range(100):
        lst.append([1, 2, 3, 4, 5])
    return sum([x for inner in lst for x in inner])


@section("hashmap: 500 string-key writes")
def hashmap_writes():
    h = {}
    i = 0
    while i < 500:
        h[f"key{i}"] = i
        i += 1
    return len(h)


@section("hashmap: 500 string-key reads")
def hashmap_reads():
    h = {}
    i = 0
    while i < 500:
        h[f"key{i}"] = i
        i += 1
    total = 0
    i = 0
    while i < 500:
        total += h.get(f"key{i}")
        i += 1
    return total


@section("hashmap: iterate 200 entries")
def hashmap_iterate():
    h = {}
    for i in range(1, 201):
        h[i] = i * i
    total = 0
    for _k, v in h.items():
        total += v
    return total


@section("fn: 2000 simple calls")
def fn_simple_calls():
    def add(a, b):
        return a + b

    total = 0
    for _ in range(2000):
        total = add(total, 1)
    return total


@section("fn: fib(20) recursive")
def fn_fib():
    return fib(20)


@section("fn: factorial(15) recursive")
def fn_factorial():
    return factorial(15)


@section("closure: counter closed-over 1000x")
def closure_counter():
    count = 0

    def inc():
        nonlocal count
        count += 1

    for _ in range(1000):
        inc()
    return count


@section("closure: adder factory, 500 calls")
def closure_adder():
    def make_adder(n):
        return lambda x: x + n

    add10 = make_adder(10)
    total = 0
    for _ in range(500):
        total = add10(total)
    return total


@section("struct: construct 500 Points")
def struct_construct():
    pts = []
    i = 0
    while i < 500:
        pts.append(Point(i, i * 2))
        i += 1
    return len(pts)


@section("struct: 500 distance_sq calls")
def struct_distance():
    origin = Point(0, 0)
    total = 0
    i = 1
    while i <= 500:
        p = Point(i, i)
        total += p.distance_sq(origin)
        i += 1
    return total


@section("struct: Counter.increment 2000x")
def struct_counter():
    c = Counter(0)
    for _ in range(2000):
        c.increment()
    return c.value()


@section("range: for i in [1..2000]")
def range_for():
    total = 0
    for i in range(1, 2001):
        total += i
    return total


@section("range: nested 80x80")
def range_nested():
    total = 0
    for i in range(1, 81):
        for j in range(1, 81):
            total += i * j
    return total


@section("mixed: word frequency map")
def mixed_word_frequency():
    words = "the quick brown fox jumps over the lazy dog the fox the".split(" ")
    freq = {}
    for word in words:
        if word in freq:
            freq[word] += 1
        else:
            freq[word] = 1
    return len(freq)


@section("mixed: sieve of eratosthenes to 1000")
def mixed_sieve():
    limit = 1000
    sieve = []
    i = 0
    while i <= limit:
        sieve.append(True)
        i += 1
    sieve[0] = False
    sieve[1] = False
    i = 2
    while i * i <= limit:
        if sieve[i]:
            j = i * i
            while j <= limit:
                sieve[j] = False
                j += i
        i += 1
    count = 0
    for flag in sieve:
        if flag:
            count += 1
    return count


@section("mixed: in-memory table filter+sum")
def mixed_table():
    rows = []
    for i in range(1, 201):
        rows.append({"id": i, "name": f"user_{i}", "score": i % 100})
    filtered = list(filter(lambda r: r["score"] >= 50, rows))
    return functools.reduce(lambda acc, r: acc + r["score"], filtered, 0)


@section("mixed: build string via list+join")
def mixed_string_join():
    parts = []
    for i in range(1, 301):
        parts.append(f"line {i}: the quick brown fox")
    return len("\n".join(parts))


def run_all(iterations, warmup):
    print("Benchmark Summary")
    for name, f in SECTIONS:
        for _ in range(warmup):
            f()
        timings = []
        for _ in range(iterations):
            t = time.perf_counter_ns()
            f()
            timings.append((time.perf_counter_ns() - t) / 1e6)
        mean = sum(timings) / len(timings)
        median = statistics.median(timings)
        print(
            f"{name:<38}{iterations:<8}{mean:.3f}ms     {median:.3f}ms     "
            f"{min(timings):.3f}ms     {max(timings):.3f}ms"
        )


if __name__ == "__main__":
    run_all(50, 3)
    sys.stdout.flush()

"""Line reading: kiwi's socket::recv_until against CPython asyncio's readline.

Both readers connect to the same Python line server (bench/lines/line_server.py), read every
line until end of stream and print the count, which must equal the lines sent. Runs
alternate (kiwi, python, kiwi, ...) so background noise falls on both; each side's median
wall time (process start-up included) is reported.
"""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, expect):
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    took = time.perf_counter() - start
    if out.returncode != 0 or out.stdout.strip() != expect:
        raise SystemExit(f"{cmd[0]} failed ({out.returncode}): {out.stdout!r} {out.stderr!r}")
    return took


def main():
    kiwi, runs, lines, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    server = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "line_server.py"), str(lines), str(length)],
        stdout=subprocess.PIPE, text=True)
    try:
        port = server.stdout.readline().strip()
        readers = {
            "kiwi recv_until": [kiwi, os.path.join(HERE, "read_lines.kiwi"), port],
            "CPython asyncio readline": [sys.executable, os.path.join(HERE, "read_lines.py"), port],
        }
        times = {name: [] for name in readers}
        for _ in range(runs):
            for name, cmd in readers.items():
                times[name].append(timed(cmd, str(lines)))
    finally:
        server.kill()
    kiwi_median = statistics.median(times["kiwi recv_until"])
    print(f"| reader | median (s) | lines/s | vs CPython |")
    print(f"|---|---:|---:|---:|")
    py_median = statistics.median(times["CPython asyncio readline"])
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"| {name} | {m:.3f} | {lines / m:,.0f} | {m / py_median:.2f} |")
    print()
    print(f"kiwi/CPython wall time: {kiwi_median / py_median:.2f} (below 1: kiwi is faster)")


main()

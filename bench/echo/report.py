"""Helpers for the bench/echo scripts (standard library only).

  report.py free-port
      print a TCP port on 127.0.0.1 that is free right now
  report.py table RESULTS SERVER...
      RESULTS has one line per run: `server<TAB>loadgen JSON` (or
      `server<TAB>FAILED: reason`). Prints the Markdown table of medians with
      ratios to the tokio row, then a "Failures" list if any. Exit status 1 if a
      server failed or a loadgen reported errors.
  report.py write-section FILE NAME < text
      replace the section between `<!-- NAME: begin -->` and `<!-- NAME: end -->`
      in FILE with stdin, or append it if FILE has no such section
"""

import json
import socket
import statistics
import sys


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def fmt(x, digits):
    return "-" if x is None else f"{x:,.{digits}f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def table(results, servers):
    runs = {s: [] for s in servers}
    failures = []
    with open(results) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            server, _, payload = line.partition("\t")
            runs.setdefault(server, [])
            if payload.startswith("FAILED"):
                failures.append(f"{server}: {payload[len('FAILED: '):]}")
                continue
            try:
                r = json.loads(payload)
            except ValueError:
                failures.append(f"{server}: loadgen printed no JSON: {payload[:200]!r}")
                continue
            if r.get("errors"):
                failures.append(f"{server}: loadgen counted {r['errors']} errors in one run")
            runs[server].append(r)

    def med(rs, key):
        vals = [r[key] for r in rs if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    rows = {}
    for s in servers:
        rs = runs.get(s, [])
        if not rs:
            rows[s] = None
            continue
        rows[s] = {
            "n": len(rs),
            "mps": med(rs, "msgs_per_sec"),
            "p50": med(rs, "p50_us"),
            "p99": med(rs, "p99_us"),
            "cpu": med(rs, "server_cpu_us_per_msg"),
            "util": med(rs, "server_cpu_util"),
            "lutil": med(rs, "loadgen_cpu_util"),
        }
    ref = rows.get("tokio") or {}
    print("| server | msgs/s | p50 µs | p99 µs | CPU µs/msg | throughput vs tokio "
          "| p99 vs tokio | CPU vs tokio | server CPU busy | loadgen CPU busy | runs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in servers:
        r = rows[s]
        if r is None:
            print(f"| {s} | FAILED | - | - | - | - | - | - | - | - | 0 |")
            continue
        util = "-" if r["util"] is None else f"{100 * r['util']:.0f}%"
        lutil = "-" if r["lutil"] is None else f"{100 * r['lutil']:.0f}%"
        print(
            f"| {s} | {fmt(r['mps'], 0)} | {fmt(r['p50'], 0)} | {fmt(r['p99'], 0)} "
            f"| {fmt(r['cpu'], 2)} | {ratio(r['mps'], ref.get('mps'))} "
            f"| {ratio(r['p99'], ref.get('p99'))} | {ratio(r['cpu'], ref.get('cpu'))} "
            f"| {util} | {lutil} | {r['n']} |"
        )
    if failures:
        print()
        print("Failures:")
        print()
        for f_ in failures:
            print(f"- {f_}")
    return 1 if failures else 0


def write_section(path, name):
    body = sys.stdin.read().rstrip("\n")
    begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
    block = f"{begin}\n{body}\n{end}\n"
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    i, j = text.find(begin), text.find(end)
    if i >= 0 and j > i:
        rest = text[j + len(end):].lstrip("\n")
        text = text[:i] + block + ("\n" + rest if rest else "")
    else:
        if text and not text.endswith("\n\n"):
            text = text.rstrip("\n") + "\n\n"
        text += block
    with open(path, "w") as f:
        f.write(text)


def main(argv):
    if len(argv) >= 1 and argv[0] == "free-port":
        free_port()
        return 0
    if len(argv) >= 2 and argv[0] == "table":
        return table(argv[1], argv[2:])
    if len(argv) == 3 and argv[0] == "write-section":
        write_section(argv[1], argv[2])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

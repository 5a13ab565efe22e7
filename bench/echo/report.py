"""Helpers for the bench/echo scripts (standard library only).

  report.py free-port
      print a TCP port on 127.0.0.1 that is free right now
  report.py table RESULTS [--ref NAME] SERVER...
      RESULTS has one line per run: `server<TAB>loadgen JSON` (or
      `server<TAB>FAILED: reason`). Prints the Markdown table of medians with
      ratios to the NAME row (default tokio), then a "Failures" list if any.
      Exit status 1 if a server failed or a loadgen reported errors.
  report.py handshakes RESULTS [--ref NAME] [--published HS_PER_SEC] SERVER...
      the same for `kiwi-loadgen --handshakes` lines: handshakes/s, latency,
      server CPU per handshake, handshakes per server CPU-second, ratios to the
      NAME row and (if given) to a published handshakes/s figure for one core
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


def load_runs(results, servers):
    """Per server, the parsed loadgen JSON of each run, and the failures."""
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
    return runs, failures


def med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def pct(x):
    return "-" if x is None else f"{100 * x:.0f}%"


def print_failures(failures):
    if failures:
        print()
        print("Failures:")
        print()
        for f_ in failures:
            print(f"- {f_}")
    return 1 if failures else 0


def table(results, servers, ref_name="tokio"):
    runs, failures = load_runs(results, servers)
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
    ref = rows.get(ref_name) or {}
    print(f"| server | msgs/s | p50 µs | p99 µs | CPU µs/msg | throughput vs {ref_name} "
          f"| p99 vs {ref_name} | CPU vs {ref_name} | server CPU busy | loadgen CPU busy | runs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in servers:
        r = rows[s]
        if r is None:
            print(f"| {s} | FAILED | - | - | - | - | - | - | - | - | 0 |")
            continue
        util, lutil = pct(r["util"]), pct(r["lutil"])
        print(
            f"| {s} | {fmt(r['mps'], 0)} | {fmt(r['p50'], 0)} | {fmt(r['p99'], 0)} "
            f"| {fmt(r['cpu'], 2)} | {ratio(r['mps'], ref.get('mps'))} "
            f"| {ratio(r['p99'], ref.get('p99'))} | {ratio(r['cpu'], ref.get('cpu'))} "
            f"| {util} | {lutil} | {r['n']} |"
        )
    return print_failures(failures)


def handshake_table(results, servers, ref_name, published):
    runs, failures = load_runs(results, servers)
    rows = {}
    for s in servers:
        rs = runs.get(s, [])
        rows[s] = None if not rs else {
            "n": len(rs),
            "hps": med(rs, "handshakes_per_sec"),
            "p50": med(rs, "p50_us"),
            "p99": med(rs, "p99_us"),
            "cpu": med(rs, "server_cpu_us_per_handshake"),
            "core": med(rs, "server_handshakes_per_cpu_sec"),
            "util": med(rs, "server_cpu_util"),
            "lutil": med(rs, "loadgen_cpu_util"),
        }
    ref = rows.get(ref_name) or {}
    pub_col = " | per core vs rustls published" if published else ""
    print(f"| server | handshakes/s | p50 µs | p99 µs | CPU µs/handshake "
          f"| handshakes per server CPU-second | handshakes/s vs {ref_name} "
          f"| CPU vs {ref_name}{pub_col} | server CPU busy | loadgen CPU busy | runs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if published else "")
          + "---:|---:|---:|")
    for s in servers:
        r = rows[s]
        if r is None:
            print(f"| {s} | FAILED | - | - | - | - | - | - |" + (" - |" if published else "")
                  + " - | - | 0 |")
            continue
        pub = f" {ratio(r['core'], published)} |" if published else ""
        print(
            f"| {s} | {fmt(r['hps'], 0)} | {fmt(r['p50'], 0)} | {fmt(r['p99'], 0)} "
            f"| {fmt(r['cpu'], 1)} | {fmt(r['core'], 0)} | {ratio(r['hps'], ref.get('hps'))} "
            f"| {ratio(r['cpu'], ref.get('cpu'))} |{pub} {pct(r['util'])} | {pct(r['lutil'])} "
            f"| {r['n']} |"
        )
    return print_failures(failures)


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
    if len(argv) >= 2 and argv[0] in ("table", "handshakes"):
        cmd, results, rest = argv[0], argv[1], argv[2:]
        opts = {"--ref": None, "--published": None}
        while len(rest) >= 2 and rest[0] in opts:
            opts[rest[0]] = rest[1]
            rest = rest[2:]
        if cmd == "table":
            return table(results, rest, opts["--ref"] or "tokio")
        published = float(opts["--published"]) if opts["--published"] else None
        return handshake_table(results, rest, opts["--ref"] or "tokio", published)
    if len(argv) == 3 and argv[0] == "write-section":
        write_section(argv[1], argv[2])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

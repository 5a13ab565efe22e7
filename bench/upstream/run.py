"""Upstream Kiwi's bench/bench.kiwi, run unchanged by kiwi-rs, next to bench/upstream/bench.py
(the same sections written in Python 3).

Usage: python3 bench/upstream/run.py UPSTREAM_DIR
  UPSTREAM_DIR  a work tree of github.com/fuseraft/kiwi (fetched outside this repository; CI
                does not run this). Its bench/bench.kiwi runs from that directory, as its
                header asks.
Environment: KIWI (binary; default: cargo build --release, then target/release/kiwi),
  PYTHON (default: the real executable behind python3), RUNS (process runs of each side,
  alternating; default 3), WRITE=1 (also put the report into bench/RESULTS.md).

Both sides time each section in-process: 3 untimed calls, then 50 timed ones (upstream's
`bench::run_all(50, 3)`); the report takes each section's median over the 50, then the median
of that over the RUNS process runs. A section missing on either side fails the run.
"""

import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from binaries import kiwi_binary, real_python  # noqa: E402
import write_section  # noqa: E402
ROW = re.compile(r"^(\S.*?)\s{2,}(\d+)\s+([\d.]+)ms\s+([\d.]+)ms")


def summary(text):
    """{section: median ms} from the lines after 'Benchmark Summary'."""
    rows = {}
    after = text.split("Benchmark Summary", 1)
    if len(after) < 2:
        return rows
    for line in after[1].splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1).strip()] = float(m.group(4))
    return rows


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    rows = summary(p.stdout)
    if not rows:
        sys.exit(f"{' '.join(cmd)} printed no summary:\n{p.stdout[-2000:]}")
    return rows


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    upstream = os.path.abspath(sys.argv[1])
    script = os.path.join(upstream, "bench", "bench.kiwi")
    if not os.path.isfile(script):
        sys.exit(f"no {script}")
    kiwi = kiwi_binary(ROOT)
    python = real_python()
    runs = int(os.environ.get("RUNS", "3"))

    kiwi_runs, py_runs = [], []
    for _ in range(runs):
        kiwi_runs.append(run([kiwi, "bench/bench.kiwi"], upstream))
        py_runs.append(run([python, os.path.join(HERE, "bench.py")], HERE))
    sections = list(kiwi_runs[0])
    missing = [s for s in sections if any(s not in r for r in kiwi_runs + py_runs)]
    extra = [s for s in py_runs[0] if s not in sections]
    if missing or extra:
        sys.exit(f"sections differ: missing {missing}, extra in Python {extra}")

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    upstream_commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=upstream, capture_output=True, text=True
    ).stdout.strip() or "unknown (not a git work tree)"
    pyver = subprocess.run([python, "-V"], capture_output=True, text=True).stdout.strip()
    out = [
        "## Upstream's bench/bench.kiwi, unchanged (bench/upstream/run.py)",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- kiwi: workspace HEAD {commit}; upstream bench.kiwi at {upstream_commit}",
        f"- python: {pyver}, running bench/upstream/bench.py (the same sections)",
        f"- machine: {os.cpu_count()} CPU(s), {platform.machine()}, Linux {platform.release()}",
        f"- each section: 3 warm-up calls, median of 50 timed calls in-process; median of {runs} "
        "alternating process runs",
        "",
        "| section | kiwi (ms) | CPython (ms) | kiwi/CPython |",
        "|---|---:|---:|---:|",
    ]
    ratios = []
    for s in sections:
        k = statistics.median(r[s] for r in kiwi_runs)
        p = statistics.median(r[s] for r in py_runs)
        ratio = k / p if p > 0 else float("nan")
        if p > 0 and k > 0:
            ratios.append(ratio)
        out.append(f"| {s} | {k:.3f} | {p:.3f} | {ratio:.2f} |")
    geo = statistics.geometric_mean(ratios) if ratios else float("nan")
    out += [
        "",
        f"Geometric mean of the ratios: **{geo:.2f}** ({len(ratios)} sections). A ratio > 1 "
        "means kiwi is slower. Sections under 0.01 ms are at the timers' resolution.",
    ]
    report = "\n".join(out)
    print(report)
    if os.environ.get("WRITE") == "1":
        write_section.write(os.path.join(ROOT, "bench", "RESULTS.md"), "bench/upstream/run.py", report)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Cost of single operations, kiwi against CPython: where an interpreter workload's time goes.

Each operation is one statement put in the body of the same counted `while` loop, in a Kiwi
program and its Python twin (both print the same checksum, which is checked). The loop with an
empty body is measured too; an operation's cost is (its loop's time - the empty loop's time)
/ iterations, so start-up and the loop's own counting drop out.

Usage: python3 bench/interp/ops.py            (builds target/release/kiwi unless KIWI is set)
Environment: KIWI=/path/to/kiwi, PYTHON=/path/to/python3 (default: the real executable behind
python3), RUNS=5 alternating runs per program (medians), N=3000000 iterations,
OPS="call getter" a subset, INSTR=1 also counts kiwi's instructions per operation with
callgrind (N/10 iterations), WRITE=1 puts the report into its section of bench/RESULTS.md.
"""

import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from binaries import kiwi_binary, real_python  # noqa: E402
import write_section  # noqa: E402

KIWI_PROGRAM = """\
struct P
  fn new(x, y)
    @x = x
    @y = y
  end
  fn nop()
  end
  fn getx()
    @x
  end
  fn setx(v)
    @x = v
  end
end

fn ident(a)
  return a
end

fn main()
  p = P.new(1, 2)
  h = {"a": 1, "b": 2}
  l = [1, 2, 3]
  t = 0
  i = 0
  while i < {n} do
    {body}
    i += 1
  end
  println p.x + t
end

main()
"""

PYTHON_PROGRAM = """\
class P:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def nop(self):
        pass

    def getx(self):
        return self.x

    def setx(self, v):
        self.x = v


def ident(a):
    return a


def main():
    p = P(1, 2)
    h = {{"a": 1, "b": 2}}
    l = [1, 2, 3]
    t = 0
    i = 0
    while i < {n}:
        {body}
        i += 1
    print(p.x + t)


main()
"""

# name, what it is, Kiwi statement, Python statement
OPS = [
    ("empty", "the loop alone (i < n, i += 1)", "", "pass"),
    ("call", "call a method with an empty body", "p.nop()", "p.nop()"),
    ("getter", "call a getter method (t = p.getx())", "t = p.getx()", "t = p.getx()"),
    ("setter", "call a setter method (p.setx(i))", "p.setx(i)", "p.setx(i)"),
    ("construct", "construct an instance of two variables", "q = P.new(i, i)", "q = P(i, i)"),
    ("read", "read an instance variable (t = p.x)", "t = p.x", "t = p.x"),
    ("write", "write an instance variable (p.x = i)", "p.x = i", "p.x = i"),
    ("function", "call a top-level function (t = ident(i))", "t = ident(i)", "t = ident(i)"),
    ("map", "read a hashmap by a literal key (t = h[\"a\"])", 't = h["a"]', 't = h["a"]'),
    ("list", "read a list element (t = l[1])", "t = l[1]", "t = l[1]"),
]


def write_programs(tmp, n):
    """(name, kiwi path, python path) for every selected operation, written for n iterations."""
    wanted = os.environ.get("OPS", "").split()
    out = []
    for name, _, kiwi_body, py_body in OPS:
        if wanted and name not in wanted and name != "empty":
            continue
        kp = os.path.join(tmp, f"{name}_{n}.kiwi")
        pp = os.path.join(tmp, f"{name}_{n}.py")
        with open(kp, "w") as f:
            f.write(KIWI_PROGRAM.replace("{n}", str(n)).replace("{body}", kiwi_body))
        with open(pp, "w") as f:
            f.write(PYTHON_PROGRAM.format(n=n, body=py_body))
        out.append((name, kp, pp))
    return out


def medians(kiwi, python, programs, runs):
    """Median seconds of each program, run round-robin; every program's output is checked
    against its twin's."""
    times = {p: [] for _, k, py in programs for p in (k, py)}
    outputs = {}
    for _ in range(runs):
        for _, k, py in programs:
            for argv, path in (([kiwi, k], k), ([python, py], py)):
                start = time.perf_counter()
                proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
                times[path].append(time.perf_counter() - start)
                if proc.returncode != 0:
                    sys.exit(f"ops.py: {' '.join(argv)} failed:\n{proc.stderr}")
                outputs[path] = proc.stdout
    for name, k, py in programs:
        if outputs[k] != outputs[py]:
            sys.exit(f"ops.py: {name}: kiwi printed {outputs[k]!r}, CPython {outputs[py]!r}")
    return {path: sorted(ts)[len(ts) // 2] for path, ts in times.items()}


def instructions(kiwi, path):
    """Instructions of one whole kiwi run (callgrind)."""
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", kiwi, path],
        capture_output=True, text=True, check=True,
    )
    for line in proc.stderr.splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1])
    sys.exit(f"ops.py: no callgrind count for {path}")


def main():
    runs = int(os.environ.get("RUNS", "5"))
    n = int(os.environ.get("N", "3000000"))
    count = os.environ.get("INSTR") == "1"
    python = real_python()
    kiwi = kiwi_binary(ROOT)
    pyver = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        programs = write_programs(tmp, n)
        med = medians(kiwi, python, programs, runs)
        instr = {}
        if count:
            small = n // 10
            for name, k, _ in write_programs(tmp, small):
                instr[name] = instructions(kiwi, k)
    what = {name: text for name, text, _, _ in OPS}
    base_k = med[programs[0][1]]
    base_p = med[programs[0][2]]
    rows = []
    for name, k, py in programs:
        if name == "empty":
            kns, pns = base_k / n * 1e9, base_p / n * 1e9
        else:
            kns = (med[k] - base_k) / n * 1e9
            pns = (med[py] - base_p) / n * 1e9
        ratio = f"{kns / pns:.2f}" if pns > 0.5 and kns > 0.5 else "-"
        row = f"| {what[name]} | {kns:.1f} | {pns:.1f} | {ratio} |"
        if count:
            if name == "empty":
                per = instr[name] / (n // 10)
            else:
                per = (instr[name] - instr["empty"]) / (n // 10)
            row += f" {per:,.0f} |"
        rows.append(row)
    head = "| operation | kiwi (ns) | CPython (ns) | kiwi/CPython |"
    rule = "|---|---:|---:|---:|"
    if count:
        head += " kiwi instructions |"
        rule += "---:|"
    report = "\n".join([
        "## Single operations, kiwi against CPython (bench/interp/ops.py)",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}",
        f"- kiwi: {kiwi}; CPython {pyver} ({python})",
        f"- {n:,} iterations of one statement in a counted `while` loop; the empty loop's time "
        f"taken off; median of {runs} alternating runs"
        + ("; instructions: callgrind, the same per iteration over N/10" if count else ""),
        "",
        head,
        rule,
        *rows,
        "",
        "The first row is a whole iteration of the empty loop, process start-up included. A "
        "'-' ratio: a cost below what this method tells from noise (under 0.5 ns).",
    ])
    print(report)
    if os.environ.get("WRITE") == "1":
        write_section.write(os.path.join(ROOT, "bench", "RESULTS.md"), "bench/interp/ops.py", report)
        print("wrote the bench/interp/ops.py section of bench/RESULTS.md", file=sys.stderr)


if __name__ == "__main__":
    main()

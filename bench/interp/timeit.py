#!/usr/bin/env python3
"""Run commands alternately N times each, report median wall times, check outputs.

Usage:
    timeit.py [-n RUNS] [--timeout SECONDS] [--expect TEXT] [-v] -- CMD [CMD ...]

Each CMD is one argument, split with shlex (no shell). The commands run
round-robin (A, B, A, B, ...) so that machine noise hits all of them alike.
Every run must exit 0 and print exactly the same stdout as every other run
of every command (and equal TEXT + "\\n" when --expect is given).

stdout: one line, the median seconds of each command, tab-separated, in the
order given (e.g. "0.412337\t0.371020"), or FAIL for a command that failed
(a failed command is not run again; the others go on). With -v, every single
time goes to stderr too.

Exit status: 0 all good; 1 an output mismatch, a non-zero exit, or a timeout
(explained on stderr); 2 bad usage.
"""

import argparse
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv, timeout):
    """Run argv once; return (seconds, stdout, problem-or-None)."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return timeout, "", f"timed out after {timeout:g} s"
    except OSError as exc:
        return 0.0, "", f"cannot run: {exc}"
    elapsed = time.perf_counter() - start
    out = proc.stdout.decode("utf-8", errors="replace")
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", errors="replace").strip()
        tail = "\n".join(err.splitlines()[-5:])
        return elapsed, out, f"exit code {proc.returncode}; stderr:\n{tail}"
    return elapsed, out, None


def short(text, limit=200):
    text = repr(text)
    return text if len(text) <= limit else text[:limit] + "...'"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--runs", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="seconds allowed per single run (default 600)")
    ap.add_argument("--expect", default=None,
                    help="required stdout, without the trailing newline")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("commands", nargs="+", help="commands, one argument each")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    cmds = [shlex.split(c) for c in args.commands]
    if any(not c for c in cmds):
        ap.error("empty command")
    times = [[] for _ in cmds]
    reference = None if args.expect is None else args.expect + "\n"
    ref_source = "--expect"

    dead = [False] * len(cmds)  # a command that failed once is not run again
    for r in range(args.runs):
        for i, argv in enumerate(cmds):
            if dead[i]:
                continue
            secs, out, problem = run_once(argv, args.timeout)
            label = args.commands[i]
            if problem is None:
                if reference is None:
                    reference, ref_source = out, label
                elif out != reference:
                    problem = (f"output mismatch: got {short(out)}, "
                               f"expected {short(reference)} (from {ref_source})")
            if args.verbose:
                print(f"  run {r + 1} [{label}]: {secs:.4f} s", file=sys.stderr)
            if problem is not None:
                print(f"timeit: [{label}] run {r + 1}: {problem}", file=sys.stderr)
                dead[i] = True
                continue
            times[i].append(secs)

    print("\t".join("FAIL" if dead[i] else f"{statistics.median(t):.6f}"
                    for i, t in enumerate(times)))
    return 1 if any(dead) else 0


if __name__ == "__main__":
    sys.exit(main())

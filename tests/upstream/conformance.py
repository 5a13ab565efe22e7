"""The conformance runner behind tests/upstream/run.sh (see there for usage).

For each upstream test file, a driver script includes the file (its `@tester::test`
decorators register the tests with upstream's tester package, loaded from KIWI_STDLIB),
runs `tester::run_tests()` and prints how many passed. The tester prints one
"Running test: NAME ... PASSED|FAILED" line per test, so a file that stops half way
still counts the tests that passed before it stopped. A file's total is the number of
`@tester::test` decorators in it (or the number of tests that ran, if larger).
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

# Top-level names are globals inside functions too, so the driver's own names must not be
# names the tests use.
DRIVER = """__conformance_results = null
include "{path}"
__conformance_results = tester::run_tests()
__conformance_passed = 0
for __conformance_r in __conformance_results do
  __conformance_passed += 1 when __conformance_r["result"]
end
println "CONFORMANCE ${{__conformance_passed}} ${{__conformance_results.size()}}"
"""

RESULT = re.compile(r"^Running test: (.*?)\s+(PASSED|FAILED) in", re.M)
SUMMARY = re.compile(r"^CONFORMANCE (\d+) (\d+)$", re.M)


def declared_tests(path):
    """Top-level `@tester::test` decorators (one written inside a test function registers a
    test while the tests run, which the tester's snapshot of names never runs)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        return sum(1 for line in f if line.startswith("@tester::test"))


def first_error(stderr):
    for line in stderr.splitlines():
        if line.strip():
            return line.strip()[:110]
    return ""


def run_file(kiwi, upstream, timeout, path, workdir):
    driver = os.path.join(workdir, "driver_" + os.path.basename(path))
    with open(driver, "w", encoding="utf-8") as f:
        f.write(DRIVER.format(path=path.replace("\\", "/").replace('"', '\\"')))
    env = dict(os.environ, KIWI_STDLIB=os.path.join(upstream, "lib"))
    if os.environ.get("OWN_LIB") == "1":
        # Mode 2: kiwi-rs's own packages only (its own tester), no upstream files at all.
        env.pop("KIWI_STDLIB", None)
    try:
        out = subprocess.run([kiwi, driver], cwd=upstream, env=env, capture_output=True,
                             text=True, errors="replace", timeout=timeout)
        stdout, stderr, code = out.stdout, out.stderr, out.returncode
    except subprocess.TimeoutExpired as e:
        stdout = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        stderr, code = f"timed out after {timeout} s", None
    ran = RESULT.findall(stdout)
    passed = sum(1 for _, verdict in ran if verdict == "PASSED")
    total = max(declared_tests(path), len(ran))
    # The tester's own count, when the driver got that far: a test that prints in the middle
    # of its report line (a table it displays) is not seen by RESULT but is counted there.
    counted = SUMMARY.search(stdout)
    if counted:
        passed = int(counted.group(1))
        total = max(declared_tests(path), int(counted.group(2)))
    if code == 0 and "CONFORMANCE" in stdout:
        status = "ok" if passed == total else "test failures"
        if passed != total:
            failed = [name for name, verdict in ran if verdict == "FAILED"]
            status += ": " + ", ".join(failed)[:110]
    else:
        status = "error: " + (first_error(stderr) or f"exit {code}")
    return passed, total, status


def main():
    kiwi, upstream, timeout, name_filter = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    files = sorted(glob.glob(os.path.join(upstream, "tests/lib/suite/*.kiwi")))
    files += sorted(glob.glob(os.path.join(upstream, "tests/lib/stdlib/*.kiwi")))
    files = [f for f in files if name_filter in os.path.basename(f)]
    rows, all_passed, all_total, clean = [], 0, 0, 0
    with tempfile.TemporaryDirectory(prefix="kiwi-conformance-") as workdir:
        for path in files:
            passed, total, status = run_file(kiwi, upstream, timeout, path, workdir)
            rel = os.path.relpath(path, os.path.join(upstream, "tests/lib"))
            rows.append(f"| {rel} | {passed} | {total} | {status.replace('|', '/')} |")
            all_passed += passed
            all_total += total
            clean += passed == total
            print(rows[-1], file=sys.stderr, flush=True)
    print("| file | passed | tests | status |")
    print("|---|---:|---:|---|")
    print("\n".join(rows))
    print()
    print(f"total: {all_passed} of {all_total} tests passed; {clean} of {len(files)} files pass completely")


main()

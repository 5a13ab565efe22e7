"""The two interpreters the Python benchmark scripts in bench/ compare (one definition for all).

`kiwi_binary(root)`: $KIWI, or target/release/kiwi after `cargo build --release -p kiwi-cli`.
`real_python()`: $PYTHON, or the real executable behind `python3` (not a version manager's
shim, whose start-up would be timed).
"""
import os
import subprocess
import sys


def kiwi_binary(root):
    """Absolute path of the kiwi binary to benchmark."""
    kiwi = os.environ.get("KIWI")
    if not kiwi:
        print("building kiwi-cli (release)...", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "kiwi-cli"], cwd=root, check=True)
        kiwi = os.path.join(root, "target", "release", "kiwi")
    return os.path.abspath(kiwi)


def real_python():
    """The CPython executable to benchmark."""
    return os.environ.get("PYTHON") or subprocess.run(
        ["python3", "-c", "import sys; print(sys.executable)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()

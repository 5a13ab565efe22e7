"""Puts a benchmark's report into its own section of bench/RESULTS.md, between
`<!-- SCRIPT: begin -->` and `<!-- SCRIPT: end -->`, replacing what was there (or appending the
section); the other sections are kept.

Usage: python3 bench/write_section.py RESULTS.md SCRIPT REPORT
From Python (a benchmark script in bench/): `write_section.write(path, script, report)`.
"""
import sys


def write(path, script, report):
    """Replaces (or appends) the section of `script` in the file at `path` with `report`."""
    begin, end = f"<!-- {script}: begin -->", f"<!-- {script}: end -->"
    text = open(path).read()
    block = f"{begin}\n{report}\n{end}"
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    open(path, "w").write(text)


if __name__ == "__main__":
    write(sys.argv[1], sys.argv[2], sys.argv[3])

# The CPython that the shell benchmarks timing whole processes compare against (sourced).
# PYTHON: the real executable behind `python3` unless set (a pyenv shim's start-up would be
# timed). PYFLAGS: its options, `-S` unless set (`PYFLAGS=` for none): no `site` import,
# whose .pth files can run anything at every start (bench/README.md).
PYTHON="${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}"
PYFLAGS="${PYFLAGS--S}"

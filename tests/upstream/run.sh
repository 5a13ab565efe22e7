#!/usr/bin/env bash
# Upstream conformance: runs every test file of upstream Kiwi's own suite
# (tests/lib/suite/*.kiwi and tests/lib/stdlib/*.kiwi) through upstream's lib/tester.kiwi,
# found on the standard-library path (KIWI_STDLIB=<upstream>/lib), and prints how many of
# each file's tests pass, as a Markdown table, then the total.
#
# Usage: tests/upstream/run.sh UPSTREAM_DIR [FILE_FILTER]
#   UPSTREAM_DIR  a work tree of github.com/fuseraft/kiwi (not vendored here; fetch it
#                 outside the repo, e.g. git archive into /tmp/kiwi-upstream)
#   FILE_FILTER   only files whose name contains this
# Knobs: KIWI=/path/to/kiwi (default: target/release/kiwi, built if missing),
#        TIMEOUT=60 (seconds per file),
#        OWN_LIB=1 (no upstream files at all: kiwi-rs's own packages, its own tester).
# Exit status 0 when it ran (whatever passed); 2 on a usage error.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
UP="${1:-}"
FILTER="${2:-}"
if [[ -z "$UP" || ! -f "$UP/lib/tester.kiwi" || ! -d "$UP/tests/lib/suite" ]]; then
  echo "usage: $0 UPSTREAM_DIR [FILE_FILTER]  (UPSTREAM_DIR must hold lib/tester.kiwi and tests/lib/suite)" >&2
  exit 2
fi
UP="$(cd "$UP" && pwd)"
if [[ -z "${KIWI:-}" ]]; then
  KIWI="$ROOT/target/release/kiwi"
  [[ -x "$KIWI" ]] || (cd "$ROOT" && cargo build --release -p kiwi-cli >&2)
fi
exec python3 "$HERE/conformance.py" "$KIWI" "$UP" "${TIMEOUT:-60}" "$FILTER"

#!/usr/bin/env bash
# A profile-guided (PGO) release build of the kiwi binary.
#
# 1. builds kiwi instrumented (-Cprofile-generate) into target/pgo-gen;
# 2. runs it over the repository's own script corpus (tests/scripts, the directories below:
#    no network, no benchmark program), which writes raw profiles;
# 3. merges them with llvm-profdata (the Rust toolchain's llvm-tools component; installed with
#    rustup when missing);
# 4. builds kiwi again with -Cprofile-use into target/pgo: target/pgo/release/kiwi.
#
# The bench/ programs are not in the training set, so benchmarks of the result measure code
# the profile did not see. Figures: bench/RESULTS.md, "Profile-guided build".
# Environment: PGO_DIRS="operators functions ..." training directories under tests/scripts.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIRS="${PGO_DIRS:-operators functions objects lists hashmaps strings control values numbers scope errors lexical printing programs modules packages stdlib bytes channels tasks}"
WORK="$ROOT/target/pgo-data"

host="$(rustc -vV | sed -n 's/^host: //p')"
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [[ ! -x "$profdata" ]]; then
  echo "pgo-build: installing the llvm-tools component (for llvm-profdata)..." >&2
  rustup component add llvm-tools >&2
fi
if [[ ! -x "$profdata" ]]; then
  echo "pgo-build: llvm-profdata not found at $profdata" >&2
  exit 1
fi

rm -rf "$WORK"
mkdir -p "$WORK/raw"

echo "pgo-build: instrumented build (target/pgo-gen)..." >&2
(cd "$ROOT" && CARGO_TARGET_DIR="$ROOT/target/pgo-gen" \
  RUSTFLAGS="-Cprofile-generate=$WORK/raw" cargo build --release -q -p kiwi-cli)

echo "pgo-build: training on tests/scripts ($DIRS)..." >&2
ran=0
for d in $DIRS; do
  for script in "$ROOT"/tests/scripts/"$d"/*.kiwi; do
    [[ -f "$script" ]] || continue
    # Scripts that fail on purpose (error tests) are part of the training too.
    (cd "$(dirname "$script")" && timeout 20 "$ROOT/target/pgo-gen/release/kiwi" "$script" \
      </dev/null >/dev/null 2>&1) || true
    ran=$((ran + 1))
  done
done
if ! compgen -G "$WORK/raw/*.profraw" >/dev/null; then
  echo "pgo-build: the training runs wrote no profile" >&2
  exit 1
fi
echo "pgo-build: $ran scripts run" >&2

"$profdata" merge -o "$WORK/merged.profdata" "$WORK"/raw/*.profraw

echo "pgo-build: optimized build (target/pgo)..." >&2
(cd "$ROOT" && CARGO_TARGET_DIR="$ROOT/target/pgo" \
  RUSTFLAGS="-Cprofile-use=$WORK/merged.profdata" cargo build --release -q -p kiwi-cli)
echo "$ROOT/target/pgo/release/kiwi"

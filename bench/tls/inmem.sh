#!/usr/bin/env bash
# inmem.sh: rustls's own TLS 1.3 full-handshake rate on THIS machine, in memory,
# server side only (bench/tls/handshake_inmem), measured the way rustls's published
# figures are, next to those figures and to kiwi's handshakes per server CPU-second
# over TCP (bench/tls/run.sh).
#   RUNS=5          runs per (key type, provider); the table gives the median
#   N_ECDSA=2000    handshakes per ECDSA P-256 run
#   N_RSA=500       handshakes per RSA-2048 run
#   PROVIDERS="ring aws-lc-rs"   aws-lc-rs is skipped if it does not build
#   KIWI_ECDSA= KIWI_RSA=        kiwi's handshakes per server CPU-second over TCP;
#                 default: the kiwi rows of the bench/tls/run.sh sections of
#                 bench/RESULTS.md
#   BIN=path      use this handshake-inmem binary, no build
#   WRITE=1       also put the report into bench/RESULTS.md (section
#                 `<!-- bench/tls/inmem.sh: begin/end -->`)
#   SCHED=fifo|normal   fifo (default when root): chrt -f 1; always taskset -c 0
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
RUNS="${RUNS:-5}"
N_ECDSA="${N_ECDSA:-2000}"
N_RSA="${N_RSA:-500}"
PROVIDERS="${PROVIDERS:-ring aws-lc-rs}"
PY="${PYTHON:-python3}"

if [ -z "${BIN:-}" ]; then
  BIN="$ROOT/target/release/handshake-inmem"
  if [[ " $PROVIDERS " == *" aws-lc-rs "* ]]; then
    if ! cargo build --release -q -p kiwi-bench-handshake-inmem --features aws-lc-rs >&2; then
      echo "inmem.sh: aws-lc-rs does not build here; ring only" >&2
      PROVIDERS="${PROVIDERS//aws-lc-rs/}"
      cargo build --release -q -p kiwi-bench-handshake-inmem >&2
    fi
  else
    cargo build --release -q -p kiwi-bench-handshake-inmem >&2
  fi
fi

SCHED="${SCHED:-$([ "$(id -u)" = 0 ] && echo fifo || echo normal)}"
PIN=(taskset -c 0)
[ "$SCHED" = fifo ] && PIN+=(chrt -f 1)

TMP="$(mktemp -d "${TMPDIR:-/tmp}/kiwi-inmem.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
bash "$ROOT/bench/tls/gen_certs.sh" "$TMP/rsa" rsa 2>/dev/null

loadavg="$(cut -d' ' -f1-3 /proc/loadavg)"
results="$TMP/results.txt"
: >"$results"
# Interleaved: every round runs every (key, provider) once.
for ((r = 1; r <= RUNS; r++)); do
  for key in ecdsa rsa; do
    for p in $PROVIDERS; do
      if [ "$key" = ecdsa ]; then args=(--key ecdsa -n "$N_ECDSA"); else args=(--key rsa --certs "$TMP/rsa" -n "$N_RSA"); fi
      line="$("${PIN[@]}" "$BIN" --provider "$p" "${args[@]}")"
      [ -n "${VERBOSE:-}" ] && echo "$line" >&2
      echo "$line" >>"$results"
    done
  done
done

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
head="$(git rev-parse --short HEAD)"
report="$("$PY" - "$results" "$ROOT/bench/RESULTS.md" <<PYEOF
import os, re, statistics, sys
PUBLISHED = {"ecdsa": 8325.74, "rsa": 2544.31}
KEYNAME = {"ecdsa": "ECDSA P-256", "rsa": "RSA-2048"}
runs = {}
for line in open(sys.argv[1]):
    kv = dict(f.split("=", 1) for f in line.split())
    runs.setdefault((kv["key"], kv["provider"]), []).append(float(kv["server_handshakes_per_sec"]))

def kiwi_from_results(section):
    """kiwi's 'handshakes per server CPU-second' from a bench/tls/run.sh section."""
    try:
        text = open(sys.argv[2]).read()
    except OSError:
        return None
    m = re.search(re.escape(f"<!-- {section}: begin -->") + "(.*?)" + re.escape(f"<!-- {section}: end -->"), text, re.S)
    if not m:
        return None
    in_hs = False
    for row in m.group(1).splitlines():
        if row.startswith("### Full TLS 1.3 handshakes"):
            in_hs = True
        if in_hs and row.startswith("| kiwi |"):
            return float(row.split("|")[6].strip().replace(",", ""))
    return None

kiwi = {}
for key, env, section in (("ecdsa", "KIWI_ECDSA", "bench/tls/run.sh"), ("rsa", "KIWI_RSA", "bench/tls/run.sh KEY=rsa")):
    if os.environ.get(env):
        kiwi[key] = (float(os.environ[env]), f"{env}")
    else:
        v = kiwi_from_results(section)
        if v is not None:
            kiwi[key] = (v, f"bench/RESULTS.md, section {section}")

print("## rustls TLS 1.3 full handshakes in memory, this machine (bench/tls/inmem.sh)")
print()
print(f"- date: $(date -u '+%Y-%m-%d %H:%M UTC'), workspace HEAD $head")
print(f"- machine: $(nproc) CPU(s), $cpu, Linux $(uname -r); pinned to CPU 0; scheduling: $SCHED; load average before the run: $loadavg")
print("- bench/tls/handshake_inmem: rustls 0.23 client and server connections exchanging bytes through a Vec, no sockets; TLS 1.3 only, "
      "TLS13_AES_256_GCM_SHA384, X25519, no resumption (no session storage, no tickets), server certificate signed by a throw-away CA "
      "(ECDSA P-256 from rcgen; RSA-2048 from bench/tls/gen_certs.sh); timed: the server's ServerConnection::new, read_tls, "
      "process_new_packets, write_tls")
print(f"- median of $RUNS interleaved runs; $N_ECDSA handshakes per ECDSA run, $N_RSA per RSA run (after a short warm-up)")
print()
print("| key type | provider | server handshakes/s in memory, this machine | min–max | rustls published (aws-lc-rs, Xeon E-2386G) | this machine / published |")
print("|---|---|---:|---:|---:|---:|")
med = {}
for key in ("ecdsa", "rsa"):
    for p in "$PROVIDERS".split():
        v = runs.get((key, p))
        if not v:
            continue
        med[(key, p)] = m = statistics.median(v)
        print(f"| {KEYNAME[key]} | {p} | {m:,.0f} | {min(v):,.0f}–{max(v):,.0f} | {PUBLISHED[key]:,.2f} | {m / PUBLISHED[key]:.2f} |")
print()
print("Published: rustls.dev/perf/2024-10-18-report/ (rustls 0.23.15, aws-lc-rs, in memory, one thread, server side). "
      "Timing is wall time around each server call, as in rustls's tool; on this VM the spread between runs is large, "
      "so compare medians of one table only.")
print()
for key in ("ecdsa", "rsa"):
    if key in kiwi and (key, "ring") in med:
        v, src = kiwi[key]
        print(f"- kiwi over TCP, {KEYNAME[key]}: {v:,.0f} handshakes per server CPU-second ({src}) = "
              f"{v / med[(key, 'ring')]:.2f} of this machine's in-memory rustls+ring figure "
              f"({v / PUBLISHED[key]:.2f} of the published one). kiwi's figure includes accept, TCP, the event loop, "
              "one echo and the close; it was measured in another run, so the fraction carries that run's noise too.")
PYEOF
)"
echo "$report"
if [ -n "${WRITE:-}" ]; then
  echo "$report" | "$PY" "$ROOT/bench/echo/report.py" write-section "$ROOT/bench/RESULTS.md" "bench/tls/inmem.sh"
  echo "wrote the bench/tls/inmem.sh section of bench/RESULTS.md" >&2
fi

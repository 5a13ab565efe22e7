#!/usr/bin/env python3
"""HTTP, HTTP-client and UDP benchmarks: kiwi against its peers, in one run.

Server: wrk with keep-alive, 50 connections, one thread, GET /json (a small JSON body),
against kiwi's httpserver, Node.js `http`, aiohttp, uvicorn with a plain ASGI app, and a raw
hyper server (the limit). Each server is pinned to CPU 0 and wrk to CPU 1; runs are
interleaved (kiwi, node, ..., kiwi, node, ...) and medians reported, with the server's CPU time
from /proc. Workers: `kiwi --workers 1` and `--workers 2` (not pinned: on a 2-core machine the
load generator shares the cores), compared by requests per server CPU-second.
Client: 10,000 GETs over keep-alive against the hyper server, one at a time and 50 in flight,
kiwi's http client against aiohttp's. UDP: closed-loop echo, 50 sockets, 64-byte datagrams,
kiwi's udp package against a tokio UDP echo server.

Knobs (environment): RUNS=3, SECS=8, WARMUP=2, PARTS="server workers client udp",
SERVERS="kiwi node aiohttp uvicorn hyper", KIWI=path, WRITE=1 (put the report into
bench/RESULTS.md). Loopback only.
"""
import json, os, re, shutil, signal, socket, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUNS = int(os.environ.get("RUNS", "3"))
SECS = int(os.environ.get("SECS", "8"))
WARMUP = int(os.environ.get("WARMUP", "2"))
PARTS = os.environ.get("PARTS", "server workers client udp").split()
SERVERS = os.environ.get("SERVERS", "kiwi node aiohttp uvicorn hyper").split()
KIWI = os.environ.get("KIWI", os.path.join(ROOT, "target/release/kiwi"))
REL = os.path.join(ROOT, "target/release")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def prepare():
    if "KIWI" not in os.environ:
        sh(["cargo", "build", "--release", "-q", "-p", "kiwi-cli", "-p", "kiwi-bench-hyper-json",
            "-p", "kiwi-bench-tokio-udp-echo", "-p", "kiwi-loadgen"], cwd=ROOT)
    if not shutil.which("wrk"):
        sh(["apt-get", "install", "-y", "-qq", "wrk"])
    need = [m for m in ["aiohttp", "uvicorn", "uvloop", "httptools"]
            if subprocess.run([sys.executable, "-c", f"import {m}"], capture_output=True).returncode]
    if need:
        sh([sys.executable, "-m", "pip", "install", "-q", "aiohttp", "uvicorn[standard]"])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def cpu0_idle_steal():
    """CPU 0's idle and steal seconds so far (/proc/stat): idle while a pinned server is under
    load means it waited; steal means the hypervisor ran something else."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu0 "):
                v = [int(x) for x in line.split()[1:]]
                hz = os.sysconf("SC_CLK_TCK")
                return v[3] / hz, v[7] / hz
    return 0.0, 0.0


def server_cmd(name, port):
    return {
        "kiwi": [KIWI, os.path.join(HERE, "server.kiwi"), str(port)],
        "node": ["node", os.path.join(HERE, "node_server.js"), str(port)],
        "aiohttp": [sys.executable, os.path.join(HERE, "aiohttp_server.py"), str(port)],
        "uvicorn": [sys.executable, "-m", "uvicorn", "--app-dir", HERE, "asgi_app:app", "--host",
                    "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        "hyper": [os.path.join(REL, "hyper-json"), str(port)],
        "kiwi-w1": [KIWI, "--workers", "1", os.path.join(HERE, "server.kiwi"), str(port)],
        "kiwi-w2": [KIWI, "--workers", "2", os.path.join(HERE, "server.kiwi"), str(port)],
    }[name]


def wait_port(port, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen in time")


def start(cmd, cpu=None, port=None):
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    if port is not None:
        wait_port(port, proc)
    return proc


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def group_pids(proc):
    """The server process and its descendants (the workers of kiwi --workers)."""
    pids = [proc.pid]
    out = subprocess.run(["pgrep", "-g", str(os.getpgid(proc.pid))], capture_output=True, text=True)
    for line in out.stdout.split():
        if int(line) not in pids:
            pids.append(int(line))
    return pids


def unit(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    n, u = float(m.group(1)), m.group(2)
    return n / 1000 if u == "us" else (n if u == "ms" else n * 1000)


def wrk(port, wrk_cpu=1):
    url = f"http://127.0.0.1:{port}/json"
    pre = ["taskset", "-c", str(wrk_cpu)] if wrk_cpu is not None else []
    sh(pre + ["wrk", "-t1", "-c50", f"-d{WARMUP}s", url], capture_output=True)
    return pre + ["wrk", "-t1", "-c50", f"-d{SECS}s", "--latency", url]


def measure_server(name, cpu=0, wrk_cpu=1):
    port = free_port()
    proc = start(server_cmd(name, port), cpu, port)
    try:
        cmd = wrk(port, wrk_cpu)
        pids = group_pids(proc)
        c0 = cpu_seconds(pids)
        i0, s0 = cpu0_idle_steal()
        out = sh(cmd, capture_output=True, text=True).stdout
        i1, s1 = cpu0_idle_steal()
        c1 = cpu_seconds(pids)
    finally:
        stop(proc)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = unit(re.search(r"\n\s+99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    cpu = c1 - c0
    return {"rps": rps, "p99_ms": p99, "cpu_s": cpu, "per_cpu_s": rps * SECS / cpu if cpu else 0,
            "idle_s": i1 - i0, "steal_s": s1 - s0, "errors": errors.group(0) if errors else ""}


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def part_server(report):
    res = {s: [] for s in SERVERS}
    for run in range(RUNS):
        for s in SERVERS:
            r = measure_server(s)
            print(f"  run {run + 1} {s}: {r}", file=sys.stderr)
            res[s].append(r)
    report.append("| server | requests/s | p99 (ms) | server CPU (s) | CPU 0 idle / steal (s) | requests per CPU-second | vs Node (req/s) |")
    report.append("|---|---:|---:|---:|---:|---:|---:|")
    node = med(res["node"], "rps") if "node" in res else None
    for s in SERVERS:
        rows = res[s]
        ratio = f"{med(rows, 'rps') / node:.2f}" if node else ""
        errs = "; ".join(sorted({r["errors"] for r in rows if r["errors"]}))
        report.append(f"| {s} | {med(rows, 'rps'):,.0f} | {med(rows, 'p99_ms'):.2f} | "
                      f"{med(rows, 'cpu_s'):.2f} | {med(rows, 'idle_s'):.2f} / {med(rows, 'steal_s'):.2f} | "
                      f"{med(rows, 'per_cpu_s'):,.0f} | {ratio} |"
                      + (f" errors: {errs}" if errs else ""))
    report.append("")
    report.append("Runs (requests/s, with CPU 0 steal seconds): " + "; ".join(
        f"{s} " + ", ".join(f"{r['rps']:,.0f} ({r['steal_s']:.2f})" for r in res[s]) for s in SERVERS))
    if "kiwi" in res and "node" in res:
        report.append("")
        report.append(paired("kiwi / Node requests/s", res["kiwi"], res["node"], "rps", 1.5))
    return res


def paired(what, ours, peer, key, target):
    """The ratio run by run (each kiwi run against the peer's run next to it) and its median:
    steadier than the ratio of the two medians when the host's speed drifts between runs."""
    ratios = [a[key] / b[key] for a, b in zip(ours, peer)]
    shown = ", ".join(f"{r:.2f}" for r in ratios)
    return (f"{what}, run by run: {shown}; median **{statistics.median(ratios):.2f}** "
            f"(target >= {target}).")


def part_workers(report):
    res = {"kiwi-w1": [], "kiwi-w2": []}
    for run in range(RUNS):
        for s in res:
            r = measure_server(s, cpu=None, wrk_cpu=None)
            print(f"  run {run + 1} {s}: {r}", file=sys.stderr)
            res[s].append(r)
    report.append("| kiwi --workers | requests/s | p99 (ms) | server CPU (s) | requests per server CPU-second |")
    report.append("|---|---:|---:|---:|---:|")
    for s, rows in res.items():
        report.append(f"| {s[-1]} | {med(rows, 'rps'):,.0f} | {med(rows, 'p99_ms'):.2f} | "
                      f"{med(rows, 'cpu_s'):.2f} | {med(rows, 'per_cpu_s'):,.0f} |")
    ratio = med(res["kiwi-w2"], "per_cpu_s") / med(res["kiwi-w1"], "per_cpu_s")
    report.append("")
    report.append(f"Requests per server CPU-second, 2 workers / 1 worker: **{ratio:.2f}** (target >= 0.85).")


def part_client(report):
    port = free_port()
    server = start(server_cmd("hyper", port), 0, port)
    url = f"http://127.0.0.1:{port}/json"
    n, c = 10000, 50
    res = {"kiwi": [], "aiohttp": []}
    try:
        for run in range(RUNS):
            for name, cmd in [("kiwi", [KIWI, os.path.join(HERE, "client.kiwi"), url, str(n), str(c)]),
                              ("aiohttp", [sys.executable, os.path.join(HERE, "client_aiohttp.py"), url, str(n), str(c)])]:
                out = sh(["taskset", "-c", "1"] + cmd, capture_output=True, text=True).stdout.split()
                r = {"seq": float(out[0]), "conc": float(out[1])}
                print(f"  run {run + 1} client {name}: {r}", file=sys.stderr)
                res[name].append(r)
    finally:
        stop(server)
    report.append(f"| client | {n:,} GETs one at a time (req/s) | {n:,} GETs, {c} in flight (req/s) |")
    report.append("|---|---:|---:|")
    for name, rows in res.items():
        report.append(f"| {name} | {med(rows, 'seq'):,.0f} | {med(rows, 'conc'):,.0f} |")
    report.append("")
    report.append(f"kiwi / aiohttp: one at a time **{med(res['kiwi'], 'seq') / med(res['aiohttp'], 'seq'):.2f}**, "
                  f"{c} in flight **{med(res['kiwi'], 'conc') / med(res['aiohttp'], 'conc'):.2f}** (above 1: kiwi is faster).")


def part_udp(report):
    res = {"kiwi": [], "tokio": []}
    for run in range(RUNS):
        for name in res:
            port = free_port()
            cmd = ([KIWI, os.path.join(ROOT, "bench/udp/echo.kiwi"), str(port)] if name == "kiwi"
                   else [os.path.join(REL, "tokio-udp-echo"), str(port)])
            proc = start(cmd, 0)
            time.sleep(0.5)
            try:
                out = sh(["taskset", "-c", "1", os.path.join(REL, "kiwi-udp-loadgen"), "--port", str(port),
                          "--secs", str(SECS), "--warmup-secs", str(WARMUP), "--server-pid", str(proc.pid)],
                         capture_output=True, text=True).stdout
            finally:
                stop(proc)
            r = json.loads(out)
            print(f"  run {run + 1} udp {name}: {r}", file=sys.stderr)
            res[name].append(r)
    report.append("| UDP echo server | datagrams/s | server CPU (s) | lost |")
    report.append("|---|---:|---:|---:|")
    for name, rows in res.items():
        report.append(f"| {name} | {med(rows, 'msgs_per_sec'):,.0f} | {med(rows, 'server_cpu_s'):.2f} | "
                      f"{sum(r['lost'] for r in rows)} |")
    report.append("")
    report.append(f"kiwi / tokio datagrams/s, ratio of the medians: {med(res['kiwi'], 'msgs_per_sec') / med(res['tokio'], 'msgs_per_sec'):.2f}.")
    report.append("")
    report.append(paired("kiwi / tokio datagrams/s", res["kiwi"], res["tokio"], "msgs_per_sec", 0.9))


def main():
    prepare()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    report = [f"## HTTP server, HTTP client and UDP (bench/http/run.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit})",
              "",
              f"{os.cpu_count()} CPUs, {RUNS} interleaved runs of {SECS} s (after {WARMUP} s warm-up), medians. "
              "Servers pinned to CPU 0, load generators to CPU 1 (workers: unpinned). Ratios are only "
              "comparable within this table.", ""]
    if "server" in PARTS:
        report.append("### Server: wrk -t1 -c50, keep-alive, GET /json")
        report.append("")
        part_server(report)
        report.append("")
    if "workers" in PARTS:
        report.append("### Every core: kiwi --workers 1 and 2")
        report.append("")
        part_workers(report)
        report.append("")
    if "client" in PARTS:
        report.append("### Client: 10,000 GETs over keep-alive against the hyper server")
        report.append("")
        part_client(report)
        report.append("")
    if "udp" in PARTS:
        report.append("### UDP echo: 50 sockets, 64-byte datagrams, closed loop")
        report.append("")
        part_udp(report)
        report.append("")
    text = "\n".join(report)
    print(text)
    if os.environ.get("WRITE") == "1":
        path = os.path.join(ROOT, "bench/RESULTS.md")
        old = open(path).read()
        title = "## HTTP server, HTTP client and UDP (bench/http/run.py"
        start_i = old.find(title)
        if start_i >= 0:
            end_i = old.find("\n## ", start_i + 1)
            old = old[:start_i] + (old[end_i + 1:] if end_i >= 0 else "")
        open(path, "w").write(old.rstrip("\n") + "\n\n" + text + "\n")


if __name__ == "__main__":
    main()

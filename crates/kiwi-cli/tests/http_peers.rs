//! HTTP, UDP and SMTP against independent peers: kiwi's httpserver driven by curl (HTTP/1.1
//! keep-alive, HTTP/2 prior knowledge, HTTPS with HTTP/2 by ALPN), Python httpx and hostile
//! raw-socket clients; kiwi's http client against Python's http.server and `openssl
//! s_server -www`; UDP against Python sockets; SMTP against aiosmtpd; `kiwi --workers`. All
//! traffic is on loopback, ports picked by the kernel, every wait bounded.

mod util;

use std::time::Duration;

use util::{example, kiwi, python, run_ok, tool_or_skip, Pki, Proc, TempDir, STEP};

const MINUTE: Duration = Duration::from_secs(60);

/// Starts a kiwi script that prints `listening <port>` (or the example's banner) first.
fn start_kiwi(name: &str, cmd: &mut std::process::Command) -> (Proc, u16) {
    let mut p = Proc::spawn(name, cmd);
    let line = p.line(STEP);
    let port = line
        .rsplit(':')
        .next()
        .and_then(|p| p.trim().parse::<u16>().ok())
        .or_else(|| line.split_whitespace().last().and_then(|p| p.parse().ok()))
        .unwrap_or_else(|| panic!("{name}: expected a port on the first line, got {line:?}"));
    (p, port)
}

/// True if Python can import `module` (a peer library .ci/run installs); under CI a missing
/// one fails the test, elsewhere it prints a SKIP line.
fn python_module_or_skip(module: &str, what: &str) -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return true;
    }
    assert!(
        !kiwi_testkit::under_ci(),
        "{what}: the Python module `{module}` is missing; CI must install it (see .ci/run)"
    );
    util::skip(
        what,
        &format!("the Python module `{module}` is not installed"),
    );
    false
}

/// Starts a Python peer that prints its port on its first line.
fn start_python(name: &str, code: &str, args: &[&str]) -> (Proc, u16) {
    let mut p = Proc::spawn(name, python(code).args(args));
    let line = p.line(STEP);
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("{name}: expected a port, got {line:?}; {}", p.stderr()));
    (p, port)
}

/// curl's output, without the line end the runner adds.
fn curl(args: &[&str]) -> String {
    let out = run_ok(
        "curl",
        std::process::Command::new("curl").args(args),
        MINUTE,
        String::new,
    );
    out.strip_suffix('\n').unwrap_or(&out).to_string()
}

/// Starts [`KIWI_SERVER`] with `args` (none, or a certificate and key); the directory
/// holding the script lives as long as the server is needed.
fn start_test_server(tag: &str, args: &[String]) -> (TempDir, Proc, u16) {
    let dir = TempDir::new(tag);
    let script = dir.file("server.kiwi", KIWI_SERVER);
    let (server, port) = start_kiwi("kiwi http server", kiwi().arg(&script).args(args));
    (dir, server, port)
}

/// A kiwi server for the peer tests: optional TLS (args: cert key), tight limits so the
/// hostile-client test is quick.
const KIWI_SERVER: &str = r#"
args = env::args()
cfg = httpserver::config().host("127.0.0.1").port(0).logging("none").max_body(65536)
cfg.header_timeout(1500).body_timeout(1500)
cfg.tls(args[0], args[1]) when args.size() == 2
app = httpserver::create_with_config(cfg)
app.get("/json", with (req, res) do
  res.json({ message: "Hello, World!", version: req.version() })
end)
app.post("/echo", with (req, res) do
  res.header("X-Length", req.body().size().to_string())
  res.send(200, req.body())
end)
app.get("/slow", with (req, res) do
  task::sleep(req.query_param("ms", "200").to_integer())
  res.text("slept")
end)
app.get("/fail", with (req, res) do
  throw "handler failed"
end)
app.start()
println "listening ${app.port()}"
"#;

#[test]
fn curl_http1_keepalive_and_http2_prior_knowledge() {
    if !tool_or_skip("curl", "curl_http1_keepalive_and_http2_prior_knowledge") {
        return;
    }
    let (_dir, mut server, port) = start_test_server("http-curl", &[]);
    let url = format!("http://127.0.0.1:{port}/json");
    // Two requests on one curl: the second reuses the connection (0 new connects).
    let out = curl(&[
        "-s",
        "-w",
        " %{http_code} %{num_connects} %{http_version}\n",
        &url,
        &url,
    ]);
    assert_eq!(
        out,
        "{\"message\":\"Hello, World!\",\"version\":\"HTTP/1.1\"} 200 1 1.1\n\
         {\"message\":\"Hello, World!\",\"version\":\"HTTP/1.1\"} 200 0 1.1"
    );
    let out = curl(&[
        "-s",
        "--http2-prior-knowledge",
        "-w",
        " %{http_version}",
        &url,
    ]);
    assert_eq!(
        out,
        "{\"message\":\"Hello, World!\",\"version\":\"HTTP/2.0\"} 2"
    );
    // A 100 KB body is over the 64 KiB limit: 413; a small one is echoed.
    let big = "x".repeat(100_000);
    let echo = format!("http://127.0.0.1:{port}/echo");
    let out = curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--data-binary",
        &big,
        &echo,
    ]);
    assert_eq!(out, "413");
    let out = curl(&["-s", "--data-binary", "kiwi", &echo]);
    assert_eq!(out, "kiwi");
    // A failing handler is a 500; the server keeps going.
    let fail = format!("http://127.0.0.1:{port}/fail");
    assert_eq!(
        curl(&["-s", "-w", " %{http_code}", &fail]),
        "Internal Server Error 500"
    );
    assert_eq!(
        curl(&["-s", "-o", "/dev/null", "-w", "%{http_code}", &url]),
        "200"
    );
    assert!(server.exited().is_none(), "{}", server.stderr());
}

#[test]
fn https_with_http2_by_alpn_for_curl_and_httpx() {
    if !python_module_or_skip("httpx", "https_with_http2_by_alpn_for_curl_and_httpx") {
        return;
    }
    if !tool_or_skip("curl", "https_with_http2_by_alpn_for_curl_and_httpx") {
        return;
    }
    let pki = Pki::new("http-tls");
    pki.leaf("server", "DNS:localhost,IP:127.0.0.1", "ca", None, false);
    let (_dir, server, port) =
        start_test_server("http-tls", &[pki.p("server.pem"), pki.p("server.key")]);
    let url = format!("https://localhost:{port}/json");
    let out = curl(&[
        "-s",
        "--cacert",
        &pki.p("ca.pem"),
        "-w",
        " %{http_version}",
        &url,
    ]);
    assert_eq!(
        out,
        "{\"message\":\"Hello, World!\",\"version\":\"HTTP/2.0\"} 2"
    );
    let out = curl(&[
        "-s",
        "--http1.1",
        "--cacert",
        &pki.p("ca.pem"),
        "-w",
        " %{http_version}",
        &url,
    ]);
    assert_eq!(
        out,
        "{\"message\":\"Hello, World!\",\"version\":\"HTTP/1.1\"} 1.1"
    );
    // Without the CA, curl refuses the certificate (exit 60).
    let o = util::run(
        "curl",
        std::process::Command::new("curl").args(["-s", &url]),
        b"",
        MINUTE,
    );
    assert_eq!(o.status.code(), Some(60));
    let httpx = r#"
import sys, httpx
url, ca = sys.argv[1], sys.argv[2]
with httpx.Client(http2=True, verify=ca) as c:
    r = c.get(url)
    print(r.status_code, r.http_version, r.json()["version"])
    r = c.post(url.replace("/json", "/echo"), content=b"\x00\x01binary\xff")
    print(r.status_code, r.headers["x-length"], r.content == b"\x00\x01binary\xff")
"#;
    let out = run_ok(
        "httpx",
        python(httpx).arg(&url).arg(pki.p("ca.pem")),
        MINUTE,
        || server.stderr(),
    );
    assert_eq!(out, "200 HTTP/2 HTTP/2.0\n200 9 True\n");
}

#[test]
fn httpx_concurrent_requests_are_served_concurrently() {
    if !python_module_or_skip("httpx", "httpx_concurrent_requests_are_served_concurrently") {
        return;
    }
    let (_dir, mut server, port) = start_test_server("http-httpx", &[]);
    // 50 requests that each take 300 ms in the handler: together well under 50 x 300 ms.
    let code = r#"
import asyncio, sys, time, httpx
async def main(port):
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=50)) as c:
        t = time.monotonic()
        rs = await asyncio.gather(*[c.get(f"http://127.0.0.1:{port}/slow?ms=300") for _ in range(50)])
        took = time.monotonic() - t
        print(sorted(set(r.status_code for r in rs)), sorted(set(r.text for r in rs)), took < 5)
asyncio.run(main(int(sys.argv[1])))
"#;
    let out = run_ok("httpx", python(code).arg(port.to_string()), MINUTE, || {
        server.stderr()
    });
    assert_eq!(out, "[200] ['slept'] True\n");
    assert!(server.exited().is_none());
}

/// Hostile clients: slow headers, oversized heads and bodies, garbage, resets mid-body, while
/// a well-behaved client keeps being served.
const HOSTILE: &str = r#"
import socket, struct, sys, threading, time, urllib.request
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s
def status_of(raw):
    s = conn()
    s.sendall(raw)
    data = b""
    try:
        while b"\r\n" not in data:
            part = s.recv(4096)
            if not part:
                break
            data += part
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return data.split(b"\r\n")[0].decode() or "closed"
def ok():
    t = time.monotonic()
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=10).read()
    return b"Hello" in body and time.monotonic() - t < 2

# 40 slowloris connections: a partial head, then a byte every 200 ms.
slow = []
for _ in range(40):
    s = conn()
    s.sendall(b"GET /json HTTP/1.1\r\nHost: x\r\n")
    slow.append(s)
stop = False
def drip():
    while not stop:
        for s in slow:
            try:
                s.sendall(b"X")
            except OSError:
                pass
        time.sleep(0.2)
threading.Thread(target=drip, daemon=True).start()
print("served during slowloris:", ok())
print("oversized head:", status_of(b"GET /json HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n"))
print("oversized body:", status_of(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"))
print("garbage:", status_of(b"NOT HTTP AT ALL\r\n\r\n"))
print("bad header:", status_of(b"GET / HTTP/1.1\r\nHost x\r\n\r\n"))
# Reset in the middle of a body.
s = conn()
s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
# A body that stops arriving: 408 after the body timeout.
s = conn()
s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
s.settimeout(10)
print("stalled body:", s.recv(4096).split(b"\r\n")[0].decode())
s.close()
# The slow heads are cut off by the header timeout (1.5 s).
time.sleep(2.5)
stop = True
closed = 0
for s in slow:
    s.settimeout(2)
    try:
        if s.recv(4096) in (b"",) or True:
            closed += 1
    except (ConnectionResetError, BrokenPipeError):
        closed += 1
    except socket.timeout:
        pass
print("slowloris connections closed:", closed)
print("served after:", ok())
"#;

#[test]
fn hostile_clients_never_take_the_server_down() {
    let (_dir, mut server, port) = start_test_server("http-hostile", &[]);
    let out = run_ok(
        "hostile clients",
        python(HOSTILE).arg(port.to_string()),
        MINUTE,
        || server.stderr(),
    );
    assert_eq!(
        out,
        "served during slowloris: True\n\
         oversized head: HTTP/1.1 431 Request Header Fields Too Large\n\
         oversized body: HTTP/1.1 413 Payload Too Large\n\
         garbage: HTTP/1.1 400 Bad Request\n\
         bad header: HTTP/1.1 400 Bad Request\n\
         stalled body: HTTP/1.1 408 Request Timeout\n\
         slowloris connections closed: 40\n\
         served after: True\n"
    );
    assert!(
        server.exited().is_none(),
        "server died: {}",
        server.stderr()
    );
}

/// A Python http.server with the cases the client must handle.
const PY_HTTP_SERVER: &str = r#"
import gzip, json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, code, body, ctype="application/json", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/json":
            self.send(200, b'{"n": 1, "s": "kiwi"}')
        elif self.path == "/redirect":
            self.send(302, b"", extra=[("Location", "/json")])
        elif self.path == "/loop":
            self.send(302, b"", extra=[("Location", "/loop")])
        elif self.path == "/gzip":
            self.send(200, gzip.compress(b"compressed " * 1000), "text/plain", [("Content-Encoding", "gzip")])
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in [b"one ", b"two ", b"three"]:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/headers":
            self.send(200, json.dumps({k.lower(): v for k, v in self.headers.items()}).encode())
        elif self.path == "/binary":
            self.send(200, bytes(range(256)), "application/octet-stream")
        else:
            self.send(404, b"missing", "text/plain")
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        self.send(200, json.dumps({"ct": self.headers.get("Content-Type"), "body": body.decode()}).encode())
    do_PUT = do_POST
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

const KIWI_CLIENT: &str = r#"
base = "http://127.0.0.1:" + env::args()[0]
r = http::get(base + "/json")
println [r.status, r.ok, r.json(), r.headers["content-type"]]
r = http::get(base + "/redirect")
println [r.status, r.url.ends_with("/json"), r.json()["s"]]
try
  http::get(base + "/loop")
catch (e)
  println "redirect loop: ${e["error"]}"
end
r = http::get(base + "/gzip")
println [r.body.size(), r.body.begins_with("compressed compressed")]
println http::get(base + "/chunked").body
h = http::get(base + "/headers", {"X-Kiwi": "yes"}).json()
println [h["x-kiwi"], h["accept-encoding"].contains("gzip")]
b = http::get(base + "/binary").body
println [b.is_a(bytes), b.size()]
println http::await_post(base + "/post", {a: [1, 2]}).json()
println http::response(task::await(http::put(base + "/put", "plain text", {"Content-Type": "text/plain"}))).json()
r = http::get(base + "/nothing")
println [r.status, r.ok, r.text()]
# Ten requests at once over the pooled client.
ids = []
for i in [1 .. 10] do
  ids.push(http::__get__(base + "/json"))
end
println ids.map(with (id) do task::await(id)["status"] end).unique()
"#;

#[test]
fn kiwi_client_against_python_http_server() {
    let (py, port) = start_python("python http.server", PY_HTTP_SERVER, &[]);
    let dir = TempDir::new("http-client");
    let script = dir.file("client.kiwi", KIWI_CLIENT);
    let out = run_ok(
        "kiwi client",
        kiwi().arg(&script).arg(port.to_string()),
        MINUTE,
        || py.stderr(),
    );
    assert_eq!(
        out,
        "[200, true, {\"n\": 1, \"s\": \"kiwi\"}, \"application/json\"]\n\
         [200, true, \"kiwi\"]\n\
         redirect loop: ValueError\n\
         [11000, true]\n\
         one two three\n\
         [\"yes\", true]\n\
         [true, 256]\n\
         {\"ct\": \"application/json\", \"body\": \"{\"a\":[1,2]}\"}\n\
         {\"ct\": \"text/plain\", \"body\": \"plain text\"}\n\
         [404, false, \"missing\"]\n\
         [200]\n"
    );
}

#[test]
fn kiwi_client_against_openssl_s_server() {
    if !tool_or_skip("openssl", "kiwi_client_against_openssl_s_server") {
        return;
    }
    let pki = Pki::new("http-s-server");
    pki.leaf("server", "DNS:localhost,IP:127.0.0.1", "ca", None, false);
    let mut s_server = Proc::spawn(
        "openssl s_server",
        std::process::Command::new("openssl").args([
            "s_server",
            "-www",
            "-accept",
            "0",
            "-cert",
            &pki.p("server.pem"),
            "-key",
            &pki.p("server.key"),
        ]),
    );
    let port = loop {
        let line = s_server.line(STEP);
        if let Some(rest) = line.strip_prefix("ACCEPT ") {
            break rest.rsplit(':').next().unwrap().parse::<u16>().unwrap();
        }
    };
    let code = r#"
url = "https://localhost:" + env::args()[0] + "/"
try
  http::get(url)
catch (e)
  println "${e["error"]}: ${e["message"].contains("certificate rejected")} ${e["message"].contains("issuer")}"
end
tls::trust(env::args()[1])
r = http::get(url)
println [r.status, r.body.contains("s_server")]
"#;
    let dir = TempDir::new("http-s-client");
    let script = dir.file("client.kiwi", code);
    let out = run_ok(
        "kiwi https client",
        kiwi()
            .arg(&script)
            .arg(port.to_string())
            .arg(pki.p("ca.pem")),
        MINUTE,
        || s_server.stderr(),
    );
    assert_eq!(out, "NetworkError: true true\n[200, true]\n");
}

const PY_UDP_ECHO: &str = r#"
import socket, sys
family = socket.AF_INET6 if sys.argv[1] == "::1" else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
print(s.getsockname()[1], flush=True)
while True:
    data, addr = s.recvfrom(65535)
    s.sendto(b"echo:" + data, addr)
"#;

const KIWI_UDP_CLIENT: &str = r#"
host = env::args()[0]
port = env::args()[1].to_integer()
s = udp::socket().bind(0, host).timeout(5000)
for msg in ["hello", "x" * 60000, ""] do
  s.send(host, port, msg)
  r = s.recv()
  println [r["data"].size(), r["data"].begins_with("echo:"), r["from_port"] == port]
end
s.close()
"#;

const PY_UDP_CLIENT: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
for msg in [b"one", b"\x00\xff" * 1000]:
    s.sendto(msg, ("127.0.0.1", int(sys.argv[1])))
    data, _ = s.recvfrom(65535)
    print(data == msg)
"#;

#[test]
fn udp_against_python_sockets() {
    let dir = TempDir::new("udp");
    let client = dir.file("client.kiwi", KIWI_UDP_CLIENT);
    let mut hosts = vec!["127.0.0.1"];
    if util::ipv6_loopback_or_skip("udp_against_python_sockets over ::1") {
        hosts.push("::1");
    }
    for host in hosts {
        let (py, port) = start_python("python udp echo", PY_UDP_ECHO, &[host]);
        let out = run_ok(
            "kiwi udp client",
            kiwi().arg(&client).arg(host).arg(port.to_string()),
            MINUTE,
            || py.stderr(),
        );
        assert_eq!(
            out, "[10, true, true]\n[60005, true, true]\n[5, true, true]\n",
            "over {host}"
        );
    }
    // A kiwi echo server, a Python client.
    let server = dir.file(
        "server.kiwi",
        r#"
s = udp::socket().bind(0, "127.0.0.1")
println "listening ${s.port()}"
for i in [1, 2] do
  p = s.recv_bytes()
  s.send(p["from_host"], p["from_port"], p["data"])
end
"#,
    );
    let (mut kiwi_server, port) = start_kiwi("kiwi udp server", kiwi().arg(&server));
    let out = run_ok(
        "python udp client",
        python(PY_UDP_CLIENT).arg(port.to_string()),
        MINUTE,
        || kiwi_server.stderr(),
    );
    assert_eq!(out, "True\nTrue\n");
    let status = kiwi_server.wait(STEP);
    assert!(status.success(), "{}", kiwi_server.stderr());
}

/// A dual-stack socket ("::") hears IPv4 and IPv6 senders, in turns: an IPv4 sender's host is
/// plain IPv4 (not `::ffff:127.0.0.1`), and each datagram names its own sender.
#[test]
fn udp_dual_stack_names_each_sender() {
    if !util::ipv6_loopback_or_skip("udp_dual_stack_names_each_sender") {
        return;
    }
    let dir = TempDir::new("udp-dual");
    let script = dir.file(
        "dual.kiwi",
        r#"
s = udp::socket().bind(0, "::").timeout(10000)
v4 = udp::socket().bind(0, "127.0.0.1")
v6 = udp::socket().bind(0, "::1")
for pair in [[v4, "127.0.0.1"], [v6, "::1"], [v4, "127.0.0.1"]] do
  pair[0].send(pair[1], s.port(), "hi")
  p = s.recv()
  println [p["from_host"], p["from_port"] == pair[0].port(), p["data"]]
end
"#,
    );
    let out = run_ok(
        "kiwi dual-stack udp",
        kiwi().arg(&script),
        MINUTE,
        String::new,
    );
    assert_eq!(
        out,
        concat!(
            "[\"127.0.0.1\", true, \"hi\"]\n",
            "[\"::1\", true, \"hi\"]\n",
            "[\"127.0.0.1\", true, \"hi\"]\n",
        )
    );
}

const PY_SMTP: &str = r#"
import asyncio, ssl, sys, socket
from aiosmtpd.controller import Controller
mode, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = envelope.content.decode()
        subject = [l for l in msg.splitlines() if l.startswith("Subject:")][0]
        print("got", envelope.mail_from, sorted(envelope.rcpt_tos), subject, "Hello over SMTP" in msg,
              "tls" if server.transport.get_extra_info("ssl_object") else "plain", flush=True)
        return "250 OK stored"
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
kw = {}
if mode == "starttls":
    kw = dict(tls_context=ctx, require_starttls=True)
elif mode == "implicit":
    kw = dict(ssl_context=ctx)
c = Controller(Handler(), hostname="127.0.0.1", port=port, server_hostname="localhost", **kw)
c.start()
print(port, flush=True)
import time
while True:
    time.sleep(1)
"#;

#[test]
fn smtp_against_aiosmtpd_plain_starttls_and_implicit_tls() {
    if !python_module_or_skip(
        "aiosmtpd",
        "smtp_against_aiosmtpd_plain_starttls_and_implicit_tls",
    ) {
        return;
    }
    let pki = Pki::new("smtp");
    pki.leaf("server", "DNS:localhost,IP:127.0.0.1", "ca", None, false);
    let dir = TempDir::new("smtp-client");
    let client = dir.file(
        "client.kiwi",
        r#"
port = env::args()[0].to_integer()
mode = env::args()[1]
tls::trust(env::args()[2]) when env::args().size() > 2
use_tls = mode == "plain" ? false : (mode == "implicit" ? "implicit" : true)
try
  r = smtp::message("kiwi@example.com", "Test ${mode}", "Hello over SMTP").add_to("a@example.com").add_cc("b@example.com").send("localhost", port, "", "", use_tls)
  println [r["ok"], r["code"]]
catch (e)
  println "${e["error"]}: ${e["message"].contains("certificate rejected")}"
end
"#,
    );
    for mode in ["plain", "starttls", "implicit"] {
        let (mut py, port) = start_python(
            "aiosmtpd",
            PY_SMTP,
            &[mode, &pki.p("server.pem"), &pki.p("server.key")],
        );
        // Not trusting the CA: TLS modes are refused with a certificate reason.
        if mode != "plain" {
            let out = run_ok(
                "kiwi smtp",
                kiwi().arg(&client).arg(port.to_string()).arg(mode),
                MINUTE,
                || py.stderr(),
            );
            assert_eq!(out, "NetworkError: true\n", "{mode} without trust");
        }
        let out = run_ok(
            "kiwi smtp",
            kiwi()
                .arg(&client)
                .arg(port.to_string())
                .arg(mode)
                .arg(pki.p("ca.pem")),
            MINUTE,
            || py.stderr(),
        );
        assert_eq!(out, "[true, 250]\n", "{mode}: {}", py.stderr());
        let tls = if mode == "plain" { "plain" } else { "tls" };
        assert_eq!(
            py.line(STEP),
            format!(
                "got kiwi@example.com ['a@example.com', 'b@example.com'] Subject: Test {mode} True {tls}"
            )
        );
    }
}

#[test]
fn workers_share_one_port_and_stop_together() {
    // A free port for both workers (they must agree on it, so it cannot be 0).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = TempDir::new("workers");
    let script = dir.file(
        "server.kiwi",
        r#"
port = env::args()[0].to_integer()
app = httpserver::create_with_config(httpserver::config().host("127.0.0.1").port(port).logging("none"))
app.get("/who", with (req, res) do res.text(env::get("KIWI_WORKER")) end)
signal::trap("SIGTERM", with () do app.stop() end)
app.start()
println "listening ${port}"
"#,
    );
    let mut group = Proc::spawn(
        "kiwi --workers 2",
        kiwi()
            .arg("--workers")
            .arg("2")
            .arg(&script)
            .arg(port.to_string()),
    );
    for _ in 0..2 {
        group.line(STEP);
    }
    let code = r#"
import sys, urllib.request
seen = set()
for _ in range(200):
    seen.add(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/who", timeout=10).read())
print(sorted(seen))
"#;
    let out = run_ok(
        "python client",
        python(code).arg(port.to_string()),
        MINUTE,
        || group.stderr(),
    );
    assert_eq!(out, "[b'0', b'1']\n");
    // SIGTERM to the group reaches both workers; each stops its server and exits.
    std::process::Command::new("kill")
        .args(["-TERM", &group.pid().to_string()])
        .status()
        .unwrap();
    let status = group.wait(STEP);
    assert!(status.success(), "{status}: {}", group.stderr());
}

#[test]
fn http_examples_work_together() {
    let (mut server, port) = start_kiwi(
        "examples/http_server.kiwi",
        kiwi().arg(example("http_server.kiwi")).arg("0"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let out = run_ok(
        "examples/http_client.kiwi",
        kiwi().arg(example("http_client.kiwi")).arg(&base),
        MINUTE,
        || server.stderr(),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "GET /api/todos -> 200 application/json: [{\"id\": 1, \"title\": \"try kiwi\", \"done\": true}]");
    assert_eq!(
        lines[1],
        "POST -> 201: {\"id\": 2, \"title\": \"read the docs\", \"done\": false}"
    );
    assert_eq!(
        lines[2],
        "parallel: [\"slept\", \"slept\", \"slept\"], one after another would take longer: true"
    );
    assert!(lines[3].starts_with("download ok: true, "), "{out}");
    assert_eq!(
        &lines[4..],
        ["timeout: TimeoutError", "refused: NetworkError"]
    );
    // The example on its own (its own server).
    let out = run_ok(
        "examples/http_client.kiwi alone",
        kiwi().arg(example("http_client.kiwi")),
        MINUTE,
        String::new,
    );
    assert!(out.starts_with("GET /api/todos -> 200"), "{out}");
    // The static page.
    if tool_or_skip("curl", "http_examples_work_together (static page)") {
        let page = curl(&["-s", &format!("{base}/")]);
        assert!(page.contains("<h1>Hello from kiwi</h1>"), "{page}");
        let css = curl(&[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{base}/../Cargo.toml"),
        ]);
        assert_eq!(css, "404");
    }
    std::process::Command::new("kill")
        .args(["-INT", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(server.wait(STEP).success(), "{}", server.stderr());
}

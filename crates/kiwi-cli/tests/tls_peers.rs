//! Kiwi TLS against independent implementations: kiwi servers (with certificates made at test
//! time by the `openssl` CLI) driven by `openssl s_client`, `curl` and Python's `ssl`, and the
//! kiwi HTTPS client (`examples/https_get.kiwi`) against `openssl s_server` and a Python
//! HTTPS server, with TLS 1.3 and with TLS 1.2 forced from the other side. Also: clients that
//! misbehave during the handshake never fault the accept loop. Loopback only, port 0 always.

mod util;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use util::{
    assert_alert_or_nothing, connect, kiwi, pattern, python, read_until_closed, run, run_bytes,
    run_ok, set_linger_zero, tls_echo_server, tool_or_skip, Pki, Proc, STEP,
};

/// A CA and a server certificate for localhost and 127.0.0.1.
fn pki(tag: &str) -> Pki {
    let pki = Pki::new(tag);
    pki.leaf("server", "DNS:localhost,IP:127.0.0.1", "ca", None, false);
    pki
}

fn echo_server(pki: &Pki) -> (Proc, u16) {
    tls_echo_server(&pki.path("server.pem"), &pki.path("server.key"))
}

/// `openssl s_client` against the kiwi echo server: verifies the chain and name, sends a line,
/// reads the echo; returns what `-brief` printed about the session (stderr).
fn s_client(pki: &Pki, port: u16, extra: &[&str]) -> String {
    let ca = pki.p("ca.pem");
    let connect = format!("127.0.0.1:{port}");
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_client",
        "-connect",
        &connect,
        "-servername",
        "localhost",
        "-verify_hostname",
        "localhost",
        "-CAfile",
        &ca,
        "-verify_return_error",
        "-brief",
    ])
    .args(extra);
    let mut p = Proc::spawn("openssl s_client", &mut cmd);
    p.write_stdin(b"hello from s_client\n");
    let line = p.line(STEP);
    assert_eq!(line, "hello from s_client", "stderr: {}", p.stderr());
    p.close_stdin();
    let (status, _, err) = p.finish(STEP);
    assert!(status.success(), "s_client: {status}: {err}");
    err
}

#[test]
fn openssl_s_client_against_kiwi_server() {
    let pki = pki("s_client");
    let (mut server, port) = echo_server(&pki);
    let info = s_client(&pki, port, &[]);
    assert!(info.contains("Protocol version: TLSv1.3"), "{info}");
    assert!(info.contains("Verification: OK"), "{info}");
    let info = s_client(&pki, port, &["-tls1_2"]);
    assert!(info.contains("Protocol version: TLSv1.2"), "{info}");
    assert!(info.contains("Verification: OK"), "{info}");
    // Below TLS 1.2 there is nothing in common: s_client fails, the server carries on.
    let o = run(
        "openssl s_client -tls1_1",
        Command::new("openssl").args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-tls1_1",
            "-brief",
        ]),
        b"",
        STEP,
    );
    assert!(!o.status.success(), "TLS 1.1 must not be negotiated");
    let info = s_client(&pki, port, &[]);
    assert!(info.contains("Verification: OK"), "{info}");
    assert!(server.exited().is_none());
    assert_eq!(server.stderr(), "");
}

/// A kiwi "HTTPS server": answers every request with a fixed body. Args: CERT KEY.
const KIWI_HTTPS: &str = r#"
args = env::args()
server = tls::tcpserver("127.0.0.1", 0, 128, args[0], args[1])
println tls::local_addr(server)["port"]

fn serve(conn)
  request = ""
  while !request.contains("\r\n\r\n") do
    part = task::await(tls::recv(conn))
    break when part.size() == 0
    request += part.to_string()
  end
  line = request.split("\r\n")[0]
  body = "kiwi says hi to ${line}\n" + ("0123456789" * 10000)
  head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.to_bytes().size()}\r\nConnection: close\r\n\r\n"
  task::await(tls::send(conn, (head + body).to_bytes()))
  tls::close(conn)
end

while true do
  task::spawn(serve, [task::await(tls::accept(server))])
end
"#;

fn kiwi_https_server(pki: &Pki) -> (Proc, u16) {
    let script = pki.dir.file("https.kiwi", KIWI_HTTPS);
    let mut p = Proc::spawn(
        "kiwi https server",
        kiwi()
            .arg(&script)
            .arg(pki.path("server.pem"))
            .arg(pki.path("server.key")),
    );
    let line = p.line(STEP);
    let port = line
        .parse()
        .unwrap_or_else(|_| panic!("expected a port, got {line:?}"));
    (p, port)
}

#[test]
fn curl_against_kiwi_https_server() {
    if !tool_or_skip("curl", "curl_against_kiwi_https_server") {
        return;
    }
    let pki = pki("curl");
    let (mut server, port) = kiwi_https_server(&pki);
    let ca = pki.p("ca.pem");
    for (host, extra) in [
        ("127.0.0.1", vec![]),
        ("localhost", vec![]),
        ("127.0.0.1", vec!["--tlsv1.2", "--tls-max", "1.2"]),
        ("localhost", vec!["--tlsv1.3"]),
    ] {
        let url = format!("https://{host}:{port}/hello");
        // Binary-exact stdout: the body does not end with a newline.
        let (status, out, err) = run_bytes(
            "curl",
            Command::new("curl")
                .args(["-sS", "-v", "--max-time", "30", "--cacert", &ca])
                .args(&extra)
                .arg(&url),
            Vec::new(),
            Duration::from_secs(60),
        );
        let out = String::from_utf8_lossy(&out);
        assert!(status.success(), "curl {url} {extra:?}: {err}");
        let first = "kiwi says hi to GET /hello HTTP/1.1\n";
        assert!(out.starts_with(first), "{url}: {out:.200}");
        assert_eq!(out.len(), first.len() + 100_000, "{url} {extra:?}");
        let want = if extra.contains(&"1.2") {
            "SSL connection using TLSv1.2"
        } else {
            "SSL connection using TLSv1.3"
        };
        assert!(err.contains(want), "{url} {extra:?}: {err}");
        assert!(err.contains("< HTTP/1.1 200 OK"), "{err}");
    }
    // Without the CA curl refuses the certificate (and the server is unaffected).
    let o = run(
        "curl without CA",
        Command::new("curl")
            .args(["-sS", "--max-time", "30"])
            .arg(format!("https://localhost:{port}/"))
            .env_remove("SSL_CERT_FILE")
            .env_remove("CURL_CA_BUNDLE"),
        b"",
        Duration::from_secs(60),
    );
    assert!(!o.status.success(), "curl must reject an unknown CA");
    assert!(server.exited().is_none());
    assert_eq!(server.stderr(), "");
}

/// Python's `ssl` client against the kiwi echo server: verifies the certificate (CA file,
/// hostname), echoes a small and a 1 MiB message, checks the TLS version, half-closes with
/// close_notify (unwrap) and sees the server close too. Args: PORT CA VERSION.
const PY_TLS_CLIENT: &str = r#"
import os, socket, ssl, sys
port, ca, version = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
if version == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
raw = socket.create_connection(("127.0.0.1", port), timeout=30)
s = ctx.wrap_socket(raw, server_hostname="localhost")
print(s.version())

def read_exact(n):
    got = bytearray()
    while len(got) < n:
        part = s.recv(min(1 << 16, n - len(got)))
        if not part:
            sys.exit("EOF after %d of %d bytes" % (len(got), n))
        got += part
    return bytes(got)

# One SSL object must not be used by two threads at once (OpenSSL does not support a read and a
# write in parallel), so big messages go in 64 KiB steps: send a piece, read its echo back.
for msg in [b"hello kiwi", os.urandom(1 << 20)]:
    got = bytearray()
    for at in range(0, len(msg), 1 << 16):
        piece = msg[at:at + (1 << 16)]
        s.sendall(piece)
        got += read_exact(len(piece))
    print("echo", len(msg), bytes(got) == msg)
# close_notify: the kiwi server's recv gives empty bytes, it closes, we see its close_notify.
s.unwrap()
print("closed cleanly")
"#;

#[test]
fn python_ssl_client_against_kiwi_server() {
    let pki = pki("python_client");
    let (mut server, port) = echo_server(&pki);
    for (version, want) in [("1.3", "TLSv1.3"), ("1.2", "TLSv1.2")] {
        let out = run_ok(
            &format!("python ssl client (TLS {version})"),
            python(PY_TLS_CLIENT)
                .arg(port.to_string())
                .arg(pki.path("ca.pem"))
                .arg(version),
            Duration::from_secs(60),
            || server.stderr(),
        );
        assert_eq!(
            out,
            format!("{want}\necho 10 True\necho 1048576 True\nclosed cleanly\n")
        );
    }
    assert!(server.exited().is_none());
    assert_eq!(server.stderr(), "");
}

/// Starts `openssl s_server -WWW` (serves files of `dir`) on a free port.
fn s_server(pki: &Pki, extra: &[&str]) -> (Proc, u16) {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_server",
        "-accept",
        "127.0.0.1:0",
        "-WWW",
        "-cert",
        &pki.p("server.pem"),
        "-key",
        &pki.p("server.key"),
    ])
    .args(extra)
    .current_dir(&pki.dir.0);
    let mut p = Proc::spawn("openssl s_server", &mut cmd);
    let deadline = Instant::now() + STEP;
    loop {
        let line = p.line(STEP);
        if let Some(addr) = line.strip_prefix("ACCEPT ") {
            let port = addr.rsplit(':').next().unwrap().parse().unwrap();
            return (p, port);
        }
        assert!(Instant::now() < deadline, "s_server never said ACCEPT");
    }
}

/// Runs `examples/https_get.kiwi` and returns its stdout (asserting success).
fn https_get(url: &str, args: &[&str]) -> String {
    let out = run_ok(
        "https_get.kiwi",
        kiwi()
            .arg(util::example("https_get.kiwi"))
            .arg(url)
            .args(args),
        Duration::from_secs(60),
        String::new,
    );
    out
}

#[test]
fn kiwi_https_get_against_openssl_s_server() {
    let pki = pki("s_server");
    // A file for s_server -WWW to serve: its exact size must come back.
    let body = String::from_utf8(
        pattern(200_000, 7)
            .iter()
            .map(|b| b'a' + b % 26)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    pki.dir.file("page.txt", &body);
    let ca = pki.p("ca.pem");
    for extra in [&[][..], &["-tls1_2"][..], &["-tls1_3"][..]] {
        let (mut server, port) = s_server(&pki, extra);
        for url in [
            format!("https://127.0.0.1:{port}/page.txt"),
            format!("https://localhost:{port}/page.txt"),
        ] {
            let out = https_get(&url, &["--cafile", &ca]);
            assert_eq!(
                out, "HTTP/1.0 200 ok\nContent-type: text/plain\n\nbody: 200000 bytes\n",
                "{url} {extra:?}"
            );
        }
        // Connecting by IP while verifying the DNS name (SNI) works too.
        let out = https_get(
            &format!("https://127.0.0.1:{port}/page.txt"),
            &["--cafile", &ca, "--sni", "localhost"],
        );
        assert!(out.ends_with("body: 200000 bytes\n"), "{out}");
        // Without the CA: exit 3 and a reason naming the cause.
        let o = run(
            "https_get without CA",
            kiwi()
                .arg(util::example("https_get.kiwi"))
                .arg(format!("https://localhost:{port}/page.txt"))
                .env_remove("SSL_CERT_FILE")
                .env_remove("SSL_CERT_DIR"),
            b"",
            Duration::from_secs(60),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert!(
            err.contains("(code -4)") && err.contains("unknown issuer"),
            "{err}"
        );
        server.kill();
    }
}

/// A Python HTTPS server (HTTP/1.1, chunked body) for the kiwi client; TLS 1.2 only when
/// asked. Prints its port. Args: CERT KEY VERSION.
const PY_HTTPS_SERVER: &str = r#"
import http.server, ssl, sys
cert, key, version = sys.argv[1:4]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-Tls-Version", self.connection.version())
        self.send_header("Connection", "close")
        self.end_headers()
        for n in (1, 4096, 65536, 100000):
            self.wfile.write(b"%x\r\n" % n + b"k" * n + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True
    def log_message(self, *a):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
if version == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

#[test]
fn kiwi_https_get_against_python_https_server() {
    let pki = pki("py_server");
    for (version, want) in [("1.3", "TLSv1.3"), ("1.2", "TLSv1.2")] {
        let mut p = Proc::spawn(
            "python https server",
            python(PY_HTTPS_SERVER)
                .arg(pki.path("server.pem"))
                .arg(pki.path("server.key"))
                .arg(version),
        );
        let port: u16 = p.line(STEP).trim().parse().expect("port");
        let out = https_get(
            &format!("https://localhost:{port}/x"),
            &["--cafile", &pki.p("ca.pem")],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "HTTP/1.1 200 OK", "{out}");
        assert!(lines.contains(&"Transfer-Encoding: chunked"), "{out}");
        assert!(
            lines.contains(&format!("X-Tls-Version: {want}").as_str()),
            "{out}"
        );
        assert_eq!(lines.last(), Some(&"body: 169633 bytes"), "{out}");
        p.kill();
    }
}

/// The first bytes of a TLS ClientHello record: a record header announcing 512 bytes and the
/// start of the handshake message. Never completed.
const HALF_CLIENT_HELLO: &[u8] = &[
    0x16, 0x03, 0x01, 0x02, 0x00, // handshake record, TLS 1.0 framing, 512 bytes
    0x01, 0x00, 0x01, 0xfc, // ClientHello, 508 bytes
    0x03, 0x03, // legacy version TLS 1.2
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, // part of the random
];

#[test]
fn misbehaving_clients_do_not_fault_the_accept_loop() {
    let pki = pki("misbehave");
    let (mut server, port) = echo_server(&pki);
    let ca = pki.p("ca.pem");
    let good_client = |server: &Proc, label: &str| {
        run_ok(
            &format!("good python ssl client {label}"),
            python(PY_TLS_CLIENT)
                .arg(port.to_string())
                .arg(&ca)
                .arg("1.3"),
            Duration::from_secs(60),
            || server.stderr(),
        );
    };

    // Plain text instead of a ClientHello: the server answers with an alert or just closes.
    let mut garbage = connect(port, STEP);
    garbage
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let (got, _) = read_until_closed(&garbage, STEP);
    assert_alert_or_nothing("plain-text client", &got);

    // A client that resets mid-handshake.
    let resetter = connect(port, STEP);
    (&resetter).write_all(HALF_CLIENT_HELLO).unwrap();
    set_linger_zero(&resetter);
    drop(resetter);

    // A client that stalls mid-handshake; the good client is served while it stalls.
    let mut staller = connect(port, STEP);
    staller.write_all(HALF_CLIENT_HELLO).unwrap();
    let stalled_at = Instant::now();
    // And one that connects and never sends anything.
    let silent = connect(port, STEP);

    good_client(&server, "while two clients stall");
    assert!(server.exited().is_none());

    // After the default 10 s handshake deadline the server drops the stallers (an alert or
    // nothing, then EOF or reset), and not before it.
    for (name, s) in [("staller", &staller), ("silent", &silent)] {
        let (got, _) = read_until_closed(s, Duration::from_secs(30));
        assert_alert_or_nothing(name, &got);
    }
    let waited = stalled_at.elapsed();
    assert!(
        waited >= Duration::from_millis(9_500) && waited < Duration::from_secs(20),
        "stalled clients dropped after {waited:?}, expected the 10 s handshake deadline"
    );

    good_client(&server, "after the stallers were dropped");
    assert!(server.exited().is_none());
    assert_eq!(server.stderr(), "", "no accept or client faulted");
}

/// Many concurrent handshakes from Python threads, one of them stalled throughout: all the
/// others are served.
#[test]
fn concurrent_handshakes_with_a_staller() {
    let pki = pki("concurrent");
    let (mut server, port) = echo_server(&pki);
    let mut staller = connect(port, STEP);
    staller.write_all(HALF_CLIENT_HELLO).unwrap();
    let code = r#"
import socket, ssl, sys, threading
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
ok = []
def one(i):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            msg = b"client %d" % i
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                part = s.recv(100)
                if not part:
                    break
                got += part
            ok.append(got == msg)
ts = [threading.Thread(target=one, args=(i,)) for i in range(40)]
for t in ts: t.start()
for t in ts: t.join()
print(sum(ok))
"#;
    let out = run_ok(
        "python concurrent clients",
        python(code).arg(port.to_string()).arg(pki.path("ca.pem")),
        Duration::from_secs(60),
        || server.stderr(),
    );
    assert_eq!(out, "40\n");
    drop(staller);
    assert!(server.exited().is_none());
}

/// One real client: handshake (verified), one echo; prints how long that took in ms.
const PY_TIMED_TLS_CLIENT: &str = r#"
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
start = time.monotonic()
ctx = ssl.create_default_context(cafile=ca)
with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"real client")
        got = b""
        while len(got) < 11:
            part = s.recv(64)
            if not part:
                break
            got += part
assert got == b"real client", got
print(int((time.monotonic() - start) * 1000))
"#;

/// 1,500 connections that never send a ClientHello (more than the 1,024 handshakes a listener
/// runs at once) do not lock real clients out: at the cap, a new client replaces the oldest
/// silent handshake. Five real clients in a row each finish handshake and echo within 3 s
/// (before, each waited for the 10 s handshake deadline of the idle ones).
#[test]
fn idle_connections_at_the_handshake_cap_do_not_lock_clients_out() {
    const IDLE: usize = 1500;
    let pki = pki("lockout");
    let (mut server, port) = echo_server(&pki);
    // All at once (non-blocking connects), as a flood would come: the first 1,024 fill the
    // handshake slots, the rest wait in the kernel's queue or retry their SYN.
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let idle: Vec<socket2::Socket> = (0..IDLE)
        .map(|_| {
            let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                .expect("socket");
            s.set_nonblocking(true).expect("non-blocking");
            // In progress is the expected answer.
            let _ = s.connect(&addr.into());
            s
        })
        .collect();
    // Let the flood settle: every slot taken, the kernel's queue full.
    std::thread::sleep(Duration::from_secs(2));
    for round in 0..5 {
        let out = run_ok(
            &format!("real client {round}"),
            python(PY_TIMED_TLS_CLIENT)
                .arg(port.to_string())
                .arg(pki.path("ca.pem")),
            Duration::from_secs(60),
            || server.stderr(),
        );
        let ms: u64 = out.trim().parse().unwrap_or_else(|_| panic!("{out:?}"));
        eprintln!("round {round}: {ms} ms");
        assert!(
            ms < 3000,
            "real client {round} needed {ms} ms beside {IDLE} idle connections"
        );
    }
    assert!(server.exited().is_none(), "{}", server.stderr());
    drop(idle);
}

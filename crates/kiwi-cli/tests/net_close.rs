//! Closing a connection delivers what was sent: a script that sends and then closes (or ends)
//! while the peer has sent it bytes it never read must not reset the connection before the
//! peer has read everything (a lingering close). Python peers on loopback, port 0.

mod util;

use std::time::Duration;

use util::{kiwi, python, Pki, Proc, TempDir, STEP};

/// A TCP server that first sends 256 KiB the kiwi client never reads, waits until the client
/// has sent and closed, then counts what arrives: `eof after N` or `reset after N`.
const PY_TCP_SINK: &str = r#"
import socket, sys, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
c.sendall(b"u" * 262144)
time.sleep(0.3)
total = 0
try:
    while True:
        d = c.recv(65536)
        if not d:
            break
        total += len(d)
except ConnectionResetError:
    print("reset after", total, flush=True)
    sys.exit(0)
print("eof after", total, flush=True)
"#;

/// The TLS version: the server's session tickets are what the kiwi client never reads.
const PY_TLS_SINK: &str = r#"
import socket, ssl, sys, time
cert, key = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
raw, _ = srv.accept()
c = ctx.wrap_socket(raw, server_side=True)
time.sleep(0.3)
total = 0
try:
    while True:
        d = c.recv(65536)
        if not d:
            break
        total += len(d)
except (ConnectionResetError, ssl.SSLError) as e:
    print("reset after", total, flush=True)
    sys.exit(0)
print("eof after", total, flush=True)
"#;

const SIXTEEN_MIB: usize = 16 << 20;

/// Sends 16 MiB over TCP, closes, and either ends at once or keeps running for a while.
fn kiwi_tcp_sender(end_at_once: bool) -> String {
    format!(
        r#"
port = env::args()[0].to_integer()
c = socket::tcpconnect("127.0.0.1", port)
task::await(socket::send(c, ("k" * {SIXTEEN_MIB}).to_bytes()))
socket::close(c)
{}
"#,
        if end_at_once { "" } else { "task::sleep(1500)" }
    )
}

const KIWI_TLS_SENDER: &str = r#"
port = env::args()[0].to_integer()
tls::trust(env::args()[1])
c = tls::tcpconnect("127.0.0.1", port, "localhost")
task::await(tls::send(c, ("k" * 8388608).to_bytes()))
tls::close(c)
"#;

/// Runs the sink, then the kiwi sender against it; returns the sink's verdict line.
fn transfer(sink: &mut std::process::Command, script: &str, extra: &[String]) -> String {
    let mut sink = Proc::spawn("python sink", sink);
    let port = sink.line(STEP);
    let dir = TempDir::new("close");
    let path = dir.file("sender.kiwi", script);
    let out = util::run(
        "kiwi sender",
        kiwi().arg(&path).arg(&port).args(extra),
        b"",
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "kiwi failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    sink.line(STEP)
}

#[test]
fn tcp_close_with_unread_input_delivers_everything() {
    for end_at_once in [true, false] {
        let verdict = transfer(&mut python(PY_TCP_SINK), &kiwi_tcp_sender(end_at_once), &[]);
        assert_eq!(
            verdict,
            format!("eof after {SIXTEEN_MIB}"),
            "script ends at once: {end_at_once}"
        );
    }
}

#[test]
fn tls_close_with_unread_session_tickets_delivers_everything() {
    let pki = Pki::new("close");
    pki.leaf("server", "DNS:localhost,IP:127.0.0.1", "ca", None, false);
    let verdict = transfer(
        python(PY_TLS_SINK)
            .arg(pki.path("server.pem"))
            .arg(pki.path("server.key")),
        KIWI_TLS_SENDER,
        &[pki.p("ca.pem")],
    );
    assert_eq!(verdict, format!("eof after {}", 8 << 20));
}

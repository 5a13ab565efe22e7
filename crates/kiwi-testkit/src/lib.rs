//! Helpers shared by the integration tests of several crates.
//!
//! A test that needs an outside peer tool (socat, openssl, curl, python3) or something of the
//! environment (an IPv6 loopback, a system resolver) never passes silently without it:
//!
//! * under CI (`CI` set and not `false`/`0`) a missing **tool** fails the test with a message
//!   naming it, because `.ci/run` installs every tool and a missing one means the run proves
//!   less than it claims;
//! * otherwise, and for what the **environment** lacks, the test prints a `SKIP` line to the
//!   real standard error. The line bypasses libtest's output capture, so it shows in a normal
//!   `cargo test` run of a passing test, and `.ci/run` counts those lines.

use std::io::Write;
use std::process::{Command, Stdio};

/// Whether `program` is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether the tests run under CI: `CI` is set to anything but empty, `false` or `0`.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE"))
}

/// Prints `SKIP <what>: <reason>` to the process's standard error, past libtest's capture.
pub fn skip(what: &str, reason: &str) {
    let line = format!("SKIP {what}: {reason}\n");
    // One write of the whole line, so lines of tests running in parallel do not interleave.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// True if the peer `tool` is on PATH. Without it, under CI this panics naming the tool;
/// elsewhere it prints a `SKIP` line for `what` and returns false.
pub fn tool_or_skip(tool: &str, what: &str) -> bool {
    if have(tool) {
        return true;
    }
    assert!(
        !under_ci(),
        "{what}: the peer tool `{tool}` is not on PATH; CI must install it (see .ci/run)"
    );
    skip(what, &format!("`{tool}` is not installed"));
    false
}

/// Panics unless `tool` is on PATH: for tests that cannot run without it anywhere.
pub fn require_tool(tool: &str, what: &str) {
    assert!(
        have(tool),
        "{what}: the peer tool `{tool}` is not on PATH (install it; .ci/run does)"
    );
}

/// True if this machine can bind the IPv6 loopback `::1`; otherwise prints a `SKIP` line for
/// `what` (an environment without IPv6 is not a CI failure) and returns false.
pub fn ipv6_loopback_or_skip(what: &str) -> bool {
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        return true;
    }
    skip(what, "no IPv6 loopback (::1) on this machine");
    false
}

/// True if the system resolver answers for `localhost` within 10 s; otherwise prints a `SKIP`
/// line for `what` and returns false. Asking first separates a machine without a working
/// resolver (skip) from a runtime that fails to resolve (a test failure).
pub fn localhost_resolves_or_skip(what: &str) -> bool {
    use std::net::ToSocketAddrs;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let found = ("localhost", 0)
            .to_socket_addrs()
            .map(|mut a| a.next().is_some());
        let _ = tx.send(found);
    });
    match rx.recv_timeout(std::time::Duration::from_secs(10)) {
        Ok(Ok(true)) => true,
        Ok(Ok(false)) => {
            skip(what, "the system resolver has no address for localhost");
            false
        }
        Ok(Err(e)) => {
            skip(
                what,
                &format!("the system resolver fails for localhost: {e}"),
            );
            false
        }
        Err(_) => {
            skip(
                what,
                "the system resolver did not answer for localhost within 10 s",
            );
            false
        }
    }
}

/// How a peer ended a connection, as seen by [`read_until_closed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// An orderly end of stream (FIN).
    Eof,
    /// A reset (RST), for example a close with unread input on the peer's side.
    Reset,
}

/// Reads `stream` until the peer ends it, for at most `limit`; returns what arrived first and
/// how it ended. Running out of time (the peer never closed) panics: a read timeout is not a
/// close.
pub fn read_until_closed(
    stream: &std::net::TcpStream,
    limit: std::time::Duration,
) -> (Vec<u8>, Closed) {
    use std::io::{ErrorKind, Read};
    let deadline = std::time::Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let mut reader = stream;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        assert!(
            !left.is_zero(),
            "the peer did not close within {limit:?} (received {} bytes)",
            got.len()
        );
        stream
            .set_read_timeout(Some(left))
            .expect("set_read_timeout");
        match reader.read(&mut buf) {
            Ok(0) => return (got, Closed::Eof),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return (got, Closed::Reset),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("reading until the peer closes failed: {e}"),
        }
    }
}

/// The first byte of a TLS alert record (content type 21).
pub const TLS_ALERT: u8 = 0x15;

/// Asserts that what a peer sent before closing is nothing or a TLS alert record.
pub fn assert_alert_or_nothing(what: &str, got: &[u8]) {
    assert!(
        got.is_empty() || got[0] == TLS_ALERT,
        "{what}: expected a TLS alert or nothing before the close, got {:?}",
        &got[..got.len().min(64)]
    );
}

/// A loopback port that refuses connections for as long as this value lives: a socket is bound
/// to it (without `SO_REUSEADDR`) and never listens. Unlike a port that was free a moment ago,
/// no other test can start listening on it meanwhile.
pub struct ClosedPort {
    _socket: socket2::Socket,
    /// The reserved port on 127.0.0.1.
    pub port: u16,
}

impl ClosedPort {
    /// Reserves a port on 127.0.0.1 chosen by the OS.
    pub fn new() -> ClosedPort {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().expect("address");
        socket.bind(&any.into()).expect("bind 127.0.0.1:0");
        let port = socket
            .local_addr()
            .expect("local_addr")
            .as_socket()
            .expect("an inet address")
            .port();
        ClosedPort {
            _socket: socket,
            port,
        }
    }
}

impl Default for ClosedPort {
    fn default() -> Self {
        Self::new()
    }
}

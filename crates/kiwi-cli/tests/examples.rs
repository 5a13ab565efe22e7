//! Runs the scripts in `examples/` with the built `kiwi` binary, talking to them over loopback
//! from Rust where they are servers or clients. Every wait has a deadline, so a bug fails the
//! test instead of hanging it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use kiwi_testkit::ClosedPort;

const TIMEOUT: Duration = Duration::from_secs(10);

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// Runs `kiwi examples/<name> args...` to completion, killing it after [`TIMEOUT`].
fn run_example(name: &str, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiwi"))
        .arg(example(name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kiwi");
    // Drain both pipes while waiting, so a chatty child never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{name} {args:?} did not finish within {TIMEOUT:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.join().unwrap_or_default()),
                String::from_utf8_lossy(&err.join().unwrap_or_default())
            );
        }
        thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// A long-running example (a server), killed when dropped. Its stdout lines arrive on a channel.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(name: &str, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kiwi"))
            .arg(example(name))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kiwi");
        let stdout: ChildStdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Server { child, lines }
    }

    /// The next line the server printed, failing after [`TIMEOUT`].
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(TIMEOUT)
            .expect("the server printed nothing in time (or exited)")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts a server example on port 0 (the OS picks a free port as the server binds, so no
    /// other test can take it first) and reads the port from its first line,
    /// `<banner> 127.0.0.1:<port>`.
    fn start_on_port_0(name: &str, banner: &str) -> (Server, u16) {
        let server = Server::start(name, &["0"]);
        let first = server.next_line();
        let port = first
            .strip_prefix(banner)
            .and_then(|rest| rest.strip_prefix(" 127.0.0.1:"))
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|&p| p != 0)
            .unwrap_or_else(|| panic!("expected `{banner} 127.0.0.1:<port>`, got {first:?}"));
        (server, port)
    }
}

/// A loopback client that reads whole lines, with a read deadline.
struct LineClient {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl LineClient {
    fn connect(port: u16) -> LineClient {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
        let reader = BufReader::new(stream.try_clone().expect("clone"));
        LineClient { stream, reader }
    }

    fn line(&mut self) -> String {
        let mut s = String::new();
        self.reader.read_line(&mut s).expect("read a line in time");
        s.trim_end_matches('\n').to_string()
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }
}

fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn demo_prints_its_summary() {
    let out = run_example("demo.kiwi", &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "demo wrote to stderr"
    );
    assert!(out.status.success(), "exit status {:?}", out.status);
    let expected = "\
echo server listening on 127.0.0.1 (free port chosen by the OS)
client 1: 5/5 echoes intact, clean close: true
client 2: 5/5 echoes intact, clean close: true
client 3: 5/5 echoes intact, clean close: true
client 4: 5/5 echoes intact, clean close: true
summary: 4 clients, 20 messages, 20 echoed intact
server: 4 connections, 360 bytes echoed
";
    assert_eq!(stdout_of(&out), expected);
}

#[test]
fn demo_with_many_clients() {
    let out = run_example("demo.kiwi", &["40", "10"]);
    assert!(out.status.success(), "exit status {:?}", out.status);
    let text = stdout_of(&out);
    assert!(
        text.contains("summary: 40 clients, 400 messages, 400 echoed intact\n"),
        "{text}"
    );
    assert!(text.contains("server: 40 connections, "), "{text}");
}

#[test]
fn echo_server_and_echo_client() {
    let (_server, port) = Server::start_on_port_0("echo_server.kiwi", "echo server listening on");
    let out = run_example(
        "echo_client.kiwi",
        &[&port.to_string(), "hello", "kiwi over tcp", "ünïcödé"],
    );
    assert!(out.status.success(), "client failed: {out:?}");
    assert_eq!(stdout_of(&out), "hello\nkiwi over tcp\nünïcödé\n");

    // The default message, and a second client on the same server.
    let out = run_example("echo_client.kiwi", &[&port.to_string()]);
    assert_eq!(stdout_of(&out), "hello\n");

    // A big message comes back whole even though it crosses the wire in pieces.
    let big = "x".repeat(100_000);
    let out = run_example("echo_client.kiwi", &[&port.to_string(), &big]);
    assert_eq!(stdout_of(&out), format!("{big}\n"));
}

#[test]
fn echo_client_reports_a_refused_connection() {
    let closed = ClosedPort::new();
    let out = run_example("echo_client.kiwi", &[&closed.port.to_string(), "hi"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_of(&out), "");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("cannot connect to 127.0.0.1:"));
}

#[test]
fn chat_server_broadcasts_lines_to_the_other_clients() {
    let (server, port) = Server::start_on_port_0("chat_server.kiwi", "chat server listening on");

    let mut a = LineClient::connect(port);
    assert_eq!(a.line(), "* welcome user1, 1 online");
    let mut b = LineClient::connect(port);
    assert_eq!(b.line(), "* welcome user2, 2 online");
    assert_eq!(a.line(), "* user2 joined");
    let mut c = LineClient::connect(port);
    assert_eq!(c.line(), "* welcome user3, 3 online");
    assert_eq!(a.line(), "* user3 joined");
    assert_eq!(b.line(), "* user3 joined");

    // A line split over several writes (and a UTF-8 character split between them) arrives once,
    // whole; \r\n line ends are accepted; two lines in one write are two messages.
    a.send(b"hel");
    thread::sleep(Duration::from_millis(50));
    a.send(&"lo wö".as_bytes()[..6]);
    thread::sleep(Duration::from_millis(50));
    a.send(&"lo wörld\r\nsecond line\nthird".as_bytes()[6..]);
    for peer in [&mut b, &mut c] {
        assert_eq!(peer.line(), "user1: hello wörld");
        assert_eq!(peer.line(), "user1: second line");
    }
    b.send(b"hi from b\n");
    // The sender does not get its own line back: a's next line is b's message, not "third".
    assert_eq!(a.line(), "user2: hi from b");
    assert_eq!(c.line(), "user2: hi from b");

    // c leaves: the others are told, and c is no longer sent anything.
    c.stream.shutdown(Shutdown::Both).expect("shutdown");
    drop(c);
    assert_eq!(a.line(), "* user3 left");
    assert_eq!(b.line(), "* user3 left");
    a.send(b"\n");
    a.send(b"still here\n");
    assert_eq!(b.line(), "user1: third");
    assert_eq!(b.line(), "user1: still here");

    // The server logged the conversation.
    let mut log = Vec::new();
    while let Ok(line) = server.lines.recv_timeout(Duration::from_millis(200)) {
        log.push(line);
    }
    assert!(log.contains(&"user1: hello wörld".to_string()), "{log:?}");
    assert!(log.contains(&"* user3 left".to_string()), "{log:?}");
}

#[test]
fn chat_server_a_client_that_never_reads_does_not_block_the_others() {
    let (_server, port) = Server::start_on_port_0("chat_server.kiwi", "chat server listening on");
    let mut a = LineClient::connect(port);
    assert_eq!(a.line(), "* welcome user1, 1 online");
    // The slow client connects and then never reads.
    let slow = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    assert_eq!(a.line(), "* user2 joined");
    let mut b = LineClient::connect(port);
    b.line();
    assert_eq!(a.line(), "* user3 joined");
    // Enough traffic to fill the slow client's socket buffers several times over.
    let line = format!("{}\n", "z".repeat(1000));
    let reader = thread::spawn(move || {
        let mut got = 0;
        while got < 3000 {
            let l = b.line();
            if l.starts_with("user1: ") {
                got += 1;
            }
        }
        got
    });
    for _ in 0..3000 {
        a.send(line.as_bytes());
    }
    assert_eq!(reader.join().expect("reader"), 3000);
    drop(slow);
}

#[test]
fn portscan_finds_an_open_port_and_not_a_closed_one() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let open = listener.local_addr().expect("addr").port();
    let out = run_example(
        "portscan.kiwi",
        &["127.0.0.1", &open.to_string(), &open.to_string()],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        stdout_of(&out),
        format!("127.0.0.1:{open} open\nscanned 1 ports on 127.0.0.1: 1 open, 0 closed\n")
    );

    let closed = ClosedPort::new();
    let out = run_example(
        "portscan.kiwi",
        &[
            "127.0.0.1",
            &closed.port.to_string(),
            &closed.port.to_string(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        stdout_of(&out),
        "scanned 1 ports on 127.0.0.1: 0 open, 1 closed\n"
    );

    // A range around the open port: it is listed, the count adds up.
    let first = open.saturating_sub(150).max(1);
    let last = open.saturating_add(150);
    let out = run_example(
        "portscan.kiwi",
        &["127.0.0.1", &first.to_string(), &last.to_string()],
    );
    let text = stdout_of(&out);
    assert!(text.contains(&format!("127.0.0.1:{open} open\n")), "{text}");
    let total = last - first + 1;
    assert!(
        text.contains(&format!("scanned {total} ports on 127.0.0.1: ")),
        "{text}"
    );
    let listed: Vec<u16> = text
        .lines()
        .filter_map(|l| l.strip_suffix(" open"))
        .map(|l| l.rsplit(':').next().unwrap().parse().unwrap())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(listed, sorted, "open ports are printed in order");
    drop(listener);
}

#[test]
fn portscan_refuses_non_loopback_hosts() {
    // 192.0.2.1 is TEST-NET-1; the script refuses before sending anything.
    let out = run_example("portscan.kiwi", &["192.0.2.1", "1", "10"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout_of(&out), "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--any-host"));

    let out = run_example("portscan.kiwi", &["127.0.0.1", "10", "5"]);
    assert_eq!(out.status.code(), Some(2));
}

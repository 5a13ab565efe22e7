//! Resource limits: the echo server under descriptor exhaustion (it must neither exit nor
//! spin, and must recover), and `recv` with a huge `max_bytes` (no up-front allocation).

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use util::{connect, echo_roundtrip, echo_server_with, have, kiwi, Proc, TempDir, STEP};

const NOFILE: u32 = 64;

/// A command that runs `kiwi ...` (appended by the caller) with at most `NOFILE` open
/// descriptors, keeping the kiwi process's pid (exec, no wrapper process left over).
fn limited_kiwi() -> Command {
    kiwi_with_nofile(NOFILE)
}

/// `kiwi ...` with at most `nofile` open descriptors.
fn kiwi_with_nofile(nofile: u32) -> Command {
    let kiwi_bin = env!("CARGO_BIN_EXE_kiwi");
    if have("prlimit") {
        let mut c = Command::new("prlimit");
        c.arg(format!("--nofile={nofile}:{nofile}"))
            .arg("--")
            .arg(kiwi_bin);
        c
    } else {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!("ulimit -n {nofile} && exec \"$0\" \"$@\""))
            .arg(kiwi_bin);
        c
    }
}

fn read_exact_within(s: &TcpStream, n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    let mut r = s;
    r.read_exact(&mut buf)?;
    Ok(buf)
}

#[test]
fn echo_server_survives_descriptor_exhaustion() {
    const CLIENTS: usize = 100;
    let (mut server, port) = echo_server_with(&mut limited_kiwi());
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", server.pid())).unwrap();
    assert_eq!(comm.trim(), "kiwi", "the limit wrapper must exec kiwi");
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let nofile = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    assert!(
        nofile.split_whitespace().nth(3) == Some(&NOFILE.to_string()),
        "{nofile}"
    );

    // More clients than the server has descriptors: the kernel completes every connection
    // (backlog 128), the server can accept only some of them.
    let clients: Vec<TcpStream> = (0..CLIENTS)
        .map(|i| {
            let s = connect(port, STEP);
            (&s).write_all(format!("hi {i:03}").as_bytes()).unwrap();
            s
        })
        .collect();
    thread::sleep(Duration::from_millis(300));
    assert!(
        server.exited().is_none(),
        "server exited at the descriptor limit: {}",
        server.stderr()
    );
    // The limit was really reached (inherited descriptors, such as cargo's jobserver pipe,
    // may add one or two above it).
    let fds = server.open_fds();
    assert!(fds >= NOFILE as usize - 2, "only {fds} descriptors in use");

    // Blocked on accept without descriptors, it must not spin.
    let cpu0 = server.cpu_time();
    let wall0 = Instant::now();
    thread::sleep(Duration::from_secs(1));
    let cpu = server.cpu_time() - cpu0;
    let wall = wall0.elapsed();
    assert!(
        cpu.as_secs_f64() < 0.5 * wall.as_secs_f64(),
        "server used {cpu:?} CPU in {wall:?} at the descriptor limit"
    );

    // The first clients were accepted and are served normally.
    for (i, s) in clients.iter().take(20).enumerate() {
        let got = read_exact_within(s, 6).unwrap_or_else(|e| panic!("client {i}: {e}"));
        assert_eq!(got, format!("hi {i:03}").as_bytes());
        echo_roundtrip(s, b"more").unwrap_or_else(|e| panic!("client {i}: {e}"));
    }

    // Recovery: close most clients; the ones still waiting in the backlog get accepted and
    // served, and so do new ones.
    let keep = 10;
    let mut clients = clients;
    let waiting = clients.split_off(CLIENTS - keep);
    drop(clients);
    for (k, s) in waiting.iter().enumerate() {
        let i = CLIENTS - keep + k;
        let got = read_exact_within(s, 6).unwrap_or_else(|e| {
            panic!(
                "waiting client {i} not served after recovery: {e}; stderr: {}",
                server.stderr()
            )
        });
        assert_eq!(got, format!("hi {i:03}").as_bytes());
    }
    let fresh: Vec<TcpStream> = (0..20).map(|_| connect(port, STEP)).collect();
    for (i, s) in fresh.iter().enumerate() {
        echo_roundtrip(s, format!("fresh {i}").as_bytes())
            .unwrap_or_else(|e| panic!("fresh client {i}: {e}"));
    }
    assert!(server.exited().is_none(), "{}", server.stderr());
    // Only per-client errors (clients closed with unread echoes reset) may be reported.
    for line in server.stderr().lines() {
        assert!(line.starts_with("client "), "unexpected stderr: {line}");
    }
}

/// A Kiwi script that runs out of descriptors while connecting: `tcpconnect` raises a
/// catchable SystemError naming the cause, and after closing some sockets it works again.
const CONNECT_UNTIL_EMFILE: &str = r#"
srv = socket::tcpserver("127.0.0.1", 0)
port = socket::local_addr(srv)["port"]
conns = []
failure = null
repeat 200 do
  try
    conns.push(socket::tcpconnect("127.0.0.1", port))
  catch e
    failure = e
    break
  end
end
println "opened ${conns.size()}"
println "${failure["error"]}: ${failure["message"]}"
for c in conns.take(20) do socket::close(c) end
srv2 = socket::tcpserver("127.0.0.1", 0)
c = socket::tcpconnect("127.0.0.1", socket::local_addr(srv2)["port"])
a = task::await(socket::accept(srv2))
task::await(socket::send(c, "recovered".to_bytes()))
println task::await(socket::recv(a)).to_string()
"#;

#[test]
fn kiwi_client_at_the_descriptor_limit_gets_a_system_error_and_recovers() {
    let dir = TempDir::new("limits");
    let script = dir.file("emfile.kiwi", CONNECT_UNTIL_EMFILE);
    let o = util::run("kiwi at fd limit", limited_kiwi().arg(&script), b"", STEP);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}\nstdout: {out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let opened: usize = lines[0]
        .strip_prefix("opened ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        (20..NOFILE as usize).contains(&opened),
        "opened {opened} connections under a limit of {NOFILE}"
    );
    assert!(
        lines[1].starts_with("SystemError: ") && lines[1].contains("Too many open files"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "recovered");
}

/// `recv` with `max_bytes` = 2^40, both when data is already there and when the receive is
/// pending before data arrives; the process must stay small.
const HUGE_RECV: &str = r#"
srv = socket::tcpserver("127.0.0.1", 0)
port = socket::local_addr(srv)["port"]
c = socket::tcpconnect("127.0.0.1", port)
a = task::await(socket::accept(srv))
huge = 1099511627776

# Pending first: nothing has been sent yet.
r = socket::recv(a, huge)
task::await(socket::send(c, "first".to_bytes()))
println "pending: ${task::await(r).to_string()}"

# Data already buffered: 1 MiB, read back with huge receives.
chunk = ("0123456789abcdef" * 65536).to_bytes()
sender = socket::send(c, chunk)
total = 0
while total < chunk.size() do
  total += task::await(socket::recv(a, huge)).size()
end
task::await(sender)
println "buffered: ${total}"
socket::close(c)
println "eof: ${task::await(socket::recv(a, huge)).size()}"
println "done"
task::sleep(3000)
"#;

#[test]
fn recv_with_huge_max_bytes_does_not_allocate_it() {
    let dir = TempDir::new("limits");
    let script = dir.file("huge_recv.kiwi", HUGE_RECV);
    let mut p = Proc::spawn("huge recv", kiwi().arg(&script));
    assert_eq!(p.line(STEP), "pending: first");
    assert_eq!(p.line(STEP), "buffered: 1048576");
    assert_eq!(p.line(STEP), "eof: 0");
    assert_eq!(p.line(STEP), "done");
    let hwm_kb = p.status_kb("VmHWM").expect("VmHWM");
    assert!(
        hwm_kb < 256 * 1024,
        "peak resident memory {hwm_kb} kB after 2^40-byte receives"
    );
    let (status, _, err) = p.finish(STEP);
    assert!(status.success(), "{err}");
    assert_eq!(err, "");
}

/// Connects that hang (the listener's queue is full and it never accepts) given a timeout:
/// 300 of them under a limit of 128 descriptors all time out with `TimeoutError` (but the few
/// the kernel's queue takes), each releasing its descriptor at once, and a connect after them
/// works.
const TIMED_CONNECTS: &str = r#"# Connects that hang (the listener's queue is full and it never accepts) time out, each
# releasing its descriptor at once.
full = socket::tcpserver("127.0.0.1", 0, 1)
port = socket::local_addr(full)["port"]
timeouts = 0
others = []
for round in [1 to 6] do
  tries = []
  for i in [1 to 50] do
    tries.push(task::spawn(with do
      outcome = "connected"
      try
        socket::tcpconnect("127.0.0.1", port, 30)
      catch (t, m)
        outcome = t
      end
      outcome
    end))
  end
  for t in tries do
    r = task::await(t)
    if r == "TimeoutError"
      timeouts += 1
    else
      others.push(r)
    end
  end
end
println "timeouts ${timeouts} others ${others.size()}"
srv = socket::tcpserver("127.0.0.1", 0)
accepting = socket::accept(srv)
c = socket::tcpconnect("127.0.0.1", socket::local_addr(srv)["port"], 1000)
a = task::await(accepting)
task::await(socket::send(c, "after".to_bytes()))
println task::await(socket::recv(a)).to_string()
try
  socket::tcpconnect("127.0.0.1", port, 25)
catch e
  println e["error"] + ": " + e["message"].replace(port.to_string(), "P")
end
"#;

#[test]
fn timed_out_connects_release_their_descriptors() {
    let dir = TempDir::new("limits");
    let script = dir.file("connects.kiwi", TIMED_CONNECTS);
    let o = util::run(
        "timed connects",
        kiwi_with_nofile(128).arg(&script),
        b"",
        STEP,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<&str> = out.lines().collect();
    let counts: Vec<usize> = lines[0].split(' ').filter_map(|w| w.parse().ok()).collect();
    assert_eq!(counts.len(), 2, "{out}");
    let (timeouts, connected) = (counts[0], counts[1]);
    assert_eq!(timeouts + connected, 300, "{out}");
    // The kernel's accept queue of a backlog-1 listener holds a couple of connections.
    assert!(connected <= 4, "{out}");
    assert_eq!(
        &lines[1..],
        [
            "after",
            "TimeoutError: connect to 127.0.0.1:P timed out after 25 ms"
        ],
        "{out}"
    );
}

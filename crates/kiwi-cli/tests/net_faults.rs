//! Faulty peers must cost the Kiwi server nothing but their own connection: clients that reset
//! mid-message, clients that stall, and clients that never read.

mod util;

use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use util::{
    connect, echo_roundtrip, echo_server, eventually, kiwi, pattern, set_linger_zero, Proc,
    TempDir, STEP,
};

#[derive(Clone, Copy, Debug)]
enum Role {
    Reset,
    Stall,
    Echo,
}

/// 200 concurrent clients against `echo_server.kiwi`: a third reset after half a message, a
/// third stall with their connection open, a third echo several messages each. Every echo
/// client must succeed, in bounded time, while the stalled ones are still connected.
#[test]
fn echo_server_survives_resets_and_stalls() {
    const CLIENTS: usize = 200;
    let (mut server, port) = echo_server();
    let release_stalls = Arc::new(Barrier::new(CLIENTS / 3 + 1));
    let (done_tx, done_rx) = mpsc::channel::<(usize, Role, Result<(), String>)>();
    let start = Instant::now();
    let mut handles = Vec::new();
    let mut stalls = 0;
    for i in 0..CLIENTS {
        let role = match i % 3 {
            0 => Role::Reset,
            1 if stalls < CLIENTS / 3 => {
                stalls += 1;
                Role::Stall
            }
            _ => Role::Echo,
        };
        let release = Arc::clone(&release_stalls);
        let done = done_tx.clone();
        handles.push(thread::spawn(move || {
            let result = (|| -> Result<(), String> {
                let s = connect(port, STEP);
                match role {
                    Role::Reset => {
                        // Half of a 2 KiB message, then an abortive close.
                        (&s).write_all(&pattern(1024, i as u64))
                            .map_err(|e| e.to_string())?;
                        set_linger_zero(&s);
                        drop(s);
                    }
                    Role::Stall => {
                        // Every other staller sends a fragment first; then silence until the
                        // test is over.
                        if i % 2 == 0 {
                            (&s).write_all(b"partial").map_err(|e| e.to_string())?;
                        }
                        done.send((i, role, Ok(()))).unwrap();
                        release.wait();
                        drop(s);
                        return Ok(());
                    }
                    Role::Echo => {
                        for (k, len) in [1usize, 100, 4096, 65_536, 300_000].iter().enumerate() {
                            echo_roundtrip(&s, &pattern(*len, (i * 10 + k) as u64))?;
                        }
                        s.shutdown(std::net::Shutdown::Write)
                            .map_err(|e| e.to_string())?;
                        let mut rest = Vec::new();
                        (&s).read_to_end(&mut rest).map_err(|e| e.to_string())?;
                        if !rest.is_empty() {
                            return Err(format!("{} stray bytes before EOF", rest.len()));
                        }
                    }
                }
                Ok(())
            })();
            // A stall that failed before reporting reports now (and still joins the barrier
            // so the test does not wait for it).
            if let (Role::Stall, Err(_)) = (role, &result) {
                done.send((i, role, result)).unwrap();
                release.wait();
            } else if !matches!(role, Role::Stall) {
                done.send((i, role, result)).unwrap();
            }
        }));
    }
    drop(done_tx);

    let mut failures = Vec::new();
    let mut finished = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while finished < CLIENTS {
        let left = deadline.saturating_duration_since(Instant::now());
        match done_rx.recv_timeout(left) {
            Ok((i, role, r)) => {
                finished += 1;
                if let Err(e) = r {
                    failures.push(format!("client {i} ({role:?}): {e}"));
                }
            }
            Err(_) => break,
        }
    }
    let elapsed = start.elapsed();
    if finished < CLIENTS || !failures.is_empty() {
        // Let the stalled threads go so the test process can end.
        thread::spawn(move || release_stalls.wait());
        panic!(
            "{finished}/{CLIENTS} clients finished in {elapsed:?}; failures: {failures:#?}\n\
             server stderr: {}",
            server.stderr()
        );
    }
    // Every echo client is done while all stallers are still connected.
    assert!(
        server.exited().is_none(),
        "server exited: {}",
        server.stderr()
    );
    let fresh = connect(port, STEP);
    echo_roundtrip(&fresh, b"still alive").unwrap();
    drop(fresh);

    release_stalls.wait();
    for h in handles {
        h.join().unwrap();
    }
    // The server is still alive after the stallers leave, and serves again.
    let again = connect(port, STEP);
    echo_roundtrip(&again, &pattern(10_000, 99)).unwrap();
    assert!(
        server.exited().is_none(),
        "server exited: {}",
        server.stderr()
    );
    // Every reset shows up as one per-client error line on stderr, and nothing else does.
    // A staller that sent a fragment closes with its echo unread, which the kernel turns into
    // a reset too, so those may add a line each.
    let resets = (0..CLIENTS).filter(|i| i % 3 == 0).count();
    let partial_stalls = (0..CLIENTS)
        .filter(|i| i % 3 == 1 && i % 2 == 0 && *i < 3 * (CLIENTS / 3))
        .count();
    let all_reported = eventually(STEP, || server.stderr().lines().count() >= resets);
    let err = server.stderr();
    let n = err.lines().count();
    assert!(all_reported, "{n} error lines for {resets} resets: {err}");
    assert!(n <= resets + partial_stalls, "{n} error lines: {err}");
    for line in err.lines() {
        let lower = line.to_lowercase();
        assert!(
            line.starts_with("client ") && (lower.contains("reset") || lower.contains("pipe")),
            "unexpected stderr line: {line}"
        );
    }
}

/// A reset that arrives while the server's handler task is in `recv` faults that task with a
/// SystemError (printed by the handler's `catch`); other clients are unaffected.
#[test]
fn reset_during_recv_faults_only_that_handler() {
    let (mut server, port) = echo_server();
    let other = connect(port, STEP);
    echo_roundtrip(&other, b"before").unwrap();

    let victim = connect(port, STEP);
    // After a full round trip, the victim's handler is awaiting its next recv.
    echo_roundtrip(&victim, b"ping").unwrap();
    thread::sleep(Duration::from_millis(50));
    set_linger_zero(&victim);
    drop(victim);

    let reported = eventually(STEP, || server.stderr().contains("client "));
    let err = server.stderr();
    assert!(reported, "no handler error reported; stderr: {err:?}");
    assert_eq!(err.lines().count(), 1, "one error line expected: {err}");
    let lower = err.to_lowercase();
    assert!(
        lower.contains("reset"),
        "the error should name the reset: {err}"
    );

    echo_roundtrip(&other, &pattern(200_000, 5)).unwrap();
    let fresh = connect(port, STEP);
    echo_roundtrip(&fresh, b"after").unwrap();
    assert!(server.exited().is_none());
}

/// A server that sends 64 MiB to every client as soon as it connects, then closes.
const BULK_SENDER: &str = r#"
srv = socket::tcpserver("127.0.0.1", 0)
println socket::local_addr(srv)["port"]
chunk = ("kiwi" * 262144).to_bytes()        # 1 MiB

fn serve(c)
  try
    repeat 64 do
      task::await(socket::send(c, chunk))
    end
    eprintln "sent 64 MiB to a client"
  catch e
    eprintln "send failed: ${e["message"]}"
  end
  socket::close(c)
end

while true do
  c = task::await(socket::accept(srv))
  task::spawn(serve, [c])
end
"#;

/// A client that never reads leaves the server's send pending; another client is meanwhile
/// served in full.
#[test]
fn a_client_that_never_reads_does_not_block_others() {
    let dir = TempDir::new("faults");
    let script = dir.file("bulk_sender.kiwi", BULK_SENDER);
    let mut server = Proc::spawn("bulk sender", kiwi().arg(&script));
    let port: u16 = server.line(STEP).trim().parse().expect("port");

    // Connects and never reads: the server's sends to it fill the socket buffers and wait.
    let lazy = connect(port, STEP);
    thread::sleep(Duration::from_millis(200));

    let reader = connect(port, Duration::from_secs(60));
    let start = Instant::now();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0usize;
    let mut r = &reader;
    loop {
        let n = r.read(&mut buf).expect("read from bulk sender");
        if n == 0 {
            break;
        }
        assert!(
            buf[..n].iter().all(|b| b"kiwi".contains(b)),
            "unexpected bytes"
        );
        total += n;
    }
    assert_eq!(total, 64 << 20);
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "took {:?}",
        start.elapsed()
    );
    // The reader's handler finished; the lazy client's is still waiting on its send.
    assert!(eventually(STEP, || server.stderr().contains("sent 64 MiB")));
    assert_eq!(
        server.stderr().matches("sent 64 MiB").count(),
        1,
        "{}",
        server.stderr()
    );
    assert!(server.exited().is_none());
    // Its CPU use while only the stuck send is pending is low (no busy wait).
    let cpu0 = server.cpu_time();
    let wall0 = Instant::now();
    thread::sleep(Duration::from_secs(1));
    let cpu = server.cpu_time() - cpu0;
    let wall = wall0.elapsed();
    assert!(
        cpu.as_secs_f64() < 0.5 * wall.as_secs_f64(),
        "server used {cpu:?} CPU in {wall:?} while one send was pending"
    );
    // Pending sends hold at most the chunk being sent, not the whole transfer.
    let hwm_kb = server.status_kb("VmHWM").expect("VmHWM");
    assert!(hwm_kb < 256 * 1024, "bulk sender peak RSS {hwm_kb} kB");

    // The lazy client now resets mid-transfer: only its handler fails, with the reset.
    set_linger_zero(&lazy);
    drop(lazy);
    assert!(
        eventually(STEP, || server.stderr().contains("send failed: ")),
        "no send failure reported: {}",
        server.stderr()
    );
    let err = server.stderr();
    let failure = err
        .lines()
        .find(|l| l.starts_with("send failed: "))
        .unwrap();
    let lower = failure.to_lowercase();
    assert!(
        lower.contains("reset") || lower.contains("pipe"),
        "{failure}"
    );
    // And the server still serves a full transfer.
    let again = connect(port, Duration::from_secs(60));
    let mut sink = Vec::new();
    (&again)
        .read_to_end(&mut sink)
        .expect("read the second transfer");
    assert_eq!(sink.len(), 64 << 20);
    assert!(server.exited().is_none());
}

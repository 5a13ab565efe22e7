//! Signals from outside the process: a server that traps SIGTERM shuts down cleanly (its
//! handler closes the listener and exits 0); without a handler SIGTERM ends the process as
//! usual.

mod util;

use std::process::Command;
use std::time::Duration;

use util::{kiwi, Proc, TempDir};

fn send_term(p: &Proc) {
    let sent = Command::new("kill")
        .args(["-TERM", &p.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}

#[test]
fn a_trapped_sigterm_runs_the_handler_and_exits_cleanly() {
    let dir = TempDir::new("signals");
    let script = dir.file(
        "server.kiwi",
        r#"
srv = socket::tcpserver("127.0.0.1", 0)
signal::trap(signal::SIGTERM, with do
  println "shutting down"
  socket::close(srv)
  exit 0
end)
println "ready"
while true do
  c = task::await(socket::accept(srv))
  socket::close(c)
end
"#,
    );
    let mut p = Proc::spawn("trapping server", kiwi().arg(&script));
    assert_eq!(p.line(Duration::from_secs(10)), "ready");
    send_term(&p);
    assert_eq!(p.line(Duration::from_secs(10)), "shutting down");
    let status = p.wait(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "stderr: {}", p.stderr());
}

#[test]
fn an_untrapped_sigterm_ends_the_process() {
    let dir = TempDir::new("signals-default");
    let script = dir.file(
        "idle.kiwi",
        "println \"ready\"\nwhile true do\n  task::sleep(50)\nend\n",
    );
    let mut p = Proc::spawn("idle script", kiwi().arg(&script));
    assert_eq!(p.line(Duration::from_secs(10)), "ready");
    send_term(&p);
    let status = p.wait(Duration::from_secs(10));
    assert_eq!(status.code(), None, "ended by the signal, not an exit code");
}

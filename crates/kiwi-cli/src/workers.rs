//! `kiwi --workers N script.kiwi`: N copies of a server script, each a process of its own
//! (a whole runtime: interpreter, scheduler, sockets), so a server uses every core.
//!
//! Nothing is shared between workers but the listening port: each sets `KIWI_WORKER` (its
//! index, 0..N) and `KIWI_WORKERS` (N) in its environment, and under `KIWI_WORKER` every
//! listener (`socket::tcpserver`, `tls::tcpserver`, `httpserver`, `udp` bind) sets
//! SO_REUSEPORT by default, so all of them bind the same port and the kernel spreads new
//! connections across them. Globals, tasks and files a worker opens are its own.
//!
//! Stopping: SIGINT, SIGTERM or SIGHUP to this process is passed on to every worker as
//! SIGTERM (a script's `signal` handlers run, e.g. to stop its server gracefully). When one
//! worker ends, the others are stopped the same way, so the group lives and dies as one
//! program; the exit status is the first non-zero status of a worker, else 0.

use std::ffi::OsString;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long stopped workers get before they are killed.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// This process's arguments without `--workers N` / `--workers=N`.
fn worker_args() -> Vec<OsString> {
    let mut out = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        if a == "--workers" {
            args.next();
            continue;
        }
        if a.to_str().is_some_and(|s| s.starts_with("--workers=")) {
            continue;
        }
        out.push(a);
    }
    out
}

fn terminate(children: &[Option<Child>]) {
    for child in children.iter().flatten() {
        if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
    }
}

/// Runs `n` workers and waits for them; the exit status for the group.
pub fn run(n: usize) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return crate::source::fail(&format!("cannot find the kiwi executable: {e}")),
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        let _ = signal_hook::flag::register(sig, stop.clone());
    }
    let args = worker_args();
    let mut children: Vec<Option<Child>> = Vec::with_capacity(n);
    for i in 0..n {
        let spawned = Command::new(&exe)
            .args(&args)
            .env("KIWI_WORKER", i.to_string())
            .env("KIWI_WORKERS", n.to_string())
            .spawn();
        match spawned {
            Ok(c) => children.push(Some(c)),
            Err(e) => {
                terminate(&children);
                return crate::source::fail(&format!("cannot start worker {i}: {e}"));
            }
        }
    }
    let mut status = 0;
    let mut stopping: Option<Instant> = None;
    while children.iter().any(Option::is_some) {
        for slot in children.iter_mut() {
            let Some(child) = slot else { continue };
            if let Ok(Some(exit)) = child.try_wait() {
                let code = exit.code().unwrap_or(1);
                if status == 0 && code != 0 {
                    status = code;
                }
                *slot = None;
                stop.store(true, Ordering::SeqCst);
            }
        }
        if stop.load(Ordering::SeqCst) && stopping.is_none() {
            stopping = Some(Instant::now());
            terminate(&children);
        }
        if stopping.is_some_and(|at| at.elapsed() > STOP_GRACE) {
            for child in children.iter_mut().flatten() {
                let _ = child.kill();
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    status
}

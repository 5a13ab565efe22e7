//! The host loop that drives Kiwi tasks.
//!
//! The VM ([`kiwi_vm::Interp`]) never blocks: it runs ready tasks for a bounded budget and
//! returns. This crate owns the single thread, one current-thread tokio runtime for the whole
//! process and the network (`kiwi-net`, bound to the VM through [`network::NetAdapter`]).
//! Between VM passes it sleeps until the next timer is due or a network operation completes.
//! When nothing is ready, no timer is pending and no operation is in flight, the remaining
//! tasks are deadlocked and the VM is told so instead of hanging forever.

#![forbid(unsafe_code)]

pub mod network;

use std::io::Write;

use kiwi_net::Net;
use kiwi_vm::stdlib::HostEnv;
use kiwi_vm::{Diagnostic, Interp, RunState};

/// Runs Kiwi programs to completion.
///
/// The tokio runtime and the network live as long as the `Runtime`, not one `drive` call, so
/// sockets opened by one REPL entry are still there for the next.
pub struct Runtime {
    interp: Interp,
    net: Net,
    io: Result<tokio::runtime::Runtime, String>,
}

impl Runtime {
    /// A runtime whose scripts see `host` (arguments, script path) and write to `out`/`err`.
    pub fn new(host: HostEnv, out: Box<dyn Write>, err: Box<dyn Write>) -> Self {
        let mut interp = Interp::new(host, out, err);
        for package in kiwi_stdlib::PACKAGES {
            interp.register_package(package);
        }
        for (name, source) in kiwi_stdlib::SOURCES {
            interp.register_kiwi_source(name, source);
        }
        let net = Net::new(interp.id_counter());
        interp.set_net(Box::new(network::NetAdapter::new(net.clone())));
        let io = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string());
        Runtime { interp, net, io }
    }

    /// The interpreter, for embedding (defining globals, compiling extra units).
    pub fn interp(&mut self) -> &mut Interp {
        &mut self.interp
    }

    /// Compiles and runs the script `text` (from `path`) and returns the process exit code.
    /// Syntax errors are all reported before anything runs.
    pub fn run_source(&mut self, path: &std::path::Path, text: &str) -> i32 {
        match self.interp.compile_unit(path, text) {
            Ok(unit) => {
                self.interp.start_main(unit);
                let code = self.drive();
                self.end_session();
                code
            }
            Err(diags) => {
                self.report_all(&diags);
                1
            }
        }
    }

    /// Runs one REPL entry. Prints its value unless null; reports errors without exiting.
    /// Returns `Some(code)` only when the script asked to exit.
    pub fn eval_repl(&mut self, path: &std::path::Path, text: &str) -> Option<i32> {
        // Echo the value of a trailing expression, not of assignments or other statements.
        let echo = kiwi_syntax::parse(text).is_ok_and(|p| {
            matches!(
                p.body.last().map(|s| &s.kind),
                Some(kiwi_syntax::ast::StmtKind::Expr(_))
            )
        });
        let unit = match self.interp.compile_unit_as(path, text, echo) {
            Ok(u) => u,
            Err(diags) => {
                self.report_all(&diags);
                return None;
            }
        };
        self.interp.start_main(unit);
        let code = self.drive();
        if self.interp.exit_requested() {
            self.end_session();
            return Some(code);
        }
        if let Some(v) = self.interp.main_result() {
            if !v.is_null() {
                let shown = kiwi_vm::format::to_repr(v);
                let _ = writeln!(std::io::stdout(), "{shown}");
            }
        }
        None
    }

    /// The end of a script or REPL session: spawned tasks' failures nobody retrieved are
    /// reported, then every socket closes and pending operations fault (§10.5), and the
    /// closed connections are given up to [`kiwi_net::LINGER`] to deliver what was sent.
    pub fn end_session(&mut self) {
        self.interp.report_unretrieved();
        self.net.close_all();
        if let Ok(rt) = &self.io {
            let lingering = self.net.lingering_done();
            rt.block_on(async {
                let _ = tokio::time::timeout(kiwi_net::LINGER, lingering).await;
            });
        }
    }

    /// Writes every diagnostic to stderr in the §6.4 format.
    pub fn report_all(&mut self, diags: &[Diagnostic]) {
        for d in diags {
            self.interp.report(d);
        }
    }

    /// Runs the scheduler until the process should exit; returns the exit code.
    pub fn drive(&mut self) -> i32 {
        let rt = match &self.io {
            Ok(io) => io,
            Err(e) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "[SystemError]: cannot start the runtime: {e}"
                );
                return 1;
            }
        };
        let interp = &mut self.interp;
        let net = &self.net;
        rt.block_on(async move {
            loop {
                if let RunState::Exit(code) = interp.run_ready(interp.now()) {
                    interp.flush();
                    return code;
                }
                if interp.has_ready() {
                    // Lets tokio poll the sockets, so CPU-bound tasks cannot starve I/O.
                    tokio::task::yield_now().await;
                    continue;
                }
                let deadline = interp.next_deadline();
                if deadline.is_none() && interp.net_pending() == 0 {
                    if let RunState::Exit(code) = interp.break_deadlock() {
                        interp.flush();
                        return code;
                    }
                    continue;
                }
                match deadline {
                    Some(at) => {
                        tokio::select! {
                            () = net.completion_ready() => {}
                            () = tokio::time::sleep_until(at.into()) => {}
                        }
                    }
                    None => net.completion_ready().await,
                }
            }
        })
    }
}

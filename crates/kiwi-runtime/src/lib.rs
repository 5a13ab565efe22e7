//! The host loop that drives Kiwi tasks.
//!
//! The VM ([`kiwi_vm::Interp`]) never blocks: it runs ready tasks for a bounded budget and
//! returns. This crate owns the single thread and a current-thread tokio runtime: between VM
//! passes it sleeps until the next timer is due (and, once networking lands, until an I/O
//! completion arrives). When nothing is ready, no timer is pending and nothing can complete,
//! the remaining tasks are deadlocked and the VM is told so instead of hanging forever.

#![forbid(unsafe_code)]

use std::io::Write;

use kiwi_vm::stdlib::HostEnv;
use kiwi_vm::{Diagnostic, Interp, RunState};

/// Runs Kiwi programs to completion.
pub struct Runtime {
    interp: Interp,
}

impl Runtime {
    /// A runtime whose scripts see `host` (arguments, script path) and write to `out`/`err`.
    pub fn new(host: HostEnv, out: Box<dyn Write>, err: Box<dyn Write>) -> Self {
        Runtime {
            interp: Interp::new(host, out, err),
        }
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
                self.drive()
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

    /// Writes every diagnostic to stderr in the §6.4 format.
    pub fn report_all(&mut self, diags: &[Diagnostic]) {
        for d in diags {
            self.interp.report(d);
        }
    }

    /// Runs the scheduler until the process should exit; returns the exit code.
    pub fn drive(&mut self) -> i32 {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "[SystemError]: cannot start the runtime: {e}"
                );
                return 1;
            }
        };
        let interp = &mut self.interp;
        rt.block_on(async move {
            loop {
                if let RunState::Exit(code) = interp.run_ready(interp.now()) {
                    interp.flush();
                    return code;
                }
                if interp.has_ready() {
                    tokio::task::yield_now().await;
                    continue;
                }
                match interp.next_deadline() {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => {
                        if let RunState::Exit(code) = interp.break_deadlock() {
                            interp.flush();
                            return code;
                        }
                    }
                }
            }
        })
    }
}

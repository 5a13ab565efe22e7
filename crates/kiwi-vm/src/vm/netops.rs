//! Network operations at run time: the machinery the `socket` and `tls` packages (in
//! `kiwi-stdlib`) start operations through ([`crate::native::NativeCx`]). Every asynchronous
//! operation is registered as an external scheduler entry, so `task::await`, `status`, `result`
//! and `await(id, timeout_ms)` treat it like a spawned task. Operations that finish at once
//! (bad id, data already there, a send the kernel took whole) are completed before the native
//! returns, so awaiting them never suspends. Deadlines, completions, `input()` and the TLS
//! connect failure codes live here too.

use super::deadlines::OpDeadline;
use super::exec::Outcome;
use super::Interp;
use crate::error::{ErrorType, KResult, KiwiError};
use crate::native::Started;
use crate::net::{Cancelled, FailureKind, NetFailure, NetId, NetResult, NetValue};
use crate::scheduler::{EntryKind, TaskState};
use crate::task::{Blocked, Task};
use crate::text::Text;
use crate::value::Value;
use std::rc::Rc;

impl Interp {
    /// Arms `op`'s deadline `ms` from now.
    pub(crate) fn arm_deadline(
        &mut self,
        op: NetId,
        on: Option<NetId>,
        what: String,
        peer: &str,
        ms: i64,
    ) {
        let at = self.now() + std::time::Duration::from_millis(ms.unsigned_abs());
        let deadline = OpDeadline {
            on,
            what,
            peer: peer.to_string(),
            ms,
        };
        self.op_deadlines.arm(at, op, deadline);
    }

    /// Cancels the operations whose deadline passed while they still waited: a `TimeoutError`
    /// (for `tls::tcpconnect`, -2 or -3 and the reason in `tls::last_error()`).
    pub(crate) fn expire_ops(&mut self, now: std::time::Instant) {
        for (op, d) in self.op_deadlines.due(now) {
            if !matches!(self.sched.state(op), Some(TaskState::Running)) {
                continue;
            }
            let Some(stopped) = self.net.cancel(op, d.on) else {
                // Done already; its completion is on the way.
                continue;
            };
            if self.tls_connects.contains_key(&op) {
                let (kind, message) = match stopped {
                    Cancelled::Handshake => (
                        FailureKind::Handshake,
                        format!("TLS handshake with {} timed out after {} ms", d.peer, d.ms),
                    ),
                    _ => (
                        FailureKind::Connect,
                        format!("{} timed out after {} ms", d.what, d.ms),
                    ),
                };
                self.finish_op(op, Err(NetFailure::new(kind, message)));
            } else {
                let message = format!("{} timed out after {} ms", d.what, d.ms);
                self.sched
                    .finish(op, Err(KiwiError::new(ErrorType::TimeoutError, message)));
            }
        }
    }

    /// Suspends `task` until hidden operation `op` finishes (at once if it already has).
    pub(crate) fn wait_for_op(&mut self, task: &mut Task, op: NetId) -> KResult<Outcome> {
        self.poll_net();
        if let Some(outcome) = self.sched.take_finished(op) {
            return outcome.map(Outcome::Value);
        }
        self.block_on_op(task, op)
    }

    /// Suspends `task` until pending operation `op`, whose id the script never sees:
    /// detached, so that if the task stops waiting (it is cancelled) the entry goes once the
    /// operation ends.
    fn block_on_op(&mut self, task: &mut Task, op: NetId) -> KResult<Outcome> {
        self.sched.add_waiter(op, task.id);
        self.sched.detach(op);
        task.blocked = Some(Blocked::Await(op));
        Ok(Outcome::Block)
    }

    /// `input(prompt = "")`: prints the prompt, then reads a line of standard input (without
    /// its line ending; `null` at end of input) while only the calling task waits.
    pub(crate) fn input(&mut self, task: &mut Task, args: &[Value]) -> KResult<Outcome> {
        if let Some(p) = args.first() {
            let _ = self.out.write_all(crate::format::to_display(p).as_bytes());
        }
        let _ = self.out.flush();
        let op = self.register_op();
        self.net.read_line(op);
        self.wait_for_op(task, op)
    }

    /// Registers a new pending operation id.
    pub(crate) fn register_op(&mut self) -> NetId {
        let op = self.sched.fresh_id();
        self.sched.register(op, EntryKind::External);
        op
    }

    /// Starts an operation unless `checked` already says why it cannot run. Its id is
    /// registered with the scheduler only if it has to wait.
    pub(crate) fn begin_op(
        &mut self,
        checked: Result<(), String>,
        start: impl FnOnce(&mut dyn crate::net::NetDriver, NetId) -> Option<NetResult>,
    ) -> Started {
        let op = self.sched.fresh_id();
        let done = match checked {
            Ok(()) => start(&mut *self.net, op),
            Err(reason) => Some(Err(reason.into())),
        };
        match done {
            Some(result) => Started::Done(op, result),
            None => {
                self.sched.register(op, EntryKind::External);
                Started::Pending(op)
            }
        }
    }

    /// The task id a script sees for a started operation (one that already finished is
    /// registered as finished, so `await`, `status` and `result` treat both alike).
    pub(crate) fn op_id(&mut self, started: Started) -> Value {
        match started {
            Started::Done(op, result) => {
                self.sched.register(op, EntryKind::External);
                self.finish_op(op, result);
                Value::Int(op)
            }
            Started::Pending(op) => Value::Int(op),
        }
    }

    /// `task::await(socket::recv(..))` and `task::await(socket::send(..))` in one step: the
    /// operation id never reaches the script, so an operation that finishes at once needs no
    /// scheduler entry and no `await` call. Returns what the `await` would have.
    pub(crate) fn await_started(&mut self, task: &mut Task, started: Started) -> KResult<Outcome> {
        match started {
            Started::Done(_, result) => self.op_outcome(result).map(Outcome::Value),
            Started::Pending(op) => self.block_on_op(task, op),
        }
    }

    /// The value (or the error) an awaited operation result gives.
    pub(crate) fn op_outcome(&mut self, result: NetResult) -> KResult<Value> {
        match result {
            Ok(NetValue::Socket(id)) => Ok(Value::Int(id)),
            Ok(NetValue::Bytes(b)) => Ok(Value::bytes(b)),
            Ok(NetValue::Sent(n)) => Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX))),
            Ok(NetValue::Addresses(ips)) => {
                Ok(Value::list(ips.into_iter().map(Value::str).collect()))
            }
            Ok(NetValue::Line(None)) => Ok(Value::Null),
            Ok(NetValue::Data(plain)) => Ok(plain.into_value()),
            Ok(NetValue::Record(r)) => {
                let (names, seen) = (&mut self.names, &mut self.static_texts);
                Ok(crate::net::record_value(r, &mut |s| {
                    static_text(names, seen, s)
                }))
            }
            Ok(NetValue::Datagram(data, from)) => {
                Ok(self.datagrams.value(&mut self.names, data, from))
            }
            Err(NetFailure {
                kind: FailureKind::Raised(kind),
                message,
            }) => Err(KiwiError::custom(kind, message)),
            Ok(NetValue::Line(Some(mut line))) => {
                while line.ends_with('\n') || line.ends_with('\r') {
                    line.pop();
                }
                Ok(Value::str(line))
            }
            Err(failure) => Err(system_error(failure)),
        }
    }

    /// Records the outcome of operation `op` and wakes whoever awaits it.
    pub(crate) fn finish_op(&mut self, op: NetId, result: NetResult) {
        let tls_waiter = if self.tls_connects.is_empty() {
            None
        } else {
            self.tls_connects.remove(&op)
        };
        let outcome = match (result, tls_waiter) {
            // A name that can never work is the script's mistake, not the network's.
            (Err(failure), Some(_)) if failure.kind == FailureKind::Argument => Err(
                KiwiError::new(ErrorType::ValueError, format!("tls::tcpconnect: {failure}")),
            ),
            // A TLS connect reports failure as a negative code plus `tls::last_error()`.
            (Err(failure), Some(waiter)) => {
                let code = failure.tls_code();
                self.tls_errors.insert(waiter, failure.message);
                Ok(Value::Int(code))
            }
            (result, _) => self.op_outcome(result),
        };
        self.sched.finish(op, outcome);
    }

    /// Collects the operations the network finished and wakes their awaiters. Returns whether
    /// there were any.
    pub fn poll_net(&mut self) -> bool {
        let mut done = std::mem::take(&mut self.net_done);
        self.net.take_completions(&mut done);
        let any = !done.is_empty();
        for (op, result) in done.drain(..) {
            let routed = if self.acceptors.is_empty() {
                Some((op, result))
            } else {
                self.route_to_acceptor(op, result)
            };
            if let Some((op, result)) = routed {
                self.finish_op(op, result);
            }
        }
        self.net_done = done;
        any
    }
}

/// The one string value of static text `s` (an interned name constant), found by address: the
/// same few literals come with every record.
fn static_text(
    names: &mut crate::compiler::Globals,
    seen: &mut Vec<(&'static str, Rc<Text>)>,
    s: &'static str,
) -> Rc<Text> {
    if let Some((_, rc)) = seen.iter().find(|(t, _)| std::ptr::eq(*t, s)) {
        return rc.clone();
    }
    let rc = names.string(s);
    seen.push((s, rc.clone()));
    rc
}

fn system_error(reason: impl std::fmt::Display) -> KiwiError {
    KiwiError::new(ErrorType::SystemError, reason.to_string())
}

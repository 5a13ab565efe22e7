//! The `socket` and `tls` packages (§0, §11): natives that validate their arguments, hand the
//! work to the host's [`NetDriver`](crate::net::NetDriver) and return task ids for the
//! scheduler. Both packages share one implementation; a [`Family`] says which one a call came
//! through, and an id of the other family is refused with a message saying what it is.
//!
//! Every asynchronous operation is registered as an external scheduler entry, so
//! `task::await`, `status`, `result` and `await(id, timeout_ms)` treat it like a spawned task.
//! Operations that finish at once (bad id, data already there, a send the kernel took whole)
//! are completed before the native returns, so awaiting them never suspends.

use super::deadlines::OpDeadline;
use super::exec::Outcome;
use super::Interp;
use crate::error::{ErrorType, KResult, KiwiError};
use crate::net::{
    Cancelled, FailureKind, Identity, NetFailure, NetId, NetResult, NetValue, OptionValue,
    SocketKind,
};
use crate::scheduler::{EntryKind, TaskState};
use crate::task::{Blocked, Task};
use crate::value::{Key, Value};

/// `recv`'s default `max_bytes`.
const DEFAULT_RECV: i64 = 4096;
/// `recv_until`'s default `max_bytes`.
const DEFAULT_RECV_UNTIL: i64 = 65536;
/// `tcpserver`'s default backlog.
const DEFAULT_BACKLOG: i64 = 128;
/// `tls::tcpconnect`'s default port.
const DEFAULT_TLS_PORT: i64 = 443;

/// Which package a call came through.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Family {
    /// `socket::`, plain TCP.
    Tcp,
    /// `tls::`.
    Tls,
}

impl Family {
    fn package(self) -> &'static str {
        match self {
            Family::Tcp => "socket",
            Family::Tls => "tls",
        }
    }

    /// `package::recv` or `package::send` (`function` is one of the two), for argument error
    /// messages on the hot path without allocating.
    fn qualified(self, function: &str) -> &'static str {
        match (self, function) {
            (Family::Tcp, "recv") => "socket::recv",
            (Family::Tcp, _) => "socket::send",
            (Family::Tls, "recv") => "tls::recv",
            (Family::Tls, _) => "tls::send",
        }
    }

    fn listener(self) -> SocketKind {
        match self {
            Family::Tcp => SocketKind::Listener,
            Family::Tls => SocketKind::TlsListener,
        }
    }

    fn stream(self) -> SocketKind {
        match self {
            Family::Tcp => SocketKind::Stream,
            Family::Tls => SocketKind::TlsStream,
        }
    }
}

/// What a socket of kind `k` is, for messages.
fn describe(k: SocketKind) -> &'static str {
    match k {
        SocketKind::Listener => "a listening TCP socket",
        SocketKind::Stream => "a TCP connection",
        SocketKind::TlsListener => "a listening TLS socket",
        SocketKind::TlsStream => "a TLS connection",
    }
}

/// The package a socket of kind `k` belongs to.
fn family_of(k: SocketKind) -> Family {
    match k {
        SocketKind::Listener | SocketKind::Stream => Family::Tcp,
        SocketKind::TlsListener | SocketKind::TlsStream => Family::Tls,
    }
}

/// A `recv` or `send` just started: finished at once (its id, unregistered, and result) or
/// waiting (its id, registered).
pub(crate) enum Started {
    Done(NetId, NetResult),
    Pending(NetId),
}

/// Which kinds of socket a function accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Listener,
    Stream,
    Any,
}

impl Interp {
    /// Calls `socket::<function>` or `tls::<function>`.
    pub(crate) fn net_native(
        &mut self,
        task: &mut Task,
        family: Family,
        name: &str,
        args: &[Value],
    ) -> KResult<Outcome> {
        let function = name.rsplit("::").next().unwrap_or(name);
        // Hot operations first (a string match tests its arms in order).
        let v = match function {
            "recv" => {
                let op = self.net_recv(family, args)?;
                self.detach_if_discarded(task, op)
            }
            "send" => {
                let op = self.net_send(family, args)?;
                self.detach_if_discarded(task, op)
            }
            "recv_until" => {
                let started = self.begin_recv_until(family, args)?;
                let op = self.op_id(started);
                self.detach_if_discarded(task, op)
            }
            "accept" => {
                let server = id_arg(name, args, 0)?;
                let checked = self.check_kind(family, server, Want::Listener, function);
                let op = self.start_op(checked, |net, op| net.accept(op, server));
                self.detach_if_discarded(task, op)
            }
            "tcpserver" => self.net_server(family, name, args)?,
            "tcpconnect" => return self.net_connect(task, family, name, args),
            "resolve" => {
                let host = str_arg(name, args, 0)?;
                let op = self.register_op();
                self.net.resolve(op, &host);
                return self.wait_for_op(task, op);
            }
            "close" => {
                let id = id_arg(name, args, 0)?;
                // Closing an id of the other package would surprise: refuse it; unknown ids
                // are a no-op (§0).
                if let Some(k) = self.net.kind(id) {
                    if family_of(k) != family {
                        return Err(system_error(self.wrong_family(id, k, function)));
                    }
                    self.net.close(id);
                    // Deliver the faults now, so tasks awaiting them wake in this round.
                    self.poll_net();
                }
                Value::Null
            }
            "shutdown" => {
                let id = id_arg(name, args, 0)?;
                self.check_kind(family, id, Want::Stream, function)
                    .map_err(NetFailure::from)
                    .and_then(|()| self.net.shutdown(id))
                    .map_err(system_error)?;
                Value::Null
            }
            "local_addr" | "peer_addr" => {
                let id = id_arg(name, args, 0)?;
                let addr = if function == "local_addr" {
                    self.check_kind(family, id, Want::Any, function)
                        .map_err(NetFailure::from)
                        .and_then(|()| self.net.local_addr(id))
                } else {
                    self.check_kind(family, id, Want::Stream, function)
                        .map_err(NetFailure::from)
                        .and_then(|()| self.net.peer_addr(id))
                }
                .map_err(system_error)?;
                Value::map(
                    [
                        (Key::from("host"), Value::str(addr.ip().to_string())),
                        (Key::from("port"), Value::Int(i64::from(addr.port()))),
                    ]
                    .into_iter()
                    .collect(),
                )
            }
            "setopt" | "getopt" => {
                let id = id_arg(name, args, 0)?;
                let option = str_arg(name, args, 1)?;
                self.check_kind(family, id, Want::Any, function)
                    .map_err(system_error)?;
                if function == "getopt" {
                    match self.net.get_option(id, &option).map_err(option_error)? {
                        OptionValue::Bool(b) => Value::Bool(b),
                        OptionValue::Int(n) => Value::Int(n),
                        OptionValue::Off => Value::Null,
                    }
                } else {
                    let value = match args.get(2) {
                        Some(Value::Bool(b)) => OptionValue::Bool(*b),
                        Some(Value::Int(n)) => OptionValue::Int(*n),
                        Some(Value::Null) | None => OptionValue::Off,
                        Some(other) => {
                            return Err(arg_type_error(
                                name,
                                2,
                                "Boolean, Integer or null",
                                Some(other),
                            ))
                        }
                    };
                    self.net
                        .set_option(id, &option, value)
                        .map_err(option_error)?;
                    Value::Null
                }
            }
            "trust" if family == Family::Tls => {
                let path = str_arg(name, args, 0)?;
                let added = self.net.tls_trust(&path).map_err(system_error)?;
                Value::Int(i64::try_from(added).unwrap_or(i64::MAX))
            }
            "last_error" if family == Family::Tls => {
                Value::str(self.tls_errors.get(&task.id).cloned().unwrap_or_default())
            }
            _ => {
                return Err(KiwiError::new(
                    ErrorType::FunctionUndefinedError,
                    format!("Function `{name}` is undefined."),
                ))
            }
        };
        Ok(Outcome::Value(v))
    }

    /// `recv(id, max_bytes = 4096)`: the operation's task id.
    pub(crate) fn net_recv(&mut self, family: Family, args: &[Value]) -> KResult<Value> {
        let started = self.begin_recv(family, args)?;
        Ok(self.op_id(started))
    }

    /// `send(id, data)`: the operation's task id.
    pub(crate) fn net_send(&mut self, family: Family, args: &[Value]) -> KResult<Value> {
        let started = self.begin_send(family, args)?;
        Ok(self.op_id(started))
    }

    /// Starts a `recv(id, max_bytes = 4096, timeout_ms = 0)` (argument errors are raised
    /// here).
    pub(crate) fn begin_recv(&mut self, family: Family, args: &[Value]) -> KResult<Started> {
        let name = family.qualified("recv");
        let sock = id_arg(name, args, 0)?;
        let max = positive_arg(name, args, 1, DEFAULT_RECV, "max_bytes")?;
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let timeout = timeout_arg(name, args, 2)?;
        let checked = self.check_kind(family, sock, Want::Stream, "recv");
        let started = self.begin_op(checked, |net, op| net.recv(op, sock, max));
        if let (Started::Pending(op), Some(ms)) = (&started, timeout) {
            self.arm_deadline(*op, Some(sock), format!("{name} on socket {sock}"), "", ms);
        }
        Ok(started)
    }

    /// Starts a `recv_until(id, delimiter, max_bytes = 65536, timeout_ms = 0)`.
    fn begin_recv_until(&mut self, family: Family, args: &[Value]) -> KResult<Started> {
        let name = match family {
            Family::Tcp => "socket::recv_until",
            Family::Tls => "tls::recv_until",
        };
        let sock = id_arg(name, args, 0)?;
        let delimiter = match args.get(1) {
            Some(Value::Str(s)) => s.as_bytes().to_vec(),
            Some(Value::Bytes(b)) => b.borrow().clone(),
            other => return Err(arg_type_error(name, 1, "String or Bytes", other)),
        };
        if delimiter.is_empty() {
            return Err(KiwiError::new(
                ErrorType::ValueError,
                format!("{name}: the delimiter must not be empty"),
            ));
        }
        let max = positive_arg(name, args, 2, DEFAULT_RECV_UNTIL, "max_bytes")?;
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let timeout = timeout_arg(name, args, 3)?;
        let checked = self.check_kind(family, sock, Want::Stream, "recv_until");
        let started = self.begin_op(checked, |net, op| net.recv_until(op, sock, &delimiter, max));
        if let (Started::Pending(op), Some(ms)) = (&started, timeout) {
            self.arm_deadline(*op, Some(sock), format!("{name} on socket {sock}"), "", ms);
        }
        Ok(started)
    }

    /// Arms `op`'s deadline `ms` from now.
    fn arm_deadline(&mut self, op: NetId, on: Option<NetId>, what: String, peer: &str, ms: i64) {
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

    /// Starts a `send` (argument errors are raised here).
    pub(crate) fn begin_send(&mut self, family: Family, args: &[Value]) -> KResult<Started> {
        let name = family.qualified("send");
        let sock = id_arg(name, args, 0)?;
        let data = bytes_arg(name, args, 1)?;
        let checked = self.check_kind(family, sock, Want::Stream, "send");
        // The bytes are lent to the network, which copies them only if the send must wait.
        let data = data.borrow();
        Ok(self.begin_op(checked, |net, op| net.send(op, sock, &data)))
    }

    /// `tcpserver(host, port, backlog = 128)`, and for TLS `cert = "", key = ""`.
    fn net_server(&mut self, family: Family, name: &str, args: &[Value]) -> KResult<Value> {
        let host = str_arg(name, args, 0)?;
        let port = port_arg(name, args, 1)?;
        let backlog = positive_arg(name, args, 2, DEFAULT_BACKLOG, "backlog")?;
        let backlog = u32::try_from(backlog).unwrap_or(u32::MAX);
        let made = match family {
            Family::Tcp => self.net.tcp_server(&host, port, backlog),
            Family::Tls => {
                let cert = opt_str_arg(name, args, 3)?;
                let key = opt_str_arg(name, args, 4)?;
                let identity = match (cert.as_str(), key.as_str()) {
                    ("", "") => None,
                    ("", _) | (_, "") => {
                        return Err(KiwiError::new(
                            ErrorType::ValueError,
                            "tls::tcpserver needs both cert and key (or neither, for the \
                             development certificate)",
                        ))
                    }
                    (cert, key) => Some(Identity { cert, key }),
                };
                self.net.tls_server(&host, port, backlog, identity)
            }
        };
        made.map(Value::Int).map_err(system_error)
    }

    /// `tcpconnect`: suspends only the calling task, on a hidden connect operation.
    fn net_connect(
        &mut self,
        task: &mut Task,
        family: Family,
        name: &str,
        args: &[Value],
    ) -> KResult<Outcome> {
        let host = str_arg(name, args, 0)?;
        let (op, port, timeout) = match family {
            Family::Tcp => {
                let port = port_arg(name, args, 1)?;
                let timeout = timeout_arg(name, args, 2)?;
                let op = self.register_op();
                self.net.connect(op, &host, port);
                (op, port, timeout)
            }
            Family::Tls => {
                let port = int_arg(name, args, 1, Some(DEFAULT_TLS_PORT))?;
                let port = u16::try_from(port).map_err(|_| port_range_error(port))?;
                let sni = opt_str_arg(name, args, 2)?;
                let timeout = timeout_arg(name, args, 3)?;
                let op = self.register_op();
                // Its failure becomes a negative code and `last_error`, not an exception.
                self.tls_connects.insert(op, task.id);
                self.net.tls_connect(op, &host, port, &sni);
                (op, port, timeout)
            }
        };
        if let Some(ms) = timeout {
            let peer = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            };
            self.arm_deadline(op, None, format!("connect to {peer}"), &peer, ms);
        }
        self.wait_for_op(task, op)
    }

    /// Suspends `task` until hidden operation `op` finishes (at once if it already has).
    fn wait_for_op(&mut self, task: &mut Task, op: NetId) -> KResult<Outcome> {
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
    fn register_op(&mut self) -> NetId {
        let op = self.sched.fresh_id();
        self.sched.register(op, EntryKind::External);
        op
    }

    /// Starts an operation unless `checked` already says why it cannot run. Its id is
    /// registered with the scheduler only if it has to wait.
    fn begin_op(
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
    fn op_id(&mut self, started: Started) -> Value {
        match started {
            Started::Done(op, result) => {
                self.sched.register(op, EntryKind::External);
                self.finish_op(op, result);
                Value::Int(op)
            }
            Started::Pending(op) => Value::Int(op),
        }
    }

    /// Starts an operation unless `checked` already says why it cannot run (then the returned
    /// task is faulted with that reason). Returns the operation's task id.
    fn start_op(
        &mut self,
        checked: Result<(), String>,
        start: impl FnOnce(&mut dyn crate::net::NetDriver, NetId) -> Option<NetResult>,
    ) -> Value {
        let started = self.begin_op(checked, start);
        self.op_id(started)
    }

    /// `task::await(socket::recv(..))` and `task::await(socket::send(..))` in one step: the
    /// operation id never reaches the script, so an operation that finishes at once needs no
    /// scheduler entry and no `await` call. Returns what the `await` would have.
    pub(crate) fn await_started(&mut self, task: &mut Task, started: Started) -> KResult<Outcome> {
        match started {
            Started::Done(_, result) => Self::op_outcome(result).map(Outcome::Value),
            Started::Pending(op) => self.block_on_op(task, op),
        }
    }

    /// The value (or the error) an awaited operation result gives.
    fn op_outcome(result: NetResult) -> KResult<Value> {
        match result {
            Ok(NetValue::Socket(id)) => Ok(Value::Int(id)),
            Ok(NetValue::Bytes(b)) => Ok(Value::bytes(b)),
            Ok(NetValue::Sent(n)) => Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX))),
            Ok(NetValue::Addresses(ips)) => {
                Ok(Value::list(ips.into_iter().map(Value::str).collect()))
            }
            Ok(NetValue::Line(None)) => Ok(Value::Null),
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
            (result, _) => Self::op_outcome(result),
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
            self.finish_op(op, result);
        }
        self.net_done = done;
        any
    }

    /// `Ok` if `id` is a live socket of `family` that `function` can use, else the reason,
    /// saying what `id` is.
    fn check_kind(
        &self,
        family: Family,
        id: NetId,
        want: Want,
        function: &str,
    ) -> Result<(), String> {
        let Some(k) = self.net.kind(id) else {
            return Err(self.not_a_socket(id));
        };
        if family_of(k) != family {
            return Err(self.wrong_family(id, k, function));
        }
        match want {
            Want::Any => Ok(()),
            Want::Listener if k == family.listener() => Ok(()),
            Want::Stream if k == family.stream() => Ok(()),
            Want::Listener => Err(format!(
                "socket {id} is {}, not a listening socket",
                describe(k)
            )),
            Want::Stream => Err(format!("socket {id} is {}, not a connection", describe(k))),
        }
    }

    fn wrong_family(&self, id: NetId, k: SocketKind, function: &str) -> String {
        format!(
            "socket {id} is {}: use {}::{function}",
            describe(k),
            family_of(k).package()
        )
    }

    /// "invalid socket id N", with what the id names instead when it names something.
    fn not_a_socket(&self, id: NetId) -> String {
        match self.sched.kind(id) {
            Some(EntryKind::External) => {
                format!("invalid socket id {id} (it is the task id of a socket operation)")
            }
            Some(_) => format!("invalid socket id {id} (it is a task id)"),
            None => format!("invalid socket id {id}"),
        }
    }
}

/// A bad option name or value is the script's mistake (`ValueError`); anything else is the OS's.
fn option_error(f: NetFailure) -> KiwiError {
    if f.message.starts_with("unknown socket option") || f.message.starts_with("socket option '") {
        KiwiError::new(ErrorType::ValueError, f.message)
    } else {
        system_error(f)
    }
}

fn system_error(reason: impl std::fmt::Display) -> KiwiError {
    KiwiError::new(ErrorType::SystemError, reason.to_string())
}

fn arg_type_error(name: &str, i: usize, expected: &str, got: Option<&Value>) -> KiwiError {
    KiwiError::param_type(
        name,
        i + 1,
        expected,
        got.map_or("None", Value::dotnet_type_name),
    )
}

fn str_arg(name: &str, args: &[Value], i: usize) -> KResult<String> {
    match args.get(i) {
        Some(Value::Str(s)) => Ok(s.to_string()),
        other => Err(arg_type_error(name, i, "String", other)),
    }
}

/// A string argument that defaults to `""` when missing or null.
fn opt_str_arg(name: &str, args: &[Value], i: usize) -> KResult<String> {
    match args.get(i) {
        None | Some(Value::Null) => Ok(String::new()),
        _ => str_arg(name, args, i),
    }
}

fn int_arg(name: &str, args: &[Value], i: usize, default: Option<i64>) -> KResult<i64> {
    match (args.get(i), default) {
        (Some(Value::Int(n)), _) => Ok(*n),
        (None | Some(Value::Null), Some(d)) => Ok(d),
        (other, _) => Err(arg_type_error(name, i, "Integer", other)),
    }
}

/// An integer argument that must be positive (default `default` when missing or null).
fn positive_arg(name: &str, args: &[Value], i: usize, default: i64, what: &str) -> KResult<i64> {
    let n = int_arg(name, args, i, Some(default))?;
    if n <= 0 {
        return Err(KiwiError::new(
            ErrorType::ValueError,
            format!("{what} must be a positive integer, got {n}"),
        ));
    }
    Ok(n)
}

/// An optional `timeout_ms` argument: `None` for none (0 or absent, the OS's own limits).
fn timeout_arg(name: &str, args: &[Value], i: usize) -> KResult<Option<i64>> {
    match int_arg(name, args, i, Some(0))? {
        0 => Ok(None),
        ms if ms > 0 => Ok(Some(ms)),
        ms => Err(KiwiError::new(
            ErrorType::ValueError,
            format!("{name}: timeout_ms must be 0 (none) or more, not {ms}"),
        )),
    }
}

fn id_arg(name: &str, args: &[Value], i: usize) -> KResult<NetId> {
    int_arg(name, args, i, None)
}

fn port_range_error(port: i64) -> KiwiError {
    system_error(format!(
        "port {port} is out of range (a port is 0 to 65535)"
    ))
}

fn port_arg(name: &str, args: &[Value], i: usize) -> KResult<u16> {
    let port = int_arg(name, args, i, None)?;
    u16::try_from(port).map_err(|_| port_range_error(port))
}

fn bytes_arg<'a>(
    name: &str,
    args: &'a [Value],
    i: usize,
) -> KResult<&'a std::cell::RefCell<Vec<u8>>> {
    match args.get(i) {
        Some(Value::Bytes(b)) => Ok(b),
        Some(Value::Str(_)) => Err(KiwiError::new(
            ErrorType::ParameterTypeMismatchError,
            format!(
                "The type for parameter {} of `{name}` is not an expected type. Expected Bytes but received String. Send text as bytes: data.to_bytes().",
                i + 1
            ),
        )),
        other => Err(arg_type_error(name, i, "Bytes", other)),
    }
}

//! The `socket` package (§0, §11.1): natives that validate their arguments, hand the work to
//! the host's [`NetDriver`](crate::net::NetDriver) and return task ids for the scheduler.
//!
//! Every asynchronous operation is registered as an external scheduler entry, so
//! `task::await`, `status`, `result` and `await(id, timeout_ms)` treat it like a spawned task.
//! Operations that finish at once (bad id, data already there, a send the kernel took whole)
//! are completed before the native returns, so awaiting them never suspends.

use super::exec::Outcome;
use super::Interp;
use crate::error::{ErrorType, KResult, KiwiError};
use crate::net::{NetId, NetResult, NetValue, SocketKind};
use crate::scheduler::EntryKind;
use crate::task::{Blocked, Task};
use crate::value::{Key, Value};

/// `recv`'s default `max_bytes`.
const DEFAULT_RECV: i64 = 4096;
/// `tcpserver`'s default backlog.
const DEFAULT_BACKLOG: i64 = 128;

impl Interp {
    /// Calls `socket::<function>`.
    pub(crate) fn socket_native(
        &mut self,
        task: &mut Task,
        name: &str,
        args: &[Value],
    ) -> KResult<Outcome> {
        let function = name.strip_prefix("socket::").unwrap_or(name);
        // Hot operations first (a string match tests its arms in order).
        let v = match function {
            "recv" => self.socket_recv(args)?,
            "send" => self.socket_send(args)?,
            "accept" => {
                let server = id_arg(name, args, 0)?;
                self.start_op(server, |net, op| net.accept(op, server))
            }
            "tcpserver" => {
                let host = str_arg(name, args, 0)?;
                let port = port_arg(name, args, 1)?;
                let backlog = int_arg(name, args, 2, Some(DEFAULT_BACKLOG))?;
                if backlog <= 0 {
                    return Err(KiwiError::new(
                        ErrorType::ValueError,
                        format!("backlog must be a positive integer, got {backlog}"),
                    ));
                }
                let backlog = u32::try_from(backlog).unwrap_or(u32::MAX);
                match self.net.tcp_server(&host, port, backlog) {
                    Ok(id) => Value::Int(id),
                    Err(reason) => return Err(system_error(reason)),
                }
            }
            "tcpconnect" => {
                let host = str_arg(name, args, 0)?;
                let port = port_arg(name, args, 1)?;
                let op = self.register_op();
                self.net.connect(op, &host, port);
                // Suspends only this task: it awaits the hidden connect operation.
                return Ok(self.block_on_op(task, op));
            }
            "close" => {
                let id = id_arg(name, args, 0)?;
                self.net.close(id);
                // Deliver the faults now, so tasks awaiting them wake in this round.
                self.poll_net();
                Value::Null
            }
            "shutdown" => {
                let id = id_arg(name, args, 0)?;
                self.check_socket(id, SocketKind::Stream)
                    .and_then(|()| self.net.shutdown(id))
                    .map_err(system_error)?;
                Value::Null
            }
            "local_addr" | "peer_addr" => {
                let id = id_arg(name, args, 0)?;
                let addr = if function == "local_addr" {
                    self.check_any_socket(id)
                        .and_then(|()| self.net.local_addr(id))
                } else {
                    self.check_socket(id, SocketKind::Stream)
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
            _ => {
                return Err(KiwiError::new(
                    ErrorType::FunctionUndefinedError,
                    format!("Function `{name}` is undefined."),
                ))
            }
        };
        Ok(Outcome::Value(v))
    }

    /// `socket::recv(id, max_bytes = 4096)`: the operation's task id.
    pub(crate) fn socket_recv(&mut self, args: &[Value]) -> KResult<Value> {
        const NAME: &str = "socket::recv";
        let sock = id_arg(NAME, args, 0)?;
        let max = int_arg(NAME, args, 1, Some(DEFAULT_RECV))?;
        if max <= 0 {
            return Err(KiwiError::new(
                ErrorType::ValueError,
                format!("max_bytes must be a positive integer, got {max}"),
            ));
        }
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        Ok(self.start_op(sock, |net, op| net.recv(op, sock, max)))
    }

    /// `socket::send(id, data)`: the operation's task id.
    pub(crate) fn socket_send(&mut self, args: &[Value]) -> KResult<Value> {
        const NAME: &str = "socket::send";
        let sock = id_arg(NAME, args, 0)?;
        let data = bytes_arg(NAME, args, 1)?;
        // The bytes are lent to the network, which copies them only if the send must wait.
        let data = data.borrow();
        Ok(self.start_op(sock, |net, op| net.send(op, sock, &data)))
    }

    /// Registers a new pending operation id.
    fn register_op(&mut self) -> NetId {
        let op = self.sched.fresh_id();
        self.sched.register(op, EntryKind::External);
        op
    }

    /// Starts an operation on socket `id` and returns its task id. The driver checks the id;
    /// when it names no socket, the fault says what it names instead.
    fn start_op(
        &mut self,
        id: NetId,
        start: impl FnOnce(&mut dyn crate::net::NetDriver, NetId) -> Option<NetResult>,
    ) -> Value {
        let op = self.register_op();
        if let Some(result) = start(&mut *self.net, op) {
            let result = result.map_err(|reason| {
                if self.net.kind(id).is_none() {
                    self.not_a_socket(id)
                } else {
                    reason
                }
            });
            self.finish_op(op, result);
        }
        Value::Int(op)
    }

    /// Suspends `task` until operation `op` finishes (its result or fault is delivered).
    fn block_on_op(&mut self, task: &mut Task, op: NetId) -> Outcome {
        self.sched.add_waiter(op, task.id);
        task.blocked = Some(Blocked::Await(op));
        Outcome::Block
    }

    /// Records the outcome of operation `op` and wakes whoever awaits it.
    pub(crate) fn finish_op(&mut self, op: NetId, result: NetResult) {
        let outcome = match result {
            Ok(NetValue::Socket(id)) => Ok(Value::Int(id)),
            Ok(NetValue::Bytes(b)) => Ok(Value::bytes(b)),
            Ok(NetValue::Sent(n)) => Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX))),
            Err(reason) => Err(system_error(reason)),
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

    /// `Ok` if `id` is a live socket of kind `want`, else the reason, saying what `id` is.
    fn check_socket(&self, id: NetId, want: SocketKind) -> Result<(), String> {
        match self.net.kind(id) {
            Some(k) if k == want => Ok(()),
            Some(SocketKind::Listener) => Err(format!(
                "socket {id} is a listening socket, not a connection"
            )),
            Some(SocketKind::Stream) => Err(format!(
                "socket {id} is a connection, not a listening socket"
            )),
            None => Err(self.not_a_socket(id)),
        }
    }

    fn check_any_socket(&self, id: NetId) -> Result<(), String> {
        match self.net.kind(id) {
            Some(_) => Ok(()),
            None => Err(self.not_a_socket(id)),
        }
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

fn system_error(reason: String) -> KiwiError {
    KiwiError::new(ErrorType::SystemError, reason)
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

fn int_arg(name: &str, args: &[Value], i: usize, default: Option<i64>) -> KResult<i64> {
    match (args.get(i), default) {
        (Some(Value::Int(n)), _) => Ok(*n),
        (None | Some(Value::Null), Some(d)) => Ok(d),
        (other, _) => Err(arg_type_error(name, i, "Integer", other)),
    }
}

fn id_arg(name: &str, args: &[Value], i: usize) -> KResult<NetId> {
    int_arg(name, args, i, None)
}

fn port_arg(name: &str, args: &[Value], i: usize) -> KResult<u16> {
    let port = int_arg(name, args, i, None)?;
    u16::try_from(port).map_err(|_| {
        system_error(format!(
            "port {port} is out of range (a port is 0 to 65535)"
        ))
    })
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

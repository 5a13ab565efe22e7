//! Native functions that need the scheduler (the `task` package and the global `spawn`/`await`),
//! `import`, and the fallback to the native packages the host registered ([`crate::stdlib`]).

use std::rc::Rc;
use std::time::Duration;

use super::exec::Outcome;
use super::sockets::Family;
use super::Interp;
use crate::bytecode::Op;
use crate::channel::{Channel, TaskId};
use crate::compiler::BUILTIN_PREFIX;
use crate::error::{ErrorType, KResult, KiwiError};
use crate::format::to_display;
use crate::scheduler::{awaited_outcome, EntryKind, TaskState};
use crate::task::{Blocked, FrameKind, Task};
use crate::value::Value;

/// Packages available without `import` (§7 REC).
pub const NATIVE_PACKAGES: &[&str] = &["task", "time", "env", "console", "math", "error", "socket"];

/// What a global slot that holds no value calls, once looked up. The natives on every
/// message's path of a network script are told apart here, so calling them costs no string
/// comparisons after the first call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum NativeSlot {
    /// Not looked up yet.
    Unresolved,
    /// `task::await` / `await`.
    Await,
    /// `socket::recv` / `tls::recv`.
    Recv(Family),
    /// `socket::send` / `tls::send`.
    Send(Family),
    /// `super.m(...)` (`__kiwi_super`), on every call of a constructor that calls its base's.
    Super,
    /// Anything else, dispatched by name.
    ByName,
}

impl NativeSlot {
    fn of(name: &str) -> NativeSlot {
        match name {
            "task::await" | "await" => NativeSlot::Await,
            "socket::recv" => NativeSlot::Recv(Family::Tcp),
            "socket::send" => NativeSlot::Send(Family::Tcp),
            "tls::recv" => NativeSlot::Recv(Family::Tls),
            "tls::send" => NativeSlot::Send(Family::Tls),
            "__kiwi_super" => NativeSlot::Super,
            _ => NativeSlot::ByName,
        }
    }
}

impl Interp {
    /// Calls the native named by global slot `g` (which holds no Kiwi value).
    pub(crate) fn call_global_native(
        &mut self,
        task: &mut Task,
        g: u32,
        args: &[Value],
    ) -> KResult<Outcome> {
        match self.native_slot(g) {
            NativeSlot::Await => self.await_task(task, args),
            NativeSlot::Recv(family) if self.awaited_at_once(task) => {
                let started = self.begin_recv(family, args)?;
                self.fused_await = true;
                self.await_started(task, started)
            }
            NativeSlot::Send(family) if self.awaited_at_once(task) => {
                let started = self.begin_send(family, args)?;
                self.fused_await = true;
                self.await_started(task, started)
            }
            NativeSlot::Super => self.super_call(args),
            NativeSlot::Recv(family) => {
                let op = self.net_recv(family, args)?;
                Ok(Outcome::Value(self.detach_if_discarded(task, op)))
            }
            NativeSlot::Send(family) => {
                let op = self.net_send(family, args)?;
                Ok(Outcome::Value(self.detach_if_discarded(task, op)))
            }
            _ => {
                let name = self.names.name(g).clone();
                let name = name.strip_prefix(BUILTIN_PREFIX).unwrap_or(&name);
                self.call_native(task, name, args)
            }
        }
    }

    /// What global slot `g` calls as a native, looked up by name the first time.
    fn native_slot(&mut self, g: u32) -> NativeSlot {
        let slot = &mut self.native_slots[g as usize];
        if *slot == NativeSlot::Unresolved {
            *slot = NativeSlot::of(
                self.names
                    .name(g)
                    .strip_prefix(BUILTIN_PREFIX)
                    .unwrap_or(self.names.name(g)),
            );
        }
        *slot
    }

    /// Whether the instruction after the current call is `task::await(it)` / `await(it)` (the
    /// native, not a script's own function of that name): the result is awaited at once.
    fn awaited_at_once(&mut self, task: &Task) -> bool {
        let Some(f) = task.frames.last() else {
            return false;
        };
        let Some(&Op::CallGlobal(g, 1)) = f.closure.proto.code.get(f.ip) else {
            return false;
        };
        self.global_slot(g).is_none() && self.native_slot(g) == NativeSlot::Await
    }

    /// `id` (a task or operation id a native just made), detached in the scheduler when the
    /// script discards it at once: the instruction after this call pops it, so the id can
    /// never be awaited or asked about, and its entry need not outlive the work.
    pub(crate) fn detach_if_discarded(&mut self, task: &Task, id: Value) -> Value {
        let discarded = task
            .frames
            .last()
            .is_some_and(|f| matches!(f.closure.proto.code.get(f.ip), Some(Op::Pop)));
        if let (true, Value::Int(id)) = (discarded, &id) {
            self.sched.detach(*id);
        }
        id
    }

    /// Calls the native function `name` (a global name or a `pkg::name` path).
    pub(crate) fn call_native(
        &mut self,
        task: &mut Task,
        name: &str,
        args: &[Value],
    ) -> KResult<Outcome> {
        let v = match name {
            "task::await" | "await" => return self.await_task(task, args),
            _ if name.starts_with("socket::") => {
                return self.net_native(task, Family::Tcp, name, args)
            }
            _ if name.starts_with("tls::") => {
                return self.net_native(task, Family::Tls, name, args)
            }
            "task::spawn" | "spawn" => {
                let id = self.spawn(args)?;
                self.detach_if_discarded(task, id)
            }
            "task::status" => {
                let s = match args.first() {
                    Some(Value::Int(id)) => match self.sched.state(*id) {
                        Some(TaskState::Running) => "Running",
                        Some(TaskState::Completed(_)) => "Completed",
                        Some(TaskState::Faulted(_)) => "Faulted",
                        None => "Unknown",
                    },
                    _ => "Unknown",
                };
                Value::str(s)
            }
            "task::result" => match args.first() {
                Some(Value::Int(id)) => {
                    // Reading a failure this way counts as handling it: it is not reported.
                    self.sched.mark_retrieved(*id);
                    match self.sched.state(*id) {
                        Some(TaskState::Completed(v)) => v.clone(),
                        _ => Value::Null,
                    }
                }
                _ => Value::Null,
            },
            "task::cancel" => self.cancel(task, args)?,
            "__kiwi_super" => return self.super_call(args),
            // True in the main script's own code, false in included or imported files.
            "__main__" => Value::Bool(
                self.main_file.is_some() && self.location(task).map(|(f, _)| f) == self.main_file,
            ),
            "__kiwi_struct_of" => Self::struct_of(args),
            "__kiwi_shown_instances" => Value::list(crate::object::shown_instances(
                args.first().unwrap_or(&Value::Null),
                usize::MAX,
            )),
            "__kiwi_display_showing" => match args {
                [v, Value::List(objects), Value::List(texts)] => Value::str(
                    crate::format::display_showing(v, &objects.borrow(), &texts.borrow()),
                ),
                _ => Value::Null,
            },
            "__kiwi_on" => self.events_on(args)?,
            "__kiwi_off" => self.events_off(args)?,
            "__kiwi_handlers" => self.events_handlers(args)?,
            "task::busy" => Value::Bool(self.sched.running_count() > 0),
            "task::list" => Value::list(
                self.sched
                    .running_ids()
                    .into_iter()
                    .map(Value::Int)
                    .collect(),
            ),
            "task::wait" => {
                task.blocked = Some(Blocked::WaitAll);
                self.sched.add_wait_all(task.id);
                return Ok(Outcome::Block);
            }
            "task::sleep" => {
                let ms = sleep_ms(args.first())?;
                if ms <= 0 {
                    return Ok(Outcome::Value(Value::Null));
                }
                task.blocked = Some(Blocked::Sleep);
                let at = self.now() + Duration::from_millis(ms as u64);
                self.sched.add_timer(at, task.id, task.wake_gen);
                return Ok(Outcome::Block);
            }
            "task::timer" => return self.prelude_fn("__kiwi_timer", args.to_vec()),
            "task::interval" => return self.prelude_fn("__kiwi_interval", args.to_vec()),
            "task::channel" => {
                let cap = match args.first() {
                    None | Some(Value::Null) => 0,
                    Some(Value::Int(c)) => *c,
                    Some(other) => {
                        return Err(KiwiError::param_type(
                            "task::channel",
                            1,
                            "Integer",
                            other.dotnet_type_name(),
                        ))
                    }
                };
                Value::Channel(Rc::new(Channel::new(cap)))
            }
            "input" => return self.input(task, args),
            _ => match self.call_package(name, args) {
                Some(r) => r?,
                None => return Err(self.unknown_native(name)),
            },
        };
        Ok(Outcome::Value(v))
    }

    fn prelude_fn(&self, name: &str, args: Vec<Value>) -> KResult<Outcome> {
        self.global(name)
            .map(|f| Outcome::Call(f, args))
            .ok_or_else(|| KiwiError::new(ErrorType::RuntimeError, "Internal error: no prelude."))
    }

    fn unknown_native(&self, name: &str) -> KiwiError {
        match name.rsplit_once("::") {
            Some((pkg, _)) if !self.active_packages.contains(pkg) => KiwiError::new(
                ErrorType::PackageUndefinedError,
                format!("The package is undefined: '{pkg}'"),
            ),
            Some(_) => KiwiError::new(
                ErrorType::FunctionUndefinedError,
                format!("Function `{name}` is undefined."),
            ),
            None => KiwiError::new(
                ErrorType::VariableUndefinedError,
                format!("The variable has not been declared: '{name}'"),
            ),
        }
    }

    /// `task::spawn(fn, args = [])`: any callable; the new task runs when the scheduler gets to it.
    fn spawn(&mut self, args: &[Value]) -> KResult<Value> {
        let f = match args.first() {
            Some(Value::Func(f)) => f.clone(),
            other => {
                let shown = other.map(to_display).unwrap_or_else(|| "null".into());
                return Err(KiwiError::new(
                    ErrorType::TypeError,
                    format!("Expected a lambda but instead received `{shown}`."),
                ));
            }
        };
        let call_args = match args.get(1) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::List(l)) => l.borrow().to_vec(),
            Some(other) => {
                return Err(KiwiError::new(
                    ErrorType::TypeError,
                    format!(
                        "Expected a list of arguments but instead received `{}`.",
                        to_display(other)
                    ),
                ))
            }
        };
        let id = self.sched.fresh_id();
        self.sched.register(id, EntryKind::Spawned);
        self.sched.add_ready(Task::new(id, f, call_args));
        Ok(Value::Int(id))
    }

    /// `task::await(id, timeout_ms = null)`.
    fn await_task(&mut self, task: &mut Task, args: &[Value]) -> KResult<Outcome> {
        let id = task_id_arg(args)?;
        let timeout = match args.get(1) {
            None | Some(Value::Null) => None,
            Some(v) => Some(sleep_ms(Some(v)).map_err(|_| {
                KiwiError::new(
                    ErrorType::ConversionError,
                    format!(
                        "task::await timeout must be a number of milliseconds, not `{}`",
                        to_display(v)
                    ),
                )
            })?),
        };
        let not_found = || {
            KiwiError::new(
                ErrorType::InvalidOperationError,
                format!("Task {id} not found."),
            )
        };
        // Finished: hand over the result and forget the id, in one lookup.
        let kind = self.sched.kind(id).unwrap_or(EntryKind::Spawned);
        if let Some(outcome) = self.sched.take_finished(id) {
            return awaited_outcome(&outcome, kind).map(Outcome::Value);
        }
        if self.sched.kind(id) == Some(EntryKind::External) {
            // A close earlier in this slice may have finished it already.
            self.poll_net();
            if let Some(outcome) = self.sched.take_finished(id) {
                return awaited_outcome(&outcome, kind).map(Outcome::Value);
            }
        }
        match self.sched.kind(id) {
            Some(EntryKind::Main) | None => {
                // Upstream scripts write `await(tls::tcpconnect(...))`: awaiting a live socket
                // id yields the id (§0).
                if self.net.kind(id).is_some() {
                    return Ok(Outcome::Value(Value::Int(id)));
                }
                Err(not_found())
            }
            Some(_) => {
                if id == task.id {
                    return Err(KiwiError::new(
                        ErrorType::InvalidOperationError,
                        "A task cannot await itself.",
                    ));
                }
                if let Some(ms) = timeout {
                    if ms <= 0 {
                        return Err(timeout_error(id));
                    }
                    let at = self.now() + Duration::from_millis(ms as u64);
                    self.sched.add_timer(at, task.id, task.wake_gen);
                }
                self.sched.add_waiter(id, task.id);
                task.blocked = Some(Blocked::Await(id));
                Ok(Outcome::Block)
            }
        }
    }

    /// `import name`: a package value; runs `name.kiwi` next to the script the first time.
    pub(crate) fn import(&mut self, name: &Value) -> KResult<Outcome> {
        let Value::Str(name) = name else {
            return Err(KiwiError::new(
                ErrorType::InvalidOperationError,
                "Expected the name of a package to import.",
            ));
        };
        let pkg = Value::Package(name.clone());
        if self.active_packages.contains(name.as_str()) {
            return Ok(Outcome::Value(pkg));
        }
        let Some(path) = self.import_path(name) else {
            return Err(KiwiError::new(
                ErrorType::PackageUndefinedError,
                format!("The package is undefined: '{name}'"),
            ));
        };
        // Mark it first so a file that imports itself (directly or not) does not loop.
        self.active_packages.insert(Rc::from(name.as_str()));
        let (unit, _) = self.compile_file(&path)?;
        Ok(Outcome::Enter(unit, FrameKind::Import(pkg)))
    }
}

/// The task id a `task::await` / `task::cancel` call names (its first argument).
pub(crate) fn task_id_arg(args: &[Value]) -> KResult<TaskId> {
    match args.first() {
        Some(Value::Int(id)) => Ok(*id),
        other => {
            let shown = other.map(to_display).unwrap_or_else(|| "null".into());
            Err(KiwiError::new(
                ErrorType::TypeError,
                format!("Expected a task id but instead received `{shown}`."),
            ))
        }
    }
}

/// Milliseconds from a sleep/timeout argument: ints as is, floats rounded half-to-even.
fn sleep_ms(v: Option<&Value>) -> KResult<i64> {
    match v {
        Some(Value::Int(i)) => Ok(*i),
        Some(Value::Float(f)) if f.is_finite() => Ok(f.round_ties_even() as i64),
        _ => Err(KiwiError::new(
            ErrorType::ConversionError,
            "Sleep requires integer ms",
        )),
    }
}

pub(crate) fn timeout_error(id: TaskId) -> KiwiError {
    KiwiError::new(
        ErrorType::TimeoutError,
        format!("Task {id} did not complete within the timeout."),
    )
}

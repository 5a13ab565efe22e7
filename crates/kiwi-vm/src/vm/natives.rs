//! Calling natives: resolving a call site to a registered package's function (see
//! [`crate::native`]) and calling it, and the natives that are part of the language itself:
//! the global `spawn`/`await`, `input`, `import`, and the prelude's internal helpers.

use std::rc::Rc;
use std::time::Duration;

use super::exec::Outcome;
use super::Interp;
use crate::bytecode::Op;
use crate::channel::TaskId;
use crate::compiler::BUILTIN_PREFIX;
use crate::error::{ErrorType, KResult, KiwiError};
use crate::format::to_display;
use crate::native::{Body, NativeCx, NativeFn, Reply};
use crate::scheduler::{awaited_outcome, EntryKind};
use crate::task::{Blocked, FrameKind, Task};
use crate::value::Value;

/// What a global slot that holds no value calls, once looked up. A registered package's
/// function is found by index, so calling a native costs no string comparisons after the
/// first call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum NativeSlot {
    /// Not looked up yet.
    Unresolved,
    /// `task::await` / `await`.
    Await,
    /// `super.m(...)` (`__kiwi_super`) where it is not compiled to `CallSuper`.
    Super,
    /// A registered package's function (an index into `native_fns`).
    Table(u32),
    /// Anything else, dispatched by name.
    ByName,
}

impl Interp {
    /// Calls the native named by global slot `g` (which holds no Kiwi value).
    pub(crate) fn call_global_native(
        &mut self,
        task: &mut Task,
        g: u32,
        args: &[Value],
        lent: &[Value],
    ) -> KResult<Outcome> {
        match self.native_slot(g) {
            NativeSlot::Await => self.await_task(task, args),
            NativeSlot::Super => self.super_call(args),
            NativeSlot::Table(i) => self.call_table_lent(task, i, args, lent),
            _ => {
                let name = self.names.name(g).clone();
                let name = name.strip_prefix(BUILTIN_PREFIX).unwrap_or(&name);
                self.call_native(task, name, args)
            }
        }
    }

    /// Calls registered native function `i`: its arity checked, then its body.
    pub(crate) fn call_table(
        &mut self,
        task: &mut Task,
        i: u32,
        args: &[Value],
    ) -> KResult<Outcome> {
        self.call_table_lent(task, i, args, &[])
    }

    /// [`Interp::call_table`] while the task's value stack is lent out for the call: `lent`
    /// is the part below the arguments (the frames' locals), for natives that read frames.
    pub(crate) fn call_table_lent(
        &mut self,
        task: &mut Task,
        i: u32,
        args: &[Value],
        lent: &[Value],
    ) -> KResult<Outcome> {
        let (name, f) = &self.native_fns[i as usize];
        let f: &'static NativeFn = f;
        if !f.arity.accepts(args.len()) {
            return Err(f.count_error(name, args.len()));
        }
        match f.body {
            Body::Pure(call) => call(args).map(Outcome::Value),
            Body::Host(call) => call(args, &self.host).map(Outcome::Value),
            Body::Cx(call) => {
                let mut cx = NativeCx {
                    interp: self,
                    task,
                    lent,
                };
                Ok(match call(&mut cx, args)? {
                    Reply::Value(v) => Outcome::Value(v),
                    Reply::Suspended => Outcome::Block,
                    Reply::Call(f, args) => Outcome::Call(f, args),
                })
            }
        }
    }

    /// What global slot `g` calls as a native, looked up by name the first time.
    #[inline]
    pub(crate) fn native_slot(&mut self, g: u32) -> NativeSlot {
        match self.native_slots.get(g as usize) {
            Some(&slot) if slot != NativeSlot::Unresolved => slot,
            _ => self.resolve_native_slot(g),
        }
    }

    #[cold]
    fn resolve_native_slot(&mut self, g: u32) -> NativeSlot {
        let name = self.names.name(g);
        let name = name.strip_prefix(BUILTIN_PREFIX).unwrap_or(name);
        let resolved = match name {
            "task::await" | "await" => NativeSlot::Await,
            "__kiwi_super" => NativeSlot::Super,
            _ => match self.native_fn(name) {
                Some(i) => NativeSlot::Table(i),
                None => NativeSlot::ByName,
            },
        };
        self.native_slots[g as usize] = resolved;
        resolved
    }

    /// Whether the instruction after the current call is `task::await(it)` / `await(it)` (the
    /// native, not a script's own function of that name): the result is awaited at once.
    pub(crate) fn awaited_at_once(&mut self, task: &Task) -> bool {
        if self.force_await {
            return true;
        }
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
            "await" => return self.await_task(task, args),
            "spawn" => {
                let id = self.spawn(args)?;
                self.detach_if_discarded(task, id)
            }
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
            "input" => return self.input(task, args),
            _ => match self.native_fn(name) {
                Some(i) => return self.call_table(task, i, args),
                None => return Err(self.unknown_native(name)),
            },
        };
        Ok(Outcome::Value(v))
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
    pub(crate) fn spawn(&mut self, args: &[Value]) -> KResult<Value> {
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
        let task = self.sched.new_task(id, f, call_args);
        self.sched.add_ready(task);
        Ok(Value::Int(id))
    }

    /// `task::await(id, timeout_ms = null)`.
    pub(crate) fn await_task(&mut self, task: &mut Task, args: &[Value]) -> KResult<Outcome> {
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
pub fn sleep_ms(v: Option<&Value>) -> KResult<i64> {
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

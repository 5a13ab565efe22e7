//! The native-package API: what a package crate (`kiwi-stdlib`) writes its functions against.
//!
//! A package is one [`Package`] value: its name and a table of [`NativeFn`]s (name, arity,
//! body). The host registers it with [`Interp::register_package`]; the VM resolves a call site
//! to its table entry once, checks the arity, and calls the body with the arguments where they
//! lie. A body that needs the interpreter (the scheduler, the network, the host) gets a
//! [`NativeCx`]: the small set of things a native may do, such as "suspend the calling task on
//! this id". Everything else about the VM stays private to it.

use std::time::Duration;

use crate::channel::TaskId;
use crate::error::{ErrorType, KResult, KiwiError};
use crate::net::{BlockingJob, NetDriver, NetId, NetResult};
use crate::scheduler::{EntryKind, TaskState};
use crate::stdlib::HostEnv;
use crate::task::{Blocked, Task};
use crate::value::Value;
use crate::vm::exec::Outcome;
use crate::vm::Interp;

/// How many arguments a native function takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arity {
    /// The fewest.
    pub min: u8,
    /// The most ([`Arity::ANY`]'s `max` means no limit).
    pub max: u8,
}

impl Arity {
    /// Any number of arguments (the function checks them itself).
    pub const ANY: Arity = Arity {
        min: 0,
        max: u8::MAX,
    };

    /// Exactly `n`.
    pub const fn exactly(n: u8) -> Arity {
        Arity { min: n, max: n }
    }

    /// From `min` to `max`.
    pub const fn between(min: u8, max: u8) -> Arity {
        Arity { min, max }
    }

    /// `min` or more.
    pub const fn at_least(min: u8) -> Arity {
        Arity { min, max: u8::MAX }
    }

    /// Whether `n` arguments fit.
    pub fn accepts(self, n: usize) -> bool {
        n >= usize::from(self.min) && (self.max == u8::MAX || n <= usize::from(self.max))
    }
}

/// The body of a native function.
#[derive(Clone, Copy)]
pub enum Body {
    /// Values in, a value out: nothing else of the interpreter is needed.
    Pure(fn(&[Value]) -> KResult<Value>),
    /// As `Pure`, also reading what the host said about itself.
    Host(fn(&[Value], &HostEnv) -> KResult<Value>),
    /// Needs the interpreter: the host, the scheduler, the network.
    Cx(fn(&mut NativeCx<'_>, &[Value]) -> KResult<Reply>),
}

/// One function of a package.
pub struct NativeFn {
    /// Its name as written after `pkg::` (for the global package `""`, the global's name).
    pub name: &'static str,
    /// The argument counts it accepts; the VM refuses others with a
    /// `ParameterCountMismatchError` before the body runs.
    pub arity: Arity,
    /// What it does.
    pub body: Body,
}

impl NativeFn {
    /// A function that only maps its arguments to a value.
    pub const fn pure(
        name: &'static str,
        arity: Arity,
        f: fn(&[Value]) -> KResult<Value>,
    ) -> NativeFn {
        NativeFn {
            name,
            arity,
            body: Body::Pure(f),
        }
    }

    /// A function that maps its arguments to a value, reading the [`HostEnv`].
    pub const fn host(
        name: &'static str,
        arity: Arity,
        f: fn(&[Value], &HostEnv) -> KResult<Value>,
    ) -> NativeFn {
        NativeFn {
            name,
            arity,
            body: Body::Host(f),
        }
    }

    /// The error for `got` arguments where `arity` says otherwise; `name` as the script
    /// wrote it (`math::sqrt`).
    pub fn count_error(&self, name: &str, got: usize) -> KiwiError {
        if self.arity.min == self.arity.max {
            KiwiError::param_count(name, usize::from(self.arity.min), got)
        } else {
            crate::methods::check::count_error(name)
        }
    }

    /// Calls a function that needs no [`NativeCx`] (`Pure` and `Host` bodies), arity checked;
    /// `None` for one that does. For tests and tools outside an interpreter.
    pub fn call_plain(&self, name: &str, args: &[Value], host: &HostEnv) -> Option<KResult<Value>> {
        if !self.arity.accepts(args.len()) {
            return Some(Err(self.count_error(name, args.len())));
        }
        match self.body {
            Body::Pure(f) => Some(f(args)),
            Body::Host(f) => Some(f(args, host)),
            Body::Cx(_) => None,
        }
    }

    /// A function that uses the interpreter through a [`NativeCx`].
    pub const fn cx(
        name: &'static str,
        arity: Arity,
        f: fn(&mut NativeCx<'_>, &[Value]) -> KResult<Reply>,
    ) -> NativeFn {
        NativeFn {
            name,
            arity,
            body: Body::Cx(f),
        }
    }
}

/// A native package: a name (`""` for global functions) and its functions.
pub struct Package {
    /// The package name, as in `name::f()`.
    pub name: &'static str,
    /// Its functions.
    pub functions: &'static [NativeFn],
}

impl Package {
    /// The function `name`, if the package has one.
    pub fn function(&self, name: &str) -> Option<&'static NativeFn> {
        self.functions.iter().find(|f| f.name == name)
    }
}

/// Milliseconds from a sleep or timeout argument: an integer as is, a float rounded half to
/// even; anything else is a `ConversionError`.
pub fn milliseconds(v: Option<&Value>) -> KResult<i64> {
    crate::vm::natives::sleep_ms(v)
}

/// What a native call gives the VM.
pub enum Reply {
    /// The call's value.
    Value(Value),
    /// The calling task is suspended (a `NativeCx` method set up what wakes it).
    Suspended,
    /// Call this Kiwi function with these arguments; its result is the call's value.
    Call(Value, Vec<Value>),
}

impl From<Value> for Reply {
    fn from(v: Value) -> Reply {
        Reply::Value(v)
    }
}

impl From<Outcome> for Reply {
    fn from(o: Outcome) -> Reply {
        match o {
            Outcome::Value(v) => Reply::Value(v),
            Outcome::Call(f, args) => Reply::Call(f, args),
            _ => Reply::Suspended,
        }
    }
}

/// An operation started on the network (see [`NativeCx::begin_op`]).
pub enum Started {
    /// It finished at once with this result (its id is not registered yet).
    Done(NetId, NetResult),
    /// It waits; its id is registered with the scheduler.
    Pending(NetId),
}

/// What a task id names, for messages about ids used wrongly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    /// A task (the main script or a spawned one).
    Task,
    /// A pending or finished operation (a socket operation's task id).
    Operation,
}

/// The interpreter as a native function sees it: the calling task and what natives may do.
pub struct NativeCx<'a> {
    pub(crate) interp: &'a mut Interp,
    pub(crate) task: &'a mut Task,
    /// The task's value stack below the arguments while it is lent out for the call (empty
    /// when the task still holds it).
    pub(crate) lent: &'a [Value],
}

/// One call frame of the calling task, as `reflector` shows it.
pub struct FrameView {
    /// The function's name; `__global__` for a file's top level, `lambda` for a lambda.
    pub name: String,
    /// The frame runs a file's top level.
    pub is_top: bool,
    /// The frame runs a struct method.
    pub is_method: bool,
    /// The frame runs a lambda.
    pub is_lambda: bool,
    /// A `try` of this frame is active.
    pub in_try: bool,
    /// The instance `@` of a method frame.
    pub this: Option<Value>,
    /// The frame's named locals with their current values (a top level has none: its names
    /// are globals).
    pub variables: Vec<(String, Value)>,
}

/// What a program has defined, for `reflector::state`.
pub struct ProgramView {
    /// The packages defined or registered, sorted.
    pub packages: Vec<String>,
    /// The struct names, in definition order.
    pub structs: Vec<String>,
    /// The named functions (`pkg::f` qualified), in definition order.
    pub functions: Vec<String>,
    /// The global variables holding a value (structs left out), in order.
    pub globals: Vec<(String, Value)>,
}

impl NativeCx<'_> {
    /// The calling task's frames, innermost (the caller) first.
    pub fn frames(&self) -> Vec<FrameView> {
        let task = &*self.task;
        let stack: &[Value] = if self.lent.is_empty() {
            &task.stack
        } else {
            self.lent
        };
        let mut views = Vec::with_capacity(task.frames.len());
        for (depth, frame) in task.frames.iter().enumerate().rev() {
            let proto = &frame.closure.proto;
            let is_lambda = proto.is_lambda;
            let name = if proto.is_top {
                "__global__".to_string()
            } else if is_lambda {
                "lambda".to_string()
            } else {
                proto.name.to_string()
            };
            let read = |slot: &crate::bytecode::Slot| match slot {
                crate::bytecode::Slot::Local(i) => stack.get(frame.base + usize::from(*i)).cloned(),
                crate::bytecode::Slot::Cell(i) => {
                    frame.cells.get(usize::from(*i)).map(|c| c.borrow().clone())
                }
            };
            let this = if proto.is_method {
                proto.param_slots.first().and_then(read)
            } else {
                None
            };
            let variables = proto
                .local_names
                .iter()
                .filter(|(n, _)| &**n != "@")
                .filter_map(|(n, slot)| read(slot).map(|v| (n.to_string(), v)))
                .collect();
            let in_try = task.handlers.iter().any(|h| h.frame_depth == depth + 1);
            views.push(FrameView {
                name,
                is_top: proto.is_top,
                is_method: proto.is_method,
                is_lambda,
                in_try,
                this,
                variables,
            });
        }
        views
    }

    /// The named function `name` (qualified for a package's), if one is defined.
    pub fn function(&self, name: &str) -> Option<Value> {
        let g = self.interp.names.lookup(name)?;
        self.interp.functions.get(g as usize).cloned().flatten()
    }

    /// The program's packages, structs, functions and global variables.
    pub fn program(&self) -> ProgramView {
        let interp = &*self.interp;
        let mut packages: Vec<String> = interp
            .active_packages
            .iter()
            .map(|p| p.to_string())
            .collect();
        packages.sort();
        let (mut structs, mut functions, mut globals) = (Vec::new(), Vec::new(), Vec::new());
        for g in 0..interp.names.len() {
            let name = interp.names.name(g as u32);
            if interp.functions.get(g).is_some_and(Option::is_some) {
                functions.push(name.to_string());
            }
            match interp.globals.get(g) {
                Some(Some(Value::Obj(o))) if matches!(**o, crate::object::Object::Struct(_)) => {
                    if !name.contains("::") {
                        structs.push(name.to_string());
                    }
                }
                None | Some(None) => {}
                Some(Some(v)) if !name.starts_with("__") => {
                    globals.push((name.to_string(), v.clone()))
                }
                Some(Some(_)) => {}
            }
        }
        ProgramView {
            packages,
            structs,
            functions,
            globals,
        }
    }

    /// What the host process said about itself (arguments, script path).
    pub fn host(&self) -> &HostEnv {
        &self.interp.host
    }

    /// The id of the calling task.
    pub fn task_id(&self) -> TaskId {
        self.task.id
    }

    /// The calling task (a spawned one) no longer keeps the script running: the script ends
    /// when its other work does, as with a watcher loop a package runs for the script.
    pub fn run_in_background(&mut self) {
        self.interp.sched.set_background(self.task.id);
    }

    /// Whether the call's result is awaited at once (`task::await(socket::recv(...))`): a
    /// native may then do the await itself ([`NativeCx::await_started`]), and the VM skips it.
    pub fn awaited_at_once(&mut self) -> bool {
        self.interp.awaited_at_once(self.task)
    }

    /// `id` (a task or operation id the native just made), detached when the script drops
    /// it at once (the next instruction pops it), so it leaves no scheduler entry behind.
    pub fn detach_if_discarded(&mut self, id: Value) -> Value {
        self.interp.detach_if_discarded(self.task, id)
    }

    /// `spawn(fn, args = [])`: starts a new task running `fn(args...)`; returns its id.
    pub fn spawn(&mut self, args: &[Value]) -> KResult<Value> {
        let id = self.interp.spawn(args)?;
        Ok(self.detach_if_discarded(id))
    }

    /// Runs an accept loop in the host: every item `start` accepts becomes a task calling
    /// `handler` with the arguments `args` makes of the item. Returns the id that finishes
    /// (with the accept's failure) when accepting fails.
    pub fn accept_loop(
        &mut self,
        start: crate::vm::AcceptStart,
        handler: &Value,
        args: crate::vm::AcceptArgs,
    ) -> KResult<Value> {
        let Value::Func(f) = handler else {
            return Err(KiwiError::new(
                ErrorType::TypeError,
                format!(
                    "Expected a lambda but instead received `{}`.",
                    crate::format::to_display(handler)
                ),
            ));
        };
        let done = self.interp.start_acceptor(start, f.clone(), args);
        Ok(self.detach_if_discarded(Value::Int(done)))
    }

    /// Suspends the calling task until task or operation `id` ends (or `timeout_ms` passes),
    /// then gives its result: `task::await`.
    pub fn await_id(&mut self, args: &[Value]) -> KResult<Reply> {
        self.interp.await_task(self.task, args).map(Reply::from)
    }

    /// The state of task `id`: `Running`, `Completed`, `Faulted` or `Unknown`.
    pub fn task_status(&self, id: TaskId) -> &'static str {
        match self.interp.sched.state(id) {
            Some(TaskState::Running) => "Running",
            Some(TaskState::Completed(_)) => "Completed",
            Some(TaskState::Faulted(_)) => "Faulted",
            None => "Unknown",
        }
    }

    /// The result of finished task `id` (null if it is running, failed or unknown). Reading
    /// a failure this way counts as handling it: it is not reported.
    pub fn task_result(&mut self, id: TaskId) -> Value {
        self.interp.sched.mark_retrieved(id);
        match self.interp.sched.state(id) {
            Some(TaskState::Completed(v)) => v.clone(),
            _ => Value::Null,
        }
    }

    /// `task::cancel(id)`: whether something was cancelled.
    pub fn cancel(&mut self, args: &[Value]) -> KResult<Value> {
        self.interp.cancel(self.task, args)
    }

    /// The ids of the tasks still running (the main script excluded).
    pub fn running_tasks(&self) -> Vec<TaskId> {
        self.interp.sched.running_ids()
    }

    /// Whether any task other than the main script is still running.
    pub fn any_running(&self) -> bool {
        self.interp.sched.running_count() > 0
    }

    /// What `id` names in the scheduler, if anything.
    pub fn id_kind(&self, id: TaskId) -> Option<IdKind> {
        self.interp.sched.kind(id).map(|k| match k {
            EntryKind::External => IdKind::Operation,
            EntryKind::Main | EntryKind::Spawned => IdKind::Task,
        })
    }

    /// Suspends the calling task until every other task has finished.
    pub fn wait_all(&mut self) -> Reply {
        self.task.blocked = Some(Blocked::WaitAll);
        self.interp.sched.add_wait_all(self.task.id);
        Reply::Suspended
    }

    /// Suspends the calling task for `ms` milliseconds (at once for `ms <= 0`).
    pub fn sleep(&mut self, ms: i64) -> Reply {
        if ms <= 0 {
            return Reply::Value(Value::Null);
        }
        self.task.blocked = Some(Blocked::Sleep);
        let at = self.interp.now() + Duration::from_millis(ms.unsigned_abs());
        self.interp
            .sched
            .add_timer(at, self.task.id, self.task.wake_gen);
        Reply::Suspended
    }

    /// Calls the Kiwi function named `name` (a prelude helper) with `args`.
    pub fn call_function(&self, name: &str, args: Vec<Value>) -> KResult<Reply> {
        self.interp
            .global(name)
            .map(|f| Reply::Call(f, args))
            .ok_or_else(|| {
                KiwiError::new(
                    ErrorType::RuntimeError,
                    format!("Internal error: no function {name}."),
                )
            })
    }

    /// The host's network.
    pub fn net(&mut self) -> &mut dyn NetDriver {
        &mut *self.interp.net
    }

    /// Starts a network operation unless `checked` already says why it cannot run (then it
    /// fails with that reason). `start` gets the operation's id and gives its result if it
    /// finished at once. The id is registered with the scheduler only if it has to wait.
    pub fn begin_op(
        &mut self,
        checked: Result<(), String>,
        start: impl FnOnce(&mut dyn NetDriver, NetId) -> Option<NetResult>,
    ) -> Started {
        self.interp.begin_op(checked, start)
    }

    /// The task id the script sees for a started operation (detached if it is dropped at
    /// once). One that already finished is registered as finished.
    pub fn op_value(&mut self, started: Started) -> Value {
        let id = self.interp.op_id(started);
        self.detach_if_discarded(id)
    }

    /// Awaits a started operation in the call itself (see [`NativeCx::awaited_at_once`]): its
    /// value, or the calling task suspended until it ends.
    #[inline]
    pub fn await_started(&mut self, started: Started) -> KResult<Reply> {
        self.interp.fused_await = true;
        match started {
            // The common case (the data was there, the kernel took the datagram) goes
            // straight to the value, not through the general outcome.
            Started::Done(_, result) => self.interp.op_outcome(result).map(Reply::Value),
            pending => self
                .interp
                .await_started(self.task, pending)
                .map(Reply::from),
        }
    }

    /// Fails pending operation `op` with a `TimeoutError` "`what` timed out after `ms` ms"
    /// unless it ends within `ms` milliseconds. `on` is the socket it waits on, `peer` the
    /// address a TLS handshake is made with.
    pub fn arm_deadline(
        &mut self,
        op: NetId,
        on: Option<NetId>,
        what: String,
        peer: &str,
        ms: i64,
    ) {
        self.interp.arm_deadline(op, on, what, peer, ms);
    }

    /// A new operation id, registered as pending, for an operation the caller starts itself.
    pub fn register_op(&mut self) -> NetId {
        self.interp.register_op()
    }

    /// Suspends the calling task until operation `op` (whose id the script never sees) ends;
    /// at once if it already has.
    pub fn wait_for_op(&mut self, op: NetId) -> KResult<Reply> {
        self.interp.wait_for_op(self.task, op).map(Reply::from)
    }

    /// Delivers the operations the network finished (a close fails what waits on it).
    pub fn poll_net(&mut self) {
        self.interp.poll_net();
    }

    /// Marks `op` as a TLS connect of the calling task: its failure becomes a negative code
    /// and [`NativeCx::tls_last_error`] instead of an error.
    pub fn watch_tls_connect(&mut self, op: NetId) {
        self.interp.tls_connects.insert(op, self.task.id);
    }

    /// The reason of the calling task's latest failed TLS connect ("" if none).
    pub fn tls_last_error(&self) -> String {
        self.interp
            .tls_errors
            .get(&self.task.id)
            .cloned()
            .unwrap_or_default()
    }

    /// Runs `job` (file or process work that may block) off the interpreter's thread: only the
    /// calling task waits, and the call's value is the job's result, made a Kiwi value here.
    pub fn run_blocking(&mut self, job: BlockingJob) -> KResult<Reply> {
        let started = self
            .interp
            .begin_op(Ok(()), move |net, op| net.run_blocking(op, job));
        self.interp
            .await_started(self.task, started)
            .map(Reply::from)
    }

    /// Writes `text` to the script's standard output and flushes it.
    pub fn write_out(&mut self, text: &str) {
        let _ = self.interp.out.write_all(text.as_bytes());
        let _ = self.interp.out.flush();
    }
}

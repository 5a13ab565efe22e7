//! The interpreter: global state, the run loop, and the scheduling entry points the host calls.
//!
//! The VM never blocks: [`Interp::run_ready`] runs runnable tasks for a bounded number of
//! instructions each and returns; suspended tasks wait in the [`Scheduler`] until a completion,
//! a channel operation or a timer wakes them. The host (`kiwi-runtime`) owns the clock and
//! sleeps between timers.

mod acceptors;
pub mod call;
mod cancel;
mod datagrams;
mod deadlines;
mod dispatch;
mod events;
pub(crate) mod exec;
pub(crate) mod fastloop;
mod frameless;
pub(crate) mod generators;
pub mod loader;
mod modules;
pub(crate) mod natives;
mod netops;
mod objects;
pub(crate) mod push;
mod report;
mod running;

use crate::text::Text;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

use kiwi_syntax::Span;

use crate::channel::TaskId;
use crate::compiler::{self, Globals};
use crate::error::KiwiError;
use crate::function::Closure;
use crate::net::{NetDriver, NoNetwork};
use crate::scheduler::{EntryKind, Scheduler, UnretrievedFault};
use crate::stdlib::HostEnv;
use crate::task::Task;
use crate::value::Value;

pub use acceptors::{AcceptArgs, AcceptStart};
pub(crate) use natives::timeout_error;
pub use report::Diagnostic;

/// Instructions a task may run before it yields to others (preemption budget).
pub const DEFAULT_FUEL: u32 = 20_000;

/// How long one round of [`Interp::run_ready`] may run before the task on the CPU yields at
/// its next preemption point, so that timers and I/O are served even when the fuel counts
/// little work (natives that take milliseconds each).
pub const SLICE_BUDGET: std::time::Duration = std::time::Duration::from_millis(5);

/// Fuel units between two clock checks at back edges and calls (a power of two).
pub(crate) const CLOCK_CHECK_EVERY: u32 = 1024;

/// Maximum call depth before `RuntimeError` "Stack overflow." (§5.1).
pub const MAX_FRAMES: usize = 512;

/// A loaded source file, for error reports.
pub struct Source {
    /// The path as given (made absolute for reports).
    pub path: PathBuf,
    /// The full text.
    pub text: String,
}

/// What the host should do after [`Interp::run_ready`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Keep going: more work may be ready, or tasks wait on timers or I/O.
    Running,
    /// The process should exit with this code (script `exit`, uncaught error, or normal end).
    Exit(i32),
}

/// The Kiwi interpreter state shared by all tasks.
pub struct Interp {
    pub(crate) names: Globals,
    pub(crate) globals: Vec<Option<Value>>,
    /// Named functions, by the same slots as `globals`.
    pub(crate) functions: Vec<Option<Value>>,
    /// What is special about each global slot ([`SLOT_CONSTANT`], [`SLOT_WATCHED`]), by slot:
    /// one byte that a store tests once.
    pub(crate) slot_flags: Vec<u8>,
    /// Changes whenever a watched slot or any named function is defined or assigned: what a
    /// frameless method resolved while it stays the same still holds (see
    /// `Interp::watch_slot`). Unique across interpreters in the process.
    pub(crate) slots_epoch: u64,
    pub(crate) sources: Vec<Source>,
    pub(crate) active_packages: HashSet<Rc<str>>,
    pub(crate) host: HostEnv,
    pub(crate) out: Box<dyn Write>,
    pub(crate) err: Box<dyn Write>,
    pub(crate) sched: Scheduler,
    pub(crate) main_id: Option<TaskId>,
    pub(crate) main_done: bool,
    /// The main unit's return value once it finished normally.
    pub(crate) main_result: Option<Value>,
    /// The main unit ended with an uncaught error (already reported).
    pub(crate) main_faulted: bool,
    /// The script called `exit`.
    pub(crate) exit_requested: bool,
    pub(crate) fuel: u32,
    /// The host's network (a [`NoNetwork`] until the host installs one).
    pub(crate) net: Box<dyn NetDriver>,
    /// Pending `tls::tcpconnect` operations and the task waiting on each.
    pub(crate) tls_connects: std::collections::HashMap<TaskId, TaskId>,
    /// The latest `tls::tcpconnect` failure of each task (`tls::last_error()`).
    pub(crate) tls_errors: std::collections::HashMap<TaskId, String>,
    /// Set by a native that also did the `await` right after it: the VM skips that call.
    pub(crate) fused_await: bool,
    /// A frameless method's native runs now: its result is awaited as the method's own
    /// `task::await` would (see [`Interp::awaited_at_once`]).
    pub(crate) force_await: bool,
    /// Some struct defines `to_string`: printed lists and hashmaps are searched for its
    /// instances (until then printing them skips the search).
    pub(crate) to_string_defined: std::cell::Cell<bool>,
    /// What each global slot calls when it holds no value (natives), by slot.
    pub(crate) native_slots: Vec<natives::NativeSlot>,
    /// The name constants of the static texts protocol records carry (field names, HTTP
    /// methods and versions, common header names), by the text's address: a few dozen,
    /// several looked up for every record (a scan measured no slower than a hash map).
    pub(crate) static_texts: Vec<(&'static str, Rc<Text>)>,
    /// What is kept between received datagrams (see [`datagrams::Datagrams`]).
    pub(crate) datagrams: datagrams::Datagrams,
    /// Accept loops run by the host, by the accept operation each waits on.
    pub(crate) acceptors: HashMap<crate::net::NetId, acceptors::Acceptor>,
    /// Reused buffer for collecting network completions.
    pub(crate) net_done: Vec<(crate::net::NetId, crate::net::NetResult)>,
    /// The clock sleeps and timeouts are measured against (the host's, or a test's).
    clock: Box<dyn Fn() -> Instant>,
    /// When the current round of `run_ready` began.
    pub(crate) round_start: Instant,
    /// Deadlines of socket operations given a timeout.
    pub(crate) op_deadlines: deadlines::OpDeadlines,
    /// Where included and stdlib files are found, and which already ran.
    pub(crate) loader: loader::ModuleLoader,
    /// Handlers registered with `on` / `once`.
    pub(crate) events: events::EventBus,
    /// The functions of the native packages the host registered, by qualified name
    /// (`"math::sqrt"`, `"typeof"`): an index into `native_fns`.
    native_index: HashMap<Rc<str>, u32>,
    /// Qualified name and table entry of each registered native function.
    pub(crate) native_fns: Vec<(Rc<str>, &'static crate::native::NativeFn)>,
    /// The names of the registered packages.
    packages: HashSet<&'static str>,
    /// The Kiwi parts of registered packages, by package, until first used (then compiled
    /// and run like a stdlib file).
    pub(crate) kiwi_sources: HashMap<&'static str, &'static str>,
    /// Compiled wrappers that make natives values (`f = math::sqrt`), by name.
    pub(crate) native_values: std::collections::HashMap<String, Rc<Closure>>,
    /// The source file of the main script (`__main__()` is true in its code).
    pub(crate) main_file: Option<u32>,
}

impl Interp {
    /// A new interpreter writing to `out`/`err`, with the prelude loaded.
    pub fn new(host: HostEnv, out: Box<dyn Write>, err: Box<dyn Write>) -> Self {
        let mut interp = Interp {
            names: Globals::default(),
            globals: Vec::new(),
            functions: Vec::new(),
            slot_flags: Vec::new(),
            slots_epoch: next_slots_epoch(),
            sources: Vec::new(),
            active_packages: HashSet::new(),
            host,
            out,
            err,
            sched: Scheduler::default(),
            main_id: None,
            main_done: false,
            main_result: None,
            main_faulted: false,
            exit_requested: false,
            fuel: DEFAULT_FUEL,
            net: Box::new(NoNetwork::default()),
            net_done: Vec::new(),
            acceptors: HashMap::new(),
            static_texts: Vec::new(),
            datagrams: Default::default(),
            native_slots: Vec::new(),
            fused_await: false,
            force_await: false,
            to_string_defined: std::cell::Cell::new(false),
            tls_connects: Default::default(),
            tls_errors: Default::default(),
            clock: Box::new(Instant::now),
            round_start: Instant::now(),
            op_deadlines: Default::default(),
            loader: Default::default(),
            events: Default::default(),
            native_index: HashMap::new(),
            native_fns: Vec::new(),
            packages: HashSet::new(),
            kiwi_sources: HashMap::new(),
            native_values: Default::default(),
            main_file: None,
        };
        interp.load_prelude();
        interp
    }

    /// Replaces the clock used for `task::sleep` and await timeouts. The host must then pass
    /// the same clock's readings to [`Interp::run_ready`]; tests use this to run timers in
    /// virtual time.
    pub fn set_clock(&mut self, clock: Box<dyn Fn() -> Instant>) {
        self.clock = clock;
    }

    /// The current time on the interpreter's clock.
    pub fn now(&self) -> Instant {
        (self.clock)()
    }

    /// Registers a native package: calls of its functions (`pkg::f(...)`, or `f(...)` for the
    /// global package `""`) reach its table. It needs no `import`. A function registered later
    /// wins over one of the same qualified name.
    pub fn register_package(&mut self, package: &'static crate::native::Package) {
        for f in package.functions {
            let name: Rc<str> = if package.name.is_empty() {
                Rc::from(f.name)
            } else {
                Rc::from(format!("{}::{}", package.name, f.name))
            };
            let i = self.native_fns.len() as u32;
            self.native_fns.push((name.clone(), f));
            self.native_index.insert(name, i);
        }
        self.packages.insert(package.name);
        if !package.name.is_empty() {
            self.active_packages.insert(Rc::from(package.name));
        }
        // Call sites resolved before this registration look again.
        self.native_slots
            .iter_mut()
            .for_each(|s| *s = natives::NativeSlot::Unresolved);
    }

    /// Registers the Kiwi part of package `name` (functions, constants and structs written in
    /// Kiwi over its natives): it runs the first time a `name::x` it defines is used.
    pub fn register_kiwi_source(&mut self, name: &'static str, source: &'static str) {
        self.kiwi_sources.insert(name, source);
        if self.packages.insert(name) {
            self.active_packages.insert(Rc::from(name));
        }
    }

    /// Whether native package `name` was registered.
    pub(crate) fn has_package(&self, name: &str) -> bool {
        self.packages.contains(name)
    }

    /// The registered native function of qualified name `name`, by index.
    pub(crate) fn native_fn(&self, name: &str) -> Option<u32> {
        self.native_index.get(name).copied()
    }

    /// Sets the standard-library search path: directories whose `<package>.kiwi` files are
    /// loaded on first use of the package (built-in packages win over them).
    pub fn set_stdlib_paths(&mut self, dirs: Vec<PathBuf>) {
        self.loader.set_stdlib(dirs);
    }

    /// Installs the host's network; socket natives use it from now on.
    pub fn set_net(&mut self, net: Box<dyn NetDriver>) {
        self.net = net;
    }

    /// The counter every id comes from (tasks, operations, sockets). A network driver takes
    /// the ids of new sockets from it, so that one id names exactly one thing.
    pub fn id_counter(&self) -> std::rc::Rc<std::cell::Cell<i64>> {
        self.sched.id_counter()
    }

    /// Network operations started and not yet delivered to the scheduler.
    pub fn net_pending(&self) -> usize {
        self.net.pending()
    }

    /// How many ids the scheduler holds: running, or finished and not yet awaited (for
    /// leak checks).
    pub fn registered_ids(&self) -> usize {
        self.sched.entry_count()
    }

    /// Sets the preemption budget (instructions per slice); mainly for tests.
    pub fn set_fuel(&mut self, fuel: u32) {
        self.fuel = fuel.max(1);
    }

    /// Registers a source file for error reports; returns its index.
    pub fn add_source(&mut self, path: &Path, text: &str) -> u32 {
        let file = self.sources.len() as u32;
        let abs = if path.to_string_lossy().starts_with('<') {
            path.to_path_buf()
        } else {
            std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
        };
        self.sources.push(Source {
            path: abs,
            text: text.to_string(),
        });
        file
    }

    /// Parses and compiles `text` as a unit. Syntax errors come back all together.
    pub fn compile_unit(
        &mut self,
        path: &Path,
        text: &str,
    ) -> Result<Rc<Closure>, Vec<Diagnostic>> {
        self.compile_unit_as(path, text, false)
    }

    /// Like [`Interp::compile_unit`]; with `value` the unit returns its last statement's value.
    pub fn compile_unit_as(
        &mut self,
        path: &Path,
        text: &str,
        value: bool,
    ) -> Result<Rc<Closure>, Vec<Diagnostic>> {
        self.compile_source(path, text, value).map(|(unit, _)| unit)
    }

    /// Compiles an included or imported file; also gives the name of its first `package`.
    pub(crate) fn compile_module(
        &mut self,
        path: &Path,
        text: &str,
    ) -> Result<(Rc<Closure>, Option<String>), Vec<Diagnostic>> {
        self.compile_source(path, text, false)
    }

    fn compile_source(
        &mut self,
        path: &Path,
        text: &str,
        value: bool,
    ) -> Result<(Rc<Closure>, Option<String>), Vec<Diagnostic>> {
        let file = self.add_source(path, text);
        let program = kiwi_syntax::parse(text).map_err(|errs| {
            errs.into_iter()
                .map(|e| {
                    Diagnostic::new(
                        KiwiError::new(crate::ErrorType::SyntaxError, e.message),
                        Some((file, e.span)),
                    )
                })
                .collect::<Vec<_>>()
        })?;
        let name = path.to_string_lossy();
        let proto =
            compiler::compile(&program, file, &name, &mut self.names, value).map_err(|e| {
                vec![Diagnostic::new(
                    KiwiError::new(crate::ErrorType::SyntaxError, e.message),
                    Some((file, e.span)),
                )]
            })?;
        self.grow_globals();
        let package = program.body.iter().find_map(|s| match &s.kind {
            kiwi_syntax::ast::StmtKind::Package { path, .. } => Some(path.join("::")),
            _ => None,
        });
        let unit = Rc::new(Closure {
            proto,
            captures: Box::new([]),
        });
        Ok((unit, package))
    }

    /// Makes `unit` the main script task (runs when the host calls [`Interp::run_ready`]).
    pub fn start_main(&mut self, unit: Rc<Closure>) -> TaskId {
        self.main_file = Some(unit.proto.file);
        let id = self.sched.fresh_id();
        self.sched.register(id, EntryKind::Main);
        let task = self.sched.new_task(id, unit, Vec::new());
        self.sched.add_ready(task);
        self.main_id = Some(id);
        self.main_done = false;
        self.main_result = None;
        self.main_faulted = false;
        id
    }

    /// Writes a diagnostic (uncaught error or syntax error) to stderr in the §6.4 format.
    pub fn report(&mut self, d: &Diagnostic) {
        self.report_text(&d.render(&self.sources));
    }

    fn report_text(&mut self, text: &str) {
        let _ = self.out.flush();
        let _ = self.err.write_all(text.as_bytes());
        let _ = self.err.flush();
    }

    /// Reports spawned tasks' failures that nobody retrieved: a header naming the task, then
    /// the error in the §6.4 format.
    fn report_faults(&mut self, faults: Vec<UnretrievedFault>) {
        for f in faults {
            let mut text = format!(
                "Task {} failed and its error was never retrieved (task::await or task::result):\n",
                f.id
            );
            text.push_str(&Diagnostic::new(f.error, f.at).render(&self.sources));
            self.report_text(&text);
        }
    }

    /// At the end of the script (normal end, `exit`, or an uncaught error): reports every
    /// spawned task's failure that nobody retrieved, in task id order.
    pub fn report_unretrieved(&mut self) {
        let faults = self.sched.take_unretrieved_faults();
        self.report_faults(faults);
    }

    /// Whether the current round has run for [`SLICE_BUDGET`] or longer.
    pub(crate) fn slice_overran(&self) -> bool {
        self.now().saturating_duration_since(self.round_start) >= SLICE_BUDGET
    }

    /// Whether a task with `fuel` left must yield at a preemption point (a call or a back
    /// edge): out of fuel, or, checked every [`CLOCK_CHECK_EVERY`] points, out of time.
    #[inline(always)]
    pub(crate) fn must_yield(&self, fuel: u32) -> bool {
        fuel == 0 || (fuel & (CLOCK_CHECK_EVERY - 1) == 0 && self.slice_overran())
    }

    /// Fires due timers, then gives every task that is ready one slice (a task that yields goes
    /// to the back of the queue and runs again on the next call). Returning after one round lets
    /// the host fire timers and complete I/O even while CPU-bound tasks keep the queue busy.
    pub fn run_ready(&mut self, now: Instant) -> RunState {
        self.round_start = now;
        self.sched.fire_timers(now);
        self.expire_ops(now);
        self.poll_net();
        for _ in 0..self.sched.ready_len() {
            let Some(task) = self.sched.pop_ready() else {
                break;
            };
            let exit = self.run_slice(task);
            let dropped = self.sched.take_dropped_faults();
            if !dropped.is_empty() {
                self.report_faults(dropped);
            }
            if let Some(code) = exit {
                self.flush();
                return RunState::Exit(code);
            }
            // Completions a slice caused (a close faulting pending operations) wake their
            // awaiters in this same round, and so do timers that fell due during it.
            self.poll_net();
            if self.sched.next_deadline().is_some() {
                let now = self.now();
                self.sched.fire_timers(now);
            }
            // The rest of the ready tasks run in the next round, after the host wrote.
            if self.net.wants_yield() {
                break;
            }
        }
        self.flush();
        if self.main_done && !self.sched.spawned_tasks_running() {
            return RunState::Exit(0);
        }
        RunState::Running
    }

    /// Whether any task is runnable now.
    pub fn has_ready(&self) -> bool {
        self.sched.has_ready()
    }

    /// When the next timer or operation deadline is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.sched.next_deadline(), self.op_deadlines.next()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the main script has finished.
    pub fn main_done(&self) -> bool {
        self.main_done
    }

    /// How the last main unit ended: `Some(value)` if it returned normally.
    pub fn main_result(&self) -> Option<&Value> {
        self.main_result.as_ref()
    }

    /// Whether the last main unit ended with an uncaught (reported) error.
    pub fn main_faulted(&self) -> bool {
        self.main_faulted
    }

    /// Whether the script called `exit`.
    pub fn exit_requested(&self) -> bool {
        self.exit_requested
    }

    /// Called by the host when nothing is ready, no timer is pending and no I/O can complete:
    /// every remaining task waits for something that can never happen. The main script gets a
    /// `RuntimeError` (so the user sees where it was stuck); if it already finished, the
    /// stuck tasks are abandoned and the process ends normally.
    pub fn break_deadlock(&mut self) -> RunState {
        if self.main_done {
            return RunState::Exit(0);
        }
        let err = KiwiError::new(
            crate::ErrorType::RuntimeError,
            "Deadlock: every task is waiting and nothing can wake them.",
        );
        if let Some(main) = self.main_id {
            self.sched.fail_blocked(main, err);
        }
        RunState::Running
    }

    /// Flushes buffered standard output.
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// Defines the global `name` (for hosts embedding natives or tests).
    pub fn set_global(&mut self, name: &str, value: Value) {
        let slot = self.names.intern(name) as usize;
        self.grow_globals();
        self.globals[slot] = Some(value);
        self.slots_epoch = next_slots_epoch();
    }

    /// Reads global `name` (a variable, or else a named function).
    pub fn global(&self, name: &str) -> Option<Value> {
        let slot = self.names.lookup(name)?;
        self.global_slot(slot).cloned()
    }

    /// The value a read of global slot `g` sees: a non-null variable, else a named function of
    /// that name, else the (null) variable.
    pub(crate) fn global_slot(&self, g: u32) -> Option<&Value> {
        let g = g as usize;
        match &self.globals[g] {
            Some(v) if !v.is_null() => Some(v),
            var => self.functions[g].as_ref().or(var.as_ref()),
        }
    }

    fn grow_globals(&mut self) {
        let n = self.names.len();
        if self.globals.len() < n {
            self.globals.resize(n, None);
            self.functions.resize(n, None);
            self.slot_flags.resize(n, 0);
            self.native_slots.resize(n, natives::NativeSlot::Unresolved);
        }
    }

    fn load_prelude(&mut self) {
        let unit = self
            .compile_unit(Path::new("<prelude>"), PRELUDE)
            .unwrap_or_else(|e| panic!("the built-in prelude must compile: {:?}", e[0].error));
        // The prelude only defines functions; run it to completion synchronously.
        let id = self.sched.fresh_id();
        let mut task = Task::new(id, unit, Vec::new());
        let _ = self.run_task(&mut task, u32::MAX);
    }

    /// The source position of the instruction that `task` last executed.
    pub(crate) fn location(&self, task: &Task) -> Option<(u32, Span)> {
        let f = task.frames.last()?;
        let proto = &f.closure.proto;
        let ip = f.ip.saturating_sub(1);
        proto.spans.get(ip).map(|s| (proto.file, *s))
    }

    /// Resolves an import name to a file next to the main script.
    pub(crate) fn import_path(&self, name: &str) -> Option<PathBuf> {
        let base = self
            .sources
            .iter()
            .rev()
            .find(|s| !s.path.to_string_lossy().starts_with('<'))
            .and_then(|s| s.path.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));
        let direct = base.join(name);
        let with_ext = base.join(format!("{name}.kiwi"));
        let stdlib = self
            .loader
            .stdlib()
            .iter()
            .map(|dir| dir.join(format!("{name}.kiwi")));
        [with_ext, direct]
            .into_iter()
            .chain(stdlib)
            .find(|p| p.is_file())
    }
}

/// Kiwi code for the higher-order builtins and timers, so that callbacks run as ordinary
/// frames and may themselves await, sleep or use channels.
const PRELUDE: &str = include_str!("prelude.kiwi");

/// A global slot holding a constant: stores to it fail.
pub(crate) const SLOT_CONSTANT: u8 = 1;
/// A global slot a frameless method's resolution depends on: a store to it changes
/// `Interp::slots_epoch`.
pub(crate) const SLOT_WATCHED: u8 = 2;

/// A fresh value for `Interp::slots_epoch`, never given before in this process.
pub(crate) fn next_slots_epoch() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Interp {
    /// Marks global slot `g` as one that a cached resolution depends on.
    pub(crate) fn watch_slot(&mut self, g: u32) {
        if let Some(flags) = self.slot_flags.get_mut(g as usize) {
            *flags |= SLOT_WATCHED;
        }
    }

    /// Before global slot `g`, whose flags are not all clear, is assigned: fails if it is a
    /// constant, and retires what was resolved from it if it is watched.
    #[cold]
    pub(crate) fn check_store(&mut self, g: u32) -> Result<(), KiwiError> {
        if self.slot_flags[g as usize] & SLOT_CONSTANT != 0 {
            return Err(self.const_error(g));
        }
        self.slots_epoch = next_slots_epoch();
        Ok(())
    }
}

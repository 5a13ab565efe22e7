//! The task table and run queues: who is ready, who waits for whom, and the timers.
//!
//! Every id scripts see (Kiwi tasks and, later, socket operations) comes from one counter and is
//! registered here with a state. Kiwi tasks additionally have a parked [`Task`] while they are
//! not running. Time is passed in by the host, so tests can drive the clock.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::rc::Rc;
use std::time::Instant;

use crate::channel::TaskId;
use crate::error::{KResult, KiwiError};
use crate::idtable::IdTable;
use crate::task::{Blocked, Task};
use crate::value::Value;
use kiwi_syntax::Span;

/// A spawned task's failure that nobody retrieved (`task::await` / `task::result`) before the
/// task was forgotten or the script ended: reported on stderr, as asyncio reports a task
/// exception that was never retrieved.
#[derive(Debug, Clone)]
pub struct UnretrievedFault {
    /// The task's id.
    pub id: TaskId,
    /// Its uncaught error.
    pub error: KiwiError,
    /// Where it was raised (file index, span), when known.
    pub at: Option<(u32, Span)>,
}

/// The observable state of a registered id (§10.1 `task::status`).
#[derive(Clone)]
pub enum TaskState {
    /// Still running (or pending, for an external operation).
    Running,
    /// Finished with a result.
    Completed(Value),
    /// Finished with an error.
    Faulted(KiwiError),
}

/// What an id names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EntryKind {
    /// The main script (never listed by `task::list`).
    Main,
    /// A spawned Kiwi task.
    Spawned,
    /// An operation completed by the host (a socket operation).
    External,
}

struct Entry {
    kind: EntryKind,
    state: TaskState,
    /// Tasks suspended in `await` on this id.
    waiters: Waiters,
    /// The script threw the id away when it was made, so nobody can ever ask for the result:
    /// the entry goes as soon as it finishes (a server spawning a task per client would
    /// otherwise keep one finished entry per connection forever).
    detached: bool,
    /// Where a faulted task's error was raised.
    fault_at: Option<(u32, Span)>,
    /// `task::result` read it (a failure read that way is not reported).
    retrieved: bool,
    /// A spawned task that does not keep the script alive (a package's watcher loop).
    background: bool,
}

/// The tasks awaiting one entry. Nearly always none or one (every socket operation has its
/// awaiter), so those cases allocate nothing.
#[derive(Default)]
struct Waiters {
    first: Option<TaskId>,
    rest: Vec<TaskId>,
}

impl Waiters {
    fn push(&mut self, id: TaskId) {
        if self.first.is_none() {
            self.first = Some(id);
        } else {
            self.rest.push(id);
        }
    }

    fn retain(&mut self, keep: impl Fn(&TaskId) -> bool) {
        self.rest.retain(&keep);
        if self.first.is_some_and(|f| !keep(&f)) {
            self.first = (!self.rest.is_empty()).then(|| self.rest.remove(0));
        }
    }

    fn into_ids(self) -> impl Iterator<Item = TaskId> {
        self.first.into_iter().chain(self.rest)
    }
}

/// The scheduler state.
pub struct Scheduler {
    /// Shared with the network driver, which takes the ids of new sockets from it.
    next_id: Rc<Cell<TaskId>>,
    /// Keyed by id; recent ids (socket operations on every message's path) need no hashing.
    entries: IdTable<Entry>,
    parked: IdTable<Box<Task>>,
    /// Finished tasks' shells, cleared, kept for the next spawn (their vectors keep their
    /// capacity, so starting a task allocates nothing).
    // Boxes on purpose: a recycled task is handed out as the box it is parked in.
    #[allow(clippy::vec_box)]
    free: Vec<Box<Task>>,
    ready: VecDeque<TaskId>,
    timers: BinaryHeap<Reverse<(Instant, u64, TaskId, u64)>>,
    timer_seq: u64,
    wait_all: Vec<TaskId>,
    /// Spawned or external entries still running, kept in step with `entries`.
    running_spawned: usize,
    /// Spawned Kiwi tasks still running (checked after every round, so it is counted, not
    /// computed by a scan).
    running_tasks: usize,
    /// Failures of tasks forgotten without anyone retrieving them, waiting to be reported.
    dropped_faults: Vec<UnretrievedFault>,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler {
            // Upstream hands out 2 first; scripts must not rely on it, but it costs nothing.
            next_id: Rc::new(Cell::new(2)),
            entries: IdTable::default(),
            parked: IdTable::default(),
            free: Vec::new(),
            ready: VecDeque::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            wait_all: Vec::new(),
            running_spawned: 0,
            running_tasks: 0,
            dropped_faults: Vec::new(),
        }
    }
}

impl Scheduler {
    /// A fresh id from the one counter shared by tasks and sockets.
    pub fn fresh_id(&mut self) -> TaskId {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        id
    }

    /// The id counter, for a network driver to take socket ids from.
    pub fn id_counter(&self) -> Rc<Cell<TaskId>> {
        self.next_id.clone()
    }

    /// Registers a running id of the given kind.
    pub fn register(&mut self, id: TaskId, kind: EntryKind) {
        if kind != EntryKind::Main {
            self.running_spawned += 1;
        }
        if kind == EntryKind::Spawned {
            self.running_tasks += 1;
        }
        self.entries.insert(
            id,
            Entry {
                kind,
                state: TaskState::Running,
                waiters: Waiters::default(),
                detached: false,
                fault_at: None,
                retrieved: false,
                background: false,
            },
        );
    }

    /// A task that will call `callee` with `args`, in a recycled shell when there is one.
    pub fn new_task(
        &mut self,
        id: TaskId,
        callee: Rc<crate::function::Closure>,
        args: Vec<Value>,
    ) -> Box<Task> {
        match self.free.pop() {
            Some(mut t) => {
                t.restart(id, callee, args);
                t
            }
            None => Box::new(Task::new(id, callee, args)),
        }
    }

    /// Keeps a finished task's shell for [`Scheduler::new_task`] (a few, and none that grew
    /// large).
    pub fn recycle(&mut self, mut task: Box<Task>) {
        const KEEP: usize = 64;
        if self.free.len() < KEEP && task.clear() {
            self.free.push(task);
        }
    }

    /// Queues a new Kiwi task to run.
    pub fn add_ready(&mut self, task: Box<Task>) {
        let id = task.id;
        self.parked.insert(id, task);
        self.ready.push_back(id);
    }

    /// The next runnable task, taken out of the table while it runs.
    pub fn pop_ready(&mut self) -> Option<Box<Task>> {
        while let Some(id) = self.ready.pop_front() {
            if let Some(t) = self.parked.remove(id) {
                return Some(t);
            }
        }
        None
    }

    /// How many tasks are queued to run.
    pub fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// Whether any task is runnable.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Puts a task that used up its fuel at the back of the queue.
    pub fn requeue(&mut self, task: Box<Task>) {
        self.add_ready(task);
    }

    /// Parks a task that suspended itself (its `blocked` field says on what).
    pub fn park(&mut self, task: Box<Task>) {
        self.parked.insert(task.id, task);
        // A task entering `wait()` may find nothing else running.
        self.check_wait_all();
    }

    /// Resumes a parked task with `result` (no-op if it is not suspended).
    pub fn wake(&mut self, id: TaskId, result: KResult<Value>) {
        let Some(task) = self.parked.get_mut(id) else {
            return;
        };
        if task.blocked.take().is_none() {
            return;
        }
        task.resume = Some(result);
        task.wake_gen += 1;
        self.ready.push_back(id);
    }

    /// Registers `waiter` as awaiting `target`.
    pub fn add_waiter(&mut self, target: TaskId, waiter: TaskId) {
        if let Some(e) = self.entries.get_mut(target) {
            e.waiters.push(waiter);
        }
    }

    /// Arms a timer for `task` (for its current wait, identified by its `wake_gen`).
    pub fn add_timer(&mut self, at: Instant, task: TaskId, wake_gen: u64) {
        self.timer_seq += 1;
        self.timers
            .push(Reverse((at, self.timer_seq, task, wake_gen)));
    }

    /// The earliest pending timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, ..))| *at)
    }

    /// Fires every timer due at `now`: sleepers wake, timed awaits fail with TimeoutError.
    pub fn fire_timers(&mut self, now: Instant) {
        while let Some(Reverse((at, _, id, gen))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(task) = self.parked.get(id) else {
                continue;
            };
            if task.wake_gen != gen {
                continue;
            }
            match task.blocked.clone() {
                Some(Blocked::Sleep) => self.wake(id, Ok(Value::Null)),
                Some(Blocked::Await(target)) => {
                    if let Some(e) = self.entries.get_mut(target) {
                        e.waiters.retain(|w| *w != id);
                    }
                    self.wake(id, Err(crate::vm::timeout_error(target)));
                }
                _ => {}
            }
        }
    }

    /// Records that task `id` failed with `err`, raised at `at` (see [`Self::finish`]).
    pub fn finish_faulted(&mut self, id: TaskId, err: KiwiError, at: Option<(u32, Span)>) {
        if let Some(entry) = self.entries.get_mut(id) {
            entry.fault_at = at;
        }
        self.finish(id, Err(err));
    }

    /// Records that `id` finished, wakes its awaiters, and forgets it if anyone awaited it.
    pub fn finish(&mut self, id: TaskId, outcome: KResult<Value>) {
        let Some(entry) = self.entries.get_mut(id) else {
            return;
        };
        if matches!(entry.state, TaskState::Running) {
            if entry.kind != EntryKind::Main {
                self.running_spawned -= 1;
            }
            if entry.kind == EntryKind::Spawned && !entry.background {
                self.running_tasks -= 1;
            }
        }
        entry.state = match &outcome {
            Ok(v) => TaskState::Completed(v.clone()),
            Err(e) => TaskState::Faulted(e.clone()),
        };
        let kind = entry.kind;
        let waiters = std::mem::take(&mut entry.waiters);
        let mut delivered = false;
        for w in waiters.into_ids() {
            let still_waiting = self
                .parked
                .get(w)
                .is_some_and(|t| matches!(t.blocked, Some(Blocked::Await(x)) if x == id));
            if still_waiting {
                self.wake(w, awaited_outcome(&outcome, kind));
                delivered = true;
            }
        }
        if delivered {
            self.entries.remove(id);
        } else if self.entries.get(id).is_some_and(|e| e.detached) {
            self.forget(id);
        }
        self.check_wait_all();
    }

    /// Removes a finished entry nobody can ask about any more, keeping a spawned task's
    /// unretrieved failure for the report.
    fn forget(&mut self, id: TaskId) {
        let Some(entry) = self.entries.remove(id) else {
            return;
        };
        if let Some(fault) = unretrieved(id, entry) {
            self.dropped_faults.push(fault);
        }
    }

    /// The failures of tasks forgotten since the last call, to report now.
    pub fn take_dropped_faults(&mut self) -> Vec<UnretrievedFault> {
        std::mem::take(&mut self.dropped_faults)
    }

    /// Every failure nobody retrieved, in id order, forgetting those tasks: what the end of
    /// the script reports.
    pub fn take_unretrieved_faults(&mut self) -> Vec<UnretrievedFault> {
        let ids: Vec<TaskId> = self
            .entries
            .iter()
            .filter(|(_, e)| {
                e.kind == EntryKind::Spawned && matches!(e.state, TaskState::Faulted(_))
            })
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            self.forget(id);
        }
        let mut all = std::mem::take(&mut self.dropped_faults);
        all.sort_by_key(|f| f.id);
        all
    }

    /// Notes that the script read `id`'s outcome with `task::result`.
    pub fn mark_retrieved(&mut self, id: TaskId) {
        if let Some(e) = self.entries.get_mut(id) {
            e.retrieved = true;
        }
    }

    /// The state of `id`, if registered.
    pub fn state(&self, id: TaskId) -> Option<&TaskState> {
        self.entries.get(id).map(|e| &e.state)
    }

    /// What `id` names, if registered.
    pub fn kind(&self, id: TaskId) -> Option<EntryKind> {
        self.entries.get(id).map(|e| e.kind)
    }

    /// Marks `id` as detached (see `Entry::detached`); a finished one is forgotten now.
    pub fn detach(&mut self, id: TaskId) {
        if let Some(e) = self.entries.get_mut(id) {
            if matches!(e.state, TaskState::Running) {
                e.detached = true;
            } else {
                self.forget(id);
            }
        }
    }

    /// If `id` (not the main script) has finished, forgets it and returns how it ended.
    pub fn take_finished(&mut self, id: TaskId) -> Option<KResult<Value>> {
        let entry = self.entries.get(id)?;
        if entry.kind == EntryKind::Main || matches!(entry.state, TaskState::Running) {
            return None;
        }
        match self.entries.remove(id)?.state {
            TaskState::Completed(v) => Some(Ok(v)),
            TaskState::Faulted(e) => Some(Err(e)),
            TaskState::Running => None,
        }
    }

    /// Ids of spawned tasks and operations that are still running (`task::list`).
    pub fn running_ids(&self) -> Vec<TaskId> {
        let mut ids: Vec<TaskId> = self
            .entries
            .iter()
            .filter(|(_, e)| e.kind != EntryKind::Main && matches!(e.state, TaskState::Running))
            .map(|(id, _)| id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// How many ids are registered (running, or finished and not yet awaited).
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// How many spawned tasks and operations are still running.
    pub fn running_count(&self) -> usize {
        self.running_spawned
    }

    /// Whether any spawned *Kiwi task* is still running (what keeps the process alive, §10.5).
    pub fn spawned_tasks_running(&self) -> bool {
        self.running_tasks > 0
    }

    /// Makes running spawned task `id` one the script does not wait for at its end.
    pub fn set_background(&mut self, id: TaskId) {
        if let Some(entry) = self.entries.get_mut(id) {
            let counted = entry.kind == EntryKind::Spawned && !entry.background;
            if counted && matches!(entry.state, TaskState::Running) {
                entry.background = true;
                self.running_tasks -= 1;
            }
        }
    }

    /// Suspends `id` in `task::wait()`; it wakes once nothing else is running.
    pub fn add_wait_all(&mut self, id: TaskId) {
        self.wait_all.push(id);
    }

    fn check_wait_all(&mut self) {
        if self.wait_all.is_empty() {
            return;
        }
        // Tasks that are themselves in `wait()` don't count, or two waiters would wait forever.
        let others = self
            .entries
            .iter()
            .filter(|(id, e)| {
                e.kind != EntryKind::Main
                    && matches!(e.state, TaskState::Running)
                    && !self.wait_all.contains(id)
            })
            .count();
        if others == 0 {
            for id in std::mem::take(&mut self.wait_all) {
                self.wake(id, Ok(Value::Null));
            }
        }
    }

    /// The parked task `id` (suspended, or queued to run).
    pub fn parked_mut(&mut self, id: TaskId) -> Option<&mut Task> {
        self.parked.get_mut(id).map(|t| &mut **t)
    }

    /// Whether `waiter` is the only task awaiting `target`.
    pub fn sole_waiter(&self, target: TaskId, waiter: TaskId) -> bool {
        self.entries
            .get(target)
            .is_some_and(|e| e.waiters.first == Some(waiter) && e.waiters.rest.is_empty())
    }

    /// Wakes `id` with an error, whatever it is suspended on (used to break deadlocks).
    pub fn fail_blocked(&mut self, id: TaskId, err: KiwiError) {
        if let Some(t) = self.parked.get(id) {
            if let Some(Blocked::Await(target)) = &t.blocked {
                let target = *target;
                if let Some(e) = self.entries.get_mut(target) {
                    e.waiters.retain(|w| *w != id);
                }
            }
            if let Some(Blocked::ChanRecv(ch)) | Some(Blocked::ChanSend(ch)) = &t.blocked {
                ch.recv_waiters.borrow_mut().retain(|w| *w != id);
                ch.send_waiters.borrow_mut().retain(|(w, _)| *w != id);
            }
        }
        self.wait_all.retain(|w| *w != id);
        self.wake(id, Err(err));
    }
}

/// The report a forgotten entry leaves: a spawned task's failure nobody retrieved (a
/// cancellation is what somebody asked for, so it is not reported).
fn unretrieved(id: TaskId, entry: Entry) -> Option<UnretrievedFault> {
    match entry.state {
        TaskState::Faulted(error)
            if entry.kind == EntryKind::Spawned && !entry.retrieved && !error.is_cancellation() =>
        {
            Some(UnretrievedFault {
                id,
                error,
                at: entry.fault_at,
            })
        }
        _ => None,
    }
}

/// What a task awaiting an entry of `kind` receives: the result, or for a spawned task's
/// fault a SystemError carrying its message (§10). An operation's error (a `SystemError`, or
/// the `TimeoutError` of an operation's own deadline) and a cancellation are raised as they
/// are.
pub fn awaited_outcome(outcome: &KResult<Value>, kind: EntryKind) -> KResult<Value> {
    match outcome {
        Ok(v) => Ok(v.clone()),
        Err(e) if kind == EntryKind::External || e.is_cancellation() => Err(e.clone()),
        Err(e) => Err(KiwiError::new(
            crate::error::ErrorType::SystemError,
            e.message.to_string(),
        )),
    }
}

//! `task::cancel(id)`: stops a pending socket operation, or a task at its suspension point.
//!
//! A cancelled operation never completes and took nothing (a receive leaves its bytes for the
//! next one, an accept its connection in the backlog, an unstarted send its bytes unsent).
//! A cancelled task gets a `CancelledError` where it waits, so its `finally` blocks run;
//! if it waits on an operation nobody else awaits, that operation is cancelled too, so a
//! reader task stopped in `recv` loses no input. A task that is running or already has a
//! result in hand gets the error at its next suspension or preemption point instead.

use super::natives::task_id_arg;
use super::Interp;
use crate::channel::TaskId;
use crate::error::{ErrorType, KResult, KiwiError};
use crate::scheduler::{EntryKind, TaskState};
use crate::task::{Blocked, Task};
use crate::value::Value;

/// The error a cancelled task or operation raises.
pub(crate) fn cancelled_error(id: TaskId) -> KiwiError {
    KiwiError::new(
        ErrorType::CancelledError,
        format!("Task {id} was cancelled."),
    )
}

impl Interp {
    /// `task::cancel(id)`: whether something was cancelled (false for an id that finished,
    /// is unknown, or is the main script).
    pub(crate) fn cancel(&mut self, task: &mut Task, args: &[Value]) -> KResult<Value> {
        let id = task_id_arg(args)?;
        if !matches!(self.sched.state(id), Some(TaskState::Running)) {
            return Ok(Value::Bool(false));
        }
        let cancelled = match self.sched.kind(id) {
            Some(EntryKind::External) => self.cancel_op(id),
            Some(EntryKind::Spawned) if id == task.id => {
                task.cancel_requested = true;
                true
            }
            Some(EntryKind::Spawned) => {
                self.cancel_parked(id);
                true
            }
            Some(EntryKind::Main) | None => false,
        };
        Ok(Value::Bool(cancelled))
    }

    /// Cancels pending operation `op` in the network; whether it was still waiting there (an
    /// operation that already finished keeps its result).
    fn cancel_op(&mut self, op: TaskId) -> bool {
        if self.net.cancel(op, None).is_none() {
            return false;
        }
        self.tls_connects.remove(&op);
        self.sched.finish(op, Err(cancelled_error(op)));
        true
    }

    /// Raises a `CancelledError` in parked task `id`: now if it is suspended, else (it is
    /// queued to run) where it stopped, or at its next suspension point if a result is
    /// already on its way to it.
    pub(crate) fn cancel_parked(&mut self, id: TaskId) {
        let Some(t) = self.sched.parked_mut(id) else {
            return;
        };
        let Some(blocked) = t.blocked.clone() else {
            if t.resume.is_some() {
                t.cancel_requested = true;
            } else {
                t.resume = Some(Err(cancelled_error(id)));
            }
            return;
        };
        t.cancel_requested = false;
        let op = match blocked {
            Blocked::Await(target)
                if self.sched.kind(target) == Some(EntryKind::External)
                    && self.sched.sole_waiter(target, id) =>
            {
                Some(target)
            }
            _ => None,
        };
        self.sched.fail_blocked(id, cancelled_error(id));
        if let Some(op) = op {
            self.cancel_op(op);
        }
    }

    /// Files a task that stopped at a suspension (`Halt::Block`) or preemption point while a
    /// cancellation was asked for: parked, then cancelled there.
    pub(crate) fn deliver_cancel(&mut self, task: Box<Task>) {
        let id = task.id;
        let suspended = task.blocked.is_some();
        if suspended {
            self.sched.park(task);
        } else {
            self.sched.requeue(task);
        }
        if let Some(t) = self.sched.parked_mut(id) {
            t.cancel_requested = false;
            if !suspended {
                t.resume = Some(Err(cancelled_error(id)));
                return;
            }
        }
        self.cancel_parked(id);
    }
}

//! Task channels (`task::channel(cap)`): FIFO queues that suspend the calling task, not the thread.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use crate::value::Value;

/// A task id as scripts see it.
pub type TaskId = i64;

/// A channel shared between tasks. The scheduler parks and wakes the waiting tasks recorded here.
pub struct Channel {
    /// Capacity; `0` or less means unbounded.
    pub capacity: i64,
    /// Buffered items.
    pub queue: RefCell<VecDeque<Value>>,
    /// Set once `close()` was called.
    pub closed: Cell<bool>,
    /// Tasks suspended in `recv()`, oldest first.
    pub recv_waiters: RefCell<VecDeque<TaskId>>,
    /// Tasks suspended in `send(v)` on a full channel, with the value each is sending.
    pub send_waiters: RefCell<VecDeque<(TaskId, Value)>>,
}

impl Channel {
    /// A new open channel with the given capacity.
    pub fn new(capacity: i64) -> Self {
        Channel {
            capacity,
            queue: RefCell::new(VecDeque::new()),
            closed: Cell::new(false),
            recv_waiters: RefCell::new(VecDeque::new()),
            send_waiters: RefCell::new(VecDeque::new()),
        }
    }

    /// Whether a `send` would have to wait for room.
    pub fn is_full(&self) -> bool {
        self.capacity > 0 && self.queue.borrow().len() as i64 >= self.capacity
    }
}

//! A Kiwi task: a coroutine with its own value stack, call frames and error handlers, so it can
//! stop at any instruction and resume later.

use std::rc::Rc;

use crate::channel::{Channel, TaskId};
use crate::error::KResult;
use crate::function::{Cell, Closure};
use crate::value::Value;

/// What to do with a frame's return value.
#[derive(Clone)]
pub enum FrameKind {
    /// An ordinary call: the value goes to the caller.
    Call,
    /// The top level of an imported file: the caller receives this package value instead.
    Import(Value),
}

/// One activation record.
pub struct Frame {
    /// The running function.
    pub closure: Rc<Closure>,
    /// Next instruction.
    pub ip: usize,
    /// Stack index of local slot 0 (the callee sits just below it).
    pub base: usize,
    /// Cell-backed locals of this activation.
    pub cells: Vec<Cell>,
    /// Handler stack height when the frame was entered.
    pub handler_base: usize,
    /// What happens to the return value.
    pub kind: FrameKind,
}

/// An installed `try` handler.
#[derive(Clone, Copy)]
pub struct Handler {
    /// Number of frames when it was installed (the handler's frame is the last of them).
    pub frame_depth: usize,
    /// Value stack height to restore.
    pub stack_height: usize,
    /// Where the handler code starts.
    pub target: usize,
}

/// Why a task is not runnable.
#[derive(Clone)]
pub enum Blocked {
    /// Awaiting another task or operation.
    Await(TaskId),
    /// Sleeping until a timer fires.
    Sleep,
    /// In `recv()` on an empty channel.
    ChanRecv(Rc<Channel>),
    /// In `send()` on a full channel.
    ChanSend(Rc<Channel>),
    /// In `task::wait()`.
    WaitAll,
}

/// A Kiwi task's execution state.
pub struct Task {
    /// This task's id.
    pub id: TaskId,
    /// The value stack (locals and temporaries of every frame).
    pub stack: Vec<Value>,
    /// Call frames, innermost last.
    pub frames: Vec<Frame>,
    /// Active `try` handlers, innermost last.
    pub handlers: Vec<Handler>,
    /// The value (or error) a suspended operation completed with, delivered when it resumes.
    pub resume: Option<KResult<Value>>,
    /// Set while the task is suspended.
    pub blocked: Option<Blocked>,
    /// Bumped on every wake-up, so that stale timers for an earlier wait are ignored.
    pub wake_gen: u64,
}

impl Task {
    /// A task that will call `callee` with `args` when first run.
    pub fn new(id: TaskId, callee: Rc<Closure>, args: Vec<Value>) -> Self {
        let mut t = Task {
            id,
            stack: Vec::with_capacity(64),
            frames: Vec::new(),
            handlers: Vec::new(),
            resume: None,
            blocked: None,
            wake_gen: 0,
        };
        t.stack.push(Value::Func(callee.clone()));
        crate::vm::call::enter_frame(&mut t, callee, args, FrameKind::Call);
        t
    }
}

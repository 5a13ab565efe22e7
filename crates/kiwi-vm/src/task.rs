//! A Kiwi task: a coroutine with its own value stack, call frames and error handlers, so it can
//! stop at any instruction and resume later.

use std::rc::Rc;

use crate::channel::{Channel, TaskId};
use crate::error::KResult;
use crate::function::{Cell, Closure};
use crate::value::Value;
use kiwi_syntax::Span;

/// What to do with a frame's return value.
#[derive(Clone)]
pub enum FrameKind {
    /// An ordinary call: the value goes to the caller.
    Call,
    /// The top level of an imported file: the caller receives this package value instead.
    Import(Value),
    /// The top level of a stdlib package file loaded because a call needed it: its value is
    /// dropped and the caller re-runs that call (its arguments are still on the stack).
    Retry,
    /// A `to_string` method called by `print`: its result is printed (stderr, newline).
    Print(bool, bool),
    /// A `to_string` method called by string interpolation: its result replaces the value
    /// this far from the top of the caller's stack, and the interpolation runs again.
    ReplaceAt(u32),
    /// An operator method called by a compare-and-branch: the caller jumps to this target
    /// if the result is falsy, and the result is dropped.
    BranchIfFalse(u32),
    /// The bottom frame of a generator running for a `for` loop: a `yield` hands the value
    /// to that loop, a return ends the loop.
    Generator(crate::vm::generators::Consumer),
}

/// One activation record.
pub struct Frame {
    /// The running function.
    pub closure: Rc<Closure>,
    /// Next instruction.
    pub ip: usize,
    /// Stack index of local slot 0.
    pub base: usize,
    /// The stack height the frame leaves when it returns: `base - 1` when the callee sits
    /// just below the locals, `base` for a method entered where its receiver lay (no callee
    /// slot to make room for).
    pub floor: usize,
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
    /// Whether catching pushes the error's origin too (`Op::PushRethrowHandler`).
    pub keeps_origin: bool,
}

/// Where an error was raised, as one integer a handler can keep on the value stack while a
/// `finally` body runs: file index (15 bits), line and column (24 bits each, saturated); -1
/// for an unknown place.
pub fn pack_origin(at: Option<(u32, Span)>) -> i64 {
    const MAX: i64 = (1 << 24) - 1;
    match at {
        Some((file, span)) if file < 1 << 15 => {
            ((file as i64) << 48) | ((span.line as i64).min(MAX) << 24) | (span.col as i64).min(MAX)
        }
        _ => -1,
    }
}

/// The place [`pack_origin`] packed.
pub fn unpack_origin(packed: i64) -> Option<(u32, Span)> {
    const MASK: i64 = (1 << 24) - 1;
    (packed >= 0).then(|| {
        (
            (packed >> 48) as u32,
            Span::new(((packed >> 24) & MASK) as u32, (packed & MASK) as u32),
        )
    })
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
    /// `task::cancel` asked to stop this task at a moment the error could not be raised at
    /// once (it was running, or a result was already on its way to it): the `CancelledError`
    /// is raised at its next suspension or preemption point.
    pub cancel_requested: bool,
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
            cancel_requested: false,
        };
        t.restart(id, callee, args);
        t
    }

    /// Makes an empty or cleared task (see [`Task::clear`]) one that will call `callee` with
    /// `args` when run.
    pub fn restart(&mut self, id: TaskId, callee: Rc<Closure>, args: Vec<Value>) {
        self.id = id;
        self.stack.push(Value::Func(callee.clone()));
        crate::vm::call::enter_frame(self, callee, args, FrameKind::Call);
    }

    /// Drops everything a finished task holds, keeping the vectors' room. False if it is not
    /// worth keeping (its stack grew far past the usual).
    pub fn clear(&mut self) -> bool {
        const LARGE: usize = 1024;
        if self.stack.capacity() > LARGE || self.frames.capacity() > LARGE / 8 {
            return false;
        }
        self.stack.clear();
        self.frames.clear();
        self.handlers.clear();
        self.resume = None;
        self.blocked = None;
        self.wake_gen = 0;
        self.cancel_requested = false;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_pack_and_unpack() {
        for at in [
            None,
            Some((0, Span::new(1, 1))),
            Some((7, Span::new(12_345, 678))),
            Some(((1 << 15) - 1, Span::new((1 << 24) - 1, (1 << 24) - 1))),
        ] {
            assert_eq!(unpack_origin(pack_origin(at)), at);
        }
        // Past the bits there is room for, a place saturates (line, column) or is unknown (file).
        assert_eq!(
            unpack_origin(pack_origin(Some((3, Span::new(u32::MAX, u32::MAX))))),
            Some((3, Span::new((1 << 24) - 1, (1 << 24) - 1)))
        );
        assert_eq!(
            unpack_origin(pack_origin(Some((1 << 15, Span::new(1, 1))))),
            None
        );
    }
}

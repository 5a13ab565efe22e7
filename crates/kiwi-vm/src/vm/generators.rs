//! Generators: a call of a function that yields becomes a value holding its own frame stack
//! (a [`Task`] that is never scheduled), which the `for` loop consuming it resumes to each
//! `yield`.

use std::rc::Rc;

use kiwi_syntax::Span;

use super::exec::Halt;
use super::Interp;
use crate::error::{ErrorType, KiwiError};
use crate::task::{FrameKind, Task};
use crate::value::Value;

/// Why a generator stopped other than by yielding or ending.
pub(crate) enum GenStop {
    /// Its body raised this error (rethrown at the `for`).
    Fault(KiwiError, Option<(u32, Span)>),
    /// Its body called `exit`.
    Exit(i32),
}

/// Takes the running generator function's frame (at `GenStart`) off `task` into a new
/// generator value; also gives the frame's kind, so the caller receives the generator as the
/// call's value (`None` when the frame was the task's last, which then ends with it).
pub(crate) fn suspend_as_generator(task: &mut Task) -> (Value, Option<FrameKind>) {
    let Some(mut frame) = task.frames.pop() else {
        return (Value::Null, None);
    };
    let start = frame.base.saturating_sub(1);
    let stack = task.stack.split_off(start);
    let kind = std::mem::replace(&mut frame.kind, FrameKind::Call);
    frame.base -= start;
    frame.handler_base = 0;
    let frames = Task {
        id: task.id,
        stack,
        frames: vec![frame],
        handlers: Vec::new(),
        resume: None,
        blocked: None,
        wake_gen: 0,
        cancel_requested: false,
    };
    let generator = Value::Obj(Rc::new(crate::object::Object::Generator(
        crate::object::GeneratorObj {
            frames: std::cell::RefCell::new(Some(frames)),
        },
    )));
    let kind = if task.frames.is_empty() {
        None
    } else {
        Some(kind)
    };
    (generator, kind)
}

impl Interp {
    /// Runs `generator` until its next `yield` (its value) or its end (`None`, and it stays
    /// ended). Its body runs nested in the consuming task's slice: it cannot wait (await,
    /// sleep, channels, sockets) while producing a value.
    pub(crate) fn resume_generator(
        &mut self,
        task: &Task,
        generator: &Value,
    ) -> Result<Option<Value>, GenStop> {
        let Value::Obj(o) = generator else {
            return Ok(None);
        };
        let crate::object::Object::Generator(g) = &**o else {
            return Ok(None);
        };
        let Some(mut frames) = g.frames.borrow_mut().take() else {
            // Ended, or running (a generator consumed inside its own body): nothing more.
            return Ok(None);
        };
        frames.id = task.id;
        loop {
            match self.run_task(&mut frames, self.fuel) {
                Halt::Yielded(v) => {
                    *g.frames.borrow_mut() = Some(frames);
                    return Ok(Some(v));
                }
                Halt::Yield => continue,
                Halt::Done(_) => return Ok(None),
                Halt::Faulted(e, at) => return Err(GenStop::Fault(e, at)),
                Halt::Exit(code) => return Err(GenStop::Exit(code)),
                Halt::Block => {
                    return Err(GenStop::Fault(
                        KiwiError::new(
                            ErrorType::RuntimeError,
                            "A generator cannot wait (await, sleep, channels, sockets) while it produces a value.",
                        ),
                        self.location(&frames),
                    ))
                }
            }
        }
    }
}

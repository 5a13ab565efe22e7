//! Generators: a call of a function that yields becomes a value holding its own frame stack
//! (a [`Task`] that is never scheduled), which the `for` loop consuming it resumes to each
//! `yield`.

use std::rc::Rc;

use kiwi_syntax::Span;

use super::exec::Halt;
use super::Interp;
use crate::error::{ErrorType, KiwiError};
use crate::task::{Frame, FrameKind, Task};
use crate::value::Value;

/// Why a generator stopped other than by yielding or ending.
pub(crate) enum GenStop {
    /// Its body raised this error (rethrown at the `for`).
    Fault(KiwiError, Option<(u32, Span)>),
    /// Its body called `exit`.
    Exit(i32),
}

/// A generator holding a copy of the running generator function's frame (at `GenStart`)
/// and its stack segment, suspended at the next instruction. The frame itself then returns
/// the generator through the ordinary `Return`, so whatever called it (a plain call, a
/// constructor, a `to_string` for print, ...) receives it as usual.
pub(crate) fn generator_of_current_frame(task: &Task) -> Value {
    let Some(frame) = task.frames.last() else {
        return Value::Null;
    };
    let start = frame.base.saturating_sub(1);
    let copy = Frame {
        closure: frame.closure.clone(),
        ip: frame.ip,
        base: frame.base - start,
        cells: frame.cells.clone(),
        handler_base: 0,
        kind: FrameKind::Call,
    };
    let frames = Task {
        id: task.id,
        stack: task.stack[start..].to_vec(),
        frames: vec![copy],
        handlers: Vec::new(),
        resume: None,
        blocked: None,
        wake_gen: 0,
        cancel_requested: false,
    };
    Value::Obj(Rc::new(crate::object::Object::Generator(
        crate::object::GeneratorObj {
            frames: std::cell::RefCell::new(Some(frames)),
        },
    )))
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

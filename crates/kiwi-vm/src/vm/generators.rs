//! Generators: a call of a function that yields becomes a value holding its own frame stack
//! (kept in a [`Task`] that is never scheduled). The `for` loop consuming it moves those
//! frames onto its own task to run the body to the next `yield`, and takes them back there:
//! the body runs as part of the consuming task, so it may wait and is preempted like any
//! code, and an error in it unwinds into the loop's handlers.

use std::rc::Rc;

use crate::task::{Frame, FrameKind, Handler, Task};
use crate::value::Value;

/// A generator holding a copy of the running generator function's frame (at `GenStart`)
/// and its stack segment, suspended at the next instruction. The frame itself then returns
/// the generator through the ordinary `Return`, so whatever called it (a plain call, a
/// constructor, a `to_string` for print, ...) receives it as usual.
pub(crate) fn generator_of_current_frame(task: &Task) -> Value {
    let Some(frame) = task.frames.last() else {
        return Value::Null;
    };
    let start = frame.floor;
    let copy = Frame {
        closure: frame.closure.clone(),
        ip: frame.ip,
        base: frame.base - start,
        floor: 0,
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
    Value::Obj(Rc::new(crate::object::Object::Generator(Box::new(
        crate::object::GeneratorObj {
            frames: std::cell::RefCell::new(Some(frames)),
        },
    ))))
}

/// What the `for` loop consuming a running generator does with its next value (the kind of
/// the generator's bottom frame while it runs on the consumer's stack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consumer {
    /// The loop's slot (the generator; the next index above it).
    pub slot: u16,
    /// `for v, i in ...`: the index goes on the stack after the value.
    pub two: bool,
    /// Where the loop goes when the generator ends.
    pub exit: u32,
}

/// Resumes `generator` for the `for` loop `consumer` of the task's top frame: its frames,
/// stack segment and handlers go on top of the task's, so its body runs as part of that task
/// (it may wait, and it is preempted like any code). `false` if it has ended (or is running:
/// consumed inside its own body).
pub(crate) fn enter_generator(task: &mut Task, generator: &Value, consumer: Consumer) -> bool {
    let Value::Obj(o) = generator else {
        return false;
    };
    let crate::object::Object::Generator(g) = &**o else {
        return false;
    };
    let Some(saved) = g.frames.borrow_mut().take() else {
        return false;
    };
    let (stack_at, frames_at, handlers_at) =
        (task.stack.len(), task.frames.len(), task.handlers.len());
    task.stack.extend(saved.stack);
    task.handlers
        .extend(saved.handlers.into_iter().map(|h| Handler {
            frame_depth: h.frame_depth + frames_at,
            stack_height: h.stack_height + stack_at,
            ..h
        }));
    for (i, mut f) in saved.frames.into_iter().enumerate() {
        f.base += stack_at;
        f.floor += stack_at;
        f.handler_base += handlers_at;
        if i == 0 {
            f.kind = FrameKind::Generator(consumer);
        }
        task.frames.push(f);
    }
    true
}

/// At a `yield` in the generator frame on top of `task`: takes that frame, its stack segment
/// and its handlers off the task and back into the generator object (held in the consumer's
/// loop slot). Returns the consumer, or `None` if the top frame is not a running generator.
pub(crate) fn leave_generator(task: &mut Task) -> Option<Consumer> {
    let FrameKind::Generator(consumer) = task.frames.last()?.kind else {
        return None;
    };
    let mut frame = task.frames.pop()?;
    let start = frame.floor;
    let stack = task.stack.split_off(start);
    let frames_at = task.frames.len();
    let handlers = task
        .handlers
        .split_off(frame.handler_base)
        .into_iter()
        .map(|h| Handler {
            frame_depth: h.frame_depth - frames_at,
            stack_height: h.stack_height - start,
            ..h
        })
        .collect();
    frame.base -= start;
    frame.floor = 0;
    frame.handler_base = 0;
    frame.kind = FrameKind::Call;
    let saved = Task {
        id: task.id,
        stack,
        frames: vec![frame],
        handlers,
        resume: None,
        blocked: None,
        wake_gen: 0,
        cancel_requested: false,
    };
    let loop_frame = task.frames.last()?;
    if let Value::Obj(o) = &task.stack[loop_frame.base + consumer.slot as usize] {
        if let crate::object::Object::Generator(g) = &**o {
            *g.frames.borrow_mut() = Some(saved);
        }
    }
    Some(consumer)
}

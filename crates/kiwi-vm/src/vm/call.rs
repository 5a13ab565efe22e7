//! Entering Kiwi functions: argument binding (positional, named, splat, `*rest`, defaults).

use std::cell::RefCell;
use std::rc::Rc;

use crate::bytecode::{ArgKind, Slot};
use crate::error::{ErrorType, KResult, KiwiError};
use crate::function::Closure;
use crate::task::{Frame, FrameKind, Task};
use crate::value::Value;

use super::push::push_made;

/// Pushes a frame for `callee`. The callee value must already sit on the stack; `args` are the
/// positional arguments. Missing arguments are null, extras are dropped or go to `*rest`.
pub fn enter_frame(task: &mut Task, callee: Rc<Closure>, mut args: Vec<Value>, kind: FrameKind) {
    let proto = &callee.proto;
    let base = task.stack.len();
    let nparams = proto.params.len();
    if proto.simple_params {
        // Parameters are the first locals: the arguments go straight onto the stack (every
        // spawned task starts here) and are entered in place.
        let argc = args.len().min(nparams);
        task.stack.extend(args.into_iter().take(nparams));
        enter_frame_at(task, &callee, argc, kind, base.saturating_sub(1));
        return;
    }
    if proto.has_rest && nparams > 0 {
        let fixed = nparams - 1;
        let rest = if args.len() > fixed {
            args.split_off(fixed)
        } else {
            Vec::new()
        };
        args.resize(fixed, Value::Null);
        args.push(Value::list(rest));
    } else {
        args.resize(nparams, Value::Null);
    }
    task.stack
        .resize(base + proto.num_locals as usize, Value::Null);
    let mut cells = Vec::with_capacity(proto.num_cells as usize);
    for _ in 0..proto.num_cells {
        cells.push(Rc::new(RefCell::new(Value::Null)));
    }
    for (arg, slot) in args.into_iter().zip(proto.param_slots.iter()) {
        match *slot {
            Slot::Local(i) => task.stack[base + i as usize] = arg,
            Slot::Cell(i) => *cells[i as usize].borrow_mut() = arg,
        }
    }
    task.frames.push(Frame {
        closure: callee,
        ip: 0,
        base,
        floor: base.saturating_sub(1),
        cells,
        handler_base: task.handlers.len(),
        kind,
    });
}

/// Fast path for `Call(argc)` when the arguments are already in place as the first locals:
/// no cells, no rest parameter. Returns false if the slow path is needed.
#[inline(always)]
pub fn enter_frame_in_place(task: &mut Task, callee: &Rc<Closure>, argc: usize) -> bool {
    let base = task.stack.len() - argc;
    enter_frame_at(task, callee, argc, FrameKind::Call, base.saturating_sub(1))
}

/// Enters `callee` with its `argc` arguments (for a method, the receiver first) on top of the
/// stack, where they lie, and no callee slot below them: they are the first locals, and the
/// frame returns to the first one's place. The kind says what the return gives (a
/// constructor's frame returns its instance). Returns false if the slow path is needed.
#[inline(always)]
pub fn enter_frame_without_callee(
    task: &mut Task,
    callee: &Rc<Closure>,
    argc: usize,
    kind: FrameKind,
) -> bool {
    let base = task.stack.len() - argc;
    enter_frame_at(task, callee, argc, kind, base)
}

// Inlined into the op loop's call sites, as are the two entry points above: out of line it
// cost every call about 20 instructions (callgrind, issue 14: fib -3.4%, fib30 -3.4%).
#[inline(always)]
fn enter_frame_at(
    task: &mut Task,
    callee: &Rc<Closure>,
    argc: usize,
    kind: FrameKind,
    floor: usize,
) -> bool {
    let proto = &callee.proto;
    if !proto.simple_params {
        return false;
    }
    let nparams = proto.params.len();
    let base = task.stack.len() - argc;
    if argc > nparams {
        task.stack.truncate(base + nparams);
    }
    let top = base + proto.num_locals as usize;
    // Often the parameters are all the locals there are: no call to grow the stack then.
    if task.stack.len() < top {
        task.stack.resize(top, Value::Null);
    }
    let handler_base = task.handlers.len();
    // Built where it goes (see `push.rs`).
    push_made(&mut task.frames, || Frame {
        closure: callee.clone(),
        ip: 0,
        base,
        floor,
        cells: Vec::new(),
        handler_base,
        kind,
    });
    true
}

/// Orders arguments written with names and splats into positional form for `callee`.
///
/// Named arguments are placed first; positional ones fill the remaining parameters left to
/// right; leftovers go to `*rest`. An unknown name is a RuntimeError and a required parameter
/// left unfilled a ParameterCountMismatchError.
pub fn bind_named(callee: &Closure, kinds: &[ArgKind], values: Vec<Value>) -> KResult<Vec<Value>> {
    let proto = &callee.proto;
    let nfixed = if proto.has_rest {
        proto.params.len().saturating_sub(1)
    } else {
        proto.params.len()
    };
    let mut slots: Vec<Option<Value>> = vec![None; nfixed];
    let mut positional = Vec::new();
    let mut any_named = false;
    for (kind, v) in kinds.iter().zip(values) {
        match kind {
            ArgKind::Pos => positional.push(v),
            ArgKind::Splat => positional.extend(splat(v)?),
            ArgKind::Named(name) => {
                any_named = true;
                let Some(i) = proto.params[..nfixed].iter().position(|p| p == name) else {
                    return Err(KiwiError::new(
                        ErrorType::RuntimeError,
                        format!("'{}': no parameter named '{}'.", proto.name, name),
                    ));
                };
                slots[i] = Some(v);
            }
        }
    }
    let mut pos = positional.into_iter();
    for slot in slots.iter_mut() {
        if slot.is_none() {
            *slot = pos.next();
        }
    }
    let mut out: Vec<Value> = Vec::with_capacity(proto.params.len());
    for (i, s) in slots.into_iter().enumerate() {
        match s {
            Some(v) => out.push(v),
            None if any_named && !proto.param_defaults.get(i).copied().unwrap_or(false) => {
                return Err(KiwiError::new(
                    ErrorType::ParameterCountMismatchError,
                    format!(
                        "The parameter `{}` of `{}` was not given a value.",
                        proto.params[i], proto.name
                    ),
                ))
            }
            None => out.push(Value::Null),
        }
    }
    if proto.has_rest {
        out.extend(pos);
    }
    Ok(out)
}

/// Positional values for a builtin or native call: names are dropped (source order), splats
/// are expanded.
pub fn flatten_args(kinds: &[ArgKind], values: Vec<Value>) -> KResult<Vec<Value>> {
    let mut out = Vec::with_capacity(values.len());
    for (kind, v) in kinds.iter().zip(values) {
        match kind {
            ArgKind::Splat => out.extend(splat(v)?),
            _ => out.push(v),
        }
    }
    Ok(out)
}

fn splat(v: Value) -> KResult<Vec<Value>> {
    match v {
        Value::List(l) => Ok(l.borrow().to_vec()),
        other => Err(KiwiError::new(
            ErrorType::InvalidOperationError,
            format!("Cannot splat a value of type '{}'.", other.type_name()),
        )),
    }
}

//! The integer loop: a second, small instruction loop for functions made only of local
//! variables, integer arithmetic and comparisons, jumps, and calls of such functions (by name
//! or as values) (`fib`, counters, index arithmetic).
//!
//! Why a second loop: in the general loop ([`super::exec`]) every instruction pays for the
//! register pressure of ninety others, and changes inside it move unrelated workloads by
//! several percent (bench/RESULTS.md, issue 14). This loop is its own function with a dozen
//! instructions, so its state stays in registers, and it takes only the fast cases: anything
//! else (a float, a string, a native, a missing global, a full frame stack, fuel or time up, a
//! `try` to unwind) hands the task back to the general loop with the frame's `ip` on that
//! instruction, which the general loop then runs as always. Errors, yields and every other
//! rule therefore stay in one place; this loop only ever does what the general loop would
//! have done on the same values.

use super::call::{enter_frame_in_place, enter_frame_without_callee};
use super::exec::{int_arith, int_compare, int_result, push_int_binary};
use super::push::push_made;
use super::running::running_closure;
use super::{Interp, MAX_FRAMES};
use crate::bytecode::Op;
use crate::task::{Frame, FrameKind, Task};
use crate::value::{copy_of, Value};

/// Whether a function with this code starts in the integer loop (see
/// [`crate::bytecode::FnProto::int_loop`]): every instruction is one the loop runs, or the
/// function has `while` loops and every instruction inside them is (the hot part then runs
/// there, and what comes after a loop, a `println` say, goes back to the general loop).
pub(crate) fn starts_there(code: &[Op]) -> bool {
    if code.iter().all(runs_here) {
        return true;
    }
    let mut loops = code
        .iter()
        .enumerate()
        .filter_map(|(end, op)| match op {
            Op::Loop(start) => Some((*start as usize, end)),
            _ => None,
        })
        .peekable();
    loops.peek().is_some()
        && loops.all(|(start, end)| {
            code.get(start..end)
                .is_some_and(|body| body.iter().all(runs_here))
        })
}

/// Whether the integer loop runs `op` (when its operands are integers).
fn runs_here(op: &Op) -> bool {
    matches!(
        op,
        Op::Int(_)
            | Op::Null
            | Op::Pop
            | Op::LoadLocal(_)
            | Op::StoreLocal(_)
            | Op::LocalIntBin(..)
            | Op::LocalIntCmpJump(..)
            | Op::LocalsBin(..)
            | Op::LocalsCmpJump(..)
            | Op::BinLocalInt(..)
            | Op::BinLocal(..)
            | Op::Bin(_)
            | Op::CmpJumpIfFalse(..)
            | Op::Jump(_)
            | Op::Loop(_)
            | Op::CallGlobal(..)
            | Op::Call(_)
            | Op::Return
            | Op::ReturnLocal(_)
    )
}

impl Interp {
    /// Runs the task's top frame, and the frames it calls, in the integer loop until an
    /// instruction needs the general loop or the frame returns to one that does not start
    /// here. Returns the fuel left.
    #[inline(never)]
    pub(crate) fn run_int_loop(&mut self, task: &mut Task, mut fuel: u32) -> u32 {
        'frames: loop {
            let Some(frame) = task.frames.last() else {
                return fuel;
            };
            let mut ip = frame.ip;
            let base = frame.base;
            // SAFETY: `code` is not used once this frame is popped: the only pop (`Return`)
            // is followed by `continue 'frames` or a return, and nothing else in this loop
            // pops or replaces a frame.
            #[allow(unsafe_code)]
            let code = &unsafe { running_closure(frame) }.proto.code[..];
            // Where the frame goes on when a call it makes returns.
            macro_rules! save_ip {
                () => {
                    if let Some(f) = task.frames.last_mut() {
                        f.ip = ip;
                    }
                };
            }
            // The current instruction (already counted in `ip`) goes to the general loop.
            macro_rules! hand_back {
                () => {{
                    if let Some(f) = task.frames.last_mut() {
                        f.ip = ip - 1;
                    }
                    return fuel;
                }};
            }
            loop {
                let Some(op) = code.get(ip) else {
                    ip += 1;
                    hand_back!()
                };
                ip += 1;
                match *op {
                    Op::Int(i) => push_made(&mut task.stack, || Value::Int(i64::from(i))),
                    Op::Null => push_made(&mut task.stack, || Value::Null),
                    Op::Pop => {
                        task.stack.pop();
                    }
                    Op::LoadLocal(i) => match task.stack.get(base + i as usize) {
                        Some(&Value::Int(n)) => push_made(&mut task.stack, || Value::Int(n)),
                        Some(v) => {
                            let v = copy_of(v);
                            task.stack.push(v);
                        }
                        None => hand_back!(),
                    },
                    Op::StoreLocal(i) => {
                        let at = base + i as usize;
                        if at + 1 >= task.stack.len() {
                            hand_back!()
                        }
                        let v = task.stack.pop().unwrap_or_default();
                        task.stack[at] = v;
                    }
                    // The fused forms skip the instructions they stand for when the locals
                    // hold integers, and otherwise fall through to them, as in the general loop.
                    Op::LocalIntBin(slot, k, bop) => {
                        if let Some(&Value::Int(x)) = task.stack.get(base + slot as usize) {
                            if push_int_binary(&mut task.stack, bop, x, i64::from(k)) {
                                ip += 3;
                            }
                        }
                    }
                    Op::LocalIntCmpJump(slot, k, bop, t) => {
                        if let Some(Value::Int(x)) = task.stack.get(base + slot as usize) {
                            if let Some(b) = int_compare(bop, *x, i64::from(k)) {
                                ip = if b { ip + 3 } else { t as usize };
                            }
                        }
                    }
                    Op::LocalsBin(a, b, bop) => {
                        if let (Some(&Value::Int(x)), Some(&Value::Int(y))) = (
                            task.stack.get(base + a as usize),
                            task.stack.get(base + b as usize),
                        ) {
                            if push_int_binary(&mut task.stack, bop, x, y) {
                                ip += 3;
                            }
                        }
                    }
                    Op::LocalsCmpJump(a, b, bop, t) => {
                        if let (Some(Value::Int(x)), Some(Value::Int(y))) = (
                            task.stack.get(base + a as usize),
                            task.stack.get(base + b as usize),
                        ) {
                            if let Some(b) = int_compare(bop, *x, *y) {
                                ip = if b { ip + 3 } else { t as usize };
                            }
                        }
                    }
                    Op::BinLocalInt(bop, slot, k) => {
                        if let Some(Value::Int(x)) = task.stack.get_mut(base + slot as usize) {
                            if let Some(r) = int_arith(bop, *x, i64::from(k)) {
                                *x = r;
                                ip += 2;
                            }
                        }
                    }
                    // `total += i`: integers in place, anything else in the general loop.
                    Op::BinLocal(bop, slot) => {
                        let at = base + slot as usize;
                        let n = task.stack.len();
                        let r = match (task.stack.get(at), task.stack.get(n.wrapping_sub(1))) {
                            (Some(Value::Int(x)), Some(Value::Int(y))) if at + 1 < n => {
                                int_arith(bop, *x, *y)
                            }
                            _ => None,
                        };
                        let Some(r) = r else { hand_back!() };
                        std::mem::forget(task.stack.pop());
                        if let Some(Value::Int(x)) = task.stack.get_mut(at) {
                            *x = r;
                        }
                    }
                    Op::Bin(bop) => {
                        let Some((x, y)) = top_two_ints(&task.stack) else {
                            hand_back!()
                        };
                        // Both operands are integers: nothing to drop, no drop glue to call
                        // (a forgotten pop loads nothing). An integer result is the left
                        // operand's new payload: no 16-byte copy of a value just stored.
                        let n = task.stack.len();
                        if let Some(r) = int_result(bop, x, y) {
                            if let Some(Value::Int(left)) = task.stack.get_mut(n - 2) {
                                *left = r;
                            }
                            std::mem::forget(task.stack.pop());
                        } else if let Some(b) = int_compare(bop, x, y) {
                            std::mem::forget(task.stack.pop());
                            std::mem::forget(task.stack.pop());
                            push_made(&mut task.stack, || Value::Bool(b));
                        } else {
                            hand_back!()
                        }
                    }
                    Op::CmpJumpIfFalse(bop, t) => {
                        let b = top_two_ints(&task.stack).and_then(|(x, y)| int_compare(bop, x, y));
                        let Some(b) = b else { hand_back!() };
                        std::mem::forget(task.stack.pop());
                        std::mem::forget(task.stack.pop());
                        if !b {
                            ip = t as usize;
                        }
                    }
                    Op::Jump(t) => ip = t as usize,
                    // A back edge is a preemption point: out of fuel or time, the general loop
                    // runs it and yields.
                    Op::Loop(t) => {
                        if self.must_yield(fuel) {
                            hand_back!()
                        }
                        fuel -= 1;
                        ip = t as usize;
                    }
                    // A call is a preemption point too; the general loop also raises the stack
                    // overflow and binds anything but plain parameters. The frame is entered
                    // as the general loop enters it.
                    Op::CallGlobal(g, argc) => {
                        let argc = argc as usize;
                        let Some(Value::Func(f)) = self.global_slot(g) else {
                            hand_back!()
                        };
                        if !f.proto.int_loop
                            || task.stack.len() < argc
                            || task.frames.len() >= MAX_FRAMES
                            || self.must_yield(fuel)
                        {
                            hand_back!()
                        }
                        save_ip!();
                        // The arguments are the first locals where they lie (no callee slot).
                        if !enter_frame_without_callee(task, f, argc, FrameKind::Call) {
                            hand_back!()
                        }
                        fuel -= 1;
                        continue 'frames;
                    }
                    // A function value below its arguments (a local function, a lambda).
                    Op::Call(argc) => {
                        let argc = argc as usize;
                        let Some(at) = task.stack.len().checked_sub(argc + 1) else {
                            hand_back!()
                        };
                        let f = match &task.stack[at] {
                            Value::Func(f) if f.proto.int_loop => f.clone(),
                            _ => hand_back!(),
                        };
                        if task.frames.len() >= MAX_FRAMES || self.must_yield(fuel) {
                            hand_back!()
                        }
                        save_ip!();
                        if !enter_frame_in_place(task, &f, argc) {
                            hand_back!()
                        }
                        fuel -= 1;
                        continue 'frames;
                    }
                    Op::Return | Op::ReturnLocal(_) => {
                        // Only a plain call returning to another frame, with no handler or
                        // cell of its own to clear.
                        let Some(frame) = task.frames.last() else {
                            hand_back!()
                        };
                        if task.frames.len() < 2
                            || !matches!(frame.kind, FrameKind::Call)
                            || frame.cells.capacity() != 0
                            || task.handlers.len() != frame.handler_base
                            || task.stack.len() <= frame.floor
                        {
                            hand_back!()
                        }
                        let floor = frame.floor;
                        // An integer is read as one (tag, then payload), not copied whole:
                        // it was most likely stored just now, field by field, and a 16-byte
                        // load of it would stall on store forwarding (see `push.rs`).
                        let at = match *op {
                            Op::ReturnLocal(i) => base + i as usize,
                            _ => task.stack.len() - 1,
                        };
                        let result = match task.stack.get(at) {
                            Some(&Value::Int(n)) => Ok(n),
                            Some(v) if matches!(*op, Op::ReturnLocal(_)) => Err(copy_of(v)),
                            Some(_) => Err(task.stack.pop().unwrap_or_default()),
                            None => hand_back!(),
                        };
                        // The frame's values go; integers need no call into the drop glue.
                        while task.stack.len() > floor {
                            match task.stack.pop() {
                                Some(v @ Value::Int(_)) => std::mem::forget(v),
                                v => drop(v),
                            }
                        }
                        match result {
                            Ok(n) => push_made(&mut task.stack, || Value::Int(n)),
                            Err(v) => task.stack.push(v),
                        }
                        if let Some(Frame { cells, kind, .. }) = task.frames.pop() {
                            // Checked above: nothing allocated, a plain call's kind; spares
                            // the drop glue's call on every return.
                            std::mem::forget(cells);
                            std::mem::forget(kind);
                        }
                        match task.frames.last() {
                            Some(caller) if caller.closure.proto.int_loop => continue 'frames,
                            _ => return fuel,
                        }
                    }
                    _ => hand_back!(),
                }
            }
        }
    }
}

/// The two integers on top of the value stack (`None` if either is something else).
#[inline(always)]
fn top_two_ints(stack: &[Value]) -> Option<(i64, i64)> {
    match stack.get(stack.len().wrapping_sub(2)..) {
        Some(&[Value::Int(x), Value::Int(y)]) => Some((x, y)),
        _ => None,
    }
}

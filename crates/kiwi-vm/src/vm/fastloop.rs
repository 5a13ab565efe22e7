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

use super::exec::{int_arith, int_binary, int_compare};
use super::{Interp, CLOCK_CHECK_EVERY, MAX_FRAMES};
use crate::bytecode::Op;
use crate::task::{Frame, FrameKind, Task};
use crate::value::Value;

/// Whether a function with this code starts in the integer loop (see
/// [`crate::bytecode::FnProto::int_loop`]): every instruction is one the loop runs, or the
/// function has `while` loops and every instruction inside them is (the hot part then runs
/// there, and what comes after a loop, a `println` say, goes back to the general loop).
pub(crate) fn starts_there(code: &[Op]) -> bool {
    let mut loops = code.iter().enumerate().filter_map(|(end, op)| match op {
        Op::Loop(start) => Some((*start as usize, end)),
        _ => None,
    });
    if code.iter().all(runs_here) {
        return true;
    }
    let mut any = false;
    loops.all(|(start, end)| {
        any = true;
        code.get(start..end)
            .is_some_and(|body| body.iter().all(runs_here))
    }) && any
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

/// A local's value for the stack: an integer copied, anything else cloned.
#[inline(always)]
fn copy_of(v: &Value) -> Value {
    match v {
        Value::Int(n) => Value::Int(*n),
        other => other.clone(),
    }
}

impl Interp {
    /// Runs the task's top frame, and the frames it calls, in the integer loop until an
    /// instruction needs the general loop or the frame returns to one that does not start
    /// here. Returns the fuel left.
    #[inline(never)]
    pub(crate) fn run_int_loop(&mut self, task: &mut Task, mut fuel: u32) -> u32 {
        let Task {
            stack,
            frames,
            handlers,
            ..
        } = task;
        'frames: loop {
            let Some(frame) = frames.last() else {
                return fuel;
            };
            let closure = frame.closure.clone();
            let mut ip = frame.ip;
            let base = frame.base;
            let code = &closure.proto.code[..];
            // The current instruction (already counted in `ip`) goes to the general loop.
            macro_rules! hand_back {
                () => {{
                    if let Some(f) = frames.last_mut() {
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
                    Op::Int(i) => stack.push(Value::Int(i64::from(i))),
                    Op::Null => stack.push(Value::Null),
                    Op::Pop => {
                        stack.pop();
                    }
                    Op::LoadLocal(i) => match stack.get(base + i as usize) {
                        Some(v) => {
                            let v = copy_of(v);
                            stack.push(v);
                        }
                        None => hand_back!(),
                    },
                    Op::StoreLocal(i) => {
                        let at = base + i as usize;
                        if at + 1 >= stack.len() {
                            hand_back!()
                        }
                        let v = stack.pop().unwrap_or_default();
                        stack[at] = v;
                    }
                    // The fused forms skip the instructions they stand for when the locals
                    // hold integers, and otherwise fall through to them, as in the general loop.
                    Op::LocalIntBin(slot, k, bop) => {
                        if let Some(Value::Int(x)) = stack.get(base + slot as usize) {
                            if let Some(r) = int_binary(bop, *x, i64::from(k)) {
                                stack.push(r);
                                ip += 3;
                            }
                        }
                    }
                    Op::LocalIntCmpJump(slot, k, bop, t) => {
                        if let Some(Value::Int(x)) = stack.get(base + slot as usize) {
                            if let Some(b) = int_compare(bop, *x, i64::from(k)) {
                                ip = if b { ip + 3 } else { t as usize };
                            }
                        }
                    }
                    Op::LocalsBin(a, b, bop) => {
                        if let (Some(Value::Int(x)), Some(Value::Int(y))) =
                            (stack.get(base + a as usize), stack.get(base + b as usize))
                        {
                            if let Some(r) = int_binary(bop, *x, *y) {
                                stack.push(r);
                                ip += 3;
                            }
                        }
                    }
                    Op::LocalsCmpJump(a, b, bop, t) => {
                        if let (Some(Value::Int(x)), Some(Value::Int(y))) =
                            (stack.get(base + a as usize), stack.get(base + b as usize))
                        {
                            if let Some(b) = int_compare(bop, *x, *y) {
                                ip = if b { ip + 3 } else { t as usize };
                            }
                        }
                    }
                    Op::BinLocalInt(bop, slot, k) => {
                        if let Some(Value::Int(x)) = stack.get_mut(base + slot as usize) {
                            if let Some(r) = int_arith(bop, *x, i64::from(k)) {
                                *x = r;
                                ip += 2;
                            }
                        }
                    }
                    // `total += i`: integers in place, anything else in the general loop.
                    Op::BinLocal(bop, slot) => {
                        let at = base + slot as usize;
                        let n = stack.len();
                        let r = match (stack.get(at), stack.get(n.wrapping_sub(1))) {
                            (Some(Value::Int(x)), Some(Value::Int(y))) if at + 1 < n => {
                                int_arith(bop, *x, *y)
                            }
                            _ => None,
                        };
                        let Some(r) = r else { hand_back!() };
                        std::mem::forget(stack.pop());
                        if let Some(Value::Int(x)) = stack.get_mut(at) {
                            *x = r;
                        }
                    }
                    Op::Bin(bop) => {
                        let n = stack.len();
                        let r = match stack.get(n.wrapping_sub(2)..) {
                            Some([Value::Int(x), Value::Int(y)]) => int_binary(bop, *x, *y),
                            _ => None,
                        };
                        let Some(r) = r else { hand_back!() };
                        // Both operands are integers: nothing to drop, no drop glue to call.
                        std::mem::forget(stack.pop());
                        std::mem::forget(std::mem::replace(&mut stack[n - 2], r));
                    }
                    Op::CmpJumpIfFalse(bop, t) => {
                        let n = stack.len();
                        let b = match stack.get(n.wrapping_sub(2)..) {
                            Some([Value::Int(x), Value::Int(y)]) => int_compare(bop, *x, *y),
                            _ => None,
                        };
                        let Some(b) = b else { hand_back!() };
                        std::mem::forget(stack.pop());
                        std::mem::forget(stack.pop());
                        if !b {
                            ip = t as usize;
                        }
                    }
                    Op::Jump(t) => ip = t as usize,
                    // A back edge is a preemption point: out of fuel or time, the general loop
                    // runs it and yields.
                    Op::Loop(t) => {
                        if fuel == 0
                            || (fuel & (CLOCK_CHECK_EVERY - 1) == 0 && self.slice_overran())
                        {
                            hand_back!()
                        }
                        fuel -= 1;
                        ip = t as usize;
                    }
                    Op::CallGlobal(g, argc) => {
                        let argc = argc as usize;
                        let Some(Value::Func(f)) = self.global_slot(g) else {
                            hand_back!()
                        };
                        let p = &f.proto;
                        let n = stack.len();
                        // A call is a preemption point too; the general loop also raises the
                        // stack overflow and binds anything but plain parameters.
                        if !p.int_loop
                            || !p.simple_params
                            || argc > p.params.len()
                            || n < argc
                            || frames.len() >= MAX_FRAMES
                            || fuel == 0
                            || (fuel & (CLOCK_CHECK_EVERY - 1) == 0 && self.slice_overran())
                        {
                            hand_back!()
                        }
                        fuel -= 1;
                        let callee = f.clone();
                        let base = n - argc;
                        let top = base + p.num_locals as usize;
                        if n < top {
                            stack.resize(top, Value::Null);
                        }
                        if let Some(caller) = frames.last_mut() {
                            caller.ip = ip;
                        }
                        // The arguments are the first locals where they lie (no callee slot).
                        frames.push(Frame {
                            closure: callee,
                            ip: 0,
                            base,
                            floor: base,
                            cells: Vec::new(),
                            handler_base: handlers.len(),
                            kind: FrameKind::Call,
                        });
                        continue 'frames;
                    }
                    // A function value below its arguments (a local function, a lambda): as
                    // above, with the callee's slot below the new frame's locals.
                    Op::Call(argc) => {
                        let argc = argc as usize;
                        let n = stack.len();
                        let Some(at) = n.checked_sub(argc + 1) else {
                            hand_back!()
                        };
                        let Some(Value::Func(f)) = stack.get(at) else {
                            hand_back!()
                        };
                        let p = &f.proto;
                        if !p.int_loop
                            || !p.simple_params
                            || argc > p.params.len()
                            || frames.len() >= MAX_FRAMES
                            || fuel == 0
                            || (fuel & (CLOCK_CHECK_EVERY - 1) == 0 && self.slice_overran())
                        {
                            hand_back!()
                        }
                        fuel -= 1;
                        let callee = f.clone();
                        let base = at + 1;
                        let top = base + callee.proto.num_locals as usize;
                        if n < top {
                            stack.resize(top, Value::Null);
                        }
                        if let Some(caller) = frames.last_mut() {
                            caller.ip = ip;
                        }
                        frames.push(Frame {
                            closure: callee,
                            ip: 0,
                            base,
                            floor: at,
                            cells: Vec::new(),
                            handler_base: handlers.len(),
                            kind: FrameKind::Call,
                        });
                        continue 'frames;
                    }
                    Op::Return | Op::ReturnLocal(_) => {
                        // Only a plain call returning to another frame, with no handler or
                        // cell of its own to clear.
                        let Some(frame) = frames.last() else {
                            hand_back!()
                        };
                        if frames.len() < 2
                            || !matches!(frame.kind, FrameKind::Call)
                            || frame.cells.capacity() != 0
                            || handlers.len() != frame.handler_base
                            || stack.len() <= frame.floor
                        {
                            hand_back!()
                        }
                        let floor = frame.floor;
                        let result = match *op {
                            Op::ReturnLocal(i) => match stack.get(base + i as usize) {
                                Some(v) => copy_of(v),
                                None => hand_back!(),
                            },
                            _ => stack.pop().unwrap_or_default(),
                        };
                        // The frame's values go; integers need no call into the drop glue.
                        while stack.len() > floor {
                            match stack.pop() {
                                Some(v @ Value::Int(_)) => std::mem::forget(v),
                                v => drop(v),
                            }
                        }
                        stack.push(result);
                        if let Some(Frame { cells, kind, .. }) = frames.pop() {
                            // Checked above: nothing allocated, a plain call's kind; spares
                            // the drop glue's call on every return.
                            std::mem::forget(cells);
                            std::mem::forget(kind);
                        }
                        match frames.last() {
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

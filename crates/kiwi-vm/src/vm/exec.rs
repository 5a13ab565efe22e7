//! The instruction loop. It runs one task until it finishes, faults, suspends, exits or uses
//! up its fuel, and reports which as a [`Halt`]; it never blocks.

use crate::text::Text;
use std::io::Write;
use std::rc::Rc;

use kiwi_syntax::ast::{BinOp, UnOp};
use kiwi_syntax::Span;

use super::call::{
    bind_named, enter_frame, enter_frame_in_place, enter_frame_without_callee, flatten_args,
};
use super::frameless::FramelessCall;
use super::generators::{enter_generator, generator_of_current_frame, leave_generator, Consumer};
use super::objects::Fallback;
use super::push::{copy_whole, push_made};
use super::running::running_closure;
use super::{next_slots_epoch, Diagnostic, Interp, MAX_FRAMES, SLOT_CONSTANT};
use crate::bytecode::{CaptureFrom, Const, FnProto, Op};
use crate::error::{ErrorType, KResult, KiwiError};
use crate::format::write_display;
use crate::function::Closure;
use crate::methods;
use crate::ops;
use crate::task::{pack_origin, unpack_origin, Frame, FrameKind, Handler, Task};
use crate::value::{copy_of, Key, KeyRef, Map, Value};

/// Why [`Interp::run_task`] returned.
pub(crate) enum Halt {
    /// The task's outermost function returned this value.
    Done(Value),
    /// An error escaped every handler.
    Faulted(KiwiError, Option<(u32, Span)>),
    /// The task used its fuel and should go to the back of the queue.
    Yield,
    /// The task suspended itself (`task.blocked` says on what).
    Block,
    /// The script called `exit`.
    Exit(i32),
}

/// What a native function or builtin method asks the VM to do next.
pub(crate) enum Outcome {
    /// Push this result.
    Value(Value),
    /// Call this function with these arguments; its result is the result.
    Call(Value, Vec<Value>),
    /// Run this unit's top level; the frame yields the given value when it returns.
    Enter(Rc<Closure>, FrameKind),
    /// The task suspended; the result arrives when it is woken.
    Block,
    /// Run a struct's constructor with these arguments (the instance first); the call's
    /// value is the instance, whatever the constructor returns.
    Construct(Rc<Closure>, Vec<Value>, Value),
    /// Run this unit (a stdlib package file), then the current instruction again: its
    /// operands were put back on the stack.
    RetryAfter(Rc<Closure>),
}

pub(crate) fn konst(proto: &FnProto, k: u32) -> &Value {
    match &proto.consts[k as usize] {
        Const::Value(v) => v,
        _ => &Value::Null,
    }
}

/// `map[consts[k]]` when `v` is a hashmap and constant `k` a string (`None` otherwise): looked
/// for where the site found the key last (see [`crate::object::get_cached`]).
#[inline]
fn map_index_const(v: Option<&Value>, proto: &FnProto, k: u32) -> Option<Value> {
    match (v, konst(proto, k)) {
        (Some(Value::Map(m)), Value::Str(name)) => Some(crate::object::get_cached(
            &m.borrow(),
            name,
            &proto.caches[k as usize],
        )),
        _ => None,
    }
}

/// `v[consts[k]]` for a string constant `k` when `v` is a hashmap or an object with
/// variables (an instance's `@x`, as `@x += 1` reads it), looked for where the site found it
/// last; `None` for everything else, which takes the general path.
#[inline]
fn index_const_cached(v: &Value, proto: &FnProto, k: u32) -> Option<Value> {
    match (v, konst(proto, k)) {
        (Value::Map(m), Value::Str(name)) => Some(crate::object::get_cached(
            &m.borrow(),
            name,
            &proto.caches[k as usize],
        )),
        (Value::Obj(o), Value::Str(name)) => {
            crate::object::get_member(o, name, &proto.caches[k as usize])
        }
        _ => None,
    }
}

/// `obj.<consts[k]> = v`: an object's variable through the site's cache, anything else as
/// `obj["name"] = v`.
#[inline(always)]
fn set_member_const(obj: &Value, proto: &FnProto, k: u32, v: Value) -> KResult<()> {
    let Some(name) = const_rc(proto, k) else {
        return Err(not_a_name());
    };
    if let Value::Obj(o) = obj {
        crate::object::set_member_cached(o, name, &proto.caches[k as usize], v)
    } else {
        ops::set_index(obj, &Value::Str(name.clone()), v)
    }
}

/// `list[i]` for the top two values of `stack` when they are a list and a non-negative integer
/// within it (the general `ops::index` takes everything else, negative indexes included).
#[inline(always)]
fn list_element(stack: &[Value]) -> Option<Value> {
    let [.., Value::List(list), Value::Int(i)] = stack else {
        return None;
    };
    let items = list.try_borrow().ok()?;
    items.get(usize::try_from(*i).ok()?).map(copy_whole)
}

/// `for k, v in map`: the live value of the `i`th key of the loop's snapshot. A map nobody
/// changed since the snapshot holds that key at entry `i`, so that entry is tried before the
/// key is looked up (a hash and a probe for every step).
fn map_value_at(map: &Map, i: usize, key: &Value) -> Value {
    let looked_for = KeyRef(key);
    match map.entry_at(i) {
        Some((k, v)) if crate::ordmap::Lookup::matches(&looked_for, k) => v.clone(),
        _ => map.get(&looked_for).cloned().unwrap_or_default(),
    }
}

/// The error for a member instruction whose name constant is not a string (never emitted).
fn not_a_name() -> KiwiError {
    KiwiError::new(
        ErrorType::RuntimeError,
        "Internal error: a member name is not a string.",
    )
}

/// A string constant's `Rc`, borrowed (`None` if constant `k` is not a string).
fn const_rc(proto: &FnProto, k: u32) -> Option<&Rc<Text>> {
    match konst(proto, k) {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// A string constant, borrowed (`""` if constant `k` is not a string).
fn const_text(proto: &FnProto, k: u32) -> &str {
    const_rc(proto, k).map_or("", |s| s.as_str())
}

/// A string constant's `Rc`, shared (an empty one if constant `k` is not a string).
fn const_str(proto: &FnProto, k: u32) -> Rc<Text> {
    const_rc(proto, k).cloned().unwrap_or_default()
}

impl Interp {
    /// Runs `task` and files it according to how it halted. Returns an exit code when the
    /// process must end (script `exit`, or an uncaught error in the main script).
    pub(crate) fn run_slice(&mut self, mut task: Box<Task>) -> Option<i32> {
        let is_main = Some(task.id) == self.main_id;
        let halt = self.run_task(&mut task, self.fuel);
        if matches!(halt, Halt::Done(_) | Halt::Faulted(..)) && !self.tls_errors.is_empty() {
            self.tls_errors.remove(&task.id);
        }
        match halt {
            Halt::Done(v) => {
                if is_main {
                    self.main_done = true;
                    self.main_result = Some(v.clone());
                }
                self.sched.finish(task.id, Ok(v));
                self.sched.recycle(task);
                None
            }
            Halt::Faulted(err, at) => {
                let exit = self.task_faulted(task.id, is_main, err, at);
                self.sched.recycle(task);
                exit
            }
            Halt::Yield | Halt::Block if task.cancel_requested => {
                self.deliver_cancel(task);
                None
            }
            Halt::Yield => {
                self.sched.requeue(task);
                None
            }
            Halt::Block => {
                self.sched.park(task);
                None
            }
            Halt::Exit(code) => {
                self.exit_requested = true;
                Some(code)
            }
        }
    }

    /// Files a task that ended with an uncaught error: the main script reports it and the
    /// process exits with 1; a spawned task is marked faulted.
    fn task_faulted(
        &mut self,
        id: crate::channel::TaskId,
        is_main: bool,
        err: KiwiError,
        at: Option<(u32, Span)>,
    ) -> Option<i32> {
        if is_main {
            self.report(&Diagnostic::new(err, at));
            self.main_faulted = true;
            self.sched.finish(id, Ok(Value::Null));
            return Some(1);
        }
        self.sched.finish_faulted(id, err, at);
        None
    }

    /// Raises `err` in `task`: unwinds to the innermost handler, or reports it unhandled.
    pub(crate) fn throw(&mut self, task: &mut Task, err: KiwiError) -> Result<(), Halt> {
        let at = self.location(task);
        self.throw_from(task, err, at)
    }

    /// [`Self::throw`] for an error raised at `at` (a rethrow keeps the first place).
    fn throw_from(
        &mut self,
        task: &mut Task,
        err: KiwiError,
        at: Option<(u32, Span)>,
    ) -> Result<(), Halt> {
        while let Some(h) = task.handlers.pop() {
            if h.frame_depth > task.frames.len() || h.frame_depth == 0 {
                continue;
            }
            task.frames.truncate(h.frame_depth);
            task.stack.truncate(h.stack_height);
            task.stack.push(error_value(&err));
            if h.keeps_origin {
                task.stack.push(Value::Int(pack_origin(at)));
            }
            if let Some(f) = task.frames.last_mut() {
                f.ip = h.target;
            }
            return Ok(());
        }
        Err(Halt::Faulted(err, at))
    }

    /// `x = x.concat(more)` on bytes, done in place when that is unobservable: the next
    /// instruction stores the result into `x` (a local, or a global that is not a constant),
    /// `x` holds the receiver itself, and nothing else does. The stack then holds the receiver
    /// (`at - 1`) and `more` (`at`); on success they are replaced by the grown receiver.
    fn concat_in_place(&self, task: &mut Task, base: usize, next: Option<&Op>, at: usize) -> bool {
        let (Value::Bytes(buf), Value::Bytes(more)) = (&task.stack[at - 1], &task.stack[at]) else {
            return false;
        };
        // Two holders: the stack and the variable (checked next); `more` may not be `buf`.
        if Rc::strong_count(buf) != 2 || Rc::ptr_eq(buf, more) {
            return false;
        }
        let holder = match next {
            Some(Op::StoreLocal(i)) => task.stack.get(base + *i as usize),
            Some(Op::StoreGlobal(g)) if self.slot_flags[*g as usize] & SLOT_CONSTANT == 0 => {
                self.globals[*g as usize].as_ref()
            }
            _ => None,
        };
        if !matches!(holder, Some(Value::Bytes(h)) if Rc::ptr_eq(h, buf)) {
            return false;
        }
        buf.borrow_mut().extend_from_slice(&more.borrow());
        task.stack.truncate(at);
        true
    }

    /// Runs `task` for at most `fuel` back edges and calls.
    pub(crate) fn run_task(&mut self, task: &mut Task, mut fuel: u32) -> Halt {
        if let Some(r) = task.resume.take() {
            match r {
                Ok(v) => task.stack.push(v),
                Err(e) => {
                    if let Err(h) = self.throw(task, e) {
                        return h;
                    }
                }
            }
        }
        // A task that yielded inside a function of the integer loop goes on there.
        if task.frames.last().is_some_and(|f| f.closure.proto.int_loop) {
            fuel = self.run_int_loop(task, fuel);
        }
        'frames: loop {
            let Some(frame) = task.frames.last() else {
                return Halt::Done(Value::Null);
            };
            // SAFETY: every instruction that takes this frame off the task (`Return`, an error
            // unwinding past it, `Yield`, a call that runs in the integer loop) goes on with
            // `continue 'frames` or returns before `closure` is used again.
            #[allow(unsafe_code)]
            let closure = unsafe { running_closure(frame) };
            let mut ip = frame.ip;
            let base = frame.base;
            let proto: &FnProto = &closure.proto;
            let code = &proto.code[..];
            macro_rules! save_ip {
                () => {
                    if let Some(f) = task.frames.last_mut() {
                        f.ip = ip;
                    }
                };
            }
            macro_rules! fail {
                ($e:expr) => {{
                    let e = $e;
                    save_ip!();
                    match self.throw(task, e) {
                        Ok(()) => continue 'frames,
                        Err(h) => return h,
                    }
                }};
            }
            macro_rules! tri {
                ($r:expr) => {
                    match $r {
                        Ok(v) => v,
                        Err(e) => fail!(e),
                    }
                };
            }
            macro_rules! pop {
                () => {
                    task.stack.pop().unwrap_or_default()
                };
            }
            macro_rules! outcome {
                ($o:expr) => {{
                    match $o {
                        Ok(Outcome::Value(v)) => task.stack.push(v),
                        Ok(Outcome::Call(callee, args)) => {
                            save_ip!();
                            if let Err(e) = self.call_value(task, callee, args) {
                                fail!(e);
                            }
                            continue 'frames;
                        }
                        Ok(Outcome::Enter(unit, kind)) => {
                            save_ip!();
                            if task.frames.len() >= MAX_FRAMES {
                                fail!(stack_overflow());
                            }
                            task.stack.push(Value::Func(unit.clone()));
                            enter_frame(task, unit, Vec::new(), kind);
                            continue 'frames;
                        }
                        Ok(Outcome::Block) => {
                            save_ip!();
                            return Halt::Block;
                        }
                        Ok(Outcome::RetryAfter(unit)) => {
                            ip -= 1;
                            save_ip!();
                            task.stack.push(Value::Func(unit.clone()));
                            enter_frame(task, unit, Vec::new(), FrameKind::Retry);
                            continue 'frames;
                        }
                        Ok(Outcome::Construct(f, args, instance)) => {
                            save_ip!();
                            if task.frames.len() >= MAX_FRAMES {
                                fail!(stack_overflow());
                            }
                            task.stack.push(Value::Func(f.clone()));
                            enter_frame(task, f, args, FrameKind::Import(instance));
                            continue 'frames;
                        }
                        Err(e) => fail!(e),
                    }
                }};
            }
            // A call is a preemption point: out of fuel (or, checked every so often, out of
            // time), the task yields before the call instruction has changed anything and
            // re-runs it when resumed.
            macro_rules! charge_call {
                () => {{
                    if self.must_yield(fuel) {
                        ip -= 1;
                        save_ip!();
                        return Halt::Yield;
                    }
                    fuel -= 1;
                }};
            }
            // After an operation on bulky values (which may have taken milliseconds whatever
            // the fuel says), the task yields once the round is over its time budget; its
            // result is already on the stack and it resumes at the next instruction.
            macro_rules! yield_if_slow {
                ($bulky:expr) => {{
                    if $bulky && self.slice_overran() {
                        save_ip!();
                        return Halt::Yield;
                    }
                }};
            }
            // Enters Kiwi function `f` whose callee slot is at `at` with `argc` arguments above.
            macro_rules! call_closure {
                ($f:expr, $argc:expr, $at:expr) => {{
                    let (f, argc, at) = ($f, $argc, $at);
                    if task.frames.len() >= MAX_FRAMES {
                        fail!(stack_overflow());
                    }
                    if !enter_frame_in_place(task, &f, argc) {
                        let args = task.stack.split_off(at + 1);
                        enter_frame(task, f, args, FrameKind::Call);
                    } else if f.proto.int_loop {
                        fuel = self.run_int_loop(task, fuel);
                    }
                    continue 'frames;
                }};
            }
            // Enters method `f` with its receiver at `at - 1` and `argc` arguments above it,
            // where they lie (the receiver is local 0); a method that binds its parameters
            // the general way gets the closure below the receiver, as a call does.
            //
            // For a struct method (`instance:` the constructor's new instance, if any) the
            // frame is entered as a plain call and then given the kind `Import(instance)`: a
            // kind chosen between two variants before the frame is built goes through memory
            // and stalls (see `push.rs`).
            macro_rules! enter_method {
                (instance: $instance:expr, $f:expr, $argc:expr, $at:expr) => {{
                    let (f, argc, at, instance) = ($f, $argc as usize, $at, $instance);
                    enter_method!(@check);
                    if !f.proto.simple_params {
                        let kind = instance
                            .map_or(FrameKind::Call, |i| FrameKind::Import(Value::Obj(i)));
                        enter_method!(@bind f, at, kind);
                    } else if enter_frame_without_callee(task, &f, argc + 1, FrameKind::Call) {
                        if let (Some(instance), Some(frame)) =
                            (instance, task.frames.last_mut())
                        {
                            frame.kind = FrameKind::Import(Value::Obj(instance));
                        }
                    }
                    continue 'frames;
                }};
                ($f:expr, $argc:expr, $at:expr, $kind:expr) => {{
                    let (f, argc, at, kind) = ($f, $argc as usize, $at, $kind);
                    enter_method!(@check);
                    if !f.proto.simple_params {
                        enter_method!(@bind f, at, kind);
                    } else {
                        enter_frame_without_callee(task, &f, argc + 1, kind);
                    }
                    continue 'frames;
                }};
                (@check) => {{
                    save_ip!();
                    if task.frames.len() >= MAX_FRAMES {
                        fail!(stack_overflow());
                    }
                }};
                // A method that binds its parameters the general way.
                (@bind $f:ident, $at:ident, $kind:expr) => {{
                    task.stack.insert($at - 1, Value::Func($f.clone()));
                    let args = task.stack.split_off($at);
                    enter_frame(task, $f, args, $kind);
                }};
            }
            'ops: loop {
                let Some(op) = code.get(ip) else {
                    fail!(KiwiError::new(
                        ErrorType::RuntimeError,
                        "Internal error: ran past the end of a function."
                    ));
                };
                ip += 1;
                match *op {
                    Op::Const(k) => task.stack.push(konst(proto, k).clone()),
                    Op::CopyConst(k) => task.stack.push(konst(proto, k).deep_copy()),
                    Op::Int(i) => push_made(&mut task.stack, || Value::Int(i as i64)),
                    Op::Null => task.stack.push(Value::Null),
                    Op::Bool(b) => task.stack.push(Value::Bool(b)),
                    Op::Pop => {
                        task.stack.pop();
                    }
                    Op::Dup => {
                        let v = task.stack.last().cloned().unwrap_or_default();
                        task.stack.push(v);
                    }
                    Op::Dup2 => {
                        let n = task.stack.len();
                        if n >= 2 {
                            let a = task.stack[n - 2].clone();
                            let b = task.stack[n - 1].clone();
                            task.stack.push(a);
                            task.stack.push(b);
                        }
                    }
                    Op::LoadLocal(i) => {
                        let v = copy_whole(&task.stack[base + i as usize]);
                        task.stack.push(v);
                    }
                    Op::StoreLocal(i) => {
                        // Swapped into place, the old value then dropped where it lies: moved
                        // across the old value's drop, the popped one went through a stack
                        // temporary written in pieces and read back whole, and stalled (perf:
                        // 10% of the general loop's samples in `list.filter`).
                        let slot = base + i as usize;
                        let top = task.stack.len().wrapping_sub(1);
                        if slot < top {
                            task.stack.swap(slot, top);
                            task.stack.truncate(top);
                        } else {
                            let v = pop!();
                            task.stack[slot] = v;
                        }
                    }
                    Op::LoadCell(i) => {
                        let v = match task.frames.last() {
                            Some(f) => f.cells[i as usize].borrow().clone(),
                            None => Value::Null,
                        };
                        task.stack.push(v);
                    }
                    Op::StoreCell(i) => {
                        let v = pop!();
                        if let Some(f) = task.frames.last() {
                            // Stored first, the old value dropped after (see StoreLocal).
                            let old = std::mem::replace(&mut *f.cells[i as usize].borrow_mut(), v);
                            drop(old);
                        }
                    }
                    Op::LoadCapture(i) => {
                        let v = closure.captures[i as usize].borrow().clone();
                        task.stack.push(v);
                    }
                    Op::StoreCapture(i) => {
                        let v = pop!();
                        // Stored first, the old value dropped after (see StoreLocal).
                        let old =
                            std::mem::replace(&mut *closure.captures[i as usize].borrow_mut(), v);
                        drop(old);
                    }
                    Op::LoadGlobal(g) => match self.global_slot(g) {
                        // `map["key"]` of a global hashmap: read where it lies, no copy.
                        Some(v @ Value::Map(_)) => {
                            let indexed = match code.get(ip) {
                                Some(&Op::IndexConst(k)) => map_index_const(Some(v), proto, k),
                                _ => None,
                            };
                            match indexed {
                                Some(x) => {
                                    task.stack.push(x);
                                    ip += 1;
                                }
                                None => task.stack.push(v.clone()),
                            }
                        }
                        Some(v) => task.stack.push(v.clone()),
                        None => {
                            let v = self.undefined_global(g);
                            if v.is_err() {
                                let name = self.names.name(g).clone();
                                if let Some(unit) = self.stdlib_unit_for(&name) {
                                    // Run the stdlib file that defines it, then load again.
                                    ip -= 1;
                                    outcome!(Ok(Outcome::Enter(unit, FrameKind::Retry)));
                                }
                                if let Some(unit) = self.native_as_value(&name) {
                                    // `f = math::sqrt`: a lambda that calls the native.
                                    outcome!(Ok(Outcome::Enter(unit, FrameKind::Call)));
                                }
                            }
                            task.stack.push(tri!(v));
                        }
                    },
                    Op::StoreGlobal(g) => {
                        let v = pop!();
                        if self.slot_flags[g as usize] != 0 {
                            tri!(self.check_store(g));
                        }
                        self.globals[g as usize] = Some(v);
                    }
                    Op::DefineFn(g) => {
                        let v = pop!();
                        self.functions[g as usize] = Some(v);
                        self.slots_epoch = next_slots_epoch();
                    }
                    Op::DefineConst(g) => {
                        let v = pop!();
                        if self.slot_flags[g as usize] != 0 {
                            tri!(self.check_store(g));
                        }
                        self.globals[g as usize] = Some(v);
                        self.slot_flags[g as usize] |= SLOT_CONSTANT;
                    }
                    Op::Jump(t) => ip = t as usize,
                    Op::Loop(t) => {
                        ip = t as usize;
                        if self.must_yield(fuel) {
                            save_ip!();
                            return Halt::Yield;
                        }
                        fuel -= 1;
                    }
                    Op::JumpIfFalse(t) => {
                        if !pop!().truthy() {
                            ip = t as usize;
                        }
                    }
                    Op::JumpIfTrue(t) => {
                        if pop!().truthy() {
                            ip = t as usize;
                        }
                    }
                    Op::AndJump(t) => {
                        if task.stack.last().is_some_and(|v| !v.truthy()) {
                            ip = t as usize;
                        } else {
                            task.stack.pop();
                        }
                    }
                    Op::OrJump(t) => {
                        if task.stack.last().is_some_and(Value::truthy) {
                            ip = t as usize;
                        } else {
                            task.stack.pop();
                        }
                    }
                    Op::JumpIfNotNull(t) => {
                        if !pop!().is_null() {
                            ip = t as usize;
                        }
                    }
                    Op::Bin(bop) => {
                        let n = task.stack.len();
                        if let (Value::Int(x), Value::Int(y)) =
                            (&task.stack[n - 2], &task.stack[n - 1])
                        {
                            if let Some(r) = int_arith(bop, *x, *y) {
                                if let Value::Int(slot) = &mut task.stack[n - 2] {
                                    *slot = r;
                                }
                                std::mem::forget(task.stack.pop());
                                continue;
                            }
                        }
                        if let Some(r) = fast_binary(bop, &task.stack[n - 2], &task.stack[n - 1]) {
                            // Both operands are plain numbers: nothing to drop.
                            std::mem::forget(task.stack.pop());
                            std::mem::forget(std::mem::replace(&mut task.stack[n - 2], r));
                            continue;
                        }
                        if let Some(r) =
                            null_comparison(bop, &task.stack[n - 2], &task.stack[n - 1])
                        {
                            task.stack.truncate(n - 2);
                            task.stack.push(Value::Bool(r));
                            continue;
                        }
                        // An operator method is entered with its operands where they lie.
                        if let Some(f) = self.operator_function(bop, &task.stack[n - 2]) {
                            charge_call!();
                            enter_method!(f, 1, n - 1, FrameKind::Call);
                        }
                        let b = pop!();
                        let a = pop!();
                        if bop == BinOp::Add && self.concat_needs_to_string(&a, &b) {
                            // `"s" + obj`: the instance shows through its to_string (§0).
                            if let Some(concat) = self.global("__kiwi_concat") {
                                outcome!(Ok(Outcome::Call(concat, vec![a, b])));
                                continue;
                            }
                        }
                        let r = tri!(ops::binary(bop, &a, &b));
                        // As for methods: the slow operators (repetition, concatenation of
                        // large values) have bulky results.
                        let bulky = r.is_bulky();
                        task.stack.push(r);
                        yield_if_slow!(bulky);
                    }
                    Op::LocalIntBin(slot, k, bop) => {
                        if let Value::Int(x) = task.stack[base + slot as usize] {
                            if push_int_binary(&mut task.stack, bop, x, i64::from(k)) {
                                ip += 3;
                            }
                        }
                    }
                    Op::LocalIntCmpJump(slot, k, bop, t) => {
                        if let Value::Int(x) = task.stack[base + slot as usize] {
                            if let Some(b) = int_compare(bop, x, i64::from(k)) {
                                ip = if b { ip + 3 } else { t as usize };
                            }
                        }
                    }
                    Op::LocalsBin(a, b, bop) => {
                        if let (&Value::Int(x), &Value::Int(y)) = (
                            &task.stack[base + a as usize],
                            &task.stack[base + b as usize],
                        ) {
                            if push_int_binary(&mut task.stack, bop, x, y) {
                                ip += 3;
                            }
                        }
                    }
                    Op::LocalsCmpJump(a, b, bop, t) => {
                        if let (Value::Int(x), Value::Int(y)) = (
                            &task.stack[base + a as usize],
                            &task.stack[base + b as usize],
                        ) {
                            if let Some(b) = int_compare(bop, *x, *y) {
                                ip = if b { ip + 3 } else { t as usize };
                            }
                        }
                    }
                    Op::BinLocalInt(bop, slot, k) => {
                        if let Value::Int(x) = &mut task.stack[base + slot as usize] {
                            if let Some(r) = int_arith(bop, *x, i64::from(k)) {
                                *x = r;
                                ip += 2;
                            }
                        }
                    }
                    Op::CmpJumpIfFalse(bop, t) => {
                        let n = task.stack.len();
                        if let (Value::Int(x), Value::Int(y)) =
                            (&task.stack[n - 2], &task.stack[n - 1])
                        {
                            if let Some(b) = int_compare(bop, *x, *y) {
                                std::mem::forget(task.stack.pop());
                                std::mem::forget(task.stack.pop());
                                if !b {
                                    ip = t as usize;
                                }
                                continue;
                            }
                        }
                        let truth = match fast_binary(bop, &task.stack[n - 2], &task.stack[n - 1]) {
                            Some(Value::Bool(b)) => {
                                std::mem::forget(task.stack.pop());
                                std::mem::forget(task.stack.pop());
                                b
                            }
                            _ => {
                                if let Some(r) =
                                    null_comparison(bop, &task.stack[n - 2], &task.stack[n - 1])
                                {
                                    task.stack.truncate(n - 2);
                                    if !r {
                                        ip = t as usize;
                                    }
                                    continue;
                                }
                                // The comparison is a method: branch on its result.
                                if let Some(f) = self.operator_function(bop, &task.stack[n - 2]) {
                                    charge_call!();
                                    enter_method!(f, 1, n - 1, FrameKind::BranchIfFalse(t));
                                }
                                let b = pop!();
                                let a = pop!();
                                tri!(ops::binary(bop, &a, &b)).truthy()
                            }
                        };
                        if !truth {
                            ip = t as usize;
                        }
                    }
                    Op::BinLocal(bop, slot) => {
                        let at = base + slot as usize;
                        let n = task.stack.len();
                        // `total += i` on integers: no result value to build and move.
                        if let (Value::Int(x), Value::Int(y)) =
                            (&task.stack[at], &task.stack[n - 1])
                        {
                            if let Some(r) = int_arith(bop, *x, *y) {
                                // Written into the integer in place: no old value to drop.
                                if let Value::Int(slot) = &mut task.stack[at] {
                                    *slot = r;
                                }
                                std::mem::forget(task.stack.pop());
                                continue;
                            }
                        }
                        if let Some(r) = fast_binary(bop, &task.stack[at], &task.stack[n - 1]) {
                            std::mem::forget(task.stack.pop());
                            std::mem::forget(std::mem::replace(&mut task.stack[at], r));
                            continue;
                        }
                        let v = pop!();
                        // Taken out so a string held only by this local can be appended in place.
                        let old = std::mem::take(&mut task.stack[at]);
                        match ops::binary_owned(bop, old, &v) {
                            Ok(r) => task.stack[at] = r,
                            Err((old, e)) => {
                                task.stack[at] = old;
                                fail!(e);
                            }
                        }
                    }
                    Op::BinGlobal(bop, g) => {
                        let gi = g as usize;
                        if self.slot_flags[g as usize] != 0 {
                            tri!(self.check_store(g));
                        }
                        let v = pop!();
                        let old = match self.globals[gi].take() {
                            Some(old) => old,
                            None => match self.undefined_global(g) {
                                Ok(old) => old,
                                Err(e) => fail!(e),
                            },
                        };
                        match ops::binary_owned(bop, old, &v) {
                            Ok(r) => self.globals[gi] = Some(r),
                            Err((old, e)) => {
                                self.globals[gi] = Some(old);
                                fail!(e);
                            }
                        }
                    }
                    Op::Un(UnOp::Not) if !task.stack.is_empty() => {
                        let n = task.stack.len();
                        let r = !task.stack[n - 1].truthy();
                        task.stack[n - 1] = Value::Bool(r);
                    }
                    Op::Un(uop) => {
                        let a = pop!();
                        let r = tri!(ops::unary(uop, &a));
                        task.stack.push(r);
                    }
                    Op::Coalesce => {
                        let b = pop!();
                        let a = pop!();
                        task.stack.push(if a.is_null() { b } else { a });
                    }
                    Op::MakeList(n) => {
                        let at = task.stack.len() - n as usize;
                        let items = task.stack.split_off(at);
                        task.stack.push(Value::list(items));
                    }
                    Op::MakeMap(n) => {
                        let at = task.stack.len() - 2 * n as usize;
                        let items = task.stack.split_off(at);
                        let mut map = Map::with_capacity(n as usize);
                        let mut it = items.into_iter();
                        while let (Some(k), Some(v)) = (it.next(), it.next()) {
                            map.insert(Key(k), v);
                        }
                        task.stack.push(Value::map(map));
                    }
                    Op::MakeRange => {
                        let hi = pop!();
                        let lo = pop!();
                        let r = tri!(ops::range(&lo, &hi));
                        task.stack.push(r);
                    }
                    Op::Interp(n) => {
                        let at = task.stack.len() - n as usize;
                        // An instance with a to_string method is shown by it (objects brief
                        // §0): call it for the first one, put its result in place, run again.
                        let custom = task.stack[at..]
                            .iter()
                            .enumerate()
                            .find_map(|(i, v)| self.shown_through(v).map(|m| (i, m)));
                        if let Some((i, method)) = custom {
                            let depth = (n as usize - i) as u32;
                            let me = task.stack[at + i].clone();
                            ip -= 1;
                            save_ip!();
                            task.stack.push(Value::Func(method.clone()));
                            enter_frame(task, method, vec![me], FrameKind::ReplaceAt(depth));
                            continue 'frames;
                        }
                        let mut s = String::new();
                        for v in task.stack.drain(at..) {
                            write_display(&mut s, &v);
                        }
                        task.stack.push(Value::str(s));
                    }
                    Op::Index => {
                        // `list[i]` with an integer in range: the element read where it lies.
                        if let Some(v) = list_element(&task.stack) {
                            std::mem::forget(task.stack.pop());
                            if let Some(top) = task.stack.last_mut() {
                                *top = v;
                            }
                            continue;
                        }
                        let idx = pop!();
                        let obj = pop!();
                        let r = tri!(ops::index(&obj, &idx));
                        task.stack.push(r);
                    }
                    Op::DefaultLocal(slot, k) => {
                        let at = base + slot as usize;
                        if task.stack[at].is_null() {
                            task.stack[at] = konst(proto, k).clone();
                        }
                    }
                    Op::IndexConst(k) => {
                        if let Some(v) = map_index_const(task.stack.last(), proto, k) {
                            if let Some(top) = task.stack.last_mut() {
                                *top = v;
                            }
                            continue;
                        }
                        let obj = pop!();
                        let r = tri!(ops::index(&obj, konst(proto, k)));
                        task.stack.push(r);
                    }
                    Op::LocalIndexConst(i, k) => {
                        let local = &task.stack[base + i as usize];
                        let v = match index_const_cached(local, proto, k) {
                            Some(v) => v,
                            None => tri!(ops::index(local, konst(proto, k))),
                        };
                        task.stack.push(v);
                    }
                    Op::SetIndex => {
                        let v = pop!();
                        let idx = pop!();
                        let obj = pop!();
                        tri!(ops::set_index(&obj, &idx, v));
                    }
                    Op::Slice => {
                        let step = pop!();
                        let stop = pop!();
                        let start = pop!();
                        let obj = pop!();
                        let r = tri!(ops::slice(&obj, &start, &stop, &step));
                        task.stack.push(r);
                    }
                    Op::GetMember(k) => {
                        let obj = pop!();
                        let name = const_str(proto, k);
                        if let Value::Map(m) = &obj {
                            let v = m.borrow().get(&Key(Value::Str(name))).cloned();
                            task.stack.push(v.unwrap_or_default());
                        } else if let Value::Obj(o) = &obj {
                            // Instance and static variables, enum members: never a method.
                            let cache = &proto.caches[k as usize];
                            let v = crate::object::get_member(o, &name, cache);
                            task.stack.push(v.unwrap_or_default());
                        } else {
                            save_ip!();
                            outcome!(self.call_method(task, obj, &name, Vec::new()));
                        }
                    }
                    Op::GetLocalMember(i, k) => {
                        let Some(name) = const_rc(proto, k) else {
                            fail!(not_a_name());
                        };
                        let cache = &proto.caches[k as usize];
                        let v = match &task.stack[base + i as usize] {
                            Value::Obj(o) => crate::object::get_member(o, name, cache),
                            Value::Map(m) => Some(
                                m.borrow()
                                    .get(&Key(Value::Str(name.clone())))
                                    .cloned()
                                    .unwrap_or_default(),
                            ),
                            _ => None,
                        };
                        match v {
                            Some(v) => task.stack.push(v),
                            None => {
                                let obj = task.stack[base + i as usize].clone();
                                save_ip!();
                                outcome!(self.call_method(task, obj, name, Vec::new()));
                            }
                        }
                    }
                    Op::SetLocalMemberKeep(i, k) => {
                        // As `SetLocalMember`, on a copy of the value, which stays.
                        let v = task.stack.last().cloned().unwrap_or_default();
                        tri!(set_member_const(
                            &task.stack[base + i as usize],
                            proto,
                            k,
                            v
                        ));
                    }
                    Op::SetLocalMember(i, k) => {
                        let v = pop!();
                        tri!(set_member_const(
                            &task.stack[base + i as usize],
                            proto,
                            k,
                            v
                        ));
                    }
                    Op::SetMember(k) => {
                        let v = pop!();
                        let obj = pop!();
                        let name = const_str(proto, k);
                        if let Value::Obj(o) = &obj {
                            let cache = &proto.caches[k as usize];
                            tri!(crate::object::set_member_cached(o, &name, cache, v));
                        } else {
                            tri!(ops::set_index(&obj, &Value::Str(name), v));
                        }
                    }
                    Op::CallSuper(k, argc) => {
                        let at = task.stack.len() - argc as usize;
                        let owner = proto.owner.as_deref().unwrap_or("");
                        let method = const_text(proto, k);
                        // The base method depends only on `@`'s struct at this site.
                        let cache = &proto.caches[k as usize];
                        let cached = match &task.stack[at - 1] {
                            Value::Obj(o) => match &**o {
                                crate::object::Object::Instance(i) => cache.base_method(&i.class),
                                _ => None,
                            },
                            _ => None,
                        };
                        let f = match cached {
                            Some(f) => f,
                            None => {
                                let f = tri!(self.super_method(&task.stack[at - 1], owner, method));
                                if let Value::Obj(o) = &task.stack[at - 1] {
                                    if let crate::object::Object::Instance(i) = &**o {
                                        cache.remember_base_method(&i.class, &f);
                                    }
                                }
                                f
                            }
                        };
                        charge_call!();
                        enter_method!(f, argc, at, FrameKind::Call);
                    }
                    Op::Call(argc) => {
                        let argc = argc as usize;
                        let at = task.stack.len() - argc - 1;
                        save_ip!();
                        if let Value::Func(f) = &task.stack[at] {
                            let f = f.clone();
                            charge_call!();
                            call_closure!(f, argc, at);
                        }
                        let args = task.stack.split_off(at + 1);
                        let callee = pop!();
                        if let Err(e) = self.call_value(task, callee, args) {
                            fail!(e);
                        }
                        continue 'frames;
                    }
                    Op::CallEx(k) => {
                        let kinds = arg_kinds(proto, k);
                        let at = task.stack.len() - kinds.len();
                        let values = task.stack.split_off(at);
                        let callee = pop!();
                        save_ip!();
                        tri!(self.call_with_kinds(task, callee, &kinds, values));
                        continue 'frames;
                    }
                    Op::CallGlobal(g, argc) => {
                        let argc = argc as usize;
                        save_ip!();
                        match self.global_slot(g) {
                            Some(Value::Func(f)) => {
                                let f = f.clone();
                                charge_call!();
                                if task.frames.len() >= MAX_FRAMES {
                                    fail!(stack_overflow());
                                }
                                // The arguments become the first locals where they lie.
                                if enter_frame_without_callee(task, &f, argc, FrameKind::Call) {
                                    if f.proto.int_loop {
                                        fuel = self.run_int_loop(task, fuel);
                                    }
                                    continue 'frames;
                                }
                                // The general binding wants the callee below them, as `Call`
                                // has it.
                                let at = task.stack.len() - argc;
                                task.stack.insert(at, Value::Func(f.clone()));
                                call_closure!(f, argc, at);
                            }
                            Some(other) => {
                                let callee = other.clone();
                                let at = task.stack.len() - argc;
                                let args = task.stack.split_off(at);
                                if let Err(e) = self.call_value(task, callee, args) {
                                    fail!(e);
                                }
                                continue 'frames;
                            }
                            None => {
                                // Natives read their arguments where they lie: the stack is
                                // lent out for the call (natives never touch it), so socket and
                                // task calls on every message's path copy nothing.
                                let at = task.stack.len() - argc;
                                let stack = std::mem::take(&mut task.stack);
                                let r =
                                    self.call_global_native(task, g, &stack[at..], &stack[..at]);
                                let bulky = stack[at..].iter().any(Value::is_bulky);
                                task.stack = stack;
                                let r = match self.after_undefined_call(task, r, g, at) {
                                    Fallback::Retry(unit) => {
                                        // Load the package's file, then run this call again.
                                        ip -= 1;
                                        outcome!(Ok(Outcome::Enter(unit, FrameKind::Retry)));
                                        continue 'frames;
                                    }
                                    Fallback::Result(r) => r,
                                };
                                task.stack.truncate(at);
                                if std::mem::take(&mut self.fused_await) {
                                    // The native already did the `await` that follows.
                                    ip += 1;
                                }
                                outcome!(r);
                                yield_if_slow!(
                                    bulky || task.stack.last().is_some_and(Value::is_bulky)
                                );
                            }
                        }
                    }
                    Op::CallGlobalEx(g, k) => {
                        let kinds = arg_kinds(proto, k);
                        let at = task.stack.len() - kinds.len();
                        let values = task.stack.split_off(at);
                        save_ip!();
                        match self.global_slot(g).cloned() {
                            Some(callee) => {
                                tri!(self.call_with_kinds(task, callee, &kinds, values));
                                continue 'frames;
                            }
                            None => {
                                let args = tri!(flatten_args(&kinds, values.clone()));
                                let name = self.names.name(g).clone();
                                let r = self.call_native(task, &name, &args);
                                // The arguments go back on the stack for the fallbacks (and
                                // for the call again, if a package's file must load first).
                                let bulky = args.iter().any(Value::is_bulky);
                                let at = task.stack.len();
                                task.stack.extend(args);
                                let r = match self.after_undefined_call(task, r, g, at) {
                                    Fallback::Retry(unit) => {
                                        task.stack.truncate(at);
                                        task.stack.extend(values);
                                        ip -= 1;
                                        outcome!(Ok(Outcome::Enter(unit, FrameKind::Retry)));
                                        continue 'frames;
                                    }
                                    Fallback::Result(r) => r,
                                };
                                task.stack.truncate(at);
                                outcome!(r);
                                yield_if_slow!(
                                    bulky || task.stack.last().is_some_and(Value::is_bulky)
                                );
                            }
                        }
                    }
                    Op::CallMethod(k, argc) => {
                        let at = task.stack.len() - argc as usize;
                        // One `outcome!` for a frameless method's result and the general
                        // path's: a second copy of it here measurably slows every op.
                        let (r, bulky) = 'call: {
                            // Fast path: a struct's method is entered with its receiver and
                            // arguments where they lie (the closure goes below them).
                            if let Value::Obj(o) = &task.stack[at - 1] {
                                if let Some(call) = self.direct_method(
                                    task,
                                    o,
                                    const_text(proto, k),
                                    &proto.caches[k as usize],
                                ) {
                                    charge_call!();
                                    if call.instance.is_none()
                                        && call.closure.proto.frameless.is_some()
                                    {
                                        save_ip!();
                                        match self.call_frameless(
                                            task,
                                            &call.closure,
                                            at,
                                            argc.into(),
                                        ) {
                                            FramelessCall::Declined => {}
                                            FramelessCall::Ran(r, awaited_after) => {
                                                if awaited_after {
                                                    ip += 1;
                                                }
                                                break 'call (r, false);
                                            }
                                            FramelessCall::InFrame(None) => continue 'frames,
                                            FramelessCall::InFrame(Some(halt)) => return halt,
                                        }
                                    }
                                    if let Some(instance) = &call.instance {
                                        task.stack[at - 1] = Value::Obj(instance.clone());
                                    }
                                    enter_method!(instance: call.instance, call.closure, argc, at);
                                }
                            }
                            // Fast path: a builtin method of a plain value runs on the arguments
                            // where they lie, with no argument vector to allocate.
                            if !matches!(
                                task.stack[at - 1],
                                Value::Func(_)
                                    | Value::Channel(_)
                                    | Value::Package(_)
                                    | Value::Obj(_)
                            ) {
                                let name = const_str(proto, k);
                                // `buf = buf.concat(chunk)`: when the variable about to receive
                                // the result is the only other holder of `buf`, the bytes grow in
                                // place (amortised O(1) instead of a copy per chunk).
                                if argc == 1
                                    && matches!(task.stack[at - 1], Value::Bytes(_))
                                    && &*name == "concat"
                                    && self.concat_in_place(task, base, code.get(ip), at)
                                {
                                    continue 'ops;
                                }
                                // `list.push(x)` as a statement: the list it returns would be
                                // popped at once; making it cost a clone and a drop, each a
                                // call, and two stalls on the way back (perf).
                                if argc == 1 && matches!(code.get(ip), Some(Op::Pop)) {
                                    if let Some(bulky) = methods::push_unreturned(
                                        &task.stack[at - 1],
                                        &name,
                                        &task.stack[at],
                                    ) {
                                        task.stack.truncate(at - 1);
                                        ip += 1;
                                        yield_if_slow!(bulky);
                                        continue 'ops;
                                    }
                                }
                                if let Some(r) = methods::call_method(
                                    &task.stack[at - 1],
                                    &name,
                                    &task.stack[at..],
                                ) {
                                    let v = tri!(r);
                                    // The slow builtins (sort, split, join, repeat, keys, ...)
                                    // return bulky values; checking only the result keeps the
                                    // hottest call path cheap. `push` onto a long list gives
                                    // that list back, but took no time: no clock read for it.
                                    let bulky = v.is_bulky()
                                        && !methods::takes_constant_time(
                                            &task.stack[at - 1],
                                            &name,
                                            task.stack.get(at..).unwrap_or(&[]),
                                        );
                                    task.stack.truncate(at - 1);
                                    task.stack.push(v);
                                    yield_if_slow!(bulky);
                                    continue 'ops;
                                }
                            }
                            let args = task.stack.split_off(at);
                            let recv = pop!();
                            let name = const_str(proto, k);
                            let bulky = recv.is_bulky() || args.iter().any(Value::is_bulky);
                            save_ip!();
                            (self.call_method(task, recv, &name, args), bulky)
                        };
                        outcome!(r);
                        yield_if_slow!(bulky || task.stack.last().is_some_and(Value::is_bulky));
                    }
                    Op::CallMethodEx(k, kinds_k) => {
                        let kinds = arg_kinds(proto, kinds_k);
                        let at = task.stack.len() - kinds.len();
                        let values = task.stack.split_off(at);
                        let recv = pop!();
                        let name = const_str(proto, k);
                        let args = tri!(flatten_args(&kinds, values));
                        save_ip!();
                        outcome!(self.call_method(task, recv, &name, args));
                    }
                    Op::Closure(k) => {
                        let Const::Proto(p) = &proto.consts[k as usize] else {
                            continue;
                        };
                        let frame_cells = task.frames.last().map(|f| &f.cells);
                        let captures = p
                            .captures
                            .iter()
                            .map(|c| match c {
                                CaptureFrom::Cell(i) => frame_cells
                                    .and_then(|cells| cells.get(*i as usize).cloned())
                                    .unwrap_or_default(),
                                CaptureFrom::Capture(i) => closure
                                    .captures
                                    .get(*i as usize)
                                    .cloned()
                                    .unwrap_or_default(),
                            })
                            .collect();
                        task.stack.push(Value::Func(Rc::new(Closure {
                            proto: p.clone(),
                            captures,
                        })));
                    }
                    Op::Return | Op::ReturnLocal(_) => {
                        let result = match *op {
                            Op::ReturnLocal(i) => copy_of(&task.stack[base + i as usize]),
                            _ => pop!(),
                        };
                        let Some(frame) = task.frames.pop() else {
                            return Halt::Done(result);
                        };
                        let Frame {
                            cells,
                            handler_base,
                            floor,
                            kind,
                            ..
                        } = frame;
                        if cells.capacity() == 0 {
                            // Most frames have no cells: nothing allocated, nothing to drop,
                            // and no call into the drop glue on every return.
                            std::mem::forget(cells);
                        }
                        task.handlers.truncate(handler_base);
                        task.stack.truncate(floor);
                        let result = match kind {
                            FrameKind::Call => result,
                            FrameKind::Import(v) => v,
                            FrameKind::Retry => continue 'frames,
                            FrameKind::Print(stderr, newline) => {
                                self.print_value(&result, stderr, newline);
                                continue 'frames;
                            }
                            FrameKind::ReplaceAt(depth) => {
                                let n = task.stack.len();
                                task.stack[n - depth as usize] = result;
                                continue 'frames;
                            }
                            FrameKind::BranchIfFalse(t) => {
                                if !result.truthy() {
                                    if let Some(f) = task.frames.last_mut() {
                                        f.ip = t as usize;
                                    }
                                }
                                continue 'frames;
                            }
                            FrameKind::Generator(consumer) => {
                                // The generator ended (it stays ended: its frames are gone).
                                if let Some(f) = task.frames.last_mut() {
                                    f.ip = consumer.exit as usize;
                                }
                                continue 'frames;
                            }
                        };
                        if task.frames.is_empty() {
                            return Halt::Done(result);
                        }
                        task.stack.push(result);
                        continue 'frames;
                    }
                    Op::Print(stderr, newline) => {
                        let v = pop!();
                        if let Some(method) = self.shown_through(&v) {
                            // Printed through its to_string method (objects brief §0).
                            save_ip!();
                            task.stack.push(Value::Func(method.clone()));
                            enter_frame(task, method, vec![v], FrameKind::Print(stderr, newline));
                            continue 'frames;
                        }
                        self.print_value(&v, stderr, newline);
                    }
                    Op::Throw => {
                        let v = pop!();
                        fail!(thrown_error(&v));
                    }
                    Op::Exit => {
                        // A missing or non-integer code exits with 1 (§4).
                        let code = match pop!() {
                            Value::Int(i) => i32::from(exit_status(i)),
                            _ => 1,
                        };
                        save_ip!();
                        return Halt::Exit(code);
                    }
                    Op::PushHandler(t) => task.handlers.push(Handler {
                        frame_depth: task.frames.len(),
                        stack_height: task.stack.len(),
                        target: t as usize,
                        keeps_origin: false,
                    }),
                    Op::PushRethrowHandler(t) => task.handlers.push(Handler {
                        frame_depth: task.frames.len(),
                        stack_height: task.stack.len(),
                        target: t as usize,
                        keeps_origin: true,
                    }),
                    Op::PopHandler => {
                        task.handlers.pop();
                    }
                    Op::Rethrow | Op::RethrowCancellation => {
                        let origin = match pop!() {
                            Value::Int(packed) => unpack_origin(packed),
                            _ => None,
                        };
                        let err = thrown_error(&pop!());
                        if *op == Op::Rethrow || err.is_cancellation() {
                            save_ip!();
                            match self.throw_from(task, err, origin) {
                                Ok(()) => continue 'frames,
                                Err(h) => return h,
                            }
                        }
                    }
                    Op::SplitError => {
                        let v = pop!();
                        let e = thrown_error(&v);
                        task.stack.push(Value::str(&*e.error));
                        task.stack.push(Value::str(&*e.message));
                    }
                    Op::Unpack(n) => {
                        let v = pop!();
                        let n = n as usize;
                        match v {
                            Value::List(l) => {
                                let l = l.borrow();
                                for i in 0..n {
                                    task.stack.push(l.get(i).cloned().unwrap_or_default());
                                }
                            }
                            other => {
                                task.stack.push(other);
                                for _ in 1..n {
                                    task.stack.push(Value::Null);
                                }
                            }
                        }
                    }
                    Op::ForPrep(slot) => {
                        let v = pop!();
                        let s = base + slot as usize;
                        let (items, source) = for_items(v);
                        task.stack[s] = items;
                        task.stack[s + 1] = Value::Int(0);
                        task.stack[s + 2] = source;
                    }
                    Op::ForNext(slot, two, exit) if matches!(&task.stack[base + slot as usize], Value::Obj(o) if matches!(&**o, crate::object::Object::Generator(_))) =>
                    {
                        let s = base + slot as usize;
                        let Value::Int(i) = task.stack[s + 1] else {
                            ip = exit as usize;
                            continue;
                        };
                        // The index counts values already taken (the one coming included).
                        task.stack[s + 1] = Value::Int(i + 1);
                        let generator = task.stack[s].clone();
                        let consumer = Consumer { slot, two, exit };
                        save_ip!();
                        if task.frames.len() >= MAX_FRAMES {
                            fail!(stack_overflow());
                        }
                        if enter_generator(task, &generator, consumer) {
                            continue 'frames;
                        }
                        ip = exit as usize;
                    }
                    Op::ForNext(slot, two, exit) => {
                        let s = base + slot as usize;
                        let Value::Int(i) = task.stack[s + 1] else {
                            ip = exit as usize;
                            continue;
                        };
                        // No `Option<Value>` in between: moving one goes piece by piece
                        // through memory, and the push that reads it whole then stalls.
                        let item = match &task.stack[s] {
                            Value::List(l) => match l.borrow().get(i as usize) {
                                Some(v) => copy_whole(v),
                                None => {
                                    ip = exit as usize;
                                    continue;
                                }
                            },
                            _ => {
                                ip = exit as usize;
                                continue;
                            }
                        };
                        // The counter is bumped where it lies (as a new value it would go
                        // through a temporary around the old one's drop, which stalls).
                        if let Value::Int(counter) = &mut task.stack[s + 1] {
                            *counter = i + 1;
                        }
                        if !two {
                            push_made(&mut task.stack, || item);
                            continue;
                        }
                        let second = match &task.stack[s + 2] {
                            Value::Map(m) => map_value_at(&m.borrow(), i as usize, &item),
                            _ => Value::Int(i),
                        };
                        push_made(&mut task.stack, || item);
                        task.stack.push(second);
                    }
                    Op::Import => {
                        let name = pop!();
                        save_ip!();
                        outcome!(self.import(&name));
                    }
                    Op::GenStart => {
                        // The call returns a generator holding this frame, suspended here.
                        save_ip!();
                        task.stack.push(generator_of_current_frame(task));
                        ip = code.len() - 1;
                    }
                    Op::Yield => {
                        let v = pop!();
                        save_ip!();
                        let Some(consumer) = leave_generator(task) else {
                            fail!(KiwiError::new(
                                ErrorType::RuntimeError,
                                "'yield' used outside of a generator."
                            ));
                        };
                        // Back in the loop's frame: the value (and its index) for the body.
                        let Some(f) = task.frames.last() else {
                            return Halt::Done(Value::Null);
                        };
                        let s = f.base + consumer.slot as usize;
                        task.stack.push(v);
                        if consumer.two {
                            let taken = match task.stack[s + 1] {
                                Value::Int(n) => n,
                                _ => 0,
                            };
                            task.stack.push(Value::Int(taken - 1));
                        }
                        continue 'frames;
                    }
                    Op::SetSlice => {
                        let value = pop!();
                        let step = pop!();
                        let stop = pop!();
                        let start = pop!();
                        let obj = pop!();
                        tri!(ops::set_slice(&obj, [&start, &stop, &step], &value));
                    }
                    Op::MakeStruct(k) => {
                        let made = self.make_struct(konst(proto, k), &mut task.stack);
                        task.stack.push(tri!(made));
                    }
                    Op::MakeEnum(k) => {
                        let made = make_enum(konst(proto, k), &mut task.stack);
                        task.stack.push(tri!(made));
                    }
                    Op::Include => {
                        let path = pop!();
                        save_ip!();
                        outcome!(self.include(task, &path));
                    }
                    Op::Require => {
                        let value = pop!();
                        let name = crate::format::to_display(&value);
                        if !self.package_known(&name) {
                            if let Some(unit) = self.stdlib_unit(&name) {
                                // `require` loads a stdlib package (objects brief §2.3 REC).
                                task.stack.push(value);
                                ip -= 1;
                                outcome!(Ok(Outcome::Enter(unit, FrameKind::Retry)));
                            }
                            fail!(KiwiError::new(
                                ErrorType::PackageUndefinedError,
                                format!("The package is undefined: '{name}'")
                            ));
                        }
                    }
                    Op::ActivatePackage(k) => {
                        let name = const_str(proto, k);
                        self.active_packages.insert(Rc::from(name.as_str()));
                    }
                    Op::Fault(k) => {
                        fail!(KiwiError::new(
                            ErrorType::KiwiError,
                            const_str(proto, k).to_string()
                        ));
                    }
                }
            }
        }
    }

    /// Calls any callable value: pushes a frame for a Kiwi function.
    pub(crate) fn call_value(
        &mut self,
        task: &mut Task,
        callee: Value,
        args: Vec<Value>,
    ) -> Result<(), KiwiError> {
        match callee {
            Value::Func(f) => {
                if task.frames.len() >= MAX_FRAMES {
                    return Err(stack_overflow());
                }
                task.stack.push(Value::Func(f.clone()));
                enter_frame(task, f, args, FrameKind::Call);
                Ok(())
            }
            Value::Obj(o) if o.as_struct().is_some() => match self.construct(&o, args)? {
                Outcome::Construct(f, args, instance) => {
                    if task.frames.len() >= MAX_FRAMES {
                        return Err(stack_overflow());
                    }
                    task.stack.push(Value::Func(f.clone()));
                    enter_frame(task, f, args, FrameKind::Import(instance));
                    Ok(())
                }
                Outcome::Value(v) => {
                    task.stack.push(v);
                    Ok(())
                }
                _ => Ok(()),
            },
            other => Err(KiwiError::new(
                ErrorType::InvalidOperationError,
                format!("Value of type '{}' is not callable.", other.type_name()),
            )),
        }
    }

    /// Calls `callee` with arguments written with names or splats (`kinds` says which).
    fn call_with_kinds(
        &mut self,
        task: &mut Task,
        callee: Value,
        kinds: &[crate::bytecode::ArgKind],
        values: Vec<Value>,
    ) -> Result<(), KiwiError> {
        let args = match &callee {
            Value::Func(f) => bind_named(f, kinds, values)?,
            _ => flatten_args(kinds, values)?,
        };
        self.call_value(task, callee, args)
    }

    pub(super) fn const_error(&self, g: u32) -> KiwiError {
        KiwiError::new(
            ErrorType::InvalidOperationError,
            format!("Cannot reassign constant '{}'.", self.names.name(g)),
        )
    }

    /// A read of an unset global: a package name yields a package value, else an error.
    fn undefined_global(&self, g: u32) -> Result<Value, KiwiError> {
        let name = self.names.name(g);
        if self.active_packages.contains(name) {
            return Ok(Value::Package(Rc::new(Text::from(&**name))));
        }
        Err(KiwiError::new(
            ErrorType::VariableUndefinedError,
            format!("The variable has not been declared: '{name}'"),
        ))
    }

    fn package_known(&self, name: &str) -> bool {
        self.active_packages.contains(name)
    }
}

fn stack_overflow() -> KiwiError {
    KiwiError::new(ErrorType::RuntimeError, "Stack overflow.")
}

fn arg_kinds(proto: &FnProto, k: u32) -> Rc<[crate::bytecode::ArgKind]> {
    match &proto.consts[k as usize] {
        Const::ArgKinds(kinds) => kinds.clone(),
        _ => Rc::from(Vec::new()),
    }
}

/// The items a `for` loop walks, and the hashmap whose values a two-variable loop reads.
/// Lists are walked live; hashmap keys, string characters and bytes are snapshotted.
fn for_items(v: Value) -> (Value, Value) {
    match v {
        Value::List(_) => (v, Value::Null),
        Value::Obj(ref o) if matches!(&**o, crate::object::Object::Generator(_)) => {
            (v, Value::Null)
        }
        Value::Map(m) => {
            let keys = m.borrow().keys().map(|k| k.0.clone()).collect();
            (Value::list(keys), Value::Map(m))
        }
        Value::Str(s) => (
            Value::list(s.chars().map(ops::char_value).collect()),
            Value::Null,
        ),
        Value::Bytes(b) => (
            Value::list(b.borrow().iter().map(|x| Value::Int(*x as i64)).collect()),
            Value::Null,
        ),
        _ => (Value::list(Vec::new()), Value::Null),
    }
}

impl Interp {
    /// `print`/`println`/`eprint`/`eprintln` of `v` (already a display string or any value).
    fn print_value(&mut self, v: &Value, stderr: bool, newline: bool) {
        let mut s = String::new();
        write_display(&mut s, v);
        if newline {
            s.push('\n');
        }
        if stderr {
            let _ = self.out.flush();
            let _ = self.err.write_all(s.as_bytes());
            let _ = self.err.flush();
        } else {
            let _ = self.out.write_all(s.as_bytes());
        }
    }
}

/// Builds an enum from its layout constant and the explicit values on top of `stack`.
fn make_enum(layout: &Value, stack: &mut Vec<Value>) -> Result<Value, KiwiError> {
    let Value::List(layout) = layout else {
        return Ok(Value::Null);
    };
    let layout = layout.borrow();
    let (Some(Value::Str(name)), Some(Value::List(names)), Some(Value::List(explicit))) =
        (layout.first(), layout.get(1), layout.get(2))
    else {
        return Ok(Value::Null);
    };
    let (names, explicit) = (names.borrow(), explicit.borrow());
    let given = explicit.iter().filter(|e| e.truthy()).count();
    let mut values = stack
        .split_off(stack.len().saturating_sub(given))
        .into_iter();
    let members = names
        .iter()
        .zip(explicit.iter())
        .map(|(member, has)| {
            let member = match member {
                Value::Str(s) => s.clone(),
                _ => Rc::default(),
            };
            (member, if has.truthy() { values.next() } else { None })
        })
        .collect();
    crate::object::make_enum(name, members)
}

/// The catchable hashmap `{"error": type, "message": msg}` for an error.
pub(crate) fn error_value(e: &KiwiError) -> Value {
    let mut m = Map::with_capacity(2);
    m.insert(Key::from("error"), Value::str(&*e.error));
    m.insert(Key::from("message"), Value::str(&*e.message));
    Value::map(m)
}

/// The process exit status for `exit code` (§0): 0–255 as given, 255 above that, and a
/// negative code's low byte (`exit -1` is 255), except that a nonzero code never becomes 0
/// (`exit -256` is 255), so a failure can never read as success.
pub fn exit_status(code: i64) -> u8 {
    match code {
        0..=255 => code as u8,
        256.. => 255,
        _ => match (code & 255) as u8 {
            0 => 255,
            low => low,
        },
    }
}

/// The error a `throw v` raises (§6.2).
pub(crate) fn thrown_error(v: &Value) -> KiwiError {
    match v {
        Value::Str(s) => KiwiError::custom("KiwiError", s.to_string()),
        Value::Map(m) => {
            let m = m.borrow();
            let ty = m
                .get(&Key::from("error"))
                .map(crate::format::to_display)
                .unwrap_or_else(|| "Error".to_string());
            let msg = m
                .get(&Key::from("message"))
                .map(crate::format::to_display)
                .unwrap_or_default();
            KiwiError::custom(ty, msg)
        }
        other => KiwiError::custom("KiwiError", crate::format::to_display(other)),
    }
}

/// `x == null` / `x != null` (or with null on the left) when no `==` method can take part,
/// that is when the left operand is not an object: only null equals null. Forced inline: it
/// sits on the path of every comparison that is not numeric (UDP echo measured 2% more
/// instructions per datagram without it).
#[inline(always)]
fn null_comparison(op: BinOp, a: &Value, b: &Value) -> Option<bool> {
    let equal = match op {
        BinOp::Eq => true,
        BinOp::Ne => false,
        _ => return None,
    };
    if matches!(a, Value::Obj(_)) || !(a.is_null() || b.is_null()) {
        return None;
    }
    Some((a.is_null() && b.is_null()) == equal)
}

/// Integer and float fast paths for the hottest operators; `None` defers to [`ops::binary`].
/// A `Some` result guarantees both operands were plain numbers (nothing to drop). Left to the
/// compiler to inline: forcing it into `run_task` measured slower (callgrind, `fib` +0.8%).
fn fast_binary(op: BinOp, a: &Value, b: &Value) -> Option<Value> {
    // An integer meeting a float is widened, as the general rules do (`1.0 / i`).
    let (x, y) = match (a, b) {
        (Value::Int(x), Value::Int(y)) => return int_binary(op, *x, *y),
        (Value::Float(x), Value::Float(y)) => (*x, *y),
        (Value::Int(x), Value::Float(y)) => (*x as f64, *y),
        (Value::Float(x), Value::Int(y)) => (*x, *y as f64),
        _ => return None,
    };
    Some(match op {
        BinOp::Add => Value::Float(x + y),
        BinOp::Sub => Value::Float(x - y),
        BinOp::Mul => Value::Float(x * y),
        // A zero divisor takes the slow path to raise the error.
        BinOp::Div if y != 0.0 => Value::Float(x / y),
        BinOp::Lt => Value::Bool(x < y),
        BinOp::Le => Value::Bool(x <= y),
        BinOp::Gt => Value::Bool(x > y),
        BinOp::Ge => Value::Bool(x >= y),
        _ => return None,
    })
}

/// `x op y` for the integer comparisons (`None` for other operators). A plain `bool` keeps
/// the fused compare-and-branch free of a result value to build and drop.
#[inline(always)]
pub(super) fn int_compare(op: BinOp, x: i64, y: i64) -> Option<bool> {
    Some(match op {
        BinOp::Lt => x < y,
        BinOp::Le => x <= y,
        BinOp::Gt => x > y,
        BinOp::Ge => x >= y,
        BinOp::Eq => x == y,
        BinOp::Ne => x != y,
        _ => return None,
    })
}

/// `x op y` for the wrapping integer arithmetic an accumulating `+=`, `-=` or `*=` does
/// (`None` for other operators).
#[inline(always)]
pub(super) fn int_arith(op: BinOp, x: i64, y: i64) -> Option<i64> {
    Some(match op {
        BinOp::Add => x.wrapping_add(y),
        BinOp::Sub => x.wrapping_sub(y),
        BinOp::Mul => x.wrapping_mul(y),
        _ => return None,
    })
}

/// `x op y` for the integer operators with an integer result and a fast path; `None` for
/// the others, and for `%` by zero (the general code raises the error).
#[inline(always)]
pub(super) fn int_result(op: BinOp, x: i64, y: i64) -> Option<i64> {
    Some(match op {
        BinOp::Add => x.wrapping_add(y),
        BinOp::Sub => x.wrapping_sub(y),
        BinOp::Mul => x.wrapping_mul(y),
        // Truncated remainder.
        BinOp::Mod if y != 0 => x.wrapping_rem(y),
        BinOp::BitAnd => x & y,
        BinOp::BitOr => x | y,
        BinOp::BitXor => x ^ y,
        _ => return None,
    })
}

/// `x op y` for the integer operators with a fast path; `None` defers to the general code
/// (another operator, or `%` by zero, which raises there).
pub(super) fn int_binary(op: BinOp, x: i64, y: i64) -> Option<Value> {
    match int_result(op, x, y) {
        Some(r) => Some(Value::Int(r)),
        None => int_compare(op, x, y).map(Value::Bool),
    }
}

/// Pushes [`int_binary`]'s result; `false` (nothing pushed) where it has none. An integer
/// result is built where it goes (see `push.rs`). Pushed from one place, a value chosen
/// among variants is built in a stack temporary first, so a comparison's boolean, rarer here
/// (compare-and-branch is fused), is pushed out of line.
#[inline(always)]
pub(super) fn push_int_binary(stack: &mut Vec<Value>, op: BinOp, x: i64, y: i64) -> bool {
    if let Some(r) = int_result(op, x, y) {
        push_made(stack, || Value::Int(r));
        true
    } else {
        push_int_compare(stack, op, x, y)
    }
}

#[inline(never)]
fn push_int_compare(stack: &mut Vec<Value>, op: BinOp, x: i64, y: i64) -> bool {
    let Some(b) = int_compare(op, x, y) else {
        return false;
    };
    stack.push(Value::Bool(b));
    true
}

#[cfg(test)]
mod tests {
    use super::{exit_status, fast_binary, int_arith, int_compare};
    use crate::error::KResult;
    use crate::ops;
    use crate::value::Value;
    use kiwi_syntax::ast::BinOp;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use std::rc::Rc;

    /// A result as text that tells every value apart: floats by their bits (so -0.0 differs
    /// from 0.0 and NaN is comparable), errors by type and message.
    fn exact(r: &KResult<Value>) -> String {
        match r {
            Ok(Value::Float(f)) => format!("float:{:#x}", f.to_bits()),
            Ok(v) => format!("{}:{}", v.type_name(), crate::format::to_repr(v)),
            Err(e) => format!("error:{}:{}", e.error, e.message),
        }
    }

    fn operand(rng: &mut StdRng) -> Value {
        const INTS: [i64; 8] = [0, 1, -1, 2, 63, 64, i64::MIN, i64::MAX];
        const FLOATS: [f64; 9] = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        match rng.random_range(0..7) {
            0 => Value::Int(INTS[rng.random_range(0..INTS.len())]),
            1 => Value::Int(rng.random_range(-1000..1000)),
            2 => Value::Int(rng.random()),
            3 => Value::Float(FLOATS[rng.random_range(0..FLOATS.len())]),
            4 => Value::Float(rng.random_range(-1e6..1e6)),
            5 => Value::Float(f64::from_bits(rng.random())),
            _ => [Value::str("ab"), Value::Bool(true), Value::Null][rng.random_range(0..3)].clone(),
        }
    }

    /// The VM's fast paths (`fast_binary`, and `binary_owned`'s in-place string append) must
    /// give exactly what `ops::binary` gives, for every operator over random operands and the
    /// edge values (overflow, zero, NaN, infinities, -0.0).
    #[test]
    fn fast_paths_agree_with_ops_binary() {
        const OPS: [BinOp; 20] = [
            BinOp::Add,
            BinOp::Sub,
            BinOp::Mul,
            BinOp::Div,
            BinOp::FloorDiv,
            BinOp::Mod,
            BinOp::Pow,
            BinOp::Shl,
            BinOp::Shr,
            BinOp::UShr,
            BinOp::Lt,
            BinOp::Le,
            BinOp::Gt,
            BinOp::Ge,
            BinOp::In,
            BinOp::Eq,
            BinOp::Ne,
            BinOp::BitAnd,
            BinOp::BitXor,
            BinOp::BitOr,
        ];
        let mut rng = StdRng::seed_from_u64(0x6b69_7769);
        let mut fast_taken = 0;
        for _ in 0..200_000 {
            let op = OPS[rng.random_range(0..OPS.len())];
            let (a, b) = (operand(&mut rng), operand(&mut rng));
            let slow = ops::binary(op, &a, &b);
            if let Some(fast) = fast_binary(op, &a, &b) {
                fast_taken += 1;
                assert_eq!(exact(&Ok(fast)), exact(&slow), "{op:?} on {a:?} and {b:?}");
            }
            // The in-place integer steps of `Bin`, `BinLocal` and the fused branches.
            if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
                if let Some(r) = int_arith(op, *x, *y) {
                    assert_eq!(exact(&Ok(Value::Int(r))), exact(&slow), "{op:?} {x} {y}");
                }
                if let Some(r) = int_compare(op, *x, *y) {
                    assert_eq!(exact(&Ok(Value::Bool(r))), exact(&slow), "{op:?} {x} {y}");
                }
            }
            // A string nobody else holds is appended to in place.
            let owned = match &a {
                Value::Str(s) => Value::Str(Rc::new(s.as_ref().clone())),
                other => other.clone(),
            };
            let in_place = ops::binary_owned(op, owned, &b).map_err(|(_, e)| e);
            assert_eq!(
                exact(&in_place),
                exact(&slow),
                "{op:?} on {a:?} and {b:?} (owned)"
            );
        }
        // About 37,000 of the 200,000 cases are number pairs that take a fast path.
        assert!(
            fast_taken > 20_000,
            "only {fast_taken} cases took a fast path"
        );
    }

    #[test]
    fn exit_codes_map_to_a_status_that_keeps_failure() {
        for (code, status) in [
            (0, 0),
            (1, 1),
            (255, 255),
            (256, 255),
            (1 << 32, 255),
            (i64::MAX, 255),
            (-1, 255),
            (-2, 254),
            (-255, 1),
            (-256, 255),
            (-(1 << 32), 255),
            (i64::MIN, 255),
        ] {
            assert_eq!(exit_status(code), status, "exit {code}");
        }
    }
}

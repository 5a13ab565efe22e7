//! Running a method without a frame of its own (see [`crate::frameless`]).

use std::rc::Rc;

use super::call::enter_frame_without_callee;
use super::exec::{konst, Halt, Outcome};
use super::natives::NativeSlot;
use super::Interp;
use crate::error::KResult;
use crate::frameless::{Frameless, Source};
use crate::function::Closure;
use crate::task::{FrameKind, Task};
use crate::value::Value;

/// How a method call went when offered to [`Interp::call_frameless`].
pub(crate) enum FramelessCall {
    /// The method must be entered as usual; nothing was changed.
    Declined,
    /// The method ran: the stack ends below its receiver, and this is its outcome. With
    /// `awaited_after`, the native also awaited the result as the caller's next instruction
    /// asked, so the caller skips that instruction (as after a native call of its own).
    Ran(KResult<Outcome>, bool),
    /// The native suspended the task (or called back into Kiwi) before the method's `await`
    /// could run: the method's frame was made at that `await`, so it runs when the native's
    /// result comes; `Some` is how the task halts now.
    InFrame(Option<Halt>),
}

impl Interp {
    /// Runs method `f` without a frame if its body allows it: its receiver is at `at - 1` and
    /// its `argc` arguments above it.
    // Always inlined into the op loop: measured, the loop's other ops (bench/interp) then
    // cost the same as without this path; left to the compiler they cost up to 2% more.
    #[inline(always)]
    pub(crate) fn call_frameless(
        &mut self,
        task: &mut Task,
        f: &Rc<Closure>,
        at: usize,
        argc: usize,
    ) -> FramelessCall {
        let proto = &f.proto;
        let Some(plan) = proto.frameless.as_deref() else {
            return FramelessCall::Declined;
        };
        // Resolved before anything changes, so that declining is always possible.
        let native = match plan.native {
            None => None,
            Some(g) => match self.native_of(g, plan) {
                Some(i) => Some(i),
                None => return FramelessCall::Declined,
            },
        };
        // Extra arguments are dropped, as when the frame binds them.
        let passed = argc.min(proto.params.len().saturating_sub(1));
        let top = task.stack.len();
        // The native's arguments after the first are the method's, all passed: they stay
        // where they are and the first takes the receiver's place (put back if the method
        // goes on in a frame), instead of each being copied above them.
        let in_place = plan.args_in_place && argc + 1 == plan.sources.len();
        let sources = if in_place {
            &plan.sources[..1]
        } else {
            &plan.sources[..]
        };
        for source in sources {
            let local = |i| passed_local(&task.stack, at, passed, i);
            let v = match *source {
                Source::Local(i) => local(i).cloned().unwrap_or_default(),
                Source::LocalOr(i, k) => match local(i) {
                    None | Some(Value::Null) => konst(proto, k).clone(),
                    Some(v) => v.clone(),
                },
                Source::Member(i, k) => {
                    let member = match (local(i), konst(proto, k)) {
                        (Some(Value::Obj(o)), Value::Str(name)) => {
                            crate::object::get_member(o, name, &proto.caches[k as usize])
                        }
                        _ => None,
                    };
                    // Not an object with variables: the frame's own instruction knows the
                    // rest (a hashmap's key, a method of that name, the error).
                    let Some(v) = member else {
                        task.stack.truncate(top);
                        return FramelessCall::Declined;
                    };
                    v
                }
                Source::Const(k) => konst(proto, k).clone(),
                Source::Int(n) => Value::Int(i64::from(n)),
                Source::Null => Value::Null,
            };
            task.stack.push(v);
        }
        let Some(native) = native else {
            let v = task.stack.pop().unwrap_or_default();
            task.stack.truncate(at - 1);
            return FramelessCall::Ran(Ok(Outcome::Value(v)), false);
        };
        // In place, the first value and the receiver change places: the receiver rests just
        // above the arguments.
        let args = if in_place {
            task.stack.swap(at - 1, top);
            at - 1..top
        } else {
            top..task.stack.len()
        };
        // Natives read their arguments where they lie (as a `CallGlobal` lends them).
        self.force_await = plan.awaited.is_some();
        let stack = std::mem::take(&mut task.stack);
        let r = self.call_table_lent(task, native, &stack[args.clone()], &stack[..args.start]);
        task.stack = stack;
        self.force_await = false;
        let fused = std::mem::take(&mut self.fused_await);
        let Some((_, await_ip)) = plan.awaited else {
            task.stack.truncate(at - 1);
            return FramelessCall::Ran(r, fused);
        };
        let in_frame = !fused && !matches!(r, Ok(Outcome::Value(_)) | Err(_));
        if in_frame {
            // The receiver and arguments stay: they become the frame's locals.
            if in_place {
                task.stack.swap(at - 1, top);
            }
            task.stack.truncate(top);
            return FramelessCall::InFrame(
                self.continue_in_frame(task, f, plan, argc, await_ip, r),
            );
        }
        task.stack.truncate(at - 1);
        match r {
            Ok(Outcome::Value(v)) if !fused => {
                FramelessCall::Ran(self.await_task(task, &[v]), false)
            }
            r => FramelessCall::Ran(r, false),
        }
    }

    /// The native table index of a frameless method's native (and its `await` the real
    /// one), or `None` if a script's own function now answers to either name.
    fn native_of(&mut self, g: u32, plan: &Frameless) -> Option<u32> {
        if let Some((i, epoch)) = plan.resolved.get() {
            if epoch == self.slots_epoch {
                return Some(i);
            }
        }
        if self.global_slot(g).is_some() {
            return None;
        }
        let NativeSlot::Table(i) = self.native_slot(g) else {
            return None;
        };
        if let Some((a, _)) = plan.awaited {
            if self.global_slot(a).is_some() || self.native_slot(a) != NativeSlot::Await {
                return None;
            }
            self.watch_slot(a);
        }
        // Only a store to one of these slots, or a function defined anywhere, can change
        // the answer: each changes the epoch.
        self.watch_slot(g);
        plan.resolved.set(Some((i, self.slots_epoch)));
        Some(i)
    }

    /// The native left its result to come later without awaiting it: the method's frame is
    /// made as if its body had run up to its `await`, and the native's outcome goes on there.
    fn continue_in_frame(
        &mut self,
        task: &mut Task,
        f: &Rc<Closure>,
        plan: &Frameless,
        argc: usize,
        await_ip: usize,
        outcome: KResult<Outcome>,
    ) -> Option<Halt> {
        enter_frame_without_callee(task, f, argc + 1, FrameKind::Call);
        if let Some(frame) = task.frames.last_mut() {
            frame.ip = await_ip;
            for &(slot, k) in &plan.defaults {
                let at = frame.base + usize::from(slot);
                if task.stack[at].is_null() {
                    task.stack[at] = konst(&f.proto, k).clone();
                }
            }
        }
        let r = match outcome {
            Ok(Outcome::Block) => return Some(Halt::Block),
            Ok(Outcome::Call(callee, args)) => self.call_value(task, callee, args),
            Ok(Outcome::Value(v)) => {
                task.stack.push(v);
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        match r {
            Ok(()) => None,
            Err(e) => self.throw(task, e).err(),
        }
    }
}

/// Local `i` of a method entered with its receiver at `at - 1` and `passed` arguments, where
/// the caller left it; `None` if it was not passed (the frame would hold null).
fn passed_local(stack: &[Value], at: usize, passed: usize, i: u16) -> Option<&Value> {
    let i = usize::from(i);
    (i <= passed).then(|| &stack[at - 1 + i])
}

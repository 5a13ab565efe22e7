//! The running frame's function, borrowed by the instruction loops without a clone of the
//! frame's `Rc<Closure>`: the VM's one `unsafe` function.
//!
//! Both loops (`exec::run_task`, `fastloop::run_int_loop`) enter a frame, run its code until a
//! call, a return or a halt, and then start again from whatever frame is on top. They need the
//! frame's code, constants and captures the whole time while they push and pop frames of the
//! same task, so safe Rust makes them clone the frame's `Rc<Closure>` on every frame entry: an
//! increment and a decrement of the count on every call and every return. Borrowing it instead
//! measured 3.7% fewer instructions and about 8% less time on `fib30`, and 1-2% fewer
//! instructions on the object workloads (bench/RESULTS.md, issue 14, sixth session).

use crate::function::Closure;
use crate::task::Frame;

/// The closure of `frame`, borrowed for as long as the caller needs it.
///
/// # Safety
/// The caller must not use the reference (or anything borrowed through it: the proto, its
/// code, constants and caches, the captures) after `frame` has been popped from its task or
/// moved out of it. While the frame is on the task's stack its strong reference keeps the
/// closure alive, and nothing mutates a closure or its proto in place (a proto is immutable
/// once compiled; its caches and the captures are cells). Pushing other frames may move the
/// `Frame` value when the vector grows, but not the `Rc` allocation the reference points into.
///
/// The loops keep this as a rule: every place that takes frames off a task (`Return`, the
/// unwinding in `Interp::throw`, `Yield`'s `leave_generator`, the integer loop's `Return`, a
/// call into the integer loop from the general one) is followed by moving on to the next frame
/// (`continue 'frames`) or a return, before the borrowed closure is used again.
#[allow(unsafe_code)]
pub(super) unsafe fn running_closure<'a>(frame: &Frame) -> &'a Closure {
    let closure: *const Closure = &*frame.closure;
    // SAFETY: the frame's `Rc` keeps the closure alive as long as the caller's contract
    // (above) requires it.
    unsafe { &*closure }
}

//! The `task` package: spawning, awaiting, cancelling and inspecting tasks, sleeping, timers
//! and channels. The scheduler is the VM's; these functions reach it through the
//! [`NativeCx`].

use std::rc::Rc;

use kiwi_vm::channel::Channel;
use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::native::{milliseconds, Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::value::Value;

/// The `task` package.
pub const TASK: Package = Package {
    name: "task",
    functions: &[
        NativeFn::cx("spawn", Arity::between(1, 2), |cx, a| {
            cx.spawn(a).map(Reply::from)
        }),
        NativeFn::cx("await", Arity::between(1, 2), |cx, a| cx.await_id(a)),
        NativeFn::cx("cancel", Arity::exactly(1), |cx, a| {
            cx.cancel(a).map(Reply::from)
        }),
        NativeFn::cx("status", Arity::exactly(1), status),
        NativeFn::cx("result", Arity::exactly(1), result),
        NativeFn::cx("sleep", Arity::exactly(1), |cx, a| {
            Ok(cx.sleep(milliseconds(a.first())?))
        }),
        NativeFn::cx("busy", Arity::exactly(0), |cx, _| {
            Ok(Value::Bool(cx.any_running()).into())
        }),
        NativeFn::cx("list", Arity::exactly(0), |cx, _| {
            let ids = cx.running_tasks().into_iter().map(Value::Int).collect();
            Ok(Value::list(ids).into())
        }),
        NativeFn::cx("wait", Arity::exactly(0), |cx, _| Ok(cx.wait_all())),
        // The calling task stops keeping the script alive (signal's watcher uses it).
        NativeFn::cx("_background", Arity::exactly(0), |cx, _| {
            cx.run_in_background();
            Ok(Reply::Value(Value::Bool(true)))
        }),
        NativeFn::cx("timer", Arity::exactly(2), |cx, a| {
            cx.call_function("__kiwi_timer", a.to_vec())
        }),
        NativeFn::cx("interval", Arity::exactly(2), |cx, a| {
            cx.call_function("__kiwi_interval", a.to_vec())
        }),
        NativeFn::pure("channel", Arity::between(0, 1), channel),
    ],
};

/// `Channel.new(capacity = 0)`: upstream's name for `task::channel` (its `Channel` struct).
pub const CHANNEL: Package = Package {
    name: "Channel",
    functions: &[NativeFn::pure("new", Arity::between(0, 1), channel)],
};

/// `status(id)`: `"Running"`, `"Completed"`, `"Faulted"` or `"Unknown"` (also for a value
/// that is no task id).
fn status(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let s = match args.first() {
        Some(Value::Int(id)) => cx.task_status(*id),
        _ => "Unknown",
    };
    Ok(Value::str(s).into())
}

/// `result(id)`: a finished task's value, else null.
fn result(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    Ok(match args.first() {
        Some(Value::Int(id)) => cx.task_result(*id),
        _ => Value::Null,
    }
    .into())
}

/// `channel(capacity = 0)`: 0 is a rendezvous channel.
fn channel(args: &[Value]) -> KResult<Value> {
    let cap = match args.first() {
        None | Some(Value::Null) => 0,
        Some(Value::Int(c)) => *c,
        Some(other) => {
            return Err(KiwiError::param_type(
                "task::channel",
                1,
                "Integer",
                other.dotnet_type_name(),
            ))
        }
    };
    Ok(Value::Channel(Rc::new(Channel::new(cap))))
}

//! The `signal` package (upstream's `docs/lib/signal.md`): Kiwi handlers for SIGINT, SIGTERM
//! and SIGHUP, so a server can shut down cleanly on Ctrl-C. The operating system's handler
//! (signal-hook) only sets a flag; the package's Kiwi part (`kiwi/signal.kiwi`) runs each
//! handler in a task that checks the flag. While a signal has no Kiwi handler, its default
//! action (ending the process) applies as before.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::Value;

/// The natives under the package's Kiwi part.
pub const PACKAGE: Package = Package {
    name: "signal",
    functions: &[
        NativeFn::pure("_watch", Arity::exactly(1), |a| {
            let flags = flags(signal_arg(a)?)?;
            flags.unhandled.store(false, Ordering::SeqCst);
            Ok(Value::Bool(true))
        }),
        NativeFn::pure("_unwatch", Arity::exactly(1), |a| {
            let flags = flags(signal_arg(a)?)?;
            flags.unhandled.store(true, Ordering::SeqCst);
            flags.pending.store(false, Ordering::SeqCst);
            Ok(Value::Bool(true))
        }),
        NativeFn::pure("_take", Arity::exactly(1), |a| {
            let flags = flags(signal_arg(a)?)?;
            Ok(Value::Bool(flags.pending.swap(false, Ordering::SeqCst)))
        }),
        NativeFn::pure("_raise", Arity::exactly(1), |a| {
            let sig = signal_arg(a)?;
            signal_hook::low_level::raise(sig).map_err(|e| {
                KiwiError::custom("SystemError", format!("signal::raise_signal: {e}"))
            })?;
            Ok(Value::Bool(true))
        }),
    ],
};

/// The Kiwi part.
pub const SOURCE: &str = include_str!("kiwi/signal.kiwi");

/// What the operating system's handler of one signal reports to the package.
struct Flags {
    /// The signal arrived and no handler has taken it yet.
    pending: Arc<AtomicBool>,
    /// No Kiwi handler: the signal's default action applies.
    unhandled: Arc<AtomicBool>,
}

fn signal_arg(args: &[Value]) -> KResult<i32> {
    let name = check::str_arg("signal", args, 0)?;
    match name.as_str() {
        "SIGINT" => Ok(signal_hook::consts::SIGINT),
        "SIGTERM" => Ok(signal_hook::consts::SIGTERM),
        "SIGHUP" => Ok(signal_hook::consts::SIGHUP),
        other => Err(KiwiError::custom(
            "ValueError",
            format!("Unsupported signal '{other}': use SIGINT, SIGTERM or SIGHUP."),
        )),
    }
}

/// The flags of `sig`, its operating-system handlers installed the first time.
fn flags(sig: i32) -> KResult<&'static Flags> {
    static ALL: OnceLock<Mutex<HashMap<i32, &'static Flags>>> = OnceLock::new();
    let mut all = crate::lock(ALL.get_or_init(Default::default));
    if let Some(f) = all.get(&sig) {
        return Ok(f);
    }
    let flags = Flags {
        pending: Arc::new(AtomicBool::new(false)),
        unhandled: Arc::new(AtomicBool::new(true)),
    };
    let failed = |e: std::io::Error| KiwiError::custom("SystemError", format!("signal::trap: {e}"));
    // The default action first: while unhandled, the signal ends the process as before.
    signal_hook::flag::register_conditional_default(sig, flags.unhandled.clone())
        .map_err(failed)?;
    signal_hook::flag::register(sig, flags.pending.clone()).map_err(failed)?;
    // One set of flags per signal for the life of the process.
    let leaked: &'static Flags = Box::leak(Box::new(flags));
    all.insert(sig, leaked);
    Ok(leaked)
}

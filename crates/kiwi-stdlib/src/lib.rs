//! The native Kiwi packages: `task`, `socket`, `tls`, `time`, `env`, `console`, `math`,
//! `error`, and the global functions `typeof`, `char`, `serialize`, `deserialize` (the
//! package `""`). Each package is one module holding one [`Package`] table (name, arity and
//! body of every function), written against the VM's native API ([`kiwi_vm::native`]);
//! [`PACKAGES`] lists them for the host to register. Adding a package is one module plus
//! one line there.

mod compress;
mod console;
mod crypto;
mod csv;
mod dotenv;
mod encode;
mod env;
mod error;
mod fio;
mod fmt;
mod globals;
mod http;
mod ipc;
mod json;
mod math;
mod net;
mod protobuf;
mod reflector;
mod regex;
mod serial;
mod signal;
mod smtp;
mod sqlite;
mod stat;
mod stdin;
mod string;
mod sys;
mod task;
mod time;
mod udp;
mod watch;
mod xml;
mod yaml;

use kiwi_vm::error::KResult;
use kiwi_vm::native::Package;
use kiwi_vm::stdlib::HostEnv;
use kiwi_vm::value::Value;

/// Every package of this crate.
pub const PACKAGES: &[&Package] = &[
    &task::TASK,
    &task::CHANNEL,
    &net::SOCKET,
    &net::TLS,
    &http::PACKAGE,
    &http::SERVER_PACKAGE,
    &udp::PACKAGE,
    &smtp::PACKAGE,
    &fio::PACKAGE,
    &encode::PACKAGE,
    &json::PACKAGE,
    &regex::PACKAGE,
    &crypto::PACKAGE,
    &compress::PACKAGE,
    &sys::PACKAGE,
    &signal::PACKAGE,
    &csv::PACKAGE,
    &reflector::PACKAGE,
    &ipc::PACKAGE,
    &protobuf::PACKAGE,
    &sqlite::PACKAGE,
    &xml::PACKAGE,
    &yaml::PACKAGE,
    &dotenv::PACKAGE,
    &watch::PACKAGE,
    &stat::PACKAGE,
    &string::PACKAGE,
    &stdin::PACKAGE,
    &fmt::PACKAGE,
    &math::PACKAGE,
    &time::PACKAGE,
    &env::PACKAGE,
    &console::PACKAGE,
    &error::PACKAGE,
    &globals::PACKAGE,
];

/// `recv.method(args)` as the VM's builtin method of that name (packages that are the methods
/// of a core type with the receiver as an argument use it); a receiver without that method
/// raises `missing()`.
pub(crate) fn builtin_method(
    recv: &Value,
    method: &str,
    args: &[Value],
    missing: impl FnOnce() -> kiwi_vm::error::KiwiError,
) -> KResult<Value> {
    kiwi_vm::methods::call_method(recv, method, args).unwrap_or_else(|| Err(missing()))
}

/// The error for a method a value does not have.
pub(crate) fn undefined_method(method: &str) -> kiwi_vm::error::KiwiError {
    kiwi_vm::error::KiwiError::custom(
        "FunctionUndefinedError",
        format!("Function `{method}` is undefined."),
    )
}

/// The bytes a list of integers 0..=255 stands for (argument `pos` of `name`): a number out
/// of range is a `ValueError`, anything else a `ParameterTypeMismatchError`.
pub(crate) fn byte_list(name: &str, items: &[Value], pos: usize) -> KResult<Vec<u8>> {
    items
        .iter()
        .map(|item| match item {
            Value::Int(n) => u8::try_from(*n).map_err(|_| {
                kiwi_vm::error::KiwiError::custom(
                    "ValueError",
                    format!("{name}: {n} is not a byte (0 to 255)."),
                )
            }),
            other => Err(kiwi_vm::methods::check::expected(
                name, pos, "Integer", other,
            )),
        })
        .collect()
}

/// The Kiwi parts of packages (name, source), for the host to register with
/// `Interp::register_kiwi_source`.
pub const SOURCES: &[(&str, &str)] = &[
    ("signal", signal::SOURCE),
    ("tester", include_str!("kiwi/tester.kiwi")),
    ("collections", include_str!("kiwi/collections.kiwi")),
    ("iter", include_str!("kiwi/iter.kiwi")),
    ("list", include_str!("kiwi/list.kiwi")),
    ("log", include_str!("kiwi/log.kiwi")),
    ("template", include_str!("kiwi/template.kiwi")),
    ("watch", watch::SOURCE),
    ("crypto", crypto::SOURCE),
    ("dotenv", dotenv::SOURCE),
    ("csv", csv::SOURCE),
    ("json", json::SOURCE),
    ("xml", xml::SOURCE),
    ("sqlite", sqlite::SOURCE),
    ("console", console::SOURCE),
    ("std", include_str!("kiwi/std.kiwi")),
    ("stopwatch", include_str!("kiwi/stopwatch.kiwi")),
    ("bench", include_str!("kiwi/bench.kiwi")),
    ("pipeline", include_str!("kiwi/pipeline.kiwi")),
    ("hashable", include_str!("kiwi/hashable.kiwi")),
    ("path", include_str!("kiwi/path.kiwi")),
    ("string", string::SOURCE),
    ("stdin", stdin::SOURCE),
    ("curl", include_str!("kiwi/curl.kiwi")),
    ("cli", include_str!("kiwi/cli.kiwi")),
    ("faker", include_str!("kiwi/faker.kiwi")),
    ("reflector", reflector::SOURCE),
    ("text", include_str!("kiwi/text.kiwi")),
    ("table", include_str!("kiwi/table.kiwi")),
    ("datasets", include_str!("kiwi/datasets.kiwi")),
    ("http", http::SOURCE),
    ("httpserver", http::SERVER_SOURCE),
    ("udp", udp::SOURCE),
    ("smtp", smtp::SOURCE),
];

/// The bytes of a string (UTF-8) or bytes value, borrowed from it (hashing and compressing
/// 100 MB need no copy).
pub(crate) enum Input<'a> {
    Text(&'a str),
    Bytes(std::cell::Ref<'a, Vec<u8>>),
}

impl<'a> Input<'a> {
    /// `v`'s bytes, or `None` when it is neither a string nor bytes.
    pub(crate) fn of(v: &'a Value) -> Option<Input<'a>> {
        match v {
            Value::Str(s) => Some(Input::Text(s)),
            Value::Bytes(b) => Some(Input::Bytes(b.borrow())),
            _ => None,
        }
    }
}

impl std::ops::Deref for Input<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Input::Text(s) => s.as_bytes(),
            Input::Bytes(b) => b,
        }
    }
}

/// How a job on the blocking pool fails: the Kiwi error type and the message.
pub(crate) type JobError = (&'static str, String);

/// `m` locked; a lock a panicking thread left poisoned is still usable (the tables behind
/// these locks stay consistent between statements).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Objects a script refers to by integer handle (SQLite connections, pipes), shared with the
/// blocking pool's threads.
pub(crate) struct Handles<T> {
    next: std::sync::atomic::AtomicI64,
    table: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<i64, std::sync::Arc<T>>>>,
}

impl<T> Handles<T> {
    pub(crate) const fn new() -> Self {
        Handles {
            next: std::sync::atomic::AtomicI64::new(1),
            table: std::sync::OnceLock::new(),
        }
    }

    fn table(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<i64, std::sync::Arc<T>>> {
        lock(self.table.get_or_init(Default::default))
    }

    /// Keeps `item`; its new handle.
    pub(crate) fn insert(&self, item: T) -> i64 {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.table().insert(id, std::sync::Arc::new(item));
        id
    }

    pub(crate) fn get(&self, id: i64) -> Option<std::sync::Arc<T>> {
        self.table().get(&id).cloned()
    }

    pub(crate) fn remove(&self, id: i64) -> Option<std::sync::Arc<T>> {
        self.table().remove(&id)
    }
}

/// Inputs at least this large are parsed in the blocking pool: parsing 1 MiB takes about a
/// millisecond, and more would hold up the other tasks. (Hashing and compression stay in
/// place: a worker thread's copy costs more, see crypto.rs and compress.rs.)
pub(crate) const OFFLOAD_BYTES: usize = 1 << 20;

/// Runs `job` in place when its input (`size` bytes) is small, else on the blocking pool so
/// that only the calling task waits for it.
pub(crate) fn offload(
    cx: &mut kiwi_vm::native::NativeCx<'_>,
    size: usize,
    job: impl FnOnce() -> Result<kiwi_vm::net::Plain, JobError> + Send + 'static,
) -> KResult<kiwi_vm::native::Reply> {
    if size < OFFLOAD_BYTES {
        return job()
            .map(|plain| kiwi_vm::native::Reply::Value(plain.into_value()))
            .map_err(|(kind, message)| kiwi_vm::error::KiwiError::custom(kind, message));
    }
    cx.run_blocking(Box::new(job))
}

/// Calls `name` of `package` when it needs no interpreter (see
/// [`kiwi_vm::native::NativeFn::call_plain`]); `None` if there is no such function or it
/// needs one.
pub fn call_plain(
    package: &Package,
    name: &str,
    args: &[Value],
    host: &HostEnv,
) -> Option<KResult<Value>> {
    let full = if package.name.is_empty() {
        name.to_string()
    } else {
        format!("{}::{name}", package.name)
    };
    package.function(name)?.call_plain(&full, args, host)
}

/// Calls `name` as written in a script (`"math::random"`, `"typeof"`) when it needs no
/// interpreter; `None` if no package here has it (or it needs one).
pub fn call_native(name: &str, args: &[Value], host: &HostEnv) -> Option<KResult<Value>> {
    let (package, function) = name.split_once("::").unwrap_or(("", name));
    let package = PACKAGES.iter().find(|p| p.name == package)?;
    call_plain(package, function, args, host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_package() {
        let host = HostEnv::default();
        assert!(call_native("math::nope", &[], &host).is_none());
        assert!(call_native("nope::random", &[], &host).is_none());
        assert!(call_native("frob", &[], &host).is_none());
        assert!(matches!(
            call_native("typeof", &[Value::Int(1)], &host),
            Some(Ok(Value::Str(s))) if &*s == "integer"
        ));
        assert!(matches!(
            call_native("math::random", &[], &host),
            Some(Ok(Value::Float(f))) if (0.0..1.0).contains(&f)
        ));
    }

    #[test]
    fn no_input_panics() {
        const NAMES: &[&str] = &[
            "math::random",
            "math::round",
            "math::floor",
            "math::sqrt",
            "math::abs",
            "math::min",
            "math::max",
            "math::pow",
            "math::log",
            "time::ticks",
            "time::ticksms",
            "time::timestamp",
            "time::now_ms",
            "env::args",
            "env::argv",
            "env::get",
            "env::opt",
            "console::fg",
            "console::bg",
            "console::reset",
            "error::new",
            "error::ValueError",
            "error::type_of",
            "error::message_of",
            "error::is_type",
            "error::assert",
            "typeof",
            "char",
            "serialize",
            "deserialize",
        ];
        let host = HostEnv {
            args: vec!["--a".into(), "b".into(), "-c=d".into()],
            script_path: "x.kiwi".into(),
        };
        let values = [
            Value::Null,
            Value::Int(-1),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Float(f64::NAN),
            Value::Float(2.5),
            Value::str(""),
            Value::str("[1, {\"a\": 2}]"),
            Value::str("\0"),
            Value::list(vec![Value::Int(1)]),
            Value::list(vec![]),
            Value::map(kiwi_vm::value::Map::new()),
            Value::bytes(vec![1]),
        ];
        for name in NAMES {
            let _ = call_native(name, &[], &host);
            for a in &values {
                let _ = call_native(name, std::slice::from_ref(a), &host);
                for b in &values {
                    let _ = call_native(name, &[a.clone(), b.clone()], &host);
                    let _ = call_native(name, &[a.clone(), b.clone(), Value::Null], &host);
                }
            }
        }
    }
}

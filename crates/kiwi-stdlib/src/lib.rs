//! The native Kiwi packages that need no scheduler: `time`, `env`, `console`, `math`,
//! `error`, and the global functions `typeof`, `char`, `serialize`, `deserialize` (registered
//! as the package `""`). Each package is one module with one `call` function; [`PACKAGES`]
//! is the table the host registers with the VM.

mod console;
mod env;
mod error;
mod globals;
mod math;
mod serial;
mod time;

use kiwi_vm::error::KResult;
use kiwi_vm::stdlib::{HostEnv, PackageFn};
use kiwi_vm::value::Value;

/// Every package of this crate, by name (`""` for the global functions).
pub const PACKAGES: &[(&str, PackageFn)] = &[
    ("math", |f, a, _| math::call(f, a)),
    ("time", |f, a, _| time::call(f, a)),
    ("env", env::call),
    ("console", |f, a, _| console::call(f, a)),
    ("error", |f, a, _| error::call(f, a)),
    ("", |f, a, _| globals::call(f, a)),
];

/// Calls `name` as written in a script (`"math::random"`, `"typeof"`); `None` if no package
/// here has it.
pub fn call_native(name: &str, args: &[Value], host: &HostEnv) -> Option<KResult<Value>> {
    let (package, function) = name.split_once("::").unwrap_or(("", name));
    let (_, call) = PACKAGES.iter().find(|(p, _)| *p == package)?;
    call(function, args, host)
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

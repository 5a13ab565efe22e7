//! Native stdlib functions (§12) that need no scheduler: `time`, `env`, `console`, `math`,
//! `error` and the globals `typeof`, `char`, `serialize`, `deserialize`.
//!
//! The VM calls [`call_native`] with the name as written in the script (`"math::random"`);
//! task, socket and tls functions are not here because they suspend the calling task.

mod console;
mod env;
mod error;
mod globals;
mod math;
mod serial;
mod time;

use crate::error::KResult;
use crate::value::Value;

/// What the host process tells the stdlib about itself.
#[derive(Debug, Default, Clone)]
pub struct HostEnv {
    /// The raw arguments after the script path, in order (`env::args()`).
    pub args: Vec<String>,
    /// The path of the main script as given on the command line.
    pub script_path: String,
}

/// Calls the native function `name` (`"math::random"`, `"typeof"`, …); `None` if there is no
/// such function here.
pub fn call_native(name: &str, args: &[Value], host: &HostEnv) -> Option<KResult<Value>> {
    let (package, function) = name.split_once("::").unwrap_or(("", name));
    match package {
        "math" => math::call(function, args),
        "time" => time::call(function, args),
        "env" => env::call(function, args, host),
        "console" => console::call(function, args),
        "error" => error::call(function, args),
        "" => globals::call(function, args),
        _ => None,
    }
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
            Value::map(crate::value::Map::new()),
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

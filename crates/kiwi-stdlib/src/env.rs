//! The `env` package: command-line arguments and environment variables.

use kiwi_vm::error::KResult;
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::{Key, Map, Value};

/// The `env` package.
pub const PACKAGE: Package = Package {
    name: "env",
    functions: &[
        NativeFn::host("args", Arity::exactly(0), |_, host| {
            Ok(Value::list(
                host.args.iter().map(|a| Value::str(a.as_str())).collect(),
            ))
        }),
        NativeFn::host("argv", Arity::exactly(0), |_, host| Ok(argv(&host.args))),
        NativeFn::host("opt", Arity::exactly(1), |a, host| opt(a, &host.args)),
        NativeFn::pure("get", Arity::exactly(1), get),
        NativeFn::pure("set", Arity::exactly(2), set),
        NativeFn::pure("all", Arity::exactly(0), |_| {
            let mut vars: Map = std::env::vars_os()
                .map(|(k, v)| {
                    let k = Key(Value::str(k.to_string_lossy()));
                    (k, Value::str(v.to_string_lossy()))
                })
                .collect();
            for (k, v) in overlay() {
                vars.insert(Key(Value::str(k)), Value::str(v));
            }
            Ok(Value::map(vars))
        }),
        NativeFn::pure("bin", Arity::exactly(0), |_| {
            let exe = std::env::current_exe().map(|p| p.to_string_lossy().into_owned());
            Ok(Value::str(exe.unwrap_or_default()))
        }),
        NativeFn::host("script", Arity::exactly(0), |_, host| {
            Ok(Value::str(host.script_path.as_str()))
        }),
    ],
};

thread_local! {
    /// Variables `env::set` changed. The process environment itself is left alone: changing
    /// it while worker threads may read it is undefined behaviour in C libraries. `env::get`
    /// and `env::all` read these first, and `sys` gives them to the programs it starts.
    static OVERLAY: std::cell::RefCell<Vec<(String, String)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The variables `env::set` changed, in the order they were first set.
pub fn overlay() -> Vec<(String, String)> {
    OVERLAY.with(|o| o.borrow().clone())
}

/// A name that can be a variable (`=` and NUL cannot be part of one).
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['=', '\0'])
}

/// `env::get(name)`: the variable's value, or `""`.
fn get(args: &[Value]) -> KResult<Value> {
    let name = check::str_arg("__env_getenv__", args, 0)?;
    if !valid_name(name) {
        return Ok(Value::str(""));
    }
    if let Some(v) = OVERLAY.with(|o| {
        o.borrow()
            .iter()
            .find(|(k, _)| k == name.as_str())
            .map(|(_, v)| v.clone())
    }) {
        return Ok(Value::str(v));
    }
    let value = std::env::var_os(name.as_str()).unwrap_or_default();
    Ok(Value::str(value.to_string_lossy()))
}

/// `env::set(name, value)`: true; a name with `=` or NUL is a `ValueError`.
fn set(args: &[Value]) -> KResult<Value> {
    let name = check::str_arg("env::set", args, 0)?;
    let value = check::str_arg("env::set", args, 1)?;
    if !valid_name(name) || value.contains('\0') {
        return Err(kiwi_vm::methods::check::value_error(format!(
            "env::set: '{name}' cannot be an environment variable name (or its value holds NUL)"
        )));
    }
    OVERLAY.with(|o| {
        let mut o = o.borrow_mut();
        match o.iter_mut().find(|(k, _)| k == name.as_str()) {
            Some(entry) => entry.1 = value.to_string(),
            None => o.push((name.to_string(), value.to_string())),
        }
    });
    Ok(Value::Bool(true))
}

/// `env::opt(key)`: the `argv()` value for `key`, or `""`.
fn opt(args: &[Value], raw: &[String]) -> KResult<Value> {
    let key = check::str_arg("__env_xarg__", args, 0)?;
    let Value::Map(m) = argv(raw) else {
        unreachable!("argv builds a hashmap")
    };
    let found = m.borrow().get(&Key(Value::Str(key.clone()))).cloned();
    Ok(found.unwrap_or_else(|| Value::str("")))
}

/// Whether `--key value` may take `value` as the key's value.
fn is_value(arg: &str) -> bool {
    !(arg.starts_with('-') || arg.starts_with("http://") || arg.starts_with("https://"))
}

/// `env::argv()` (§12): `--k=v`/`-k=v` → `k: "v"`; `--k v` → `k: "v"` unless `v` looks like an
/// option or a URL; a lone `--flag`/`-f` → `"true"`; a positional `p` → `p: "p"`.
pub fn argv(raw: &[String]) -> Value {
    let mut out = Map::new();
    let mut put = |k: &str, v: &str| {
        out.insert(Key(Value::str(k)), Value::str(v));
    };
    let mut i = 0;
    while i < raw.len() {
        let arg = raw[i].as_str();
        i += 1;
        let (double, body) = if let Some(rest) = arg.strip_prefix("--") {
            (true, rest)
        } else if let Some(rest) = arg.strip_prefix('-') {
            (false, rest)
        } else {
            put(arg, arg);
            continue;
        };
        if let Some((k, v)) = body.split_once('=') {
            if !k.is_empty() {
                put(k, v);
            }
            continue;
        }
        if body.trim().is_empty() {
            continue;
        }
        match raw.get(i) {
            Some(next) if double && is_value(next) => {
                put(body, next);
                i += 1;
            }
            _ => put(body, "true"),
        }
    }
    Value::map(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiwi_vm::format::to_display;
    use kiwi_vm::stdlib::HostEnv;

    fn call(name: &str, args: &[Value], host: &HostEnv) -> Option<KResult<Value>> {
        crate::call_plain(&PACKAGE, name, args, host)
    }

    fn parse(args: &[&str]) -> String {
        let raw: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        to_display(&argv(&raw))
    }

    #[test]
    fn argv_examples() {
        assert_eq!(parse(&["--port=80", "-v=1"]), r#"{"port": "80", "v": "1"}"#);
        assert_eq!(
            parse(&["--host", "example.org"]),
            r#"{"host": "example.org"}"#
        );
        assert_eq!(parse(&["--verbose"]), r#"{"verbose": "true"}"#);
        assert_eq!(parse(&["--a", "--b"]), r#"{"a": "true", "b": "true"}"#);
        assert_eq!(
            parse(&["--url", "http://x", "https://y"]),
            r#"{"url": "true", "http://x": "http://x", "https://y": "https://y"}"#
        );
        assert_eq!(
            parse(&["in.txt", "in.txt", "out"]),
            r#"{"in.txt": "in.txt", "out": "out"}"#
        );
        assert_eq!(parse(&["-n", "5"]), r#"{"n": "true", "5": "5"}"#);
        assert_eq!(parse(&["--k=a=b", "--", "-"]), r#"{"k": "a=b"}"#);
        assert_eq!(parse(&["--k", "-1"]), r#"{"k": "true", "1": "true"}"#);
    }

    #[test]
    fn args_and_opt() {
        let host = HostEnv {
            args: vec!["a".into(), "--x=1".into(), "a".into()],
            script_path: "s.kiwi".into(),
        };
        assert_eq!(
            to_display(&call("args", &[], &host).unwrap().unwrap()),
            r#"["a", "--x=1", "a"]"#
        );
        let got = call("opt", &[Value::str("x")], &host).unwrap().unwrap();
        assert!(matches!(got, Value::Str(s) if &*s == "1"));
        let got = call("opt", &[Value::str("zz")], &host).unwrap().unwrap();
        assert!(matches!(got, Value::Str(s) if s.is_empty()));
    }

    #[test]
    fn get_env() {
        let got = call("get", &[Value::str("PATH")], &HostEnv::default())
            .unwrap()
            .unwrap();
        assert!(matches!(got, Value::Str(_)));
        let got = call(
            "get",
            &[Value::str("KIWI_SURELY_UNSET_42")],
            &HostEnv::default(),
        );
        assert!(matches!(got, Some(Ok(Value::Str(s))) if s.is_empty()));
        let got = call("get", &[Value::str("A\0B")], &HostEnv::default());
        assert!(matches!(got, Some(Ok(Value::Str(s))) if s.is_empty()));
        let e = call("get", &[Value::Int(1)], &HostEnv::default())
            .unwrap()
            .unwrap_err();
        assert_eq!(e.error.as_ref(), "ParameterTypeMismatchError");
    }
}

//! The `regex` package (upstream's `docs/lib/regex.md`): each function is the string method of
//! the same meaning with the pattern first, as upstream's package is (`regex::scan(p, s)` is
//! `s.scan(p)`), so both behave alike. Patterns are the `regex` crate's syntax (no
//! look-around or backreferences in patterns); replacements take `$1` and `${name}`.

use kiwi_vm::error::KResult;
use kiwi_vm::methods::{self, check};
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::Value;

/// One `regex::name(pattern, text, rest...)` entry: the string method `method` of `text`.
macro_rules! via_method {
    ($name:literal, $arity:expr, $method:literal) => {
        NativeFn::pure($name, $arity, |a| {
            string_method(concat!("regex::", $name), $method, a)
        })
    };
}

/// The `regex` package.
pub const PACKAGE: Package = Package {
    name: "regex",
    functions: &[
        NativeFn::pure("test", Arity::exactly(2), |a| {
            let found = string_method("regex::test", "find", a)?;
            Ok(Value::Bool(matches!(found, Value::Str(s) if !s.is_empty())))
        }),
        via_method!("find", Arity::exactly(2), "find"),
        via_method!("match", Arity::exactly(2), "match"),
        via_method!("named_captures", Arity::exactly(2), "named_captures"),
        via_method!("scan", Arity::exactly(2), "scan"),
        via_method!("scan_groups", Arity::exactly(2), "scan_groups"),
        via_method!("replace", Arity::exactly(3), "rreplace"),
        NativeFn::pure("split", Arity::between(2, 3), |a| {
            // A negative limit (the default) is no limit.
            let args = match a.get(2) {
                Some(Value::Int(n)) if *n < 0 => &a[..2],
                _ => a,
            };
            string_method("regex::split", "rsplit", args)
        }),
        NativeFn::pure("escape", Arity::exactly(1), |a| {
            let text = check::str_arg("regex::escape", a, 0)?;
            Ok(Value::str(methods::pattern::escape(text)))
        }),
    ],
};

/// `text.method(pattern, rest...)` for `regex::name(pattern, text, rest...)`.
fn string_method(name: &str, method: &str, args: &[Value]) -> KResult<Value> {
    let pattern = check::str_arg(name, args, 0)?;
    let text = check::str_arg(name, args, 1)?;
    let mut call_args = vec![Value::Str(pattern.clone())];
    call_args.extend_from_slice(&args[2..]);
    crate::builtin_method(&Value::Str(text.clone()), method, &call_args, || {
        crate::undefined_method(method)
    })
}

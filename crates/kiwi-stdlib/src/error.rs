//! The `error` package: helpers over the `{"error": type, "message": msg}` hashmap of §6.2.

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::format;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::{loose_eq, Key, Map, Value};

/// `error::Name(message = default)`: an error hashmap of type `Name`.
macro_rules! constructor {
    ($name:literal, $default:literal) => {
        NativeFn::pure($name, Arity::between(0, 1), |a| {
            Ok(make(Value::str($name), or_default(a.first(), $default)))
        })
    };
}

/// The `error` package: the helpers, then a named constructor (with its default message)
/// for upstream's `lib/error.kiwi` errors and every runtime error type of §6.3.
pub const PACKAGE: Package = Package {
    name: "error",
    functions: &[
        NativeFn::pure("new", Arity::between(0, 2), |a| {
            Ok(make(
                or_default(a.first(), "Error"),
                or_default(a.get(1), "An error occurred."),
            ))
        }),
        NativeFn::pure("type_of", Arity::exactly(1), |a| Ok(field(&a[0], "error"))),
        NativeFn::pure("message_of", Arity::exactly(1), |a| {
            Ok(field(&a[0], "message"))
        }),
        NativeFn::pure("is_type", Arity::exactly(2), |a| {
            Ok(Value::Bool(loose_eq(&field(&a[0], "error"), &a[1])))
        }),
        NativeFn::pure("assert", Arity::between(1, 2), assert),
        NativeFn::pure("expect_type", Arity::between(2, 3), expect_type),
        NativeFn::pure("expect_not_null", Arity::between(1, 2), expect_not_null),
        constructor!("ArgumentError", "Invalid argument."),
        constructor!("AssertionError", "Assertion failed."),
        constructor!("IndexError", "Index out of bounds."),
        constructor!("IOError", "I/O error."),
        constructor!("KeyError", "Key not found."),
        constructor!("NetworkError", "Network error."),
        constructor!("NotFoundError", "Not found."),
        constructor!("NotImplementedError", "Not implemented."),
        constructor!("OverflowError", "Overflow."),
        constructor!("ParseError", "Parse error."),
        constructor!("PermissionError", "Permission denied."),
        constructor!("TimeoutError", "Operation timed out."),
        constructor!("TypeError", "Type error."),
        constructor!("ValueError", "Invalid value."),
        constructor!("InvalidRange", "Invalid range."),
        constructor!("InvalidOperation", "Invalid operation."),
        constructor!("SyntaxError", "An error occurred."),
        constructor!("VariableUndefinedError", "An error occurred."),
        constructor!("FunctionUndefinedError", "An error occurred."),
        constructor!("ParameterTypeMismatchError", "An error occurred."),
        constructor!("ParameterCountMismatchError", "An error occurred."),
        constructor!("ConversionError", "An error occurred."),
        constructor!("DivideByZeroError", "An error occurred."),
        constructor!("RangeError", "An error occurred."),
        constructor!("InvalidOperationError", "An error occurred."),
        constructor!("PackageUndefinedError", "An error occurred."),
        constructor!("RuntimeError", "An error occurred."),
        constructor!("SystemError", "An error occurred."),
        constructor!("KiwiError", "An error occurred."),
    ],
};

/// `error::expect_not_null(val, name = "value")` raises a `ValueError` when `val` is null.
fn expect_not_null(args: &[Value]) -> KResult<Value> {
    if !matches!(args[0], Value::Null) {
        return Ok(Value::Null);
    }
    let name = format::to_display(&or_default(args.get(1), "value"));
    Err(KiwiError::custom(
        "ValueError",
        format!("{name} must not be null."),
    ))
}

/// An argument, or `default` when it is missing or `null` (Kiwi default-parameter rules).
fn or_default(arg: Option<&Value>, default: &str) -> Value {
    match arg {
        None | Some(Value::Null) => Value::str(default),
        Some(v) => v.clone(),
    }
}

fn make(error: Value, message: Value) -> Value {
    let mut m = Map::new();
    m.insert(Key::from("error"), error);
    m.insert(Key::from("message"), message);
    Value::map(m)
}

/// `err[key]` if `err` is a hashmap with that key, else `err` printed as a string.
fn field(err: &Value, key: &str) -> Value {
    if let Value::Map(m) = err {
        if let Some(v) = m.borrow().get(&Key::from(key)) {
            return v.clone();
        }
    }
    Value::str(format::to_display(err))
}

/// `error::expect_type(val, expected_type, name = "value")` raises a `TypeError` when
/// `val.type()` is not `expected_type`.
fn expect_type(args: &[Value]) -> KResult<Value> {
    let actual = args[0].type_name();
    let expected = format::to_display(&args[1]);
    if actual == expected {
        return Ok(Value::Null);
    }
    let name = format::to_display(&or_default(args.get(2), "value"));
    Err(KiwiError::custom(
        "TypeError",
        format!("Expected {name} to be {expected}, got {actual}."),
    ))
}

/// `error::assert(cond, msg = "Assertion failed.")` raises an `AssertionError` when `cond` is
/// falsy.
fn assert(args: &[Value]) -> KResult<Value> {
    if args[0].truthy() {
        return Ok(Value::Null);
    }
    let msg = or_default(args.get(1), "Assertion failed.");
    Err(KiwiError::custom(
        "AssertionError",
        format::to_display(&msg),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> Option<KResult<Value>> {
        crate::call_plain(&PACKAGE, name, args, &Default::default())
    }

    fn shown(v: Option<KResult<Value>>) -> String {
        format::to_display(&v.expect("exists").expect("ok"))
    }

    #[test]
    fn constructors() {
        assert_eq!(
            shown(call("ValueError", &[Value::str("bad")])),
            r#"{"error": "ValueError", "message": "bad"}"#
        );
        assert_eq!(
            shown(call("KeyError", &[])),
            r#"{"error": "KeyError", "message": "Key not found."}"#
        );
        assert_eq!(
            shown(call("new", &[Value::str("NetErr"), Value::str("down")])),
            r#"{"error": "NetErr", "message": "down"}"#
        );
        assert_eq!(
            shown(call("new", &[])),
            r#"{"error": "Error", "message": "An error occurred."}"#
        );
        assert!(call("DivideByZeroError", &[Value::str("x")]).is_some());
        assert!(call("Nonsense", &[]).is_none());
    }

    #[test]
    fn inspectors() {
        let e = call("TimeoutError", &[Value::str("slow")])
            .unwrap()
            .unwrap();
        assert_eq!(
            shown(call("type_of", std::slice::from_ref(&e))),
            "TimeoutError"
        );
        assert_eq!(shown(call("message_of", std::slice::from_ref(&e))), "slow");
        assert_eq!(
            shown(call("is_type", &[e, Value::str("TimeoutError")])),
            "true"
        );
        assert_eq!(shown(call("type_of", &[Value::str("boom")])), "boom");
        let err = call("assert", &[Value::Bool(false), Value::str("no")])
            .unwrap()
            .unwrap_err();
        assert_eq!(
            (err.error.as_ref(), err.message.as_ref()),
            ("AssertionError", "no")
        );
        assert!(matches!(
            call("assert", &[Value::Int(1)]),
            Some(Ok(Value::Null))
        ));
    }
}

//! The `error` package: helpers over the `{"error": type, "message": msg}` hashmap of §6.2.

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::format;
use kiwi_vm::methods::check::{arity, arity_range};
use kiwi_vm::value::{loose_eq, Key, Map, Value};

/// Named constructors and their default messages: upstream's `lib/error.kiwi` ones plus every
/// runtime error type of §6.3.
const CONSTRUCTORS: &[(&str, &str)] = &[
    ("ArgumentError", "Invalid argument."),
    ("AssertionError", "Assertion failed."),
    ("IndexError", "Index out of bounds."),
    ("IOError", "I/O error."),
    ("KeyError", "Key not found."),
    ("NetworkError", "Network error."),
    ("NotFoundError", "Not found."),
    ("NotImplementedError", "Not implemented."),
    ("OverflowError", "Overflow."),
    ("ParseError", "Parse error."),
    ("PermissionError", "Permission denied."),
    ("TimeoutError", "Operation timed out."),
    ("TypeError", "Type error."),
    ("ValueError", "Invalid value."),
    ("InvalidRange", "Invalid range."),
    ("InvalidOperation", "Invalid operation."),
    ("SyntaxError", "An error occurred."),
    ("VariableUndefinedError", "An error occurred."),
    ("FunctionUndefinedError", "An error occurred."),
    ("ParameterTypeMismatchError", "An error occurred."),
    ("ParameterCountMismatchError", "An error occurred."),
    ("ConversionError", "An error occurred."),
    ("DivideByZeroError", "An error occurred."),
    ("RangeError", "An error occurred."),
    ("InvalidOperationError", "An error occurred."),
    ("PackageUndefinedError", "An error occurred."),
    ("RuntimeError", "An error occurred."),
    ("SystemError", "An error occurred."),
    ("KiwiError", "An error occurred."),
];

/// Dispatches `error::<name>`.
pub fn call(name: &str, args: &[Value]) -> Option<KResult<Value>> {
    Some(match name {
        "new" => arity_range("error::new", args, 0, 2).map(|()| {
            make(
                or_default(args.first(), "Error"),
                or_default(args.get(1), "An error occurred."),
            )
        }),
        "type_of" => arity("error::type_of", args, 1).map(|()| field(&args[0], "error")),
        "message_of" => arity("error::message_of", args, 1).map(|()| field(&args[0], "message")),
        "is_type" => arity("error::is_type", args, 2)
            .map(|()| Value::Bool(loose_eq(&field(&args[0], "error"), &args[1]))),
        "assert" => assert(args),
        "expect_type" => expect_type(args),
        "expect_not_null" => arity_range("error::expect_not_null", args, 1, 2).and_then(|()| {
            if !matches!(args[0], Value::Null) {
                return Ok(Value::Null);
            }
            let name = format::to_display(&or_default(args.get(1), "value"));
            Err(KiwiError::custom(
                "ValueError",
                format!("{name} must not be null."),
            ))
        }),
        _ => {
            let (ty, default) = CONSTRUCTORS.iter().find(|(n, _)| *n == name)?;
            let full = format!("error::{name}");
            arity_range(&full, args, 0, 1)
                .map(|()| make(Value::str(*ty), or_default(args.first(), default)))
        }
    })
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
    arity_range("error::expect_type", args, 2, 3)?;
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
    arity_range("error::assert", args, 1, 2)?;
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

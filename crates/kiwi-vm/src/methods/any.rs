//! Methods every value has: `type`, `is_a`, `to_string`, `truthy`, `clone`, `empty`, `pretty`.

use crate::error::KResult;
use crate::format;
use crate::value::Value;

use super::check::{self, arity, arity_range, invalid};
use super::number;

/// Dispatches an any-value method; `None` if `name` is not one.
pub fn call(recv: &Value, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    Some(match name {
        "to_string" => to_string(recv, args),
        "type" => arity("type", args, 0).map(|()| crate::object::type_of(recv)),
        "empty" => empty(recv, args),
        "is_a" => is_a(recv, args),
        "truthy" => arity("truthy", args, 0).map(|()| Value::Bool(recv.truthy())),
        "clone" => arity("clone", args, 0).map(|()| recv.deep_copy()),
        "pretty" => arity("pretty", args, 0).and_then(|()| {
            format::pretty(recv).map(Value::str).ok_or_else(|| {
                invalid("pretty: the value contains itself, so it cannot be written out")
            })
        }),
        _ => return None,
    })
}

/// The plain `to_string()` text: bytes decode as UTF-8, everything else prints as §8.
pub fn display(recv: &Value) -> Value {
    match recv {
        Value::Str(_) => recv.clone(),
        Value::Bytes(b) => Value::str(String::from_utf8_lossy(&b.borrow())),
        _ => Value::str(format::to_display(recv)),
    }
}

/// `to_string()` / `to_string(fmt)`.
pub fn to_string(recv: &Value, args: &[Value]) -> KResult<Value> {
    arity_range("to_string", args, 0, 1)?;
    if args.is_empty() {
        return Ok(display(recv));
    }
    let fmt = check::str_arg("to_string", args, 0)?.trim();
    if fmt.is_empty() {
        return Ok(display(recv));
    }
    if number::is_numeric_format(fmt) {
        return number::format_numeric(recv, fmt);
    }
    Err(invalid(format!(
        "Unable to format type: {}",
        recv.type_name()
    )))
}

/// `empty()` is true for zero-like values; `empty(default)` returns `default` if so.
fn empty(recv: &Value, args: &[Value]) -> KResult<Value> {
    arity_range("empty", args, 0, 1)?;
    let is_empty = match recv {
        Value::Func(_) | Value::Channel(_) | Value::Package(_) => {
            return Err(invalid("Type cannot be empty."))
        }
        other => !other.truthy(),
    };
    Ok(match args.first() {
        None => Value::Bool(is_empty),
        Some(default) if is_empty => default.clone(),
        Some(_) => recv.clone(),
    })
}

/// `is_a(typename)`: `null` answers to both "null" and "none"; a channel also to "object".
fn is_a(recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("is_a", args, 1)?;
    // A struct names no core type: a plain value is never one (instances answer elsewhere).
    if matches!(args[0], Value::Obj(_)) {
        return Ok(Value::Bool(false));
    }
    let t = check::str_arg("is_a", args, 0)?;
    let t: &str = t;
    let yes = match recv {
        Value::Null => t == "null" || t == "none",
        Value::Channel(_) => t == "Channel" || t == "object",
        Value::Package(_) => false,
        other => other.type_name() == t,
    };
    Ok(Value::Bool(yes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(v: Option<KResult<Value>>) -> bool {
        match v {
            Some(Ok(Value::Bool(b))) => b,
            _ => panic!("not a boolean"),
        }
    }

    #[test]
    fn types_and_is_a() {
        assert!(
            matches!(call(&Value::Int(1), "type", &[]), Some(Ok(Value::Str(s))) if &*s == "integer")
        );
        assert!(b(call(&Value::Null, "is_a", &[Value::str("none")])));
        assert!(b(call(&Value::Null, "is_a", &[Value::str("null")])));
        assert!(b(call(&Value::list(vec![]), "is_a", &[Value::str("list")])));
        assert!(!b(call(&Value::Int(1), "is_a", &[Value::str("float")])));
        let e = call(&Value::Int(1), "is_a", &[Value::Int(1)])
            .unwrap()
            .unwrap_err();
        assert_eq!(e.error.as_ref(), "ParameterTypeMismatchError");
        assert!(call(&Value::Int(1), "nope", &[]).is_none());
    }

    #[test]
    fn empty_and_default() {
        for v in [
            Value::Int(0),
            Value::Float(0.0),
            Value::str(""),
            Value::Null,
            Value::Bool(false),
            Value::list(vec![]),
            Value::bytes(vec![]),
        ] {
            assert!(b(call(&v, "empty", &[])));
        }
        assert!(!b(call(&Value::Int(3), "empty", &[])));
        let got = call(&Value::str(""), "empty", &[Value::Int(9)])
            .unwrap()
            .unwrap();
        assert!(matches!(got, Value::Int(9)));
        let got = call(&Value::Int(4), "empty", &[Value::Int(9)])
            .unwrap()
            .unwrap();
        assert!(matches!(got, Value::Int(4)));
        let e = call(&Value::Package(std::rc::Rc::new("m".into())), "empty", &[])
            .unwrap()
            .unwrap_err();
        assert_eq!(e.message.as_ref(), "Type cannot be empty.");
    }

    #[test]
    fn clone_is_deep_and_truthy() {
        let inner = Value::list(vec![Value::Int(1)]);
        let outer = Value::list(vec![inner.clone()]);
        let copy = call(&outer, "clone", &[]).unwrap().unwrap();
        if let Value::List(l) = &inner {
            l.borrow_mut().push(Value::Int(2));
        }
        match copy {
            Value::List(c) => match &c.borrow()[0] {
                Value::List(i) => assert_eq!(i.borrow().len(), 1),
                _ => panic!(),
            },
            _ => panic!(),
        }
        assert!(b(call(&Value::str("x"), "truthy", &[])));
    }

    #[test]
    fn to_string_formats() {
        let s = |v: &Value, args: &[Value]| match to_string(v, args) {
            Ok(Value::Str(s)) => s.to_string(),
            Ok(_) => panic!("not a string"),
            Err(e) => format!("{e}"),
        };
        assert_eq!(s(&Value::str("hi"), &[]), "hi");
        assert_eq!(s(&Value::bytes(b"hi\xff".to_vec()), &[]), "hi\u{fffd}");
        assert_eq!(s(&Value::Int(255), &[Value::str(" x ")]), "ff");
        assert_eq!(
            s(&Value::str("a"), &[Value::str("x")]),
            "[InvalidOperationError]: Expected an integer or float."
        );
        assert_eq!(
            s(&Value::str("a"), &[Value::str("q")]),
            "[InvalidOperationError]: Unable to format type: string"
        );
        assert_eq!(s(&Value::str("a"), &[Value::str("")]), "a");
    }
}

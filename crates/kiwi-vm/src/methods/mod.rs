//! Builtin methods (§9): `value.method(args)` for strings, lists, hashmaps, bytes, numbers and
//! every value.
//!
//! Methods that call back into Kiwi (`map`, `filter`, `each`, `all`, `none`, `reduce`,
//! `sort(f)`, lambda `call`) and channel methods belong to the VM; [`call_method`] returns
//! `None` for them. Like upstream, a known method name used on the wrong kind of value raises
//! that method's own error (`5.keys()` is `InvalidOperationError` "Expected a hashmap."), and
//! only names no builtin has come back as `None`.

mod any;
mod bytes;
pub mod check;
mod convert;
mod date;
mod fixed;
mod list;
mod map;
mod number;
pub mod pattern;
#[cfg(test)]
mod robust;
mod string;

use crate::error::{ErrorType, KResult, KiwiError};
use crate::value::Value;

use check::{arity, invalid, type_error};

/// Calls builtin method `name` on `recv`. `None` means no such builtin (the VM then raises
/// `FunctionUndefinedError`) or one the VM runs itself.
pub fn call_method(recv: &Value, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    // The most frequent calls of all go first: `list.push(x)`, and the prelude's uncopied
    // push that `map` and `filter` make for every element.
    if let (Value::List(l), [item]) = (recv, args) {
        if push_named(l, name, item) {
            return Some(Ok(recv.clone()));
        }
    }
    call_method_general(recv, name, args)
}

/// `list.push(item)` (a copy of `item`) or the prelude's uncopied `__push`, by `name`;
/// `false` (nothing done) for any other name.
#[inline(always)]
fn push_named(l: &list::List, name: &str, item: &Value) -> bool {
    match name {
        "push" => list::push_copy(l, item),
        "__push" => l.borrow_mut().push(item.clone()),
        _ => return false,
    }
    true
}

/// `list.push(item)` (or the prelude's uncopied `__push`, named by `name`) as a statement,
/// its result (the list) unused: pushes without making that result. `Some(bulky)` when
/// `recv` is a list and `name` one of the two, `bulky` telling whether copying the item may
/// have taken long; `None` (nothing done) otherwise.
pub fn push_unreturned(recv: &Value, name: &str, item: &Value) -> Option<bool> {
    let Value::List(l) = recv else {
        return None;
    };
    push_named(l, name, item).then(|| name == "push" && item.is_bulky())
}

/// [`call_method`] past its fast path.
fn call_method_general(recv: &Value, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    if is_vm_method(name, args) {
        // The VM runs these on lists and lambdas; elsewhere they fail as upstream's do.
        return match recv {
            Value::List(_) | Value::Func(_) => None,
            _ if name == "call" => None,
            _ => Some(Err(invalid(
                "Expected a list for specialized list builtin.",
            ))),
        };
    }
    let own = match recv {
        Value::Str(s) => string::call(s, recv, name, args),
        Value::List(l) => list::call(l, recv, name, args),
        Value::Map(m) => map::call(m, recv, name, args),
        Value::Bytes(b) => bytes::call(b, recv, name, args),
        Value::Int(_) | Value::Float(_) => number::call(recv, name, args),
        Value::Channel(_) if is_channel_method(name) => return None,
        Value::Obj(o) => crate::object::call(o, name, args),
        Value::Date(ms) => date::call(*ms, name, args),
        _ => None,
    };
    if name == "to_date" && matches!(recv, Value::Str(_) | Value::Int(_)) {
        return Some(date::to_date(recv, args));
    }
    own.or_else(|| any::call(recv, name, args))
        .or_else(|| wrong_receiver(recv, name, args))
}

/// Whether builtin method `name` of `recv` with `args` does a bounded amount of work whatever
/// the size of its receiver, though it may return the receiver or a large element (`push`,
/// `get`, a hashmap's `remove`):
/// after it the VM need not read the clock to see whether the task has run too long (see
/// `Value::is_bulky`). The methods that store a copy of their argument count only while that
/// argument is not bulky itself.
#[inline(never)]
pub fn takes_constant_time(recv: &Value, name: &str, args: &[Value]) -> bool {
    match name {
        "push" | "append" | "enqueue" | "set" => !args.iter().any(Value::is_bulky),
        "pop" | "get" | "first" | "last" | "size" | "length" | "has_key" => true,
        // A list's `remove` shifts what follows; a hashmap's leaves a tombstone.
        "remove" => matches!(recv, Value::Map(_)),
        _ => false,
    }
}

/// Higher-order methods, which the VM runs because they call Kiwi functions.
fn is_vm_method(name: &str, args: &[Value]) -> bool {
    match name {
        "map" | "filter" | "each" | "all" | "none" | "reduce" | "call" => true,
        "sort" => !args.is_empty(),
        _ => false,
    }
}

fn is_channel_method(name: &str) -> bool {
    matches!(name, "send" | "recv" | "try_recv" | "close" | "closed")
}

/// The error upstream raises when a builtin method meets a receiver it does not support.
fn wrong_receiver(recv: &Value, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    let fixed = |n: usize, e: KiwiError| Some(arity(name, args, n).and(Err(e)));
    let err = |e: KiwiError| Some(Err(e));
    match name {
        "size" | "length" => fixed(0, invalid("Expected a string, list, hashmap, or bytes.")),
        "keys" | "values" => fixed(0, invalid("Expected a hashmap.")),
        "has_key" | "merge" => fixed(1, type_error("a hashmap", recv)),
        "split" | "rsplit" | "rreplace" | "lines" | "trim" | "ltrim" | "rtrim" | "chomp"
        | "begins_with" | "ends_with" | "substring" | "uppercase" | "lowercase" | "chars"
        | "ord" | "hex_bytes" => err(type_error("a string", recv)),
        "join" | "insert" | "unshift" | "shift" | "dequeue" | "enqueue" | "zip" | "flatten"
        | "unique" | "rotate" => err(type_error("a list", recv)),
        "sum" | "min" | "max" | "skip" | "take" | "sort" => {
            err(invalid("Expected a list for specialized list builtin."))
        }
        "push" | "append" | "pop" => err(invalid("Expected a list or bytes.")),
        "to_hex" => err(invalid("Expected a list or bytes.")),
        "clear" => fixed(0, invalid("Expected a string, list, hashmap, or bytes.")),
        "remove" | "get" | "set" => err(invalid("Expected a list or hashmap.")),
        "remove_at" | "reverse" | "slice" | "to_list" => {
            err(invalid("Expected a string, list, or bytes."))
        }
        "contains" | "index" | "lastindex" | "count" | "concat" => {
            err(invalid("Expected a string or list."))
        }
        "replace" => err(invalid("Expected a string or a list.")),
        "to_bytes" => err(invalid(
            "Expected a string or list of strings to convert to bytes.",
        )),
        "to_integer" => err(KiwiError::new(
            ErrorType::ConversionError,
            "Cannot convert non-numeric value to an integer.",
        )),
        "to_float" => err(KiwiError::new(
            ErrorType::ConversionError,
            "Cannot convert non-numeric value to a float.",
        )),
        "between" => err(invalid(format!(
            "Invalid type for `between`: {}",
            recv.type_name()
        ))),
        "clamp" => err(invalid("Expected an integer or float.")),
        "swap" => err(KiwiError::new(
            ErrorType::TypeError,
            format!(
                "Expected a list or bytes, but instead received `{}`.",
                recv.dotnet_type_name()
            ),
        )),
        // Upstream answers `first`/`last` with null for anything that has no elements.
        "first" | "last" => Some(arity(name, args, 0).map(|()| Value::Null)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bounded_work_skips_the_clock_after_a_bulky_result() {
        let small = Value::list(vec![Value::Int(1)]);
        let bulky = Value::list(vec![Value::Int(1); 5000]);
        assert!(bulky.is_bulky() && !small.is_bulky());
        let map = Value::Map(Default::default());
        assert!(takes_constant_time(
            &bulky,
            "push",
            std::slice::from_ref(&small)
        ));
        assert!(takes_constant_time(&bulky, "get", &[Value::Int(3)]));
        assert!(takes_constant_time(&map, "remove", &[Value::Int(3)]));
        assert!(!takes_constant_time(&bulky, "remove", &[Value::Int(3)]));
        // Storing a copy of a bulky argument is work of its own.
        assert!(!takes_constant_time(
            &bulky,
            "push",
            std::slice::from_ref(&bulky)
        ));
        assert!(!takes_constant_time(
            &map,
            "set",
            &[Value::Int(0), bulky.clone()]
        ));
        for slow in [
            "sort", "join", "keys", "split", "concat", "reverse", "contains",
        ] {
            assert!(!takes_constant_time(&bulky, slow, &[]), "{slow}");
        }
    }

    fn err(recv: Value, name: &str, args: &[Value]) -> (String, String) {
        let e = call_method(&recv, name, args)
            .expect("handled")
            .expect_err("an error");
        (e.error.to_string(), e.message.to_string())
    }

    #[test]
    fn unknown_and_vm_methods_are_none() {
        assert!(call_method(&Value::Int(1), "frobnicate", &[]).is_none());
        let l = Value::list(vec![]);
        for m in ["map", "filter", "each", "all", "none", "reduce", "call"] {
            assert!(call_method(&l, m, &[Value::Null]).is_none(), "{m}");
        }
        assert!(call_method(&l, "sort", &[Value::Null]).is_none());
        assert!(call_method(&l, "sort", &[]).is_some());
        assert_eq!(
            err(Value::Int(1), "map", &[Value::Null]),
            (
                "InvalidOperationError".into(),
                "Expected a list for specialized list builtin.".into()
            )
        );
        assert!(call_method(&Value::Int(1), "call", &[]).is_none());
    }

    #[test]
    fn wrong_receivers_raise_upstream_errors() {
        assert_eq!(
            err(Value::Int(5), "keys", &[]),
            ("InvalidOperationError".into(), "Expected a hashmap.".into())
        );
        assert_eq!(
            err(Value::list(vec![]), "values", &[]),
            ("InvalidOperationError".into(), "Expected a hashmap.".into())
        );
        assert_eq!(
            err(Value::Int(5), "has_key", &[Value::Int(1)]),
            (
                "TypeError".into(),
                "Expected a hashmap but instead received `Integer`".into()
            )
        );
        assert_eq!(
            err(Value::Null, "size", &[]),
            (
                "InvalidOperationError".into(),
                "Expected a string, list, hashmap, or bytes.".into()
            )
        );
        assert_eq!(
            err(Value::Int(1), "split", &[Value::str(",")]).0,
            "TypeError"
        );
        assert_eq!(
            err(Value::Int(1), "to_bytes", &[]).0,
            "InvalidOperationError"
        );
        assert_eq!(
            err(Value::Bool(true), "to_integer", &[]).0,
            "ConversionError"
        );
        assert!(matches!(
            call_method(&Value::Int(1), "first", &[]),
            Some(Ok(Value::Null))
        ));
    }

    #[test]
    fn any_methods_reach_every_type() {
        let t = |v: Value| match call_method(&v, "type", &[]) {
            Some(Ok(Value::Str(s))) => s.to_string(),
            _ => panic!("no type"),
        };
        assert_eq!(t(Value::str("x")), "string");
        assert_eq!(t(Value::list(vec![])), "list");
        assert_eq!(t(Value::bytes(vec![])), "bytes");
        assert_eq!(t(Value::Float(1.0)), "float");
        assert_eq!(t(Value::Null), "null");
        assert!(matches!(
            call_method(&Value::Int(12), "to_string", &[]),
            Some(Ok(Value::Str(s))) if &*s == "12"
        ));
    }
}

//! Every method name on every kind of receiver with many argument shapes: nothing may panic.

use super::call_method;
use crate::value::{Key, Map, Value};

const NAMES: &[&str] = &[
    "size",
    "length",
    "to_string",
    "type",
    "is_a",
    "truthy",
    "clone",
    "empty",
    "to_bytes",
    "to_integer",
    "to_float",
    "split",
    "rsplit",
    "lines",
    "trim",
    "ltrim",
    "rtrim",
    "chomp",
    "contains",
    "begins_with",
    "ends_with",
    "index",
    "lastindex",
    "substring",
    "replace",
    "rreplace",
    "lowercase",
    "uppercase",
    "chars",
    "to_list",
    "reverse",
    "count",
    "ord",
    "hex_bytes",
    "clear",
    "slice",
    "concat",
    "remove_at",
    "between",
    "first",
    "last",
    "push",
    "append",
    "enqueue",
    "pop",
    "shift",
    "dequeue",
    "unshift",
    "insert",
    "remove",
    "set",
    "get",
    "join",
    "sort",
    "min",
    "max",
    "sum",
    "unique",
    "flatten",
    "zip",
    "skip",
    "take",
    "to_hex",
    "swap",
    "rotate",
    "keys",
    "values",
    "has_key",
    "merge",
    "clamp",
    "send",
    "nope",
];

fn samples() -> Vec<Value> {
    let mut m = Map::new();
    m.insert(Key::from("a"), Value::Int(1));
    vec![
        Value::Null,
        Value::Bool(true),
        Value::Int(0),
        Value::Int(-1),
        Value::Int(2),
        Value::Int(i64::MAX),
        Value::Int(i64::MIN),
        Value::Float(1.5),
        Value::Float(f64::NAN),
        Value::Float(-1e300),
        Value::str(""),
        Value::str("héllo, wörld"),
        Value::str("("),
        Value::list(vec![]),
        Value::list(vec![
            Value::Int(1),
            Value::str("a"),
            Value::list(vec![Value::Float(2.0)]),
        ]),
        Value::map(Map::new()),
        Value::map(m),
        Value::bytes(vec![]),
        Value::bytes(vec![1, 255]),
        Value::Package(std::rc::Rc::new("pkg".into())),
    ]
}

#[test]
fn no_input_panics() {
    let values = samples();
    for name in NAMES {
        for recv in &values {
            // Receivers are deep-copied so mutations never leak between calls.
            let fresh = || recv.deep_copy();
            let _ = call_method(&fresh(), name, &[]);
            for a in &values {
                let _ = call_method(&fresh(), name, std::slice::from_ref(a));
                for b in &values {
                    let _ = call_method(&fresh(), name, &[a.clone(), b.clone()]);
                }
            }
            let r = fresh();
            let _ = call_method(&r, name, std::slice::from_ref(&r));
            let _ = call_method(&r, name, &[r.clone(), r.clone()]);
            let _ = call_method(&r, name, &[Value::Int(0), r.clone()]);
        }
    }
}

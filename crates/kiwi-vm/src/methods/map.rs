//! Hashmap methods. Keys are type-strict and iteration follows insertion order, also after a
//! `remove` (the rest keep their order).

use std::cell::RefCell;
use std::rc::Rc;

use crate::error::KResult;
use crate::value::{Key, KeyRef, Map, Value};

use super::any;
use super::check::{self, arity, arity_range, invalid};

type MapRef = Rc<RefCell<Map>>;

/// Dispatches a hashmap method; `None` if hashmaps have no method `name`.
pub fn call(m: &MapRef, recv: &Value, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    Some(match name {
        "size" | "length" => arity(name, args, 0)
            .map(|()| Value::Int(i64::try_from(m.borrow().len()).unwrap_or(i64::MAX))),
        "has_key" => arity("has_key", args, 1)
            .map(|()| Value::Bool(m.borrow().contains_key(&KeyRef(&args[0])))),
        "get" => arity_range("get", args, 1, 2).map(|()| {
            let found = m.borrow().get(&KeyRef(&args[0])).cloned();
            found.unwrap_or_else(|| args.get(1).cloned().unwrap_or_default())
        }),
        "keys" => arity("keys", args, 0)
            .map(|()| Value::list(m.borrow().keys().map(|k| k.0.clone()).collect())),
        "values" => {
            arity("values", args, 0).map(|()| Value::list(m.borrow().values().cloned().collect()))
        }
        "set" => set(m, recv, args),
        "remove" => arity("remove", args, 1).map(|()| {
            with_map(m, |map| map.shift_remove(&KeyRef(&args[0])));
            recv.clone()
        }),
        "merge" => merge(m, recv, args),
        "contains" => Err(invalid("Expected a string or list.")),
        "clear" => arity("clear", args, 0).map(|()| {
            m.borrow_mut().clear();
            recv.clone()
        }),
        "to_string" => any::to_string(recv, args),
        _ => return None,
    })
}

/// `set(k, v)`: stores a deep copy of `v` (unlike `h[k] = v`) and returns the map.
fn set(m: &MapRef, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("set", args, 2)?;
    let value = args[1].deep_copy();
    with_map(m, |map| map.insert(Key(args[0].clone()), value));
    Ok(recv.clone())
}

/// Runs `f` on the map moved out of its cell. A key that contains this very map (`h.set(h, 1)`)
/// must be hashed and compared during the update; it then sees an empty map instead of
/// hitting a `RefCell` borrow conflict.
fn with_map<R>(m: &MapRef, f: impl FnOnce(&mut Map) -> R) -> R {
    let mut map = std::mem::take(&mut *m.borrow_mut());
    let out = f(&mut map);
    *m.borrow_mut() = map;
    out
}

/// `merge(other)`: copies every pair of `other` in; existing keys keep their position.
fn merge(m: &MapRef, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("merge", args, 1)?;
    let Value::Map(other) = &args[0] else {
        return Err(check::expected("merge", 0, "Hashmap", &args[0]));
    };
    if Rc::ptr_eq(m, other) {
        return Ok(recv.clone());
    }
    let pairs: Vec<(Key, Value)> = other
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    with_map(m, |map| map.extend(pairs));
    Ok(recv.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_of(pairs: &[(&str, i64)]) -> Value {
        Value::map(
            pairs
                .iter()
                .map(|&(k, v)| (Key::from(k), Value::Int(v)))
                .collect(),
        )
    }

    fn run(v: &Value, name: &str, args: &[Value]) -> KResult<Value> {
        let Value::Map(m) = v else { unreachable!() };
        call(m, v, name, args).expect("method exists")
    }

    fn keys(v: &Value) -> Vec<String> {
        match run(v, "keys", &[]) {
            Ok(Value::List(l)) => l
                .borrow()
                .iter()
                .map(|k| match k {
                    Value::Str(s) => s.to_string(),
                    _ => "?".into(),
                })
                .collect(),
            _ => panic!("keys failed"),
        }
    }

    #[test]
    fn keys_keep_order_after_remove() {
        let h = map_of(&[("a", 1), ("b", 2), ("c", 3)]);
        run(&h, "remove", &[Value::str("a")]).unwrap();
        run(&h, "set", &[Value::str("a"), Value::Int(4)]).unwrap();
        assert_eq!(keys(&h), ["b", "c", "a"]);
    }

    #[test]
    fn merge_overwrites_in_place() {
        let h = map_of(&[("a", 1), ("b", 2)]);
        let other = map_of(&[("b", 20), ("c", 30)]);
        let r = run(&h, "merge", &[other]).unwrap();
        assert!(matches!((&r, &h), (Value::Map(x), Value::Map(y)) if Rc::ptr_eq(x, y)));
        assert_eq!(keys(&h), ["a", "b", "c"]);
        assert!(matches!(
            run(&h, "get", &[Value::str("b")]),
            Ok(Value::Int(20))
        ));
        run(&h, "merge", std::slice::from_ref(&h)).unwrap();
        assert_eq!(keys(&h), ["a", "b", "c"]);
        let e = run(&h, "merge", &[Value::Int(1)]).unwrap_err();
        assert_eq!(e.error.as_ref(), "ParameterTypeMismatchError");
    }

    #[test]
    fn lookups_are_type_strict() {
        let h = Value::map(Map::new());
        run(&h, "set", &[Value::Int(1), Value::str("int")]).unwrap();
        assert!(matches!(
            run(&h, "has_key", &[Value::Int(1)]),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(
            run(&h, "has_key", &[Value::Float(1.0)]),
            Ok(Value::Bool(false))
        ));
        assert!(matches!(
            run(&h, "get", &[Value::str("1")]),
            Ok(Value::Null)
        ));
        assert!(matches!(
            run(&h, "get", &[Value::str("1"), Value::Int(0)]),
            Ok(Value::Int(0))
        ));
        let e = run(&h, "contains", &[Value::Int(1)]).unwrap_err();
        assert_eq!(e.error.as_ref(), "InvalidOperationError");
    }

    #[test]
    fn set_deep_copies_and_self_alias() {
        let h = Value::map(Map::new());
        let inner = Value::list(vec![]);
        run(&h, "set", &[Value::str("l"), inner.clone()]).unwrap();
        if let Value::List(l) = &inner {
            l.borrow_mut().push(Value::Int(1));
        }
        assert!(
            matches!(run(&h, "get", &[Value::str("l")]), Ok(Value::List(l)) if l.borrow().is_empty())
        );
        run(&h, "set", &[Value::str("me"), h.clone()]).unwrap();
        assert!(matches!(run(&h, "size", &[]), Ok(Value::Int(2))));
        // A key that is the map itself must not hit a borrow conflict.
        run(&h, "set", &[h.clone(), Value::Int(1)]).unwrap();
        run(&h, "remove", std::slice::from_ref(&h)).unwrap();
        assert!(matches!(
            run(&h, "has_key", std::slice::from_ref(&h)),
            Ok(Value::Bool(_))
        ));
        assert!(matches!(run(&h, "values", &[]), Ok(Value::List(l)) if l.borrow().len() == 2));
    }
}

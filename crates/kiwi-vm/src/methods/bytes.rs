//! Bytes methods. `push`, `pop`, `set` and `clear` mutate in place; `concat`, `reverse` and
//! `remove_at` return new bytes.

use std::cell::RefCell;
use std::fmt::Write;
use std::rc::Rc;

use crate::error::{ErrorType, KResult, KiwiError};
use crate::value::Value;

use super::any;
use super::check::{self, arity, arity_range, index_error, invalid};

type Bytes = Rc<RefCell<Vec<u8>>>;

/// Dispatches a bytes method; `None` if bytes have no method `name`.
pub fn call(b: &Bytes, recv: &Value, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    Some(match name {
        "size" | "length" => arity(name, args, 0).map(|()| int(b.borrow().len())),
        "to_string" => any::to_string(recv, args),
        "first" => arity("first", args, 0).map(|()| byte_or_null(b.borrow().first())),
        "last" => arity("last", args, 0).map(|()| byte_or_null(b.borrow().last())),
        "to_list" => arity("to_list", args, 0).map(|()| ints(&b.borrow())),
        "to_hex" => to_hex(b, args),
        "concat" => concat(b, args),
        "push" | "append" => push(b, recv, name, args),
        "pop" => arity("pop", args, 0).map(|()| byte_or_null(b.borrow_mut().pop().as_ref())),
        "set" => set(b, recv, args),
        "get" => get(b, args),
        "contains" => contains(b, args),
        "count" => arity("count", args, 1)
            .and_then(|()| check::byte_arg(args, 0))
            .map(|x| int(b.borrow().iter().filter(|&&y| y == x).count())),
        "reverse" => arity("reverse", args, 0)
            .map(|()| Value::bytes(b.borrow().iter().rev().copied().collect())),
        "remove_at" => remove_at(b, args),
        "slice" => {
            check::slice_bounds(args, b.borrow().len()).map(|(x, y)| ints(&b.borrow()[x..y]))
        }
        "to_bytes" => arity("to_bytes", args, 0).map(|()| recv.clone()),
        "clear" => arity("clear", args, 0).map(|()| {
            b.borrow_mut().clear();
            recv.clone()
        }),
        "swap" => swap(b, recv, args),
        _ => return None,
    })
}

fn int(n: usize) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn byte_or_null(b: Option<&u8>) -> Value {
    b.map_or(Value::Null, |&b| Value::Int(i64::from(b)))
}

fn ints(data: &[u8]) -> Value {
    Value::list(data.iter().map(|&b| Value::Int(i64::from(b))).collect())
}

/// Lowercase hex, each byte zero-padded to `width` digits.
pub fn hex(data: &[u8], width: usize) -> String {
    let mut out = String::with_capacity(data.len() * width);
    for b in data {
        // Writing into a String cannot fail.
        let _ = write!(out, "{b:0width$x}");
    }
    out
}

fn to_hex(b: &Bytes, args: &[Value]) -> KResult<Value> {
    arity_range("to_hex", args, 0, 1)?;
    let data = b.borrow();
    if data.is_empty() {
        return Err(invalid("Cannot convert empty bytes to hex."));
    }
    let width = check::hex_width(args)?;
    Ok(Value::str(hex(&data, width)))
}

/// `concat(b2, …)`: new bytes; every argument must be bytes.
fn concat(b: &Bytes, args: &[Value]) -> KResult<Value> {
    if args.is_empty() {
        return Err(check::count_error("concat"));
    }
    let mut out = b.borrow().clone();
    for a in args {
        match a {
            Value::Bytes(more) => out.extend_from_slice(&more.borrow()),
            other => {
                return Err(invalid(format!(
                    "Expected bytes when concatenating bytes, but instead received `{}`.",
                    other.dotnet_type_name()
                )))
            }
        }
    }
    Ok(Value::bytes(out))
}

/// `push(byte)` / `append(byte or bytes)`: grows the bytes in place.
fn push(b: &Bytes, recv: &Value, name: &str, args: &[Value]) -> KResult<Value> {
    arity(name, args, 1)?;
    if let (Value::Bytes(more), "append") = (&args[0], name) {
        // `b.append(b)` doubles it; the copy keeps the borrow rules.
        let more = more.borrow().clone();
        b.borrow_mut().extend_from_slice(&more);
        return Ok(recv.clone());
    }
    let x = check::byte_arg(args, 0)?;
    b.borrow_mut().push(x);
    Ok(recv.clone())
}

fn set(b: &Bytes, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("set", args, 2)?;
    let i = check::int_arg("set", args, 0)?;
    let len = b.borrow().len();
    let at = usize::try_from(i)
        .ok()
        .filter(|&i| i < len)
        .ok_or_else(|| index_error("Invalid index."))?;
    let x = check::byte_check(check::int_arg("set", args, 1)?)?;
    b.borrow_mut()[at] = x;
    Ok(recv.clone())
}

/// `get(i, default?)`: out of range gives the default (any value; upstream byte-checked an
/// integer default), else an `IndexError`.
fn get(b: &Bytes, args: &[Value]) -> KResult<Value> {
    arity_range("get", args, 1, 2)?;
    let i = check::int_arg("get", args, 0)?;
    let data = b.borrow();
    if let Some(x) = usize::try_from(i).ok().and_then(|i| data.get(i)) {
        return Ok(Value::Int(i64::from(*x)));
    }
    args.get(1)
        .cloned()
        .ok_or_else(|| index_error("Invalid index."))
}

fn contains(b: &Bytes, args: &[Value]) -> KResult<Value> {
    arity("contains", args, 1)?;
    let x = check::byte_check(check::int_arg("contains", args, 0)?)?;
    Ok(Value::Bool(b.borrow().contains(&x)))
}

fn remove_at(b: &Bytes, args: &[Value]) -> KResult<Value> {
    arity("remove_at", args, 1)?;
    let i = check::int_arg("remove_at", args, 0)?;
    let mut data = b.borrow().clone();
    let at = check::from_end(i, data.len()).ok_or_else(|| index_error("Index out of bounds."))?;
    data.remove(at);
    Ok(Value::bytes(data))
}

fn swap(b: &Bytes, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("swap", args, 2)?;
    let x = check::num_as_i64("swap", args, 0)?;
    let y = check::num_as_i64("swap", args, 1)?;
    let mut data = b.borrow_mut();
    let len = data.len();
    let ok = |i: i64| usize::try_from(i).ok().filter(|&i| i < len);
    let (Some(x), Some(y)) = (ok(x), ok(y)) else {
        return Err(KiwiError::new(ErrorType::RangeError, "Invalid range."));
    };
    data.swap(x, y);
    drop(data);
    Ok(recv.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &Value, name: &str, args: &[Value]) -> KResult<Value> {
        let Value::Bytes(b) = v else { unreachable!() };
        call(b, v, name, args).expect("method exists")
    }

    fn data(v: &Value) -> Vec<u8> {
        match v {
            Value::Bytes(b) => b.borrow().clone(),
            _ => panic!("not bytes"),
        }
    }

    #[test]
    fn hex_and_empty_error() {
        let b = Value::bytes(vec![0, 10, 255]);
        assert!(matches!(run(&b, "to_hex", &[]), Ok(Value::Str(s)) if &*s == "000aff"));
        let e = run(&Value::bytes(vec![]), "to_hex", &[]).unwrap_err();
        assert_eq!(e.error.as_ref(), "InvalidOperationError");
        assert_eq!(e.message.as_ref(), "Cannot convert empty bytes to hex.");
    }

    #[test]
    fn concat_new_and_type_error() {
        let a = Value::bytes(vec![1]);
        let c = run(&a, "concat", &[Value::bytes(vec![2]), a.clone()]).unwrap();
        assert_eq!(data(&c), vec![1, 2, 1]);
        assert_eq!(data(&a), vec![1]);
        let e = run(&a, "concat", &[Value::str("x")]).unwrap_err();
        assert_eq!(e.error.as_ref(), "InvalidOperationError");
        assert_eq!(
            e.message.as_ref(),
            "Expected bytes when concatenating bytes, but instead received `String`."
        );
        assert_eq!(
            run(&a, "concat", &[]).unwrap_err().error.as_ref(),
            "ParameterCountMismatchError"
        );
    }

    #[test]
    fn append_takes_a_byte_or_bytes() {
        let b = Value::bytes(vec![1]);
        run(&b, "append", &[Value::bytes(vec![2, 3])]).unwrap();
        run(&b, "append", &[Value::Int(4)]).unwrap();
        run(&b, "append", std::slice::from_ref(&b)).unwrap();
        assert_eq!(data(&b), vec![1, 2, 3, 4, 1, 2, 3, 4]);
        // push stays one byte.
        assert!(run(&b, "push", &[Value::bytes(vec![5])]).is_err());
    }

    #[test]
    fn mutation_in_place() {
        let b = Value::bytes(vec![1, 2]);
        run(&b, "push", &[Value::Int(3)]).unwrap();
        assert_eq!(data(&b), vec![1, 2, 3]);
        assert!(matches!(run(&b, "pop", &[]), Ok(Value::Int(3))));
        run(&b, "set", &[Value::Int(0), Value::Int(9)]).unwrap();
        assert_eq!(data(&b), vec![9, 2]);
        let e = run(&b, "push", &[Value::Int(256)]).unwrap_err();
        assert_eq!(
            e.message.as_ref(),
            "Byte range is from 0 to 255 inclusive, but received 256"
        );
        assert_eq!(
            run(&b, "push", &[Value::str("a")])
                .unwrap_err()
                .error
                .as_ref(),
            "TypeError"
        );
        run(&b, "clear", &[]).unwrap();
        assert!(data(&b).is_empty());
        assert!(matches!(run(&b, "pop", &[]), Ok(Value::Null)));
        assert!(matches!(run(&b, "first", &[]), Ok(Value::Null)));
    }

    #[test]
    fn queries_and_copies() {
        let b = Value::bytes(vec![1, 2, 2, 3]);
        assert!(matches!(
            run(&b, "contains", &[Value::Int(2)]),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(
            run(&b, "count", &[Value::Int(2)]),
            Ok(Value::Int(2))
        ));
        assert!(matches!(
            run(&b, "get", &[Value::Int(3)]),
            Ok(Value::Int(3))
        ));
        assert!(matches!(
            run(&b, "get", &[Value::Int(9), Value::Int(7)]),
            Ok(Value::Int(7))
        ));
        assert!(matches!(
            run(&b, "get", &[Value::Int(9), Value::Int(-1)]),
            Ok(Value::Int(-1))
        ));
        assert_eq!(
            run(&b, "get", &[Value::Int(9)]).unwrap_err().error.as_ref(),
            "IndexError"
        );
        assert_eq!(data(&run(&b, "reverse", &[]).unwrap()), vec![3, 2, 2, 1]);
        assert_eq!(
            data(&run(&b, "remove_at", &[Value::Int(-1)]).unwrap()),
            vec![1, 2, 2]
        );
        assert_eq!(data(&b), vec![1, 2, 2, 3]);
        assert!(
            matches!(run(&b, "slice", &[Value::Int(1), Value::Int(3)]), Ok(Value::List(l)) if l.borrow().len() == 2)
        );
        let same = run(&b, "to_bytes", &[]).unwrap();
        assert!(matches!((&same, &b), (Value::Bytes(x), Value::Bytes(y)) if Rc::ptr_eq(x, y)));
        assert!(
            matches!(run(&Value::bytes(b"hi".to_vec()), "to_string", &[]), Ok(Value::Str(s)) if &*s == "hi")
        );
    }
}

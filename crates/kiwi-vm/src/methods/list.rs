//! List methods. Mutating methods change the list in place and return the same list (the
//! same `Rc`). Arguments may alias the receiver (`l.concat(l)`), so argument data is always
//! copied out before the receiver is borrowed mutably.

use std::cell::RefCell;
use std::rc::Rc;

use indexmap::IndexSet;

use crate::error::{ErrorType, KResult, KiwiError};
use crate::format;
use crate::ops;
use crate::value::{strict_eq, Elements, Key, Value, MAX_DEPTH};

use super::check::{self, arity, arity_range, index_error, invalid};
use super::{any, bytes};

pub(super) type List = Rc<RefCell<Elements>>;

/// Dispatches a list method; `None` if lists have no method `name`.
pub fn call(l: &List, recv: &Value, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    Some(match name {
        // The prelude's push (map, filter): the values go in as they are, not copied.
        "__push" => {
            l.borrow_mut().extend(args.iter().cloned());
            Ok(recv.clone())
        }
        "size" | "length" => arity(name, args, 0).map(|()| int(l.borrow().len())),
        "push" | "append" | "enqueue" => push(l, recv, name, args),
        "get" => get(l, args),
        "contains" => {
            arity("contains", args, 1).map(|()| Value::Bool(position(l, &args[0]).is_some()))
        }
        "join" => join(l, args),
        "pop" => arity("pop", args, 0).map(|()| l.borrow_mut().pop().unwrap_or_default()),
        "first" => {
            arity("first", args, 0).map(|()| l.borrow().first().cloned().unwrap_or_default())
        }
        "last" => arity("last", args, 0).map(|()| l.borrow().last().cloned().unwrap_or_default()),
        "shift" | "dequeue" => arity(name, args, 0).map(|()| shift(l)),
        "unshift" => unshift(l, recv, args),
        "insert" => insert(l, recv, args),
        "remove" => remove(l, recv, args),
        "remove_at" => remove_at(l, recv, args),
        "concat" => concat(l, recv, args),
        "set" => set(l, recv, args),
        "index" => arity("index", args, 1).map(|()| opt_int(position(l, &args[0]))),
        "lastindex" => arity("lastindex", args, 1)
            .map(|()| opt_int(l.borrow().iter().rposition(|x| strict_eq(x, &args[0])))),
        "count" => arity("count", args, 1)
            .map(|()| int(l.borrow().iter().filter(|x| strict_eq(x, &args[0])).count())),
        "sort" if args.is_empty() => Ok(sort(l, recv)),
        "min" => arity("min", args, 0).map(|()| extreme(l, ops::less_than)),
        "max" => arity("max", args, 0).map(|()| extreme(l, ops::greater_than)),
        "sum" => arity("sum", args, 0).map(|()| sum(l)),
        "reverse" => arity("reverse", args, 0).map(|()| {
            l.borrow_mut().reverse();
            recv.clone()
        }),
        "unique" => arity("unique", args, 0).map(|()| unique(l)),
        "flatten" => arity("flatten", args, 0).and_then(|()| flatten(l)),
        "zip" => zip(l, args),
        "skip" | "take" => skip_take(l, name, args),
        "slice" => check::slice_bounds(args, l.borrow().len())
            .map(|(a, b)| Value::list(l.borrow()[a..b].to_vec())),
        "clear" => arity("clear", args, 0).map(|()| {
            l.borrow_mut().clear();
            recv.clone()
        }),
        "to_list" => arity("to_list", args, 0).map(|()| recv.clone()),
        "to_bytes" => arity("to_bytes", args, 0).and_then(|()| to_bytes(l)),
        "to_hex" => to_hex(l, args),
        "replace" => replace(l, args),
        "swap" => swap(l, recv, args),
        "rotate" => rotate(l, recv, args),
        "to_string" => any::to_string(recv, args),
        _ => return None,
    })
}

fn int(n: usize) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn opt_int(n: Option<usize>) -> Value {
    n.map_or(Value::Int(-1), int)
}

fn position(l: &List, v: &Value) -> Option<usize> {
    l.borrow().iter().position(|x| strict_eq(x, v))
}

/// `push(v)`: appends a deep copy, so a pushed list or hashmap is not aliased.
fn push(l: &List, recv: &Value, name: &str, args: &[Value]) -> KResult<Value> {
    arity(name, args, 1)?;
    push_copy(l, &args[0]);
    Ok(recv.clone())
}

/// Appends a copy of `item`, made before the list is borrowed: `l.push(l)` pushes a copy of
/// itself. (`call_method` calls this directly for `push` with one argument.)
#[inline]
pub(super) fn push_copy(l: &List, item: &Value) {
    let item = item.deep_copy();
    l.borrow_mut().push(item);
}

fn shift(l: &List) -> Value {
    let mut items = l.borrow_mut();
    if items.is_empty() {
        Value::Null
    } else {
        items.remove(0)
    }
}

fn unshift(l: &List, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("unshift", args, 1)?;
    let item = args[0].deep_copy();
    l.borrow_mut().insert(0, item);
    Ok(recv.clone())
}

/// `insert(i, v)`: `0 <= i < size`; it cannot append.
fn insert(l: &List, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("insert", args, 2)?;
    let Value::Int(i) = args[0] else {
        return Err(invalid("Expected an integer."));
    };
    let len = l.borrow().len();
    let at = usize::try_from(i)
        .ok()
        .filter(|&i| i < len)
        .ok_or_else(|| index_error("Invalid index."))?;
    let item = args[1].clone();
    l.borrow_mut().insert(at, item);
    Ok(recv.clone())
}

/// `remove(v)`: drops the first type-strictly equal element.
fn remove(l: &List, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("remove", args, 1)?;
    if let Some(i) = position(l, &args[0]) {
        l.borrow_mut().remove(i);
    }
    Ok(recv.clone())
}

/// `remove_at(i)`: a negative `i` counts from the end.
fn remove_at(l: &List, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("remove_at", args, 1)?;
    let i = check::int_arg("remove_at", args, 0)?;
    let len = l.borrow().len();
    let at = check::from_end(i, len).ok_or_else(|| index_error("Index out of bounds."))?;
    l.borrow_mut().remove(at);
    Ok(recv.clone())
}

/// `concat(x, …)`: appends copies; list arguments contribute their elements (one level).
fn concat(l: &List, recv: &Value, args: &[Value]) -> KResult<Value> {
    if args.is_empty() {
        return Err(check::count_error("concat"));
    }
    let mut extra = Vec::new();
    for a in args {
        match a {
            Value::List(items) => extra.extend(items.borrow().iter().map(Value::deep_copy)),
            other => extra.push(other.deep_copy()),
        }
    }
    l.borrow_mut().extend(extra);
    Ok(recv.clone())
}

/// `set(i, v)`: stores a deep copy at an existing position.
fn set(l: &List, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("set", args, 2)?;
    let i = check::int_arg("set", args, 0)?;
    let item = args[1].deep_copy();
    let mut items = l.borrow_mut();
    let slot = usize::try_from(i)
        .ok()
        .and_then(|i| items.get_mut(i))
        .ok_or_else(|| index_error("Invalid index."))?;
    *slot = item;
    drop(items);
    Ok(recv.clone())
}

/// `get(i, default?)`: out of range gives the default, or an `IndexError` without one.
fn get(l: &List, args: &[Value]) -> KResult<Value> {
    arity_range("get", args, 1, 2)?;
    let i = check::int_arg("get", args, 0)?;
    let items = l.borrow();
    match usize::try_from(i).ok().and_then(|i| items.get(i)) {
        Some(v) => Ok(v.clone()),
        None => args
            .get(1)
            .cloned()
            .ok_or_else(|| index_error("Invalid index.")),
    }
}

/// `join(sep = "")`: elements printed as §8, strings unquoted.
fn join(l: &List, args: &[Value]) -> KResult<Value> {
    arity_range("join", args, 0, 1)?;
    let sep: &str = match args.first() {
        None => "",
        Some(_) => check::str_arg("join", args, 0)?,
    };
    let items = l.borrow();
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        format::write_display(&mut out, item);
    }
    Ok(Value::str(out))
}

/// `sort()`: the total order of `ops::total_cmp`. The elements are moved out while sorting,
/// so a comparison that looks at the list itself (it may contain itself) sees it empty
/// instead of hitting a borrow conflict.
fn sort(l: &List, recv: &Value) -> Value {
    let mut items = std::mem::take(&mut *l.borrow_mut());
    items.sort_by(ops::total_cmp);
    *l.borrow_mut() = items;
    recv.clone()
}

/// `min()` / `max()` with the `<` / `>` rules of §2; `null` when empty.
fn extreme(l: &List, better: fn(&Value, &Value) -> bool) -> Value {
    let items = l.borrow();
    let mut best = match items.first() {
        Some(v) => v.clone(),
        None => return Value::Null,
    };
    for v in &items[1..] {
        if better(v, &best) {
            best = v.clone();
        }
    }
    best
}

/// `sum()`: an int unless some element is a float; non-numbers are skipped.
fn sum(l: &List) -> Value {
    let mut ints: i64 = 0;
    let mut total: f64 = 0.0;
    let mut any_float = false;
    for v in l.borrow().iter() {
        match v {
            Value::Int(i) => {
                ints = ints.wrapping_add(*i);
                total += *i as f64;
            }
            Value::Float(f) => {
                total += f;
                any_float = true;
            }
            _ => {}
        }
    }
    if any_float {
        Value::Float(total)
    } else {
        Value::Int(ints)
    }
}

/// `unique()`: first occurrences, type-strict.
fn unique(l: &List) -> Value {
    let items = l.borrow();
    let mut seen = IndexSet::with_capacity(items.len());
    let out = items
        .iter()
        .filter(|v| seen.insert(Key((*v).clone())))
        .cloned()
        .collect();
    Value::list(out)
}

/// `flatten()`: nested lists are flattened all the way down, as upstream does.
fn flatten(l: &List) -> KResult<Value> {
    fn walk(items: &[Value], depth: usize, out: &mut Vec<Value>) -> KResult<()> {
        // Deeper than this, the list contains itself (or is pathological).
        if depth > MAX_DEPTH {
            return Err(KiwiError::new(
                ErrorType::RuntimeError,
                "List nesting is too deep to flatten.",
            ));
        }
        for v in items {
            match v {
                Value::List(inner) => walk(&inner.borrow(), depth + 1, out)?,
                other => out.push(other.clone()),
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(&l.borrow(), 0, &mut out)?;
    Ok(Value::list(out))
}

/// `zip(other)`: pairs up to the shorter length.
fn zip(l: &List, args: &[Value]) -> KResult<Value> {
    arity("zip", args, 1)?;
    let Value::List(other) = &args[0] else {
        return Err(check::expected("zip", 0, "List", &args[0]));
    };
    let (a, b) = (l.borrow(), other.borrow());
    let pairs = a
        .iter()
        .zip(b.iter())
        .map(|(x, y)| Value::list(vec![x.clone(), y.clone()]))
        .collect();
    Ok(Value::list(pairs))
}

/// `skip(n)` / `take(n)`: new lists; `n` is clamped to `0..=size`.
fn skip_take(l: &List, name: &str, args: &[Value]) -> KResult<Value> {
    let [Value::Int(n)] = args else {
        return Err(invalid("Invalid specialized list builtin invocation."));
    };
    let items = l.borrow();
    let n = usize::try_from((*n).max(0))
        .unwrap_or(usize::MAX)
        .min(items.len());
    let part = if name == "skip" {
        &items[n..]
    } else {
        &items[..n]
    };
    Ok(Value::list(part.to_vec()))
}

/// `to_bytes()`: ints must be bytes, strings contribute UTF-8, anything else is skipped.
fn to_bytes(l: &List) -> KResult<Value> {
    let mut out = Vec::new();
    for v in l.borrow().iter() {
        match v {
            Value::Int(i) => out.push(check::byte_check(*i)?),
            Value::Str(s) => out.extend_from_slice(s.as_bytes()),
            _ => {}
        }
    }
    Ok(Value::bytes(out))
}

/// `to_hex(width = 2)` of a list of byte-sized ints.
fn to_hex(l: &List, args: &[Value]) -> KResult<Value> {
    arity_range("to_hex", args, 0, 1)?;
    let items = l.borrow();
    if items.is_empty() {
        return Err(invalid("Cannot convert empty bytes to hex."));
    }
    let width = check::hex_width(args)?;
    let mut data = Vec::with_capacity(items.len());
    for v in items.iter() {
        let Value::Int(i) = v else {
            return Err(invalid("Expected a list of integers."));
        };
        data.push(check::byte_check(*i)?);
    }
    Ok(Value::str(bytes::hex(&data, width)))
}

/// `replace(find, repl)`: a new list with every type-strictly equal element replaced.
fn replace(l: &List, args: &[Value]) -> KResult<Value> {
    arity("replace", args, 2)?;
    let out = l
        .borrow()
        .iter()
        .map(|x| {
            if strict_eq(x, &args[0]) {
                args[1].clone()
            } else {
                x.clone()
            }
        })
        .collect();
    Ok(Value::list(out))
}

fn swap(l: &List, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("swap", args, 2)?;
    let a = check::num_as_i64("swap", args, 0)?;
    let b = check::num_as_i64("swap", args, 1)?;
    let mut items = l.borrow_mut();
    let len = items.len();
    let ok = |i: i64| usize::try_from(i).ok().filter(|&i| i < len);
    let (Some(a), Some(b)) = (ok(a), ok(b)) else {
        return Err(KiwiError::new(ErrorType::RangeError, "Invalid range."));
    };
    items.swap(a, b);
    drop(items);
    Ok(recv.clone())
}

/// `rotate(n)`: rotates right by `n` (left for negative `n`), in place.
fn rotate(l: &List, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("rotate", args, 1)?;
    let n = check::num_as_i64("rotate", args, 0)?;
    let mut items = l.borrow_mut();
    let len = items.len();
    if len > 0 {
        let k = n.rem_euclid(i64::try_from(len).unwrap_or(i64::MAX));
        items.rotate_right(usize::try_from(k).unwrap_or(0));
    }
    drop(items);
    Ok(recv.clone())
}

#[cfg(test)]
mod tests;

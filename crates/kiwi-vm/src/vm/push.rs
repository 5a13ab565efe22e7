//! Pushing onto a vector with the element built where it goes.
//!
//! `Vec::push(v)` has its argument built before the capacity check, whose growth path is a
//! call; across that call LLVM keeps the value in a stack temporary, written with narrow
//! stores (a 4-byte tag, a payload) and copied into the vector with 16-byte loads that the
//! processor cannot forward from those stores. In the integer loop that stall was a third of
//! `fib(30)`'s time (perf, issue 14). Reserving first and building the element afterwards
//! lets its fields be stored straight into the vector.
//!
//! [`copy_whole`] is the same stall's other source: `Value::clone` is a call that returns its
//! result through memory, written field by field, which the caller then reads back whole.

use std::rc::Rc;

use crate::value::Value;

/// `v.push(make())`, with `make` called once there is room.
#[inline(always)]
pub fn push_made<T>(v: &mut Vec<T>, make: impl FnOnce() -> T) {
    if v.len() == v.capacity() {
        v.reserve(1);
    }
    let len = v.len();
    match v.spare_capacity_mut().first_mut() {
        Some(slot) => {
            slot.write(make());
            #[allow(unsafe_code)]
            // SAFETY: the element at `len`, the first spare one (within the capacity), was
            // initialised just above, so the first `len + 1` elements are.
            unsafe {
                v.set_len(len + 1)
            };
        }
        // Not reached: `reserve(1)` left room.
        None => v.push(make()),
    }
}

/// A copy of `v` (what `v.clone()` gives), made as one 16-byte move of `v` itself plus the
/// clone's reference count. Loading a local that holds a list, map, string or function is the
/// general loop's most common copy; through `clone`'s result it stalled (perf: 16% of the
/// general loop's samples in the churn benchmark and in `list.filter`).
#[inline(always)]
pub fn copy_whole(v: &Value) -> Value {
    // The reference count a clone takes, now owned by the copy read below. Taken here, not
    // by calling `clone` (a call per load: 6% of upstream's benchmark in `clone`).
    count_reference(v);
    #[allow(unsafe_code)]
    // SAFETY: `v` is a valid `Value` behind a shared reference, so a bitwise read of it is a
    // valid `Value`. For every variant a clone is that same bitwise copy plus, for the `Rc`
    // variants, one strong-count increment (`count_reference` names them all); the increment
    // was taken just above and not given back, so the copy owns exactly what a clone would.
    unsafe {
        std::ptr::read(v)
    }
}

/// Takes, for `v`, the reference a clone of it would own (none for plain data), leaving it
/// for a bitwise copy of `v` to own. The match names every variant, with no catch-all: a new
/// variant does not compile until someone has decided how [`copy_whole`] copies it (one
/// whose clone is more than a count must not be copied bitwise at all).
#[inline(always)]
fn count_reference(v: &Value) {
    match v {
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Date(_) => {}
        Value::Str(s) | Value::Package(s) => std::mem::forget(Rc::clone(s)),
        Value::List(l) => std::mem::forget(Rc::clone(l)),
        Value::Map(m) => std::mem::forget(Rc::clone(m)),
        Value::Bytes(b) => std::mem::forget(Rc::clone(b)),
        Value::Func(f) => std::mem::forget(Rc::clone(f)),
        Value::Channel(c) => std::mem::forget(Rc::clone(c)),
        Value::Obj(o) => std::mem::forget(Rc::clone(o)),
    }
}

#[cfg(test)]
mod tests {
    use super::{copy_whole, push_made};
    use crate::value::Value;
    use std::rc::Rc;

    /// Elements that own memory land in order and are dropped once, across every growth
    /// (run under Miri as well: `cargo miri test -p kiwi-vm --lib push`).
    #[test]
    fn pushes_in_order_across_growth() {
        let shared = Rc::new(7);
        let mut v: Vec<(Rc<i32>, usize)> = Vec::new();
        for i in 0..100 {
            push_made(&mut v, || (shared.clone(), i));
        }
        assert_eq!(v.len(), 100);
        assert!(v.iter().enumerate().all(|(i, (_, n))| *n == i));
        assert_eq!(Rc::strong_count(&shared), 101);
        drop(v);
        assert_eq!(Rc::strong_count(&shared), 1);
        let mut full = Vec::with_capacity(1);
        push_made(&mut full, || String::from("a"));
        push_made(&mut full, || String::from("b"));
        assert_eq!(full, ["a", "b"]);
    }

    /// A whole copy owns one reference, as a clone does: the count goes up by one per copy
    /// and back down as they drop, for every kind of value (also run under Miri).
    #[test]
    fn whole_copies_count_like_clones() {
        let values = [
            Value::Null,
            Value::Bool(true),
            Value::Int(-3),
            Value::Float(0.5),
            Value::Date(86_400_000),
            Value::str("text"),
            Value::list(vec![Value::Int(1)]),
            Value::bytes(vec![1, 2]),
        ];
        for v in &values {
            let copies: Vec<Value> = (0..3).map(|_| copy_whole(v)).collect();
            assert!(copies.iter().all(|c| crate::value::strict_eq(c, v)));
            if let Value::Str(s) = v {
                assert_eq!(Rc::strong_count(s), 4);
            }
            if let Value::List(l) = v {
                assert_eq!(Rc::strong_count(l), 4);
            }
            drop(copies);
            if let Value::Str(s) = v {
                assert_eq!(Rc::strong_count(s), 1);
            }
            if let Value::List(l) = v {
                assert_eq!(Rc::strong_count(l), 1);
            }
        }
    }
}

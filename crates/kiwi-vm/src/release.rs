//! Dropping deeply nested values without deep recursion.
//!
//! A list of a list of ... (or a chain of hashmaps, `h = {"next": h}`) 100,000 levels deep
//! would be freed by 100,000 nested `drop` calls and overflow the Rust stack. Lists and
//! hashmaps therefore hand their contents to [`release`]: up to [`MAX_NESTED`] levels are
//! dropped directly (the common, shallow case costs nothing extra), deeper contents are parked
//! and dropped by the outermost `release` in a loop, one level at a time.

use std::any::Any;
use std::cell::{Cell, RefCell};

use crate::value::Value;

/// How many nested releases run directly before contents are parked.
const MAX_NESTED: u32 = 64;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static PARKED: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Drops `contents` (a container's elements), deferring the work when already deep in drops.
pub(crate) fn release<T: 'static>(contents: T) {
    let Ok(depth) = DEPTH.try_with(Cell::get) else {
        // Thread-local storage is being torn down (process exit): drop in place.
        return drop(contents);
    };
    if depth >= MAX_NESTED {
        let parked = PARKED.try_with(|p| p.borrow_mut().push(Box::new(contents)));
        debug_assert!(parked.is_ok());
        return;
    }
    DEPTH.set(depth + 1);
    drop(contents);
    if depth == 0 {
        // The outermost release drains what deeper ones parked; each item may park more.
        while let Some(item) = PARKED.with(|p| p.borrow_mut().pop()) {
            drop(item);
        }
    }
    DEPTH.set(depth);
}

/// Drops a container's values (a list's elements, an instance's variables): in place when
/// none of them holds other values, since dropping them cannot recurse (an instance of numbers
/// and strings, freed by the million, skips the thread-local bookkeeping), else through
/// [`release`].
pub(crate) fn release_values(values: Vec<Value>) {
    if values.iter().all(owns_nothing) {
        // Numbers and the like: only the vector's buffer to free, no drop call per value.
        values.into_iter().for_each(std::mem::forget);
    } else if values.iter().all(holds_no_values) {
        drop(values);
    } else {
        release(values);
    }
}

fn owns_nothing(v: &Value) -> bool {
    matches!(
        v,
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Date(_)
    )
}

fn holds_no_values(v: &Value) -> bool {
    owns_nothing(v) || matches!(v, Value::Str(_) | Value::Bytes(_) | Value::Package(_))
}

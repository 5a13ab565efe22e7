//! Operator semantics (§2, §3.2, §3.3, §3.5, §4 ranges): binary and unary operators,
//! comparisons, indexing, slicing and `[a to b]` ranges.
//!
//! The VM calls these for every operator it does not short-circuit itself, so the common
//! int/int and float cases come first and nothing here allocates unless the result does.

use crate::text::Text;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

use kiwi_syntax::ast::{BinOp, UnOp};

use crate::error::{ErrorType, KResult, KiwiError};
use crate::format::write_display;
use crate::value::{loose_eq, Elements, Key, KeyRef, Value};

/// The most elements a range or list repetition may produce. Beyond this a script gets a
/// catchable error instead of the process aborting on a failed allocation.
pub const MAX_ELEMENTS: usize = 100_000_000;

/// The longest string (in bytes) that string repetition may produce, for the same reason.
pub const MAX_STRING_BYTES: usize = 1 << 30;

fn error(ty: ErrorType, message: &str) -> KiwiError {
    KiwiError::new(ty, message)
}

fn conversion(message: &str) -> KiwiError {
    error(ErrorType::ConversionError, message)
}

fn div_by_zero() -> KiwiError {
    error(ErrorType::DivideByZeroError, "Division by zero.")
}

// ---------------------------------------------------------------------------------------------
// Binary operators
// ---------------------------------------------------------------------------------------------

/// Like [`binary`], but owning the left operand, so `s += x` on a string nobody else holds
/// appends in place instead of copying. On error the left operand is handed back.
pub fn binary_owned(op: BinOp, a: Value, b: &Value) -> Result<Value, (Value, KiwiError)> {
    let a = match (op, a) {
        (BinOp::Add, Value::Str(mut s)) => match Rc::get_mut(&mut s) {
            Some(buf) => {
                crate::format::write_display(buf, b);
                return Ok(Value::Str(s));
            }
            None => Value::Str(s),
        },
        (_, a) => a,
    };
    match binary(op, &a, b) {
        Ok(v) => Ok(v),
        Err(e) => Err((a, e)),
    }
}

/// Applies a binary operator (§3). `&&`, `||` and `??` are evaluated by the VM because they
/// short-circuit or yield an operand; passing them here is an `InvalidOperationError`.
pub fn binary(op: BinOp, a: &Value, b: &Value) -> KResult<Value> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return int_int(op, *x, *y);
    }
    match op {
        BinOp::Add => add(a, b),
        BinOp::Sub => sub(a, b),
        BinOp::Mul => mul(a, b),
        BinOp::Div => div(a, b),
        BinOp::FloorDiv => floor_div(a, b),
        BinOp::Mod => rem(a, b),
        BinOp::Pow => pow(a, b),
        BinOp::Shl | BinOp::Shr | BinOp::UShr => shift(op, a, b),
        BinOp::BitAnd | BinOp::BitXor | BinOp::BitOr => bitwise(op, a, b),
        BinOp::Lt => Ok(Value::Bool(compare(a, b) == Some(Ordering::Less))),
        BinOp::Le => Ok(Value::Bool(matches!(
            compare(a, b),
            Some(Ordering::Less | Ordering::Equal)
        ))),
        BinOp::Gt => Ok(Value::Bool(compare(a, b) == Some(Ordering::Greater))),
        BinOp::Ge => Ok(Value::Bool(matches!(
            compare(a, b),
            Some(Ordering::Greater | Ordering::Equal)
        ))),
        BinOp::Eq => Ok(Value::Bool(loose_eq(a, b))),
        BinOp::Ne => Ok(Value::Bool(!loose_eq(a, b))),
        BinOp::In => contains(a, b),
        BinOp::And | BinOp::Or | BinOp::Coalesce => Err(not_here(op)),
    }
}

fn not_here(op: BinOp) -> KiwiError {
    KiwiError::new(
        ErrorType::InvalidOperationError,
        format!(
            "The `{}` operator is evaluated by the VM, not by a binary operation.",
            op.symbol()
        ),
    )
}

/// Every operator on two integers, without any further type dispatch.
fn int_int(op: BinOp, x: i64, y: i64) -> KResult<Value> {
    Ok(match op {
        BinOp::Add => Value::Int(x.wrapping_add(y)),
        BinOp::Sub => Value::Int(x.wrapping_sub(y)),
        BinOp::Mul => Value::Int(x.wrapping_mul(y)),
        BinOp::Div => {
            if y == 0 {
                return Err(div_by_zero());
            }
            Value::Float(x as f64 / y as f64)
        }
        BinOp::FloorDiv => Value::Int(int_floor_div(x, y)?),
        BinOp::Mod => {
            if y == 0 {
                return Err(div_by_zero());
            }
            // wrapping_rem turns i64::MIN % -1 into 0 instead of panicking (REC: wrap).
            Value::Int(x.wrapping_rem(y))
        }
        BinOp::Pow => Value::Int(int_pow(x, y)),
        BinOp::Shl => Value::Int(x.wrapping_shl((y & 63) as u32)),
        BinOp::Shr => Value::Int(x.wrapping_shr((y & 63) as u32)),
        BinOp::UShr => Value::Int(ushr(x, y)),
        BinOp::BitAnd => Value::Int(x & y),
        BinOp::BitXor => Value::Int(x ^ y),
        BinOp::BitOr => Value::Int(x | y),
        BinOp::Lt => Value::Bool(x < y),
        BinOp::Le => Value::Bool(x <= y),
        BinOp::Gt => Value::Bool(x > y),
        BinOp::Ge => Value::Bool(x >= y),
        BinOp::Eq => Value::Bool(x == y),
        BinOp::Ne => Value::Bool(x != y),
        BinOp::In => return contains(&Value::Int(x), &Value::Int(y)),
        BinOp::And | BinOp::Or | BinOp::Coalesce => return Err(not_here(op)),
    })
}

/// Floor division that wraps `i64::MIN // -1` (REC) instead of panicking.
fn int_floor_div(x: i64, y: i64) -> KResult<i64> {
    if y == 0 {
        return Err(div_by_zero());
    }
    let q = x.wrapping_div(y);
    if x.wrapping_rem(y) != 0 && ((x < 0) != (y < 0)) {
        Ok(q.wrapping_sub(1))
    } else {
        Ok(q)
    }
}

/// int ** int: upstream computes `(long)Math.Pow(x, y)`. Exact integer exponentiation gives the
/// same answer whenever the result fits in f64's 53-bit mantissa, and is much faster.
fn int_pow(x: i64, y: i64) -> i64 {
    const EXACT: i64 = 1 << 53;
    if (0..=u32::MAX as i64).contains(&y) {
        if let Some(r) = x.checked_pow(y as u32) {
            if (-EXACT..=EXACT).contains(&r) {
                return r;
            }
        }
    }
    // `as` saturates out-of-range values (and maps NaN to 0) rather than panicking.
    (x as f64).powf(y as f64) as i64
}

/// `>>>`: upstream evaluates `(int)a >>> (int)b` in 32-bit arithmetic, with a count of 32 or
/// more giving 0; a negative count is masked to 5 bits like C# does.
fn ushr(x: i64, y: i64) -> i64 {
    if y >= 32 {
        return 0;
    }
    let count = (y as i32 & 31) as u32;
    ((x as i32 as u32) >> count) as i32 as i64
}

/// Both operands as f64 when both are numbers (at least one of them a float by the time this
/// is called, since int/int is handled earlier).
fn floats(a: &Value, b: &Value) -> Option<(f64, f64)> {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => Some((*x, *y)),
        (Value::Int(x), Value::Float(y)) => Some((*x as f64, *y)),
        (Value::Float(x), Value::Int(y)) => Some((*x, *y as f64)),
        (Value::Int(x), Value::Int(y)) => Some((*x as f64, *y as f64)),
        _ => None,
    }
}

fn add(a: &Value, b: &Value) -> KResult<Value> {
    if let Some((x, y)) = floats(a, b) {
        return Ok(Value::Float(x + y));
    }
    // Upstream's order matters: a string on the left wins, then a list on the left, then a
    // string on the right (so `[1] + "a"` appends and `1 + "a"` concatenates).
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            Ok(Value::str(s))
        }
        (Value::Str(x), other) => {
            let mut s = String::with_capacity(x.len() + 16);
            s.push_str(x);
            write_display(&mut s, other);
            Ok(Value::str(s))
        }
        (Value::List(l), other) => {
            let left = l.borrow();
            let out = match other {
                Value::List(r) => {
                    let right = r.borrow();
                    let mut out = Vec::with_capacity(left.len() + right.len());
                    out.extend(left.iter().cloned());
                    out.extend(right.iter().cloned());
                    out
                }
                _ => {
                    let mut out = Vec::with_capacity(left.len() + 1);
                    out.extend(left.iter().cloned());
                    out.push(other.clone());
                    out
                }
            };
            Ok(Value::list(out))
        }
        (other, Value::Str(y)) => {
            let mut s = String::with_capacity(y.len() + 16);
            write_display(&mut s, other);
            s.push_str(y);
            Ok(Value::str(s))
        }
        _ => Err(conversion("Conversion error in addition.")),
    }
}

fn sub(a: &Value, b: &Value) -> KResult<Value> {
    if let Some((x, y)) = floats(a, b) {
        return Ok(Value::Float(x - y));
    }
    let Value::List(l) = a else {
        return Err(conversion("Conversion error in subtraction."));
    };
    let left = l.borrow();
    let out: Vec<Value> = match b {
        Value::List(r) => {
            let right = r.borrow();
            left.iter()
                .filter(|item| !right.iter().any(|r| loose_eq(item, r)))
                .cloned()
                .collect()
        }
        _ => {
            let mut out = Vec::with_capacity(left.len());
            let mut found = false;
            for item in left.iter() {
                if !found && loose_eq(item, b) {
                    found = true;
                } else {
                    out.push(item.clone());
                }
            }
            out
        }
    };
    Ok(Value::list(out))
}

fn mul(a: &Value, b: &Value) -> KResult<Value> {
    if let Some((x, y)) = floats(a, b) {
        return Ok(Value::Float(x * y));
    }
    match (a, b) {
        (Value::Str(s), Value::Int(n)) => {
            if *n <= 0 || s.is_empty() {
                return Ok(Value::str(""));
            }
            let total = usize::try_from(*n)
                .ok()
                .and_then(|n| n.checked_mul(s.len()))
                .filter(|&t| t <= MAX_STRING_BYTES);
            if total.is_none() {
                return Err(error(
                    ErrorType::ValueError,
                    "String repetition result is too large.",
                ));
            }
            Ok(Value::str(s.repeat(*n as usize)))
        }
        (Value::List(l), Value::Int(n)) => {
            if *n < 1 {
                return Err(error(
                    ErrorType::SyntaxError,
                    "List multiplier must be a positive non-zero integer.",
                ));
            }
            let items = l.borrow();
            if items.is_empty() {
                return Err(error(
                    ErrorType::SyntaxError,
                    "Cannot multiply an empty list.",
                ));
            }
            let total = usize::try_from(*n)
                .ok()
                .and_then(|n| n.checked_mul(items.len()))
                .filter(|&t| t <= MAX_ELEMENTS);
            let Some(total) = total else {
                return Err(error(
                    ErrorType::ValueError,
                    "List repetition result is too large.",
                ));
            };
            // Upstream clones every element (deep for lists and hashmaps), so the rows of
            // `[[0] * 3] * 3` are independent.
            let mut out = Vec::with_capacity(total);
            for _ in 0..*n {
                out.extend(items.iter().map(Value::deep_copy));
            }
            Ok(Value::list(out))
        }
        _ => Err(conversion("Conversion error in multiplication.")),
    }
}

fn div(a: &Value, b: &Value) -> KResult<Value> {
    let Some((x, y)) = floats(a, b) else {
        return Err(conversion("Conversion error in division."));
    };
    if y == 0.0 {
        return Err(div_by_zero());
    }
    Ok(Value::Float(x / y))
}

fn floor_div(a: &Value, b: &Value) -> KResult<Value> {
    // Float operands are floored to integers before dividing (§3.2: `7.9 // 2` is 3).
    fn floored(v: &Value) -> Option<i64> {
        match v {
            Value::Int(i) => Some(*i),
            Value::Float(f) => Some(f.floor() as i64),
            _ => None,
        }
    }
    match (floored(a), floored(b)) {
        (Some(x), Some(y)) => Ok(Value::Int(int_floor_div(x, y)?)),
        _ => Err(conversion("Conversion error in floor division.")),
    }
}

fn rem(a: &Value, b: &Value) -> KResult<Value> {
    let Some((x, y)) = floats(a, b) else {
        return Err(conversion("Conversion error in modulus."));
    };
    if y == 0.0 {
        return Err(div_by_zero());
    }
    // Rust's f64 `%` is C fmod: truncated, sign of the dividend, like .NET.
    Ok(Value::Float(x % y))
}

fn pow(a: &Value, b: &Value) -> KResult<Value> {
    match floats(a, b) {
        Some((x, y)) => Ok(Value::Float(x.powf(y))),
        None => Err(conversion("Conversion error in exponentiation.")),
    }
}

fn shift(op: BinOp, a: &Value, b: &Value) -> KResult<Value> {
    // Upstream accepts only integers on both sides of a shift.
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => int_int(op, *x, *y),
        _ => Err(KiwiError::new(
            ErrorType::ConversionError,
            format!("Conversion error in bitwise {} operation.", op.symbol()),
        )),
    }
}

fn bitwise(op: BinOp, a: &Value, b: &Value) -> KResult<Value> {
    let Value::Int(x) = a else {
        return Err(KiwiError::new(
            ErrorType::ConversionError,
            format!(
                "Conversion error in first operand of bitwise {} operation.",
                op.symbol()
            ),
        ));
    };
    let y = match b {
        Value::Int(y) => *y,
        // Truncated toward zero; `as` saturates out-of-range values instead of being undefined.
        Value::Float(f) => *f as i64,
        Value::Bool(t) => i64::from(*t),
        _ => {
            return Err(KiwiError::new(
                ErrorType::ConversionError,
                format!(
                    "Conversion error in second operand of bitwise {} operation.",
                    op.symbol()
                ),
            ))
        }
    };
    int_int(op, *x, y)
}

/// `x in c` (§3.3), with the container on the right.
fn contains(needle: &Value, haystack: &Value) -> KResult<Value> {
    let found = match haystack {
        Value::List(l) => l.borrow().iter().any(|item| loose_eq(needle, item)),
        Value::Str(s) => match needle {
            Value::Str(n) => s.contains(n.as_str()),
            _ => {
                return Err(conversion(
                    "Left operand must be a string when right operand is a string for 'in' operator.",
                ))
            }
        },
        Value::Map(m) => m.borrow().contains_key(&KeyRef(needle)),
        Value::Bytes(bytes) => match needle {
            Value::Int(i) if (0..=255).contains(i) => bytes.borrow().contains(&(*i as u8)),
            _ => {
                return Err(conversion(
                    "Left operand must be an integer between 0 and 255 when right operand is bytes for 'in' operator.",
                ))
            }
        },
        _ => {
            return Err(error(
                ErrorType::InvalidOperationError,
                "The 'in' operator is not supported for the provided types.",
            ))
        }
    };
    Ok(Value::Bool(found))
}

// ---------------------------------------------------------------------------------------------
// Unary operators
// ---------------------------------------------------------------------------------------------

/// Applies a prefix operator: `-` (wrapping on integers), `!` (boolean of not-truthy) and `~`
/// (on int, float truncated, or bool as 0/1; always an integer result).
pub fn unary(op: UnOp, v: &Value) -> KResult<Value> {
    match op {
        UnOp::Neg => match v {
            Value::Int(i) => Ok(Value::Int(i.wrapping_neg())),
            Value::Float(f) => Ok(Value::Float(-f)),
            _ => Err(conversion("Unary minus applied to a non-numeric value.")),
        },
        UnOp::Not => Ok(Value::Bool(!v.truthy())),
        UnOp::BitNot => match v {
            Value::Int(i) => Ok(Value::Int(!i)),
            Value::Float(f) => Ok(Value::Int(!(*f as i64))),
            Value::Bool(b) => Ok(Value::Int(!i64::from(*b))),
            _ => Err(conversion("Conversion error in bitwise ~ operation.")),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

/// The fixed type rank of §2: integer < float < boolean < string < list < hashmap < object
/// < lambda < null < … < bytes. A package value has no upstream rank of its own here; it sits
/// in the "…" between null and bytes.
fn rank(v: &Value) -> u8 {
    match v {
        Value::Int(_) => 0,
        Value::Float(_) => 1,
        Value::Bool(_) => 2,
        Value::Str(_) => 3,
        Value::List(_) => 4,
        Value::Map(_) => 5,
        Value::Channel(_) | Value::Obj(_) => 6,
        Value::Func(_) => 7,
        Value::Null => 8,
        Value::Package(_) => 9,
        Value::Bytes(_) => 10,
        Value::Date(_) => 11,
    }
}

fn list_len(l: &RefCell<Elements>) -> usize {
    l.try_borrow().map_or(0, |l| l.len())
}

fn map_len(m: &RefCell<crate::value::Map>) -> usize {
    m.try_borrow().map_or(0, |m| m.len())
}

/// The ordering behind `< <= > >=`, or `None` when every comparison is false: NaN, and two
/// values of a same type with no order (bytes, lambdas, channels, packages; upstream's
/// comparison falls through to `false` for them, even for `<=`).
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Str(x), Value::Str(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::List(x), Value::List(y)) => Some(list_len(x).cmp(&list_len(y))),
        (Value::Map(x), Value::Map(y)) => Some(map_len(x).cmp(&map_len(y))),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        _ => {
            let (ra, rb) = (rank(a), rank(b));
            if ra == rb {
                None
            } else {
                Some(ra.cmp(&rb))
            }
        }
    }
}

/// `a < b` per §2 (numbers across types, strings ordinal, lists and hashmaps by size, other
/// types by rank); used by `min()`.
pub fn less_than(a: &Value, b: &Value) -> bool {
    compare(a, b) == Some(Ordering::Less)
}

/// `a > b` per §2; used by `max()`.
pub fn greater_than(a: &Value, b: &Value) -> bool {
    compare(a, b) == Some(Ordering::Greater)
}

/// The total order of `list.sort()`: type rank first (so every int sorts before every float),
/// then the value; strings ordinal, lists and hashmaps by size, bytes by content. It is a true
/// total order (NaN included) because Rust's sort may panic on an inconsistent comparator.
pub fn total_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => x.total_cmp(y),
        (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::List(x), Value::List(y)) => list_len(x).cmp(&list_len(y)),
        (Value::Map(x), Value::Map(y)) => map_len(x).cmp(&map_len(y)),
        (Value::Bytes(x), Value::Bytes(y)) => match (x.try_borrow(), y.try_borrow()) {
            (Ok(x), Ok(y)) => x.as_slice().cmp(y.as_slice()),
            _ => Ordering::Equal,
        },
        (Value::Package(x), Value::Package(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

// ---------------------------------------------------------------------------------------------
// Indexing
// ---------------------------------------------------------------------------------------------

/// An integer index from an int, or a float rounded half-to-even (§3.5). A non-finite float
/// can address nothing, so it reports the container's out-of-bounds error.
fn to_index(idx: &Value, out_of_bounds: &str) -> KResult<i64> {
    match idx {
        Value::Int(i) => Ok(*i),
        Value::Float(f) if f.is_finite() => Ok(f.round_ties_even() as i64),
        Value::Float(_) => Err(error(ErrorType::IndexError, out_of_bounds)),
        _ => Err(conversion("Index must be an integer.")),
    }
}

/// `i` as a position in a container of `len` elements, if it is one.
fn in_bounds(i: i64, len: usize) -> Option<usize> {
    usize::try_from(i).ok().filter(|&i| i < len)
}

const LIST_OOB: &str = "List index out of bounds.";
const STRING_OOB: &str = "String index out of bounds.";
const BYTES_OOB: &str = "Bytes index out of bounds.";

thread_local! {
    /// Shared one-character strings for ASCII, so indexing and iterating strings does not
    /// allocate per character.
    static ASCII_CHARS: [Rc<Text>; 128] = std::array::from_fn(|i| {
        let c = char::from(i as u8);
        Rc::new(Text::from(c.to_string()))
    });
}

/// A one-character string value (shared for ASCII characters).
pub fn char_value(c: char) -> Value {
    if c.is_ascii() {
        ASCII_CHARS.with(|chars| Value::Str(chars[c as usize].clone()))
    } else {
        Value::str(c.encode_utf8(&mut [0u8; 4]) as &str)
    }
}

/// The `i`th Unicode scalar value of `s`. ASCII prefixes are addressed directly by byte.
fn char_at(s: &str, i: usize) -> Option<char> {
    let bytes = s.as_bytes();
    if let Some(prefix) = bytes.get(..=i) {
        if prefix.is_ascii() {
            return Some(char::from(bytes[i]));
        }
    }
    s.chars().nth(i)
}

/// `obj[idx]` (§3.5): lists, strings and bytes by non-negative integer position (no negative
/// indexes), hashmaps by type-strict key (missing key gives `null`).
pub fn index(obj: &Value, idx: &Value) -> KResult<Value> {
    match obj {
        Value::List(l) => {
            let i = to_index(idx, LIST_OOB)?;
            let items = l.borrow();
            in_bounds(i, items.len())
                .map(|i| items[i].clone())
                .ok_or_else(|| error(ErrorType::IndexError, LIST_OOB))
        }
        Value::Map(m) => Ok(m.borrow().get(&KeyRef(idx)).cloned().unwrap_or_default()),
        Value::Str(s) => {
            let i = to_index(idx, STRING_OOB)?;
            usize::try_from(i)
                .ok()
                .and_then(|i| char_at(s, i))
                .map(char_value)
                .ok_or_else(|| error(ErrorType::IndexError, STRING_OOB))
        }
        Value::Bytes(b) => {
            let i = to_index(idx, BYTES_OOB)?;
            let bytes = b.borrow();
            in_bounds(i, bytes.len())
                .map(|i| Value::Int(i64::from(bytes[i])))
                .ok_or_else(|| error(ErrorType::IndexError, BYTES_OOB))
        }
        Value::Obj(o) => crate::object::index(o, idx)
            .ok_or_else(|| error(ErrorType::InvalidOperationError, "Cannot index this type.")),
        _ => Err(error(
            ErrorType::InvalidOperationError,
            "Cannot index this type.",
        )),
    }
}

/// `list[start:stop:step] = values` (upstream's semantics): omitted parts are 0, the list's
/// length and 1; negative indexes count from the end. With step 1, `start < stop` overwrites
/// elements from `start` on, one per value, as far as the list goes; `start >= stop` inserts
/// the values at `start`. Another step overwrites every step-th element from `start`.
pub fn set_slice(obj: &Value, parts: [&Value; 3], value: &Value) -> KResult<()> {
    let (Value::List(list), Value::List(values)) = (obj, value) else {
        return Err(error(
            ErrorType::InvalidOperationError,
            "Slice assignment needs a list on both sides.",
        ));
    };
    let values: Vec<Value> = values.borrow().iter().cloned().collect();
    let mut items = list.try_borrow_mut().map_err(|_| busy())?;
    let len = items.len() as i64;
    let part = |v: &Value, default: i64, what: &str| match v {
        Value::Null => Ok(default),
        Value::Int(i) => Ok(*i),
        _ => Err(error(
            ErrorType::IndexError,
            &format!("{what} must be an integer."),
        )),
    };
    let mut start = part(parts[0], 0, "Start index")?;
    let mut stop = part(parts[1], len, "Stop index")?;
    let step = part(parts[2], 1, "Step value")?;
    if step == 0 {
        return Err(error(ErrorType::ValueError, "Slice step cannot be zero."));
    }
    if start < 0 {
        start += len;
    }
    if stop < 0 {
        stop += len;
    }
    start = start.max(0);
    stop = stop.min(len);
    if step < 0 && stop == len {
        stop = -1;
    }
    if step == 1 {
        if start >= stop {
            let at = usize::try_from(start.min(len)).unwrap_or(0);
            items.splice(at..at, values);
        } else {
            for (i, v) in values.into_iter().enumerate() {
                match items.get_mut(start as usize + i) {
                    Some(slot) => *slot = v,
                    None => break,
                }
            }
        }
        return Ok(());
    }
    let mut i = start;
    for v in values {
        if i == stop || i < 0 || i >= len {
            break;
        }
        items[i as usize] = v;
        i += step;
    }
    Ok(())
}

/// `obj[idx] = value` (§3.4): a list index must be in range; a hashmap takes any key and stores
/// `value` itself (no copy); a bytes element must be an integer 0–255; strings are immutable.
pub fn set_index(obj: &Value, idx: &Value, value: Value) -> KResult<()> {
    match obj {
        Value::List(l) => {
            let i = to_index(idx, LIST_OOB)?;
            let mut items = l.try_borrow_mut().map_err(|_| busy())?;
            let len = items.len();
            let slot = in_bounds(i, len)
                .and_then(|i| items.get_mut(i))
                .ok_or_else(|| error(ErrorType::IndexError, LIST_OOB))?;
            *slot = value;
            Ok(())
        }
        Value::Map(m) => {
            let key = Key(idx.clone());
            m.try_borrow_mut().map_err(|_| busy())?.insert(key, value);
            Ok(())
        }
        Value::Obj(o) => crate::object::set_member(o, idx, value),
        Value::Bytes(b) => {
            let i = to_index(idx, BYTES_OOB)?;
            let byte = match value {
                Value::Int(v) if (0..=255).contains(&v) => v as u8,
                other => {
                    return Err(KiwiError::new(
                        ErrorType::InvalidOperationError,
                        format!(
                            "Byte range is from 0 to 255 inclusive, but received {}",
                            crate::format::to_display(&other)
                        ),
                    ))
                }
            };
            let mut bytes = b.try_borrow_mut().map_err(|_| busy())?;
            let len = bytes.len();
            let slot = in_bounds(i, len)
                .and_then(|i| bytes.get_mut(i))
                .ok_or_else(|| error(ErrorType::IndexError, BYTES_OOB))?;
            *slot = byte;
            Ok(())
        }
        Value::Str(_) => Err(error(
            ErrorType::InvalidOperationError,
            "Strings are immutable; cannot assign to a string index.",
        )),
        _ => Err(error(
            ErrorType::InvalidOperationError,
            "Cannot index this type.",
        )),
    }
}

/// Only reachable if a caller holds a borrow of the container across the call; reported as an
/// error rather than a panic.
fn busy() -> KiwiError {
    error(
        ErrorType::InvalidOperationError,
        "The container is in use and cannot be modified here.",
    )
}

// ---------------------------------------------------------------------------------------------
// Slicing
// ---------------------------------------------------------------------------------------------

/// A slice bound: `null` means omitted, an integer is used as is, anything else is an
/// `IndexError` (§3.5).
fn slice_part(v: &Value, message: &str) -> KResult<Option<i64>> {
    match v {
        Value::Null => Ok(None),
        Value::Int(i) => Ok(Some(*i)),
        _ => Err(error(ErrorType::IndexError, message)),
    }
}

/// The positions `x[start:stop:step]` selects from a sequence of `len` elements, in order.
/// This mirrors upstream's `SliceUtil` exactly, in i64 so nothing truncates or overflows.
fn slice_positions(
    len: usize,
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
) -> impl Iterator<Item = usize> {
    let n = i64::try_from(len).unwrap_or(i64::MAX);
    let mut start = start.unwrap_or(0);
    let mut stop = stop.unwrap_or(n);
    if start < 0 {
        start = start.saturating_add(n).max(0);
    }
    if stop < 0 {
        stop = stop.saturating_add(n);
    } else {
        stop = stop.min(n);
    }
    // A stop at the end walking backwards means "through the first element".
    if step < 0 && stop == n {
        stop = -1;
    }
    let mut i = if step < 0 && start == 0 { n - 1 } else { start };
    std::iter::from_fn(move || {
        let inside = if step < 0 { i >= stop } else { i < stop };
        if !inside || i < 0 || i >= n {
            return None;
        }
        let here = i as usize;
        // Past the representable range there is nothing left to select anyway.
        i = i
            .checked_add(step)
            .unwrap_or(if step < 0 { i64::MIN } else { i64::MAX });
        Some(here)
    })
}

/// `obj[start:stop:step]` (§3.5) on a list, string or bytes, returning a new value of the same
/// type; `Value::Null` marks an omitted part. Step 0 is a `ValueError` (REC).
pub fn slice(obj: &Value, start: &Value, stop: &Value, step: &Value) -> KResult<Value> {
    let start = slice_part(start, "Start index must be an integer.")?;
    let stop = slice_part(stop, "Stop index must be an integer.")?;
    let step = slice_part(step, "Step value must be an integer.")?.unwrap_or(1);
    if step == 0 {
        return Err(error(ErrorType::ValueError, "Slice step cannot be zero."));
    }
    match obj {
        Value::List(l) => {
            let items = l.borrow();
            let out: Vec<Value> = slice_positions(items.len(), start, stop, step)
                .map(|i| items[i].clone())
                .collect();
            Ok(Value::list(out))
        }
        Value::Bytes(b) => {
            let bytes = b.borrow();
            let out: Vec<u8> = slice_positions(bytes.len(), start, stop, step)
                .map(|i| bytes[i])
                .collect();
            Ok(Value::bytes(out))
        }
        Value::Str(s) => {
            if s.is_ascii() {
                let bytes = s.as_bytes();
                let out: String = slice_positions(bytes.len(), start, stop, step)
                    .map(|i| char::from(bytes[i]))
                    .collect();
                Ok(Value::str(out))
            } else {
                let chars: Vec<char> = s.chars().collect();
                let out: String = slice_positions(chars.len(), start, stop, step)
                    .map(|i| chars[i])
                    .collect();
                Ok(Value::str(out))
            }
        }
        _ => Err(error(
            ErrorType::InvalidOperationError,
            "Cannot slice this type.",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------------

/// `[lo to hi]`: the integers from `lo` to `hi`, both inclusive, counting down when `hi < lo`.
/// Bounds must be integers (`RangeError`); more than [`MAX_ELEMENTS`] elements is a
/// `RangeError` rather than an allocation failure.
pub fn range(lo: &Value, hi: &Value) -> KResult<Value> {
    let (Value::Int(lo), Value::Int(hi)) = (lo, hi) else {
        return Err(error(
            ErrorType::RangeError,
            "Range values must be integers.",
        ));
    };
    let (lo, hi) = (*lo, *hi);
    let count = (i128::from(hi) - i128::from(lo)).unsigned_abs() + 1;
    if count > MAX_ELEMENTS as u128 {
        return Err(KiwiError::new(
            ErrorType::RangeError,
            format!("Range is too large: {count} elements (the limit is {MAX_ELEMENTS})."),
        ));
    }
    let out: Vec<Value> = if lo <= hi {
        (lo..=hi).map(Value::Int).collect()
    } else {
        (hi..=lo).rev().map(Value::Int).collect()
    };
    Ok(Value::list(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::to_display;
    use crate::value::Map;

    fn i(n: i64) -> Value {
        Value::Int(n)
    }
    fn f(x: f64) -> Value {
        Value::Float(x)
    }
    fn s(x: &str) -> Value {
        Value::str(x)
    }
    fn l(items: Vec<Value>) -> Value {
        Value::list(items)
    }
    fn ints(items: &[i64]) -> Value {
        l(items.iter().copied().map(Value::Int).collect())
    }
    fn show(v: KResult<Value>) -> String {
        match v {
            Ok(v) => format!("{}:{}", v.type_name(), to_display(&v)),
            Err(e) => format!("{}: {}", e.error, e.message),
        }
    }
    fn bin(op: BinOp, a: &Value, b: &Value) -> String {
        show(binary(op, a, b))
    }
    fn err_type(v: KResult<Value>) -> String {
        match v {
            Ok(v) => format!("ok {}", to_display(&v)),
            Err(e) => e.error.to_string(),
        }
    }

    #[test]
    fn add_rules() {
        assert_eq!(bin(BinOp::Add, &i(2), &i(3)), "integer:5");
        assert_eq!(
            bin(BinOp::Add, &i(i64::MAX), &i(1)),
            format!("integer:{}", i64::MIN)
        );
        assert_eq!(bin(BinOp::Add, &i(1), &f(0.5)), "float:1.5");
        assert_eq!(
            bin(BinOp::Add, &f(0.1), &f(0.2)),
            "float:0.30000000000000004"
        );
        assert_eq!(bin(BinOp::Add, &s("a"), &s("b")), "string:ab");
        assert_eq!(bin(BinOp::Add, &i(1), &s("a")), "string:1a");
        assert_eq!(bin(BinOp::Add, &s("a"), &f(2.0)), "string:a2");
        assert_eq!(bin(BinOp::Add, &s("x"), &ints(&[1])), "string:x[1]");
        assert_eq!(bin(BinOp::Add, &Value::Null, &s("!")), "string:null!");
        assert_eq!(
            bin(BinOp::Add, &ints(&[1]), &ints(&[2, 3])),
            "list:[1, 2, 3]"
        );
        assert_eq!(bin(BinOp::Add, &ints(&[1]), &i(2)), "list:[1, 2]");
        assert_eq!(bin(BinOp::Add, &ints(&[1]), &s("a")), "list:[1, \"a\"]");
        assert_eq!(
            bin(BinOp::Add, &i(1), &ints(&[1])),
            "ConversionError: Conversion error in addition."
        );
        let by = Value::bytes(vec![1]);
        assert_eq!(
            bin(BinOp::Add, &by, &by),
            "ConversionError: Conversion error in addition."
        );
        assert_eq!(
            err_type(binary(BinOp::Add, &Value::Bool(true), &i(1))),
            "ConversionError"
        );
        // list + list is a new list; the operands are untouched.
        let a = ints(&[1]);
        let _ = binary(BinOp::Add, &a, &a);
        assert_eq!(to_display(&a), "[1]");
    }

    #[test]
    fn sub_rules() {
        assert_eq!(
            bin(BinOp::Sub, &i(i64::MIN), &i(1)),
            format!("integer:{}", i64::MAX)
        );
        assert_eq!(bin(BinOp::Sub, &f(1.5), &i(1)), "float:0.5");
        assert_eq!(
            bin(BinOp::Sub, &ints(&[1, 2, 1, 3]), &i(1)),
            "list:[2, 1, 3]"
        );
        assert_eq!(
            bin(BinOp::Sub, &ints(&[1, 2, 1, 3]), &f(2.0)),
            "list:[1, 1, 3]"
        );
        assert_eq!(
            bin(BinOp::Sub, &ints(&[1, 2, 1, 3]), &ints(&[1, 3])),
            "list:[2]"
        );
        assert_eq!(bin(BinOp::Sub, &ints(&[1, 2]), &i(9)), "list:[1, 2]");
        assert_eq!(
            bin(BinOp::Sub, &s("a"), &i(1)),
            "ConversionError: Conversion error in subtraction."
        );
    }

    #[test]
    fn mul_rules() {
        assert_eq!(bin(BinOp::Mul, &i(6), &i(7)), "integer:42");
        assert_eq!(bin(BinOp::Mul, &i(i64::MAX), &i(2)), "integer:-2");
        assert_eq!(bin(BinOp::Mul, &f(1.5), &i(2)), "float:3");
        assert_eq!(bin(BinOp::Mul, &s("ab"), &i(3)), "string:ababab");
        assert_eq!(bin(BinOp::Mul, &s("ab"), &i(0)), "string:");
        assert_eq!(bin(BinOp::Mul, &s("ab"), &i(-2)), "string:");
        assert_eq!(bin(BinOp::Mul, &ints(&[1, 2]), &i(2)), "list:[1, 2, 1, 2]");
        assert_eq!(
            err_type(binary(BinOp::Mul, &ints(&[1]), &i(0))),
            "SyntaxError"
        );
        assert_eq!(
            err_type(binary(BinOp::Mul, &ints(&[]), &i(2))),
            "SyntaxError"
        );
        assert_eq!(
            err_type(binary(BinOp::Mul, &i(3), &s("a"))),
            "ConversionError"
        );
        assert_eq!(
            err_type(binary(BinOp::Mul, &s("a"), &f(2.0))),
            "ConversionError"
        );
        assert_eq!(
            err_type(binary(BinOp::Mul, &s("a"), &i(i64::MAX))),
            "ValueError"
        );
        assert_eq!(
            err_type(binary(BinOp::Mul, &ints(&[1]), &i(i64::MAX))),
            "ValueError"
        );
        // Repeated rows are copies, not aliases.
        let rows = binary(BinOp::Mul, &l(vec![ints(&[0])]), &i(2)).unwrap_or_default();
        if let Value::List(r) = &rows {
            let first = r.borrow()[0].clone();
            set_index(&first, &i(0), i(9)).unwrap_or(());
        }
        assert_eq!(to_display(&rows), "[[9], [0]]");
    }

    #[test]
    fn division_rules() {
        assert_eq!(bin(BinOp::Div, &i(7), &i(2)), "float:3.5");
        assert_eq!(bin(BinOp::Div, &i(6), &i(3)), "float:2");
        assert_eq!(bin(BinOp::Div, &f(1.0), &i(4)), "float:0.25");
        assert_eq!(
            bin(BinOp::Div, &i(1), &i(0)),
            "DivideByZeroError: Division by zero."
        );
        assert_eq!(
            err_type(binary(BinOp::Div, &i(1), &f(0.0))),
            "DivideByZeroError"
        );
        assert_eq!(
            err_type(binary(BinOp::Div, &f(1.0), &f(-0.0))),
            "DivideByZeroError"
        );
        assert_eq!(
            err_type(binary(BinOp::Div, &s("1"), &i(1))),
            "ConversionError"
        );

        assert_eq!(bin(BinOp::FloorDiv, &i(7), &i(2)), "integer:3");
        assert_eq!(bin(BinOp::FloorDiv, &i(-7), &i(2)), "integer:-4");
        assert_eq!(bin(BinOp::FloorDiv, &i(7), &i(-2)), "integer:-4");
        assert_eq!(bin(BinOp::FloorDiv, &i(-7), &i(-2)), "integer:3");
        assert_eq!(bin(BinOp::FloorDiv, &i(-8), &i(2)), "integer:-4");
        assert_eq!(bin(BinOp::FloorDiv, &f(7.9), &i(2)), "integer:3");
        assert_eq!(bin(BinOp::FloorDiv, &f(-7.5), &i(2)), "integer:-4");
        assert_eq!(bin(BinOp::FloorDiv, &i(7), &f(2.5)), "integer:3");
        assert_eq!(
            bin(BinOp::FloorDiv, &i(i64::MIN), &i(-1)),
            format!("integer:{}", i64::MIN)
        );
        assert_eq!(
            err_type(binary(BinOp::FloorDiv, &i(1), &i(0))),
            "DivideByZeroError"
        );
        assert_eq!(
            err_type(binary(BinOp::FloorDiv, &i(1), &f(0.5))),
            "DivideByZeroError"
        );

        assert_eq!(bin(BinOp::Mod, &i(7), &i(3)), "integer:1");
        assert_eq!(bin(BinOp::Mod, &i(-7), &i(3)), "integer:-1");
        assert_eq!(bin(BinOp::Mod, &i(7), &i(-3)), "integer:1");
        assert_eq!(bin(BinOp::Mod, &f(-7.5), &i(2)), "float:-1.5");
        assert_eq!(bin(BinOp::Mod, &f(5.5), &f(2.0)), "float:1.5");
        assert_eq!(bin(BinOp::Mod, &i(i64::MIN), &i(-1)), "integer:0");
        assert_eq!(
            err_type(binary(BinOp::Mod, &i(1), &i(0))),
            "DivideByZeroError"
        );
        assert_eq!(
            err_type(binary(BinOp::Mod, &f(1.0), &f(0.0))),
            "DivideByZeroError"
        );
    }

    #[test]
    fn pow_rules() {
        assert_eq!(bin(BinOp::Pow, &i(2), &i(10)), "integer:1024");
        assert_eq!(bin(BinOp::Pow, &i(2), &i(-1)), "integer:0");
        assert_eq!(bin(BinOp::Pow, &i(-2), &i(3)), "integer:-8");
        assert_eq!(bin(BinOp::Pow, &i(0), &i(0)), "integer:1");
        assert_eq!(
            bin(BinOp::Pow, &i(2), &i(62)),
            "integer:4611686018427387904"
        );
        assert_eq!(
            bin(BinOp::Pow, &i(2), &i(64)),
            format!("integer:{}", i64::MAX)
        );
        assert_eq!(
            bin(BinOp::Pow, &i(3), &i(39)),
            format!("integer:{}", 3f64.powf(39.0) as i64)
        );
        assert_eq!(
            bin(BinOp::Pow, &i(0), &i(-1)),
            format!("integer:{}", i64::MAX)
        );
        assert_eq!(
            bin(BinOp::Pow, &i(2), &f(0.5)),
            format!("float:{}", crate::format::format_float(2f64.sqrt()))
        );
        assert_eq!(bin(BinOp::Pow, &f(2.0), &i(3)), "float:8");
        assert_eq!(
            err_type(binary(BinOp::Pow, &s("2"), &i(3))),
            "ConversionError"
        );
    }

    #[test]
    fn shifts_and_bitwise() {
        assert_eq!(bin(BinOp::Shl, &i(1), &i(3)), "integer:8");
        assert_eq!(bin(BinOp::Shl, &i(1), &i(64)), "integer:1");
        assert_eq!(
            bin(BinOp::Shl, &i(1), &i(63)),
            format!("integer:{}", i64::MIN)
        );
        assert_eq!(bin(BinOp::Shr, &i(-16), &i(2)), "integer:-4");
        assert_eq!(bin(BinOp::Shr, &i(16), &i(66)), "integer:4");
        assert_eq!(bin(BinOp::UShr, &i(-1), &i(28)), "integer:15");
        assert_eq!(bin(BinOp::UShr, &i(-1), &i(0)), "integer:-1");
        assert_eq!(bin(BinOp::UShr, &i(-16), &i(1)), "integer:2147483640");
        assert_eq!(bin(BinOp::UShr, &i(0x1_0000_0010), &i(4)), "integer:1");
        assert_eq!(bin(BinOp::UShr, &i(-1), &i(32)), "integer:0");
        assert_eq!(bin(BinOp::UShr, &i(-1), &i(100)), "integer:0");
        assert_eq!(
            err_type(binary(BinOp::Shl, &f(1.0), &i(1))),
            "ConversionError"
        );
        assert_eq!(
            err_type(binary(BinOp::Shl, &i(1), &f(1.0))),
            "ConversionError"
        );

        assert_eq!(bin(BinOp::BitAnd, &i(12), &i(10)), "integer:8");
        assert_eq!(bin(BinOp::BitOr, &i(12), &i(10)), "integer:14");
        assert_eq!(bin(BinOp::BitXor, &i(12), &i(10)), "integer:6");
        assert_eq!(bin(BinOp::BitAnd, &i(7), &f(2.9)), "integer:2");
        assert_eq!(bin(BinOp::BitOr, &i(4), &Value::Bool(true)), "integer:5");
        assert_eq!(
            bin(BinOp::BitAnd, &f(1.0), &i(1)),
            "ConversionError: Conversion error in first operand of bitwise & operation."
        );
        assert_eq!(
            bin(BinOp::BitXor, &i(1), &s("x")),
            "ConversionError: Conversion error in second operand of bitwise ^ operation."
        );
    }

    #[test]
    fn unary_rules() {
        assert_eq!(show(unary(UnOp::Neg, &i(5))), "integer:-5");
        assert_eq!(
            show(unary(UnOp::Neg, &i(i64::MIN))),
            format!("integer:{}", i64::MIN)
        );
        assert_eq!(show(unary(UnOp::Neg, &f(0.0))), "float:-0");
        assert_eq!(
            show(unary(UnOp::Neg, &s("a"))),
            "ConversionError: Unary minus applied to a non-numeric value."
        );
        assert_eq!(show(unary(UnOp::Not, &i(0))), "boolean:true");
        assert_eq!(show(unary(UnOp::Not, &s("x"))), "boolean:false");
        assert_eq!(show(unary(UnOp::Not, &l(vec![]))), "boolean:true");
        assert_eq!(show(unary(UnOp::BitNot, &i(0))), "integer:-1");
        assert_eq!(show(unary(UnOp::BitNot, &f(5.7))), "integer:-6");
        assert_eq!(show(unary(UnOp::BitNot, &Value::Bool(true))), "integer:-2");
        assert_eq!(
            err_type(unary(UnOp::BitNot, &Value::Null)),
            "ConversionError"
        );
    }

    #[test]
    fn equality() {
        assert_eq!(bin(BinOp::Eq, &i(1), &f(1.0)), "boolean:true");
        assert_eq!(bin(BinOp::Eq, &i(1), &s("1")), "boolean:false");
        assert_eq!(bin(BinOp::Eq, &Value::Null, &Value::Null), "boolean:true");
        assert_eq!(
            bin(BinOp::Eq, &ints(&[1]), &l(vec![f(1.0)])),
            "boolean:false"
        );
        assert_eq!(bin(BinOp::Ne, &ints(&[1]), &ints(&[1])), "boolean:false");
        assert_eq!(bin(BinOp::Ne, &f(f64::NAN), &f(f64::NAN)), "boolean:true");
    }

    #[test]
    fn ordering_rules() {
        let lt = |a: &Value, b: &Value| bin(BinOp::Lt, a, b);
        let le = |a: &Value, b: &Value| bin(BinOp::Le, a, b);
        assert_eq!(lt(&i(1), &i(2)), "boolean:true");
        assert_eq!(lt(&i(1), &f(1.5)), "boolean:true");
        assert_eq!(lt(&f(2.5), &i(2)), "boolean:false");
        assert_eq!(le(&i(2), &f(2.0)), "boolean:true");
        assert_eq!(lt(&s("Z"), &s("a")), "boolean:true");
        assert_eq!(lt(&s("ab"), &s("b")), "boolean:true");
        assert_eq!(lt(&Value::Bool(false), &Value::Bool(true)), "boolean:true");
        assert_eq!(lt(&ints(&[9, 9]), &ints(&[1, 1, 1])), "boolean:true");
        assert_eq!(lt(&ints(&[1, 2]), &ints(&[3, 4])), "boolean:false");
        assert_eq!(le(&ints(&[1, 2]), &ints(&[3, 4])), "boolean:true");
        assert_eq!(lt(&Value::Null, &Value::Null), "boolean:false");
        assert_eq!(le(&Value::Null, &Value::Null), "boolean:true");
        assert_eq!(bin(BinOp::Gt, &Value::Null, &Value::Null), "boolean:false");
        assert_eq!(bin(BinOp::Ge, &Value::Null, &Value::Null), "boolean:true");
        // Type rank: integer < float < boolean < string < list < hashmap < … < null < bytes.
        assert_eq!(lt(&f(1e300), &Value::Bool(false)), "boolean:true");
        assert_eq!(lt(&Value::Bool(true), &s("")), "boolean:true");
        assert_eq!(lt(&s("zzz"), &ints(&[])), "boolean:true");
        assert_eq!(
            lt(&ints(&[1, 2, 3]), &Value::map(Map::new())),
            "boolean:true"
        );
        assert_eq!(lt(&Value::map(Map::new()), &Value::Null), "boolean:true");
        assert_eq!(lt(&Value::Null, &Value::bytes(vec![])), "boolean:true");
        assert_eq!(bin(BinOp::Gt, &s("1"), &i(5)), "boolean:true");
        // Unordered same-type values and NaN: every comparison is false.
        let b = Value::bytes(vec![1]);
        assert_eq!(le(&b, &b), "boolean:false");
        assert_eq!(bin(BinOp::Ge, &b, &b), "boolean:false");
        assert_eq!(lt(&f(f64::NAN), &i(1)), "boolean:false");
        assert_eq!(bin(BinOp::Ge, &f(f64::NAN), &f(f64::NAN)), "boolean:false");

        assert!(less_than(&i(1), &f(1.5)));
        assert!(greater_than(&f(2.5), &i(2)));
        assert!(!less_than(&i(2), &i(2)));
    }

    #[test]
    fn sort_order() {
        let mut v = vec![
            Value::Null,
            s("b"),
            f(0.5),
            i(3),
            Value::Bool(true),
            ints(&[1, 2]),
            s("a"),
            i(-1),
            f(-2.0),
            ints(&[]),
            Value::Bool(false),
            Value::bytes(vec![1]),
            Value::map(Map::new()),
            f(f64::NAN),
        ];
        v.sort_by(total_cmp);
        assert_eq!(
            to_display(&l(v)),
            "[-1, 3, -2, 0.5, NaN, false, true, \"a\", \"b\", [], [1, 2], {}, null, [1]]"
        );
    }

    #[test]
    fn membership() {
        assert_eq!(bin(BinOp::In, &f(1.0), &ints(&[1, 2])), "boolean:true");
        assert_eq!(bin(BinOp::In, &i(3), &ints(&[1, 2])), "boolean:false");
        assert_eq!(bin(BinOp::In, &s("ell"), &s("hello")), "boolean:true");
        assert_eq!(bin(BinOp::In, &s(""), &s("hello")), "boolean:true");
        assert_eq!(
            err_type(binary(BinOp::In, &i(1), &s("1"))),
            "ConversionError"
        );
        let mut m = Map::new();
        m.insert(Key(i(1)), s("one"));
        let m = Value::map(m);
        assert_eq!(bin(BinOp::In, &i(1), &m), "boolean:true");
        assert_eq!(bin(BinOp::In, &f(1.0), &m), "boolean:false");
        assert_eq!(bin(BinOp::In, &s("1"), &m), "boolean:false");
        let b = Value::bytes(vec![104, 105]);
        assert_eq!(bin(BinOp::In, &i(105), &b), "boolean:true");
        assert_eq!(bin(BinOp::In, &i(0), &b), "boolean:false");
        assert_eq!(err_type(binary(BinOp::In, &i(256), &b)), "ConversionError");
        assert_eq!(err_type(binary(BinOp::In, &s("h"), &b)), "ConversionError");
        assert_eq!(
            err_type(binary(BinOp::In, &i(1), &i(1))),
            "InvalidOperationError"
        );
        assert_eq!(
            err_type(binary(BinOp::In, &i(1), &Value::Null)),
            "InvalidOperationError"
        );
    }

    #[test]
    fn short_circuit_ops_are_rejected() {
        for op in [BinOp::And, BinOp::Or, BinOp::Coalesce] {
            assert_eq!(err_type(binary(op, &i(1), &i(2))), "InvalidOperationError");
            assert_eq!(
                err_type(binary(op, &s("a"), &i(2))),
                "InvalidOperationError"
            );
        }
    }

    #[test]
    fn indexing() {
        let list = ints(&[10, 20, 30]);
        assert_eq!(show(index(&list, &i(0))), "integer:10");
        assert_eq!(show(index(&list, &i(2))), "integer:30");
        assert_eq!(
            show(index(&list, &i(3))),
            "IndexError: List index out of bounds."
        );
        assert_eq!(
            show(index(&list, &i(-1))),
            "IndexError: List index out of bounds."
        );
        assert_eq!(show(index(&list, &f(0.5))), "integer:10");
        assert_eq!(show(index(&list, &f(1.5))), "integer:30");
        assert_eq!(show(index(&list, &f(1.4))), "integer:20");
        assert_eq!(err_type(index(&list, &f(f64::NAN))), "IndexError");
        assert_eq!(err_type(index(&list, &s("0"))), "ConversionError");
        assert_eq!(
            err_type(index(&list, &Value::Bool(true))),
            "ConversionError"
        );

        let st = s("héllo");
        assert_eq!(show(index(&st, &i(1))), "string:é");
        assert_eq!(show(index(&st, &i(4))), "string:o");
        assert_eq!(
            show(index(&st, &i(5))),
            "IndexError: String index out of bounds."
        );
        assert_eq!(show(index(&s("abc"), &i(2))), "string:c");
        assert_eq!(
            show(index(&s("abc"), &i(-1))),
            "IndexError: String index out of bounds."
        );
        assert_eq!(
            show(index(&s(""), &i(0))),
            "IndexError: String index out of bounds."
        );

        let by = Value::bytes(vec![104, 105]);
        assert_eq!(show(index(&by, &i(1))), "integer:105");
        assert_eq!(
            show(index(&by, &i(2))),
            "IndexError: Bytes index out of bounds."
        );

        let mut m = Map::new();
        m.insert(Key::from("k"), i(1));
        let m = Value::map(m);
        assert_eq!(show(index(&m, &s("k"))), "integer:1");
        assert_eq!(show(index(&m, &s("x"))), "null:null");
        assert_eq!(
            show(index(&i(1), &i(0))),
            "InvalidOperationError: Cannot index this type."
        );
        assert_eq!(
            err_type(index(&Value::Null, &i(0))),
            "InvalidOperationError"
        );
    }

    #[test]
    fn index_assignment() {
        let list = ints(&[1, 2]);
        assert!(set_index(&list, &i(1), s("x")).is_ok());
        assert_eq!(to_display(&list), "[1, \"x\"]");
        assert_eq!(
            set_index(&list, &i(2), i(0)).map_err(|e| e.error.to_string()),
            Err("IndexError".into())
        );
        assert!(set_index(&list, &i(-1), i(0)).is_err());

        let m = Value::map(Map::new());
        let inner = ints(&[1]);
        assert!(set_index(&m, &s("a"), inner.clone()).is_ok());
        assert!(set_index(&m, &i(1), i(2)).is_ok());
        // The stored value is the same list, not a copy.
        assert!(set_index(&inner, &i(0), i(5)).is_ok());
        assert_eq!(to_display(&m), "{\"a\": [5], 1: 2}");
        assert!(set_index(&m, &s("a"), i(0)).is_ok());
        assert_eq!(to_display(&m), "{\"a\": 0, 1: 2}");

        let by = Value::bytes(vec![0, 0]);
        assert!(set_index(&by, &i(0), i(255)).is_ok());
        assert_eq!(to_display(&by), "[255, 0]");
        let e = set_index(&by, &i(0), i(256)).err();
        assert_eq!(
            e.map(|e| e.message.to_string()),
            Some("Byte range is from 0 to 255 inclusive, but received 256".into())
        );
        assert!(set_index(&by, &i(2), i(1)).is_err());

        let e = set_index(&s("abc"), &i(0), s("x")).err();
        assert_eq!(
            e.map(|e| e.error.to_string()),
            Some("InvalidOperationError".into())
        );
        assert!(set_index(&Value::Null, &i(0), i(1)).is_err());
    }

    #[test]
    fn slicing() {
        let n = Value::Null;
        let x = ints(&[0, 1, 2, 3, 4, 5]);
        let sl = |a: Value, b: Value, c: Value| show(slice(&x, &a, &b, &c));
        assert_eq!(
            sl(n.clone(), n.clone(), n.clone()),
            "list:[0, 1, 2, 3, 4, 5]"
        );
        assert_eq!(sl(i(1), n.clone(), n.clone()), "list:[1, 2, 3, 4, 5]");
        assert_eq!(sl(n.clone(), i(3), n.clone()), "list:[0, 1, 2]");
        assert_eq!(sl(n.clone(), n.clone(), i(2)), "list:[0, 2, 4]");
        assert_eq!(sl(n.clone(), n.clone(), i(-1)), "list:[5, 4, 3, 2, 1, 0]");
        assert_eq!(sl(n.clone(), n.clone(), i(-2)), "list:[5, 3, 1]");
        assert_eq!(sl(i(-2), n.clone(), n.clone()), "list:[4, 5]");
        assert_eq!(sl(i(-100), i(2), n.clone()), "list:[0, 1]");
        assert_eq!(sl(i(1), i(-1), n.clone()), "list:[1, 2, 3, 4]");
        assert_eq!(sl(i(2), i(100), n.clone()), "list:[2, 3, 4, 5]");
        assert_eq!(sl(i(4), i(2), n.clone()), "list:[]");
        assert_eq!(sl(i(10), n.clone(), n.clone()), "list:[]");
        assert_eq!(sl(i(4), i(1), i(-1)), "list:[4, 3, 2, 1]");
        assert_eq!(sl(i(0), i(2), i(-1)), "list:[5, 4, 3, 2]");
        assert_eq!(sl(i(10), n.clone(), i(-1)), "list:[]");
        assert_eq!(sl(n.clone(), i(-100), i(-1)), "list:[5, 4, 3, 2, 1, 0]");
        assert_eq!(sl(n.clone(), n.clone(), i(i64::MAX)), "list:[0]");
        assert_eq!(sl(n.clone(), n.clone(), i(i64::MIN)), "list:[5]");
        assert_eq!(
            sl(i(i64::MIN), i(i64::MAX), n.clone()),
            "list:[0, 1, 2, 3, 4, 5]"
        );
        assert_eq!(
            sl(f(1.0), n.clone(), n.clone()),
            "IndexError: Start index must be an integer."
        );
        assert_eq!(
            sl(n.clone(), s("2"), n.clone()),
            "IndexError: Stop index must be an integer."
        );
        assert_eq!(
            sl(n.clone(), n.clone(), f(1.0)),
            "IndexError: Step value must be an integer."
        );
        assert_eq!(
            sl(n.clone(), n.clone(), i(0)),
            "ValueError: Slice step cannot be zero."
        );

        assert_eq!(show(slice(&s("hello"), &i(1), &i(3), &n)), "string:el");
        assert_eq!(show(slice(&s("hello"), &n, &n, &i(-1))), "string:olleh");
        assert_eq!(show(slice(&s("héllo"), &n, &n, &i(-1))), "string:olléh");
        assert_eq!(show(slice(&s("héllo"), &i(1), &i(2), &n)), "string:é");
        let by = Value::bytes(vec![1, 2, 3]);
        assert_eq!(show(slice(&by, &i(1), &n, &n)), "bytes:[2, 3]");
        assert_eq!(show(slice(&by, &n, &n, &i(-1))), "bytes:[3, 2, 1]");
        assert_eq!(err_type(slice(&i(5), &n, &n, &n)), "InvalidOperationError");
        // The result is a new list.
        let copy = slice(&x, &n, &n, &n).unwrap_or_default();
        let _ = set_index(&copy, &i(0), i(99));
        assert_eq!(to_display(&x), "[0, 1, 2, 3, 4, 5]");
    }

    #[test]
    fn ranges() {
        assert_eq!(show(range(&i(1), &i(5))), "list:[1, 2, 3, 4, 5]");
        assert_eq!(show(range(&i(3), &i(1))), "list:[3, 2, 1]");
        assert_eq!(show(range(&i(-1), &i(-1))), "list:[-1]");
        assert_eq!(
            show(range(&i(i64::MAX - 1), &i(i64::MAX))),
            format!("list:[{}, {}]", i64::MAX - 1, i64::MAX)
        );
        assert_eq!(
            show(range(&i(1), &f(2.0))),
            "RangeError: Range values must be integers."
        );
        assert_eq!(err_type(range(&s("a"), &i(2))), "RangeError");
        assert_eq!(err_type(range(&i(i64::MIN), &i(i64::MAX))), "RangeError");
        assert_eq!(err_type(range(&i(0), &i(100_000_000))), "RangeError");
    }

    #[test]
    fn char_values_are_shared_for_ascii() {
        let (Value::Str(a), Value::Str(b)) = (char_value('a'), char_value('a')) else {
            panic!("not strings");
        };
        assert!(Rc::ptr_eq(&a, &b));
        assert_eq!(to_display(&char_value('é')), "é");
    }
}

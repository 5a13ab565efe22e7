//! Argument checks and error constructors shared by the builtin methods and the stdlib.
//!
//! Messages follow upstream Kiwi: parameter positions are 0-based and type names are the .NET
//! enum names (`Integer`, `String`, `None`).

use crate::text::Text;
use std::rc::Rc;

use crate::error::{ErrorType, KResult, KiwiError};
use crate::value::Value;

/// Fails unless exactly `n` arguments were passed.
pub fn arity(name: &str, args: &[Value], n: usize) -> KResult<()> {
    if args.len() == n {
        Ok(())
    } else {
        Err(KiwiError::param_count(name, n, args.len()))
    }
}

/// Fails unless `min..=max` arguments were passed. Upstream reports these without counts.
pub fn arity_range(name: &str, args: &[Value], min: usize, max: usize) -> KResult<()> {
    if (min..=max).contains(&args.len()) {
        Ok(())
    } else {
        Err(count_error(name))
    }
}

/// The count error upstream raises for builtins with optional or variadic parameters.
pub fn count_error(name: &str) -> KiwiError {
    KiwiError::new(
        ErrorType::ParameterCountMismatchError,
        format!("The parameter count for function `{name}` does not match parameters passed."),
    )
}

fn mismatch(name: &str, pos: usize, expected: &str, got: &Value) -> KiwiError {
    KiwiError::param_type(name, pos, expected, got.dotnet_type_name())
}

/// Argument `pos` as an integer (`ParameterTypeMismatchError` otherwise).
pub fn int_arg(name: &str, args: &[Value], pos: usize) -> KResult<i64> {
    match args.get(pos) {
        Some(Value::Int(i)) => Ok(*i),
        other => Err(mismatch(
            name,
            pos,
            "Integer",
            other.unwrap_or(&Value::Null),
        )),
    }
}

/// Argument `pos` as a string (`ParameterTypeMismatchError` otherwise).
pub fn str_arg<'a>(name: &str, args: &'a [Value], pos: usize) -> KResult<&'a Rc<Text>> {
    match args.get(pos) {
        Some(Value::Str(s)) => Ok(s),
        other => Err(mismatch(name, pos, "String", other.unwrap_or(&Value::Null))),
    }
}

/// Argument `pos` as a number widened to f64 (`Expected Number` otherwise).
pub fn num_arg(name: &str, args: &[Value], pos: usize) -> KResult<f64> {
    let v = args.get(pos).unwrap_or(&Value::Null);
    v.as_f64().ok_or_else(|| mismatch(name, pos, "Number", v))
}

/// Argument `pos` as a float; integers are rejected, as upstream's math functions do.
pub fn float_arg(name: &str, args: &[Value], pos: usize) -> KResult<f64> {
    match args.get(pos) {
        Some(Value::Float(f)) => Ok(*f),
        other => Err(mismatch(name, pos, "Float", other.unwrap_or(&Value::Null))),
    }
}

/// A number used as an index or count: floats truncate toward zero, as upstream's `(int)` casts.
pub fn num_as_i64(name: &str, args: &[Value], pos: usize) -> KResult<i64> {
    match args.get(pos) {
        Some(Value::Int(i)) => Ok(*i),
        Some(Value::Float(f)) => Ok(*f as i64),
        other => Err(mismatch(name, pos, "Number", other.unwrap_or(&Value::Null))),
    }
}

/// A `ParameterTypeMismatchError` naming an arbitrary expected type.
pub fn expected(name: &str, pos: usize, expected: &str, got: &Value) -> KiwiError {
    mismatch(name, pos, expected, got)
}

/// Upstream's `TypeError.ExpectX` for a wrong receiver or argument: `what` is e.g. "a string".
pub fn type_error(what: &str, got: &Value) -> KiwiError {
    // The hashmap variant upstream lacks the final period; keep it identical.
    let end = if what == "a hashmap" { "" } else { "." };
    KiwiError::new(
        ErrorType::TypeError,
        format!(
            "Expected {what} but instead received `{}`{end}",
            got.dotnet_type_name()
        ),
    )
}

/// An `InvalidOperationError`.
pub fn invalid(message: impl Into<String>) -> KiwiError {
    KiwiError::new(ErrorType::InvalidOperationError, message)
}

/// An `IndexError`.
pub fn index_error(message: impl Into<String>) -> KiwiError {
    KiwiError::new(ErrorType::IndexError, message)
}

/// A `ValueError`.
pub fn value_error(message: impl Into<String>) -> KiwiError {
    KiwiError::new(ErrorType::ValueError, message)
}

/// A `ConversionError`.
pub fn conversion(message: impl Into<String>) -> KiwiError {
    KiwiError::new(ErrorType::ConversionError, message)
}

/// Checks that an integer fits in a byte.
pub fn byte_check(n: i64) -> KResult<u8> {
    u8::try_from(n).map_err(|_| {
        invalid(format!(
            "Byte range is from 0 to 255 inclusive, but received {n}"
        ))
    })
}

/// An integer argument that must be a byte: upstream's `TypeError.ExpectInteger` + `ByteCheck`.
pub fn byte_arg(args: &[Value], pos: usize) -> KResult<u8> {
    match args.get(pos) {
        Some(Value::Int(i)) => byte_check(*i),
        other => Err(type_error("an integer", other.unwrap_or(&Value::Null))),
    }
}

/// Resolves a possibly negative index (counting from the end) into `0..len`.
pub fn from_end(index: i64, len: usize) -> Option<usize> {
    let len_i = i64::try_from(len).ok()?;
    let i = if index < 0 {
        index.checked_add(len_i)?
    } else {
        index
    };
    usize::try_from(i).ok().filter(|&i| i < len)
}

/// Bounds of the `slice(a, b)` method, which returns a list: `0 <= a <= b <= len`.
pub fn slice_bounds(args: &[Value], len: usize) -> KResult<(usize, usize)> {
    arity("slice", args, 2)?;
    let start = num_as_i64("slice", args, 0)?;
    let end = num_as_i64("slice", args, 1)?;
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let message = if start < 0 {
        format!("Start position {start} is less than 0.")
    } else if end < 0 {
        format!("End position {end} is less than 0.")
    } else if start > end {
        format!("Start position {start} is after end position {end}.")
    } else if end > len_i {
        format!("End position {end} is beyond the number of elements {len}.")
    } else {
        // Both are within 0..=len here, so the conversions cannot fail.
        return Ok((start as usize, end as usize));
    };
    Err(index_error(message))
}

/// The width argument of `to_hex`, bounded so padding cannot exhaust memory.
pub fn hex_width(args: &[Value]) -> KResult<usize> {
    if args.is_empty() {
        return Ok(2);
    }
    let width = num_as_i64("to_hex", args, 0)?;
    if width < 2 {
        return Err(invalid("Width must be >= 2."));
    }
    usize::try_from(width)
        .ok()
        .filter(|&w| w <= MAX_PAD)
        .ok_or_else(|| value_error(format!("Width must be at most {MAX_PAD}.")))
}

/// Upper bound for any padding or precision a script can request.
pub const MAX_PAD: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arity_messages() {
        let e = arity("trim", &[Value::Int(1)], 0).unwrap_err();
        assert_eq!(e.error.as_ref(), "ParameterCountMismatchError");
        assert_eq!(
            e.message.as_ref(),
            "The parameter count for function `trim` does not match parameters passed. Expected 0 but received 1."
        );
        assert!(arity_range("get", &[], 1, 2).is_err());
        assert!(arity_range("get", &[Value::Null], 1, 2).is_ok());
    }

    #[test]
    fn type_messages() {
        let e = int_arg("get", &[Value::str("x")], 0).unwrap_err();
        assert_eq!(
            e.message.as_ref(),
            "The type for parameter 0 of `get` is not an expected type. Expected Integer but received String."
        );
        let e = type_error("a hashmap", &Value::Int(1));
        assert_eq!(
            e.message.as_ref(),
            "Expected a hashmap but instead received `Integer`"
        );
        let e = type_error("a string", &Value::Null);
        assert_eq!(
            e.message.as_ref(),
            "Expected a string but instead received `None`."
        );
    }

    #[test]
    fn byte_range() {
        assert_eq!(byte_check(255).unwrap(), 255);
        let e = byte_check(256).unwrap_err();
        assert_eq!(
            e.message.as_ref(),
            "Byte range is from 0 to 255 inclusive, but received 256"
        );
        assert_eq!(e.error.as_ref(), "InvalidOperationError");
        assert!(byte_check(-1).is_err());
    }

    #[test]
    fn negative_indexes() {
        assert_eq!(from_end(-1, 3), Some(2));
        assert_eq!(from_end(-3, 3), Some(0));
        assert_eq!(from_end(-4, 3), None);
        assert_eq!(from_end(3, 3), None);
        assert_eq!(from_end(i64::MIN, 3), None);
    }

    #[test]
    fn slice_checks() {
        let a = |x: i64, y: i64| slice_bounds(&[Value::Int(x), Value::Int(y)], 3);
        assert_eq!(a(0, 3).unwrap(), (0, 3));
        assert_eq!(a(1, 1).unwrap(), (1, 1));
        assert_eq!(
            a(-1, 2).unwrap_err().message.as_ref(),
            "Start position -1 is less than 0."
        );
        assert_eq!(
            a(2, 1).unwrap_err().message.as_ref(),
            "Start position 2 is after end position 1."
        );
        assert!(a(0, 4).is_err());
    }

    #[test]
    fn widths() {
        assert_eq!(hex_width(&[]).unwrap(), 2);
        assert_eq!(hex_width(&[Value::Int(4)]).unwrap(), 4);
        assert_eq!(
            hex_width(&[Value::Int(1)]).unwrap_err().message.as_ref(),
            "Width must be >= 2."
        );
        assert!(hex_width(&[Value::Int(1 << 40)]).is_err());
    }
}

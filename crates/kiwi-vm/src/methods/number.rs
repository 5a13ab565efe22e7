//! Methods of integers and floats: conversions, `to_hex`, `clamp`, `between`, and the numeric
//! formats of `to_string(fmt)`.

use std::cmp::Ordering;

use crate::error::KResult;
use crate::value::Value;

use super::check::{self, arity, arity_range, invalid, value_error, MAX_PAD};
use super::convert;
use super::fixed;

/// Dispatches a number method; `None` if numbers have no method `name`.
pub fn call(recv: &Value, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    Some(match name {
        "to_integer" => convert::to_integer(recv, args),
        "to_float" => convert::to_float(recv, args),
        "to_hex" => to_hex(recv, args),
        "clamp" => clamp(recv, args),
        "between" => between(recv, args),
        _ => return None,
    })
}

/// `int.to_hex(width = 2)`: the low byte only, zero-padded to `width`.
fn to_hex(recv: &Value, args: &[Value]) -> KResult<Value> {
    arity_range("to_hex", args, 0, 1)?;
    let Value::Int(n) = recv else {
        return Err(invalid("Expected a list or bytes."));
    };
    let width = check::hex_width(args)?;
    Ok(Value::str(format!("{:0width$x}", n & 0xff)))
}

/// Orders two numbers; ints compare exactly, anything with a float compares as f64.
fn num_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// `x.clamp(lo, hi)`: `lo` if below, `hi` if above, else `x` (each keeps its own type).
fn clamp(recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("clamp", args, 2)?;
    check::num_arg("clamp", args, 0)?;
    check::num_arg("clamp", args, 1)?;
    let (lo, hi) = (&args[0], &args[1]);
    if num_cmp(lo, hi) == Some(Ordering::Greater) {
        return Err(value_error(
            "The lower bound of `clamp` must not exceed the upper bound.",
        ));
    }
    Ok(if num_cmp(recv, lo) == Some(Ordering::Less) {
        lo.clone()
    } else if num_cmp(recv, hi) == Some(Ordering::Greater) {
        hi.clone()
    } else {
        recv.clone()
    })
}

/// `x.between(a, b)`: inclusive, in whichever order the bounds come.
fn between(recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("between", args, 2)?;
    let a = check::num_arg("between", args, 0)?;
    let b = check::num_arg("between", args, 1)?;
    let x = recv.as_f64().unwrap_or(f64::NAN);
    Ok(Value::Bool(a.min(b) <= x && x <= a.max(b)))
}

/// Whether `to_string(fmt)` treats `fmt` as a numeric format (`b`, `x`, `o`, `f…`).
pub fn is_numeric_format(fmt: &str) -> bool {
    fmt.eq_ignore_ascii_case("b")
        || fmt.eq_ignore_ascii_case("x")
        || fmt.eq_ignore_ascii_case("o")
        || fmt.starts_with(['f', 'F'])
}

/// `to_string(fmt)` for a number: `x`/`X` hex, `o` octal, `b` binary padded to 16 digits
/// (negative values in 64-bit two's complement), `fN` fixed-point with N decimals.
pub fn format_numeric(recv: &Value, fmt: &str) -> KResult<Value> {
    let truncated = match recv {
        Value::Int(i) => *i,
        Value::Float(f) => *f as i64,
        _ => return Err(invalid("Expected an integer or float.")),
    };
    let text = match fmt {
        "b" | "B" => format!("{truncated:016b}"),
        "x" => format!("{truncated:x}"),
        "X" => format!("{truncated:X}"),
        "o" | "O" => format!("{truncated:o}"),
        _ => {
            let digits = fmt.get(1..).unwrap_or("");
            let prec = if digits.is_empty() {
                0
            } else if digits.bytes().all(|b| b.is_ascii_digit()) {
                digits.parse::<usize>().unwrap_or(usize::MAX)
            } else {
                return Err(invalid(format!("Invalid fixed-point format `{fmt}`.")));
            };
            if prec > MAX_PAD {
                return Err(value_error(format!(
                    "Invalid fixed-point format `{fmt}`: at most {MAX_PAD} decimals."
                )));
            }
            match recv {
                Value::Int(i) => fixed::format_fixed_int(*i, prec),
                _ => fixed::format_fixed(recv.as_f64().unwrap_or(0.0), prec),
            }
        }
    };
    Ok(Value::str(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: KResult<Value>) -> String {
        match v {
            Ok(Value::Str(s)) => s.to_string(),
            other => panic!("not a string: {:?}", other.map(|v| v.type_name())),
        }
    }

    #[test]
    fn hex_low_byte() {
        assert_eq!(s(to_hex(&Value::Int(255), &[])), "ff");
        assert_eq!(s(to_hex(&Value::Int(256), &[])), "00");
        assert_eq!(s(to_hex(&Value::Int(-1), &[])), "ff");
        assert_eq!(s(to_hex(&Value::Int(10), &[Value::Int(4)])), "000a");
        let e = to_hex(&Value::Float(1.0), &[]).unwrap_err();
        assert_eq!(e.error.as_ref(), "InvalidOperationError");
        assert!(to_hex(&Value::Int(1), &[Value::Int(1), Value::Int(2)]).is_err());
    }

    #[test]
    fn numeric_formats() {
        let f = |v: Value, fmt: &str| s(format_numeric(&v, fmt));
        assert_eq!(f(Value::Int(255), "x"), "ff");
        assert_eq!(f(Value::Int(255), "X"), "FF");
        assert_eq!(f(Value::Int(8), "o"), "10");
        assert_eq!(f(Value::Int(5), "b"), "0000000000000101");
        assert_eq!(f(Value::Int(-1), "x"), "ffffffffffffffff");
        assert_eq!(f(Value::Float(2.5), "f2"), "2.50");
        assert_eq!(f(Value::Float(2.5), "f"), "3");
        assert_eq!(f(Value::Int(3), "F1"), "3.0");
        assert_eq!(f(Value::Float(255.9), "x"), "ff");
        let e = format_numeric(&Value::Float(1.0), "fz").unwrap_err();
        assert_eq!(e.message.as_ref(), "Invalid fixed-point format `fz`.");
        let e = format_numeric(&Value::Float(1.0), "f1000000").unwrap_err();
        assert_eq!(e.error.as_ref(), "ValueError");
        let e = format_numeric(&Value::Float(1.0), "f99999999999999999999999").unwrap_err();
        assert_eq!(e.error.as_ref(), "ValueError");
    }

    #[test]
    fn clamp_and_between() {
        let c = |x: Value, lo: Value, hi: Value| clamp(&x, &[lo, hi]);
        assert!(matches!(
            c(Value::Int(5), Value::Int(0), Value::Int(3)),
            Ok(Value::Int(3))
        ));
        assert!(matches!(
            c(Value::Int(-5), Value::Int(0), Value::Int(3)),
            Ok(Value::Int(0))
        ));
        assert!(matches!(
            c(Value::Float(1.5), Value::Int(0), Value::Int(3)),
            Ok(Value::Float(_))
        ));
        assert_eq!(
            c(Value::Int(1), Value::Int(3), Value::Int(0))
                .unwrap_err()
                .error
                .as_ref(),
            "ValueError"
        );
        assert_eq!(
            c(Value::Int(1), Value::str("a"), Value::Int(0))
                .unwrap_err()
                .error
                .as_ref(),
            "ParameterTypeMismatchError"
        );
        let b = |x: Value, lo: Value, hi: Value| between(&x, &[lo, hi]).unwrap();
        assert!(matches!(
            b(Value::Int(3), Value::Int(1), Value::Int(3)),
            Value::Bool(true)
        ));
        assert!(matches!(
            b(Value::Int(3), Value::Int(5), Value::Float(2.0)),
            Value::Bool(true)
        ));
        assert!(matches!(
            b(Value::Int(6), Value::Int(1), Value::Int(5)),
            Value::Bool(false)
        ));
    }

    #[test]
    fn dispatch() {
        assert!(call(&Value::Int(1), "nope", &[]).is_none());
        assert!(matches!(
            call(&Value::Float(2.9), "to_integer", &[]),
            Some(Ok(Value::Int(2)))
        ));
    }
}

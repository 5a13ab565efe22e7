//! Text-to-number conversions: `to_integer(base)`, `to_float()` and `hex_bytes()`.

use crate::error::KResult;
use crate::value::Value;

use super::check::{self, arity, arity_range, conversion, value_error};

/// `to_integer(base = 10)` on any receiver.
pub fn to_integer(recv: &Value, args: &[Value]) -> KResult<Value> {
    arity_range("to_integer", args, 0, 1)?;
    let base = if args.is_empty() {
        10
    } else {
        let b = check::num_as_i64("to_integer", args, 0)?;
        if !(2..=36).contains(&b) {
            return Err(check::invalid("Base must be between 2 and 36, inclusive."));
        }
        b as u32
    };
    match recv {
        Value::Str(s) => parse_int(s, base).map(Value::Int).ok_or_else(|| {
            conversion(format!(
                "Cannot convert non-numeric string to an integer: `{s}`"
            ))
        }),
        // `as` saturates and maps NaN to 0, where .NET would give an unspecified value.
        Value::Float(f) => Ok(Value::Int(*f as i64)),
        Value::Int(_) => Ok(recv.clone()),
        _ => Err(conversion(
            "Cannot convert non-numeric value to an integer.",
        )),
    }
}

/// Upstream's parser: trimmed, an optional `-`, digits `0-9a-z` below `base`, no overflow.
fn parse_int(s: &str, base: u32) -> Option<i64> {
    let t = s.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(36).filter(|&d| d < base)?;
        n = n.checked_mul(i64::from(base))?.checked_add(i64::from(d))?;
    }
    Some(if negative { -n } else { n })
}

/// `to_float()` on any receiver.
pub fn to_float(recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("to_float", args, 0)?;
    match recv {
        Value::Str(s) => parse_float(s).map(Value::Float).ok_or_else(|| {
            conversion(format!(
                "Cannot convert non-numeric value to a float: `{s}`"
            ))
        }),
        Value::Int(i) => Ok(Value::Float(*i as f64)),
        Value::Float(_) => Ok(recv.clone()),
        _ => Err(conversion("Cannot convert non-numeric value to a float.")),
    }
}

/// .NET `double.TryParse(s, Float | AllowThousands, Invariant)`: surrounding ASCII whitespace,
/// a sign, thousands commas in the integer part, a decimal point, an exponent, and the named
/// values `Infinity`/`NaN`.
pub fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| matches!(c, '\t'..='\r' | ' '));
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    if body.eq_ignore_ascii_case("infinity") || body == "∞" {
        return Some(sign * f64::INFINITY);
    }
    if body.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    let mut clean = String::with_capacity(body.len());
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut int_digits = 0;
    while i < bytes.len() && (bytes[i].is_ascii_digit() || (bytes[i] == b',' && int_digits > 0)) {
        if bytes[i] != b',' {
            clean.push(bytes[i] as char);
            int_digits += 1;
        }
        i += 1;
    }
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        clean.push('.');
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            clean.push(bytes[i] as char);
            frac_digits += 1;
            i += 1;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        clean.push('e');
        i += 1;
        if let Some(&c @ (b'+' | b'-')) = bytes.get(i) {
            clean.push(c as char);
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            clean.push(bytes[i] as char);
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    clean.parse::<f64>().ok().map(|f| sign * f)
}

/// `hex_bytes()`: `"0a ff"` → bytes `[10, 255]`; blanks and tabs are ignored.
pub fn hex_bytes(s: &str, args: &[Value]) -> KResult<Value> {
    arity("hex_bytes", args, 0)?;
    let digits: Vec<char> = s
        .trim()
        .chars()
        .filter(|&c| c != ' ' && c != '\t')
        .collect();
    if !digits.len().is_multiple_of(2) {
        return Err(value_error(
            "Hex string must have even length (after removing whitespace)",
        ));
    }
    let mut out = Vec::with_capacity(digits.len() / 2);
    for pair in digits.chunks_exact(2) {
        // The two texts are those of .NET's Convert.ToByte(pair, 16) failures.
        let hi = pair[0].to_digit(16).ok_or_else(|| {
            value_error("Invalid hex character in string: Could not find any recognizable digits.")
        })?;
        let lo = pair[1].to_digit(16).ok_or_else(|| {
            value_error(
                "Invalid hex character in string: Additional non-parsable characters are at the end of the string.",
            )
        })?;
        out.push((hi * 16 + lo) as u8);
    }
    Ok(Value::bytes(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(s: &str, base: i64) -> KResult<Value> {
        to_integer(&Value::str(s), &[Value::Int(base)])
    }

    #[test]
    fn to_integer_edges() {
        assert!(matches!(int(" 42 ", 10), Ok(Value::Int(42))));
        assert!(matches!(int("-17", 10), Ok(Value::Int(-17))));
        assert!(matches!(int("ff", 16), Ok(Value::Int(255))));
        assert!(matches!(int("FF", 16), Ok(Value::Int(255))));
        assert!(matches!(int("z", 36), Ok(Value::Int(35))));
        assert!(matches!(int("101", 2), Ok(Value::Int(5))));
        assert!(matches!(
            int("9223372036854775807", 10),
            Ok(Value::Int(i64::MAX))
        ));
        for bad in [
            "+5",
            "3.5",
            "",
            " ",
            "-",
            "9223372036854775808",
            "12a",
            "2",
            "0x10",
        ] {
            let base = if bad == "2" { 2 } else { 10 };
            let e = int(bad, base).unwrap_err();
            assert_eq!(e.error.as_ref(), "ConversionError", "{bad}");
            assert_eq!(
                e.message.as_ref(),
                format!("Cannot convert non-numeric string to an integer: `{bad}`")
            );
        }
        let e = int("1", 37).unwrap_err();
        assert_eq!(
            e.message.as_ref(),
            "Base must be between 2 and 36, inclusive."
        );
        assert!(matches!(
            to_integer(&Value::Float(-3.9), &[]),
            Ok(Value::Int(-3))
        ));
        assert!(matches!(to_integer(&Value::Int(7), &[]), Ok(Value::Int(7))));
        let e = to_integer(&Value::Bool(true), &[]).unwrap_err();
        assert_eq!(e.error.as_ref(), "ConversionError");
    }

    #[test]
    fn to_float_forms() {
        let f = |s: &str| parse_float(s);
        assert_eq!(f("1,234.5"), Some(1234.5));
        assert_eq!(f("1,000,000"), Some(1e6));
        assert_eq!(f(" -2.5e3 "), Some(-2500.0));
        assert_eq!(f("1E-2"), Some(0.01));
        assert_eq!(f("+.5"), Some(0.5));
        assert_eq!(f("5."), Some(5.0));
        assert_eq!(f("Infinity"), Some(f64::INFINITY));
        assert_eq!(f("-infinity"), Some(f64::NEG_INFINITY));
        assert!(f("NaN").is_some_and(f64::is_nan));
        for bad in [
            "", ".", "abc", "1e", "1.2.3", ",5", "1 2", "0x10", "1e5x", "--1",
        ] {
            assert_eq!(f(bad), None, "{bad}");
        }
        let e = to_float(&Value::str("x1"), &[]).unwrap_err();
        assert_eq!(
            e.message.as_ref(),
            "Cannot convert non-numeric value to a float: `x1`"
        );
        assert!(matches!(to_float(&Value::Int(2), &[]), Ok(Value::Float(v)) if v == 2.0));
    }

    fn hex(s: &str) -> KResult<Vec<u8>> {
        hex_bytes(s, &[]).map(|v| match v {
            Value::Bytes(b) => b.borrow().clone(),
            _ => unreachable!(),
        })
    }

    #[test]
    fn hex_bytes_rules() {
        assert_eq!(hex("0aff").unwrap(), vec![10, 255]);
        assert_eq!(hex(" 0A FF\t10 ").unwrap(), vec![10, 255, 16]);
        assert_eq!(hex("").unwrap(), Vec::<u8>::new());
        let e = hex("abc").unwrap_err();
        assert_eq!(e.error.as_ref(), "ValueError");
        assert_eq!(
            e.message.as_ref(),
            "Hex string must have even length (after removing whitespace)"
        );
        assert_eq!(hex("zz").unwrap_err().error.as_ref(), "ValueError");
        assert_eq!(hex("0g").unwrap_err().error.as_ref(), "ValueError");
        assert_eq!(hex("éé").unwrap_err().error.as_ref(), "ValueError");
    }
}

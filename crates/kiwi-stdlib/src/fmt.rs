//! The `fmt` package: `sprintf`-style formatting (upstream's `docs/lib/fmt.md`). Specifiers
//! `%s %d %i %f %e %x %X %o %b %c %%`, with the flags `-` (left-align), `0` (zero-pad), `+`
//! (always a sign), a width, and `.N` (decimals for `%f`/`%e`, most characters for `%s`).

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::format;
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::value::Value;

/// The `fmt` package.
pub const PACKAGE: Package = Package {
    name: "fmt",
    functions: &[
        NativeFn::pure("sprintf", Arity::between(1, 2), |a| {
            sprintf(a).map(Value::str)
        }),
        NativeFn::cx("printf", Arity::between(1, 2), |cx, a| print(cx, a, "")),
        NativeFn::cx("printlnf", Arity::between(1, 2), |cx, a| print(cx, a, "\n")),
    ],
};

fn print(cx: &mut NativeCx<'_>, args: &[Value], end: &str) -> KResult<Reply> {
    let mut text = sprintf(args)?;
    text.push_str(end);
    cx.write_out(&text);
    Ok(Value::Null.into())
}

/// One `%...` specifier's flags.
#[derive(Default)]
struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    width: usize,
    precision: Option<usize>,
}

fn bad(message: String) -> KiwiError {
    KiwiError::custom("ValueError", format!("fmt::sprintf: {message}"))
}

/// `sprintf(format, args = [])`.
fn sprintf(args: &[Value]) -> KResult<String> {
    let fmt = check::str_arg("fmt::sprintf", args, 0)?;
    let values = match args.get(1) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::List(l)) => l.borrow().to_vec(),
        Some(one) => vec![one.clone()],
    };
    let mut next = values.iter();
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        let mut spec = Spec::default();
        while let Some(&c) = chars.get(i) {
            match c {
                '-' => spec.left = true,
                '0' => spec.zero = true,
                '+' => spec.plus = true,
                _ => break,
            }
            i += 1;
        }
        while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
            spec.width = spec.width * 10 + d as usize;
            i += 1;
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut p = 0;
            while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                p = p * 10 + d as usize;
                i += 1;
            }
            spec.precision = Some(p);
        }
        let Some(&conv) = chars.get(i) else {
            return Err(bad("the format ends inside a specifier".into()));
        };
        i += 1;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let value = next
            .next()
            .ok_or_else(|| bad(format!("no value for '%{conv}'")))?;
        let (body, numeric) = convert(conv, value, &spec)?;
        pad(&mut out, &body, &spec, numeric);
    }
    Ok(out)
}

/// The text of one conversion, and whether it is a number (zero-padding applies).
fn convert(conv: char, v: &Value, spec: &Spec) -> KResult<(String, bool)> {
    let int = |v: &Value| match v {
        Value::Int(n) => Ok(*n),
        Value::Float(f) => Ok(f.trunc() as i64),
        other => Err(bad(format!(
            "'%{conv}' needs a number, not {}",
            format::to_display(other)
        ))),
    };
    let float = |v: &Value| match v {
        Value::Int(n) => Ok(*n as f64),
        Value::Float(f) => Ok(*f),
        other => Err(bad(format!(
            "'%{conv}' needs a number, not {}",
            format::to_display(other)
        ))),
    };
    let signed = |text: String, negative: bool| {
        if negative {
            format!("-{text}")
        } else if spec.plus {
            format!("+{text}")
        } else {
            text
        }
    };
    Ok(match conv {
        's' => {
            let text = format::to_display(v);
            let text = match spec.precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            };
            (text, false)
        }
        'd' | 'i' => {
            let n = int(v)?;
            (signed(n.unsigned_abs().to_string(), n < 0), true)
        }
        'f' | 'F' => {
            let f = float(v)?;
            let text = format!("{:.*}", spec.precision.unwrap_or(6), f.abs());
            (signed(text, f.is_sign_negative() && f != 0.0), true)
        }
        'e' | 'E' => {
            let f = float(v)?;
            let text = scientific(f.abs(), spec.precision.unwrap_or(6));
            let text = if conv == 'E' {
                text.to_uppercase()
            } else {
                text
            };
            (signed(text, f.is_sign_negative() && f != 0.0), true)
        }
        'x' => (format!("{:x}", int(v)?), true),
        'X' => (format!("{:X}", int(v)?), true),
        'o' => (format!("{:o}", int(v)?), true),
        'b' => (format!("{:b}", int(v)?), true),
        'c' => {
            let code = u32::try_from(int(v)?).ok().and_then(char::from_u32);
            let c = code
                .ok_or_else(|| bad(format!("{} is not a character code", format::to_display(v))))?;
            (c.to_string(), false)
        }
        other => return Err(bad(format!("unknown specifier '%{other}'"))),
    })
}

/// C's `%e`: one digit, `.`, `precision` digits, `e`, a sign and at least two exponent digits.
fn scientific(f: f64, precision: usize) -> String {
    let text = format!("{f:.precision$e}");
    match text.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text,
    }
}

/// Appends `body` padded to the spec's width (zeros go after the sign).
fn pad(out: &mut String, body: &str, spec: &Spec, numeric: bool) {
    let len = body.chars().count();
    if len >= spec.width {
        out.push_str(body);
        return;
    }
    let fill = spec.width - len;
    if spec.left {
        out.push_str(body);
        out.push_str(&" ".repeat(fill));
    } else if spec.zero && numeric {
        let (sign, digits) = match body.strip_prefix(['-', '+']) {
            Some(rest) => (&body[..1], rest),
            None => ("", body),
        };
        out.push_str(sign);
        out.push_str(&"0".repeat(fill));
        out.push_str(digits);
    } else {
        out.push_str(&" ".repeat(fill));
        out.push_str(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: Vec<Value>) -> String {
        sprintf(&[Value::str(fmt), Value::list(args)]).expect("formats")
    }

    #[test]
    fn specifiers() {
        assert_eq!(
            f("%s and %s", vec![Value::str("a"), Value::str("b")]),
            "a and b"
        );
        assert_eq!(
            f(
                "%05d|%-4d|%+d",
                vec![Value::Int(42), Value::Int(7), Value::Int(3)]
            ),
            "00042|7   |+3"
        );
        assert_eq!(
            f(
                "%.2f %.0f %f",
                vec![Value::Float(5.4321), Value::Float(2.9), Value::Float(1.0)]
            ),
            "5.43 3 1.000000"
        );
        assert_eq!(
            f(
                "%x %X %o %b %c",
                vec![
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(8),
                    Value::Int(5),
                    Value::Int(65)
                ]
            ),
            "ff FF 10 101 A"
        );
        assert_eq!(f("%e", vec![Value::Float(123.456)]), "1.234560e+02");
        assert_eq!(f("%08.2f", vec![Value::Float(-3.5)]), "-0003.50");
        assert_eq!(
            f("%.3s|%10s", vec![Value::str("hello"), Value::str("hi")]),
            "hel|        hi"
        );
        assert_eq!(f("100%%", vec![]), "100%");
        assert!(sprintf(&[Value::str("%d")]).is_err());
        assert!(sprintf(&[Value::str("%q"), Value::list(vec![Value::Int(1)])]).is_err());
    }
}

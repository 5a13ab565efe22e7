//! Global functions: `typeof`, `char`, `serialize`, `deserialize`, `d`, and upstream's HTTP
//! builtins (`__http_get__` ...).

use kiwi_vm::error::KResult;
use kiwi_vm::format;
use kiwi_vm::methods::check::{self, value_error};
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::Value;

use super::serial;

/// The global functions (the package with no name).
pub const PACKAGE: Package = Package {
    name: "",
    functions: &[
        NativeFn::pure("typeof", Arity::exactly(1), |a| {
            Ok(kiwi_vm::object::type_of(&a[0]))
        }),
        NativeFn::pure("char", Arity::exactly(1), |a| char_of(&a[0])),
        NativeFn::pure("serialize", Arity::exactly(1), |a| {
            format::serialize(&a[0]).map(Value::str).ok_or_else(|| {
                value_error(
                    "serialize: the value contains itself, so its text could not be read back",
                )
            })
        }),
        NativeFn::pure("d", Arity::between(0, 7), make_date),
        NativeFn::pure("deserialize", Arity::exactly(1), |a| {
            serial::deserialize(check::str_arg("deserialize", a, 0)?)
        }),
        // Upstream's HTTP builtins, which its examples call directly (see http.rs).
        NativeFn::cx("__http_get__", Arity::between(1, 2), |cx, a| {
            crate::http::builtin(cx, "GET", a)
        }),
        NativeFn::cx("__http_post__", Arity::between(1, 3), |cx, a| {
            crate::http::builtin(cx, "POST", a)
        }),
        NativeFn::cx("__http_put__", Arity::between(1, 3), |cx, a| {
            crate::http::builtin(cx, "PUT", a)
        }),
        NativeFn::cx("__http_delete__", Arity::between(1, 3), |cx, a| {
            crate::http::builtin(cx, "DELETE", a)
        }),
        NativeFn::cx(
            "__http_download__",
            Arity::between(2, 3),
            crate::http::builtin_download,
        ),
    ],
};

/// `d(year = now, month = 1, day = 1, hour = 0, minute = 0, second = 0, millisecond = 0)`: a
/// date; `year` may instead be text to read as `to_date()` does. Fields that make no date
/// give the default date (0001-01-01), as upstream's.
fn make_date(args: &[Value]) -> KResult<Value> {
    match args.first() {
        None | Some(Value::Null) => return Ok(Value::Date(crate::time::local_now())),
        Some(text @ Value::Str(_)) => {
            return kiwi_vm::methods::call_method(text, "to_date", &[])
                .unwrap_or(Ok(Value::Date(kiwi_vm::date::MIN)))
        }
        _ => {}
    }
    let mut fields = [1i64, 1, 1, 0, 0, 0, 0];
    for (i, slot) in fields.iter_mut().enumerate() {
        match args.get(i) {
            None | Some(Value::Null) => {}
            Some(_) => *slot = check::int_arg("d", args, i)?,
        }
    }
    let small = |v: i64| u32::try_from(v).ok();
    let ms = (|| {
        kiwi_vm::date::Civil {
            year: fields[0],
            month: small(fields[1])?,
            day: small(fields[2])?,
            hour: small(fields[3])?,
            minute: small(fields[4])?,
            second: small(fields[5])?,
            milli: small(fields[6])?,
        }
        .to_ms()
    })();
    Ok(Value::Date(ms.unwrap_or(kiwi_vm::date::MIN)))
}

/// `char(code)`: a code point as an integer, or as hex text (`"1F600"`, `"U+1F40D"`,
/// `"0x41"`), to a one-character string.
fn char_of(code: &Value) -> KResult<Value> {
    let n = match code {
        Value::Int(i) => u32::try_from(*i).ok(),
        Value::Str(s) => {
            let t = s.trim();
            let hex = t
                .strip_prefix("U+")
                .or_else(|| t.strip_prefix("u+"))
                .or_else(|| t.strip_prefix("0x"))
                .or_else(|| t.strip_prefix("0X"))
                .unwrap_or(t);
            u32::from_str_radix(hex, 16).ok()
        }
        other => return Err(check::expected("char", 0, "Integer", other)),
    };
    n.and_then(char::from_u32)
        .map(|c| Value::str(c.to_string()))
        .ok_or_else(|| value_error(format!("Invalid code point: {}", format::to_display(code))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> Option<KResult<Value>> {
        crate::call_plain(&PACKAGE, name, args, &Default::default())
    }

    fn text(v: Option<KResult<Value>>) -> String {
        match v {
            Some(Ok(Value::Str(s))) => s.to_string(),
            _ => panic!("not a string"),
        }
    }

    #[test]
    fn typeof_and_char() {
        assert_eq!(text(call("typeof", &[Value::Null])), "null");
        assert_eq!(text(call("typeof", &[Value::bytes(vec![])])), "bytes");
        assert_eq!(text(call("char", &[Value::Int(0x1F95D)])), "🥝");
        assert_eq!(text(call("char", &[Value::str("U+1F40D")])), "🐍");
        assert_eq!(text(call("char", &[Value::str("41")])), "A");
        assert_eq!(
            call("char", &[Value::Int(0xD800)])
                .unwrap()
                .unwrap_err()
                .error
                .as_ref(),
            "ValueError"
        );
        assert!(call("char", &[Value::Int(-1)]).unwrap().is_err());
        assert!(call("typeof", &[]).unwrap().is_err());
    }

    #[test]
    fn serialize_round_trip() {
        let v = Value::list(vec![Value::str("a"), Value::Int(1), Value::Float(0.5)]);
        let s = text(call("serialize", &[v]));
        assert_eq!(s, "[\"a\", 1, 0.5]");
        let back = call("deserialize", &[Value::str(s.as_str())])
            .unwrap()
            .unwrap();
        assert_eq!(format::to_repr(&back), s);
        assert_eq!(text(call("serialize", &[Value::str("hi")])), "\"hi\"");
    }
}

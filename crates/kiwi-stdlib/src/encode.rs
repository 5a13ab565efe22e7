//! The `encode` package: Base64, hexadecimal and URL encoding (upstream's
//! `docs/lib/encode.md`). Text is encoded as its UTF-8 bytes; a list is a list of byte values.

use base64::Engine;

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::Value;

/// The `encode` package.
pub const PACKAGE: Package = Package {
    name: "encode",
    functions: &[
        NativeFn::pure("base64_encode", Arity::exactly(1), |a| {
            let data = data_arg("encode::base64_encode", &a[0])?;
            Ok(Value::str(
                base64::engine::general_purpose::STANDARD.encode(data),
            ))
        }),
        NativeFn::pure("base64_decode", Arity::exactly(1), base64_decode),
        NativeFn::pure("hex_encode", Arity::exactly(1), |a| {
            let data = data_arg("encode::hex_encode", &a[0])?;
            Ok(Value::str(hex::encode(data)))
        }),
        NativeFn::pure("hex_decode", Arity::exactly(1), hex_decode),
        NativeFn::pure("url_encode", Arity::exactly(1), |a| {
            Ok(Value::str(url_encode(check::str_arg(
                "encode::url_encode",
                a,
                0,
            )?)))
        }),
        NativeFn::pure("url_decode", Arity::exactly(1), |a| {
            Ok(Value::str(url_decode(
                check::str_arg("encode::url_decode", a, 0)?,
                true,
            )))
        }),
    ],
};

fn invalid(message: impl Into<String>) -> KiwiError {
    KiwiError::custom("InvalidOperationError", message)
}

/// The bytes of a string (UTF-8), a bytes value, or a list of integers 0..=255.
pub(crate) fn data_arg(name: &str, v: &Value) -> KResult<Vec<u8>> {
    match v {
        Value::Str(s) => Ok(s.as_bytes().to_vec()),
        Value::Bytes(b) => Ok(b.borrow().clone()),
        Value::List(items) => crate::byte_list(name, &items.borrow(), 0),
        _ => Err(invalid("Expected a string, bytes or a list.")),
    }
}

/// `base64_decode(text)`: bytes; `""` gives none.
fn base64_decode(args: &[Value]) -> KResult<Value> {
    let text = check::str_arg("encode::base64_decode", args, 0)?;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map(Value::bytes)
        .map_err(|_| invalid("Invalid base64 string."))
}

/// `hex_decode(text)`: bytes; spaces and dashes are ignored, either letter case is read.
fn hex_decode(args: &[Value]) -> KResult<Value> {
    let text = check::str_arg("encode::hex_decode", args, 0)?;
    let digits: String = text.chars().filter(|c| *c != ' ' && *c != '-').collect();
    if digits.len() % 2 == 1 {
        return Err(invalid("Hex string must have even length."));
    }
    hex::decode(&digits)
        .map(Value::bytes)
        .map_err(|_| invalid("Invalid hex string."))
}

/// Form encoding as upstream's (.NET `HttpUtility.UrlEncode`): letters, digits and
/// `-_.!*()` stay, a space becomes `+`, every other UTF-8 byte `%xx` in lowercase hex. (The
/// crates' form encoders differ: uppercase hex, and `!()` encoded.)
pub(crate) fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        match b {
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'*'
            | b'('
            | b')' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
    out
}

/// `%xx` is a byte and, with `plus`, `+` a space; malformed escapes stay as written; invalid
/// UTF-8 becomes U+FFFD.
pub(crate) fn url_decode(text: &str, plus: bool) -> String {
    let spaced;
    let text = if plus && text.contains('+') {
        spaced = text.replace('+', " ");
        &spaced
    } else {
        text
    };
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> KResult<Value> {
        crate::call_plain(&PACKAGE, name, args, &Default::default()).expect("function exists")
    }

    fn text(v: KResult<Value>) -> String {
        kiwi_vm::format::to_display(&v.expect("ok"))
    }

    #[test]
    fn documented_examples() {
        assert_eq!(
            text(call("base64_encode", &[Value::str("Hello, Kiwi!")])),
            "SGVsbG8sIEtpd2kh"
        );
        assert_eq!(text(call("hex_encode", &[Value::str("abc")])), "616263");
        assert_eq!(
            text(call("url_encode", &[Value::str("hello world & more")])),
            "hello+world+%26+more"
        );
        assert_eq!(
            text(call("url_decode", &[Value::str("hello+world+%26+more")])),
            "hello world & more"
        );
        assert_eq!(text(call("url_encode", &[Value::str("a/é")])), "a%2f%c3%a9");
        assert_eq!(text(call("url_decode", &[Value::str("100%")])), "100%");
    }

    #[test]
    fn errors() {
        let e = call("hex_decode", &[Value::str("abc")]).unwrap_err();
        assert_eq!(&*e.message, "Hex string must have even length.");
        assert!(call("hex_decode", &[Value::str("zz")]).is_err());
        assert!(call("base64_decode", &[Value::str("!!!")]).is_err());
        assert!(call("hex_encode", &[Value::list(vec![Value::Int(256)])]).is_err());
        assert!(call("base64_encode", &[Value::Int(1)]).is_err());
    }
}

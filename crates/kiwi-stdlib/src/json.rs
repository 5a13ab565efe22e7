//! The `json` package: `parse` and `stringify` (upstream's `docs/lib/json.md`), on serde_json.
//!
//! `parse` builds Kiwi values directly from serde_json's parser (no intermediate tree). As
//! upstream's parser, it accepts `//` and `/* */` comments and trailing commas; integers that
//! fit 64 bits are integers, other numbers floats; a repeated key keeps its last value. Errors
//! are `JsonError`s with serde_json's message (which gives the line and column).
//!
//! `stringify` writes compact JSON, or indented by two spaces with `pretty`. Hashmap keys are
//! written as printed; a struct instance is an object of its variables; a value JSON cannot
//! hold (a function, bytes) is written as its printed text. A float with no fraction is written
//! without one (`1`, as upstream's .NET writer does). Text is written as UTF-8 (upstream's
//! writer escapes every non-ASCII character; both are the same JSON).

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::format;
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::object::Object;
use kiwi_vm::value::{Key, Map, Value};

/// The Kiwi part (`json::pipeline()`).
pub const SOURCE: &str = include_str!("kiwi/json.kiwi");

/// The `json` natives.
pub const PACKAGE: Package = Package {
    name: "json",
    functions: &[
        NativeFn::pure("parse", Arity::exactly(1), |a| {
            parse(check::str_arg("json::parse", a, 0)?)
        }),
        NativeFn::pure("stringify", Arity::between(1, 2), |a| {
            let pretty = matches!(a.get(1), Some(Value::Bool(true)));
            stringify(&a[0], pretty).map(Value::str)
        }),
    ],
};

/// Containers nested deeper than this are refused by `stringify` (a value that contains
/// itself would otherwise never end).
const MAX_DEPTH: usize = 1000;

fn json_error(message: impl Into<String>) -> KiwiError {
    KiwiError::custom("JsonError", message)
}

/// `json::parse(text)`.
pub fn parse(text: &str) -> KResult<Value> {
    // Strict JSON first; comments and trailing commas only cost a second pass when present.
    strict(text).or_else(|first| {
        let cleaned = strip_comments_and_trailing_commas(text);
        if cleaned == text {
            return Err(first);
        }
        strict(&cleaned)
    })
}

fn strict(text: &str) -> KResult<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    KiwiSeed
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| json_error(e.to_string()))
}

/// `json::stringify(value, pretty)`.
pub fn stringify(v: &Value, pretty: bool) -> KResult<String> {
    let out = Out { value: v, depth: 0 };
    if pretty {
        serde_json::to_string_pretty(&out)
    } else {
        serde_json::to_string(&out)
    }
    .map_err(|e| json_error(e.to_string()))
}

/// `text` with comments blanked out and commas before a closing `]` or `}` removed, strings
/// left alone. Line and column numbers stay those of the original (comments become spaces,
/// newlines are kept).
fn strip_comments_and_trailing_commas(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['/', ',']) {
        return text.into();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut in_string = false;
    // Where the last comma outside strings was written, while only blanks followed it.
    let mut pending_comma: Option<usize> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            out.push(b);
            if b == b'\\' && i + 1 < bytes.len() {
                out.push(bytes[i + 1]);
                i += 2;
                continue;
            }
            in_string = b != b'"';
            i += 1;
            continue;
        }
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    out.push(b' ');
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                for &c in &bytes[i..end] {
                    out.push(if c == b'\n' { b'\n' } else { b' ' });
                }
                i = end;
                continue;
            }
            b'"' => {
                in_string = true;
                pending_comma = None;
            }
            b',' => pending_comma = Some(out.len()),
            b']' | b'}' => {
                if let Some(at) = pending_comma.take() {
                    out[at] = b' ';
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => pending_comma = None,
        }
        out.push(b);
        i += 1;
    }
    // Only ASCII bytes were replaced by ASCII bytes, so the text is still UTF-8.
    String::from_utf8(out).map_or(text.into(), Into::into)
}

/// Builds a Kiwi value from serde_json's parse events.
struct KiwiSeed;

impl<'de> DeserializeSeed<'de> for KiwiSeed {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(KiwiVisitor)
    }
}

struct KiwiVisitor;

impl<'de> Visitor<'de> for KiwiVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Int(n))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(i64::try_from(n).map_or(Value::Float(n as f64), Value::Int))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::str(s))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(KiwiSeed)? {
            items.push(v);
        }
        Ok(Value::list(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(k) = entries.next_key::<String>()? {
            let v = entries.next_value_seed(KiwiSeed)?;
            map.insert(Key(Value::str(k)), v);
        }
        Ok(Value::map(map))
    }
}

/// A value being written, with its nesting depth.
struct Out<'a> {
    value: &'a Value,
    depth: usize,
}

impl Out<'_> {
    fn child<'b>(&self, value: &'b Value) -> Result<Out<'b>, KiwiErr> {
        if self.depth >= MAX_DEPTH {
            return Err(KiwiErr(format!(
                "the value is nested more than {MAX_DEPTH} levels deep (or contains itself)"
            )));
        }
        Ok(Out {
            value,
            depth: self.depth + 1,
        })
    }
}

/// An error raised while writing, before serde_json's wrapping.
struct KiwiErr(String);

impl Serialize for Out<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(n) => s.serialize_i64(*n),
            Value::Float(f) if !f.is_finite() => Err(ser::Error::custom(format!(
                "{} cannot be written as JSON",
                format::to_display(self.value)
            ))),
            // Whole floats as integers, as upstream's writer (`1`, not `1.0`).
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => s.serialize_i64(*f as i64),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Str(text) => s.serialize_str(text),
            Value::List(items) => {
                let items = items.borrow();
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(&self.child(item).map_err(custom)?)?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let m = m.borrow();
                self.object(s, m.len(), m.iter())
            }
            Value::Obj(o) => match &**o {
                Object::Instance(i) => {
                    let ivars = i.ivars.borrow();
                    self.object(s, ivars.len(), ivars.iter())
                }
                _ => s.serialize_str(&format::to_display(self.value)),
            },
            other => s.serialize_str(&format::to_display(other)),
        }
    }
}

impl Out<'_> {
    fn object<'a, S: Serializer>(
        &self,
        s: S,
        len: usize,
        entries: impl Iterator<Item = (&'a Key, &'a Value)>,
    ) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(len))?;
        for (k, v) in entries {
            map.serialize_entry(&format::to_display(&k.0), &self.child(v).map_err(custom)?)?;
        }
        map.end()
    }
}

fn custom<E: ser::Error>(e: KiwiErr) -> E {
    E::custom(e.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(text: &str) -> String {
        stringify(&parse(text).expect("parses"), false).expect("writes")
    }

    #[test]
    fn parse_and_write() {
        assert_eq!(
            round(r#"{"a": [1, 2.5, "x", null, true], "b": {}}"#),
            r#"{"a":[1,2.5,"x",null,true],"b":{}}"#
        );
        assert_eq!(round("[1, 2, /* two */ 3, // three\n]"), "[1,2,3]");
        assert_eq!(round(r#"{"s": "a//b, ]"}"#), r#"{"s":"a//b, ]"}"#);
        assert_eq!(round("18446744073709551615"), "1.8446744073709552e+19");
        assert_eq!(round(r#"{"k": 1, "k": 2}"#), r#"{"k":2}"#);
        assert_eq!(round("1.0"), "1");
    }

    #[test]
    fn errors() {
        let e = parse("{\"a\": }").unwrap_err();
        assert_eq!(&*e.error, "JsonError");
        assert!(e.message.contains("line 1 column 7"), "{}", e.message);
        assert!(parse("[1] 2").is_err());
        assert!(parse(&"[".repeat(100_000)).is_err());
        assert!(stringify(&Value::Float(f64::NAN), false).is_err());
        let deep = (0..2000).fold(Value::Null, |v, _| Value::list(vec![v]));
        assert!(stringify(&deep, false).is_err());
    }

    #[test]
    fn pretty() {
        let v = parse(r#"{"name": "Alice", "scores": [95, 87]}"#).unwrap();
        assert_eq!(
            stringify(&v, true).unwrap(),
            "{\n  \"name\": \"Alice\",\n  \"scores\": [\n    95,\n    87\n  ]\n}"
        );
    }
}

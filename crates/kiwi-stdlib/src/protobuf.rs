//! The `protobuf` package (upstream's `docs/lib/protobuf.md`): the Protocol Buffers wire
//! format driven by a schema given at run time (a hashmap of field number to
//! `{name, type, repeated, schema}`), so no generated code is involved. The wire primitives
//! (varints, zigzag, fixed widths, length prefixes) are the format's own few lines; the
//! code-generating crates have no run-time schema API. Repeated numeric fields are written
//! packed (proto3's default) and read in either form; unknown fields are skipped.

use std::path::PathBuf;

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::net::Plain;
use kiwi_vm::value::{Key, Map, Value};

use crate::fio::read_failed;

/// The `protobuf` package.
pub const PACKAGE: Package = Package {
    name: "protobuf",
    functions: &[
        NativeFn::pure("encode", Arity::exactly(2), |a| {
            let schema = schema_of(&a[0])?;
            let mut out = Vec::new();
            encode_message(&schema, &a[1], &mut out)?;
            Ok(Value::Bytes(std::rc::Rc::new(std::cell::RefCell::new(out))))
        }),
        NativeFn::pure("decode", Arity::exactly(2), |a| {
            let schema = schema_of(&a[0])?;
            let data = crate::encode::data_arg("protobuf::decode", &a[1])?;
            decode_message(&schema, &data)
                .map(Plain::into_value)
                .map_err(|m| KiwiError::custom("ProtobufError", m))
        }),
        NativeFn::cx("encode_file", Arity::exactly(3), encode_file),
        NativeFn::cx("decode_file", Arity::exactly(2), decode_file),
        NativeFn::pure("field", Arity::between(2, 4), |a| {
            let name = check::str_arg("protobuf::field", a, 0)?;
            let kind = check::str_arg("protobuf::field", a, 1)?;
            let mut map = Map::new();
            map.insert(Key::from("name"), Value::str(name.as_str()));
            map.insert(Key::from("type"), Value::str(kind.as_str()));
            map.insert(
                Key::from("repeated"),
                Value::Bool(a.get(2).is_some_and(Value::truthy)),
            );
            let nested = match a.get(3) {
                None | Some(Value::Null) => Value::map(Map::new()),
                Some(v) => v.clone(),
            };
            map.insert(Key::from("schema"), nested);
            Ok(Value::map(map))
        }),
    ],
};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Int32,
    Int64,
    Uint32,
    Uint64,
    Sint32,
    Sint64,
    Bool,
    Enum,
    Float,
    Fixed32,
    Sfixed32,
    Double,
    Fixed64,
    Sfixed64,
    Str,
    Bytes,
    Message,
}

impl Kind {
    fn named(name: &str) -> Option<Kind> {
        Some(match name {
            "int32" => Kind::Int32,
            "int64" => Kind::Int64,
            "uint32" => Kind::Uint32,
            "uint64" => Kind::Uint64,
            "sint32" => Kind::Sint32,
            "sint64" => Kind::Sint64,
            "bool" => Kind::Bool,
            "enum" => Kind::Enum,
            "float" => Kind::Float,
            "fixed32" => Kind::Fixed32,
            "sfixed32" => Kind::Sfixed32,
            "double" => Kind::Double,
            "fixed64" => Kind::Fixed64,
            "sfixed64" => Kind::Sfixed64,
            "string" => Kind::Str,
            "bytes" => Kind::Bytes,
            "message" => Kind::Message,
            _ => return None,
        })
    }

    /// The wire type of one value of this kind.
    fn wire(self) -> u64 {
        match self {
            Kind::Float | Kind::Fixed32 | Kind::Sfixed32 => 5,
            Kind::Double | Kind::Fixed64 | Kind::Sfixed64 => 1,
            Kind::Str | Kind::Bytes | Kind::Message => 2,
            _ => 0,
        }
    }
}

struct Field {
    number: u64,
    name: String,
    kind: Kind,
    repeated: bool,
    nested: Schema,
}

type Schema = Vec<Field>;

/// Deepest message nesting a schema may have (a schema can refer to itself).
const MAX_DEPTH: usize = 64;

fn schema_of(v: &Value) -> KResult<Schema> {
    schema_at(v, 0)
}

fn schema_at(v: &Value, depth: usize) -> KResult<Schema> {
    let bad = |m: String| KiwiError::custom("ProtobufError", m);
    if depth > MAX_DEPTH {
        return Err(bad(format!(
            "Schemas nested deeper than {MAX_DEPTH} levels"
        )));
    }
    let Value::Map(map) = v else {
        return Err(check::expected("protobuf", 0, "Hashmap", v));
    };
    let mut fields = Vec::new();
    for (key, desc) in map.borrow().iter() {
        let number = match &key.0 {
            Value::Int(n) if (1..=536_870_911).contains(n) => *n as u64,
            Value::Str(s) => s
                .parse()
                .ok()
                .filter(|n| (1..=536_870_911).contains(n))
                .ok_or_else(|| bad(format!("Field number '{s}' is not 1..536870911")))?,
            other => {
                return Err(bad(format!(
                    "Field number {} is not 1..536870911",
                    kiwi_vm::format::to_display(other)
                )))
            }
        };
        let Value::Map(desc) = desc else {
            return Err(bad(format!(
                "Field {number}: the descriptor must be a hashmap"
            )));
        };
        let desc = desc.borrow();
        let get = |k: &str| desc.get(&Key::from(k)).cloned().unwrap_or(Value::Null);
        let name = match get("name") {
            Value::Str(s) => s.to_string(),
            _ => return Err(bad(format!("Field {number}: `name` must be a string"))),
        };
        let kind = match get("type") {
            Value::Str(s) => {
                Kind::named(&s).ok_or_else(|| bad(format!("Field '{name}': unknown type '{s}'")))?
            }
            _ => return Err(bad(format!("Field '{name}': `type` must be a string"))),
        };
        let nested = if kind == Kind::Message {
            schema_at(&get("schema"), depth + 1).map_err(|_| {
                bad(format!(
                    "Field '{name}': a message needs a `schema` hashmap"
                ))
            })?
        } else {
            Vec::new()
        };
        fields.push(Field {
            number,
            name,
            kind,
            repeated: get("repeated").truthy(),
            nested,
        });
    }
    Ok(fields)
}

fn put_varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    put_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

fn encode_message(schema: &Schema, data: &Value, out: &mut Vec<u8>) -> KResult<()> {
    let Value::Map(map) = data else {
        return Err(check::expected("protobuf::encode", 1, "Hashmap", data));
    };
    let map = map.borrow();
    for field in schema {
        let value = match map.get(&Key::from(field.name.as_str())) {
            None | Some(Value::Null) => continue,
            Some(v) => v,
        };
        if !field.repeated {
            put_varint(field.number << 3 | field.kind.wire(), out);
            encode_value(field, value, out)?;
            continue;
        }
        let Value::List(items) = value else {
            return Err(KiwiError::custom(
                "ProtobufError",
                format!("Field '{}' is repeated: expected a list", field.name),
            ));
        };
        let items = items.borrow();
        if field.kind.wire() == 2 {
            for item in items.iter() {
                put_varint(field.number << 3 | 2, out);
                encode_value(field, item, out)?;
            }
        } else if !items.is_empty() {
            let mut packed = Vec::new();
            for item in items.iter() {
                encode_value(field, item, &mut packed)?;
            }
            put_varint(field.number << 3 | 2, out);
            put_bytes(&packed, out);
        }
    }
    Ok(())
}

/// One value of `field` (without its tag).
fn encode_value(field: &Field, v: &Value, out: &mut Vec<u8>) -> KResult<()> {
    let wrong = |want: &str| {
        KiwiError::custom(
            "ProtobufError",
            format!(
                "Field '{}' ({want}) cannot hold a {}",
                field.name,
                v.type_name()
            ),
        )
    };
    let int = || match v {
        Value::Int(n) => Ok(*n),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
        _ => Err(wrong("an integer")),
    };
    let float = || v.as_f64().ok_or_else(|| wrong("a number"));
    match field.kind {
        Kind::Int32 | Kind::Enum => put_varint(int()? as i32 as i64 as u64, out),
        Kind::Int64 | Kind::Uint64 => put_varint(int()? as u64, out),
        Kind::Uint32 => put_varint(u64::from(int()? as u32), out),
        Kind::Sint32 => {
            let n = int()? as i32;
            put_varint(u64::from(((n << 1) ^ (n >> 31)) as u32), out)
        }
        Kind::Sint64 => {
            let n = int()?;
            put_varint(((n << 1) ^ (n >> 63)) as u64, out)
        }
        Kind::Bool => put_varint(u64::from(v.truthy()), out),
        Kind::Float => out.extend_from_slice(&(float()? as f32).to_le_bytes()),
        Kind::Fixed32 => out.extend_from_slice(&(int()? as u32).to_le_bytes()),
        Kind::Sfixed32 => out.extend_from_slice(&(int()? as i32).to_le_bytes()),
        Kind::Double => out.extend_from_slice(&float()?.to_le_bytes()),
        Kind::Fixed64 => out.extend_from_slice(&(int()? as u64).to_le_bytes()),
        Kind::Sfixed64 => out.extend_from_slice(&int()?.to_le_bytes()),
        Kind::Str => match v {
            Value::Str(s) => put_bytes(s.as_bytes(), out),
            other => put_bytes(kiwi_vm::format::to_display(other).as_bytes(), out),
        },
        Kind::Bytes => {
            let bytes =
                crate::encode::data_arg("protobuf::encode", v).map_err(|_| wrong("bytes"))?;
            put_bytes(&bytes, out)
        }
        Kind::Message => {
            let mut inner = Vec::new();
            encode_message(&field.nested, v, &mut inner)?;
            put_bytes(&inner, out)
        }
    }
    Ok(())
}

struct Input<'a> {
    data: &'a [u8],
    at: usize,
}

impl Input<'_> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.data.get(self.at).ok_or("Truncated varint")?;
            self.at += 1;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err("Varint longer than 10 bytes".into())
    }

    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.data.len())
            .ok_or("Truncated message")?;
        let slice = &self.data[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut b = [0u8; N];
        b.copy_from_slice(self.take(N)?);
        Ok(b)
    }
}

fn decode_message(schema: &Schema, data: &[u8]) -> Result<Plain, String> {
    let mut fields: Vec<(String, Plain)> = schema
        .iter()
        .filter(|f| f.repeated)
        .map(|f| (f.name.clone(), Plain::List(Vec::new())))
        .collect();
    let mut input = Input { data, at: 0 };
    while input.at < data.len() {
        let tag = input.varint()?;
        let (number, wire) = (tag >> 3, tag & 7);
        let Some(field) = schema.iter().find(|f| f.number == number) else {
            skip(&mut input, wire)?;
            continue;
        };
        let mut values = Vec::new();
        if field.repeated && wire == 2 && field.kind.wire() != 2 {
            let packed = input.varint()? as usize;
            let bytes = input.take(packed)?;
            let mut inner = Input { data: bytes, at: 0 };
            while inner.at < bytes.len() {
                values.push(decode_value(field, &mut inner)?);
            }
        } else if wire == field.kind.wire() {
            values.push(decode_value(field, &mut input)?);
        } else {
            return Err(format!(
                "Field '{}': wire type {wire} does not match its type",
                field.name
            ));
        }
        let slot = fields.iter().position(|(k, _)| *k == field.name);
        match (field.repeated, slot) {
            (true, Some(i)) => {
                if let Plain::List(list) = &mut fields[i].1 {
                    list.extend(values);
                }
            }
            // A later occurrence of a singular field wins, as in every protobuf runtime.
            (false, Some(i)) => fields[i].1 = values.pop().unwrap_or(Plain::Null),
            (_, None) => {
                let value = if field.repeated {
                    Plain::List(values)
                } else {
                    values.pop().unwrap_or(Plain::Null)
                };
                fields.push((field.name.clone(), value));
            }
        }
    }
    // In the schema's order, whatever order the fields came in.
    let position = |name: &str| schema.iter().position(|f| f.name == name);
    fields.sort_by_key(|(name, _)| position(name));
    Ok(Plain::Map(fields))
}

fn decode_value(field: &Field, input: &mut Input<'_>) -> Result<Plain, String> {
    Ok(match field.kind {
        Kind::Int32 | Kind::Enum => Plain::Int(i64::from(input.varint()? as i32)),
        Kind::Int64 | Kind::Uint64 => Plain::Int(input.varint()? as i64),
        Kind::Uint32 => Plain::Int(i64::from(input.varint()? as u32)),
        Kind::Sint32 => {
            let n = input.varint()? as u32;
            Plain::Int(i64::from((n >> 1) as i32 ^ -((n & 1) as i32)))
        }
        Kind::Sint64 => {
            let n = input.varint()?;
            Plain::Int((n >> 1) as i64 ^ -((n & 1) as i64))
        }
        Kind::Bool => Plain::Bool(input.varint()? != 0),
        Kind::Float => Plain::Float(f64::from(f32::from_le_bytes(input.fixed()?))),
        Kind::Fixed32 => Plain::Int(i64::from(u32::from_le_bytes(input.fixed()?))),
        Kind::Sfixed32 => Plain::Int(i64::from(i32::from_le_bytes(input.fixed()?))),
        Kind::Double => Plain::Float(f64::from_le_bytes(input.fixed()?)),
        Kind::Fixed64 => Plain::Int(u64::from_le_bytes(input.fixed()?) as i64),
        Kind::Sfixed64 => Plain::Int(i64::from_le_bytes(input.fixed()?)),
        Kind::Str => {
            let n = input.varint()? as usize;
            Plain::Str(String::from_utf8_lossy(input.take(n)?).into_owned())
        }
        Kind::Bytes => {
            let n = input.varint()? as usize;
            Plain::Bytes(input.take(n)?.to_vec())
        }
        Kind::Message => {
            let n = input.varint()? as usize;
            decode_message(&field.nested, input.take(n)?)?
        }
    })
}

fn skip(input: &mut Input<'_>, wire: u64) -> Result<(), String> {
    match wire {
        0 => input.varint().map(drop),
        1 => input.take(8).map(drop),
        2 => {
            let n = input.varint()? as usize;
            input.take(n).map(drop)
        }
        5 => input.take(4).map(drop),
        other => Err(format!("Unsupported wire type {other}")),
    }
}

fn encode_file(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let schema = schema_of(&args[0])?;
    let mut out = Vec::new();
    encode_message(&schema, &args[1], &mut out)?;
    let path = PathBuf::from(check::str_arg("protobuf::encode_file", args, 2)?.as_str());
    cx.run_blocking(Box::new(move || {
        std::fs::write(&path, &out).map_err(|e| {
            (
                "FileWriteError",
                format!(
                    "Cannot write '{}': {}",
                    path.display(),
                    crate::fio::os_reason(&e)
                ),
            )
        })?;
        Ok(Plain::Bool(true))
    }))
}

fn decode_file(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let schema = schema_of(&args[0])?;
    let path = PathBuf::from(check::str_arg("protobuf::decode_file", args, 1)?.as_str());
    cx.run_blocking(Box::new(move || {
        let data = std::fs::read(&path).map_err(|e| read_failed(&path, e))?;
        decode_message(&schema, &data).map_err(|m| ("ProtobufError", m))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag() {
        let mut out = Vec::new();
        put_varint(300, &mut out);
        assert_eq!(out, [0xac, 0x02]);
        let mut input = Input { data: &out, at: 0 };
        assert_eq!(input.varint(), Ok(300));
        let field = Field {
            number: 1,
            name: "x".into(),
            kind: Kind::Sint32,
            repeated: false,
            nested: Vec::new(),
        };
        let mut z = Vec::new();
        encode_value(&field, &Value::Int(-1), &mut z).expect("encodes");
        assert_eq!(z, [1]);
        let mut input = Input { data: &z, at: 0 };
        assert!(matches!(
            decode_value(&field, &mut input),
            Ok(Plain::Int(-1))
        ));
    }

    #[test]
    fn truncated_input_is_an_error() {
        let schema = vec![Field {
            number: 1,
            name: "s".into(),
            kind: Kind::Str,
            repeated: false,
            nested: Vec::new(),
        }];
        assert!(decode_message(&schema, &[0x0a, 0x05, b'a']).is_err());
        assert!(decode_message(&schema, &[0x0a, 0xff]).is_err());
    }
}

//! The `csv` package (upstream's `docs/lib/csv.md`): RFC 4180 parsing on the `csv` crate
//! (quoted fields, doubled quotes, line breaks inside quotes, `\n` / `\r\n` / `\r` rows),
//! into rows of strings or hashmaps keyed by the header row, with per-column type coercion
//! for the pipeline. Files are read and parsed on the blocking pool. `CsvPipeline` is the
//! Kiwi part (`kiwi/csv.kiwi`).

use std::path::PathBuf;

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::net::Plain;
use kiwi_vm::value::Value;

use crate::fio::read_failed;

/// The `csv` natives.
pub const PACKAGE: Package = Package {
    name: "csv",
    functions: &[
        NativeFn::cx("parse", Arity::between(1, 2), |cx, a| {
            load(cx, "csv::parse", Source::Text, a, Shape::Rows)
        }),
        NativeFn::cx("parse_file", Arity::between(1, 2), |cx, a| {
            load(cx, "csv::parse_file", Source::File, a, Shape::Rows)
        }),
        NativeFn::cx("to_maps", Arity::between(1, 2), |cx, a| {
            load(
                cx,
                "csv::to_maps",
                Source::Text,
                a,
                Shape::Maps(None, Vec::new()),
            )
        }),
        NativeFn::cx("file_to_maps", Arity::between(1, 2), |cx, a| {
            load(
                cx,
                "csv::file_to_maps",
                Source::File,
                a,
                Shape::Maps(None, Vec::new()),
            )
        }),
        // `_maps(input, is_file, delimiter, headers | null, schema | null)`: the pipeline's
        // loader.
        NativeFn::cx("_maps", Arity::exactly(5), pipeline_maps),
    ],
};

/// The Kiwi part (`CsvPipeline`).
pub const SOURCE: &str = include_str!("kiwi/csv.kiwi");

#[derive(Clone, Copy, PartialEq)]
enum Source {
    Text,
    File,
}

/// What the rows become.
enum Shape {
    /// Lists of strings, the header row included.
    Rows,
    /// Hashmaps keyed by the given headers (else the header row), column `i` coerced by
    /// `schema[i]` (none: strings).
    Maps(Option<Vec<String>>, Vec<Kind>),
}

/// A schema column type (upstream's names; anything unknown is a string).
#[derive(Clone, Copy)]
enum Kind {
    Text,
    NullableText,
    Integer,
    Float,
    Boolean,
    Date,
    Null,
}

impl Kind {
    fn named(name: &str) -> Kind {
        match name.to_lowercase().as_str() {
            "string?" | "nullable_string" => Kind::NullableText,
            "integer" | "int" => Kind::Integer,
            "float" | "double" | "number" => Kind::Float,
            "boolean" | "bool" => Kind::Boolean,
            "date" => Kind::Date,
            "null" | "none" => Kind::Null,
            _ => Kind::Text,
        }
    }

    /// A field as this type: an empty or unparsable field is null, except for plain strings.
    fn coerce(self, raw: String) -> Plain {
        let nullable = |p: Option<Plain>| p.unwrap_or(Plain::Null);
        match self {
            Kind::Text => Plain::Str(raw),
            Kind::NullableText if raw.is_empty() => Plain::Null,
            Kind::NullableText => Plain::Str(raw),
            Kind::Integer => nullable(raw.trim().parse().ok().map(Plain::Int)),
            Kind::Float => nullable(raw.trim().parse().ok().map(Plain::Float)),
            Kind::Boolean => Plain::Bool(matches!(raw.as_str(), "true" | "1" | "yes")),
            Kind::Date => nullable(kiwi_vm::date::parse(raw.trim()).map(Plain::Date)),
            Kind::Null => Plain::Null,
        }
    }
}

fn delimiter_arg(name: &str, args: &[Value], i: usize) -> KResult<u8> {
    let text = match args.get(i) {
        None | Some(Value::Null) => return Ok(b','),
        Some(_) => check::str_arg(name, args, i)?,
    };
    match text.as_bytes() {
        [b] if *b != b'"' && *b != b'\n' && *b != b'\r' => Ok(*b),
        _ => Err(KiwiError::custom(
            "ValueError",
            format!("{name}: the delimiter must be one ASCII character other than a quote or a line break, got \"{text}\""),
        )),
    }
}

fn strings_arg(name: &str, args: &[Value], i: usize) -> KResult<Option<Vec<String>>> {
    match args.get(i) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::List(items)) => Ok(Some(
            items
                .borrow()
                .iter()
                .map(kiwi_vm::format::to_display)
                .collect(),
        )),
        Some(other) => Err(check::expected(name, i, "List", other)),
    }
}

fn load(
    cx: &mut NativeCx<'_>,
    name: &'static str,
    source: Source,
    args: &[Value],
    shape: Shape,
) -> KResult<Reply> {
    let input = check::str_arg(name, args, 0)?.to_string();
    let delimiter = delimiter_arg(name, args, 1)?;
    run(cx, name, input, source, delimiter, shape)
}

fn pipeline_maps(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    const NAME: &str = "csv::pipeline";
    let input = check::str_arg(NAME, args, 0)?.to_string();
    let source = if args[1].truthy() {
        Source::File
    } else {
        Source::Text
    };
    let delimiter = delimiter_arg(NAME, args, 2)?;
    let headers = strings_arg(NAME, args, 3)?;
    let schema = strings_arg(NAME, args, 4)?
        .unwrap_or_default()
        .iter()
        .map(|t| Kind::named(t))
        .collect();
    run(
        cx,
        NAME,
        input,
        source,
        delimiter,
        Shape::Maps(headers, schema),
    )
}

fn run(
    cx: &mut NativeCx<'_>,
    name: &'static str,
    input: String,
    source: Source,
    delimiter: u8,
    shape: Shape,
) -> KResult<Reply> {
    // A file is always read on the pool; text in place when small.
    let size = match source {
        Source::Text => input.len(),
        Source::File => usize::MAX,
    };
    let job = move || {
        let bytes = match source {
            Source::File => {
                let path = PathBuf::from(&input);
                std::fs::read(&path).map_err(|e| read_failed(&path, e))?
            }
            Source::Text => input.into_bytes(),
        };
        let rows = records(&bytes, delimiter).map_err(|e| ("CsvError", format!("{name}: {e}")))?;
        Ok(match shape {
            Shape::Rows => Plain::List(
                rows.into_iter()
                    .map(|r| Plain::List(r.into_iter().map(Plain::Str).collect()))
                    .collect(),
            ),
            Shape::Maps(headers, schema) => maps(rows, headers, &schema),
        })
    };
    crate::offload(cx, size, job)
}

/// The records of `bytes` as strings (invalid UTF-8 becomes U+FFFD). Rows may have any
/// number of fields; a blank line is no record.
fn records(bytes: &[u8], delimiter: u8) -> Result<Vec<Vec<String>>, csv::Error> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record)? {
        rows.push(
            record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect(),
        );
    }
    Ok(rows)
}

/// Hashmaps keyed by `headers` (else the first row, which is then not data): a missing field
/// is `""`, fields beyond the headers are dropped, column `i` is coerced by `schema[i]`.
fn maps(rows: Vec<Vec<String>>, headers: Option<Vec<String>>, schema: &[Kind]) -> Plain {
    let mut rows = rows.into_iter();
    let headers = match headers {
        Some(h) => h,
        None => match rows.next() {
            Some(first) => first,
            None => return Plain::List(Vec::new()),
        },
    };
    Plain::List(
        rows.map(|mut fields| {
            fields.resize(headers.len(), String::new());
            Plain::Map(
                headers
                    .iter()
                    .zip(fields)
                    .enumerate()
                    .map(|(i, (h, raw))| {
                        let value = match schema.get(i) {
                            Some(kind) => kind.coerce(raw),
                            None => Plain::Str(raw),
                        };
                        (h.clone(), value)
                    })
                    .collect(),
            )
        })
        .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        records(text.as_bytes(), b',').expect("parses")
    }

    #[test]
    fn rfc4180_forms() {
        assert_eq!(rows("a,b\n1,2\n"), [["a", "b"], ["1", "2"]]);
        assert_eq!(rows("a,b\r\n1,2"), [["a", "b"], ["1", "2"]]);
        assert_eq!(
            rows("\"x, y\",\"say \"\"hi\"\"\"\n"),
            [["x, y", "say \"hi\""]]
        );
        assert_eq!(rows("\"two\nlines\",z"), [["two\nlines", "z"]]);
        assert_eq!(rows("a,,c"), [["a", "", "c"]]);
        assert_eq!(rows("a\n\nb"), [["a"], ["b"]]);
    }

    #[test]
    fn maps_pad_and_coerce() {
        let got = maps(
            rows("n,i,b,f\nx,1,yes\n"),
            None,
            &[Kind::Text, Kind::Integer, Kind::Boolean, Kind::Float],
        );
        let Plain::List(items) = got else {
            panic!("list")
        };
        let Plain::Map(fields) = &items[0] else {
            panic!("map")
        };
        assert!(matches!(fields[1].1, Plain::Int(1)));
        assert!(matches!(fields[2].1, Plain::Bool(true)));
        assert!(matches!(fields[3].1, Plain::Null));
    }
}

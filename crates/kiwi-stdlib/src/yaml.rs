//! The `yaml` package (upstream's `docs/lib/yaml.md`): YAML 1.2 on yaml-rust2. Documents are
//! built from the parser's events so that plain scalars are typed by the core schema (`true`,
//! `True`, `TRUE`, `~`, `null`, integers incl. `0x`/`0o`, floats, `.inf`, `.nan`) while quoted
//! ones stay strings; anchors and aliases are resolved, and `<<` merge keys are applied.
//! Malformed YAML is a `YamlError` with its line and column. `stringify` is the crate's
//! emitter. Files and large strings are parsed on the blocking pool.

use std::path::PathBuf;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::yaml::{Hash, Yaml};

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::net::Plain;
use kiwi_vm::value::Value;

use crate::fio::{read_failed, text_of};

/// The `yaml` package.
pub const PACKAGE: Package = Package {
    name: "yaml",
    functions: &[
        NativeFn::cx("parse", Arity::exactly(1), |cx, a| parse_text(cx, a, false)),
        NativeFn::cx("parse_all", Arity::exactly(1), |cx, a| {
            parse_text(cx, a, true)
        }),
        NativeFn::cx("parse_file", Arity::exactly(1), |cx, a| {
            let path = PathBuf::from(check::str_arg("yaml::parse_file", a, 0)?.as_str());
            cx.run_blocking(Box::new(move || {
                let bytes = std::fs::read(&path).map_err(|e| read_failed(&path, e))?;
                first(documents(&text_of(bytes))?)
            }))
        }),
        NativeFn::pure("stringify", Arity::exactly(1), |a| {
            let doc = to_yaml(&a[0], 0)?;
            let mut out = String::new();
            yaml_rust2::YamlEmitter::new(&mut out)
                .dump(&doc)
                .map_err(|e| KiwiError::custom("YamlError", format!("yaml::stringify: {e:?}")))?;
            let body = out.strip_prefix("---").unwrap_or(&out);
            Ok(Value::str(
                body.strip_prefix('\n').unwrap_or(body.trim_start()),
            ))
        }),
    ],
};

/// Deepest nesting `stringify` follows (a list may contain itself).
const MAX_DEPTH: usize = 512;

use crate::JobError as Failure;

fn parse_text(cx: &mut NativeCx<'_>, args: &[Value], all: bool) -> KResult<Reply> {
    let text = check::str_arg(
        if all {
            "yaml::parse_all"
        } else {
            "yaml::parse"
        },
        args,
        0,
    )?
    .to_string();
    let size = text.len();
    let job = move || {
        let docs = documents(&text)?;
        if all {
            Ok(Plain::List(docs))
        } else {
            first(docs)
        }
    };
    crate::offload(cx, size, job)
}

/// The first document, or null for an empty stream.
fn first(docs: Vec<Plain>) -> Result<Plain, Failure> {
    Ok(docs.into_iter().next().unwrap_or(Plain::Null))
}

/// Every document of `text`.
fn documents(text: &str) -> Result<Vec<Plain>, Failure> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| {
        let m = e.marker();
        (
            "YamlError",
            format!("{} (line {}, column {})", e.info(), m.line(), m.col() + 1),
        )
    })?;
    Ok(builder.docs)
}

/// Builds documents from parser events.
#[derive(Default)]
struct Builder {
    docs: Vec<Plain>,
    /// Open collections: the collection so far, its anchor, and a pending mapping key.
    open: Vec<(Plain, usize, Option<String>)>,
    anchors: Vec<(usize, Plain)>,
}

impl Builder {
    fn finish(&mut self, value: Plain, anchor: usize) {
        if anchor > 0 {
            self.anchors.push((anchor, value.clone()));
        }
        match self.open.last_mut() {
            None => self.docs.push(value),
            Some((Plain::List(items), _, _)) => items.push(value),
            Some((Plain::Map(fields), _, key)) => match key.take() {
                None => *key = Some(key_text(&value)),
                Some(k) => insert(fields, k, value),
            },
            Some(_) => {}
        }
    }
}

/// A mapping key as text (Kiwi hashmap keys from YAML are strings).
fn key_text(v: &Plain) -> String {
    match v {
        Plain::Str(s) => s.clone(),
        Plain::Null => "null".into(),
        Plain::Bool(b) => b.to_string(),
        Plain::Int(n) => n.to_string(),
        Plain::Float(f) => f.to_string(),
        other => kiwi_vm::format::to_display(&other.clone().into_value()),
    }
}

/// Sets `key`; `<<` merges a mapping (or a list of them) without overriding keys already set.
fn insert(fields: &mut Vec<(String, Plain)>, key: String, value: Plain) {
    if key == "<<" {
        let sources = match value {
            Plain::List(items) => items,
            other => vec![other],
        };
        for source in sources {
            if let Plain::Map(merged) = source {
                for (k, v) in merged {
                    if !fields.iter().any(|(f, _)| *f == k) {
                        fields.push((k, v));
                    }
                }
            }
        }
        return;
    }
    match fields.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => fields.push((key, value)),
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let value = if style == TScalarStyle::Plain && tag.is_none() {
                    plain_scalar(text)
                } else {
                    Plain::Str(text)
                };
                self.finish(value, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.open.push((Plain::List(Vec::new()), anchor, None))
            }
            Event::MappingStart(anchor, _) => {
                self.open.push((Plain::Map(Vec::new()), anchor, None))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((value, anchor, _)) = self.open.pop() {
                    self.finish(value, anchor);
                }
            }
            Event::Alias(id) => {
                let value = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map_or(Plain::Null, |(_, v)| v.clone());
                self.finish(value, 0);
            }
            _ => {}
        }
    }
}

/// A plain scalar typed by YAML 1.2's core schema.
fn plain_scalar(text: String) -> Plain {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Plain::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Plain::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Plain::Float(f64::NAN),
        _ => {}
    }
    let digits = |s: &str, radix| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if let Some(hex) = text.strip_prefix("0x") {
        if digits(hex, 16) {
            if let Ok(n) = i64::from_str_radix(hex, 16) {
                return Plain::Int(n);
            }
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if digits(oct, 8) {
            if let Ok(n) = i64::from_str_radix(oct, 8) {
                return Plain::Int(n);
            }
        }
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(&text);
    if digits(unsigned, 10) {
        if let Ok(n) = text.parse::<i64>() {
            return Plain::Int(n);
        }
    }
    let numeric = unsigned
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'));
    if numeric {
        if let Ok(f) = text.parse::<f64>() {
            return Plain::Float(f);
        }
    }
    Plain::Str(text)
}

fn to_yaml(v: &Value, depth: usize) -> KResult<Yaml> {
    if depth > MAX_DEPTH {
        return Err(KiwiError::custom(
            "YamlError",
            "yaml::stringify: the value nests too deeply (or contains itself).",
        ));
    }
    Ok(match v {
        // Written as `null` (upstream's spelling); the emitter writes `~` for Yaml::Null and
        // writes a Real's text as it is.
        Value::Null => Yaml::Real("null".into()),
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Int(n) => Yaml::Integer(*n),
        Value::Float(f) if f.is_nan() => Yaml::Real(".nan".into()),
        Value::Float(f) if f.is_infinite() => {
            Yaml::Real(if *f > 0.0 { ".inf" } else { "-.inf" }.into())
        }
        Value::Float(f) => Yaml::Real(if f.fract() == 0.0 && f.abs() < 1e15 {
            format!("{f:.1}")
        } else {
            f.to_string()
        }),
        Value::Str(s) => Yaml::String(s.to_string()),
        Value::List(items) => Yaml::Array(
            items
                .borrow()
                .iter()
                .map(|i| to_yaml(i, depth + 1))
                .collect::<KResult<_>>()?,
        ),
        Value::Map(map) => {
            let mut hash = Hash::new();
            for (k, v) in map.borrow().iter() {
                hash.insert(
                    Yaml::String(kiwi_vm::format::to_display(&k.0)),
                    to_yaml(v, depth + 1)?,
                );
            }
            Yaml::Hash(hash)
        }
        other => Yaml::String(kiwi_vm::format::to_display(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Plain {
        first(documents(text).expect("parses")).expect("a document")
    }

    #[test]
    fn core_schema_scalars() {
        let Plain::List(items) =
            one("[1, -2, 0x1F, 0o17, 1.5, 1e3, True, ~, '1', \"true\", .inf, abc]")
        else {
            panic!("a list")
        };
        assert!(matches!(items[0], Plain::Int(1)));
        assert!(matches!(items[1], Plain::Int(-2)));
        assert!(matches!(items[2], Plain::Int(31)));
        assert!(matches!(items[3], Plain::Int(15)));
        assert!(matches!(items[4], Plain::Float(f) if f == 1.5));
        assert!(matches!(items[5], Plain::Float(f) if f == 1000.0));
        assert!(matches!(items[6], Plain::Bool(true)));
        assert!(matches!(items[7], Plain::Null));
        assert!(matches!(&items[8], Plain::Str(s) if s == "1"));
        assert!(matches!(&items[9], Plain::Str(s) if s == "true"));
        assert!(matches!(items[10], Plain::Float(f) if f.is_infinite()));
        assert!(matches!(&items[11], Plain::Str(s) if s == "abc"));
    }

    #[test]
    fn anchors_and_merge_keys() {
        let Plain::Map(fields) = one("base: &b\n  t: 30\n  r: 3\nprod:\n  <<: *b\n  r: 5\n") else {
            panic!("a map")
        };
        let Plain::Map(prod) = &fields[1].1 else {
            panic!("a map")
        };
        assert_eq!(prod.len(), 2);
        assert!(prod
            .iter()
            .any(|(k, v)| k == "t" && matches!(v, Plain::Int(30))));
        assert!(prod
            .iter()
            .any(|(k, v)| k == "r" && matches!(v, Plain::Int(5))));
    }

    #[test]
    fn errors_and_streams() {
        let (kind, message) = documents("a: [1, 2\nb: 3").expect_err("unclosed flow");
        assert_eq!(kind, "YamlError");
        assert!(message.contains("line"), "{message}");
        assert_eq!(
            documents("---\na: 1\n---\nb: 2\n").expect("parses").len(),
            2
        );
        assert!(matches!(
            first(documents("").expect("empty")),
            Ok(Plain::Null)
        ));
    }
}

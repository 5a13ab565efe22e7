//! The `dotenv` package (upstream's `docs/lib/dotenv.md`): `KEY=VALUE` files. The parser is
//! native; `load` (which sets the variables through `env::set`) is the Kiwi part.

use std::path::PathBuf;

use kiwi_vm::error::KResult;
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::net::Plain;
use kiwi_vm::value::Value;

use crate::fio::{read_failed, text_of};

/// The `dotenv` natives.
pub const PACKAGE: Package = Package {
    name: "dotenv",
    functions: &[
        NativeFn::pure("parse", Arity::exactly(1), |a| {
            let text = check::str_arg("dotenv::parse", a, 0)?;
            Ok(to_plain(parse(text)).into_value())
        }),
        NativeFn::cx("parse_file", Arity::between(0, 1), parse_file),
    ],
};

/// The Kiwi part (`load`).
pub const SOURCE: &str = include_str!("kiwi/dotenv.kiwi");

fn to_plain(pairs: Vec<(String, String)>) -> Plain {
    Plain::Map(pairs.into_iter().map(|(k, v)| (k, Plain::Str(v))).collect())
}

/// `parse_file(file_path = ".env")`: a missing file is a `FileReadError` naming it.
fn parse_file(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = match args.first() {
        None | Some(Value::Null) => PathBuf::from(".env"),
        Some(_) => PathBuf::from(check::str_arg("dotenv::parse_file", args, 0)?.as_str()),
    };
    cx.run_blocking(Box::new(move || {
        let bytes = std::fs::read(&path).map_err(|e| read_failed(&path, e))?;
        Ok(to_plain(parse(&text_of(bytes))))
    }))
}

/// The pairs of a dotenv text, in order (a later line with the same key wins in place).
/// Blank lines, `#` comments and lines without `=` are skipped; `export ` is dropped.
fn parse(text: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() {
            continue;
        }
        let value = value_of(raw.trim());
        match pairs.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => pairs.push((key.to_string(), value)),
        }
    }
    pairs
}

/// A value: double-quoted with `\n \t \r \" \\` escapes, single-quoted literally, else up to
/// an inline ` #` comment, trimmed.
fn value_of(raw: &str) -> String {
    if let Some(rest) = raw.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return out,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                },
                c => out.push(c),
            }
        }
        // No closing quote: the text as written.
        return raw.to_string();
    }
    if let Some(rest) = raw.strip_prefix('\'') {
        if let Some(end) = rest.rfind('\'') {
            return rest[..end].to_string();
        }
        return raw.to_string();
    }
    let value = match raw.find(" #").or_else(|| raw.find("\t#")) {
        Some(i) => &raw[..i],
        None => raw,
    };
    value.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str, key: &str) -> Option<String> {
        parse(text)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    #[test]
    fn forms() {
        assert_eq!(one("A=  x  \n", "A").as_deref(), Some("x"));
        assert_eq!(
            one("A=\"a b\\n\\\"c\\\\\"", "A").as_deref(),
            Some("a b\n\"c\\")
        );
        assert_eq!(one("A='it\\'s'", "A").as_deref(), Some("it\\'s"));
        assert_eq!(one("A=1 # note", "A").as_deref(), Some("1"));
        assert_eq!(one("A=a#b", "A").as_deref(), Some("a#b"));
        assert_eq!(one("export  A=p", "A").as_deref(), Some("p"));
        assert_eq!(one("A=1\r\nB=2\r\n", "B").as_deref(), Some("2"));
        assert_eq!(one("A=", "A").as_deref(), Some(""));
        assert_eq!(one("NOEQ\nB=1", "NOEQ"), None);
        assert_eq!(one("# A=1", "A"), None);
        assert_eq!(one("A=1\nA=2", "A").as_deref(), Some("2"));
    }
}

//! The `string` package (upstream's `docs/lib/string.md`): padding, case, character-class
//! checks, slugs and other text helpers. Lengths and padding count characters, not bytes.
//! Both spellings upstream uses are here: the documented (`isalpha`, `tolower`) and those of
//! its library file (`is_alpha`, `to_lower`).

use base64::Engine;
use rand::seq::SliceRandom;

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::Value;

use crate::encode::{data_arg, url_decode, url_encode};

/// A `string::<name>(text)` entry mapping the text to a string.
macro_rules! text_fn {
    ($name:literal, $f:expr) => {
        NativeFn::pure($name, Arity::exactly(1), |a| {
            let text = input(concat!("string::", $name), a, 0)?;
            let f: fn(&str) -> String = $f;
            Ok(Value::str(f(&text)))
        })
    };
}

/// A `string::<name>(text)` entry asking whether every character passes `test` (false for "").
macro_rules! class_fn {
    ($name:literal, $test:expr) => {
        NativeFn::pure($name, Arity::exactly(1), |a| {
            let text = input(concat!("string::", $name), a, 0)?;
            let test: fn(char) -> bool = $test;
            Ok(Value::Bool(!text.is_empty() && text.chars().all(test)))
        })
    };
}

/// A `string::<name>(text, size, padding = " ")` entry.
macro_rules! pad_fn {
    ($name:literal, $left:expr, $right:expr) => {
        NativeFn::pure($name, Arity::between(2, 3), |a| {
            pad(concat!("string::", $name), a, $left, $right)
        })
    };
}

/// The Kiwi part (`to_path`, which makes a `Path` of the `path` package).
pub const SOURCE: &str = "package string\n  fn to_path(path)\n    Path.new(path)\n  end\nend\n";

/// The `string` package.
pub const PACKAGE: Package = Package {
    name: "string",
    functions: &[
        NativeFn::pure("base64encode", Arity::exactly(1), |a| {
            let data = data_arg("string::base64encode", &a[0])?;
            Ok(Value::str(
                base64::engine::general_purpose::STANDARD.encode(data),
            ))
        }),
        NativeFn::pure("base64decode", Arity::exactly(1), |a| {
            let text = input("string::base64decode", a, 0)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|e| {
                    KiwiError::custom("InvalidOperationError", format!("Invalid base64: {e}"))
                })?;
            Ok(Value::str(String::from_utf8_lossy(&bytes)))
        }),
        text_fn!("urlencode", |t| url_encode(t)),
        text_fn!("urldecode", |t| url_decode(t, true)),
        pad_fn!("padstart", true, false),
        pad_fn!("padend", false, true),
        pad_fn!("center", true, true),
        NativeFn::pure("contains_any", Arity::between(1, 2), |a| {
            let text = input("string::contains_any", a, 0)?;
            let Some(Value::List(items)) = a.get(1) else {
                return match a.get(1) {
                    None | Some(Value::Null) => Ok(Value::Bool(false)),
                    Some(other) => Err(check::expected("string::contains_any", 1, "List", other)),
                };
            };
            let found = items.borrow().iter().any(|m| match m {
                Value::Str(s) => text.contains(s.as_str()),
                other => text.contains(&kiwi_vm::format::to_display(other)),
            });
            Ok(Value::Bool(found))
        }),
        NativeFn::pure("echo", Arity::exactly(2), |a| {
            let text = input("string::echo", a, 0)?;
            let count = count_arg("string::echo", a, 1)?;
            Ok(Value::str(
                text.chars()
                    .flat_map(|c| (0..count).map(move |_| c))
                    .collect::<String>(),
            ))
        }),
        NativeFn::pure("interweave", Arity::exactly(2), |a| {
            let first: Vec<char> = input("string::interweave", a, 0)?.chars().collect();
            let second: Vec<char> = input("string::interweave", a, 1)?.chars().collect();
            let mut out = String::new();
            for i in 0..first.len().max(second.len()) {
                out.extend(first.get(i));
                out.extend(second.get(i));
            }
            Ok(Value::str(out))
        }),
        NativeFn::pure("mirror", Arity::between(1, 2), |a| {
            let text = input("string::mirror", a, 0)?;
            let delimiter = match a.get(1) {
                None | Some(Value::Null) => String::new(),
                Some(_) => input("string::mirror", a, 1)?,
            };
            let reversed: String = text.chars().rev().collect();
            Ok(Value::str(format!("{text}{delimiter}{reversed}")))
        }),
        NativeFn::pure("shuffle", Arity::exactly(1), |a| {
            let mut chars: Vec<char> = input("string::shuffle", a, 0)?.chars().collect();
            chars.shuffle(&mut rand::rng());
            Ok(Value::str(chars.into_iter().collect::<String>()))
        }),
        text_fn!("slug", slug),
        text_fn!("squish", |t| t
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")),
        text_fn!("tolower", str::to_lowercase),
        text_fn!("to_lower", str::to_lowercase),
        text_fn!("toupper", str::to_uppercase),
        text_fn!("to_upper", str::to_uppercase),
        text_fn!("capitalize", capitalize),
        text_fn!("capitalise", capitalize),
        text_fn!("titleize", titleize),
        text_fn!("title", titleize),
        NativeFn::pure("smart_titleize", Arity::between(1, 2), smart_titleize),
        text_fn!("dedent", dedent),
        class_fn!("isalpha", |c| c.is_ascii_alphabetic()),
        class_fn!("is_alpha", |c| c.is_ascii_alphabetic()),
        class_fn!("isalphanumeric", |c| c.is_ascii_alphanumeric()),
        class_fn!("is_alphanumeric", |c| c.is_ascii_alphanumeric()),
        class_fn!("isnumeric", |c| c.is_ascii_digit()),
        class_fn!("is_numeric", |c| c.is_ascii_digit()),
        NativeFn::pure("islower", Arity::exactly(1), |a| {
            no_case("string::islower", a, char::is_uppercase)
        }),
        NativeFn::pure("is_lower", Arity::exactly(1), |a| {
            no_case("string::is_lower", a, char::is_uppercase)
        }),
        NativeFn::pure("isupper", Arity::exactly(1), |a| {
            no_case("string::isupper", a, char::is_lowercase)
        }),
        NativeFn::pure("is_upper", Arity::exactly(1), |a| {
            no_case("string::is_upper", a, char::is_lowercase)
        }),
    ],
};

/// Argument `i` as text: a string, or any other value as it prints.
fn input(name: &str, args: &[Value], i: usize) -> KResult<String> {
    match args.get(i) {
        Some(Value::Str(s)) => Ok(s.to_string()),
        Some(Value::Null) | None => Err(check::expected(name, i, "String", &Value::Null)),
        Some(other) => Ok(kiwi_vm::format::to_display(other)),
    }
}

fn count_arg(name: &str, args: &[Value], i: usize) -> KResult<usize> {
    match args.get(i) {
        Some(Value::Int(n)) => Ok(usize::try_from(*n).unwrap_or(0)),
        Some(other) => Err(check::expected(name, i, "Integer", other)),
        None => Ok(0),
    }
}

/// Pads to `size` characters on the left, the right or both (centred, the extra one on the
/// right), repeating `padding`; a text already that wide is unchanged.
fn pad(name: &str, args: &[Value], left: bool, right: bool) -> KResult<Value> {
    let text = input(name, args, 0)?;
    let size = count_arg(name, args, 1)?;
    let padding: Vec<char> = match args.get(2) {
        None | Some(Value::Null) => vec![' '],
        Some(_) => input(name, args, 2)?.chars().collect(),
    };
    let width = text.chars().count();
    if width >= size || padding.is_empty() {
        return Ok(Value::str(text));
    }
    let missing = size - width;
    let (before, after) = match (left, right) {
        (true, true) => (missing / 2, missing - missing / 2),
        (true, false) => (missing, 0),
        _ => (0, missing),
    };
    let fill = |n: usize| padding.iter().cycle().take(n).collect::<String>();
    Ok(Value::str(format!("{}{text}{}", fill(before), fill(after))))
}

/// True when the text has no character of the other case (`islower`: no uppercase).
fn no_case(name: &str, args: &[Value], other_case: fn(char) -> bool) -> KResult<Value> {
    let text = input(name, args, 0)?;
    Ok(Value::Bool(!text.chars().any(other_case)))
}

/// Lowercase; a space becomes `-`; only `a-z`, `0-9` and `-` are kept; no leading or trailing `-`.
fn slug(text: &str) -> String {
    let kept: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' { '-' } else { c })
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect();
    kept.trim_matches('-').to_string()
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.as_str().to_lowercase().chars())
            .collect(),
        None => String::new(),
    }
}

/// Every word (a run between whitespace) capitalized; the whitespace is kept as it was.
fn titleize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_whitespace() {
            out.push_str(&capitalize(&word));
            word.clear();
            out.push(c);
        } else {
            word.push(c);
        }
    }
    out.push_str(&capitalize(&word));
    out
}

const SMALL_WORDS: &[&str] = &[
    "a", "an", "and", "but", "by", "for", "in", "nor", "of", "on", "or", "the", "to", "with",
];

/// `smart_titleize(s, keep_lowercase = SMALL_WORDS)`: words joined by one space, each
/// capitalized except the listed ones after the first.
fn smart_titleize(args: &[Value]) -> KResult<Value> {
    let text = input("string::smart_titleize", args, 0)?;
    let keep: Vec<String> = match args.get(1) {
        None | Some(Value::Null) => SMALL_WORDS.iter().map(|w| w.to_string()).collect(),
        Some(Value::List(items)) => items
            .borrow()
            .iter()
            .map(|v| kiwi_vm::format::to_display(v).to_lowercase())
            .collect(),
        Some(other) => return Err(check::expected("string::smart_titleize", 1, "List", other)),
    };
    let words: Vec<String> = text
        .split_whitespace()
        .enumerate()
        .map(|(i, w)| {
            let lower = w.to_lowercase();
            if i > 0 && keep.contains(&lower) {
                lower
            } else {
                capitalize(w)
            }
        })
        .collect();
    Ok(Value::str(words.join(" ")))
}

/// Removes the indentation all non-blank lines share, and a first and last line that are
/// blank (a string literal written across lines starts and ends with one).
fn dedent(text: &str) -> String {
    let mut lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    if lines.first().is_some_and(|l| l.trim().is_empty()) {
        lines.remove(0);
    }
    if lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> String {
        let v = crate::call_plain(&PACKAGE, name, args, &Default::default())
            .expect("function exists")
            .expect("ok");
        kiwi_vm::format::to_display(&v)
    }

    fn s(t: &str) -> Value {
        Value::str(t)
    }

    #[test]
    fn documented_examples() {
        assert_eq!(
            call("center", &[s("hi"), Value::Int(10), s("-")]),
            "----hi----"
        );
        assert_eq!(call("center", &[s("hi"), Value::Int(7)]), "  hi   ");
        assert_eq!(
            call("padstart", &[s("42"), Value::Int(6), s("0")]),
            "000042"
        );
        assert_eq!(call("padend", &[s("hi"), Value::Int(6), s(".")]), "hi....");
        assert_eq!(
            call("padstart", &[s("hello"), Value::Int(3), s("0")]),
            "hello"
        );
        assert_eq!(call("echo", &[s("abc"), Value::Int(3)]), "aaabbbccc");
        assert_eq!(call("interweave", &[s("hi"), s("!!!")]), "h!i!!");
        assert_eq!(call("mirror", &[s("kiwi"), s("|")]), "kiwi|iwik");
        assert_eq!(call("slug", &[s("Hello, World!")]), "hello-world");
        assert_eq!(call("slug", &[s("Multiple   Spaces")]), "multiple---spaces");
        assert_eq!(
            call("squish", &[s("  7800    BEEMAN   AV  ")]),
            "7800 BEEMAN AV"
        );
        assert_eq!(call("capitalize", &[s("HELLO")]), "Hello");
        assert_eq!(
            call("titleize", &[s("the quick brown fox")]),
            "The Quick Brown Fox"
        );
        assert_eq!(
            call("smart_titleize", &[s("the lord of the rings")]),
            "The Lord of the Rings"
        );
        assert_eq!(
            call("dedent", &[s("\n  hello\n    world\n")]),
            "hello\n  world"
        );
        assert_eq!(call("isalpha", &[s("héllo")]), "false");
        assert_eq!(call("islower", &[s("hello 1")]), "true");
        assert_eq!(call("isupper", &[s("Hello")]), "false");
        assert_eq!(call("isnumeric", &[s("123.4")]), "false");
        assert_eq!(
            call(
                "contains_any",
                &[s("foo@bar.com"), Value::list(vec![s("#"), s("@")])]
            ),
            "true"
        );
        assert_eq!(
            call("base64decode", &[s("SGVsbG8sIEtpd2kh")]),
            "Hello, Kiwi!"
        );
        assert_eq!(call("urlencode", &[s("hello world")]), "hello+world");
    }
}

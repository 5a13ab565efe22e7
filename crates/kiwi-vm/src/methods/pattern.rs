//! Regex-backed string methods (`find`, `match`, `matches`, `matches_all`, `scan`,
//! `scan_groups`, `named_captures`, `regex_escape`, `rsplit`, `rreplace`) with upstream's
//! .NET semantics on top of the `regex` crate; the `regex` package calls the same functions.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::{Captures, Regex};

use crate::error::KResult;
use crate::value::{Key, Value};

use super::check::value_error;

thread_local! {
    // Scripts call these in loops with the same few patterns; compiling is the expensive part.
    static CACHE: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

const CACHE_LIMIT: usize = 64;

/// Compiles (or fetches) `pattern`; a bad pattern is a `ValueError`.
pub fn compile(pattern: &str) -> KResult<Regex> {
    if let Some(re) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(re);
    }
    let re = Regex::new(pattern)
        .map_err(|_| value_error(format!("Invalid regular expression: `{pattern}`")))?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_LIMIT {
            c.clear();
        }
        c.insert(pattern.to_string(), re.clone());
    });
    Ok(re)
}

/// .NET `Regex.Split`: captured groups are included in the output; `limit` is the maximum
/// number of parts (`0` means unlimited).
pub fn split<'t>(re: &Regex, text: &'t str, limit: usize) -> Vec<&'t str> {
    if limit == 1 {
        return vec![text];
    }
    let max_splits = limit.saturating_sub(1);
    let mut parts = Vec::new();
    let mut last = 0;
    let mut splits = 0;
    let mut push_match = |start: usize, end: usize, groups: Option<&Captures<'t>>| {
        parts.push(&text[last..start]);
        if let Some(caps) = groups {
            parts.extend(caps.iter().skip(1).flatten().map(|m| m.as_str()));
        }
        last = end;
    };
    if re.captures_len() == 1 {
        for m in re.find_iter(text) {
            push_match(m.start(), m.end(), None);
            splits += 1;
            if splits == max_splits {
                break;
            }
        }
    } else {
        for caps in re.captures_iter(text) {
            let Some(m) = caps.get(0) else { continue };
            push_match(m.start(), m.end(), Some(&caps));
            splits += 1;
            if splits == max_splits {
                break;
            }
        }
    }
    parts.push(&text[last..]);
    parts
}

/// One piece of a .NET replacement template.
enum Piece {
    Text(String),
    Group(usize),
    Named(String),
}

/// Parses a .NET replacement template (`$1`, `${name}`, `$&`, `$$`); references to groups the
/// pattern does not have stay literal, as in .NET.
fn parse_template(re: &Regex, template: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = template;
    while let Some(pos) = rest.find('$') {
        text.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let (piece, used) = if after.starts_with('$') {
            (None, 1)
        } else if after.starts_with('&') {
            (Some(Piece::Group(0)), 1)
        } else if digits > 0 {
            match after[..digits].parse::<usize>() {
                Ok(n) if n < re.captures_len() => (Some(Piece::Group(n)), digits),
                _ => (None, 0),
            }
        } else if let Some(close) = after.strip_prefix('{').and_then(|a| a.find('}')) {
            let name = &after[1..=close];
            if let Ok(n) = name.parse::<usize>() {
                if n < re.captures_len() {
                    (Some(Piece::Group(n)), close + 2)
                } else {
                    (None, 0)
                }
            } else if re.capture_names().flatten().any(|n| n == name) {
                (Some(Piece::Named(name.to_string())), close + 2)
            } else {
                (None, 0)
            }
        } else {
            (None, 0)
        };
        match piece {
            Some(p) => {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                pieces.push(p);
            }
            // `$$` is one dollar; an unusable `$` is kept as it is.
            None => text.push('$'),
        }
        rest = &after[used..];
    }
    text.push_str(rest);
    pieces.push(Piece::Text(text));
    pieces
}

/// .NET `Regex.Replace(text, replacement)` for every match.
pub fn replace(re: &Regex, text: &str, template: &str) -> String {
    let pieces = parse_template(re, template);
    re.replace_all(text, |caps: &Captures<'_>| {
        let mut out = String::new();
        for p in &pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Group(n) => out.push_str(caps.get(*n).map_or("", |m| m.as_str())),
                Piece::Named(n) => out.push_str(caps.name(n).map_or("", |m| m.as_str())),
            }
        }
        out
    })
    .into_owned()
}

/// The first match of `re` in `text` (`""` if none).
pub fn find_first(re: &Regex, text: &str) -> String {
    re.find(text)
        .map_or_else(String::new, |m| m.as_str().to_string())
}

/// The capture groups of one match, group 0 excluded (an unmatched group is `""`).
pub fn groups(caps: &Captures<'_>) -> Vec<String> {
    caps.iter()
        .skip(1)
        .map(|g| g.map_or_else(String::new, |m| m.as_str().to_string()))
        .collect()
}

/// The groups of the first match (empty if none).
pub fn first_groups(re: &Regex, text: &str) -> Vec<String> {
    re.captures(text).map(|c| groups(&c)).unwrap_or_default()
}

/// The groups of every match.
pub fn all_groups(re: &Regex, text: &str) -> Vec<Vec<String>> {
    re.captures_iter(text).map(|c| groups(&c)).collect()
}

/// Every match.
pub fn scan(re: &Regex, text: &str) -> Vec<String> {
    re.find_iter(text).map(|m| m.as_str().to_string()).collect()
}

/// The named groups of the first match, by name in pattern order (empty if no match).
pub fn named_captures(re: &Regex, text: &str) -> Vec<(String, String)> {
    let Some(caps) = re.captures(text) else {
        return Vec::new();
    };
    re.capture_names()
        .flatten()
        .map(|name| {
            let value = caps.name(name).map_or("", |m| m.as_str());
            (name.to_string(), value.to_string())
        })
        .collect()
}

/// Whether the first match spans all of `text`.
pub fn matches_whole(re: &Regex, text: &str) -> bool {
    re.find(text)
        .is_some_and(|m| m.start() == 0 && m.end() == text.len())
}

/// Whether the matches, one after another, cover all of `text`.
pub fn matches_all(re: &Regex, text: &str) -> bool {
    re.find_iter(text).map(|m| m.len()).sum::<usize>() == text.len()
}

/// `text` with every regex metacharacter escaped, as .NET's `Regex.Escape` (which also
/// escapes `#` and whitespace: `"2.0 (beta)"` becomes `2\.0\ \(beta\)`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' | '*' | '+' | '?' | '|' | '{' | '[' | '(' | ')' | '^' | '$' | '.' | '#' | ' ' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            _ => out.push(c),
        }
    }
    out
}

/// What the string method `name` (`find`, `match`, `matches`, `matches_all`, `scan`,
/// `scan_groups`, `named_captures`) gives for `text` with `re`.
pub fn regex_result(re: &Regex, text: &str, name: &str) -> Value {
    let texts = |items: Vec<String>| Value::list(items.into_iter().map(Value::str).collect());
    match name {
        "find" => Value::str(find_first(re, text)),
        "match" => texts(first_groups(re, text)),
        "matches" => Value::Bool(matches_whole(re, text)),
        "matches_all" => Value::Bool(matches_all(re, text)),
        "scan" => texts(scan(re, text)),
        "scan_groups" => Value::list(all_groups(re, text).into_iter().map(texts).collect()),
        _ => Value::map(
            named_captures(re, text)
                .into_iter()
                .map(|(k, v)| (Key(Value::str(k)), Value::str(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_limits() {
        let re = compile("\r\n\r\n").unwrap();
        let text = "a\r\n\r\nb\r\n\r\nc";
        assert_eq!(split(&re, text, 2), vec!["a", "b\r\n\r\nc"]);
        assert_eq!(split(&re, text, 0), vec!["a", "b", "c"]);
        assert_eq!(split(&re, text, 1), vec![text]);
        let re = compile(",").unwrap();
        assert_eq!(split(&re, ",a,,b,", 0), vec!["", "a", "", "b", ""]);
    }

    #[test]
    fn split_keeps_groups() {
        let re = compile("(-)").unwrap();
        assert_eq!(split(&re, "a-b", 0), vec!["a", "-", "b"]);
    }

    #[test]
    fn replace_templates() {
        let re = compile(r"(\w+)@(?P<host>\w+)").unwrap();
        assert_eq!(replace(&re, "me@home", "$2:$1"), "home:me");
        assert_eq!(replace(&re, "me@home", "${host}!$$"), "home!$");
        assert_eq!(replace(&re, "me@home", "[$&]"), "[me@home]");
        assert_eq!(replace(&re, "me@home", "$9 ${nope} $x"), "$9 ${nope} $x");
        assert_eq!(replace(&re, "me@home", "$1a"), "mea");
    }

    #[test]
    fn bad_pattern_is_value_error() {
        let e = compile("(").unwrap_err();
        assert_eq!(e.error.as_ref(), "ValueError");
    }
}

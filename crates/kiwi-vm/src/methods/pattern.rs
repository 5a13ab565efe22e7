//! Regex-backed string methods (`rsplit`, `rreplace`) with .NET `Regex.Split`/`Regex.Replace`
//! semantics on top of the `regex` crate.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::{Captures, Regex};

use crate::error::KResult;

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

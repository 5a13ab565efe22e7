//! `deserialize(text)`: reads back the literal forms `serialize` produces (null, booleans,
//! numbers, strings, lists, hashmaps). Upstream evaluates the text as Kiwi code; only literals
//! are supported here, which is everything `serialize` emits except lambdas.

use crate::error::{ErrorType, KResult, KiwiError};
use crate::value::{Key, Map, Value};

/// Nesting limit, so hostile input cannot overflow the native stack.
const MAX_DEPTH: usize = 200;

/// Parses one literal value; anything else (or trailing text) is a `SyntaxError`.
pub fn deserialize(text: &str) -> KResult<Value> {
    let mut p = Parser { s: text, pos: 0 };
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos != p.s.len() {
        return Err(p.error());
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self) -> KiwiError {
        KiwiError::new(
            ErrorType::SyntaxError,
            format!(
                "Cannot deserialize: unexpected input at offset {}.",
                self.pos
            ),
        )
    }

    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.s.len() - trimmed.len();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> KResult<Value> {
        if depth > MAX_DEPTH {
            return Err(self.error());
        }
        self.skip_ws();
        match self.peek() {
            Some('[') => {
                self.pos += 1;
                let items = self.sequence(']', depth, |p, d| p.value(d))?;
                Ok(Value::list(items))
            }
            Some('{') => {
                self.pos += 1;
                let pairs = self.sequence('}', depth, |p, d| {
                    let key = p.key(d)?;
                    if !p.eat(':') {
                        return Err(p.error());
                    }
                    Ok((Key(key), p.value(d)?))
                })?;
                Ok(Value::map(pairs.into_iter().collect::<Map>()))
            }
            Some(q @ ('"' | '\'')) => self.string(q),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(c) if c.is_alphabetic() || c == '_' => {
                let word = self.word();
                match word {
                    "null" => Ok(Value::Null),
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "NaN" => Ok(Value::Float(f64::NAN)),
                    "Infinity" => Ok(Value::Float(f64::INFINITY)),
                    _ => Err(self.error()),
                }
            }
            _ => Err(self.error()),
        }
    }

    /// Comma-separated items up to `close`; a trailing comma is accepted.
    fn sequence<T>(
        &mut self,
        close: char,
        depth: usize,
        item: impl Fn(&mut Self, usize) -> KResult<T>,
    ) -> KResult<Vec<T>> {
        let mut out = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(out);
            }
            out.push(item(self, depth + 1)?);
            if !self.eat(',') {
                return if self.eat(close) {
                    Ok(out)
                } else {
                    Err(self.error())
                };
            }
        }
    }

    /// A hashmap key: a literal, or a bare identifier meaning that string.
    fn key(&mut self, depth: usize) -> KResult<Value> {
        self.skip_ws();
        match self.peek() {
            Some(c) if c.is_alphabetic() || c == '_' => {
                let start = self.pos;
                let word = self.word();
                if matches!(word, "null" | "true" | "false" | "NaN" | "Infinity") {
                    self.pos = start;
                    self.value(depth)
                } else {
                    Ok(Value::str(word))
                }
            }
            _ => self.value(depth),
        }
    }

    fn word(&mut self) -> &str {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.pos += len;
        &self.s[self.pos - len..self.pos]
    }

    fn number(&mut self) -> KResult<Value> {
        let start = self.pos;
        if self.rest().starts_with("-Infinity") {
            self.pos += "-Infinity".len();
            return Ok(Value::Float(f64::NEG_INFINITY));
        }
        let bytes = self.s.as_bytes();
        let mut end = start + 1;
        let mut float = false;
        while let Some(&b) = bytes.get(end) {
            match b {
                b'0'..=b'9' => {}
                b'.' | b'e' | b'E' => float = true,
                b'+' | b'-' if matches!(bytes[end - 1], b'e' | b'E') => {}
                _ => break,
            }
            end += 1;
        }
        let text = &self.s[start..end];
        self.pos = end;
        let parsed = if float {
            text.parse::<f64>().ok().map(Value::Float)
        } else {
            text.parse::<i64>().ok().map(Value::Int)
        };
        parsed.ok_or_else(|| self.error())
    }

    /// A double-quoted string with Kiwi escapes, or a raw single-quoted one.
    fn string(&mut self, quote: char) -> KResult<Value> {
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                self.pos += i + 1;
                return Ok(Value::str(out));
            }
            if c != '\\' || quote == '\'' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else { break };
            match e {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                '\\' | '"' => out.push(e),
                'u' | 'U' => {
                    let n = if e == 'u' { 4 } else { 8 };
                    let hex: String = chars.by_ref().take(n).map(|(_, h)| h).collect();
                    let c = u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| self.error())?;
                    out.push(c);
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
        self.pos = self.s.len();
        Err(self.error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::to_repr;

    fn round_trip(text: &str) -> String {
        to_repr(&deserialize(text).unwrap_or_else(|e| panic!("{text}: {e}")))
    }

    #[test]
    fn literals() {
        assert_eq!(round_trip("null"), "null");
        assert_eq!(round_trip(" -42 "), "-42");
        assert_eq!(round_trip("2.5"), "2.5");
        assert_eq!(round_trip("1E+15"), "1E+15");
        assert_eq!(round_trip(r#""a\tb""#), "\"a\tb\"");
        assert_eq!(round_trip("'raw\\n'"), "\"raw\\n\"");
        assert_eq!(
            round_trip("[1, [true, \"x\"], []]"),
            "[1, [true, \"x\"], []]"
        );
        assert_eq!(
            round_trip("{\"host\": \"x\", 1: 2.5, key: null,}"),
            "{\"host\": \"x\", 1: 2.5, \"key\": null}"
        );
    }

    #[test]
    fn rejects_junk() {
        for bad in [
            "", "[1,", "{1 2}", "1 2", "\"open", "<lambda>", "--1", "[[[[",
        ] {
            let e = deserialize(bad).unwrap_err();
            assert_eq!(e.error.as_ref(), "SyntaxError", "{bad}");
        }
        let deep = "[".repeat(10_000);
        assert!(deserialize(&deep).is_err());
    }
}

//! `deserialize(text)`: reads back the literal forms `serialize` produces (null, booleans,
//! numbers, strings, lists, hashmaps). Upstream evaluates the text as Kiwi code; only literals
//! are supported here, which is everything `serialize` emits except lambdas.

use kiwi_vm::error::{ErrorType, KResult, KiwiError};
use kiwi_vm::value::{Key, Map, Value};

/// A container being read: its items so far.
enum Open {
    List(Vec<Value>),
    Map {
        pairs: Vec<(Key, Value)>,
        /// The key just read, waiting for its value.
        key: Option<Value>,
    },
}

/// Parses one literal value; anything else (or trailing text) is a `SyntaxError`. The parser
/// keeps its own stack of open containers, so any depth `serialize` writes is read back
/// without deep recursion.
pub fn deserialize(text: &str) -> KResult<Value> {
    let mut p = Parser { s: text, pos: 0 };
    let mut stack: Vec<Open> = Vec::new();
    loop {
        p.skip_ws();
        // Where a value may start: open a container, close an empty one (or one after a
        // trailing comma), or read a scalar.
        let mut value = match (stack.last(), p.peek()) {
            (_, Some('[')) => {
                p.pos += 1;
                stack.push(Open::List(Vec::new()));
                continue;
            }
            (_, Some('{')) => {
                p.pos += 1;
                stack.push(Open::Map {
                    pairs: Vec::new(),
                    key: None,
                });
                continue;
            }
            (Some(Open::List(_)), Some(']')) | (Some(Open::Map { key: None, .. }), Some('}')) => {
                p.pos += 1;
                close(stack.pop())
            }
            (Some(Open::Map { key: None, .. }), _) => p.key()?,
            _ => p.scalar()?,
        };
        // Hand the finished value to its container; a container it completes goes up in turn.
        loop {
            match stack.last_mut() {
                None => {
                    p.skip_ws();
                    if p.pos != p.s.len() {
                        return Err(p.error());
                    }
                    return Ok(value);
                }
                Some(Open::List(items)) => {
                    items.push(value);
                    if p.eat(',') {
                        break;
                    }
                    if !p.eat(']') {
                        return Err(p.error());
                    }
                    value = close(stack.pop());
                }
                Some(Open::Map { pairs, key }) => match key.take() {
                    None => {
                        if !p.eat(':') {
                            return Err(p.error());
                        }
                        *key = Some(value);
                        break;
                    }
                    Some(k) => {
                        pairs.push((Key(k), value));
                        if p.eat(',') {
                            break;
                        }
                        if !p.eat('}') {
                            return Err(p.error());
                        }
                        value = close(stack.pop());
                    }
                },
            }
        }
    }
}

/// The value of a finished container.
fn close(open: Option<Open>) -> Value {
    match open {
        Some(Open::List(items)) => Value::list(items),
        Some(Open::Map { pairs, .. }) => Value::map(pairs.into_iter().collect::<Map>()),
        None => Value::Null,
    }
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

    /// A value that is not a container.
    fn scalar(&mut self) -> KResult<Value> {
        match self.peek() {
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

    /// A hashmap key that is not a container: a literal, or a bare identifier meaning that
    /// string.
    fn key(&mut self) -> KResult<Value> {
        match self.peek() {
            Some(c) if c.is_alphabetic() || c == '_' => {
                let start = self.pos;
                let word = self.word();
                if matches!(word, "null" | "true" | "false" | "NaN" | "Infinity") {
                    self.pos = start;
                    self.scalar()
                } else {
                    Ok(Value::str(word))
                }
            }
            _ => self.scalar(),
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
    use kiwi_vm::format::to_repr;

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
        for bad in [
            "]",
            "[1]]",
            "{a}",
            "{a: }",
            "{: 1}",
            "[,]",
            "{,}",
            "[1 2]",
            "{a: 1 b: 2}",
        ] {
            assert!(deserialize(bad).is_err(), "{bad}");
        }
    }

    /// What serialize writes at any depth reads back, without deep recursion either way.
    #[test]
    fn deep_values_round_trip() {
        let text = format!("{}1{}", "[{\"k\": ".repeat(50_000), "}]".repeat(50_000));
        let v = deserialize(&text).unwrap();
        assert_eq!(
            kiwi_vm::format::serialize(&v).as_deref(),
            Some(text.as_str())
        );
        assert_eq!(
            round_trip("{[1, 2]: {x: []}, {}: [{}]}"),
            "{[1, 2]: {\"x\": []}, {}: [{}]}"
        );
    }
}

//! Source text to tokens (§1 of `kiwi-subset.md`).
//!
//! The lexer works on a `Vec<char>` so that columns count Unicode scalar values and no string is
//! ever sliced at a byte offset. It never stops at an error: it records a [`SyntaxError`], emits a
//! [`Tok::Error`] placeholder and carries on, so that the parser can report later errors too.

use crate::diag::SyntaxError;
use crate::span::Span;
use crate::token::{is_op_char, Kw, Op, StrPart, Tok, Token, TYPE_NAMES};

/// Lexes `source`, numbering positions from `line`/`col` (a sub-lexer for `${...}` code starts
/// where that code sits in the enclosing file). Always ends with an [`Tok::Eof`] token.
pub(crate) fn lex(source: &str, line: u32, col: u32) -> (Vec<Token>, Vec<SyntaxError>) {
    let mut lexer = Lexer {
        chars: source.chars().collect(),
        pos: 0,
        line,
        col,
        tokens: Vec::new(),
        errors: Vec::new(),
    };
    // A UTF-8 byte order mark is invisible in editors; treating it as a stray character would
    // produce a baffling error on line 1.
    if lexer.peek() == Some('\u{feff}') {
        lexer.pos += 1;
    }
    lexer.run();
    (lexer.tokens, lexer.errors)
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: u32,
    col: u32,
    tokens: Vec<Token>,
    errors: Vec<SyntaxError>,
}

/// One open context while scanning the raw text of a `${...}` part.
enum CodeCtx {
    Code { braces: u32 },
    Double,
    Single,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos.saturating_add(n)).copied()
    }

    fn here(&self) -> Span {
        Span::new(self.line, self.col)
    }

    /// Consumes one character, keeping line and column up to date (`\r\n` and a lone `\r` both
    /// count as one line break).
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        match c {
            '\n' => self.newline(),
            '\r' if self.peek() != Some('\n') => self.newline(),
            _ => self.col = self.col.saturating_add(1),
        }
        Some(c)
    }

    fn newline(&mut self) {
        self.line = self.line.saturating_add(1);
        self.col = 1;
    }

    fn error(&mut self, message: impl Into<String>, span: Span) {
        self.errors.push(SyntaxError::new(message, span));
    }

    fn push(&mut self, kind: Tok, span: Span) {
        // The end line is the line of the last consumed character, which matters only for
        // multi-line strings: a token ending in a newline does not exist.
        let end_line = if self.col == 1 && self.line > span.line {
            self.line - 1
        } else {
            self.line
        };
        self.tokens.push(Token {
            kind,
            span,
            end_line: end_line.max(span.line),
        });
    }

    fn run(&mut self) {
        loop {
            self.skip_trivia();
            let span = self.here();
            let Some(c) = self.peek() else {
                self.tokens.push(Token {
                    kind: Tok::Eof,
                    span,
                    end_line: span.line,
                });
                return;
            };
            let kind = self.token(c, span);
            self.push(kind, span);
        }
    }

    /// Skips whitespace, `#` line comments and `/# ... #/` block comments.
    fn skip_trivia(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.bump();
            } else if c == '#' {
                while let Some(c) = self.peek() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                    self.bump();
                }
            } else if c == '/' && self.peek_at(1) == Some('#') {
                self.bump();
                self.bump();
                loop {
                    match self.peek() {
                        // §1.1: an unterminated block comment silently runs to the end of the
                        // file (upstream behaviour, kept by the spec and the conformance corpus).
                        None => return,
                        Some('#') if self.peek_at(1) == Some('/') => {
                            self.bump();
                            self.bump();
                            break;
                        }
                        Some(_) => {
                            self.bump();
                        }
                    }
                }
            } else {
                return;
            }
        }
    }

    fn token(&mut self, c: char, span: Span) -> Tok {
        if c == 'b' && matches!(self.peek_at(1), Some('"' | '\'')) {
            self.bump();
            return self.byte_literal(span);
        }
        if c.is_ascii_alphabetic() || c == '_' {
            return self.word();
        }
        if c.is_ascii_digit() {
            return self.number(span);
        }
        self.bump();
        match c {
            '"' | '\'' => self.string(c, span),
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            '{' => Tok::LBrace,
            '}' => Tok::RBrace,
            ',' => Tok::Comma,
            ':' if self.peek() == Some(':') => {
                self.bump();
                Tok::ColonColon
            }
            ':' => Tok::Colon,
            '.' if self.peek() == Some('.') && self.peek_at(1) == Some('.') => {
                self.bump();
                self.bump();
                Tok::Ellipsis
            }
            '.' if self.peek() == Some('.') => {
                self.bump();
                Tok::DotDot
            }
            '.' => Tok::Dot,
            '@' if self.peek() == Some('@') => {
                self.bump();
                Tok::AtAt
            }
            '@' => Tok::At,
            c if is_op_char(c) => self.operator(c, span),
            other => {
                self.error(
                    format!("Unexpected character '{}'", other.escape_debug()),
                    span,
                );
                Tok::Error
            }
        }
    }

    fn word(&mut self) -> Tok {
        let mut text = String::new();
        while let Some(c) = self.peek() {
            if !(c.is_ascii_alphanumeric() || c == '_') {
                break;
            }
            text.push(c);
            self.bump();
        }
        if let Some(kw) = Kw::from_word(&text) {
            return Tok::Kw(kw);
        }
        if let Some(name) = TYPE_NAMES.iter().find(|t| **t == text) {
            return Tok::Type(name);
        }
        Tok::Ident(text)
    }

    /// The longest run of operator characters (at most 3, `>>>=` being the one 4-character
    /// operator, `??` never extending), looked up in the fixed operator set.
    fn operator(&mut self, first: char, span: Span) -> Tok {
        let mut run = String::from(first);
        while let Some(next) = self.peek() {
            if !is_op_char(next) {
                break;
            }
            // `/#` opens a block comment even right after an operator.
            if next == '/' && self.peek_at(1) == Some('#') {
                break;
            }
            if run == "?" && next == '?' {
                run.push(next);
                self.bump();
                continue;
            }
            if run == "??" || (run.len() >= 3 && !(run == ">>>" && next == '=')) {
                break;
            }
            run.push(next);
            self.bump();
        }
        match Op::from_run(&run) {
            Some(op) => Tok::Op(op),
            None => {
                self.error(
                    format!(
                        "Unknown operator '{run}' (put a space between operators, e.g. 'x = -1')"
                    ),
                    span,
                );
                Tok::Error
            }
        }
    }

    fn number(&mut self, span: Span) -> Tok {
        if self.peek() == Some('0') {
            let radix = match self.peek_at(1) {
                Some('x' | 'X') => Some((16, "hex")),
                Some('b' | 'B') => Some((2, "binary")),
                Some('o' | 'O') => Some((8, "octal")),
                _ => None,
            };
            if let Some((radix, name)) = radix {
                self.bump();
                self.bump();
                return self.radix_number(radix, name, span);
            }
        }
        let mut text = String::new();
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                text.push(c);
                self.bump();
            } else if c == '.' && self.peek_at(1) != Some('.') {
                // Greedy like upstream, so `1.5.x()` is an error rather than a surprise.
                text.push(c);
                self.bump();
            } else if (c == 'e' || c == 'E') && self.exponent_follows() {
                text.push(c);
                self.bump();
                if let Some(sign @ ('+' | '-')) = self.peek() {
                    text.push(sign);
                    self.bump();
                }
            } else {
                break;
            }
        }
        let dots = text.matches('.').count();
        let exps = text.matches(['e', 'E']).count();
        if dots > 1 || exps > 1 {
            self.error(format!("Invalid numeric literal '{text}'"), span);
            return Tok::Error;
        }
        if dots == 0 && exps == 0 {
            return match text.parse::<i64>() {
                Ok(v) => Tok::Int(v),
                Err(_) => {
                    self.error(format!("Integer literal '{text}' is out of range"), span);
                    Tok::Error
                }
            };
        }
        let mut normalized = text.clone();
        if normalized.ends_with('.') {
            normalized.push('0');
        }
        // `1.e5`: Rust wants a digit after the point.
        let normalized = normalized.replace(".e", ".0e").replace(".E", ".0E");
        match normalized.parse::<f64>() {
            Ok(v) if v.is_finite() => Tok::Float(v),
            _ => {
                self.error(format!("Invalid numeric literal '{text}'"), span);
                Tok::Error
            }
        }
    }

    /// `e` continues a number only when digits follow (`1e5`, `1.5e-3`), so `2else` and
    /// `x.e` keep lexing as before.
    fn exponent_follows(&self) -> bool {
        match self.peek_at(1) {
            Some(d) if d.is_ascii_digit() => true,
            Some('+' | '-') => self.peek_at(2).is_some_and(|d| d.is_ascii_digit()),
            _ => false,
        }
    }

    /// Hex, binary and octal literals are 32-bit two's complement: `0xFFFFFFFF` is -1.
    fn radix_number(&mut self, radix: u32, name: &str, span: Span) -> Tok {
        let mut digits = String::new();
        let mut value: u64 = 0;
        let mut overflow = false;
        while let Some(c) = self.peek() {
            let Some(d) = c.to_digit(radix) else { break };
            digits.push(c);
            self.bump();
            value = value * u64::from(radix) + u64::from(d);
            if value > u64::from(u32::MAX) {
                overflow = true;
                value = 0;
            }
        }
        if digits.is_empty() {
            self.error(format!("Invalid {name} literal: expected digits"), span);
            return Tok::Error;
        }
        if overflow {
            self.error(
                format!("The {name} literal '{digits}' does not fit in 32 bits"),
                span,
            );
            return Tok::Error;
        }
        let v = value as u32 as i32;
        Tok::Int(i64::from(v))
    }

    /// A string literal; the opening quote is consumed. Double quotes decode escapes, single
    /// quotes are raw; both interpolate `${...}`.
    fn string(&mut self, quote: char, start: Span) -> Tok {
        let raw = quote == '\'';
        let mut parts = Vec::new();
        let mut lit = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.error("Unterminated string literal", start);
                return Tok::Error;
            };
            if c == quote {
                self.bump();
                break;
            }
            if c == '\\' && self.peek_at(1) == Some('$') && self.peek_at(2) == Some('{') {
                // `\${` keeps the `${...}` text literally; the `{` is then an ordinary character.
                self.bump();
                self.bump();
                lit.push('$');
                continue;
            }
            if c == '\\' && !raw {
                self.bump();
                let Some(e) = self.bump() else {
                    self.error("Unterminated string literal", start);
                    return Tok::Error;
                };
                self.escape(e, &mut lit);
                continue;
            }
            if c == '$' && self.peek_at(1) == Some('{') {
                self.bump();
                self.bump();
                if !lit.is_empty() {
                    parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                }
                let (line, col) = (self.line, self.col);
                match self.interpolation_code() {
                    Some(text) => parts.push(StrPart::Code { text, line, col }),
                    None => {
                        self.error("Unterminated string literal", start);
                        return Tok::Error;
                    }
                }
                continue;
            }
            self.bump();
            lit.push(c);
        }
        if !lit.is_empty() {
            parts.push(StrPart::Lit(lit));
        }
        Tok::Str(parts)
    }

    fn escape(&mut self, e: char, out: &mut String) {
        match e {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'u' | 'U' => {
                let want = if e == 'u' { 4 } else { 8 };
                let mut hex = String::new();
                while hex.len() < want {
                    match self.peek() {
                        Some(h) if h.is_ascii_hexdigit() => {
                            hex.push(h);
                            self.bump();
                        }
                        _ => break,
                    }
                }
                let decoded = if hex.len() == want {
                    u32::from_str_radix(&hex, 16).ok()
                } else {
                    None
                };
                match decoded {
                    Some(code) => out.push(char::from_u32(code).unwrap_or('\u{fffd}')),
                    None => {
                        // Upstream keeps a malformed escape as written.
                        out.push('\\');
                        out.push(e);
                        out.push_str(&hex);
                    }
                }
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }

    /// The raw text of a `${...}` part up to its matching `}` (consumed, not included). Braces
    /// are counted and quoted strings inside are skipped, including their own interpolations,
    /// with an explicit stack so that hostile nesting cannot overflow the Rust stack.
    fn interpolation_code(&mut self) -> Option<String> {
        let mut text = String::new();
        let mut stack = vec![CodeCtx::Code { braces: 1 }];
        loop {
            let c = self.bump()?;
            let top = stack.last_mut()?;
            match top {
                CodeCtx::Code { braces } => match c {
                    '{' => *braces = braces.saturating_add(1),
                    '}' => {
                        *braces -= 1;
                        if *braces == 0 {
                            stack.pop();
                            if stack.is_empty() {
                                return Some(text);
                            }
                        }
                    }
                    '"' => stack.push(CodeCtx::Double),
                    '\'' => stack.push(CodeCtx::Single),
                    _ => {}
                },
                CodeCtx::Double | CodeCtx::Single => {
                    let closing = if matches!(top, CodeCtx::Double) {
                        '"'
                    } else {
                        '\''
                    };
                    if c == closing {
                        stack.pop();
                    } else if c == '\\' && closing == '"' {
                        text.push(c);
                        let escaped = self.bump()?;
                        text.push(escaped);
                        continue;
                    } else if c == '$' && self.peek() == Some('{') {
                        text.push(c);
                        self.bump();
                        text.push('{');
                        stack.push(CodeCtx::Code { braces: 1 });
                        continue;
                    }
                }
            }
            text.push(c);
        }
    }

    /// A byte literal; `b` is consumed and the quote is next. The literal ends at the next
    /// matching quote, escaped or not (§1.5); decoding problems become an `Err` value that the
    /// runtime raises when the literal is evaluated.
    fn byte_literal(&mut self, start: Span) -> Tok {
        let Some(quote) = self.bump() else {
            return Tok::Error;
        };
        let mut content = Vec::new();
        loop {
            match self.bump() {
                None => {
                    self.error("Unterminated byte literal", start);
                    return Tok::Error;
                }
                Some(c) if c == quote => break,
                Some(c) => content.push(c),
            }
        }
        Tok::Bytes(decode_bytes(&content))
    }
}

fn non_ascii(c: char) -> String {
    format!("Non-ASCII character '{c}' in byte literal (use string and .to_bytes() for Unicode)")
}

fn decode_bytes(content: &[char]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(content.len());
    let mut i = 0;
    while let Some(&c) = content.get(i) {
        i += 1;
        if c != '\\' {
            out.push(
                u8::try_from(c)
                    .ok()
                    .filter(u8::is_ascii)
                    .ok_or_else(|| non_ascii(c))?,
            );
            continue;
        }
        let Some(&e) = content.get(i) else {
            out.push(b'\\');
            break;
        };
        i += 1;
        match e {
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            'x' | 'X' => {
                let hex: Option<u32> = (0..2).try_fold(0u32, |acc, k| {
                    content
                        .get(i + k)
                        .and_then(|h| h.to_digit(16))
                        .map(|d| acc * 16 + d)
                });
                match hex.and_then(|v| u8::try_from(v).ok()) {
                    Some(b) => out.push(b),
                    None => return Err("Invalid \\x escape in byte literal".to_string()),
                }
                i += 2;
            }
            other => out.push(
                u8::try_from(other)
                    .ok()
                    .filter(u8::is_ascii)
                    .ok_or_else(|| non_ascii(other))?,
            ),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        let (toks, errors) = lex(src, 1, 1);
        assert!(errors.is_empty(), "{errors:?}");
        toks.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn token_classes() {
        assert_eq!(
            kinds("if x string none and ... .. . :: : @ @@"),
            vec![
                Tok::Kw(Kw::If),
                Tok::Ident("x".into()),
                Tok::Type("string"),
                Tok::Type("none"),
                Tok::Kw(Kw::And),
                Tok::Ellipsis,
                Tok::DotDot,
                Tok::Dot,
                Tok::ColonColon,
                Tok::Colon,
                Tok::At,
                Tok::AtAt,
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn tokens_record_start_and_end_lines() {
        let (toks, _) = lex("a 'x\ny\nz' b", 1, 1);
        let lines: Vec<(u32, u32, u32)> = toks
            .iter()
            .map(|t| (t.span.line, t.span.col, t.end_line))
            .collect();
        assert_eq!(lines, vec![(1, 1, 1), (1, 3, 3), (3, 4, 3), (3, 5, 3)]);
    }

    #[test]
    fn sub_lexer_positions_start_where_told() {
        let (toks, _) = lex("a\n b", 7, 20);
        let spans: Vec<(u32, u32)> = toks.iter().map(|t| (t.span.line, t.span.col)).collect();
        assert_eq!(spans[..2], [(7, 20), (8, 2)]);
    }

    #[test]
    fn interpolation_code_parts_keep_raw_text_and_position() {
        let (toks, _) = lex("\"ab ${x[\"k\"]} ${ {1: 2} }\"", 1, 1);
        let Tok::Str(parts) = &toks[0].kind else {
            panic!("not a string")
        };
        assert_eq!(
            parts,
            &vec![
                StrPart::Lit("ab ".into()),
                StrPart::Code {
                    text: "x[\"k\"]".into(),
                    line: 1,
                    col: 7
                },
                StrPart::Lit(" ".into()),
                StrPart::Code {
                    text: " {1: 2} ".into(),
                    line: 1,
                    col: 17
                },
            ]
        );
    }

    #[test]
    fn operator_runs() {
        assert_eq!(kinds(">>>=")[0], Tok::Op(Op::UShrEq));
        assert_eq!(kinds("??")[0], Tok::Op(Op::Coalesce));
        assert_eq!(
            kinds("??=")[..2],
            [Tok::Op(Op::Coalesce), Tok::Op(Op::Assign)]
        );
        assert_eq!(kinds("=<")[0], Tok::Op(Op::Unpack));
        assert_eq!(kinds("//=")[0], Tok::Op(Op::SlashSlashEq));
        let (toks, errors) = lex("a =- b", 1, 1);
        assert_eq!(toks[1].kind, Tok::Error);
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn numbers() {
        assert_eq!(kinds("1..5")[..3], [Tok::Int(1), Tok::DotDot, Tok::Int(5)]);
        assert_eq!(kinds("7.")[0], Tok::Float(7.0));
        assert_eq!(kinds("0xFFFFFFFF")[0], Tok::Int(-1));
        assert_eq!(kinds("1e5")[0], Tok::Float(100000.0));
    }

    #[test]
    fn byte_decoding() {
        assert_eq!(decode_bytes(&['a', '\\', 'n']), Ok(vec![b'a', b'\n']));
        assert_eq!(decode_bytes(&['\\', 'x', '4', '1']), Ok(vec![0x41]));
        assert_eq!(decode_bytes(&['\\']), Ok(vec![b'\\']));
        assert!(decode_bytes(&['\\', 'x', '4']).is_err());
        assert!(decode_bytes(&['é']).is_err());
    }
}

//! Tokens to AST: a recursive-descent parser with statement-level error recovery.
//!
//! Errors are recorded in a shared list and a [`Bail`] unwinds to the nearest block loop, which
//! skips to a plausible statement start and carries on, so one run reports every error it can.
//! Every recursive path goes through [`Parser::nested`], which bounds the nesting depth so that
//! hostile input cannot overflow the Rust stack (the parser must never crash).

mod expr;
mod stmt;

use crate::ast::{Block, Program};
use crate::diag::SyntaxError;
use crate::lexer;
use crate::span::Span;
use crate::token::{Kw, Op, Tok, Token};

/// Maximum nesting of expressions and blocks (including chained operators, which build equally
/// deep trees). Chosen so that parsing, and the compiler's own recursion over the tree, stay well
/// inside a 2 MiB thread stack in debug builds.
pub(crate) const MAX_DEPTH: u32 = 128;

/// Beyond this many errors the rest of the file is skipped: the output would only be noise.
const MAX_ERRORS: usize = 100;

/// Marker that an error was recorded and the current statement should be abandoned.
#[derive(Debug)]
pub(crate) struct Bail;

pub(crate) type PResult<T> = Result<T, Bail>;

pub(crate) struct Parser<'e> {
    toks: Vec<Token>,
    pos: usize,
    errors: &'e mut Vec<SyntaxError>,
    depth: u32,
    /// Number of enclosing statement blocks (0 at top level).
    block_depth: u32,
    /// End line of the last consumed token, for the line rules of §1.7.
    prev_end_line: u32,
    /// Set once parsing must stop (too deep, too many errors).
    aborted: bool,
    /// Set between a failed statement and the next successful one: a stray `else`/`end` seen
    /// then is almost always debris of the failed construct, not worth a second report.
    pub(crate) recovering: bool,
    /// Position of the first token of the statement being parsed (`usize::MAX` in a
    /// sub-parser), so errors there say "Unexpected token" rather than "Expected ...".
    pub(crate) stmt_start: usize,
    /// How the end of input is described: the end of the file, or of a `${...}`.
    pub(crate) eof_name: &'static str,
    /// The struct whose body is being parsed (what `super` starts from).
    pub(crate) current_struct: Option<String>,
}

/// Parses a whole source file.
pub(crate) fn parse_program(source: &str) -> Result<Program, Vec<SyntaxError>> {
    let (toks, mut errors) = lexer::lex(source, 1, 1);
    let body = {
        let mut parser = Parser::new(toks, &mut errors, 0);
        parser.parse_top_level()
    };
    if errors.is_empty() {
        Ok(Program { body })
    } else {
        // Lexer errors are all found before parser errors; report in source order instead.
        // The lexer reports every bad token, so cap the total like the parser caps its own.
        errors.sort_by_key(|e| e.span);
        if errors.len() > MAX_ERRORS + 1 {
            let span = errors[MAX_ERRORS].span;
            errors.truncate(MAX_ERRORS);
            errors.push(SyntaxError::new(
                "Too many syntax errors; the rest of the file was not checked",
                span,
            ));
        }
        Err(errors)
    }
}

impl<'e> Parser<'e> {
    pub(crate) fn new(mut toks: Vec<Token>, errors: &'e mut Vec<SyntaxError>, depth: u32) -> Self {
        if !matches!(toks.last().map(|t| &t.kind), Some(Tok::Eof)) {
            let span = toks.last().map(|t| t.span).unwrap_or(Span::new(1, 1));
            toks.push(Token {
                kind: Tok::Eof,
                span,
                end_line: span.line,
            });
        }
        let prev_end_line = toks.first().map(|t| t.span.line).unwrap_or(1);
        Parser {
            toks,
            pos: 0,
            errors,
            depth,
            block_depth: 0,
            prev_end_line,
            aborted: false,
            recovering: false,
            stmt_start: usize::MAX,
            eof_name: "end of file",
            current_struct: None,
        }
    }

    fn parse_top_level(&mut self) -> Block {
        self.parse_block(&[], false)
    }

    // ----- token access -------------------------------------------------------------------

    pub(crate) fn peek(&self) -> &Token {
        let last = self.toks.len().saturating_sub(1);
        &self.toks[self.pos.min(last)]
    }

    pub(crate) fn peek_at(&self, n: usize) -> &Token {
        let last = self.toks.len().saturating_sub(1);
        &self.toks[self.pos.saturating_add(n).min(last)]
    }

    pub(crate) fn kind(&self) -> &Tok {
        &self.peek().kind
    }

    pub(crate) fn bump(&mut self) -> Token {
        let tok = self.peek().clone();
        if !matches!(tok.kind, Tok::Eof) {
            self.pos += 1;
            self.prev_end_line = tok.end_line;
        }
        tok
    }

    /// Consumes a token whose position is all that is needed.
    pub(crate) fn bump_span(&mut self) -> Span {
        let tok = self.peek();
        let span = tok.span;
        if !matches!(tok.kind, Tok::Eof) {
            self.prev_end_line = tok.end_line;
            self.pos += 1;
        }
        span
    }

    pub(crate) fn check(&self, kind: &Tok) -> bool {
        self.kind() == kind
    }

    pub(crate) fn check_kw(&self, kw: Kw) -> bool {
        matches!(self.kind(), Tok::Kw(k) if *k == kw)
    }

    pub(crate) fn check_op(&self, op: Op) -> bool {
        matches!(self.kind(), Tok::Op(o) if *o == op)
    }

    pub(crate) fn at_eof(&self) -> bool {
        matches!(self.kind(), Tok::Eof)
    }

    /// Is the next token on the line where the previous token ended?
    pub(crate) fn on_same_line(&self) -> bool {
        self.peek().span.line == self.prev_end_line
    }

    // ----- errors ---------------------------------------------------------------------------

    pub(crate) fn error(&mut self, message: impl Into<String>, span: Span) -> Bail {
        if self.aborted {
            return Bail;
        }
        if self.errors.len() >= MAX_ERRORS {
            self.errors.push(SyntaxError::new(
                "Too many syntax errors; the rest of the file was not checked",
                span,
            ));
            self.aborted = true;
            return Bail;
        }
        self.errors.push(SyntaxError::new(message, span));
        Bail
    }

    /// An error at the current token, unless the lexer already reported that token.
    pub(crate) fn error_here(&mut self, message: impl Into<String>) -> Bail {
        if matches!(self.kind(), Tok::Error) {
            return Bail;
        }
        let span = self.peek().span;
        self.error(message, span)
    }

    /// "Expected X, found Y" at the current token.
    #[cold]
    #[inline(never)]
    /// Consumes the name of a new function or parameter (`what`); type names are refused.
    pub(crate) fn binding_name(&mut self, what: &str) -> PResult<String> {
        match self.kind().clone() {
            Tok::Ident(name) => {
                self.bump_span();
                Ok(name)
            }
            Tok::Type(name) => Err(self.error_here(format!(
                "The type name '{name}' cannot be used as a {what} name"
            ))),
            _ => Err(self.unexpected(&format!("a {what} name"))),
        }
    }

    pub(crate) fn unexpected(&mut self, wanted: &str) -> Bail {
        let found = self.kind().describe();
        if matches!(self.kind(), Tok::Eof) {
            let eof = self.eof_name;
            self.error_here(format!("Unexpected {eof}: expected {wanted}"))
        } else {
            self.error_here(format!("Expected {wanted}, found {found}"))
        }
    }

    pub(crate) fn expect(&mut self, kind: &Tok, wanted: &str) -> PResult<Token> {
        if self.check(kind) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(wanted))
        }
    }

    pub(crate) fn expect_kw(&mut self, kw: Kw, wanted: &str) -> PResult<Token> {
        if self.check_kw(kw) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(wanted))
        }
    }

    /// Consumes `kind` (when the token itself is not needed) or reports what was wanted.
    pub(crate) fn eat(&mut self, kind: &Tok, wanted: &str) -> PResult<()> {
        if self.check(kind) {
            self.bump_span();
            Ok(())
        } else {
            Err(self.unexpected(wanted))
        }
    }

    /// "Expected X to close Y opened at line N, found Z". Out of line: formatting is bulky and
    /// the callers sit on recursive paths.
    #[cold]
    #[inline(never)]
    pub(crate) fn unclosed(&mut self, wanted: &str, what: &str, line: u32) -> Bail {
        self.unexpected(&format!("{wanted} to close {what} opened at line {line}"))
    }

    /// Consumes the `end` that closes the construct opened by `opener`.
    pub(crate) fn expect_end(&mut self, opener: &Token) -> PResult<()> {
        if self.check_kw(Kw::End) {
            self.bump_span();
            return Ok(());
        }
        Err(self.missing_end(opener))
    }

    #[cold]
    #[inline(never)]
    fn missing_end(&mut self, opener: &Token) -> Bail {
        let what = match &opener.kind {
            Tok::Kw(kw) => kw.as_str().to_string(),
            other => other.describe(),
        };
        let line = opener.span.line;
        let found = self.kind().describe();
        if self.at_eof() {
            self.error_here(format!(
                "Expected 'end' to close '{what}' started at line {line}"
            ))
        } else {
            self.error_here(format!(
                "Expected 'end' to close '{what}' started at line {line}, found {found}"
            ))
        }
    }

    /// Runs `f` one nesting level deeper, failing cleanly instead of overflowing the stack.
    pub(crate) fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        self.enter()?;
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// Adds one nesting level (pair with `self.depth -= 1`).
    pub(crate) fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_DEPTH {
            let bail = self.error_here("Expression or block nested too deeply");
            self.aborted = true;
            return Err(bail);
        }
        self.depth += 1;
        Ok(())
    }

    // ----- blocks and recovery -------------------------------------------------------------

    /// Parses statements until one of `terms` (left unconsumed) or the end of the file.
    /// In a `case` body the trailing `when` guard is unavailable.
    pub(crate) fn parse_block(&mut self, terms: &[Kw], case_body: bool) -> Block {
        let mut body = Block::new();
        loop {
            if self.aborted {
                break;
            }
            match self.kind() {
                Tok::Eof => break,
                Tok::Kw(kw) if terms.contains(kw) => break,
                Tok::Comma => {
                    self.bump_span();
                    continue;
                }
                Tok::Kw(kw) if self.is_debris(*kw) => {
                    self.bump_span();
                    continue;
                }
                _ => {}
            }
            let start = self.pos;
            match self.parse_statement(case_body) {
                Ok(stmt) => {
                    self.recovering = false;
                    body.push(stmt);
                }
                Err(Bail) => {
                    self.recovering = true;
                    self.synchronize();
                    if self.pos == start {
                        self.bump_span();
                    }
                }
            }
        }
        body
    }

    /// A block keyword that cannot belong here and most likely closed a construct whose header
    /// failed to parse: one report for that construct is enough.
    fn is_debris(&self, kw: Kw) -> bool {
        let block_kw = matches!(
            kw,
            Kw::End | Kw::Else | Kw::Elsif | Kw::Catch | Kw::Finally | Kw::When
        );
        block_kw
            && (self.recovering
                || (kw == Kw::End && self.block_depth == 0 && !self.errors.is_empty()))
    }

    /// Parses a nested block (one level deeper for the depth limit).
    pub(crate) fn parse_nested_block(&mut self, terms: &[Kw], case_body: bool) -> PResult<Block> {
        self.enter()?;
        self.block_depth += 1;
        let block = self.parse_block(terms, case_body);
        self.block_depth -= 1;
        self.depth -= 1;
        if self.aborted {
            return Err(Bail);
        }
        Ok(block)
    }

    /// After an error, skips to a token that plausibly starts the next statement: a block
    /// keyword (`end`, `else`, ...) or a statement-starting token on a later line.
    fn synchronize(&mut self) {
        // The line of the last token that was accepted: a statement starter on a later line
        // (often the very token that was unexpected, as in `x = 3 +⏎println "ok"`) resumes.
        let error_line = self.prev_end_line;
        loop {
            let tok = self.peek();
            match &tok.kind {
                Tok::Eof => return,
                Tok::Kw(Kw::End | Kw::Else | Kw::Elsif | Kw::Catch | Kw::Finally | Kw::When) => {
                    return
                }
                kind if tok.span.line > error_line && starts_statement(kind) => return,
                _ => {}
            }
            self.bump_span();
        }
    }
}

/// Tokens after which recovery resumes parsing (identifiers and statement keywords).
fn starts_statement(kind: &Tok) -> bool {
    match kind {
        Tok::Ident(_) | Tok::Ellipsis => true,
        Tok::Kw(kw) => matches!(
            kw,
            Kw::If
                | Kw::While
                | Kw::For
                | Kw::Repeat
                | Kw::Try
                | Kw::Fn
                | Kw::Def
                | Kw::Return
                | Kw::Throw
                | Kw::Exit
                | Kw::Break
                | Kw::Next
                | Kw::Print
                | Kw::Println
                | Kw::Eprint
                | Kw::Eprintln
                | Kw::Package
                | Kw::Import
                | Kw::Include
                | Kw::Export
                | Kw::Require
                | Kw::Const
                | Kw::Var
                | Kw::Case
        ),
        _ => false,
    }
}

/// Can this token start the value of `return`, `throw`, `exit` or a print statement (§1.7)?
pub(crate) fn can_begin_value(kind: &Tok) -> bool {
    match kind {
        Tok::Ident(_)
        | Tok::Int(_)
        | Tok::Float(_)
        | Tok::Str(_)
        | Tok::Bytes(_)
        | Tok::Type(_)
        | Tok::LParen
        | Tok::LBracket
        | Tok::LBrace
        | Tok::At
        | Tok::AtAt => true,
        Tok::Op(op) => matches!(op, Op::Minus | Op::Bang | Op::Tilde),
        Tok::Kw(kw) => matches!(
            kw,
            Kw::Null
                | Kw::True
                | Kw::False
                | Kw::Not
                | Kw::With
                | Kw::Do
                | Kw::Case
                | Kw::Import
                | Kw::Include
                | Kw::Emit
                | Kw::Super
        ),
        _ => false,
    }
}

//! Syntax errors reported by the lexer and parser.

use std::fmt;

use crate::span::Span;

/// One syntax error: a message and the position it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Human-readable description (no type prefix; the caller prints `[SyntaxError]: `).
    pub message: String,
    /// Where the offending token starts.
    pub span: Span,
}

impl SyntaxError {
    /// A syntax error at `span`.
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        SyntaxError {
            message: message.into(),
            span,
        }
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}:{}",
            self.message, self.span.line, self.span.col
        )
    }
}

impl std::error::Error for SyntaxError {}

//! Kiwi source text to tokens to an abstract syntax tree.
//!
//! The entry point is [`parse`], which reports *every* syntax error it can find (the parser
//! recovers at statement boundaries) so that the CLI can print them all before anything runs.
//! [`sexpr`] renders trees compactly for tests and debugging.
//!
//! # Decisions where `kiwi-subset.md` leaves room
//!
//! * An unterminated `/#` block comment runs to the end of the file without an error (§1.1 is
//!   upstream behaviour with no REC, and the conformance corpus expects it). Unterminated
//!   strings and byte literals are errors.
//! * `&&=`, `||=` and `~=` are syntax errors (out of subset), not silent plain assignments.
//! * A bare identifier hashmap key is a string key (`{host: 1}` is `{"host": 1}`), as upstream
//!   and as §6.2 writes `{error: "NetErr", message: "down"}`. Any other key is an expression.
//! * The `else` of a trailing guard binds only on the line where the guard condition ends;
//!   an `else` on a new line belongs to the enclosing `if`.
//! * `do (x) => stmt` takes its optional `end` only on the same line, so the `end` of an
//!   enclosing block is never swallowed. `do` without `(params)` is an error (use `with do`).
//! * `catch` names (or their parenthesis) must be on the `catch` line.
//! * `\${` gives a literal `${` in single-quoted strings too (interpolation is uniform).
//! * `x[n::2]` is a slice with an omitted stop (`::` lexes as one token); `a::b` followed by a
//!   name is a path. `require a::b` is the string `"a::b"`.
//! * `1e5`, `1.5e3`, `1.5e-3`, `2e+2` are floats; `e` joins a number only when digits follow.
//! * Nesting (expressions, blocks and chained operators, which build equally deep trees) is
//!   limited to 128 levels so parsing, and recursion over the tree, fit a 2 MiB debug stack.
//!   After 100 errors the rest of the file is skipped.

#![warn(missing_docs)]

pub mod ast;
pub mod diag;
pub mod sexpr;
pub mod span;

mod lexer;
mod parser;
mod token;

pub use diag::SyntaxError;
pub use span::Span;

/// Parses a whole Kiwi source file.
///
/// Returns the program, or every syntax error found (in source order). Never panics and never
/// overflows the stack, whatever the input: nesting beyond a fixed depth is itself a syntax
/// error ("Expression or block nested too deeply").
pub fn parse(source: &str) -> Result<ast::Program, Vec<SyntaxError>> {
    parser::parse_program(source)
}

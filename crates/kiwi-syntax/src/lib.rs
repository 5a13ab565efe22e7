//! Kiwi source text to tokens to an abstract syntax tree.
//!
//! The entry point is [`parse`], which reports *every* syntax error it can find (the parser
//! recovers at statement boundaries) so that the CLI can print them all before anything runs.

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

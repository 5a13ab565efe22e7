//! Source positions for diagnostics.

/// A 1-based line and column (columns count Unicode scalar values) of a token's first character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column number.
    pub col: u32,
}

impl Span {
    /// A span at `line`, `col` (both 1-based).
    pub fn new(line: u32, col: u32) -> Self {
        Span { line, col }
    }
}

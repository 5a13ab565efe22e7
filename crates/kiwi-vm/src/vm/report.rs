//! Rendering uncaught errors and syntax errors in the §6.4 format.

use kiwi_syntax::Span;

use super::Source;
use crate::error::KiwiError;

/// An error to report to the user, with the source position it refers to.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The error type and message.
    pub error: KiwiError,
    /// `(file index, span)` when known.
    pub at: Option<(u32, Span)>,
}

impl Diagnostic {
    /// A diagnostic for `error` at `at`.
    pub fn new(error: KiwiError, at: Option<(u32, Span)>) -> Self {
        Diagnostic { error, at }
    }

    /// `[Type]: message`, then `File: path:line:col`, the source line, a caret and a blank line.
    pub fn render(&self, sources: &[Source]) -> String {
        let mut s = format!("[{}]: {}\n", self.error.error, self.error.message);
        if let Some((file, span)) = self.at {
            if let Some(src) = sources.get(file as usize) {
                s.push_str(&format!(
                    "File: {}:{}:{}\n",
                    src.path.display(),
                    span.line,
                    span.col
                ));
                if let Some(line) = src.text.lines().nth(span.line.saturating_sub(1) as usize) {
                    let line = line.trim_end_matches('\r');
                    s.push_str(line);
                    s.push('\n');
                    let pad: String = line
                        .chars()
                        .take(span.col.saturating_sub(1) as usize)
                        .map(|c| if c == '\t' { '\t' } else { ' ' })
                        .collect();
                    s.push_str(&pad);
                    s.push_str("^\n");
                }
            }
        }
        s.push('\n');
        s
    }
}

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
                    let (shown, caret) = excerpt(
                        line.trim_end_matches('\r'),
                        span.col.saturating_sub(1) as usize,
                    );
                    s.push_str(&shown);
                    s.push('\n');
                    let pad: String = shown
                        .chars()
                        .take(caret)
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

/// At most this many characters of a source line are shown around the caret.
const EXCERPT_WIDTH: usize = 120;

/// The part of `line` to show and the caret's column in it: long lines (minified or generated
/// code) are cut to a window around column `col` (0-based), marked with `...`.
fn excerpt(line: &str, col: usize) -> (String, usize) {
    let len = line.chars().count();
    if len <= EXCERPT_WIDTH {
        return (line.to_string(), col);
    }
    let start = col
        .saturating_sub(EXCERPT_WIDTH / 2)
        .min(len.saturating_sub(EXCERPT_WIDTH));
    let mut shown = String::new();
    let mut caret = col - start;
    if start > 0 {
        shown.push_str("...");
        caret += 3;
    }
    shown.extend(line.chars().skip(start).take(EXCERPT_WIDTH));
    if start + EXCERPT_WIDTH < len {
        shown.push_str("...");
    }
    (shown, caret)
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn short_lines_are_shown_whole() {
        assert_eq!(excerpt("x = 1 / 0", 6), ("x = 1 / 0".to_string(), 6));
    }

    #[test]
    fn long_lines_are_windowed_around_the_caret() {
        let line = format!("{}X{}", "a".repeat(1000), "b".repeat(1000));
        let (shown, caret) = excerpt(&line, 1000);
        assert!(shown.starts_with("...") && shown.ends_with("..."));
        assert_eq!(shown.chars().nth(caret), Some('X'));
        let (shown, caret) = excerpt(&line, 0);
        assert!(!shown.starts_with("...") && shown.ends_with("..."));
        assert_eq!(caret, 0);
    }
}

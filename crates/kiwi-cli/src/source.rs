//! Reading script files, with one-line errors for missing files and invalid UTF-8.

use std::path::Path;

use kiwi_syntax::SyntaxError;
use kiwi_vm::{Diagnostic, ErrorType, Interp, KiwiError};

/// The text of `path`, or a one-line error message.
pub fn read(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "[SystemError]: Cannot read '{}': {}",
            path.display(),
            io_reason(&e)
        )
    })?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "[SyntaxError]: '{}' is not valid UTF-8 (invalid byte at offset {}).",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => {
            let s = e.to_string();
            // Drop the " (os error N)" suffix: users want the reason.
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    }
}

/// Prints a one-line error and returns exit code 1.
pub fn fail(msg: &str) -> i32 {
    eprintln!("{msg}");
    1
}

/// Diagnostics for syntax errors found by `--check`, positioned in `path`.
pub fn syntax_diagnostics(
    interp: &mut Interp,
    path: &Path,
    text: &str,
    errs: Vec<SyntaxError>,
) -> Vec<Diagnostic> {
    let file = interp.add_source(path, text);
    errs.into_iter()
        .map(|e| {
            Diagnostic::new(
                KiwiError::new(ErrorType::SyntaxError, e.message),
                Some((file, e.span)),
            )
        })
        .collect()
}

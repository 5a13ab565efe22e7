//! The interactive read-eval-print loop: line editing and history (rustyline); a statement
//! that is not finished yet (an open block or string) continues on the next line.

use std::path::{Path, PathBuf};

use kiwi_runtime::Runtime;
use kiwi_vm::stdlib::HostEnv;
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kiwi_history"))
}

/// Whether `text` fails to parse only because it ends too early (an open block, string or
/// expression): then the REPL reads another line instead of reporting the error.
fn incomplete(text: &str) -> bool {
    let eof_line = text.lines().count() as u32 + u32::from(text.ends_with('\n'));
    match kiwi_syntax::parse(text) {
        Ok(_) => false,
        Err(errs) => errs
            .iter()
            .any(|e| e.span.line >= eof_line || e.message.starts_with("Unterminated")),
    }
}

/// Runs the REPL (with `stdlib` as the standard-library search path) until end of input or
/// `exit`; returns the exit code.
pub fn run(stdlib: &[std::path::PathBuf]) -> i32 {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("[SystemError]: cannot open the line editor: {e}");
            return 1;
        }
    };
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("kiwi {} — Ctrl-D to quit", env!("CARGO_PKG_VERSION"));
    let host = HostEnv {
        args: Vec::new(),
        script_path: "<repl>".into(),
    };
    let mut rt = Runtime::new(
        host,
        Box::new(std::io::stdout()),
        Box::new(std::io::stderr()),
    );
    rt.interp().set_stdlib_paths(stdlib.to_vec());
    let mut buffer = String::new();
    let code = loop {
        let prompt = if buffer.is_empty() {
            "kiwi> "
        } else {
            "  ... "
        };
        match editor.readline(prompt) {
            Ok(line) => {
                buffer.push_str(&line);
                buffer.push('\n');
                if incomplete(&buffer) {
                    continue;
                }
                let _ = editor.add_history_entry(buffer.trim_end());
                let text = std::mem::take(&mut buffer);
                if let Some(code) = rt.eval_repl(Path::new("<repl>"), &text) {
                    break code;
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break 0,
            Err(e) => {
                eprintln!("[SystemError]: {e}");
                break 1;
            }
        }
    };
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    // An `exit` entry ended the session already; ending it again reports nothing new.
    rt.end_session();
    code
}

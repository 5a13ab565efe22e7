//! The `console` package: ANSI colours, clearing, the cursor and the title, written only when
//! stdout is a terminal so that redirected output (and output tests) stay clean; the
//! terminal's size.

use std::io::{IsTerminal, Write};

use kiwi_vm::error::KResult;
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::{Key, Map, Value};

/// The `console` package.
pub const PACKAGE: Package = Package {
    name: "console",
    functions: &[
        NativeFn::pure("fg", Arity::between(0, 1), |a| colour("console::fg", a, 30)),
        NativeFn::pure("bg", Arity::between(0, 1), |a| colour("console::bg", a, 40)),
        NativeFn::pure("reset", Arity::exactly(0), |_| {
            emit("\x1b[0m");
            Ok(Value::Null)
        }),
        NativeFn::pure("clear", Arity::exactly(0), |_| {
            emit("\x1b[2J\x1b[H");
            Ok(Value::Null)
        }),
        NativeFn::pure("cursor_visible", Arity::exactly(1), |a| {
            emit(if a[0].truthy() {
                "\x1b[?25h"
            } else {
                "\x1b[?25l"
            });
            Ok(Value::Null)
        }),
        NativeFn::pure("title", Arity::exactly(1), |a| {
            let title = check::str_arg("console::title", a, 0)?;
            // Control characters would end the escape sequence early.
            let title: String = title.chars().filter(|c| !c.is_control()).collect();
            emit(&format!("\x1b]0;{title}\x07"));
            Ok(Value::Null)
        }),
        NativeFn::pure("_is_terminal", Arity::exactly(0), |_| {
            Ok(Value::Bool(std::io::stdin().is_terminal()))
        }),
        NativeFn::cx("_read_key", Arity::exactly(1), |cx, a| {
            let echo = !a[0].truthy();
            cx.run_blocking(Box::new(move || keys::read_key(echo)))
        }),
        NativeFn::cx("_read_secret", Arity::exactly(1), |cx, a| {
            let mask = match &a[0] {
                Value::Str(s) => s.chars().next(),
                _ => None,
            };
            cx.run_blocking(Box::new(move || keys::read_secret(mask)))
        }),
        NativeFn::pure("size", Arity::exactly(0), |_| {
            let (width, height) = size();
            let mut map = Map::new();
            map.insert(Key::from("width"), Value::Int(width));
            map.insert(Key::from("height"), Value::Int(height));
            Ok(Value::map(map))
        }),
    ],
};

/// The Kiwi part: `write`, `writeln`, `read` and their aliases (through the script's own
/// output and input, so they interleave with `print` and `input`).
pub const SOURCE: &str = include_str!("kiwi/console.kiwi");

/// Raw terminal input for `read_key` and `read_secret` (run on the blocking pool: a key can
/// take forever to come).
mod keys {
    use std::io::Write;

    use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
    use crossterm::terminal;
    use kiwi_vm::net::Plain;

    use crate::JobError as Failure;

    fn failed(e: std::io::Error) -> Failure {
        ("IOError", format!("cannot read the terminal: {e}"))
    }

    /// Raw mode for as long as it lives (also when reading fails).
    struct Raw;

    impl Raw {
        fn on() -> Result<Raw, Failure> {
            terminal::enable_raw_mode().map_err(failed)?;
            Ok(Raw)
        }
    }

    impl Drop for Raw {
        fn drop(&mut self) {
            let _ = terminal::disable_raw_mode();
        }
    }

    /// The next key press.
    fn next_key() -> Result<event::KeyEvent, Failure> {
        loop {
            if let Event::Key(key) = event::read().map_err(failed)? {
                if key.kind != KeyEventKind::Release {
                    return Ok(key);
                }
            }
        }
    }

    /// .NET's `ConsoleKey` name of a key.
    fn key_name(code: KeyCode) -> String {
        match code {
            KeyCode::Char(' ') => "Spacebar".into(),
            KeyCode::Char(c) if c.is_ascii_digit() => format!("D{c}"),
            KeyCode::Char(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Escape".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Tab | KeyCode::BackTab => "Tab".into(),
            KeyCode::Left => "LeftArrow".into(),
            KeyCode::Right => "RightArrow".into(),
            KeyCode::Up => "UpArrow".into(),
            KeyCode::Down => "DownArrow".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PageUp".into(),
            KeyCode::PageDown => "PageDown".into(),
            KeyCode::Delete => "Delete".into(),
            KeyCode::Insert => "Insert".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        }
    }

    /// `{key, char, modifiers, is_shift, is_control, is_alt, is_printable}` of the next key;
    /// a printable one is echoed when `echo`.
    pub(super) fn read_key(echo: bool) -> Result<Plain, Failure> {
        let key = {
            let _raw = Raw::on()?;
            next_key()?
        };
        let ch = match key.code {
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "\r".into(),
            KeyCode::Tab => "\t".into(),
            _ => String::new(),
        };
        let printable = matches!(key.code, KeyCode::Char(c) if !c.is_control());
        if echo && printable {
            let mut out = std::io::stdout();
            let _ = out.write_all(ch.as_bytes()).and_then(|()| out.flush());
        }
        let m = key.modifiers;
        let mut modifiers = Vec::new();
        for (flag, name) in [
            (KeyModifiers::SHIFT, "Shift"),
            (KeyModifiers::CONTROL, "Control"),
            (KeyModifiers::ALT, "Alt"),
        ] {
            if m.contains(flag) {
                modifiers.push(Plain::Str(name.into()));
            }
        }
        Ok(Plain::Map(vec![
            ("key".into(), Plain::Str(key_name(key.code))),
            ("char".into(), Plain::Str(ch)),
            ("modifiers".into(), Plain::List(modifiers)),
            (
                "is_shift".into(),
                Plain::Bool(m.contains(KeyModifiers::SHIFT)),
            ),
            (
                "is_control".into(),
                Plain::Bool(m.contains(KeyModifiers::CONTROL)),
            ),
            ("is_alt".into(), Plain::Bool(m.contains(KeyModifiers::ALT))),
            ("is_printable".into(), Plain::Bool(printable)),
        ]))
    }

    /// A line typed without echo (each character shown as `mask`, if any); Backspace
    /// deletes, Enter ends, Ctrl-C is an error.
    pub(super) fn read_secret(mask: Option<char>) -> Result<Plain, Failure> {
        let mut out = std::io::stdout();
        let mut text = String::new();
        {
            let _raw = Raw::on()?;
            loop {
                let key = next_key()?;
                match key.code {
                    KeyCode::Enter => break,
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Err((
                            "InterruptError",
                            "console::read_secret: interrupted (Ctrl-C)".into(),
                        ))
                    }
                    KeyCode::Backspace => {
                        let removed = text.pop().is_some();
                        if removed && mask.is_some() {
                            let _ = out.write_all(b"\x08 \x08");
                        }
                    }
                    KeyCode::Char(c) => {
                        text.push(c);
                        if let Some(m) = mask {
                            let _ = write!(out, "{m}");
                        }
                    }
                    _ => {}
                }
                let _ = out.flush();
            }
        }
        let _ = out.write_all(b"\r\n").and_then(|()| out.flush());
        Ok(Plain::Str(text))
    }
}

/// The terminal's columns and rows; without a terminal, `COLUMNS` and `LINES` or 80 × 24
/// (as Python's `shutil.get_terminal_size`).
fn size() -> (i64, i64) {
    if let Some((terminal_size::Width(w), terminal_size::Height(h))) =
        terminal_size::terminal_size()
    {
        return (i64::from(w), i64::from(h));
    }
    let env = |name: &str, default: i64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(default)
    };
    (env("COLUMNS", 80), env("LINES", 24))
}

/// The ANSI offset (0..=7 normal, 60..=67 bright) of a .NET `ConsoleColor` name.
fn code(name: &str) -> u8 {
    match name.to_ascii_lowercase().as_str() {
        "dark_red" => 1,
        "dark_green" => 2,
        "dark_yellow" => 3,
        "dark_blue" => 4,
        "dark_magenta" => 5,
        "dark_cyan" => 6,
        "gray" => 7,
        "dark_gray" => 60,
        "red" => 61,
        "green" => 62,
        "yellow" => 63,
        "blue" => 64,
        "magenta" => 65,
        "cyan" => 66,
        "white" => 67,
        // "black" and every unknown name.
        _ => 0,
    }
}

/// The escape sequence `console::fg`/`bg` writes for `name`.
fn sequence(base: u8, name: &str) -> String {
    format!("\x1b[{}m", u16::from(base) + u16::from(code(name)))
}

fn colour(fname: &str, args: &[Value], base: u8) -> KResult<Value> {
    let name = match args.first() {
        None | Some(Value::Null) => "black",
        Some(_) => check::str_arg(fname, args, 0)?,
    };
    emit(&sequence(base, name));
    Ok(Value::Null)
}

fn emit(seq: &str) {
    let out = std::io::stdout();
    if out.is_terminal() {
        let mut lock = out.lock();
        // A failed colour change is not worth failing the script for.
        let _ = lock.write_all(seq.as_bytes()).and_then(|()| lock.flush());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> Option<KResult<Value>> {
        crate::call_plain(&PACKAGE, name, args, &Default::default())
    }

    #[test]
    fn colour_codes() {
        assert_eq!(sequence(30, "RED"), "\x1b[91m");
        assert_eq!(sequence(30, "dark_red"), "\x1b[31m");
        assert_eq!(sequence(40, "white"), "\x1b[107m");
        assert_eq!(sequence(30, "no such colour"), "\x1b[30m");
        assert_eq!(sequence(30, "Gray"), "\x1b[37m");
    }

    #[test]
    fn calls_return_null() {
        assert!(matches!(
            call("fg", &[Value::str("red")]),
            Some(Ok(Value::Null))
        ));
        assert!(matches!(call("reset", &[]), Some(Ok(Value::Null))));
        assert!(call("fg", &[Value::Int(1)]).unwrap().is_err());
        assert!(call("blink", &[]).is_none());
    }
}

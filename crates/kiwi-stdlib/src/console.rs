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

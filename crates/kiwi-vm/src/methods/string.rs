//! String methods. Lengths and positions count Unicode scalar values (§0 REC), and no method
//! mutates: `clear()` just returns `""`.

use crate::text::Text;
use std::rc::Rc;

use crate::error::KResult;
use crate::format;
use crate::ops;
use crate::value::Value;

use super::check::{self, arity, arity_range, index_error, invalid, value_error};
use super::{any, convert, pattern};

/// Dispatches a string method; `None` if strings have no method `name`.
pub fn call(s: &Rc<Text>, recv: &Value, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    Some(match name {
        "size" | "length" => arity(name, args, 0).map(|()| int(char_len(s))),
        "split" => split(s, args),
        "trim" => trim(s, recv, args, "trim", str::trim),
        "to_string" if args.is_empty() => Ok(recv.clone()),
        "contains" => arity("contains", args, 1)
            .and_then(|()| check::str_arg("contains", args, 0))
            .map(|sub| Value::Bool(s.contains(sub.as_str()))),
        "ltrim" => trim(s, recv, args, "ltrim", str::trim_start),
        "rtrim" => trim(s, recv, args, "rtrim", str::trim_end),
        "begins_with" => affix(s, args, "begins_with", |s, a| s.starts_with(a)),
        "ends_with" => affix(s, args, "ends_with", |s, a| s.ends_with(a)),
        "index" => find(s, args, "index", |s, a| s.find(a)),
        "lastindex" => find(s, args, "lastindex", |s, a| s.rfind(a)),
        "substring" => substring(s, args),
        "replace" => replace(s, args),
        "rreplace" => rreplace(s, args),
        "rsplit" => rsplit(s, args),
        "find" | "match" | "matches" | "matches_all" | "scan" | "scan_groups"
        | "named_captures" => regex_method(s, name, args),
        "regex_escape" => arity(name, args, 0).map(|()| Value::str(pattern::escape(s))),
        "lines" => arity("lines", args, 0).map(|()| strings(s.split('\n'))),
        "chomp" => chomp(s, recv, args),
        "uppercase" => arity("uppercase", args, 0).map(|()| Value::str(s.to_uppercase())),
        "lowercase" => arity("lowercase", args, 0).map(|()| Value::str(s.to_lowercase())),
        "chars" | "to_list" => arity(name, args, 0).map(|()| chars(s)),
        "reverse" => {
            arity("reverse", args, 0).map(|()| Value::str(s.chars().rev().collect::<String>()))
        }
        "count" => count(s, args),
        "ord" => ord(s, args),
        "hex_bytes" => convert::hex_bytes(s, args),
        "to_bytes" => arity("to_bytes", args, 0).map(|()| Value::bytes(s.as_bytes().to_vec())),
        "to_integer" => convert::to_integer(recv, args),
        "to_float" => convert::to_float(recv, args),
        "clear" => arity("clear", args, 0).map(|()| Value::str("")),
        "slice" => slice(s, args),
        "concat" => concat(s, args),
        "remove_at" => remove_at(s, args),
        "between" => between(s, args),
        "padstart" | "padend" => pad(s, recv, args, name),
        "to_string" => any::to_string(recv, args),
        _ => return None,
    })
}

/// `padstart(size, padding = " ")` / `padend(...)`: widened to `size` characters with
/// `padding` (one character; anything else pads with spaces, as upstream's string package
/// does); a string already that wide is returned as it is.
fn pad(s: &str, recv: &Value, args: &[Value], name: &str) -> KResult<Value> {
    arity_range(name, args, 1, 2)?;
    let size = usize::try_from(check::int_arg(name, args, 0)?).unwrap_or(0);
    let padding = match args.get(1) {
        Some(Value::Str(p)) if char_len(p) == 1 => p.as_str(),
        _ => " ",
    };
    let len = char_len(s);
    if len >= size {
        return Ok(recv.clone());
    }
    let fill = padding.repeat(size - len);
    Ok(Value::str(if name == "padstart" {
        fill + s
    } else {
        format!("{s}{fill}")
    }))
}

fn int(n: usize) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// A list of string values.
fn strings<'a>(parts: impl Iterator<Item = &'a str>) -> Value {
    Value::list(parts.map(Value::str).collect())
}

/// A list of one-character strings (ASCII ones are shared, not allocated).
fn chars(s: &str) -> Value {
    Value::list(s.chars().map(ops::char_value).collect())
}

/// `split(sep)`: literal, keeps empty parts; `""` gives `[]` and `sep == ""` the characters.
fn split(s: &str, args: &[Value]) -> KResult<Value> {
    arity("split", args, 1)?;
    if s.is_empty() {
        return Ok(Value::list(Vec::new()));
    }
    let sep = check::str_arg("split", args, 0)?;
    Ok(if sep.is_empty() {
        chars(s)
    } else {
        strings(s.split(sep.as_str()))
    })
}

fn trim(s: &str, recv: &Value, args: &[Value], name: &str, f: fn(&str) -> &str) -> KResult<Value> {
    arity(name, args, 0)?;
    let t = f(s);
    // Most strings have nothing to trim; reuse the shared text then.
    Ok(if t.len() == s.len() {
        recv.clone()
    } else {
        Value::str(t)
    })
}

fn chomp(s: &str, recv: &Value, args: &[Value]) -> KResult<Value> {
    arity("chomp", args, 0)?;
    let t = s
        .strip_suffix("\r\n")
        .or_else(|| s.strip_suffix('\n'))
        .or_else(|| s.strip_suffix('\r'));
    Ok(t.map_or_else(|| recv.clone(), Value::str))
}

fn affix(s: &str, args: &[Value], name: &str, f: fn(&str, &str) -> bool) -> KResult<Value> {
    arity(name, args, 1)?;
    let a = check::str_arg(name, args, 0)?;
    Ok(Value::Bool(f(s, a)))
}

/// `index(s)` / `lastindex(s)`: the character position, or -1.
fn find(s: &str, args: &[Value], name: &str, f: fn(&str, &str) -> Option<usize>) -> KResult<Value> {
    arity(name, args, 1)?;
    let a = check::str_arg(name, args, 0)?;
    Ok(match f(s, a) {
        Some(byte) => int(char_len(&s[..byte])),
        None => Value::Int(-1),
    })
}

/// Byte offset of character `idx` (`idx == count` gives the end), or `None` past the end.
fn byte_at(s: &str, idx: usize) -> Option<usize> {
    s.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .nth(idx)
}

/// `substring(start, len?)`: `len` is clamped to the end; a bad start is an `IndexError`.
fn substring(s: &str, args: &[Value]) -> KResult<Value> {
    arity_range("substring", args, 1, 2)?;
    let start = check::int_arg("substring", args, 0)?;
    let len = if args.len() == 2 {
        check::int_arg("substring", args, 1)?
    } else {
        i64::MAX
    };
    let out_of_range = || index_error("String index out of bounds.");
    let from = usize::try_from(start)
        .ok()
        .and_then(|i| byte_at(s, i))
        .ok_or_else(out_of_range)?;
    let len = usize::try_from(len).map_err(|_| out_of_range())?;
    let rest = &s[from..];
    let to = byte_at(rest, len).unwrap_or(rest.len());
    Ok(Value::str(&rest[..to]))
}

/// `replace(find, repl)`: every literal occurrence.
fn replace(s: &str, args: &[Value]) -> KResult<Value> {
    arity("replace", args, 2)?;
    let (Value::Str(find), Value::Str(repl)) = (&args[0], &args[1]) else {
        return Err(invalid("Expected strings."));
    };
    if find.is_empty() {
        return Err(value_error("String cannot be of zero length."));
    }
    Ok(Value::str(s.replace(find.as_str(), repl)))
}

fn string_args(args: &[Value], n: usize) -> KResult<&Rc<Text>> {
    match &args[n] {
        Value::Str(s) => Ok(s),
        other => Err(check::type_error("a string", other)),
    }
}

/// `rreplace(pattern, repl)`: regex replace-all with .NET replacement syntax.
fn rreplace(s: &str, args: &[Value]) -> KResult<Value> {
    arity("rreplace", args, 2)?;
    let pat = string_args(args, 0)?;
    let repl = string_args(args, 1)?;
    if s.is_empty() {
        return Ok(Value::str(""));
    }
    let re = pattern::compile(pat)?;
    Ok(Value::str(pattern::replace(&re, s, repl)))
}

/// The regex methods of upstream's builtins (`find(regex)`, `match`, `matches`,
/// `matches_all`, `scan`, `scan_groups`, `named_captures`).
fn regex_method(s: &str, name: &str, args: &[Value]) -> KResult<Value> {
    arity(name, args, 1)?;
    let re = pattern::compile(string_args(args, 0)?)?;
    Ok(pattern::regex_result(&re, s, name))
}

/// `rsplit(pattern, limit?)`: regex split; without a limit empty parts are dropped.
fn rsplit(s: &str, args: &[Value]) -> KResult<Value> {
    arity_range("rsplit", args, 1, 2)?;
    let pat = string_args(args, 0)?;
    let limit = match args.get(1) {
        None => -1,
        Some(Value::Int(n)) => *n,
        Some(other) => return Err(check::type_error("an integer", other)),
    };
    if pat.is_empty() {
        return Ok(chars(s));
    }
    let re = pattern::compile(pat)?;
    if limit < 0 {
        let parts = pattern::split(&re, s, 0);
        return Ok(strings(parts.into_iter().filter(|p| !p.is_empty())));
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    Ok(strings(pattern::split(&re, s, limit).into_iter()))
}

/// `count(sub)`: overlapping occurrences.
fn count(s: &str, args: &[Value]) -> KResult<Value> {
    arity("count", args, 1)?;
    let sub = check::str_arg("count", args, 0)?;
    if s.is_empty() || sub.is_empty() || char_len(sub) > char_len(s) {
        return Err(invalid(
            "Expected source string to be non-empty and longer than target string.",
        ));
    }
    let n = s
        .char_indices()
        .filter(|&(i, _)| s[i..].starts_with(sub.as_str()))
        .count();
    Ok(int(n))
}

fn ord(s: &str, args: &[Value]) -> KResult<Value> {
    arity("ord", args, 0)?;
    match s.chars().next() {
        Some(c) => Ok(Value::Int(i64::from(u32::from(c)))),
        None => Err(value_error("Expected a non-empty string.")),
    }
}

/// `slice(a, b)`: a list of the characters `a..b`.
fn slice(s: &str, args: &[Value]) -> KResult<Value> {
    let (a, b) = check::slice_bounds(args, char_len(s))?;
    let from = byte_at(s, a).unwrap_or(s.len());
    let to = byte_at(s, b).unwrap_or(s.len());
    Ok(chars(&s[from..to]))
}

/// `concat(x, …)`: appends the printed form of every argument.
fn concat(s: &str, args: &[Value]) -> KResult<Value> {
    if args.is_empty() {
        return Err(check::count_error("concat"));
    }
    let mut out = String::from(s);
    for a in args {
        match a {
            Value::Str(t) => out.push_str(t),
            other => out.push_str(&format::to_display(other)),
        }
    }
    Ok(Value::str(out))
}

/// `remove_at(i)`: a new string without character `i` (negative counts from the end).
fn remove_at(s: &str, args: &[Value]) -> KResult<Value> {
    arity("remove_at", args, 1)?;
    let i = check::int_arg("remove_at", args, 0)?;
    let at = check::from_end(i, char_len(s)).ok_or_else(|| index_error("Index out of bounds."))?;
    let from = byte_at(s, at).unwrap_or(s.len());
    let to = byte_at(s, at + 1).unwrap_or(s.len());
    Ok(Value::str(format!("{}{}", &s[..from], &s[to..])))
}

/// `between(a, b)` on strings: ordinal, inclusive, bounds in either order.
fn between(s: &str, args: &[Value]) -> KResult<Value> {
    arity("between", args, 2)?;
    let a = check::str_arg("between", args, 0)?;
    let b = check::str_arg("between", args, 1)?;
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    Ok(Value::Bool(lo.as_str() <= s && s <= hi.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str, name: &str, args: &[Value]) -> KResult<Value> {
        let v = Value::str(s);
        let Value::Str(rc) = &v else { unreachable!() };
        call(rc, &v, name, args).expect("method exists")
    }

    fn text(v: KResult<Value>) -> String {
        match v {
            Ok(Value::Str(s)) => s.to_string(),
            Ok(other) => panic!("not a string: {}", other.type_name()),
            Err(e) => panic!("error: {e}"),
        }
    }

    fn list(v: KResult<Value>) -> Vec<String> {
        match v {
            Ok(Value::List(l)) => l
                .borrow()
                .iter()
                .map(|x| match x {
                    Value::Str(s) => s.to_string(),
                    Value::Int(i) => i.to_string(),
                    _ => panic!("unexpected element"),
                })
                .collect(),
            Ok(other) => panic!("not a list: {}", other.type_name()),
            Err(e) => panic!("error: {e}"),
        }
    }

    fn int_of(v: KResult<Value>) -> i64 {
        match v {
            Ok(Value::Int(i)) => i,
            _ => panic!("not an integer"),
        }
    }

    fn err(v: KResult<Value>) -> (String, String) {
        let e = v.expect_err("expected an error");
        (e.error.to_string(), e.message.to_string())
    }

    #[test]
    fn split_keeps_empties() {
        assert_eq!(
            list(run("a,,b,", "split", &[Value::str(",")])),
            ["a", "", "b", ""]
        );
        assert!(list(run("", "split", &[Value::str(",")])).is_empty());
        assert_eq!(
            list(run("héllo", "split", &[Value::str("")])),
            ["h", "é", "l", "l", "o"]
        );
        assert_eq!(list(run("a::b", "split", &[Value::str("::")])), ["a", "b"]);
        assert_eq!(err(run("a", "split", &[])).0, "ParameterCountMismatchError");
        assert_eq!(
            err(run("a", "split", &[Value::Int(1)])).0,
            "ParameterTypeMismatchError"
        );
    }

    #[test]
    fn rsplit_regex_and_limit() {
        let s = "a\r\n\r\nb\r\n\r\nc";
        let pat = Value::str("\r\n\r\n");
        assert_eq!(
            list(run(s, "rsplit", &[pat.clone(), Value::Int(2)])),
            ["a", "b\r\n\r\nc"]
        );
        assert_eq!(list(run(s, "rsplit", &[pat])), ["a", "b", "c"]);
        assert_eq!(
            list(run("a1b22c", "rsplit", &[Value::str("[0-9]")])),
            ["a", "b", "c"]
        );
        assert_eq!(
            list(run(
                "a1b22c",
                "rsplit",
                &[Value::str("[0-9]"), Value::Int(0)]
            )),
            ["a", "b", "", "c"]
        );
        assert_eq!(err(run("a", "rsplit", &[Value::str("(")])).0, "ValueError");
        assert_eq!(err(run("a", "rsplit", &[Value::Int(1)])).0, "TypeError");
    }

    #[test]
    fn rreplace_regex() {
        let r = run(
            "a1b22",
            "rreplace",
            &[Value::str("[0-9]+"), Value::str("#")],
        );
        assert_eq!(text(r), "a#b#");
        assert_eq!(
            err(run("a", "rreplace", &[Value::str("["), Value::str("")])).0,
            "ValueError"
        );
    }

    #[test]
    fn count_overlapping_and_errors() {
        assert_eq!(int_of(run("aaaa", "count", &[Value::str("aa")])), 3);
        assert_eq!(int_of(run("abcabc", "count", &[Value::str("bc")])), 2);
        assert_eq!(int_of(run("abc", "count", &[Value::str("x")])), 0);
        let msg = "Expected source string to be non-empty and longer than target string.";
        for (s, sub) in [("", "a"), ("abc", ""), ("ab", "abc")] {
            assert_eq!(
                err(run(s, "count", &[Value::str(sub)])),
                ("InvalidOperationError".into(), msg.into())
            );
        }
    }

    #[test]
    fn substring_clamps_and_checks() {
        assert_eq!(
            text(run("hello", "substring", &[Value::Int(1), Value::Int(3)])),
            "ell"
        );
        assert_eq!(text(run("hello", "substring", &[Value::Int(2)])), "llo");
        assert_eq!(
            text(run("hello", "substring", &[Value::Int(3), Value::Int(99)])),
            "lo"
        );
        assert_eq!(text(run("hello", "substring", &[Value::Int(5)])), "");
        assert_eq!(
            text(run("héllo", "substring", &[Value::Int(1), Value::Int(1)])),
            "é"
        );
        assert_eq!(
            err(run("hello", "substring", &[Value::Int(6)])).0,
            "IndexError"
        );
        assert_eq!(
            err(run("hello", "substring", &[Value::Int(-1)])).0,
            "IndexError"
        );
        assert_eq!(
            err(run("hello", "substring", &[Value::Int(0), Value::Int(-1)])).0,
            "IndexError"
        );
    }

    #[test]
    fn replace_literal() {
        assert_eq!(
            text(run(
                "a.b.c",
                "replace",
                &[Value::str("."), Value::str("::")]
            )),
            "a::b::c"
        );
        assert_eq!(
            err(run("abc", "replace", &[Value::str(""), Value::str("x")])).0,
            "ValueError"
        );
        assert_eq!(
            err(run("abc", "replace", &[Value::Int(1), Value::str("x")])).0,
            "InvalidOperationError"
        );
    }

    #[test]
    fn small_methods() {
        assert_eq!(int_of(run("héllo", "size", &[])), 5);
        assert_eq!(int_of(run("héllo", "length", &[])), 5);
        assert_eq!(text(run("  x \n", "trim", &[])), "x");
        assert_eq!(text(run("  x ", "ltrim", &[])), "x ");
        assert_eq!(text(run("  x ", "rtrim", &[])), "  x");
        assert_eq!(text(run("line\r\n", "chomp", &[])), "line");
        assert_eq!(text(run("line\n\n", "chomp", &[])), "line\n");
        assert_eq!(text(run("abc", "reverse", &[])), "cba");
        assert_eq!(text(run("Abc", "uppercase", &[])), "ABC");
        assert_eq!(text(run("Abc", "lowercase", &[])), "abc");
        assert_eq!(int_of(run("héllo", "index", &[Value::str("l")])), 2);
        assert_eq!(int_of(run("héllo", "lastindex", &[Value::str("l")])), 3);
        assert_eq!(int_of(run("abc", "index", &[Value::str("z")])), -1);
        assert_eq!(int_of(run("é", "ord", &[])), 233);
        assert_eq!(err(run("", "ord", &[])).0, "ValueError");
        assert_eq!(list(run("a\nb", "lines", &[])), ["a", "b"]);
        assert_eq!(list(run("ab", "chars", &[])), ["a", "b"]);
        assert_eq!(
            list(run("abcd", "slice", &[Value::Int(1), Value::Int(3)])),
            ["b", "c"]
        );
        assert_eq!(
            text(run("ab", "concat", &[Value::str("c"), Value::str("d")])),
            "abcd"
        );
        assert_eq!(text(run("abc", "remove_at", &[Value::Int(-1)])), "ab");
        assert_eq!(text(run("abc", "clear", &[])), "");
        assert!(matches!(
            run("b", "between", &[Value::str("a"), Value::str("c")]),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(
            run("abc", "contains", &[Value::str("bc")]),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(
            run("abc", "begins_with", &[Value::str("ab")]),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(
            run("abc", "ends_with", &[Value::str("ab")]),
            Ok(Value::Bool(false))
        ));
        match run("hé", "to_bytes", &[]) {
            Ok(Value::Bytes(b)) => assert_eq!(*b.borrow(), "hé".as_bytes()),
            _ => panic!(),
        }
        assert_eq!(
            err(run("abc", "contains", &[Value::Int(1)])).0,
            "ParameterTypeMismatchError"
        );
        assert_eq!(
            err(run("abc", "trim", &[Value::Int(1)])).0,
            "ParameterCountMismatchError"
        );
    }
}

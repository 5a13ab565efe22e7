//! Stringification per §8 (print, `${}`, `+` with a string, `to_string`, `join`).
//!
//! Everything funnels into [`write_display`] / [`write_repr`], which append to a caller-owned
//! buffer, so building a string from many values never allocates intermediate strings.

use crate::value::Value;

/// The printed form of a value (strings raw, no quotes).
pub fn to_display(v: &Value) -> String {
    match v {
        // The hot cases of string building: skip the generic path entirely.
        Value::Str(s) => String::from(s.as_str()),
        Value::Int(i) => {
            let mut out = String::with_capacity(20);
            write_int(&mut out, *i);
            out
        }
        _ => {
            let mut out = String::new();
            write_display(&mut out, v);
            out
        }
    }
}

/// The form of a value nested inside a list or hashmap display (strings in quotes).
pub fn to_repr(v: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, v);
    out
}

/// Appends the printed form of `v` (strings raw) to `out`.
pub fn write_display(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => out.push_str(s),
        Value::Int(i) => write_int(out, *i),
        _ => {
            let _ = write_value(out, v, Style::new(OnCycle::Placeholder));
        }
    }
}

/// Appends the nested form of `v` (strings in double quotes, no escaping) to `out`.
pub fn write_repr(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => push_quoted(out, s),
        Value::Int(i) => write_int(out, *i),
        _ => {
            let _ = write_value(out, v, Style::new(OnCycle::Placeholder));
        }
    }
}

fn push_quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    out.push_str(s);
    out.push('"');
}

/// Decimal digits of an i64 without going through `fmt` (itoa: two digits per step, no UTF-8
/// check; `"key" + i` and every printed integer come here).
fn write_int(out: &mut String, i: i64) {
    out.push_str(itoa::Buffer::new().format(i));
}

/// What to do on meeting a container that is already being written (a cycle).
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnCycle {
    /// Print `[...]` / `{...}` (display), as Python does for a recursive list.
    Placeholder,
    /// Give up (serialize: the text could not be read back).
    Fail,
}

/// How to write: what to do on a cycle, and the texts to show for instances whose
/// `to_string` method already ran (by address).
#[derive(Clone, Copy)]
struct Style<'a> {
    cycle: OnCycle,
    shown: &'a [(usize, Value)],
}

impl<'a> Style<'a> {
    fn new(cycle: OnCycle) -> Self {
        Style { cycle, shown: &[] }
    }

    fn text_of(&self, o: &std::rc::Rc<crate::object::Object>) -> Option<&'a str> {
        let addr = address(o);
        self.shown.iter().find_map(|(a, text)| match text {
            Value::Str(t) if *a == addr => Some(t.as_str()),
            _ => None,
        })
    }
}

/// The printed form of `v` where each instance of `objects` shows as the text at the same
/// position of `texts` (what its `to_string` method returned; a text that is not a string
/// is shown as printed).
pub fn display_showing(v: &Value, objects: &[Value], texts: &[Value]) -> String {
    let shown: Vec<(usize, Value)> = objects
        .iter()
        .zip(texts)
        .filter_map(|(o, t)| match o {
            Value::Obj(o) => Some((address(o), Value::str(to_display(t)))),
            _ => None,
        })
        .collect();
    let mut out = String::new();
    let style = Style {
        cycle: OnCycle::Placeholder,
        shown: &shown,
    };
    match v {
        Value::Str(s) => out.push_str(s),
        _ => {
            let _ = write_value(&mut out, v, style);
        }
    }
    out
}

/// A container being written: what it is and how far it got.
enum Open {
    List {
        list: std::rc::Rc<std::cell::RefCell<crate::value::Elements>>,
        next: usize,
    },
    Map {
        map: std::rc::Rc<std::cell::RefCell<crate::value::Map>>,
        next: usize,
        /// A key was written; its value comes next.
        value: Option<Value>,
    },
}

impl Open {
    fn address(&self) -> usize {
        match self {
            Open::List { list, .. } => address(list),
            Open::Map { map, .. } => address(map),
        }
    }
}

fn address<T>(rc: &std::rc::Rc<T>) -> usize {
    std::rc::Rc::as_ptr(rc) as *const u8 as usize
}

/// The containers being written, innermost last. Whether a container is among them (a cycle)
/// is a scan of the first few and a hash lookup for the rest, so shallow values (nearly all)
/// cost no hashing and deep ones no quadratic scan.
#[derive(Default)]
struct Path {
    /// Containers being written by the recursive part ([`write_shallow`]) around this walk.
    outer: Vec<usize>,
    frames: Vec<Open>,
    /// Addresses of the frames past the first [`SCANNED`] (made when first needed).
    deep: Option<std::collections::HashSet<usize>>,
}

/// How many innermost-first frames are found by scanning rather than hashing.
const SCANNED: usize = 32;

impl Path {
    fn contains(&self, addr: usize) -> bool {
        self.outer.contains(&addr)
            || self
                .frames
                .iter()
                .take(SCANNED)
                .any(|f| f.address() == addr)
            || self.deep.as_ref().is_some_and(|d| d.contains(&addr))
    }

    fn push(&mut self, frame: Open) {
        if self.frames.len() >= SCANNED {
            self.deep
                .get_or_insert_with(Default::default)
                .insert(frame.address());
        }
        self.frames.push(frame);
    }

    fn pop(&mut self) {
        if let Some(frame) = self.frames.pop() {
            if let Some(deep) = self.deep.as_mut() {
                deep.remove(&frame.address());
            }
        }
    }
}

/// Non-string values, and the elements of containers (which are printed in repr form). A
/// container met again inside itself is a cycle. Fails only with [`OnCycle::Fail`] on a cycle
/// (or a container being modified meanwhile).
fn write_value(out: &mut String, v: &Value, on_cycle: Style<'_>) -> Result<(), ()> {
    write_shallow(out, v, on_cycle, &mut Vec::new())
}

/// The first [`SCANNED`] levels, by plain recursion (the fast path for the shallow values
/// nearly every program prints); deeper containers go to [`write_deep`].
fn write_shallow(
    out: &mut String,
    v: &Value,
    on_cycle: Style<'_>,
    open: &mut Vec<usize>,
) -> Result<(), ()> {
    match v {
        Value::List(l) => {
            let addr = address(l);
            if open.len() >= SCANNED {
                return write_deep(out, v, on_cycle, open);
            }
            let Ok(items) = l.try_borrow() else {
                return placeholder(out, "[...]", on_cycle);
            };
            if open.contains(&addr) {
                return placeholder(out, "[...]", on_cycle);
            }
            open.push(addr);
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                write_shallow(out, item, on_cycle, open)?;
            }
            out.push(']');
            open.pop();
        }
        Value::Map(m) => {
            let addr = address(m);
            if open.len() >= SCANNED {
                return write_deep(out, v, on_cycle, open);
            }
            let Ok(map) = m.try_borrow() else {
                return placeholder(out, "{...}", on_cycle);
            };
            if open.contains(&addr) {
                return placeholder(out, "{...}", on_cycle);
            }
            open.push(addr);
            out.push('{');
            for (n, (k, val)) in map.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                write_shallow(out, k.value(), on_cycle, open)?;
                out.push_str(": ");
                write_shallow(out, val, on_cycle, open)?;
            }
            out.push('}');
            open.pop();
        }
        other => write_scalar(out, other, on_cycle)?,
    }
    Ok(())
}

/// Containers at any depth, as a walk with its own stack (no recursion on the native stack);
/// `outer` are the containers the recursive part is writing around this one.
fn write_deep(out: &mut String, v: &Value, on_cycle: Style<'_>, outer: &[usize]) -> Result<(), ()> {
    let mut path = Path {
        outer: outer.to_vec(),
        ..Path::default()
    };
    write_start(out, v.clone(), on_cycle, &mut path)?;
    while let Some(top) = path.frames.last_mut() {
        // Scalars are written in place; the walk leaves this loop for a nested container
        // (`Some`) or at the end of the current one (`None`).
        let child = match top {
            Open::List { list, next } => {
                let items = list.try_borrow().map_err(|_| ())?;
                let mut child = None;
                while let Some(item) = items.get(*next) {
                    if *next > 0 {
                        out.push_str(", ");
                    }
                    *next += 1;
                    if matches!(item, Value::List(_) | Value::Map(_)) {
                        child = Some(item.clone());
                        break;
                    }
                    write_scalar(out, item, on_cycle)?;
                }
                if child.is_none() {
                    out.push(']');
                }
                child
            }
            Open::Map { map, next, value } => {
                let entries = map.try_borrow().map_err(|_| ())?;
                let mut child = None;
                loop {
                    if let Some(v) = value.take() {
                        out.push_str(": ");
                        if matches!(v, Value::List(_) | Value::Map(_)) {
                            child = Some(v);
                            break;
                        }
                        write_scalar(out, &v, on_cycle)?;
                    }
                    let Some((pos, k, v)) = entries.entry_from(*next) else {
                        break;
                    };
                    if *next > 0 {
                        out.push_str(", ");
                    }
                    *next = pos + 1;
                    *value = Some(v.clone());
                    if matches!(k.value(), Value::List(_) | Value::Map(_)) {
                        child = Some(k.value().clone());
                        break;
                    }
                    write_scalar(out, k.value(), on_cycle)?;
                }
                if child.is_none() {
                    out.push('}');
                }
                child
            }
        };
        match child {
            Some(c) => write_start(out, c, on_cycle, &mut path)?,
            None => path.pop(),
        }
    }
    Ok(())
}

/// Writes a scalar whole, or the opening of a container (pushed on `path` to be continued).
fn write_start(out: &mut String, v: Value, on_cycle: Style<'_>, path: &mut Path) -> Result<(), ()> {
    match v {
        Value::List(list) => {
            // A list already being written (a cycle) or one that is mutably borrowed.
            if list.try_borrow().is_err() || path.contains(address(&list)) {
                return placeholder(out, "[...]", on_cycle);
            }
            out.push('[');
            path.push(Open::List { list, next: 0 });
        }
        Value::Map(map) => {
            if map.try_borrow().is_err() || path.contains(address(&map)) {
                return placeholder(out, "{...}", on_cycle);
            }
            out.push('{');
            path.push(Open::Map {
                map,
                next: 0,
                value: None,
            });
        }
        other => write_scalar(out, &other, on_cycle)?,
    }
    Ok(())
}

/// Writes a value that holds no lists or maps.
fn write_scalar(out: &mut String, v: &Value, on_cycle: Style<'_>) -> Result<(), ()> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => write_int(out, *i),
        Value::Float(f) => write_float(out, *f),
        Value::Str(s) => push_quoted(out, s),
        Value::Date(ms) => out.push_str(&crate::date::display(*ms)),
        Value::Bytes(b) => {
            let Ok(bytes) = b.try_borrow() else {
                return placeholder(out, "[...]", on_cycle);
            };
            out.reserve(bytes.len() * 5 + 2);
            out.push('[');
            for (n, byte) in bytes.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                write_int(out, i64::from(*byte));
            }
            out.push(']');
        }
        Value::Func(f) => {
            out.push_str("<lambda(identifier=");
            out.push_str(f.identifier());
            out.push_str(")>");
        }
        // Upstream's struct display really lacks the closing parenthesis.
        Value::Channel(_) => out.push_str("<struct(name=Channel, identifier=Channel>"),
        Value::Package(name) => out.push_str(name),
        Value::Obj(o) => match on_cycle.text_of(o) {
            Some(text) => out.push_str(text),
            None => out.push_str(&o.display()),
        },
        Value::List(_) | Value::Map(_) => return placeholder(out, "[...]", on_cycle),
    }
    Ok(())
}

fn placeholder(out: &mut String, text: &str, on_cycle: Style<'_>) -> Result<(), ()> {
    match on_cycle.cycle {
        OnCycle::Placeholder => {
            out.push_str(text);
            Ok(())
        }
        OnCycle::Fail => Err(()),
    }
}

/// `serialize(v)`: the repr form, which `deserialize` reads back; `None` for a value that
/// contains itself (its text would be `[...]`, which cannot be read back).
pub fn serialize(v: &Value) -> Option<String> {
    let mut out = String::new();
    match v {
        Value::Str(s) => push_quoted(&mut out, s),
        _ => write_value(&mut out, v, Style::new(OnCycle::Fail)).ok()?,
    }
    Some(out)
}

/// `pretty()`: the serialized form indented by two spaces, one element or entry per line
/// (upstream's layout); `None` for a value that contains itself. Nesting deeper than 64 levels
/// is written compactly, so no value can exhaust the native stack.
pub fn pretty(v: &Value) -> Option<String> {
    let mut out = String::new();
    write_pretty(&mut out, v, &mut Vec::new())?;
    Some(out)
}

/// Writes `v` at the nesting depth `open.len()`; `open` holds the containers being written
/// (a value met again inside itself is a cycle: `None`).
fn write_pretty(out: &mut String, v: &Value, open: &mut Vec<usize>) -> Option<()> {
    const MAX_DEPTH: usize = 64;
    match v {
        Value::List(l) if open.len() < MAX_DEPTH => {
            let items = l.try_borrow().ok()?;
            if items.is_empty() {
                out.push_str("[]");
                return Some(());
            }
            write_block(
                out,
                open,
                address(l),
                ('[', ']'),
                items.iter(),
                |out, open, item| write_pretty(out, item, open),
            )?;
        }
        Value::Map(m) if open.len() < MAX_DEPTH => {
            let map = m.try_borrow().ok()?;
            if map.is_empty() {
                out.push_str("{}");
                return Some(());
            }
            write_block(
                out,
                open,
                address(m),
                ('{', '}'),
                map.iter(),
                |out, open, (k, val)| {
                    out.push_str(&serialize(k.value())?);
                    out.push_str(": ");
                    write_pretty(out, val, open)
                },
            )?;
        }
        // Deeper than MAX_DEPTH: compact (serialize refuses a cycle too).
        other => out.push_str(&serialize(other)?),
    }
    Some(())
}

/// Writes a non-empty list or map (at `addr`) between `brackets`, one entry per line, indented
/// one level deeper than the container; `None` if it is already being written (a cycle).
fn write_block<T>(
    out: &mut String,
    open: &mut Vec<usize>,
    addr: usize,
    (start, end): (char, char),
    entries: impl Iterator<Item = T>,
    mut write_entry: impl FnMut(&mut String, &mut Vec<usize>, T) -> Option<()>,
) -> Option<()> {
    fn indent(out: &mut String, n: usize) {
        out.push('\n');
        for _ in 0..n {
            out.push_str("  ");
        }
    }
    if open.contains(&addr) {
        return None;
    }
    let depth = open.len();
    open.push(addr);
    out.push(start);
    for (n, entry) in entries.enumerate() {
        if n > 0 {
            out.push(',');
        }
        indent(out, depth + 1);
        write_entry(out, open, entry)?;
    }
    indent(out, depth);
    out.push(end);
    open.pop();
    Some(())
}

/// .NET "G"-style shortest round-trip float formatting (`2`, `0.1`, `1E+15`, `1E-05`).
pub fn format_float(f: f64) -> String {
    let mut out = String::new();
    write_float(&mut out, f);
    out
}

/// Appends [`format_float`] of `f` to `out`.
pub fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if f == 0.0 {
        out.push_str(if f.is_sign_negative() { "-0" } else { "0" });
        return;
    }
    // `{:e}` yields the shortest round-trip digits as `d[.ddd]e[-]X`; a stack buffer avoids
    // allocating (the longest output is 17 digits + '.' + "e-324").
    let mut buf = StackBuf::default();
    let _ = std::fmt::Write::write_fmt(&mut buf, format_args!("{:e}", f.abs()));
    let sci = buf.as_str();
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits = [0u8; 24];
    let mut len = 0;
    for b in mantissa.bytes().filter(u8::is_ascii_digit) {
        if len < digits.len() {
            digits[len] = b;
            len += 1;
        }
    }
    let digits = &digits[..len.max(1)];
    let digits = std::str::from_utf8(digits).unwrap_or("0");
    // value = 0.D × 10^k, so the decimal point sits k digits into D.
    let k = exp + 1;
    if f < 0.0 {
        out.push('-');
    }
    if (-3..=15).contains(&k) {
        if k <= 0 {
            out.push_str("0.");
            for _ in 0..-k {
                out.push('0');
            }
            out.push_str(digits);
        } else {
            let k = k as usize;
            if k >= digits.len() {
                out.push_str(digits);
                for _ in digits.len()..k {
                    out.push('0');
                }
            } else {
                out.push_str(&digits[..k]);
                out.push('.');
                out.push_str(&digits[k..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('E');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        write_int(out, i64::from(e));
    }
}

/// A fixed-size `fmt::Write` sink; output beyond its capacity is reported as an error.
struct StackBuf {
    bytes: [u8; 40],
    len: usize,
}

impl Default for StackBuf {
    fn default() -> Self {
        StackBuf {
            bytes: [0; 40],
            len: 0,
        }
    }
}

impl StackBuf {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("0e0")
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Key, Map};

    fn ff(f: f64) -> String {
        format_float(f)
    }

    #[test]
    fn float_spec_examples() {
        assert_eq!(ff(5.5), "5.5");
        assert_eq!(ff(20.0 / 3.0), "6.666666666666667");
        assert_eq!(ff(10.0 / 5.0), "2");
        assert_eq!(ff(1e15), "1E+15");
        assert_eq!(ff(0.00001), "1E-05");
        assert_eq!(ff(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(ff(1.2345678901234568e17), "1.2345678901234568E+17");
        assert_eq!(ff(6.0 / 3.0), "2");
    }

    #[test]
    fn float_boundaries() {
        // k = -3 is fixed, k = -4 is exponential.
        assert_eq!(ff(0.001), "0.001");
        assert_eq!(ff(0.0001), "0.0001");
        assert_eq!(ff(0.00012345), "0.00012345");
        assert_eq!(ff(0.000012345), "1.2345E-05");
        // k = 15 is fixed, k = 16 is exponential.
        assert_eq!(ff(1e14), "100000000000000");
        assert_eq!(ff(123456789012345.0), "123456789012345");
        assert_eq!(ff(999999999999999.0), "999999999999999");
        assert_eq!(ff(1234567890123456.0), "1.234567890123456E+15");
        assert_eq!(ff(100.0), "100");
        assert_eq!(ff(1e100), "1E+100");
        assert_eq!(ff(1.5e-10), "1.5E-10");
        assert_eq!(ff(123.456), "123.456");
        assert_eq!(ff(0.5), "0.5");
        assert_eq!(ff(1.0), "1");
    }

    #[test]
    fn float_negative_and_special() {
        assert_eq!(ff(-2.5), "-2.5");
        assert_eq!(ff(-1e15), "-1E+15");
        assert_eq!(ff(-0.00001), "-1E-05");
        assert_eq!(ff(-100.0), "-100");
        assert_eq!(ff(-0.001), "-0.001");
        assert_eq!(ff(-0.0), "-0");
        assert_eq!(ff(0.0), "0");
        assert_eq!(ff(f64::NAN), "NaN");
        assert_eq!(ff(f64::INFINITY), "Infinity");
        assert_eq!(ff(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn float_extremes() {
        assert_eq!(ff(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(ff(2.0 / 3.0), "0.6666666666666666");
        assert_eq!(ff(5e-324), "5E-324");
        assert_eq!(ff(1.7976931348623157e308), "1.7976931348623157E+308");
        assert_eq!(ff(-1.7976931348623157e308), "-1.7976931348623157E+308");
        assert_eq!(ff(2.2250738585072014e-308), "2.2250738585072014E-308");
        assert_eq!(ff(9007199254740992.0), "9.007199254740992E+15");
    }

    #[test]
    fn float_round_trips() {
        for &f in &[
            0.1,
            1.0 / 3.0,
            123.456e-7,
            9.87654321e20,
            4.35,
            1e-3,
            2.5e15,
        ] {
            let s = ff(f).replace('E', "e");
            assert_eq!(s.parse::<f64>().ok(), Some(f), "{s}");
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(to_display(&Value::Int(-42)), "-42");
        assert_eq!(to_display(&Value::Int(0)), "0");
        assert_eq!(to_display(&Value::Int(i64::MIN)), "-9223372036854775808");
        assert_eq!(to_display(&Value::Int(i64::MAX)), "9223372036854775807");
        assert_eq!(to_display(&Value::Null), "null");
        assert_eq!(to_display(&Value::Bool(true)), "true");
        assert_eq!(to_display(&Value::Bool(false)), "false");
        assert_eq!(to_display(&Value::Float(2.0)), "2");
        assert_eq!(to_display(&Value::str("hi")), "hi");
        assert_eq!(to_repr(&Value::str("hi")), "\"hi\"");
        assert_eq!(to_repr(&Value::str("a\"b")), "\"a\"b\"");
        assert_eq!(to_repr(&Value::Int(3)), "3");
        assert_eq!(
            to_display(&Value::Package(std::rc::Rc::new("socket".into()))),
            "socket"
        );
    }

    #[test]
    fn write_display_appends() {
        let mut s = String::from("x=");
        write_display(&mut s, &Value::Int(5));
        write_display(&mut s, &Value::str(" y"));
        write_display(&mut s, &Value::Float(0.5));
        assert_eq!(s, "x=5 y0.5");
    }

    #[test]
    fn containers() {
        let inner = Value::list(vec![Value::Float(2.5), Value::Null]);
        let l = Value::list(vec![Value::Int(1), Value::str("a"), inner]);
        assert_eq!(to_display(&l), "[1, \"a\", [2.5, null]]");
        assert_eq!(to_repr(&l), "[1, \"a\", [2.5, null]]");
        assert_eq!(to_display(&Value::list(vec![])), "[]");

        let mut m = Map::new();
        m.insert(Key::from("host"), Value::str("x"));
        m.insert(Key::from("port"), Value::Int(80));
        m.insert(Key(Value::Int(1)), Value::Bool(true));
        assert_eq!(
            to_display(&Value::map(m)),
            "{\"host\": \"x\", \"port\": 80, 1: true}"
        );
        assert_eq!(to_display(&Value::map(Map::new())), "{}");

        assert_eq!(to_display(&Value::bytes(b"hi".to_vec())), "[104, 105]");
        assert_eq!(to_display(&Value::bytes(vec![])), "[]");
    }

    #[test]
    fn cycles_and_depth() {
        let l = Value::list(vec![Value::Int(1)]);
        if let Value::List(rc) = &l {
            rc.borrow_mut().push(l.clone());
        }
        assert_eq!(to_display(&l), "[1, [...]]");
        // Break the cycle so the test does not leak.
        if let Value::List(rc) = &l {
            rc.borrow_mut().clear();
        }

        let m = Value::map(Map::new());
        if let Value::Map(rc) = &m {
            rc.borrow_mut().insert(Key::from("me"), m.clone());
        }
        assert_eq!(to_display(&m), "{\"me\": {...}}");
        if let Value::Map(rc) = &m {
            rc.borrow_mut().clear();
        }

        // The same (acyclic) list twice is not a cycle.
        let shared = Value::list(vec![Value::Int(7)]);
        let twice = Value::list(vec![shared.clone(), shared]);
        assert_eq!(to_display(&twice), "[[7], [7]]");

        // Deep but acyclic: written whole, with no recursion on the native stack.
        let mut deep = Value::Null;
        for _ in 0..100_000 {
            deep = Value::list(vec![deep]);
        }
        let s = to_display(&deep);
        assert_eq!(
            s,
            format!("{}null{}", "[".repeat(100_000), "]".repeat(100_000))
        );
        // A map after removals (tombstones first) still separates its entries.
        let mut m = Map::new();
        for k in ["a", "b", "c"] {
            m.insert(Key::from(k), Value::Int(1));
        }
        m.shift_remove(&Key::from("a"));
        assert_eq!(to_display(&Value::map(m)), "{\"b\": 1, \"c\": 1}");
        // serialize refuses a cycle instead of writing `[...]`.
        let l = Value::list(vec![]);
        if let Value::List(rc) = &l {
            rc.borrow_mut().push(l.clone());
        }
        assert_eq!(serialize(&l), None);
        if let Value::List(rc) = &l {
            rc.borrow_mut().clear();
        }
        assert_eq!(serialize(&twice).as_deref(), Some("[[7], [7]]"));
    }
}

//! Methods of dates (upstream's date builtins and `docs/lib/date.md`), and `to_date` on
//! strings and integers.

use crate::date::{self, Civil};
use crate::error::KResult;
use crate::value::Value;

use super::check::{self, arity, arity_range};

/// Dispatches a date method; `None` if dates have no method `name`.
pub fn call(ms: i64, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    let field = |f: fn(&Civil) -> u32| {
        arity(name, args, 0).map(|()| Value::Int(i64::from(f(&Civil::of(ms)))))
    };
    Some(match name {
        "year" => arity(name, args, 0).map(|()| Value::Int(Civil::of(ms).year)),
        "month" => field(|c| c.month),
        "day" => field(|c| c.day),
        "hour" => field(|c| c.hour),
        "minute" => field(|c| c.minute),
        "second" => field(|c| c.second),
        "millisecond" => field(|c| c.milli),
        "weekday" => arity(name, args, 0).map(|()| Value::Int(date::weekday(ms))),
        "yearday" => arity(name, args, 0).map(|()| Value::Int(date::yearday(ms))),
        "ampm" => arity(name, args, 0)
            .map(|()| Value::str(if Civil::of(ms).hour < 12 { "AM" } else { "PM" })),
        "add_days" => add(name, args, ms, 86_400_000),
        "add_hours" => add(name, args, ms, 3_600_000),
        "add_minutes" => add(name, args, ms, 60_000),
        "add_seconds" => add(name, args, ms, 1000),
        "add_milliseconds" => add(name, args, ms, 1),
        "add_months" => months(name, args, ms, 1),
        "add_years" => months(name, args, ms, 12),
        "to_string" => arity_range(name, args, 0, 1).and_then(|()| match args.first() {
            None | Some(Value::Null) => Ok(Value::str(date::display(ms))),
            Some(_) => Ok(Value::str(date::format(ms, check::str_arg(name, args, 0)?))),
        }),
        "between" => arity(name, args, 2).and_then(|()| match args {
            [Value::Date(a), Value::Date(b)] => Ok(Value::Bool(*a <= ms && ms <= *b)),
            [Value::Date(_), other] | [other, _] => Err(check::type_error("a date", other)),
            _ => Ok(Value::Bool(false)),
        }),
        // Milliseconds since 1970-01-01 in the date's own reckoning (what `to_date` reads back).
        "to_integer" => arity(name, args, 0).map(|()| Value::Int(ms)),
        _ => return None,
    })
}

fn add(name: &str, args: &[Value], ms: i64, unit: i64) -> KResult<Value> {
    arity(name, args, 1)?;
    let n = check::int_arg(name, args, 0)?;
    date::checked(n.checked_mul(unit).and_then(|d| ms.checked_add(d)))
}

fn months(name: &str, args: &[Value], ms: i64, per: i64) -> KResult<Value> {
    arity(name, args, 1)?;
    let n = check::int_arg(name, args, 0)?;
    match n.checked_mul(per) {
        Some(n) => date::add_months(ms, n),
        None => date::checked(None),
    }
}

/// `text.to_date(format = null)` and `ms.to_date()`: a date, or the default (0001-01-01) when
/// the text cannot be read, as upstream's.
pub fn to_date(recv: &Value, args: &[Value]) -> KResult<Value> {
    arity_range("to_date", args, 0, 1)?;
    let parsed = match recv {
        Value::Str(s) => match args.first() {
            None | Some(Value::Null) => date::parse(s),
            Some(_) => date::parse_exact(s, check::str_arg("to_date", args, 0)?),
        },
        Value::Int(ms) => Some(*ms),
        other => return Err(check::type_error("a string or an integer", other)),
    };
    Ok(match parsed {
        Some(ms) if (date::MIN..=date::MAX).contains(&ms) => Value::Date(ms),
        _ => Value::Date(date::MIN),
    })
}

//! The `time` package: a monotonic nanosecond clock, the local date and time (`now`), date
//! arithmetic and components as functions (`time::add_days(dt, n)`, `time::hour(dt)`), and
//! calendar helpers (upstream's `docs/lib/time.md`). Dates are the VM's `date` values
//! ([`kiwi_vm::date`]); a component function without a date reads the current time.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use chrono::{Datelike, Offset, TimeZone};

use kiwi_vm::date::{self, Civil};
use kiwi_vm::error::KResult;
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::Value;

/// One `time::<name>(dt?)` component entry: the date method of the same name, of `dt` or of
/// now.
macro_rules! component {
    ($name:literal, $method:literal) => {
        NativeFn::pure($name, Arity::between(0, 1), |a| {
            let dt = date_or_now(concat!("time::", $name), a)?;
            date_method(&dt, $method, &[])
        })
    };
}

/// One `time::<name>(dt, n)` arithmetic entry: `dt.<name>(n)`.
macro_rules! arithmetic {
    ($name:literal) => {
        NativeFn::pure($name, Arity::exactly(2), |a| {
            let dt = date_arg(concat!("time::", $name), a, 0)?;
            date_method(&dt, $name, &a[1..])
        })
    };
}

/// The `time` package.
pub const PACKAGE: Package = Package {
    name: "time",
    functions: &[
        NativeFn::pure("ticks", Arity::exactly(0), |_| Ok(Value::Float(ticks()))),
        NativeFn::pure("ticksms", Arity::exactly(1), ticksms),
        NativeFn::pure("timestamp", Arity::between(0, 1), timestamp),
        NativeFn::pure("now_ms", Arity::exactly(0), |_| Ok(Value::Int(epoch_ms()))),
        NativeFn::pure("epochms", Arity::exactly(0), |_| Ok(Value::Int(epoch_ms()))),
        NativeFn::pure("now", Arity::exactly(0), |_| Ok(Value::Date(local_now()))),
        arithmetic!("add_days"),
        arithmetic!("add_months"),
        arithmetic!("add_years"),
        arithmetic!("add_hours"),
        arithmetic!("add_minutes"),
        arithmetic!("add_seconds"),
        arithmetic!("add_milliseconds"),
        component!("year", "year"),
        component!("month", "month"),
        component!("day", "day"),
        component!("hour", "hour"),
        component!("minute", "minute"),
        component!("second", "second"),
        component!("millisecond", "millisecond"),
        component!("ampm", "ampm"),
        component!("weekday", "weekday"),
        component!("yearday", "yearday"),
        NativeFn::pure("isdst", Arity::between(0, 1), |a| {
            let dt = date_or_now("time::isdst", a)?;
            let Value::Date(ms) = dt else {
                return Ok(Value::Bool(false));
            };
            Ok(Value::Bool(is_dst(ms)))
        }),
        NativeFn::pure("leapyear", Arity::exactly(1), |a| {
            Ok(Value::Bool(date::leap_year(check::int_arg(
                "time::leapyear",
                a,
                0,
            )?)))
        }),
        NativeFn::pure("monthdays", Arity::exactly(2), |a| {
            let year = check::int_arg("time::monthdays", a, 0)?;
            let month = check::int_arg("time::monthdays", a, 1)?;
            Ok(Value::Int(i64::from(month_days(year, month))))
        }),
        NativeFn::pure("valid_day", Arity::exactly(3), |a| {
            let year = check::int_arg("time::valid_day", a, 0)?;
            let month = check::int_arg("time::valid_day", a, 1)?;
            let day = check::int_arg("time::valid_day", a, 2)?;
            Ok(Value::Bool(
                day > 0 && day <= i64::from(month_days(year, month)),
            ))
        }),
        NativeFn::pure("first_day", Arity::exactly(0), |_| year_edge(1, 1)),
        NativeFn::pure("last_day", Arity::exactly(0), |_| year_edge(12, 31)),
    ],
};

/// The days in `month` of `year` (0 for a month that is not 1..=12).
fn month_days(year: i64, month: i64) -> u32 {
    u32::try_from(month).map_or(0, |m| date::month_days(year, m))
}

/// The current local date and time, as a date value's milliseconds.
pub fn local_now() -> i64 {
    let now = chrono::Local::now();
    let offset_ms = i64::from(now.offset().fix().local_minus_utc()) * 1000;
    now.timestamp_millis() + offset_ms
}

/// The local wall-clock date (a date value's milliseconds) of instant `utc_ms` (milliseconds
/// since the Unix epoch).
pub fn local_of(utc_ms: i64) -> i64 {
    let offset = chrono::Local
        .timestamp_millis_opt(utc_ms)
        .earliest()
        .map_or(0, |t| t.offset().fix().local_minus_utc());
    utc_ms + i64::from(offset) * 1000
}

/// Whether local date `ms` falls in daylight-saving time: its offset from UTC is larger
/// than the smaller of January's and July's in that year.
fn is_dst(ms: i64) -> bool {
    let offset_at = |local_ms: i64| {
        chrono::Local
            .timestamp_millis_opt(local_ms)
            .earliest()
            .map(|t| t.offset().fix().local_minus_utc())
    };
    let year = Civil::of(ms).year;
    let at = |month: u32| {
        Civil {
            year,
            month,
            day: 1,
            hour: 12,
            minute: 0,
            second: 0,
            milli: 0,
        }
        .to_ms()
        .and_then(offset_at)
    };
    match (offset_at(ms), at(1), at(7)) {
        (Some(now), Some(jan), Some(jul)) => now > jan.min(jul),
        _ => false,
    }
}

/// January 1st or December 31st of this year, at midnight.
fn year_edge(month: u32, day: u32) -> KResult<Value> {
    let year = chrono::Local::now().year();
    date::checked(
        Civil {
            year: i64::from(year),
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            milli: 0,
        }
        .to_ms(),
    )
}

/// Argument `i` as a date.
fn date_arg(name: &str, args: &[Value], i: usize) -> KResult<Value> {
    match args.get(i) {
        Some(v @ Value::Date(_)) => Ok(v.clone()),
        Some(other) => Err(check::expected(name, i, "Date", other)),
        None => Err(check::expected(name, i, "Date", &Value::Null)),
    }
}

/// The first argument as a date, or now when it is missing or null.
fn date_or_now(name: &str, args: &[Value]) -> KResult<Value> {
    match args.first() {
        None | Some(Value::Null) => Ok(Value::Date(local_now())),
        Some(_) => date_arg(name, args, 0),
    }
}

fn date_method(dt: &Value, method: &str, args: &[Value]) -> KResult<Value> {
    crate::builtin_method(dt, method, args, || crate::undefined_method(method))
}

/// Nanoseconds since a process-wide origin: monotonic, not the epoch.
pub fn ticks() -> f64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as f64
}

/// `ticksms(t)`: a float is nanoseconds → float milliseconds; an int is read as .NET
/// 100 ns ticks and gives the milliseconds component of that TimeSpan (upstream's quirk).
fn ticksms(args: &[Value]) -> KResult<Value> {
    match &args[0] {
        Value::Float(f) => Ok(Value::Float(f / 1e6)),
        Value::Int(t) => Ok(Value::Int((t / 10_000) % 1000)),
        other => Err(check::expected("time::ticksms", 0, "Number", other)),
    }
}

fn epoch_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// `timestamp(fmt = "u")`: the current local time, formatted (upstream's
/// `time::now().to_string(fmt)`).
fn timestamp(args: &[Value]) -> KResult<Value> {
    let fmt = match args.first() {
        None | Some(Value::Null) => "u",
        Some(_) => check::str_arg("time::timestamp", args, 0)?,
    };
    Ok(Value::str(date::format(local_now(), fmt)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> Option<KResult<Value>> {
        crate::call_plain(&PACKAGE, name, args, &Default::default())
    }

    #[test]
    fn ticks_are_monotonic() {
        let a = ticks();
        let b = ticks();
        assert!(b >= a);
        assert!(
            matches!(call("ticksms", &[Value::Float(2e6)]), Some(Ok(Value::Float(f))) if f == 2.0)
        );
        assert!(matches!(
            call("ticksms", &[Value::Int(12_345_678)]),
            Some(Ok(Value::Int(234)))
        ));
        assert!(call("ticksms", &[Value::str("x")]).unwrap().is_err());
    }

    #[test]
    fn timestamp_shape() {
        let Some(Ok(Value::Str(s))) = call("timestamp", &[]) else {
            panic!("no timestamp")
        };
        assert_eq!(s.len(), 20);
        assert!(s.ends_with('Z'));
        assert!(matches!(call("now_ms", &[]), Some(Ok(Value::Int(ms))) if ms > 1_600_000_000_000));
    }
}

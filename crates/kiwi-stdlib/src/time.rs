//! The `time` package: a monotonic nanosecond clock and UTC wall-clock formatting (std only).

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use kiwi_vm::error::KResult;
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::Value;

/// The `time` package.
pub const PACKAGE: Package = Package {
    name: "time",
    functions: &[
        NativeFn::pure("ticks", Arity::exactly(0), |_| Ok(Value::Float(ticks()))),
        NativeFn::pure("ticksms", Arity::exactly(1), ticksms),
        NativeFn::pure("timestamp", Arity::between(0, 1), timestamp),
        NativeFn::pure("now_ms", Arity::exactly(0), |_| Ok(Value::Int(epoch_ms()))),
        NativeFn::pure("epochms", Arity::exactly(0), |_| Ok(Value::Int(epoch_ms()))),
    ],
};

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

/// `timestamp(fmt = "u")`: the current UTC time.
fn timestamp(args: &[Value]) -> KResult<Value> {
    let fmt = match args.first() {
        None | Some(Value::Null) => "u",
        Some(_) => check::str_arg("time::timestamp", args, 0)?,
    };
    Ok(Value::str(format_time(
        &Civil::from_epoch_ms(epoch_ms()),
        fmt,
    )))
}

/// A UTC calendar time.
#[derive(Debug, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    milli: u32,
}

impl Civil {
    fn from_epoch_ms(ms: i64) -> Civil {
        let days = ms.div_euclid(86_400_000);
        let rem = ms.rem_euclid(86_400_000) as u32;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: rem / 3_600_000,
            minute: rem / 60_000 % 60,
            second: rem / 1000 % 60,
            milli: rem % 1000,
        }
    }
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 → (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// .NET-style formatting: the standard formats `u`, `s`, `o` and the custom tokens `yyyy yy MM
/// dd HH mm ss fff`; any other character is copied.
fn format_time(t: &Civil, fmt: &str) -> String {
    let pattern = match fmt {
        "u" => "yyyy-MM-dd HH:mm:ssZ",
        "s" => "yyyy-MM-ddTHH:mm:ss",
        "o" | "O" => "yyyy-MM-ddTHH:mm:ss.fffZ",
        other => other,
    };
    let tokens: [(&str, String); 8] = [
        ("yyyy", format!("{:04}", t.year)),
        ("yy", format!("{:02}", t.year.rem_euclid(100))),
        ("MM", format!("{:02}", t.month)),
        ("dd", format!("{:02}", t.day)),
        ("HH", format!("{:02}", t.hour)),
        ("mm", format!("{:02}", t.minute)),
        ("ss", format!("{:02}", t.second)),
        ("fff", format!("{:03}", t.milli)),
    ];
    let mut out = String::new();
    let mut rest = pattern;
    'outer: while !rest.is_empty() {
        for (tok, text) in &tokens {
            if let Some(after) = rest.strip_prefix(tok) {
                out.push_str(text);
                rest = after;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> Option<KResult<Value>> {
        crate::call_plain(&PACKAGE, name, args, &Default::default())
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        let t = Civil::from_epoch_ms(1_795_684_993_000);
        assert_eq!(format_time(&t, "u"), "2026-11-26 09:23:13Z");
        assert_eq!(
            format_time(&t, "yyyy/MM/dd HH:mm:ss.fff"),
            "2026/11/26 09:23:13.000"
        );
        assert_eq!(
            format_time(&Civil::from_epoch_ms(-1), "o"),
            "1969-12-31T23:59:59.999Z"
        );
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

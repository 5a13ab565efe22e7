//! The `date` type: a wall-clock date and time of day with millisecond precision and no time
//! zone, as upstream's .NET `DateTime` values are used (`d(2024, 3, 15)`, `"2024-06-15".to_date()`,
//! `time::now()` in local time). A date is [`Value::Date`]: milliseconds since 1970-01-01
//! 00:00:00 counted in that same wall-clock reckoning, so arithmetic is plain integer arithmetic
//! and components come from the civil calendar. Years 1 to 9999 are valid, as .NET's.

use crate::error::{ErrorType, KResult, KiwiError};
use crate::value::Value;

const MS_PER_DAY: i64 = 86_400_000;
/// 0001-01-01 00:00:00.
pub const MIN: i64 = -62_135_596_800_000;
/// 9999-12-31 23:59:59.999.
pub const MAX: i64 = 253_402_300_799_999;

/// A date's calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// The year (1..=9999).
    pub year: i64,
    /// The month (1..=12).
    pub month: u32,
    /// The day of the month (1..=31).
    pub day: u32,
    /// The hour (0..=23).
    pub hour: u32,
    /// The minute (0..=59).
    pub minute: u32,
    /// The second (0..=59).
    pub second: u32,
    /// The millisecond (0..=999).
    pub milli: u32,
}

impl Civil {
    /// The fields of date `ms`.
    pub fn of(ms: i64) -> Civil {
        let days = ms.div_euclid(MS_PER_DAY);
        let rem = ms.rem_euclid(MS_PER_DAY) as u32;
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

    /// The date with these fields (`None` outside 0001..=9999 or for an impossible day).
    pub fn to_ms(self) -> Option<i64> {
        let valid = (1..=9999).contains(&self.year)
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= month_days(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
            && self.milli < 1000;
        valid.then(|| {
            days_from_civil(self.year, self.month, self.day) * MS_PER_DAY
                + i64::from(self.hour) * 3_600_000
                + i64::from(self.minute) * 60_000
                + i64::from(self.second) * 1000
                + i64::from(self.milli)
        })
    }
}

/// Whether `year` is a leap year.
pub fn leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in `month` of `year`.
pub fn month_days(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Howard Hinnant's `days_from_civil`: (year, month, day) → days since 1970-01-01.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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

/// The day of the week, 0 (Sunday) to 6 (Saturday), as .NET's `DayOfWeek`.
pub fn weekday(ms: i64) -> i64 {
    // 1970-01-01 was a Thursday.
    (ms.div_euclid(MS_PER_DAY) + 4).rem_euclid(7)
}

/// The day of the year, 1 to 366.
pub fn yearday(ms: i64) -> i64 {
    let c = Civil::of(ms);
    ms.div_euclid(MS_PER_DAY) - days_from_civil(c.year, 1, 1) + 1
}

fn out_of_range() -> KiwiError {
    KiwiError::new(
        ErrorType::RangeError,
        "The date is outside the years 1 to 9999.",
    )
}

/// `ms` as a date value, checked against the valid range.
pub fn checked(ms: Option<i64>) -> KResult<Value> {
    match ms {
        Some(ms) if (MIN..=MAX).contains(&ms) => Ok(Value::Date(ms)),
        _ => Err(out_of_range()),
    }
}

/// `date` plus `n` months (the day clamped to the new month's length, as .NET's `AddMonths`).
pub fn add_months(ms: i64, n: i64) -> KResult<Value> {
    let c = Civil::of(ms);
    let total = c
        .year
        .checked_mul(12)
        .and_then(|m| m.checked_add(i64::from(c.month) - 1 + n));
    let Some(total) = total else {
        return Err(out_of_range());
    };
    let (year, month) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    let day = c.day.min(month_days(year, month));
    checked(
        Civil {
            year,
            month,
            day,
            ..c
        }
        .to_ms(),
    )
}

/// The month and day names .NET's invariant culture uses.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// How `println` shows a date: .NET's general format in the invariant culture,
/// `M/d/yyyy h:mm:ss tt` (`3/15/2024 10:30:45 AM`).
pub fn display(ms: i64) -> String {
    format(ms, "M/d/yyyy h:mm:ss tt")
}

/// `date.to_string(format)`: .NET's standard formats `d D t T g G f F s u o r` and the custom
/// specifiers `yyyy yy y MMMM MMM MM M dddd ddd dd d HH H hh h mm m ss s fff ff f tt t`, with
/// `'quoted'` and `\`-escaped literals; anything else is copied.
pub fn format(ms: i64, fmt: &str) -> String {
    let pattern = match fmt {
        "d" => "M/d/yyyy",
        "D" => "dddd, MMMM d, yyyy",
        "t" => "h:mm tt",
        "T" => "h:mm:ss tt",
        "g" => "M/d/yyyy h:mm tt",
        "" | "G" => "M/d/yyyy h:mm:ss tt",
        "f" => "dddd, MMMM d, yyyy h:mm tt",
        "F" => "dddd, MMMM d, yyyy h:mm:ss tt",
        "s" => "yyyy-MM-dd'T'HH:mm:ss",
        "u" => "yyyy-MM-dd HH:mm:ss'Z'",
        "o" | "O" => "yyyy-MM-dd'T'HH:mm:ss.fffffff",
        "r" | "R" => "ddd, dd MMM yyyy HH:mm:ss 'GMT'",
        other => other,
    };
    let c = Civil::of(ms);
    let hour12 = match c.hour % 12 {
        0 => 12,
        h => h,
    };
    let ampm = if c.hour < 12 { "AM" } else { "PM" };
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        let run = chars[i..].iter().take_while(|&&c| c == ch).count();
        let mut take = run;
        match ch {
            'y' => match run {
                1 => out.push_str(&(c.year % 100).to_string()),
                2 => out.push_str(&format!("{:02}", c.year % 100)),
                n => out.push_str(&format!("{:0width$}", c.year, width = n)),
            },
            'M' => match run {
                1 => out.push_str(&c.month.to_string()),
                2 => out.push_str(&format!("{:02}", c.month)),
                3 => out.push_str(&MONTHS[c.month as usize - 1][..3]),
                _ => out.push_str(MONTHS[c.month as usize - 1]),
            },
            'd' => match run {
                1 => out.push_str(&c.day.to_string()),
                2 => out.push_str(&format!("{:02}", c.day)),
                3 => out.push_str(&DAYS[weekday(ms) as usize][..3]),
                _ => out.push_str(DAYS[weekday(ms) as usize]),
            },
            'H' | 'h' | 'm' | 's' => {
                take = run.min(2);
                let v = match ch {
                    'H' => c.hour,
                    'h' => hour12,
                    'm' => c.minute,
                    _ => c.second,
                };
                if take == 2 {
                    out.push_str(&format!("{v:02}"));
                } else {
                    out.push_str(&v.to_string());
                }
            }
            'f' | 'F' => {
                take = run.min(7);
                // Tenths, hundredths, ... of a second; digits past milliseconds are zeros.
                let digits = format!("{:03}0000", c.milli);
                let part = &digits[..take];
                if ch == 'F' {
                    out.push_str(part.trim_end_matches('0'));
                } else {
                    out.push_str(part);
                }
            }
            't' => {
                if run == 1 {
                    out.push_str(&ampm[..1]);
                } else {
                    out.push_str(ampm);
                }
            }
            '\'' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == ch)
                    .map_or(chars.len(), |p| i + 1 + p);
                out.extend(&chars[i + 1..end]);
                take = end + 1 - i;
            }
            '\\' => {
                if let Some(&next) = chars.get(i + 1) {
                    out.push(next);
                }
                take = 2;
            }
            other => {
                take = 1;
                out.push(other);
            }
        }
        i += take;
    }
    out
}

/// `text.to_date()`: ISO 8601 dates and times (`2024-06-15`, `2024-06-15T10:30:00`,
/// `2024-06-15 10:30:00.250`, with `Z` or an offset, which is dropped) and `M/d/yyyy` with an
/// optional `h:mm[:ss] [AM|PM]` time, as .NET's `DateTime.TryParse` in the invariant culture
/// reads them. `None` if the text is none of these.
pub fn parse(text: &str) -> Option<i64> {
    let t = text.trim();
    let (date_part, time_part) = match t.find(['T', ' ']) {
        Some(i) => (&t[..i], t[i + 1..].trim()),
        None => (t, ""),
    };
    let (year, month, day) = if date_part.contains('-') {
        let mut p = date_part.splitn(3, '-');
        let y = p.next()?.parse().ok()?;
        let m = p.next()?.parse().ok()?;
        let d = p.next()?.parse().ok()?;
        (y, m, d)
    } else if date_part.contains('/') {
        let mut p = date_part.splitn(3, '/');
        let m = p.next()?.parse().ok()?;
        let d = p.next()?.parse().ok()?;
        let y = p.next()?.parse().ok()?;
        (y, m, d)
    } else {
        return None;
    };
    let (hour, minute, second, milli) = parse_time(time_part)?;
    Civil {
        year,
        month,
        day,
        hour,
        minute,
        second,
        milli,
    }
    .to_ms()
}

/// `h:mm[:ss[.fff]] [AM|PM]`, ignoring a trailing `Z` or `+hh:mm` offset; `""` is midnight.
fn parse_time(text: &str) -> Option<(u32, u32, u32, u32)> {
    if text.is_empty() {
        return Some((0, 0, 0, 0));
    }
    let upper = text.to_ascii_uppercase();
    let (clock, meridiem) = match upper
        .strip_suffix("PM")
        .or_else(|| upper.strip_suffix("AM"))
    {
        Some(rest) => (rest.trim().to_string(), Some(upper.ends_with("PM"))),
        None => (upper.clone(), None),
    };
    let clock = clock.trim_end_matches('Z');
    let clock = match clock.rfind(['+', '-']) {
        Some(i) if i > 0 => &clock[..i],
        _ => clock,
    };
    let mut parts = clock.split(':');
    let mut hour: u32 = parts.next()?.trim().parse().ok()?;
    let minute: u32 = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    let (second, milli) = match parts.next() {
        None => (0, 0),
        Some(s) => match s.split_once('.') {
            Some((sec, frac)) => {
                let digits: String = frac.chars().chain("000".chars()).take(3).collect();
                (sec.parse().ok()?, digits.parse().ok()?)
            }
            None => (s.parse().ok()?, 0),
        },
    };
    if parts.next().is_some() {
        return None;
    }
    match meridiem {
        Some(pm) if (1..=12).contains(&hour) => hour = hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => {}
    }
    Some((hour, minute, second, milli))
}

/// `text.to_date(format)`: `text` read with a .NET custom format (`dd/MM/yyyy`,
/// `yyyy-MM-dd HH:mm:ss`, ...): the numeric specifiers `yyyy yy MM M dd d HH H hh h mm m ss s
/// fff tt`, and literal characters that must match. `None` if it does not match.
pub fn parse_exact(text: &str, fmt: &str) -> Option<i64> {
    let f: Vec<char> = fmt.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut i, mut j) = (0, 0);
    let mut c = Civil {
        year: 1,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        milli: 0,
    };
    let mut pm = None;
    let mut twelve = false;
    while i < f.len() {
        let ch = f[i];
        let run = f[i..].iter().take_while(|&&x| x == ch).count();
        let mut number = |max_digits: usize| digits(&t, &mut j, max_digits);
        match ch {
            'y' => {
                let n = number(if run <= 2 { 2 } else { run.max(4) })?;
                c.year = if run <= 2 { 2000 + n } else { n };
            }
            'M' => c.month = u32::try_from(number(2)?).ok()?,
            'd' => c.day = u32::try_from(number(2)?).ok()?,
            'H' => c.hour = u32::try_from(number(2)?).ok()?,
            'h' => {
                c.hour = u32::try_from(number(2)?).ok()?;
                twelve = true;
            }
            'm' => c.minute = u32::try_from(number(2)?).ok()?,
            's' => c.second = u32::try_from(number(2)?).ok()?,
            'f' => {
                let start = j;
                let n = digits(&t, &mut j, run)?;
                let width = u32::try_from(j - start).ok()?;
                c.milli = u32::try_from(n * 1000 / 10i64.pow(width)).ok()?;
            }
            't' => {
                let word: String = t[j..]
                    .iter()
                    .take(2)
                    .collect::<String>()
                    .to_ascii_uppercase();
                pm = Some(word.starts_with('P'));
                j += if word.len() == 2 && word.ends_with('M') {
                    2
                } else {
                    1
                };
            }
            literal => {
                for _ in 0..run {
                    if t.get(j) != Some(&literal) {
                        return None;
                    }
                    j += 1;
                }
            }
        }
        i += run;
    }
    if j != t.len() {
        return None;
    }
    if let (true, Some(is_pm)) = (twelve, pm) {
        c.hour = c.hour % 12 + if is_pm { 12 } else { 0 };
    }
    c.to_ms()
}

/// Up to `max` digits of `t` from `*j` (advanced past them) as a number.
fn digits(t: &[char], j: &mut usize, max: usize) -> Option<i64> {
    let start = *j;
    while *j < t.len() && *j - start < max && t[*j].is_ascii_digit() {
        *j += 1;
    }
    t[start..*j].iter().collect::<String>().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> i64 {
        Civil {
            year: y,
            month: mo,
            day: d,
            hour: h,
            minute: mi,
            second: s,
            milli: ms,
        }
        .to_ms()
        .expect("valid")
    }

    #[test]
    fn civil_round_trip_and_range() {
        for ms in [0, MIN, MAX, -1, 951_782_400_000, 1_718_409_600_000] {
            assert_eq!(Civil::of(ms).to_ms(), Some(ms), "{ms}");
        }
        assert_eq!(at(1, 1, 1, 0, 0, 0, 0), MIN);
        assert_eq!(at(9999, 12, 31, 23, 59, 59, 999), MAX);
        assert!(Civil {
            day: 30,
            month: 2,
            ..Civil::of(0)
        }
        .to_ms()
        .is_none());
    }

    #[test]
    fn components() {
        let base = at(2024, 3, 15, 10, 30, 45, 500);
        assert_eq!(weekday(base), 5);
        assert_eq!(yearday(base), 75);
        assert_eq!(display(base), "3/15/2024 10:30:45 AM");
        assert_eq!(
            format(base, "yyyy-MM-dd HH:mm:ss.fff"),
            "2024-03-15 10:30:45.500"
        );
        assert_eq!(
            format(base, "dddd, MMMM d 'at' h tt"),
            "Friday, March 15 at 10 AM"
        );
        assert_eq!(
            format(at(2024, 1, 2, 0, 5, 0, 0), "MM/dd/yyyy h:mm tt"),
            "01/02/2024 12:05 AM"
        );
        assert!(
            matches!(add_months(at(2024, 1, 31, 0, 0, 0, 0), 1), Ok(Value::Date(ms)) if ms == at(2024, 2, 29, 0, 0, 0, 0))
        );
    }

    #[test]
    fn parsing() {
        assert_eq!(parse("2024-06-15"), Some(at(2024, 6, 15, 0, 0, 0, 0)));
        assert_eq!(
            parse("2024-06-15T10:30:00.25Z"),
            Some(at(2024, 6, 15, 10, 30, 0, 250))
        );
        assert_eq!(
            parse("6/15/2024 1:05 PM"),
            Some(at(2024, 6, 15, 13, 5, 0, 0))
        );
        assert_eq!(parse("2024-02-30"), None);
        assert_eq!(parse("soon"), None);
        assert_eq!(
            parse_exact("15/06/2024", "dd/MM/yyyy"),
            Some(at(2024, 6, 15, 0, 0, 0, 0))
        );
        assert_eq!(
            parse_exact("2024-06-15 07:08 PM", "yyyy-MM-dd hh:mm tt"),
            Some(at(2024, 6, 15, 19, 8, 0, 0))
        );
        assert_eq!(parse_exact("15-06-2024", "dd/MM/yyyy"), None);
    }
}

//! .NET `"F<n>"` fixed-point formatting: exact decimal value, midpoints rounded away from zero
//! (Rust's `{:.n}` rounds them to even, so `0.125` would give `0.12` instead of `0.13`).

/// Formats `x` with exactly `prec` decimals the way .NET's invariant `ToString("F<prec>")` does.
pub fn format_fixed(x: f64, prec: usize) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Enough extra digits that only a true midpoint can look like "5000…".
    const GUARD: usize = 25;
    let wide = format!("{:.*}", prec + GUARD, x.abs());
    let cut = wide.len() - GUARD;
    let tail = &wide[cut..];
    let round_up = match tail.as_bytes()[0] {
        b'5' if tail[1..].bytes().all(|b| b == b'0') => {
            // Every finite f64 has at most 1074 fractional digits, so this is exact.
            let exact = format!("{:.1100}", x.abs());
            let dot = exact.find('.').unwrap_or(exact.len());
            let rest = exact.get(dot + 1 + prec..).unwrap_or("");
            // With exact digits, "away from zero" is simply: first dropped digit >= 5.
            rest.as_bytes().first().is_some_and(|&d| d >= b'5')
        }
        d => d >= b'5',
    };
    let mut digits: Vec<u8> = wide[..cut].bytes().collect();
    if digits.last() == Some(&b'.') {
        digits.pop();
    }
    if round_up {
        increment(&mut digits);
    }
    let mut out = String::with_capacity(digits.len() + 1);
    if x.is_sign_negative() {
        out.push('-');
    }
    out.extend(digits.iter().map(|&b| b as char));
    out
}

/// Adds one unit in the last place to a decimal digit string (with an optional '.').
fn increment(digits: &mut Vec<u8>) {
    for d in digits.iter_mut().rev() {
        match *d {
            b'.' => continue,
            b'9' => *d = b'0',
            _ => {
                *d += 1;
                return;
            }
        }
    }
    digits.insert(0, b'1');
}

/// An integer in `"F<prec>"` form: the digits followed by `prec` zeros.
pub fn format_fixed_int(i: i64, prec: usize) -> String {
    if prec == 0 {
        i.to_string()
    } else {
        format!("{i}.{}", "0".repeat(prec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midpoints_round_away_from_zero() {
        assert_eq!(format_fixed(2.5, 0), "3");
        assert_eq!(format_fixed(3.5, 0), "4");
        assert_eq!(format_fixed(-2.5, 0), "-3");
        assert_eq!(format_fixed(0.125, 2), "0.13");
        assert_eq!(format_fixed(9.995, 2), "9.99"); // 9.995 is really 9.99499999…
        assert_eq!(format_fixed(9.5, 0), "10");
        assert_eq!(format_fixed(99.96, 1), "100.0");
    }

    #[test]
    fn plain_cases() {
        assert_eq!(format_fixed(2.5, 2), "2.50");
        assert_eq!(format_fixed(1.0 / 3.0, 4), "0.3333");
        assert_eq!(format_fixed(0.0, 1), "0.0");
        assert_eq!(format_fixed(-0.0, 1), "-0.0");
        assert_eq!(format_fixed(-0.001, 2), "-0.00");
        assert_eq!(format_fixed(1e20, 0), "100000000000000000000");
        assert_eq!(format_fixed(f64::NAN, 2), "NaN");
        assert_eq!(format_fixed(f64::NEG_INFINITY, 2), "-Infinity");
        assert_eq!(format_fixed(f64::MIN_POSITIVE, 3), "0.000");
    }

    #[test]
    fn integers() {
        assert_eq!(format_fixed_int(5, 2), "5.00");
        assert_eq!(format_fixed_int(-5, 0), "-5");
    }
}

//! The `stat` package: descriptive statistics over lists of numbers (upstream's
//! `docs/lib/stat.md`). Results follow upstream's: `sum`, `min`, `max`, `range` and an
//! odd-sized `median` keep the numbers' type; means, variances and the rest are floats;
//! variance, stdev, covariance, correlation and zscore are the sample forms unless
//! `population` is asked for. A list without numbers enough for a statistic is a `ValueError`,
//! a value that is not a number a `TypeError`.

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::format;
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::{Key, Map, Value};

/// The `stat` package.
pub const PACKAGE: Package = Package {
    name: "stat",
    functions: &[
        NativeFn::pure("sum", Arity::exactly(1), |a| {
            sum(&items("stat::sum", a, 0)?)
        }),
        NativeFn::pure("min", Arity::exactly(1), |a| list_method(&a[0], "min")),
        NativeFn::pure("max", Arity::exactly(1), |a| list_method(&a[0], "max")),
        NativeFn::pure("range", Arity::exactly(1), |a| {
            let (lo, hi) = (list_method(&a[0], "min")?, list_method(&a[0], "max")?);
            kiwi_vm::ops::binary(kiwi_syntax::ast::BinOp::Sub, &hi, &lo)
        }),
        NativeFn::pure("mean", Arity::exactly(1), |a| {
            Ok(Value::Float(mean(&floats("stat::mean", a, 0, 1)?)))
        }),
        NativeFn::pure("sorted", Arity::exactly(1), |a| {
            Ok(Value::list(sorted(&items("stat::sorted", a, 0)?)))
        }),
        NativeFn::pure("median", Arity::exactly(1), median),
        NativeFn::pure("mode", Arity::exactly(1), mode),
        NativeFn::pure("variance", Arity::between(1, 2), |a| {
            Ok(Value::Float(variance(
                &floats("stat::variance", a, 0, 2)?,
                population(a),
            )))
        }),
        NativeFn::pure("stdev", Arity::between(1, 2), |a| {
            Ok(Value::Float(
                variance(&floats("stat::stdev", a, 0, 2)?, population(a)).sqrt(),
            ))
        }),
        NativeFn::pure("percentile", Arity::exactly(2), percentile),
        NativeFn::pure("covariance", Arity::exactly(2), |a| {
            let (x, y) = pair("stat::covariance", a)?;
            Ok(Value::Float(covariance(&x, &y)))
        }),
        NativeFn::pure("correlation", Arity::exactly(2), |a| {
            let (x, y) = pair("stat::correlation", a)?;
            let spread = variance(&x, false).sqrt() * variance(&y, false).sqrt();
            Ok(Value::Float(covariance(&x, &y) / spread))
        }),
        NativeFn::pure("zscore", Arity::exactly(1), |a| {
            let xs = floats("stat::zscore", a, 0, 2)?;
            let (m, s) = (mean(&xs), variance(&xs, false).sqrt());
            Ok(Value::list(
                xs.iter().map(|x| Value::Float((x - m) / s)).collect(),
            ))
        }),
        NativeFn::pure("frequency", Arity::exactly(1), |a| {
            let counts = counts(&items("stat::frequency", a, 0)?);
            Ok(Value::map(
                counts
                    .into_iter()
                    .map(|(k, n)| (Key(Value::str(k)), Value::Int(n)))
                    .collect::<Map>(),
            ))
        }),
        NativeFn::pure("normalize", Arity::exactly(1), |a| {
            let xs = floats("stat::normalize", a, 0, 1)?;
            let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let span = hi - lo;
            Ok(Value::list(
                xs.iter()
                    .map(|x| Value::Float(if span == 0.0 { 0.0 } else { (x - lo) / span }))
                    .collect(),
            ))
        }),
    ],
};

/// The list argument `i`'s items.
fn items(name: &str, args: &[Value], i: usize) -> KResult<Vec<Value>> {
    match &args[i] {
        Value::List(l) => Ok(l.borrow().to_vec()),
        other => Err(check::expected(name, i, "List", other)),
    }
}

/// The list argument `i` as floats, at least `min` of them.
fn floats(name: &str, args: &[Value], i: usize, min: usize) -> KResult<Vec<f64>> {
    let xs = items(name, args, i)?
        .iter()
        .map(|v| match v {
            Value::Int(n) => Ok(*n as f64),
            Value::Float(f) => Ok(*f),
            other => Err(KiwiError::custom(
                "TypeError",
                format!("{name}: {} is not a number.", format::to_display(other)),
            )),
        })
        .collect::<KResult<Vec<f64>>>()?;
    if xs.len() < min {
        return Err(KiwiError::custom(
            "ValueError",
            format!("{name} needs at least {min} value(s), got {}.", xs.len()),
        ));
    }
    Ok(xs)
}

fn population(args: &[Value]) -> bool {
    args.get(1).is_some_and(Value::truthy)
}

fn pair(name: &str, args: &[Value]) -> KResult<(Vec<f64>, Vec<f64>)> {
    let (x, y) = (floats(name, args, 0, 2)?, floats(name, args, 1, 2)?);
    if x.len() != y.len() {
        return Err(KiwiError::custom(
            "ValueError",
            format!(
                "{name}: the lists differ in length ({} and {}).",
                x.len(),
                y.len()
            ),
        ));
    }
    Ok((x, y))
}

fn list_method(v: &Value, method: &str) -> KResult<Value> {
    crate::builtin_method(v, method, &[], || {
        KiwiError::custom("TypeError", format!("stat::{method}: expected a list."))
    })
}

/// The sum, an integer while every item is one.
fn sum(items: &[Value]) -> KResult<Value> {
    items.iter().try_fold(Value::Int(0), |acc, x| match x {
        Value::Int(_) | Value::Float(_) => {
            kiwi_vm::ops::binary(kiwi_syntax::ast::BinOp::Add, &acc, x)
        }
        other => Err(KiwiError::custom(
            "TypeError",
            format!("stat::sum: {} is not a number.", format::to_display(other)),
        )),
    })
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn variance(xs: &[f64], population: bool) -> f64 {
    let m = mean(xs);
    let squares: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    squares
        / if population {
            xs.len() as f64
        } else {
            (xs.len() - 1) as f64
        }
}

fn covariance(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let total: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    total / (x.len() - 1) as f64
}

fn sorted(items: &[Value]) -> Vec<Value> {
    let mut copy = items.to_vec();
    copy.sort_by(kiwi_vm::ops::total_cmp);
    copy
}

/// `median(data)`: the middle item of an odd count (its own type), else the float mean of
/// the two middle ones.
fn median(args: &[Value]) -> KResult<Value> {
    floats("stat::median", args, 0, 1)?;
    let s = sorted(&items("stat::median", args, 0)?);
    let n = s.len();
    if n % 2 == 1 {
        return Ok(s[n / 2].clone());
    }
    let as_f64 = |v: &Value| match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    };
    Ok(Value::Float(
        (as_f64(&s[n / 2 - 1]) + as_f64(&s[n / 2])) / 2.0,
    ))
}

/// How often each item occurs, by its printed form, in order of first appearance.
fn counts(items: &[Value]) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    for item in items {
        let key = format::to_display(item);
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => out.push((key, 1)),
        }
    }
    out
}

/// `mode(data)`: every item of the highest count, once each, in order of first appearance.
fn mode(args: &[Value]) -> KResult<Value> {
    let all = items("stat::mode", args, 0)?;
    let counts = counts(&all);
    let top = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for item in all {
        let key = format::to_display(&item);
        let n = counts
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(0, |(_, n)| *n);
        if n == top && !seen.contains(&key) {
            seen.push(key);
            out.push(item);
        }
    }
    Ok(Value::list(out))
}

/// `percentile(data, p)`: linear interpolation between the closest ranks (p from 0 to 100).
fn percentile(args: &[Value]) -> KResult<Value> {
    let mut xs = floats("stat::percentile", args, 0, 1)?;
    let p = match &args[1] {
        Value::Int(n) => *n as f64,
        Value::Float(f) => *f,
        other => return Err(check::expected("stat::percentile", 1, "Number", other)),
    };
    if !(0.0..=100.0).contains(&p) {
        return Err(KiwiError::custom(
            "ValueError",
            format!("stat::percentile: p must be from 0 to 100, not {p}."),
        ));
    }
    xs.sort_by(f64::total_cmp);
    let idx = p / 100.0 * (xs.len() - 1) as f64;
    let (lo, hi) = (idx.floor() as usize, idx.ceil() as usize);
    Ok(Value::Float(xs[lo] + (xs[hi] - xs[lo]) * (idx - lo as f64)))
}

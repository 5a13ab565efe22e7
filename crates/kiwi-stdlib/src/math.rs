//! The `math` package. As upstream, most functions take floats only (`math::sqrt(4)` is a
//! `ParameterTypeMismatchError`); messages name upstream's internal builtins (`__round__`).

use rand::Rng;

use kiwi_vm::error::KResult;
use kiwi_vm::methods::check::{self, value_error};
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::Value;

/// One `math::name(x)` entry for a float function (errors name upstream's `__name__`).
macro_rules! unary {
    ($name:literal, $f:expr) => {
        NativeFn::pure($name, Arity::exactly(1), |a| {
            let x = check::float_arg(concat!("__", $name, "__"), a, 0)?;
            Ok(Value::Float($f(x)))
        })
    };
}

/// The `math` package.
pub const PACKAGE: Package = Package {
    name: "math",
    functions: &[
        NativeFn::pure("random", Arity::between(0, 2), random),
        NativeFn::pure("round", Arity::between(1, 2), round),
        NativeFn::pure("abs", Arity::exactly(1), abs),
        NativeFn::pure("min", Arity::exactly(2), |a| min_max("min", a)),
        NativeFn::pure("max", Arity::exactly(2), |a| min_max("max", a)),
        NativeFn::pure("pow", Arity::exactly(2), |a| {
            binary("__pow__", a, f64::powf)
        }),
        NativeFn::pure("atan2", Arity::exactly(2), |a| {
            binary("__atan2__", a, f64::atan2)
        }),
        NativeFn::pure("hypot", Arity::exactly(2), |a| {
            binary("__hypot__", a, f64::hypot)
        }),
        NativeFn::pure("fmod", Arity::exactly(2), |a| {
            binary("__fmod__", a, |x, y| x % y)
        }),
        NativeFn::pure("log", Arity::between(1, 2), log),
        unary!("floor", f64::floor),
        unary!("ceil", f64::ceil),
        unary!("sqrt", f64::sqrt),
        unary!("trunc", f64::trunc),
        unary!("cbrt", f64::cbrt),
        unary!("exp", f64::exp),
        unary!("log2", f64::log2),
        unary!("log10", f64::log10),
        unary!("sin", f64::sin),
        unary!("cos", f64::cos),
        unary!("tan", f64::tan),
        unary!("asin", f64::asin),
        unary!("acos", f64::acos),
        unary!("atan", f64::atan),
        unary!("sinh", f64::sinh),
        unary!("cosh", f64::cosh),
        unary!("tanh", f64::tanh),
        unary!("log1p", f64::ln_1p),
        unary!("expm1", f64::exp_m1),
        unary!("erf", libm::erf),
        unary!("erfc", libm::erfc),
        unary!("lgamma", libm::lgamma),
        unary!("tgamma", libm::tgamma),
        NativeFn::pure("remainder", Arity::exactly(2), |a| {
            binary("__remainder__", a, libm::remainder)
        }),
        NativeFn::pure("copysign", Arity::exactly(2), |a| {
            binary("__copysign__", a, f64::copysign)
        }),
        NativeFn::pure("nextafter", Arity::exactly(2), |a| {
            binary("__nextafter__", a, libm::nextafter)
        }),
        NativeFn::pure("fmax", Arity::exactly(2), |a| {
            binary("__fmax__", a, f64::max)
        }),
        NativeFn::pure("fmin", Arity::exactly(2), |a| {
            binary("__fmin__", a, f64::min)
        }),
        NativeFn::pure("fdim", Arity::exactly(2), |a| {
            binary("__fdim__", a, libm::fdim)
        }),
        NativeFn::pure("isfinite", Arity::exactly(1), |a| {
            test("__isfinite__", a, f64::is_finite)
        }),
        NativeFn::pure("isinf", Arity::exactly(1), |a| {
            test("__isinf__", a, f64::is_infinite)
        }),
        NativeFn::pure("isnan", Arity::exactly(1), |a| {
            test("__isnan__", a, f64::is_nan)
        }),
        NativeFn::pure("isnormal", Arity::exactly(1), |a| {
            test("__isnormal__", a, f64::is_normal)
        }),
        // .NET's double.Epsilon: the smallest positive double, as upstream's `__eps__`.
        NativeFn::pure("epsilon", Arity::exactly(0), |_| {
            Ok(Value::Float(f64::from_bits(1)))
        }),
        NativeFn::pure("eps", Arity::between(0, 1), |a| {
            // As upstream: anything but an integer 1..=15 means the default, 9.
            let n = match a.first() {
                Some(Value::Int(n)) if (1..=15).contains(n) => *n as i32,
                _ => 9,
            };
            Ok(Value::Float(10f64.powi(-n)))
        }),
        NativeFn::pure("random_set", Arity::exactly(3), random_set),
        NativeFn::pure("listprimes", Arity::exactly(1), |a| {
            let limit = check::int_arg("__listprimes__", a, 0)?;
            Ok(Value::list(
                primes_up_to(limit)?.into_iter().map(Value::Int).collect(),
            ))
        }),
        NativeFn::pure("nthprime", Arity::exactly(1), nthprime),
        NativeFn::pure("ediv", Arity::exactly(2), |a| {
            euclid("math::ediv", a).map(|(q, _)| q)
        }),
        NativeFn::pure("emod", Arity::exactly(2), |a| {
            euclid("math::emod", a).map(|(_, r)| r)
        }),
        NativeFn::pure("divmod", Arity::exactly(2), |a| {
            euclid("math::divmod", a).map(|(q, r)| Value::list(vec![q, r]))
        }),
    ],
};

/// A float predicate.
fn test(name: &str, args: &[Value], f: fn(f64) -> bool) -> KResult<Value> {
    Ok(Value::Bool(f(check::float_arg(name, args, 0)?)))
}

/// Largest bound `listprimes` / `nthprime` sieve up to (a sieve of bytes this long).
const MAX_SIEVE: i64 = 1 << 27;

/// The primes `<= limit`, by a sieve of Eratosthenes.
fn primes_up_to(limit: i64) -> KResult<Vec<i64>> {
    if limit > MAX_SIEVE {
        return Err(value_error(format!(
            "`math::listprimes` limit must be at most {MAX_SIEVE}."
        )));
    }
    if limit < 2 {
        return Ok(Vec::new());
    }
    let n = limit as usize;
    let mut composite = vec![false; n + 1];
    let mut primes = Vec::new();
    for i in 2..=n {
        if composite[i] {
            continue;
        }
        primes.push(i as i64);
        let mut j = i * i;
        while j <= n {
            composite[j] = true;
            j += i;
        }
    }
    Ok(primes)
}

/// `nthprime(n)`: the n-th prime, counting 2 as the first.
fn nthprime(args: &[Value]) -> KResult<Value> {
    let n = check::int_arg("__nthprime__", args, 0)?;
    if n < 1 {
        return Err(value_error("`math::nthprime` needs n >= 1."));
    }
    // The n-th prime is below n (ln n + ln ln n) for n >= 6.
    let x = n.max(6) as f64;
    let bound = (x * (x.ln() + x.ln().ln())).ceil() as i64;
    let primes = primes_up_to(bound)?;
    Ok(Value::Int(primes[(n - 1) as usize]))
}

/// `random_set(x, y, n)`: `n` distinct integers from `[min, max]` in random order; none when
/// the range holds fewer than `n`.
fn random_set(args: &[Value]) -> KResult<Value> {
    let x = check::int_arg("__random_set__", args, 0)?;
    let y = check::int_arg("__random_set__", args, 1)?;
    let n = check::int_arg("__random_set__", args, 2)?;
    let (lo, hi) = (x.min(y), x.max(y));
    let span = hi
        .checked_sub(lo)
        .and_then(|d| d.checked_add(1))
        .unwrap_or(i64::MAX);
    if n <= 0 || span < n {
        return Ok(Value::list(Vec::new()));
    }
    if n > MAX_RANDOM_LEN {
        return Err(value_error(format!(
            "`math::random_set` can produce at most {MAX_RANDOM_LEN} items."
        )));
    }
    let sample = rand::seq::index::sample(&mut rand::rng(), span as usize, n as usize);
    Ok(Value::list(
        sample
            .into_iter()
            .map(|i| Value::Int(lo + i as i64))
            .collect(),
    ))
}

/// Euclidean quotient and remainder (`0 <= r < |divisor|`), integers for integers.
fn euclid(name: &str, args: &[Value]) -> KResult<(Value, Value)> {
    let zero =
        || kiwi_vm::error::KiwiError::custom("DivideByZeroError", "Attempted to divide by zero.");
    match (&args[0], &args[1]) {
        (Value::Int(a), Value::Int(b)) => {
            if *b == 0 {
                return Err(zero());
            }
            Ok((
                Value::Int(a.wrapping_div_euclid(*b)),
                Value::Int(a.wrapping_rem_euclid(*b)),
            ))
        }
        _ => {
            let a = check::num_arg(name, args, 0)?;
            let b = check::num_arg(name, args, 1)?;
            if b == 0.0 {
                return Err(zero());
            }
            Ok((Value::Float(a.div_euclid(b)), Value::Float(a.rem_euclid(b))))
        }
    }
}

fn binary(name: &str, args: &[Value], f: fn(f64, f64) -> f64) -> KResult<Value> {
    let x = check::float_arg(name, args, 0)?;
    let y = check::float_arg(name, args, 1)?;
    Ok(Value::Float(f(x, y)))
}

/// `math::log(x)` or `math::log(x, base)`.
fn log(args: &[Value]) -> KResult<Value> {
    let x = check::float_arg("__log__", args, 0)?;
    if args.len() == 2 {
        let base = check::float_arg("__log__", args, 1)?;
        return Ok(Value::Float(x.ln() / base.ln()));
    }
    Ok(Value::Float(x.ln()))
}

/// Longest string or list `math::random(chars, n)` may build.
const MAX_RANDOM_LEN: i64 = 1 << 24;

/// `random()`: [0, 1). `random(a, b)`: ints give an int in `[min, max]`; with a float, a float
/// in `[min, max)`. Also upstream's `random(chars, n)` / `random(list, n)` pickers.
fn random(args: &[Value]) -> KResult<Value> {
    if !args.is_empty() && args.len() != 2 {
        return Err(check::count_error("__random__"));
    }
    let mut rng = rand::rng();
    let (a, b) = match args {
        [] => return Ok(Value::Float(rng.random::<f64>())),
        [a, b] => (a, b),
        _ => unreachable!("checked above"),
    };
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let (lo, hi) = ((*x).min(*y), (*x).max(*y));
            Ok(Value::Int(rng.random_range(lo..=hi)))
        }
        (Value::Str(chars), Value::Int(n)) => {
            let pool: Vec<char> = chars.chars().collect();
            let n = picks(*n, pool.len())?;
            Ok(Value::str(
                (0..n)
                    .map(|_| pool[rng.random_range(0..pool.len())])
                    .collect::<String>(),
            ))
        }
        (Value::List(items), Value::Int(n)) => {
            let pool = items.borrow().clone();
            let n = picks(*n, pool.len())?;
            Ok(Value::list(
                (0..n)
                    .map(|_| pool[rng.random_range(0..pool.len())].clone())
                    .collect(),
            ))
        }
        _ => {
            let x = check::num_arg("__random__", args, 0)?;
            let y = check::num_arg("__random__", args, 1)?;
            let (lo, hi) = (x.min(y), x.max(y));
            Ok(Value::Float(lo + (hi - lo) * rng.random::<f64>()))
        }
    }
}

/// How many items `random(pool, n)` picks; an empty pool can give none.
fn picks(n: i64, pool: usize) -> KResult<usize> {
    if n > MAX_RANDOM_LEN {
        return Err(value_error(format!(
            "`math::random` can produce at most {MAX_RANDOM_LEN} items."
        )));
    }
    let n = usize::try_from(n).unwrap_or(0);
    if n > 0 && pool == 0 {
        return Err(value_error("`math::random` needs a non-empty pool."));
    }
    Ok(n)
}

/// `round(x, digits = 0)`: `x` must be a float; midpoints go to even; the result is a float.
fn round(args: &[Value]) -> KResult<Value> {
    let x = check::float_arg("__round__", args, 0)?;
    let digits = match args.get(1) {
        None | Some(Value::Null) => 0,
        Some(_) => check::int_arg("__round__", args, 1)?,
    };
    if !(0..=15).contains(&digits) {
        return Err(value_error(
            "Rounding digits must be between 0 and 15, inclusive.",
        ));
    }
    Ok(Value::Float(round_to_even(x, digits as i32)))
}

/// .NET `Math.Round(x, digits)` with `MidpointRounding.ToEven`.
fn round_to_even(x: f64, digits: i32) -> f64 {
    if digits == 0 {
        return x.round_ties_even();
    }
    // .NET leaves values this large alone: they have no fractional digits to round.
    if x.abs() >= 1e16 {
        return x;
    }
    let p = 10f64.powi(digits);
    (x * p).round_ties_even() / p
}

/// `abs(x)` keeps the type; `abs` of the most negative int wraps, like unary minus.
fn abs(args: &[Value]) -> KResult<Value> {
    match &args[0] {
        Value::Int(i) => Ok(Value::Int(i.wrapping_abs())),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        other => Err(check::expected("__abs__", 0, "Number", other)),
    }
}

/// `min(a, b)` / `max(a, b)` of two numbers; the chosen value keeps its type.
fn min_max(name: &str, args: &[Value]) -> KResult<Value> {
    let full = format!("math::{name}");
    check::num_arg(&full, args, 0)?;
    check::num_arg(&full, args, 1)?;
    let (a, b) = (&args[0], &args[1]);
    let a_first = match (a, b) {
        (Value::Int(x), Value::Int(y)) => (x <= y) == (name == "min"),
        _ => {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            (x <= y) == (name == "min")
        }
    };
    Ok(if a_first { a.clone() } else { b.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, args: &[Value]) -> KResult<Value> {
        crate::call_plain(&PACKAGE, name, args, &Default::default()).expect("function exists")
    }

    fn float(v: KResult<Value>) -> f64 {
        match v {
            Ok(Value::Float(f)) => f,
            Ok(other) => panic!("not a float: {}", other.type_name()),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn round_half_to_even() {
        assert_eq!(float(run("round", &[Value::Float(2.5)])), 2.0);
        assert_eq!(float(run("round", &[Value::Float(3.5)])), 4.0);
        assert_eq!(float(run("round", &[Value::Float(-2.5)])), -2.0);
        assert_eq!(
            float(run("round", &[Value::Float(1.2345), Value::Int(2)])),
            1.23
        );
        assert_eq!(
            float(run("round", &[Value::Float(0.125), Value::Int(2)])),
            0.12
        );
        let e = run("round", &[Value::Int(2)]).unwrap_err();
        assert_eq!(e.error.as_ref(), "ParameterTypeMismatchError");
        assert_eq!(
            e.message.as_ref(),
            "The type for parameter 0 of `__round__` is not an expected type. Expected Float but received Integer."
        );
        assert_eq!(
            run("round", &[Value::Float(1.0), Value::Int(16)])
                .unwrap_err()
                .error
                .as_ref(),
            "ValueError"
        );
        assert!(run("round", &[]).is_err());
    }

    #[test]
    fn random_ranges() {
        for _ in 0..200 {
            match run("random", &[Value::Int(5), Value::Int(3)]) {
                Ok(Value::Int(i)) => assert!((3..=5).contains(&i)),
                _ => panic!(),
            }
            let f = float(run("random", &[Value::Float(1.0), Value::Int(2)]));
            assert!((1.0..=2.0).contains(&f));
        }
        assert!(matches!(
            run("random", &[Value::Int(i64::MIN), Value::Int(i64::MAX)]),
            Ok(Value::Int(_))
        ));
        assert!(
            matches!(run("random", &[Value::str("ab"), Value::Int(4)]), Ok(Value::Str(s)) if s.len() == 4)
        );
        assert!(run("random", &[Value::str(""), Value::Int(4)]).is_err());
        assert!(run("random", &[Value::str("a"), Value::Int(i64::MAX)]).is_err());
        assert!(run("random", &[Value::Int(1)]).is_err());
    }

    #[test]
    fn float_functions() {
        assert_eq!(float(run("floor", &[Value::Float(-1.5)])), -2.0);
        assert_eq!(float(run("ceil", &[Value::Float(1.2)])), 2.0);
        assert_eq!(float(run("sqrt", &[Value::Float(9.0)])), 3.0);
        assert_eq!(
            float(run("pow", &[Value::Float(2.0), Value::Float(10.0)])),
            1024.0
        );
        assert_eq!(
            run("sqrt", &[Value::Int(9)]).unwrap_err().error.as_ref(),
            "ParameterTypeMismatchError"
        );
        assert!(matches!(run("abs", &[Value::Int(-3)]), Ok(Value::Int(3))));
        assert!(matches!(
            run("abs", &[Value::Int(i64::MIN)]),
            Ok(Value::Int(i64::MIN))
        ));
        assert_eq!(float(run("abs", &[Value::Float(-0.5)])), 0.5);
        assert!(matches!(
            run("min", &[Value::Int(3), Value::Float(2.5)]),
            Ok(Value::Float(_))
        ));
        assert!(matches!(
            run("max", &[Value::Int(3), Value::Float(2.5)]),
            Ok(Value::Int(3))
        ));
        assert!(float(run("log", &[Value::Float(8.0), Value::Float(2.0)])) - 3.0 < 1e-12);
    }
}

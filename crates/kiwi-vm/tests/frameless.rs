//! Methods that run without a frame (getters, and a built-in package's wrappers of one
//! native) give what their frame would: arguments, defaults, extra arguments, a native that
//! suspends, one that calls back into Kiwi before its result is awaited, and errors.

use std::path::Path;

use kiwi_vm::error::KResult;
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::value::Value;
use kiwi_vm::RunState;

mod common;
use common::Buffer;

/// The Kiwi half of the `probe` package: every method below has a frameless body.
const PROBE_SOURCE: &str = r#"
package probe
  fn make()
    Probe.new()
  end
  # A Kiwi helper the `__later__` native calls back: the id of a task doubling `x`.
  fn start(x)
    task::spawn(with (n) do n * 2 end, [x])
  end
end

struct Probe
  fn new()
    @id = 7
    @items = [1]
  end
  fn id() @id end
  fn items() @items end
  fn args(a, b = "default") probe::__args__(@id, a, b, 3, null) end
  fn nap(ms) probe::__nap__(ms) end
  fn later(x) task::await(probe::__later__(x)) end
  fn pair(a, b) probe::__args__(@id, a, b) end
  fn later_of(x) task::await(probe::__later_of__(@id, x)) end
  fn fail(message) probe::__fail__(message) end
end
"#;

fn args(_: &mut NativeCx<'_>, a: &[Value]) -> KResult<Reply> {
    Ok(Reply::Value(Value::list(a.to_vec())))
}

fn nap(cx: &mut NativeCx<'_>, a: &[Value]) -> KResult<Reply> {
    let ms = match a.first() {
        Some(Value::Int(ms)) => *ms,
        _ => 0,
    };
    Ok(cx.sleep(ms))
}

fn later(cx: &mut NativeCx<'_>, a: &[Value]) -> KResult<Reply> {
    cx.call_function("probe::start", a.to_vec())
}

/// `later` for a method that passes its instance's id first.
fn later_of(cx: &mut NativeCx<'_>, a: &[Value]) -> KResult<Reply> {
    cx.call_function("probe::start", a[1..].to_vec())
}

fn fail(_: &mut NativeCx<'_>, a: &[Value]) -> KResult<Reply> {
    let message = kiwi_vm::format::to_display(a.first().unwrap_or(&Value::Null));
    Err(kiwi_vm::error::KiwiError::custom("ProbeError", message))
}

static PROBE: Package = Package {
    name: "probe",
    functions: &[
        NativeFn::cx("__args__", Arity::between(0, 8), args),
        NativeFn::cx("__nap__", Arity::exactly(1), nap),
        NativeFn::cx("__later__", Arity::exactly(1), later),
        NativeFn::cx("__later_of__", Arity::exactly(2), later_of),
        NativeFn::cx("__fail__", Arity::exactly(1), fail),
    ],
};

/// Runs `src`, which must print `expected` and nothing on stderr.
fn prints(src: &str, expected: &str) {
    let (out, err) = run(src);
    assert_eq!(err, "");
    assert_eq!(out, expected);
}

/// Runs `src` (the script file `test.kiwi`) with the stdlib and `probe` built in; gives its
/// stdout and stderr.
fn run(src: &str) -> (String, String) {
    let (out, err) = (Buffer::default(), Buffer::default());
    let mut interp = common::stdlib_interp(&out, &err);
    interp.register_package(&PROBE);
    interp.register_kiwi_source("probe", PROBE_SOURCE);
    let start = std::time::Instant::now();
    let now = std::rc::Rc::new(std::cell::Cell::new(start));
    let clock = now.clone();
    interp.set_clock(Box::new(move || clock.get()));
    let unit = interp
        .compile_unit(Path::new("test.kiwi"), src)
        .unwrap_or_else(|d| panic!("does not compile: {:?}", d[0].error));
    interp.start_main(unit);
    for _ in 0..10_000 {
        if let RunState::Exit(_) = interp.run_ready(now.get()) {
            return (out.text(), err.text());
        }
        if let Some(at) = interp.next_deadline() {
            now.set(at.max(now.get()));
        } else if !interp.has_ready() {
            if let RunState::Exit(_) = interp.break_deadlock() {
                return (out.text(), err.text());
            }
        }
    }
    panic!("the script did not finish");
}

#[test]
fn getters_give_the_instance_variable_itself() {
    prints(
        r#"
p = probe::make()
println p.id()
l = p.items()
l.push(2)
println p.items()
println p.id(1, 2)
"#,
        "7\n[1, 2]\n7\n",
    );
}

#[test]
fn wrapper_arguments_are_bound_as_by_a_frame() {
    prints(
        r#"
p = probe::make()
println p.args("a")
println p.args("a", null)
println p.args("a", "b")
println p.args("a", "b", "extra")
println p.args()
"#,
        concat!(
            "[7, \"a\", \"default\", 3, null]\n",
            "[7, \"a\", \"default\", 3, null]\n",
            "[7, \"a\", \"b\", 3, null]\n",
            "[7, \"a\", \"b\", 3, null]\n",
            "[7, null, \"default\", 3, null]\n",
        ),
    );
}

#[test]
fn a_wrapper_whose_native_suspends_resumes_in_its_caller() {
    prints(
        r#"
p = probe::make()
t = task::spawn(with () do println "other task" end)
println [p.nap(20), "after nap"]
task::await(t)
"#,
        "other task\n[null, \"after nap\"]\n",
    );
}

#[test]
fn an_awaited_native_that_calls_back_into_kiwi_is_awaited_in_the_method() {
    prints(
        r#"
p = probe::make()
println p.later(21)
println [p.later(1), p.later(2)]
"#,
        "42\n[2, 4]\n",
    );
}

#[test]
fn a_wrapper_error_is_catchable_and_points_at_the_scripts_call() {
    let (out, err) = run(r#"
p = probe::make()
try
  p.fail("caught")
catch (e)
  println e.message
end
x = 1
p.fail("uncaught")
"#);
    assert_eq!(out, "caught\n");
    assert!(err.starts_with("[ProbeError]: uncaught\n"), "{err}");
    assert!(err.contains("test.kiwi:9:"), "{err}");
}

#[test]
fn a_script_that_redefines_the_native_or_await_later_is_heard() {
    // Each wrapper runs once frameless first (its native resolved and remembered), then the
    // script takes over a name the wrapper calls: by a function of the same name, then by
    // assigning to the global.
    prints(
        r#"
p = probe::make()
println p.args("a")
package probe
  fn __args__(id, a, b, c, d)
    "script's own ${a}"
  end
end
println p.args("b")
println p.later(2)
task::await = with (x) do "awaited by the script" end
println p.later(3)
probe::__args__ = with (id, a, b, c, d) do "a variable now" end
println p.args("c")
"#,
        concat!(
            "[7, \"a\", \"default\", 3, null]\n",
            "script's own b\n",
            "4\n",
            "awaited by the script\n",
            "a variable now\n",
        ),
    );
}

#[test]
fn a_wrapper_passing_its_parameters_in_order_gets_them_where_they_lie() {
    // `pair(a, b)` hands `(@id, a, b)` to its native: with both passed the native reads them
    // in place of the receiver; with fewer or more it does not, and every call agrees.
    prints(
        r#"
p = probe::make()
s = "shared"
println p.pair(s, [1])
println p.pair("a")
println p.pair("a", "b", "extra")
println [p.later_of(5), p.later_of(6)]
println [p.id(), s, p.pair(p.id(), p)[2].id()]
"#,
        concat!(
            "[7, \"shared\", [1]]\n",
            "[7, \"a\", null]\n",
            "[7, \"a\", \"b\"]\n",
            "[10, 12]\n",
            "[7, \"shared\", 7]\n",
        ),
    );
}

//! The `reflector` package (upstream's `docs/lib/reflector.md`): the calling task's frames,
//! the instance of the running method, functions by name, and what the program has defined.
//! `Callable` is the Kiwi part (`kiwi/reflector.kiwi`).

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, FrameView, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::value::{Key, Map, Value};

/// The natives under the package's Kiwi part.
pub const PACKAGE: Package = Package {
    name: "reflector",
    functions: &[
        NativeFn::cx("callstack", Arity::exactly(0), |cx, _| {
            let names = cx
                .frames()
                .into_iter()
                .map(|f| Value::str(f.name))
                .collect();
            Ok(Reply::Value(Value::list(names)))
        }),
        NativeFn::cx("fflags", Arity::between(0, 1), fflags),
        NativeFn::cx("getfunc", Arity::exactly(1), |cx, a| {
            let name = check::str_arg("reflector::getfunc", a, 0)?;
            Ok(Reply::Value(cx.function(name).unwrap_or(Value::Null)))
        }),
        NativeFn::cx("objcontext", Arity::exactly(0), |cx, _| {
            let this = cx.frames().into_iter().next().and_then(|f| f.this);
            Ok(Reply::Value(this.unwrap_or(Value::Null)))
        }),
        // A frame's value exists only once it has returned, when nothing of it runs any more:
        // seen from running code it is always null.
        NativeFn::pure("retval", Arity::exactly(0), |_| Ok(Value::Null)),
        NativeFn::cx("state", Arity::exactly(0), state),
    ],
};

/// The Kiwi part (`Callable`).
pub const SOURCE: &str = include_str!("kiwi/reflector.kiwi");

fn names(items: Vec<String>) -> Value {
    Value::list(items.into_iter().map(Value::str).collect())
}

/// `fflags(frame_index = 0)`: the flags of frame `frame_index` (0 is the caller): `SubFrame`
/// (not a file's top level), `InObject` (a method), `InLambda`, `InTry` (inside a `try`).
fn fflags(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let index = match args.first() {
        None | Some(Value::Null) => 0,
        Some(_) => check::int_arg("reflector::fflags", args, 0)?,
    };
    let frames = cx.frames();
    let frame: &FrameView = usize::try_from(index)
        .ok()
        .and_then(|i| frames.get(i))
        .ok_or_else(|| {
            KiwiError::custom(
                "IndexError",
                format!(
                    "reflector::fflags: there is no frame {index} (the stack has {}).",
                    frames.len()
                ),
            )
        })?;
    let mut flags = Vec::new();
    if !frame.is_top {
        flags.push("SubFrame".to_string());
    }
    if frame.is_method {
        flags.push("InObject".to_string());
    }
    if frame.is_lambda {
        flags.push("InLambda".to_string());
    }
    if frame.in_try {
        flags.push("InTry".to_string());
    }
    Ok(Reply::Value(names(flags)))
}

/// `state()`: `{packages, structs, functions, stack}`; `stack` lists the frames innermost
/// first, each `{name, variables}` (a top level's variables are the global variables).
fn state(cx: &mut NativeCx<'_>, _args: &[Value]) -> KResult<Reply> {
    let program = cx.program();
    let to_map = |pairs: Vec<(String, Value)>| {
        let mut map = Map::new();
        for (k, v) in pairs {
            map.insert(Key::from(k.as_str()), v);
        }
        Value::map(map)
    };
    let globals = program.globals;
    let stack = cx
        .frames()
        .into_iter()
        .map(|f| {
            let variables = if f.is_top {
                globals.clone()
            } else {
                f.variables
            };
            let mut frame = Map::new();
            frame.insert(Key::from("name"), Value::str(f.name));
            frame.insert(Key::from("variables"), to_map(variables));
            Value::map(frame)
        })
        .collect();
    let mut out = Map::new();
    out.insert(Key::from("packages"), names(program.packages));
    out.insert(Key::from("structs"), names(program.structs));
    out.insert(Key::from("functions"), names(program.functions));
    out.insert(Key::from("stack"), Value::list(stack));
    Ok(Reply::Value(Value::map(out)))
}

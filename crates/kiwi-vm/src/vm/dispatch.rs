//! Method calls: channels, package values, callables stored in hashmaps, the higher-order list
//! methods (run by the Kiwi prelude) and everything else through [`crate::methods`].

use crate::text::Text;
use std::rc::Rc;

use super::exec::Outcome;
use super::Interp;
use crate::channel::Channel;
use crate::error::{ErrorType, KResult, KiwiError};
use crate::methods;
use crate::methods::check::arity;
use crate::task::{Blocked, Task};
use crate::value::{Key, Value};

impl Interp {
    /// `recv.name(args)`. The name comes as the constant's `Rc` so that looking it up as a
    /// hashmap key allocates nothing.
    pub(crate) fn call_method(
        &mut self,
        task: &mut Task,
        recv: Value,
        name_rc: &Rc<Text>,
        args: Vec<Value>,
    ) -> KResult<Outcome> {
        let name = name_rc.as_str();
        match &recv {
            Value::Channel(ch) => {
                if let Some(o) = self.channel_method(task, ch.clone(), name, &args)? {
                    return Ok(o);
                }
            }
            Value::Package(p) => {
                let full = format!("{p}::{name}");
                if let Some(v) = self.global(&full) {
                    return Ok(Outcome::Call(v, args));
                }
                return self.call_native(task, &full, &args);
            }
            Value::Map(m) => {
                // Builtins first: looking the name up as a key on every `h.has_key(k)` costs a
                // hash. A lambda stored under a name no builtin uses is callable as a method.
                if let Some(r) = methods::call_method(&recv, name, &args) {
                    return r.map(Outcome::Value);
                }
                let f = m.borrow().get(&Key(Value::Str(name_rc.clone()))).cloned();
                if let Some(f @ Value::Func(_)) = f {
                    return Ok(Outcome::Call(f, args));
                }
            }
            Value::List(_) => {
                if let Some(o) = self.list_higher_order(&recv, name, &args)? {
                    return Ok(o);
                }
            }
            Value::Obj(o) => {
                if let Some(r) = self.object_method(task, &recv, o, name, args.clone()) {
                    return r;
                }
            }
            Value::Func(_) => match name {
                "call" => {
                    let list = match args.first() {
                        Some(Value::List(l)) => l.borrow().to_vec(),
                        Some(other) => vec![other.clone()],
                        None => Vec::new(),
                    };
                    return Ok(Outcome::Call(recv.clone(), list));
                }
                "to_lambda" => return Ok(Outcome::Value(recv.clone())),
                "parameters" | "returns" => {
                    arity(name, &args, 0)?;
                    let Value::Func(f) = &recv else {
                        unreachable!("matched Func")
                    };
                    return Ok(Outcome::Value(signature(&f.proto, name == "returns")));
                }
                _ => {}
            },
            _ => {}
        }
        match methods::call_method(&recv, name, &args) {
            Some(r) => r.map(Outcome::Value),
            None => self.type_extension(task, recv, name, args),
        }
    }

    /// A method no builtin has: a type extension, the function `name` of the package named
    /// after the receiver's type (`"x".padend(5)` is `string::padend("x", 5)`), called with
    /// the receiver first. A package file of that name on the stdlib path is loaded first.
    fn type_extension(
        &mut self,
        task: &mut Task,
        recv: Value,
        name: &str,
        args: Vec<Value>,
    ) -> KResult<Outcome> {
        let package = recv.type_name();
        let full = format!("{package}::{name}");
        if let Some(f @ Value::Func(_)) = self.global(&full) {
            let mut all = Vec::with_capacity(args.len() + 1);
            all.push(recv);
            all.extend(args);
            return Ok(Outcome::Call(f, all));
        }
        // A native package named after the type (`string::capitalize`) extends it too.
        if let Some(i) = self.native_fn(&full) {
            let mut all = Vec::with_capacity(args.len() + 1);
            all.push(recv);
            all.extend(args);
            return self.call_table(task, i, &all);
        }
        // A package file not loaded yet, or the Kiwi part of a native package.
        let loadable =
            !self.active_packages.contains(package) || self.kiwi_sources.contains_key(package);
        if !package.is_empty() && loadable {
            if let Some(unit) = self.stdlib_unit(package) {
                // Load the package, then make this call again.
                task.stack.push(recv);
                task.stack.extend(args);
                return Ok(Outcome::RetryAfter(unit));
            }
        }
        Err(KiwiError::new(
            ErrorType::FunctionUndefinedError,
            format!("Function `{name}` is undefined."),
        ))
    }

    fn prelude_call(&self, name: &str, args: Vec<Value>) -> KResult<Outcome> {
        match self.global(name) {
            Some(f) => Ok(Outcome::Call(f, args)),
            None => Err(KiwiError::new(
                ErrorType::RuntimeError,
                format!("Internal error: prelude function {name} is missing."),
            )),
        }
    }

    fn list_higher_order(
        &self,
        recv: &Value,
        name: &str,
        args: &[Value],
    ) -> KResult<Option<Outcome>> {
        let want = |n: usize| arity(name, args, n);
        let outcome = match name {
            "map" | "filter" | "all" | "none" => {
                want(1)?;
                let f = format!("__kiwi_{name}");
                self.prelude_call(&f, vec![recv.clone(), args[0].clone()])?
            }
            "each" => {
                want(1)?;
                let two = matches!(&args[0], Value::Func(f) if f.param_count() >= 2);
                self.prelude_call(
                    "__kiwi_each",
                    vec![recv.clone(), args[0].clone(), Value::Bool(two)],
                )?
            }
            "reduce" => {
                want(2)?;
                self.prelude_call(
                    "__kiwi_reduce",
                    vec![recv.clone(), args[0].clone(), args[1].clone()],
                )?
            }
            "sort" if args.len() == 1 => {
                self.prelude_call("__kiwi_sort", vec![recv.clone(), args[0].clone()])?
            }
            _ => return Ok(None),
        };
        Ok(Some(outcome))
    }

    /// Channel methods (§10.3). `None` for names that are not channel operations.
    fn channel_method(
        &mut self,
        task: &mut Task,
        ch: Rc<Channel>,
        name: &str,
        args: &[Value],
    ) -> KResult<Option<Outcome>> {
        let want = |n: usize| arity(name, args, n);
        let out = match name {
            "send" => {
                want(1)?;
                if ch.closed.get() {
                    return Err(KiwiError::new(
                        ErrorType::InvalidOperationError,
                        "Send on a closed channel.",
                    ));
                }
                let v = args[0].clone();
                let waiter = ch.recv_waiters.borrow_mut().pop_front();
                if let Some(w) = waiter {
                    self.sched.wake(w, Ok(v));
                    Outcome::Value(Value::Null)
                } else if !ch.is_full() {
                    ch.queue.borrow_mut().push_back(v);
                    Outcome::Value(Value::Null)
                } else {
                    ch.send_waiters.borrow_mut().push_back((task.id, v));
                    task.blocked = Some(Blocked::ChanSend(ch.clone()));
                    Outcome::Block
                }
            }
            "recv" => {
                want(0)?;
                match self.take_item(&ch) {
                    Some(v) => Outcome::Value(v),
                    None if ch.closed.get() => Outcome::Value(Value::Null),
                    None => {
                        ch.recv_waiters.borrow_mut().push_back(task.id);
                        task.blocked = Some(Blocked::ChanRecv(ch.clone()));
                        Outcome::Block
                    }
                }
            }
            "try_recv" => {
                want(0)?;
                let pair = match self.take_item(&ch) {
                    Some(v) => vec![Value::Bool(true), v],
                    None => vec![Value::Bool(false), Value::Null],
                };
                Outcome::Value(Value::list(pair))
            }
            "close" => {
                want(0)?;
                if !ch.closed.replace(true) {
                    let receivers: Vec<_> = ch.recv_waiters.borrow_mut().drain(..).collect();
                    for w in receivers {
                        self.sched.wake(w, Ok(Value::Null));
                    }
                    let senders: Vec<_> = ch.send_waiters.borrow_mut().drain(..).collect();
                    for (w, _) in senders {
                        self.sched.wake(
                            w,
                            Err(KiwiError::new(
                                ErrorType::InvalidOperationError,
                                "Send on a closed channel.",
                            )),
                        );
                    }
                }
                Outcome::Value(Value::Null)
            }
            "closed" => {
                want(0)?;
                Outcome::Value(Value::Bool(ch.closed.get()))
            }
            "size" | "length" => {
                want(0)?;
                Outcome::Value(Value::Int(ch.queue.borrow().len() as i64))
            }
            _ => return Ok(None),
        };
        Ok(Some(out))
    }

    /// Dequeues an item and lets the oldest blocked sender put its value in the freed place.
    fn take_item(&mut self, ch: &Channel) -> Option<Value> {
        let item = ch.queue.borrow_mut().pop_front()?;
        let sender = ch.send_waiters.borrow_mut().pop_front();
        if let Some((w, v)) = sender {
            ch.queue.borrow_mut().push_back(v);
            self.sched.wake(w, Ok(Value::Null));
        }
        Some(item)
    }
}

/// `f.parameters()`: `{name, default_value, type, position}` for each parameter (`@` of a
/// method left out; `type` only when hinted; `default_value` null unless a literal);
/// `f.returns()`: the return hint as written, or `""`.
fn signature(proto: &crate::bytecode::FnProto, returns: bool) -> Value {
    if returns {
        return Value::str(proto.return_hint.as_deref().unwrap_or(""));
    }
    let skip = usize::from(proto.is_method);
    let mut out = Vec::new();
    for (i, name) in proto.params.iter().enumerate().skip(skip) {
        let mut m = crate::value::Map::new();
        m.insert(crate::value::Key::from("name"), Value::str(&**name));
        let default = proto.param_literal_defaults.get(i).cloned().flatten();
        m.insert(
            crate::value::Key::from("default_value"),
            default.unwrap_or(Value::Null),
        );
        if let Some(Some(hint)) = proto.param_hints.get(i) {
            m.insert(crate::value::Key::from("type"), Value::str(&**hint));
        }
        m.insert(
            crate::value::Key::from("position"),
            Value::Int((i - skip) as i64),
        );
        out.push(Value::map(m));
    }
    Value::list(out)
}

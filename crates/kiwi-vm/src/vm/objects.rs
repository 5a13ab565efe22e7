//! Structs at run time: defining them, constructing instances, and the one method-dispatch
//! path for objects (the instance's struct chain, then the object builtins).

use std::collections::HashMap;
use std::rc::Rc;

use super::exec::Outcome;
use super::Interp;
use crate::error::{ErrorType, KResult, KiwiError};
use crate::object::{self, InstanceObj, Method, Object, StructObj};
use crate::sitecache::SiteCache;
use crate::task::Task;
use crate::value::{Key, Map, Value};

/// What to do after a call of an undefined global (see [`Interp::after_undefined_call`]).
pub(crate) enum Fallback {
    /// Run this stdlib file, then the call again.
    Retry(Rc<crate::function::Closure>),
    /// Go on with this outcome.
    Result(KResult<Outcome>),
}

/// A method call entered directly (see [`Interp::direct_method`]).
pub(crate) struct DirectCall {
    /// The method.
    pub closure: Rc<crate::function::Closure>,
    /// For a constructor: the new instance, which replaces the struct as the receiver and is
    /// what the call returns. The object, not a value: a pointer the VM moves in a register,
    /// where a 16-byte value just stored would be copied with a stall (see `vm/push.rs`).
    pub instance: Option<Rc<Object>>,
}

impl Interp {
    /// `MakeStruct`: builds a struct from its layout and the values on top of `stack`
    /// (base or null, static values, method closures).
    pub(crate) fn make_struct(&self, layout: &Value, stack: &mut Vec<Value>) -> KResult<Value> {
        let Value::List(layout) = layout else {
            return Ok(Value::Null);
        };
        let layout = layout.borrow();
        let text = |v: Option<&Value>| match v {
            Some(Value::Str(s)) => s.to_string(),
            _ => String::new(),
        };
        let list = |v: Option<&Value>| match v {
            Some(Value::List(l)) => l.borrow().to_vec(),
            _ => Vec::new(),
        };
        let name = text(layout.first());
        let is_abstract = layout.get(1).is_some_and(Value::truthy);
        let has_base = layout.get(2).is_some_and(Value::truthy);
        let (names, flags, statics, field_names) = (
            list(layout.get(3)),
            list(layout.get(4)),
            list(layout.get(5)),
            list(layout.get(6)),
        );
        let closures = stack.split_off(stack.len() - names.len());
        let field_values = stack.split_off(stack.len() - field_names.len());
        let static_values = stack.split_off(stack.len() - statics.len());
        let base = stack.pop().unwrap_or_default();
        let base = match base {
            Value::Obj(o) if o.as_struct().is_some() => Some(o),
            Value::Null if !has_base => None,
            other => {
                return Err(KiwiError::custom(
                    "StructUndefinedError",
                    format!(
                        "The base of struct '{name}' is not a struct (it is {}).",
                        crate::format::to_display(&object::type_of(&other))
                    ),
                ))
            }
        };
        let mut methods = HashMap::with_hasher(foldhash::fast::RandomState::default());
        let owner: Rc<str> = Rc::from(name.as_str());
        for ((method, flag), closure) in names.iter().zip(&flags).zip(closures) {
            let (Value::Str(method), Value::Int(flag), Value::Func(closure)) =
                (method, flag, closure)
            else {
                continue;
            };
            methods.insert(
                Rc::from(method.as_str()),
                Method {
                    owner: owner.clone(),
                    closure,
                    is_private: flag & 1 != 0,
                    is_abstract: flag & 2 != 0,
                },
            );
        }
        if let Some(inherited) = base.as_deref().and_then(Object::as_struct) {
            for (method, m) in &inherited.methods {
                if !methods.contains_key(method) {
                    methods.insert(method.clone(), m.clone());
                }
            }
        }
        if methods.contains_key("to_string") {
            self.to_string_defined.set(true);
        }
        // Instance variables every instance starts with: the base's, then this struct's own
        // (which replace a base's of the same name in place).
        let mut fields: Map = base
            .as_deref()
            .and_then(Object::as_struct)
            .map(|b| b.fields.clone())
            .unwrap_or_default();
        for (k, v) in field_names.into_iter().zip(field_values) {
            fields.insert(Key(k), v);
        }
        let statics: Map = statics
            .into_iter()
            .zip(static_values)
            .map(|(k, v)| (Key(k), v))
            .collect();
        let class = Rc::new(Object::Struct(Box::new(StructObj {
            name: owner,
            base,
            is_abstract,
            methods,
            statics: std::cell::RefCell::new(statics),
            shape: crate::ivars::Shape::root(fields.keys().cloned()),
            fields,
        })));
        if !is_abstract {
            if let Some(missing) = object::unimplemented_abstract(&class).first() {
                return Err(KiwiError::custom(
                    "AbstractMethodError",
                    format!("Struct `{name}` must implement abstract method `{missing}`."),
                ));
            }
        }
        Ok(Value::Obj(class))
    }

    /// `S.new(args)` or `S(args)`: a new instance, initialised by the nearest `new`.
    pub(crate) fn construct(&self, class: &Rc<Object>, args: Vec<Value>) -> KResult<Outcome> {
        let Some(s) = class.as_struct() else {
            return Err(not_callable());
        };
        if s.is_abstract {
            return Err(KiwiError::custom(
                "AbstractInstantiationError",
                format!("Cannot instantiate abstract struct `{}`.", s.name),
            ));
        }
        let instance = object::new_instance(class);
        match object::find_method(class, "new") {
            Some(m) => {
                let mut full = Vec::with_capacity(args.len() + 1);
                full.push(instance.clone());
                full.extend(args);
                Ok(Outcome::Construct(m.closure.clone(), full, instance))
            }
            None => Ok(Outcome::Value(instance)),
        }
    }

    /// The Kiwi function `recv.name(...)` runs when it can be entered with the arguments where
    /// they lie: an instance's public (or reachable private) method, or `S.new(...)`. `None`
    /// sends the call down the general path (builtins, errors, static methods).
    pub(crate) fn direct_method(
        &self,
        task: &Task,
        obj: &Rc<Object>,
        name: &str,
        cache: &SiteCache,
    ) -> Option<DirectCall> {
        match &**obj {
            Object::Instance(i) => {
                if let Some(closure) = cache.method(&i.class) {
                    return Some(DirectCall {
                        closure,
                        instance: None,
                    });
                }
                let m = object::find_method(&i.class, name)?;
                if !m.is_abstract && !m.is_private {
                    // Only public methods are remembered: a private one depends on the caller.
                    cache.remember_method(&i.class, &m.closure);
                }
                let callable = !m.is_abstract
                    && (!m.is_private || self.caller_may_call_private(task, &i.class));
                callable.then(|| DirectCall {
                    closure: m.closure.clone(),
                    instance: None,
                })
            }
            Object::Struct(s) if name == "new" && !s.is_abstract => {
                let closure = match cache.method(obj) {
                    Some(f) => f,
                    None => {
                        let f = object::find_method(obj, "new")?.closure.clone();
                        cache.remember_method(obj, &f);
                        f
                    }
                };
                Some(DirectCall {
                    closure,
                    instance: Some(object::new_instance_object(obj)),
                })
            }
            _ => None,
        }
    }

    /// `recv.name(args)` on an object (struct value or instance).
    pub(crate) fn object_method(
        &self,
        task: &Task,
        recv: &Value,
        obj: &Rc<Object>,
        name: &str,
        args: Vec<Value>,
    ) -> Option<KResult<Outcome>> {
        match &**obj {
            Object::Struct(s) => Some(self.struct_method(obj, s, name, args)),
            Object::Instance(i) => Some(self.instance_method(task, recv, i, name, args)),
            Object::Enum(_) | Object::Generator(_) => None,
        }
    }

    fn struct_method(
        &self,
        class: &Rc<Object>,
        s: &StructObj,
        name: &str,
        args: Vec<Value>,
    ) -> KResult<Outcome> {
        if name == "new" {
            return self.construct(class, args);
        }
        // `S.m(args)` (static methods): run with a fresh empty instance as `@`.
        match object::find_method(class, name) {
            Some(m) => {
                let mut full = vec![object::new_instance(class)];
                full.extend(args);
                Ok(Outcome::Call(Value::Func(m.closure.clone()), full))
            }
            None => Err(unimplemented(&s.name, name)),
        }
    }

    fn instance_method(
        &self,
        task: &Task,
        recv: &Value,
        i: &InstanceObj,
        name: &str,
        args: Vec<Value>,
    ) -> KResult<Outcome> {
        if let Some(m) = object::find_method(&i.class, name) {
            if m.is_abstract {
                return Err(unimplemented(&i.struct_name(), name));
            }
            if m.is_private && !self.caller_may_call_private(task, &i.class) {
                return Err(KiwiError::custom(
                    "InvalidOperationError",
                    format!("Method `{name}` of struct `{}` is private.", m.owner),
                ));
            }
            let mut full = Vec::with_capacity(args.len() + 1);
            full.push(recv.clone());
            full.extend(args);
            return Ok(Outcome::Call(Value::Func(m.closure.clone()), full));
        }
        instance_builtin(recv, i, name, &args)
            .unwrap_or_else(|| Err(unimplemented(&i.struct_name(), name)))
            .map(Outcome::Value)
    }

    /// Whether the running code is a method (or a lambda in one) of a struct in `class`'s
    /// chain, which may call its private methods.
    fn caller_may_call_private(&self, task: &Task, class: &Rc<Object>) -> bool {
        task.frames
            .last()
            .and_then(|f| f.closure.proto.owner.as_deref())
            .is_some_and(|owner| object::is_a(class, owner))
    }

    /// `__kiwi_super(owner, method, @, args...)`: `super.method(args)` in a method of struct
    /// `owner`: the method of the nearest ancestor of `owner` that has it, run on `@`.
    pub(crate) fn super_call(&self, args: &[Value]) -> KResult<Outcome> {
        let (Some(Value::Str(owner)), Some(Value::Str(method)), Some(me)) =
            (args.first(), args.get(1), args.get(2))
        else {
            return Err(super_outside());
        };
        let f = self.super_method(me, owner, method)?;
        Ok(Outcome::Call(Value::Func(f), args[2..].to_vec()))
    }

    /// The method `super.method` names in a method of struct `owner` running on `me`.
    pub(crate) fn super_method(
        &self,
        me: &Value,
        owner: &str,
        method: &str,
    ) -> KResult<Rc<crate::function::Closure>> {
        if owner.is_empty() || matches!(me, Value::Null) {
            return Err(super_outside());
        }
        // The defining struct is in `@`'s chain (no global lookup, and right even when the
        // struct's global name was reassigned); a static method's fresh `@` is one too.
        let in_chain = match me {
            Value::Obj(o) => match &**o {
                Object::Instance(i) => object::ancestor_named(&i.class, owner),
                _ => None,
            },
            _ => None,
        };
        let global;
        let defining = match in_chain {
            Some(s) => s,
            None => {
                global = match self.global(owner) {
                    Some(Value::Obj(o)) if o.as_struct().is_some() => o,
                    _ => return Err(super_outside()),
                };
                global.as_struct().ok_or_else(super_outside)?
            }
        };
        let base = defining.base.as_ref().ok_or_else(|| {
            KiwiError::new(
                ErrorType::RuntimeError,
                format!("Struct '{owner}' has no base for super.{method}."),
            )
        })?;
        let m = object::find_method(base, method).ok_or_else(|| {
            KiwiError::new(
                ErrorType::RuntimeError,
                format!("Method '{method}' not found in base of '{owner}'."),
            )
        })?;
        Ok(m.closure.clone())
    }

    /// The function that gives the printed text of `v` when Kiwi code must run for it
    /// (objects brief §0): an instance's `to_string` method, or for a list or hashmap holding
    /// such instances, the prelude's `__kiwi_show`. `None`: `v` prints as plain data.
    #[inline]
    pub(crate) fn shown_through(&self, v: &Value) -> Option<Rc<crate::function::Closure>> {
        match v {
            Value::Obj(_) => object::to_string_method(v).cloned(),
            Value::List(_) | Value::Map(_) if self.to_string_defined.get() => {
                if object::shown_instances(v, 1).is_empty() {
                    return None;
                }
                match self.global("__kiwi_show") {
                    Some(Value::Func(f)) => Some(f),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Whether `a + b` concatenates a string with a value shown through Kiwi code.
    pub(crate) fn concat_needs_to_string(&self, a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Str(_), other) | (other, Value::Str(_)) => self.shown_through(other).is_some(),
            _ => false,
        }
    }

    /// `__kiwi_struct_of(@)`: the struct of an instance (what `@@x` reads from), else null.
    pub(crate) fn struct_of(args: &[Value]) -> Value {
        match args.first() {
            Some(Value::Obj(o)) => match &**o {
                Object::Instance(i) => Value::Obj(i.class.clone()),
                _ => Value::Null,
            },
            _ => Value::Null,
        }
    }

    /// The Kiwi function `a op b` calls (with `a` and `b` as its arguments) when `a` is an
    /// instance whose struct chain defines the operator as a method; `!=` without its own
    /// method is the prelude's `not (a == b)`.
    #[inline]
    pub(crate) fn operator_function(
        &self,
        op: kiwi_syntax::ast::BinOp,
        a: &Value,
    ) -> Option<Rc<crate::function::Closure>> {
        // Only an instance has operator methods: every string concatenation and mixed
        // comparison asks, so the answer for the rest comes before any lookup.
        if !matches!(a, Value::Obj(_)) {
            return None;
        }
        let symbol = op.symbol();
        if let Some(f) = object::operator_method(a, symbol) {
            return Some(f.clone());
        }
        if symbol == "!=" && object::operator_method(a, "==").is_some() {
            if let Some(Value::Func(not_equal)) = self.global("__kiwi_not_equal") {
                return Some(not_equal);
            }
        }
        None
    }

    /// What a native call of global `g` (arguments at `task.stack[at..]`) that failed because
    /// no such function exists becomes: inside a method whose instance has a method of that
    /// name, the call `@.name(args)`; else, if a stdlib file defines it, load that file and
    /// retry; else the result as it was.
    pub(crate) fn after_undefined_call(
        &mut self,
        task: &Task,
        result: KResult<Outcome>,
        g: u32,
        at: usize,
    ) -> Fallback {
        if result.is_ok() {
            return Fallback::Result(result);
        }
        if let Some(call) = self.implicit_self_call(task, &result, g, &task.stack[at..]) {
            return Fallback::Result(Ok(call));
        }
        match self.stdlib_unit_after(&result, g) {
            Some(unit) => Fallback::Retry(unit),
            None => Fallback::Result(result),
        }
    }

    /// After a call of bare global `g` failed with `result` (no such function): inside a
    /// method whose instance has a method of that name, the call `@.name(args)` instead.
    fn implicit_self_call(
        &self,
        task: &Task,
        result: &KResult<Outcome>,
        g: u32,
        args: &[Value],
    ) -> Option<Outcome> {
        let Err(e) = result else { return None };
        let undefined = [
            ErrorType::VariableUndefinedError.name(),
            ErrorType::FunctionUndefinedError.name(),
        ];
        if !undefined.contains(&&*e.error) {
            return None;
        }
        let name = self.names.name(g);
        let me = Self::frame_self(task)?;
        let Value::Obj(o) = &me else { return None };
        let Object::Instance(i) = &**o else {
            return None;
        };
        let m = object::find_method(&i.class, name)?;
        let mut full = Vec::with_capacity(args.len() + 1);
        full.push(me.clone());
        full.extend_from_slice(args);
        Some(Outcome::Call(Value::Func(m.closure.clone()), full))
    }

    /// The instance a method frame runs on: its first parameter.
    pub(crate) fn frame_self(task: &Task) -> Option<Value> {
        let f = task.frames.last()?;
        if !f.closure.proto.is_method {
            return None;
        }
        match f.closure.proto.param_slots.first()? {
            crate::bytecode::Slot::Local(i) => task.stack.get(f.base + *i as usize).cloned(),
            crate::bytecode::Slot::Cell(c) => f.cells.get(*c as usize).map(|c| c.borrow().clone()),
        }
    }
}

/// The builtins every instance has (when its struct defines no method of that name).
fn instance_builtin(
    recv: &Value,
    i: &InstanceObj,
    name: &str,
    args: &[Value],
) -> Option<KResult<Value>> {
    use crate::methods::check::{arity, arity_range};
    let ivars = || i.ivars.borrow();
    Some(match name {
        "keys" => arity("keys", args, 0)
            .map(|()| Value::list(ivars().iter().map(|(k, _)| k.0.clone()).collect())),
        "values" => arity("values", args, 0)
            .map(|()| Value::list(ivars().iter().map(|(_, v)| v.clone()).collect())),
        "get" => arity_range("get", args, 1, 2).map(|()| {
            ivars()
                .get(&args[0])
                .cloned()
                .unwrap_or_else(|| args.get(1).cloned().unwrap_or_default())
        }),
        "set" => arity("set", args, 2).and_then(|()| {
            i.ivars
                .try_borrow_mut()
                .map_err(|_| {
                    KiwiError::new(ErrorType::InvalidOperationError, "The object is in use.")
                })?
                .insert(Key(args[0].clone()), args[1].clone());
            Ok(recv.clone())
        }),
        "has_key" => {
            arity("has_key", args, 1).map(|()| Value::Bool(ivars().get(&args[0]).is_some()))
        }
        "clone" => arity("clone", args, 0).map(|()| {
            Value::Obj(Rc::new(Object::Instance(InstanceObj {
                class: i.class.clone(),
                ivars: std::cell::RefCell::new(ivars().clone()),
            })))
        }),
        "is_a" => arity("is_a", args, 1).map(|()| {
            let target = match &args[0] {
                Value::Obj(o) => o
                    .as_struct()
                    .map(|s| s.name.to_string())
                    .unwrap_or_default(),
                other => crate::format::to_display(other),
            };
            Value::Bool(object::is_a(&i.class, &target))
        }),
        "type" => arity("type", args, 0).map(|()| object::type_of(recv)),
        "to_string" => {
            arity("to_string", args, 0).map(|()| Value::str(crate::format::to_display(recv)))
        }
        _ => return None,
    })
}

fn unimplemented(struct_name: &str, method: &str) -> KiwiError {
    KiwiError::custom(
        "UnimplementedMethodError",
        format!("Struct `{struct_name}` has an unimplemented method `{method}`"),
    )
}

fn super_outside() -> KiwiError {
    KiwiError::new(
        ErrorType::RuntimeError,
        "super called outside of a struct method.",
    )
}

fn not_callable() -> KiwiError {
    KiwiError::new(
        ErrorType::InvalidOperationError,
        "This value is not callable.",
    )
}

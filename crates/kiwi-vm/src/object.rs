//! The object model: values that are neither plain data nor functions: enums, structs and
//! their instances (generators join here), so `value.rs` keeps one variant for all of them.

use crate::text::Text;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::function::Closure;
use crate::ivars::{Ivars, Shape};
use crate::sitecache::SiteCache;

use crate::error::{ErrorType, KResult, KiwiError};
use crate::methods::check::{arity, arity_range, str_arg};
use crate::value::{Key, KeyRef, Map, Value};

/// An object value.
pub enum Object {
    /// `enum Name ... end`.
    Enum(EnumObj),
    /// `struct Name ... end`: the struct value its name evaluates to. Boxed, like a generator,
    /// so that an instance (the most common object by far) allocates only its own size.
    Struct(Box<StructObj>),
    /// An instance of a struct.
    Instance(InstanceObj),
    /// A generator: a suspended call of a function that yields.
    Generator(Box<GeneratorObj>),
}

/// A generator: its own frame stack, suspended at its last `yield` (or before its first
/// statement), resumed by the `for` loop consuming it.
pub struct GeneratorObj {
    /// The suspended frames; `None` while it runs (or after it ended).
    pub frames: RefCell<Option<crate::task::Task>>,
}

/// A struct: its methods, its base and its static variables.
pub struct StructObj {
    /// The struct's name.
    pub name: Rc<str>,
    /// The base struct (an [`Object::Struct`]).
    pub base: Option<Rc<Object>>,
    /// `abstract struct`.
    pub is_abstract: bool,
    /// Every method its instances have: its own, then its bases' that it does not
    /// override (copied in when it is defined, so a call is one lookup; a fast hasher).
    pub methods: HashMap<Rc<str>, Method, foldhash::fast::RandomState>,
    /// `static @x` variables (`@@x`, `S.x`).
    pub statics: RefCell<Map>,
    /// `@x = value` declarations (its bases' included): what each new instance starts with.
    pub fields: Map,
    /// The shape of a new instance: the names of `fields` (see [`crate::ivars`]).
    pub shape: Rc<Shape>,
}

/// A method of a struct.
#[derive(Clone)]
pub struct Method {
    /// The name of the struct that defines it.
    pub owner: Rc<str>,
    /// The function; its first parameter is the instance.
    pub closure: Rc<Closure>,
    /// `private fn`.
    pub is_private: bool,
    /// `abstract fn`.
    pub is_abstract: bool,
}

/// An instance: its struct and its instance variables.
pub struct InstanceObj {
    /// Its struct (an [`Object::Struct`]).
    pub class: Rc<Object>,
    /// `@x` variables by name (without `@`).
    pub ivars: RefCell<Ivars>,
}

/// An enum: a name and its members in definition order. Members are writable
/// (`Name.Member = v`), as upstream's are.
pub struct EnumObj {
    /// The enum's name.
    pub name: Rc<str>,
    /// Member name → value.
    pub members: RefCell<Map>,
}

impl Object {
    /// The fixed type name (`typeof` of an instance is its struct's name: see [`type_of`]).
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::Enum(_) => "enum",
            Object::Struct(_) => "",
            Object::Instance(_) => "object",
            Object::Generator(_) => "generator",
        }
    }

    /// How `println` shows it (when no `to_string` method is called).
    pub fn display(&self) -> String {
        match self {
            Object::Enum(e) => format!("<enum {}>", e.name),
            Object::Struct(_) => String::new(),
            Object::Instance(i) => format!("<struct(name={})>", i.struct_name()),
            Object::Generator(_) => "<generator>".to_string(),
        }
    }

    /// The struct behind a struct value.
    pub fn as_struct(&self) -> Option<&StructObj> {
        match self {
            Object::Struct(s) => Some(s),
            _ => None,
        }
    }
}

impl InstanceObj {
    /// The name of the instance's struct.
    pub fn struct_name(&self) -> Rc<str> {
        self.class
            .as_struct()
            .map_or_else(|| Rc::from(""), |s| s.name.clone())
    }
}

/// `typeof(v)` / `v.type()`: an instance's struct name, else the value's type name.
pub fn type_of(v: &Value) -> Value {
    match v {
        Value::Obj(o) => match &**o {
            Object::Instance(i) => Value::str(&*i.struct_name()),
            other => Value::str(other.type_name()),
        },
        other => Value::str(other.type_name()),
    }
}

/// The method `name` of struct `class` or the nearest ancestor that has it.
pub fn find_method<'a>(class: &'a Rc<Object>, name: &str) -> Option<&'a Method> {
    class.as_struct()?.methods.get(name)
}

/// The method an instance's struct chain defines for operator `symbol` (`+`, `==`, ...).
pub fn operator_method<'a>(v: &'a Value, symbol: &str) -> Option<&'a Rc<Closure>> {
    let Value::Obj(o) = v else { return None };
    let Object::Instance(i) = &**o else {
        return None;
    };
    find_method(&i.class, symbol).map(|m| &m.closure)
}

/// The `to_string` method of an instance whose struct chain defines one.
pub fn to_string_method(v: &Value) -> Option<&Rc<Closure>> {
    let Value::Obj(o) = v else { return None };
    let Object::Instance(i) = &**o else {
        return None;
    };
    find_method(&i.class, "to_string")
        .filter(|m| !m.is_abstract)
        .map(|m| &m.closure)
}

/// Up to `limit` distinct instances with a `to_string` method inside list or hashmap `v` (keys
/// and values, at any depth), in the order printing meets them.
pub fn shown_instances(v: &Value, limit: usize) -> Vec<Value> {
    let mut found: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Reversed children on a work stack: popped in printing order, no recursion.
    let mut work = vec![v.clone()];
    while let Some(item) = work.pop() {
        if found.len() >= limit {
            break;
        }
        match &item {
            Value::List(l) if seen.insert(Rc::as_ptr(l) as usize) => {
                if let Ok(items) = l.try_borrow() {
                    work.extend(items.iter().rev().cloned());
                }
            }
            Value::Map(m) if seen.insert(Rc::as_ptr(m) as usize) => {
                if let Ok(map) = m.try_borrow() {
                    for (k, val) in map.iter().rev() {
                        work.push(val.clone());
                        work.push(k.0.clone());
                    }
                }
            }
            Value::Obj(o)
                if to_string_method(&item).is_some()
                    && seen.insert(Rc::as_ptr(o) as *const u8 as usize) =>
            {
                found.push(item.clone());
            }
            _ => {}
        }
    }
    found
}

/// Whether struct `class` is named `name` or descends from a struct of that name.
pub fn is_a(class: &Rc<Object>, name: &str) -> bool {
    chain(class).any(|s| &*s.name == name)
}

/// The struct named `name` in the chain of `class` (itself or an ancestor).
pub fn ancestor_named<'a>(class: &'a Rc<Object>, name: &str) -> Option<&'a StructObj> {
    chain(class).find(|s| &*s.name == name)
}

/// Struct `class`, then its base, its base's base, ...
fn chain(class: &Rc<Object>) -> impl Iterator<Item = &StructObj> {
    std::iter::successors(class.as_struct(), |s| {
        s.base.as_deref().and_then(Object::as_struct)
    })
}

/// A new instance of struct `class`, with its own copies of the struct's declared instance
/// variables.
pub fn new_instance(class: &Rc<Object>) -> Value {
    Value::Obj(new_instance_object(class))
}

/// [`new_instance`], as the object itself.
pub fn new_instance_object(class: &Rc<Object>) -> Rc<Object> {
    let ivars = match class.as_struct() {
        Some(s) => {
            // Room for the variables the constructor is about to set, too.
            let mut values = Vec::with_capacity(s.shape.room());
            // Most defaults are null, numbers or strings: shared, not copied.
            values.extend(s.fields.iter().map(|(_, v)| match v {
                Value::List(_) | Value::Map(_) | Value::Bytes(_) => v.deep_copy(),
                other => other.clone(),
            }));
            Ivars::shaped(s.shape.clone(), values)
        }
        None => Ivars::shaped(Shape::root([]), Vec::new()),
    };
    Rc::new(Object::Instance(InstanceObj {
        class: class.clone(),
        ivars: RefCell::new(ivars),
    }))
}

/// Abstract methods of the whole chain of `class` that no struct in it implements.
pub fn unimplemented_abstract(class: &Rc<Object>) -> Vec<Rc<str>> {
    let Some(s) = class.as_struct() else {
        return Vec::new();
    };
    let mut missing: Vec<Rc<str>> = s
        .methods
        .iter()
        .filter(|(_, m)| m.is_abstract)
        .map(|(name, _)| name.clone())
        .collect();
    missing.sort();
    missing
}

/// Builds enum `name` from its members: an explicit value is taken as given, any other gets
/// the counter, which starts at 0 and becomes each member's value plus one (with `+`, so after
/// `Red = "red"` the next is `"red1"`).
pub fn make_enum(name: &str, members: Vec<(Rc<Text>, Option<Value>)>) -> KResult<Value> {
    let mut map = Map::with_capacity(members.len());
    let mut counter = Value::Int(0);
    for (member, explicit) in members {
        let value = explicit.unwrap_or_else(|| counter.clone());
        counter = crate::ops::binary(kiwi_syntax::ast::BinOp::Add, &value, &Value::Int(1))?;
        map.insert(Key(Value::Str(member)), value);
    }
    Ok(Value::Obj(Rc::new(Object::Enum(EnumObj {
        name: Rc::from(name),
        members: RefCell::new(map),
    }))))
}

/// A builtin method of an enum (`size`, `keys`, ...) or, without arguments, a member read:
/// `None` if it has none. Struct and instance methods are the VM's (they run Kiwi code).
pub fn call(obj: &Object, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    match obj {
        Object::Enum(e) => enum_method(e, name, args),
        _ => None,
    }
}

fn enum_method(e: &EnumObj, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    let members = e.members.borrow();
    Some(match name {
        "size" => arity("size", args, 0).map(|()| Value::Int(members.len() as i64)),
        "keys" => arity("keys", args, 0)
            .map(|()| Value::list(members.keys().map(|k| k.0.clone()).collect())),
        "values" => arity("values", args, 0)
            .map(|()| Value::list(members.iter().map(|(_, v)| v.clone()).collect())),
        "to_hashmap" => arity("to_hashmap", args, 0).map(|()| Value::map(members.clone())),
        "get" => arity_range("get", args, 1, 2).and_then(|()| {
            let member = str_arg("get", args, 0)?;
            match (members.get(&Key(Value::Str(member.clone()))), args.get(1)) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => Err(KiwiError::custom(
                    "KeyError",
                    format!("Enum '{}' has no member '{member}'.", e.name),
                )),
            }
        }),
        // `Name.Member` with no arguments reads the member; an unknown one is null.
        _ if args.is_empty() => Ok(members
            .get(&Key(Value::str(name)))
            .cloned()
            .unwrap_or_default()),
        _ => return None,
    })
}

/// `obj[key]` on an object: an enum's member (null if it has none); `None` if the object
/// cannot be indexed.
pub fn index(obj: &Object, key: &Value) -> Option<Value> {
    let v = match obj {
        Object::Instance(i) => i.ivars.borrow().get(key).cloned(),
        _ => table(obj)?.borrow().get(&KeyRef(key)).cloned(),
    };
    Some(v.unwrap_or_default())
}

/// The variables of an object other than an instance: an enum's members, a struct's statics.
fn table(obj: &Object) -> Option<&RefCell<Map>> {
    match obj {
        Object::Enum(e) => Some(&e.members),
        Object::Struct(s) => Some(&s.statics),
        Object::Instance(_) | Object::Generator(_) => None,
    }
}

/// `obj.name` on an object with variables (null if it has no `name`); `None` if it has none.
/// `cache` remembers where `name` was, for the next read or write at the same site.
#[inline]
pub fn get_member(obj: &Object, name: &Rc<Text>, cache: &SiteCache) -> Option<Value> {
    if let Object::Instance(i) = obj {
        return Some(i.ivars.borrow().get_cached(name, cache));
    }
    Some(get_cached(&table(obj)?.borrow(), name, cache))
}

/// `vars[name]` (null if absent), looked for first where `cache` saw `name` last: variables
/// and records built alike keep their names in one order. Used by member reads and by
/// hashmap reads with a literal key (`p["data"]`).
// Inlined into the op loop's member reads: a call cost each read about 20 instructions, and
// every workload got faster with it (callgrind, issue 14: objects -1.2%, loop -2.5%).
#[inline]
pub fn get_cached(vars: &Map, name: &Rc<Text>, cache: &SiteCache) -> Value {
    if let Some((Key(Value::Str(k)), v)) = vars.entry_at(cache.slot()) {
        if Rc::ptr_eq(k, name) {
            return v.clone();
        }
    }
    let Some(pos) = vars.position(&Key(Value::Str(name.clone()))) else {
        return Value::Null;
    };
    cache.remember_slot(pos);
    vars.entry_at(pos)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// `obj.name = value` on an object, with the site's `cache` as for [`get_member`].
pub fn set_member_cached(
    obj: &Object,
    name: &Rc<Text>,
    cache: &SiteCache,
    value: Value,
) -> KResult<()> {
    if let Object::Instance(i) = obj {
        let mut ivars = i.ivars.try_borrow_mut().map_err(|_| in_use())?;
        ivars.set_cached(name, cache, value);
        return Ok(());
    }
    let mut vars = table(obj)
        .ok_or_else(not_settable)?
        .try_borrow_mut()
        .map_err(|_| in_use())?;
    set_cached(&mut vars, name, cache, value);
    Ok(())
}

/// `vars[name] = value`, first where `cache` saw `name` last (the write of [`get_cached`]).
pub fn set_cached(vars: &mut Map, name: &Rc<Text>, cache: &SiteCache, value: Value) {
    let value = match vars.entry_at_mut(cache.slot()) {
        Some((Key(Value::Str(k)), v)) if Rc::ptr_eq(k, name) => {
            *v = value;
            return;
        }
        _ => value,
    };
    let (pos, _) = vars.insert_full(Key(Value::Str(name.clone())), value);
    cache.remember_slot(pos);
}

fn not_settable() -> KiwiError {
    KiwiError::new(
        ErrorType::InvalidOperationError,
        "Cannot set a member of this value.",
    )
}

fn in_use() -> KiwiError {
    KiwiError::new(ErrorType::InvalidOperationError, "The object is in use.")
}

/// `obj[key] = value` / `obj.key = value` on an object.
pub fn set_member(obj: &Object, key: &Value, value: Value) -> KResult<()> {
    let key = Key(key.clone());
    if let Object::Instance(i) = obj {
        i.ivars
            .try_borrow_mut()
            .map_err(|_| in_use())?
            .insert(key, value);
        return Ok(());
    }
    table(obj)
        .ok_or_else(not_settable)?
        .try_borrow_mut()
        .map_err(|_| in_use())?
        .insert(key, value);
    Ok(())
}

//! The object model: values that are neither plain data nor functions. Today: enums. Structs,
//! instances and generators join here, so `value.rs` keeps one variant for all of them.

use std::cell::RefCell;
use std::rc::Rc;

use crate::error::{ErrorType, KResult, KiwiError};
use crate::methods::check::{arity, arity_range, str_arg};
use crate::value::{Key, Map, Value};

/// An object value.
pub enum Object {
    /// `enum Name ... end`.
    Enum(EnumObj),
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
    /// `typeof`: the object's type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::Enum(_) => "enum",
        }
    }

    /// How `println` shows it.
    pub fn display(&self) -> String {
        match self {
            Object::Enum(e) => format!("<enum {}>", e.name),
        }
    }
}

/// Builds enum `name` from its members: an explicit value is taken as given, any other gets
/// the counter, which starts at 0 and becomes each member's value plus one (with `+`, so after
/// `Red = "red"` the next is `"red1"`).
pub fn make_enum(name: &str, members: Vec<(Rc<String>, Option<Value>)>) -> KResult<Value> {
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

/// A method call or member read on an object: `None` if it has no such method.
pub fn call(obj: &Object, name: &str, args: &[Value]) -> Option<KResult<Value>> {
    match obj {
        Object::Enum(e) => enum_method(e, name, args),
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
    match obj {
        Object::Enum(e) => Some(
            e.members
                .borrow()
                .get(&Key(key.clone()))
                .cloned()
                .unwrap_or_default(),
        ),
    }
}

/// `obj[key] = value` / `obj.key = value` on an object.
pub fn set_member(obj: &Object, key: &Value, value: Value) -> KResult<()> {
    match obj {
        Object::Enum(e) => {
            e.members
                .try_borrow_mut()
                .map_err(|_| {
                    KiwiError::new(ErrorType::InvalidOperationError, "The enum is in use.")
                })?
                .insert(Key(key.clone()), value);
            Ok(())
        }
    }
}

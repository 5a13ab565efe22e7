//! Kiwi runtime values.
//!
//! Everything lives on one scheduler thread, so shared containers are `Rc<RefCell<..>>`:
//! lists, hashmaps and bytes have reference semantics (`b = a` aliases), strings are immutable
//! `Rc<str>`.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use crate::channel::Channel;
use crate::function::Closure;

/// An insertion-ordered hashmap with type-strict keys (removal keeps the order of the rest).
pub type Map = crate::ordmap::OrderedMap<Key, Value>;

/// A Kiwi value.
#[derive(Clone, Default)]
pub enum Value {
    /// `null`, also the value of uninitialised locals.
    #[default]
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// 64-bit integer (wrapping `+ - *`).
    Int(i64),
    /// 64-bit float.
    Float(f64),
    /// A string; lengths and indexes count Unicode scalar values. Strings are immutable to
    /// scripts; the `String` inside is only ever grown in place by `+=` when this `Rc` is the
    /// sole owner, which no one can observe.
    Str(Rc<String>),
    /// Mutable list with reference semantics.
    List(Rc<RefCell<Vec<Value>>>),
    /// Mutable insertion-ordered hashmap with reference semantics.
    Map(Rc<RefCell<Map>>),
    /// Mutable byte array with reference semantics.
    Bytes(Rc<RefCell<Vec<u8>>>),
    /// A lambda or named function (there is no separate function type).
    Func(Rc<Closure>),
    /// A task channel (`typeof` is `"Channel"`).
    Channel(Rc<Channel>),
    /// A package value, as yielded by `import "name"`.
    Package(Rc<String>),
}

impl Value {
    /// Whether an operation on this value may take long: a collection of thousands of
    /// elements, or a string or byte array of tens of KiB. After a native call or operator that
    /// touched such a value, the VM checks the clock (see `Interp::slice_overran`).
    pub fn is_bulky(&self) -> bool {
        const ELEMENTS: usize = 4096;
        const BYTES: usize = 64 * 1024;
        match self {
            Value::Str(s) => s.len() >= BYTES,
            Value::List(l) => l.try_borrow().map_or(true, |l| l.len() >= ELEMENTS),
            Value::Map(m) => m.try_borrow().map_or(true, |m| m.len() >= ELEMENTS),
            Value::Bytes(b) => b.try_borrow().map_or(true, |b| b.len() >= BYTES),
            _ => false,
        }
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(Rc::new(s.into()))
    }

    /// A new list value owning `items`.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }

    /// A new hashmap value owning `map`.
    pub fn map(map: Map) -> Value {
        Value::Map(Rc::new(RefCell::new(map)))
    }

    /// A new bytes value owning `bytes`.
    pub fn bytes(bytes: Vec<u8>) -> Value {
        Value::Bytes(Rc::new(RefCell::new(bytes)))
    }

    /// The `typeof` name of the value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "hashmap",
            Value::Bytes(_) => "bytes",
            Value::Func(_) => "lambda",
            Value::Channel(_) => "Channel",
            Value::Package(_) => "",
        }
    }

    /// The .NET-style enum name used in builtin error messages (`` `Integer` ``, `` `None` ``).
    pub fn dotnet_type_name(&self) -> &'static str {
        match self {
            Value::Null => "None",
            Value::Bool(_) => "Boolean",
            Value::Int(_) => "Integer",
            Value::Float(_) => "Float",
            Value::Str(_) => "String",
            Value::List(_) => "List",
            Value::Map(_) => "Hashmap",
            Value::Bytes(_) => "Bytes",
            Value::Func(_) => "Lambda",
            Value::Channel(_) => "Object",
            Value::Package(_) => "Object",
        }
    }

    /// Kiwi truthiness: `false`, `null`, `0`, `0.0`, `""`, `[]`, `{}` and empty bytes are falsy
    /// (so is a package value); everything else is truthy.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.borrow().is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Bytes(b) => !b.borrow().is_empty(),
            Value::Func(_) | Value::Channel(_) => true,
            Value::Package(_) => false,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The numeric value as f64, for int and float.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// A deep copy: lists and hashmaps are copied recursively, bytes are copied; everything
    /// else (strings, functions, channels) is shared. Containers nested deeper than
    /// [`MAX_DEPTH`] (only possible through cycles) are shared rather than copied.
    pub fn deep_copy(&self) -> Value {
        self.deep_copy_at(0)
    }

    fn deep_copy_at(&self, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return self.clone();
        }
        match self {
            Value::List(l) => Value::list(
                l.borrow()
                    .iter()
                    .map(|v| v.deep_copy_at(depth + 1))
                    .collect(),
            ),
            Value::Map(m) => Value::map(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.deep_copy_at(depth + 1)))
                    .collect(),
            ),
            Value::Bytes(b) => Value::bytes(b.borrow().clone()),
            other => other.clone(),
        }
    }
}

/// How deep equality, hashing and copying descend into nested containers. Only a container
/// that contains itself gets this deep; past it, such values compare unequal.
pub const MAX_DEPTH: usize = 200;

/// `==` of §2: numbers compare across types, other different types are never equal, list
/// elements compare type-strictly, hashmaps compare as sets of pairs, lambdas are never equal.
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    loose_eq_at(a, b, 0)
}

fn loose_eq_at(a: &Value, b: &Value, depth: usize) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        _ => strict_eq_at(a, b, depth),
    }
}

/// Type-strict equality: `1` and `1.0` differ. Used for list elements, hashmap keys and
/// `contains`/`index`/`remove`.
pub fn strict_eq(a: &Value, b: &Value) -> bool {
    strict_eq_at(a, b, 0)
}

fn strict_eq_at(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y) || x == y,
        (Value::List(x), Value::List(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|(a, b)| strict_eq_at(a, b, depth + 1))
        }
        (Value::Map(x), Value::Map(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| loose_eq_at(v, w, depth + 1)))
        }
        (Value::Bytes(x), Value::Bytes(y)) => *x.borrow() == *y.borrow(),
        (Value::Func(_), Value::Func(_)) => false,
        (Value::Channel(x), Value::Channel(y)) => Rc::ptr_eq(x, y),
        (Value::Package(x), Value::Package(y)) => x == y,
        _ => false,
    }
}

/// A hashmap key: a value compared type-strictly and hashed by content.
#[derive(Clone)]
pub struct Key(pub Value);

impl Key {
    /// The wrapped value.
    pub fn value(&self) -> &Value {
        &self.0
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Self {
        Key(Value::str(s))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        strict_eq(&self.0, &other.0)
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_value(&self.0, state, 0);
    }
}

fn hash_value<H: Hasher>(v: &Value, state: &mut H, depth: usize) {
    std::mem::discriminant(v).hash(state);
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Null => {}
        Value::Bool(b) => b.hash(state),
        Value::Int(i) => i.hash(state),
        // -0.0 == 0.0 must hash alike; NaN never equals itself, so any hash is fine.
        Value::Float(f) => (if *f == 0.0 { 0.0f64 } else { *f }).to_bits().hash(state),
        Value::Str(s) => s.hash(state),
        Value::List(l) => {
            let l = l.borrow();
            l.len().hash(state);
            for item in l.iter() {
                hash_value(item, state, depth + 1);
            }
        }
        // Order-insensitive equality, so only the size goes into the hash.
        Value::Map(m) => m.borrow().len().hash(state),
        Value::Bytes(b) => b.borrow().hash(state),
        Value::Func(f) => (Rc::as_ptr(f) as usize).hash(state),
        Value::Channel(c) => (Rc::as_ptr(c) as usize).hash(state),
        Value::Package(p) => p.hash(state),
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", crate::format::to_repr(self))
    }
}

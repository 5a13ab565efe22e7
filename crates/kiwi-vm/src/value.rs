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
pub use crate::text::Text;

/// An insertion-ordered hashmap with type-strict keys (removal keeps the order of the rest).
pub type Map = crate::ordmap::OrderedMap<Key, Value>;

/// The elements of a list. A `Vec` in all but dropping: the elements go through
/// [`crate::release::release_values`], so a list nested 100,000 deep is freed without deep
/// recursion.
#[derive(Clone, Default)]
pub struct Elements(pub Vec<Value>);

impl std::ops::Deref for Elements {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl std::ops::DerefMut for Elements {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.0
    }
}

impl Drop for Elements {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            crate::release::release_values(std::mem::take(&mut self.0));
        }
    }
}

/// A clone of `v` for the hot paths (a local or a variable pushed for an operation): an
/// integer is copied in place, where the general clone is a call.
#[inline(always)]
pub fn copy_of(v: &Value) -> Value {
    match v {
        Value::Int(n) => Value::Int(*n),
        other => other.clone(),
    }
}

/// A Kiwi value.
#[derive(Clone, Default)]
// A 4-byte tag instead of the default 1-byte one (same 16 bytes, same niche for
// `Option<Value>`): with it the VM's code moves values through fewer single-byte stack stores,
// and the object workloads run 11-15% faster (alternating runs: objects, structs; instruction
// counts unchanged; bench/RESULTS.md, issue 14, seventh session). An 8-byte tag gained as
// much there but cost the integer loop a register.
#[repr(u32)]
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
    /// scripts; the text inside is only ever grown in place by `+=` when this `Rc` is the
    /// sole owner, which no one can observe. [`Text`] also keeps the string's hash.
    Str(Rc<Text>),
    /// Mutable list with reference semantics.
    List(Rc<RefCell<Elements>>),
    /// Mutable insertion-ordered hashmap with reference semantics.
    Map(Rc<RefCell<Map>>),
    /// Mutable byte array with reference semantics.
    Bytes(Rc<RefCell<Vec<u8>>>),
    /// A lambda or named function (there is no separate function type).
    Func(Rc<Closure>),
    /// A task channel (`typeof` is `"Channel"`).
    Channel(Rc<Channel>),
    /// A package value, as yielded by `import "name"`.
    Package(Rc<Text>),
    /// An object of the object model (an enum, ...), compared by identity.
    Obj(Rc<crate::object::Object>),
    /// A date and time of day (wall-clock, no time zone): milliseconds since
    /// 1970-01-01 00:00:00 in that same reckoning (see [`crate::date`]).
    Date(i64),
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
        Value::Str(Rc::new(Text::new(s.into())))
    }

    /// A new list value owning `items`.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(Elements(items))))
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
            Value::Obj(o) => o.type_name(),
            Value::Date(_) => "date",
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
            Value::Package(_) | Value::Obj(_) => "Object",
            Value::Date(_) => "Date",
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
            Value::Func(_) | Value::Channel(_) | Value::Obj(_) | Value::Date(_) => true,
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

    /// A deep copy: lists and hashmaps are copied at every depth, bytes are copied; everything
    /// else (strings, functions, channels) is shared. A part the original holds twice is copied
    /// twice (as upstream's recursive clone does); a container that contains itself is copied
    /// as one that contains its copy. Any depth is copied without deep recursion.
    pub fn deep_copy(&self) -> Value {
        let nested = |v: &Value| matches!(v, Value::List(_) | Value::Map(_));
        match self {
            // Numbers first, copied here: through `clone` they cost a call and its dispatch
            // on every `list.push(i)`.
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            // The common cases (pushing a flat list or map) need no bookkeeping.
            Value::List(l) if !l.borrow().iter().any(nested) => {
                Value::list(l.borrow().iter().map(Value::deep_copy).collect())
            }
            Value::Map(m) if !m.borrow().values().any(nested) => Value::map(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.deep_copy()))
                    .collect(),
            ),
            Value::List(_) | Value::Map(_) => deep_copy_nested(self),
            Value::Bytes(b) => Value::bytes(b.borrow().clone()),
            other => other.clone(),
        }
    }
}

/// A container being copied by [`deep_copy_nested`]: the original, its copy (filled as the
/// walk goes) and how far the walk got.
struct Copying {
    from: Value,
    to: Value,
    next: usize,
}

/// [`Value::deep_copy`] of a container holding containers, as a walk with its own stack.
/// `open` maps the containers on the current path to their copies: meeting one of them again
/// is a cycle, and the copy points at the copy.
fn deep_copy_nested(root: &Value) -> Value {
    fn address(v: &Value) -> Option<usize> {
        match v {
            Value::List(l) => Some(Rc::as_ptr(l) as *const u8 as usize),
            Value::Map(m) => Some(Rc::as_ptr(m) as *const u8 as usize),
            _ => None,
        }
    }
    let mut open: std::collections::HashMap<usize, Value> = std::collections::HashMap::new();
    let mut stack: Vec<Copying> = Vec::new();
    // The copy of `v`: scalars and bytes at once; a container gets an empty copy and a frame.
    let copy_of = |v: &Value,
                   stack: &mut Vec<Copying>,
                   open: &mut std::collections::HashMap<usize, Value>|
     -> Value {
        let Some(addr) = address(v) else {
            return v.deep_copy();
        };
        if let Some(copy) = open.get(&addr) {
            return copy.clone();
        }
        let empty = match v {
            Value::List(_) => Value::list(Vec::new()),
            _ => Value::map(Map::new()),
        };
        open.insert(addr, empty.clone());
        stack.push(Copying {
            from: v.clone(),
            to: empty.clone(),
            next: 0,
        });
        empty
    };
    let root_copy = copy_of(root, &mut stack, &mut open);
    while let Some(top) = stack.last_mut() {
        // The next element (and, for a map, its key), or the end of this container.
        let step: Option<(Option<Key>, Value)> = match &top.from {
            Value::List(l) => l.borrow().get(top.next).map(|v| {
                top.next += 1;
                (None, v.clone())
            }),
            Value::Map(m) => m.borrow().entry_from(top.next).map(|(pos, k, v)| {
                top.next = pos + 1;
                (Some(k.clone()), v.clone())
            }),
            _ => None,
        };
        let Some((key, value)) = step else {
            if let Some(addr) = stack.pop().and_then(|done| address(&done.from)) {
                open.remove(&addr);
            }
            continue;
        };
        let to = top.to.clone();
        let copy = copy_of(&value, &mut stack, &mut open);
        match (&to, key) {
            (Value::List(items), None) => items.borrow_mut().push(copy),
            (Value::Map(map), Some(k)) => {
                map.borrow_mut().insert(k, copy);
            }
            _ => {}
        }
    }
    root_copy
}

/// How deep hashing and copying descend into nested containers. Only a container that
/// contains itself gets this deep in practice; past it, hashing ignores the rest and copying
/// shares it.
pub const MAX_DEPTH: usize = 200;

/// `==` of §2: numbers compare across types, other different types are never equal, list
/// elements compare type-strictly, hashmaps compare as sets of pairs, lambdas are never equal.
/// Any depth compares without deep recursion; containers that contain themselves compare
/// equal when they unfold alike.
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    values_eq(a, b, true)
}

/// Type-strict equality: `1` and `1.0` differ. Used for list elements, hashmap keys and
/// `contains`/`index`/`remove`.
pub fn strict_eq(a: &Value, b: &Value) -> bool {
    values_eq(a, b, false)
}

fn values_eq(a: &Value, b: &Value, loose: bool) -> bool {
    if let Some(settled) = shallow_eq(a, b, loose) {
        return settled;
    }
    // Two distinct lists or two distinct maps: compare element pairs from a work list.
    let mut work: Vec<(Value, Value, bool)> = vec![(a.clone(), b.clone(), loose)];
    // Container pairs already compared or being compared: meeting one again (a cycle, or
    // shared parts) adds nothing.
    let mut seen: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    while let Some((a, b, loose)) = work.pop() {
        match shallow_eq(&a, &b, loose) {
            Some(true) => continue,
            Some(false) => return false,
            None => {}
        }
        match (&a, &b) {
            (Value::List(x), Value::List(y)) => {
                if !seen.insert((Rc::as_ptr(x) as usize, Rc::as_ptr(y) as usize)) {
                    continue;
                }
                let (x, y) = (x.borrow(), y.borrow());
                if x.len() != y.len() {
                    return false;
                }
                work.extend(
                    x.iter()
                        .zip(y.iter())
                        .rev()
                        .map(|(p, q)| (p.clone(), q.clone(), false)),
                );
            }
            (Value::Obj(x), Value::Obj(y)) => {
                if let (crate::object::Object::Instance(p), crate::object::Object::Instance(q)) =
                    (&**x, &**y)
                {
                    if !seen.insert((Rc::as_ptr(x) as usize, Rc::as_ptr(y) as usize)) {
                        continue;
                    }
                    // Compared as two hashmaps of their variables.
                    let (p, q) = (p.ivars.borrow(), q.ivars.borrow());
                    let lens = (p.len(), q.len());
                    if !pair_entries(lens, p.iter(), |k| q.get(&k.0), &mut work) {
                        return false;
                    }
                }
            }
            (Value::Map(x), Value::Map(y)) => {
                if !seen.insert((Rc::as_ptr(x) as usize, Rc::as_ptr(y) as usize)) {
                    continue;
                }
                let (x, y) = (x.borrow(), y.borrow());
                if !pair_entries((x.len(), y.len()), x.iter(), |k| y.get(k), &mut work) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

/// Queues the value pairs of two maps for comparison (loosely, as hashmap values compare);
/// false if their keys differ.
fn pair_entries<'a>(
    (x_len, y_len): (usize, usize),
    x: impl Iterator<Item = (&'a Key, &'a Value)>,
    y: impl Fn(&Key) -> Option<&'a Value>,
    work: &mut Vec<(Value, Value, bool)>,
) -> bool {
    if x_len != y_len {
        return false;
    }
    for (k, v) in x {
        match y(k) {
            Some(w) => work.push((v.clone(), w.clone(), true)),
            None => return false,
        }
    }
    true
}

/// Equality decided without looking inside containers: `None` only for two distinct lists or
/// two distinct maps.
fn shallow_eq(a: &Value, b: &Value, loose: bool) -> Option<bool> {
    Some(match (a, b) {
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) if loose => {
            (*x as f64) == *y
        }
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y) || x == y,
        (Value::List(x), Value::List(y)) => return Rc::ptr_eq(x, y).then_some(true),
        (Value::Map(x), Value::Map(y)) => return Rc::ptr_eq(x, y).then_some(true),
        (Value::Bytes(x), Value::Bytes(y)) => *x.borrow() == *y.borrow(),
        (Value::Func(_), Value::Func(_)) => false,
        (Value::Channel(x), Value::Channel(y)) => Rc::ptr_eq(x, y),
        (Value::Package(x), Value::Package(y)) => x == y,
        (Value::Date(x), Value::Date(y)) => x == y,
        (Value::Obj(x), Value::Obj(y)) if Rc::ptr_eq(x, y) => true,
        // Instances of one struct are equal when their variables are (structural).
        (Value::Obj(x), Value::Obj(y)) => match (&**x, &**y) {
            (crate::object::Object::Instance(p), crate::object::Object::Instance(q))
                if Rc::ptr_eq(&p.class, &q.class) =>
            {
                return None
            }
            _ => false,
        },
        _ => false,
    })
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
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        key_eq(&self.0, &other.0)
    }
}

/// Key equality: type-strict, with string keys settled without a call.
#[inline]
fn key_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // Names are shared constants (equal by pointer); distinct ones mostly differ in
        // length or first byte, which settles them without a memcmp call.
        (Value::Str(a), Value::Str(b)) => {
            Rc::ptr_eq(a, b)
                || (a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b)
        }
        (a, b) => strict_eq(a, b),
    }
}

/// A borrowed hashmap key: looks a value up without copying it into a [`Key`] (whose hash
/// and equality it shares).
pub struct KeyRef<'a>(pub &'a Value);

impl Hash for KeyRef<'_> {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_value(self.0, state, 0);
    }
}

impl crate::ordmap::Lookup<Key> for KeyRef<'_> {
    #[inline]
    fn matches(&self, key: &Key) -> bool {
        key_eq(self.0, &key.0)
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
        // The cached hash: a key taken from a big list need not have its bytes read.
        Value::Str(s) => state.write_u64(s.hash_code()),
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
        Value::Date(ms) => ms.hash(state),
        Value::Func(f) => (Rc::as_ptr(f) as usize).hash(state),
        Value::Channel(c) => (Rc::as_ptr(c) as usize).hash(state),
        Value::Package(p) => p.hash(state),
        // Instances compare structurally (same struct, equal variables), so they hash by
        // what equal ones share: the struct and the number of variables.
        Value::Obj(o) => match &**o {
            crate::object::Object::Instance(i) => {
                (Rc::as_ptr(&i.class) as *const u8 as usize).hash(state);
                i.ivars.try_borrow().map_or(0, |m| m.len()).hash(state);
            }
            _ => (Rc::as_ptr(o) as *const u8 as usize).hash(state),
        },
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", crate::format::to_repr(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list that contains itself copies as a list that contains its copy, and compares
    /// equal to it; equality of two such lists terminates.
    #[test]
    fn cycles_copy_and_compare() {
        let l = Value::list(vec![Value::Int(1)]);
        let Value::List(rc) = &l else { unreachable!() };
        rc.borrow_mut().push(Value::list(vec![l.clone()]));
        let c = l.deep_copy();
        let Value::List(crc) = &c else { unreachable!() };
        assert!(!Rc::ptr_eq(rc, crc));
        let inner = crc.borrow()[1].clone();
        let Value::List(inner) = inner else {
            unreachable!()
        };
        assert!(matches!(&inner.borrow()[0], Value::List(x) if Rc::ptr_eq(x, crc)));
        assert!(strict_eq(&l, &c));
        // Break both cycles so the test does not leak.
        rc.borrow_mut().clear();
        crc.borrow_mut().clear();
    }
}

#[cfg(test)]
mod key_ref_tests {
    use super::*;

    /// A borrowed key finds exactly what an owned one finds, in a small (scanned) map and in
    /// an indexed one: type-strict, -0.0 as 0.0, strings and lists by content.
    #[test]
    fn finds_what_a_key_finds() {
        let keys = [
            Value::Int(1),
            Value::Float(1.0),
            Value::str("1"),
            Value::Float(-0.0),
            Value::Bool(true),
            Value::list(vec![Value::Int(1), Value::str("a")]),
        ];
        let probes = [
            Value::Int(1),
            Value::Float(1.0),
            Value::str("1"),
            Value::Float(0.0),
            Value::Int(0),
            Value::Bool(true),
            Value::Int(2),
            Value::list(vec![Value::Int(1), Value::str("a")]),
            Value::list(vec![Value::Float(1.0), Value::str("a")]),
        ];
        for padding in [0, 20] {
            let mut m = Map::new();
            for (i, k) in keys.iter().enumerate() {
                m.insert(Key(k.clone()), Value::Int(i as i64));
            }
            for i in 0..padding {
                m.insert(Key(Value::Int(100 + i)), Value::Null);
            }
            for p in &probes {
                let by_key = m.get(&Key(p.clone())).cloned();
                assert_eq!(
                    format!("{:?}", m.get(&KeyRef(p)).cloned()),
                    format!("{by_key:?}")
                );
            }
            assert!(m.get(&KeyRef(&Value::Float(0.0))).is_some());
            assert!(m.get(&KeyRef(&Value::Int(0))).is_none());
        }
    }
}

#[cfg(test)]
mod layout_tests {
    /// The tag's width must not grow a value or an optional one (see `Value`).
    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<super::Value>(), 16);
        assert_eq!(std::mem::size_of::<Option<super::Value>>(), 16);
    }
}

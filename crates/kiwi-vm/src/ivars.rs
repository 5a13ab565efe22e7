//! An instance's variables, stored by shape.
//!
//! Instances of one struct are nearly always built alike: the constructor sets `@x`, then
//! `@y`, in the same order every time. So an instance keeps its variables' *values* in a
//! vector and points at a shared [`Shape`] that holds their *names* in that order. Shapes form
//! a tree per struct: the struct's root shape (its declared variables), and for each name set
//! on an instance of a shape, the child shape with that name appended, made once and shared.
//! A site that reads or writes `@x` remembers the shape and the position it found there
//! (see [`crate::sitecache::SiteCache`]), so the next instance of that shape costs a pointer
//! comparison and an index; a constructor's new variable costs a pointer comparison and a
//! push, with no key to compare, copy or drop.
//!
//! Anything else (a variable named by a non-string key, `obj[1] = v`; more than
//! [`MAX_SHAPED`] variables) turns that one instance into an ordinary ordered map, which
//! behaves exactly as the shaped form does, only without the shortcut.

use crate::text::Text;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::sitecache::SiteCache;
use crate::value::{Key, KeyRef, Map, Value};

/// Past this many variables an instance keeps them in a map: shapes copy their names, and an
/// instance used as a dictionary would otherwise grow a chain of ever longer shapes.
const MAX_SHAPED: usize = 32;

/// How many children a shape remembers. Past that, a new name makes a shape of its own that
/// nothing shares (an instance given names from data must not grow the tree without bound).
const MAX_CHILDREN: usize = 16;

/// The names of an instance's variables, in the order they were set (see the module doc).
pub struct Shape {
    /// Variable names (string keys), in order: `keys[i]` names the instance's `values[i]`.
    keys: Box<[Key]>,
    /// Shapes made from this one by appending a name (that name is their last key).
    children: RefCell<Vec<Rc<Shape>>>,
    /// The most names of any shape in this tree, shared by all of them: a new instance has
    /// room for that many values at once (an instance is made by the million, so neither
    /// growing its vector on every new variable nor a fixed room fits).
    widest: Rc<Cell<usize>>,
}

impl Shape {
    /// A root shape with these names, for a struct's declared variables.
    pub fn root(keys: impl IntoIterator<Item = Key>) -> Rc<Shape> {
        let keys: Box<[Key]> = keys.into_iter().collect();
        Rc::new(Shape {
            widest: Rc::new(Cell::new(keys.len())),
            keys,
            children: RefCell::new(Vec::new()),
        })
    }

    /// How many values an instance starting with this shape is likely to get (see `widest`).
    pub fn room(&self) -> usize {
        self.widest.get()
    }

    /// Where `name` is among this shape's names.
    fn position(&self, name: &Rc<Text>) -> Option<usize> {
        self.keys.iter().position(|k| is_name(k, name))
    }

    /// This shape with `name` appended (the caller knows it does not have it): a remembered
    /// child if there is one.
    fn child(self: &Rc<Shape>, name: &Rc<Text>) -> Rc<Shape> {
        let found = self
            .children
            .borrow()
            .iter()
            .find(|c| c.keys.last().is_some_and(|k| is_name(k, name)))
            .cloned();
        if let Some(child) = found {
            return child;
        }
        let mut keys = Vec::with_capacity(self.keys.len() + 1);
        keys.extend(self.keys.iter().cloned());
        keys.push(Key(Value::Str(name.clone())));
        self.widest.set(self.widest.get().max(keys.len()));
        let child = Rc::new(Shape {
            keys: keys.into(),
            children: RefCell::new(Vec::new()),
            widest: self.widest.clone(),
        });
        let mut children = self.children.borrow_mut();
        if children.len() < MAX_CHILDREN {
            children.push(child.clone());
        }
        child
    }
}

/// Whether key `k` is the string `name` (by pointer first: names are shared constants).
fn is_name(k: &Key, name: &Rc<Text>) -> bool {
    match &k.0 {
        Value::Str(s) => Rc::ptr_eq(s, name) || (s.len() == name.len() && **s == **name),
        _ => false,
    }
}

/// An instance's variables: by shape, or (see the module doc) as a map.
#[derive(Clone)]
pub struct Ivars(Store);

#[derive(Clone)]
enum Store {
    Shaped {
        shape: Rc<Shape>,
        values: Vec<Value>,
    },
    Map(Map),
}

impl Ivars {
    /// Variables of shape `shape` with these values (one per name, in order).
    pub fn shaped(shape: Rc<Shape>, values: Vec<Value>) -> Ivars {
        debug_assert_eq!(shape.keys.len(), values.len());
        Ivars(Store::Shaped { shape, values })
    }

    /// Number of variables.
    pub fn len(&self) -> usize {
        match &self.0 {
            Store::Shaped { values, .. } => values.len(),
            Store::Map(m) => m.len(),
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The variable named by `key` (looked up borrowed, as `value::KeyRef` does).
    pub fn get(&self, key: &Value) -> Option<&Value> {
        match &self.0 {
            Store::Shaped { shape, values } => match key {
                Value::Str(name) => values.get(shape.position(name)?),
                _ => None,
            },
            Store::Map(m) => m.get(&KeyRef(key)),
        }
    }

    /// Sets the variable named by `key` (a new one goes last). Returns the old value.
    pub fn insert(&mut self, key: Key, value: Value) -> Option<Value> {
        if let (Store::Shaped { shape, values }, Value::Str(name)) = (&mut self.0, &key.0) {
            if let Some(at) = shape.position(name) {
                return values.get_mut(at).map(|v| std::mem::replace(v, value));
            }
            if values.len() < MAX_SHAPED {
                *shape = shape.child(name);
                values.push(value);
                return None;
            }
        }
        self.as_map().insert(key, value)
    }

    /// Variables in the order they were set.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Value)> + '_ {
        let (shaped, map) = match &self.0 {
            Store::Shaped { shape, values } => (Some(shape.keys.iter().zip(values.iter())), None),
            Store::Map(m) => (None, Some(m.iter())),
        };
        shaped
            .into_iter()
            .flatten()
            .chain(map.into_iter().flatten())
    }

    /// `@name` (null if there is none), looked for first where `cache` saw it last.
    // Only the cache hit is inlined (into the op loop's member reads); a miss is a call.
    #[inline]
    pub fn get_cached(&self, name: &Rc<Text>, cache: &SiteCache) -> Value {
        if let Store::Shaped { shape, values } = &self.0 {
            if cache.is_shape(shape) {
                if let Some(v) = values.get(cache.slot()) {
                    return crate::value::copy_of(v);
                }
            }
        }
        self.get_missed(name, cache)
    }

    #[inline(never)]
    fn get_missed(&self, name: &Rc<Text>, cache: &SiteCache) -> Value {
        match &self.0 {
            Store::Shaped { shape, values } => match shape.position(name) {
                Some(at) => {
                    cache.remember_shape(shape, at);
                    values.get(at).cloned().unwrap_or_default()
                }
                None => Value::Null,
            },
            Store::Map(m) => crate::object::get_cached(m, name, cache),
        }
    }

    /// `@name = value`, through `cache` as for [`Ivars::get_cached`]; a constructor's new
    /// variable also through the shape change `cache` saw last.
    #[inline]
    pub fn set_cached(&mut self, name: &Rc<Text>, cache: &SiteCache, value: Value) {
        if let Store::Shaped { shape, values } = &mut self.0 {
            if cache.is_shape(shape) {
                if let Some(v) = values.get_mut(cache.slot()) {
                    *v = value;
                    return;
                }
            }
            if let Some(next) = cache.grown_shape(shape) {
                *shape = next;
                values.push(value);
                return;
            }
        }
        self.set_missed(name, cache, value)
    }

    #[inline(never)]
    fn set_missed(&mut self, name: &Rc<Text>, cache: &SiteCache, value: Value) {
        let Store::Shaped { shape, values } = &mut self.0 else {
            return self.set_in_map(name, cache, value);
        };
        if let Some(at) = shape.position(name) {
            cache.remember_shape(shape, at);
            if let Some(v) = values.get_mut(at) {
                *v = value;
            }
            return;
        }
        if values.len() >= MAX_SHAPED {
            return self.set_in_map(name, cache, value);
        }
        let next = shape.child(name);
        cache.remember_growth(shape, &next);
        *shape = next;
        values.push(value);
    }

    fn set_in_map(&mut self, name: &Rc<Text>, cache: &SiteCache, value: Value) {
        crate::object::set_cached(self.as_map(), name, cache, value);
    }

    /// The variables as a map, from now on (see the module doc).
    fn as_map(&mut self) -> &mut Map {
        if let Store::Shaped { shape, values } = &mut self.0 {
            let mut map = Map::with_capacity(values.len() + 1);
            for (k, v) in shape.keys.iter().zip(std::mem::take(values)) {
                map.insert_new(k.clone(), v);
            }
            self.0 = Store::Map(map);
        }
        match &mut self.0 {
            Store::Map(m) => m,
            Store::Shaped { .. } => unreachable!("made a map just above"),
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // As a map's entries: a chain of instances 100,000 deep (`@next`) must not be freed by
        // 100,000 nested drops.
        if let Store::Shaped { values, .. } = self {
            if !values.is_empty() {
                crate::release::release_values(std::mem::take(values));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Key {
        Key(Value::str(name))
    }

    /// The shape an instance's variables have, if they are kept by shape.
    fn shape_of(ivars: &Ivars) -> Option<*const Shape> {
        match &ivars.0 {
            Store::Shaped { shape, .. } => Some(Rc::as_ptr(shape)),
            Store::Map(_) => None,
        }
    }

    #[test]
    fn instances_built_alike_share_one_shape() {
        let root = Shape::root([]);
        let (x, y) = (Rc::new(Text::from("x")), Rc::new(Text::from("y")));
        let (at_x, at_y) = (SiteCache::default(), SiteCache::default());
        let mut built = Vec::new();
        for i in 0..3 {
            let mut ivars = Ivars::shaped(root.clone(), Vec::new());
            ivars.set_cached(&x, &at_x, Value::Int(i));
            ivars.set_cached(&y, &at_y, Value::Int(10 + i));
            built.push(ivars);
        }
        assert!(built.iter().all(|i| shape_of(i) == shape_of(&built[0])));
        // Another string with the same text names the same variable.
        assert!(matches!(
            built[2].get(&Value::str("x")),
            Some(Value::Int(2))
        ));
        assert!(matches!(built[2].get_cached(&y, &at_y), Value::Int(12)));
        // Another order is another shape, and the tree's widest shape has two names.
        let mut reversed = Ivars::shaped(root.clone(), Vec::new());
        reversed.insert(key("y"), Value::Null);
        reversed.insert(key("x"), Value::Null);
        assert_ne!(shape_of(&reversed), shape_of(&built[0]));
        assert_eq!(root.room(), 2);
    }

    #[test]
    fn a_shape_remembers_a_bounded_number_of_children() {
        let root = Shape::root([]);
        for i in 0..100 {
            let mut ivars = Ivars::shaped(root.clone(), Vec::new());
            ivars.insert(key(&format!("n{i}")), Value::Int(i));
            let name = Value::str(format!("n{i}"));
            assert!(matches!(ivars.get(&name), Some(Value::Int(n)) if *n == i));
        }
        assert_eq!(root.children.borrow().len(), MAX_CHILDREN);
    }

    #[test]
    fn past_the_shaped_limit_the_variables_become_a_map_in_the_same_order() {
        let mut ivars = Ivars::shaped(Shape::root([key("first")]), vec![Value::Int(-1)]);
        for i in 0..MAX_SHAPED as i64 + 5 {
            ivars.insert(key(&format!("v{i}")), Value::Int(i));
        }
        assert_eq!(shape_of(&ivars), None);
        assert_eq!(ivars.len(), MAX_SHAPED + 6);
        let names: Vec<String> = ivars
            .iter()
            .map(|(k, _)| crate::format::to_display(&k.0))
            .collect();
        assert_eq!(names[0], "first");
        assert_eq!(names[1], "v0");
        assert_eq!(names[MAX_SHAPED + 5], format!("v{}", MAX_SHAPED + 4));
        assert!(matches!(ivars.get(&Value::str("v3")), Some(Value::Int(3))));
    }
}

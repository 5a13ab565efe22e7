//! Per-site caches. A method call or member access by a constant name remembers what it found
//! last time: the method a struct resolved the name to, and where in an instance's variables
//! the name sat. Instances of one struct are usually built alike, so the next run at that
//! site checks one pointer instead of hashing the name. Weak references: a cache never keeps
//! a struct or a function alive (and cannot form a cycle through a function's own code).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crate::function::Closure;
use crate::ivars::Shape;
use crate::object::Object;

/// What one name constant of a function learned (see the module doc).
#[derive(Default)]
pub struct SiteCache {
    method: MethodEntry,
    base_method: MethodEntry,
    slot: Cell<usize>,
    /// The address of the shape in which `slot` holds this site's name (0: none yet).
    shape: Cell<usize>,
    /// Keeps that shape alive, so that its address cannot come back as another shape's.
    shape_kept: RefCell<Option<Rc<Shape>>>,
    /// A shape without this site's name, and that shape with it appended.
    growth: RefCell<Option<(Rc<Shape>, Rc<Shape>)>>,
}

impl SiteCache {
    /// The method remembered for struct `class`, if this site last resolved it there.
    pub fn method(&self, class: &Rc<Object>) -> Option<Rc<Closure>> {
        lookup(&self.method, class)
    }

    /// Remembers that struct `class` resolves this site's name to `f`.
    pub fn remember_method(&self, class: &Rc<Object>, f: &Rc<Closure>) {
        remember(&self.method, class, f);
    }

    /// The method `super.name` resolved to last for an instance of struct `class` (kept apart
    /// from [`SiteCache::method`]: in one function, `S.new()` and `super.new()` share the
    /// name and the struct but not the method).
    pub fn base_method(&self, class: &Rc<Object>) -> Option<Rc<Closure>> {
        lookup(&self.base_method, class)
    }

    /// Remembers what `super.name` resolves to for an instance of struct `class`.
    pub fn remember_base_method(&self, class: &Rc<Object>, f: &Rc<Closure>) {
        remember(&self.base_method, class, f);
    }

    /// The position in an instance's variables where this site's name was found last.
    pub fn slot(&self) -> usize {
        self.slot.get()
    }

    /// Remembers the position of this site's name in an instance's variables.
    pub fn remember_slot(&self, pos: usize) {
        self.slot.set(pos);
        // The position is a map's now, no longer one in the shape remembered.
        self.shape.set(0);
    }

    /// Whether [`SiteCache::slot`] is this site's name's position in instances of `shape`.
    #[inline]
    pub fn is_shape(&self, shape: &Rc<Shape>) -> bool {
        self.shape.get() == Rc::as_ptr(shape) as usize
    }

    /// Remembers that instances of `shape` hold this site's name at position `pos`.
    pub fn remember_shape(&self, shape: &Rc<Shape>, pos: usize) {
        self.slot.set(pos);
        self.shape.set(Rc::as_ptr(shape) as usize);
        *self.shape_kept.borrow_mut() = Some(shape.clone());
    }

    /// The shape that `from` becomes when this site's name is set, if this site saw it last.
    #[inline]
    pub fn grown_shape(&self, from: &Rc<Shape>) -> Option<Rc<Shape>> {
        match &*self.growth.borrow() {
            Some((seen, to)) if Rc::ptr_eq(seen, from) => Some(to.clone()),
            _ => None,
        }
    }

    /// Remembers that setting this site's name on an instance of `from` makes it `to`.
    pub fn remember_growth(&self, from: &Rc<Shape>, to: &Rc<Shape>) {
        *self.growth.borrow_mut() = Some((from.clone(), to.clone()));
    }
}

type MethodEntry = RefCell<Option<(Weak<Object>, Weak<Closure>)>>;

fn lookup(entry: &MethodEntry, class: &Rc<Object>) -> Option<Rc<Closure>> {
    let cached = entry.borrow();
    let (seen, f) = cached.as_ref()?;
    // A Weak keeps its allocation, so the address cannot be reused by another struct.
    if std::ptr::eq(seen.as_ptr(), Rc::as_ptr(class)) {
        f.upgrade()
    } else {
        None
    }
}

fn remember(entry: &MethodEntry, class: &Rc<Object>, f: &Rc<Closure>) {
    *entry.borrow_mut() = Some((Rc::downgrade(class), Rc::downgrade(f)));
}

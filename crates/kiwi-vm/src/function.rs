//! Function values: compiled prototypes and the closures that capture their free variables.

use std::cell::RefCell;
use std::rc::Rc;

use crate::bytecode::FnProto;
use crate::value::Value;

/// A shared mutable cell for a captured variable (shared by reference between closures).
pub type Cell = Rc<RefCell<Value>>;

/// A lambda or named function value: a prototype plus its captured cells.
pub struct Closure {
    /// The compiled function.
    pub proto: Rc<FnProto>,
    /// Captured variables, in the order the prototype's capture list names them.
    pub captures: Box<[Cell]>,
}

impl Closure {
    /// The identifier printed in `<lambda(identifier=ID)>`: the function name, or an internal id.
    pub fn identifier(&self) -> &str {
        &self.proto.name
    }

    /// How many parameters the function declares (a `*rest` parameter counts).
    pub fn param_count(&self) -> usize {
        self.proto.params.len()
    }
}

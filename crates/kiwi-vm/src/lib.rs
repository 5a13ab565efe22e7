//! The Kiwi virtual machine: values, the object model, the bytecode compiler, the VM, the task
//! scheduler, the built-in methods of the core types, and the native API packages are written
//! against ([`native`]; the packages themselves are in `kiwi-stdlib`). It does no I/O
//! scheduling of its own; `kiwi-runtime` drives it.

// Denied, not forbidden: one function (`vm::running::running_closure`) is allowed `unsafe`, for
// a measured gain, with its contract written there (ARCHITECTURE.md, "The running closure").
#![deny(unsafe_code)]

pub mod bytecode;
pub mod channel;
pub mod compiler;
pub mod date;
pub mod error;
pub mod format;
pub mod frameless;
pub mod function;
pub mod idtable;
pub mod ivars;
pub mod methods;
pub mod native;
pub mod net;
pub mod object;
pub mod ops;
pub mod ordmap;
mod release;
pub mod scheduler;
pub mod sitecache;
pub mod stdlib;
pub mod task;
pub mod text;
pub mod value;
pub mod vm;

pub use error::{ErrorType, KResult, KiwiError};
pub use value::{Key, Map, Value};
pub use vm::{Diagnostic, Interp, RunState};

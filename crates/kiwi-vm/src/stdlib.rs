//! The interface between the VM and native packages that need no scheduler (the `kiwi-stdlib`
//! crate: `time`, `env`, `console`, `math`, `error` and the globals `typeof`, `char`,
//! `serialize`, `deserialize`). The host registers them with
//! [`Interp::register_package`](crate::vm::Interp::register_package); the VM calls a package's
//! function with the name as written after `pkg::`. Task, socket and tls functions are not
//! here because they suspend the calling task.

use crate::error::KResult;
use crate::value::Value;

/// What the host process tells the stdlib about itself.
#[derive(Debug, Default, Clone)]
pub struct HostEnv {
    /// The raw arguments after the script path, in order (`env::args()`).
    pub args: Vec<String>,
    /// The path of the main script as given on the command line.
    pub script_path: String,
}

/// A native package: calls its function `name` with `args`; `None` if it has no such
/// function.
pub type PackageFn = fn(name: &str, args: &[Value], host: &HostEnv) -> Option<KResult<Value>>;

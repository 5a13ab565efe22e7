//! What the host process tells native packages about itself (see [`crate::native`] for the
//! package API).

/// What the host process tells the stdlib about itself.
#[derive(Debug, Default, Clone)]
pub struct HostEnv {
    /// The raw arguments after the script path, in order (`env::args()`).
    pub args: Vec<String>,
    /// The path of the main script as given on the command line.
    pub script_path: String,
}

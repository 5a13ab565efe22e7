//! Running other files: `include`, and loading a stdlib package file the first time a call
//! needs it. Where files are found is the [`loader`](super::loader)'s job; this runs them.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::exec::Outcome;
use super::loader::Include;
use super::Interp;
use crate::compiler::BUILTIN_PACKAGE_PREFIX;
use crate::error::{ErrorType, KResult, KiwiError};
use crate::function::Closure;
use crate::task::{FrameKind, Task};
use crate::value::Value;

impl Interp {
    /// `include path`: runs the file once, its definitions global; the value of its first
    /// `package`, else null.
    pub(crate) fn include(&mut self, task: &Task, path: &Value) -> KResult<Outcome> {
        let Value::Str(path) = path else {
            return Err(KiwiError::new(
                ErrorType::InvalidOperationError,
                "Include path must be a string.",
            ));
        };
        let current_dir = self
            .location(task)
            .and_then(|(file, _)| self.sources.get(file as usize))
            .and_then(|s| s.path.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let file = match self.loader.include(path, &current_dir) {
            Include::Again => return Ok(Outcome::Value(Value::Null)),
            Include::Missing(p) => {
                return Err(KiwiError::new(
                    ErrorType::InvalidOperationError,
                    format!("File not found: {}", p.display()),
                ))
            }
            Include::Run(p) => p,
        };
        let (unit, package) = self.compile_file(&file)?;
        let value = package.map_or(Value::Null, |name| {
            Value::Package(Rc::new(crate::text::Text::new(name)))
        });
        Ok(Outcome::Enter(unit, FrameKind::Import(value)))
    }

    /// After a call of global `g` ended with `result`: if it failed because `g` is
    /// `pkg::name` of a package not loaded yet whose file is on the stdlib path, that file's
    /// compiled unit (to run before the call is made again).
    pub(crate) fn stdlib_unit_after(
        &mut self,
        result: &KResult<Outcome>,
        g: u32,
    ) -> Option<Rc<Closure>> {
        let Err(e) = result else { return None };
        let name = self.names.name(g).clone();
        // A package with a Kiwi part is registered, so its missing functions fail as
        // undefined functions rather than an undefined package.
        let has_kiwi_part = name
            .rsplit_once("::")
            .is_some_and(|(pkg, _)| self.kiwi_sources.contains_key(pkg));
        let undefined = [
            ErrorType::PackageUndefinedError.name(),
            ErrorType::VariableUndefinedError.name(),
        ];
        let function_undefined = &*e.error == ErrorType::FunctionUndefinedError.name();
        let loadable = undefined.contains(&&*e.error) || (has_kiwi_part && function_undefined);
        if !loadable {
            return None;
        }
        self.stdlib_unit_for(&name)
    }

    /// The stdlib file that would define global `name` (`pkg::f` → the package's file, a
    /// bare struct name → the file defining that struct), compiled, if it has not run yet.
    pub(crate) fn stdlib_unit_for(&mut self, name: &str) -> Option<Rc<Closure>> {
        match name.rsplit_once("::") {
            Some((package, _)) => self.stdlib_unit(package),
            None => {
                // A struct of a package's Kiwi part built into the binary comes first.
                if let Some(package) = self.kiwi_source_defining(name) {
                    return self.stdlib_unit(package);
                }
                let file = self.loader.take_stdlib_struct(name)?;
                self.compile_stdlib_file(&file)
            }
        }
    }

    /// The built-in Kiwi package source (not loaded yet) with a `struct name` line.
    fn kiwi_source_defining(&self, name: &str) -> Option<&'static str> {
        self.kiwi_sources.iter().find_map(|(package, source)| {
            super::loader::struct_names(source)
                .any(|s| s == name)
                .then_some(*package)
        })
    }

    /// The compiled unit of package `name`'s stdlib file, the first time it is asked for. A
    /// file that does not compile is reported on stderr (the call then fails as before).
    pub(crate) fn stdlib_unit(&mut self, name: &str) -> Option<Rc<Closure>> {
        // A package's Kiwi part built into the binary comes before any file of that name.
        if let Some(source) = self.kiwi_sources.remove(name) {
            let path = PathBuf::from(format!("{BUILTIN_PACKAGE_PREFIX}{name}.kiwi>"));
            return match self.compile_module(&path, source) {
                Ok((unit, _)) => Some(unit),
                Err(diags) => {
                    let message = format!("[SyntaxError]: {} ({name})\n", diags[0].error.message);
                    let _ = std::io::Write::write_all(&mut self.err, message.as_bytes());
                    None
                }
            };
        }
        let file = self.loader.take_stdlib_package(name)?;
        self.compile_stdlib_file(&file)
    }

    fn compile_stdlib_file(&mut self, file: &Path) -> Option<Rc<Closure>> {
        match self.compile_file(file) {
            Ok((unit, _)) => Some(unit),
            Err(e) => {
                let _ = std::io::Write::write_all(
                    &mut self.err,
                    format!("[{}]: {}\n", e.error, e.message).as_bytes(),
                );
                None
            }
        }
    }

    /// For `pkg::name` of a native package (`math`, `task`, `socket`, ...): a unit whose value
    /// is a lambda passing its arguments on to that native, so natives are values
    /// (`f = math::sqrt`). An unknown function fails when the lambda is called.
    pub(crate) fn native_as_value(&mut self, name: &str) -> Option<Rc<Closure>> {
        let (package, function) = name.rsplit_once("::")?;
        let native = self.has_package(package);
        let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !native || !plain(package) || !plain(function) {
            return None;
        }
        if let Some(unit) = self.native_values.get(name) {
            return Some(unit.clone());
        }
        let text = format!("with (*args) do {package}::{function}(*args) end");
        let unit = self
            .compile_unit_as(Path::new(&format!("<native {name}>")), &text, true)
            .ok()?;
        self.native_values.insert(name.to_string(), unit.clone());
        Some(unit)
    }

    /// Reads and compiles a Kiwi file; also gives the name of its first `package`. A syntax
    /// error is a SyntaxError naming the file, line and column.
    pub(crate) fn compile_file(&mut self, file: &Path) -> KResult<(Rc<Closure>, Option<String>)> {
        let text = std::fs::read(file).map_err(|e| {
            KiwiError::new(
                ErrorType::SystemError,
                format!("Cannot read {}: {e}", file.display()),
            )
        })?;
        let text = String::from_utf8(text).map_err(|_| {
            KiwiError::new(
                ErrorType::SyntaxError,
                format!("{} is not valid UTF-8.", file.display()),
            )
        })?;
        self.compile_module(file, &text).map_err(|diags| {
            let d = &diags[0];
            let at =
                d.at.map(|(_, s)| format!(" ({}:{}:{})", file.display(), s.line, s.col))
                    .unwrap_or_default();
            KiwiError::new(ErrorType::SyntaxError, format!("{}{at}", d.error.message))
        })
    }
}

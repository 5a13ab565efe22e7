//! Where Kiwi source files come from: `include` path resolution, the include-once set, and
//! the standard-library search path (`--stdlib-path`, `KIWI_STDLIB`) whose package files are
//! loaded lazily on first use. No execution here: the VM asks, then runs what it gets.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Extensions tried, in order, for a path given without one (upstream's order).
const EXTENSIONS: [&str; 2] = [".min.kiwi", ".kiwi"];

/// The loader's state for one interpreter.
#[derive(Default)]
pub struct ModuleLoader {
    /// Absolute paths already included (or tried): each file runs at most once.
    included: HashSet<PathBuf>,
    /// Directories searched for `<package>.kiwi`, in order.
    stdlib: Vec<PathBuf>,
    /// Packages whose stdlib file was loaded (or tried), so a failure is not retried forever.
    loaded: HashSet<String>,
    /// The process's working directory at start: where non-relative includes look first.
    project_root: Option<PathBuf>,
    /// Struct name → the stdlib file defining it (`Heap` → collections.kiwi), built on first
    /// need by scanning the stdlib directories.
    struct_index: Option<HashMap<String, PathBuf>>,
}

/// What `include` found for a path.
pub enum Include {
    /// Run this file.
    Run(PathBuf),
    /// Already included: nothing to do.
    Again,
    /// No such file (the path as resolved).
    Missing(PathBuf),
}

impl ModuleLoader {
    /// Sets the standard-library directories (searched in order).
    pub fn set_stdlib(&mut self, dirs: Vec<PathBuf>) {
        self.stdlib = dirs;
    }

    /// The standard-library directories.
    pub fn stdlib(&self) -> &[PathBuf] {
        &self.stdlib
    }

    /// Resolves `include path` written in a file of directory `current_dir`, and records it.
    /// `./` and `../` paths are relative to that directory; any other is looked up under the
    /// working directory first, then under `current_dir`.
    pub fn include(&mut self, path: &str, current_dir: &Path) -> Include {
        let root = self
            .project_root
            .get_or_insert_with(|| std::env::current_dir().unwrap_or_default())
            .clone();
        let relative = path.starts_with("./") || path.starts_with("../");
        let candidates: Vec<PathBuf> = if Path::new(path).is_absolute() {
            vec![PathBuf::from(path)]
        } else if relative {
            vec![current_dir.join(path)]
        } else {
            vec![root.join(path), current_dir.join(path)]
        };
        let found = candidates
            .iter()
            .find_map(|c| with_extension(c))
            .unwrap_or_else(|| plain_or_kiwi(&candidates[candidates.len() - 1]));
        let abs = std::path::absolute(&found).unwrap_or(found);
        // Recorded before the existence check, as upstream: a later include of the same
        // path is a no-op even after a failure.
        if !self.included.insert(abs.clone()) {
            return Include::Again;
        }
        if abs.is_file() {
            Include::Run(abs)
        } else {
            Include::Missing(abs)
        }
    }

    /// The stdlib file defining package `name`, the first time it is asked for (later calls
    /// give `None`, so a package whose file failed is not loaded again and again). Marks the
    /// file included, so an explicit `include` of it later is a no-op.
    pub fn take_stdlib_package(&mut self, name: &str) -> Option<PathBuf> {
        if self.stdlib.is_empty() || !is_package_name(name) || self.loaded.contains(name) {
            return None;
        }
        let file = self
            .stdlib
            .iter()
            .map(|dir| dir.join(format!("{name}.kiwi")))
            .find(|p| p.is_file())?;
        let abs = std::path::absolute(&file).unwrap_or(file);
        self.loaded.insert(name.to_string());
        self.included.insert(abs.clone()).then_some(abs)
    }
}

impl ModuleLoader {
    /// The stdlib file that defines struct `name`, the first time it is asked for and only if
    /// that file has not run yet (it is marked included now).
    pub fn take_stdlib_struct(&mut self, name: &str) -> Option<PathBuf> {
        if self.stdlib.is_empty() {
            return None;
        }
        let stdlib = self.stdlib.clone();
        let index = self
            .struct_index
            .get_or_insert_with(|| index_structs(&stdlib));
        let file = index.remove(name)?;
        let abs = std::path::absolute(&file).unwrap_or(file);
        self.included.insert(abs.clone()).then_some(abs)
    }
}

/// Every `struct Name` (or `abstract struct Name`) at the start of a line of the `.kiwi` files
/// directly in `dirs`; the first directory defining a name wins.
fn index_structs(dirs: &[PathBuf]) -> HashMap<String, PathBuf> {
    let mut index = HashMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "kiwi"))
            .collect();
        files.sort();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for name in struct_names(&text) {
                index
                    .entry(name.to_string())
                    .or_insert_with(|| file.clone());
            }
        }
    }
    index
}

/// The names of the structs a Kiwi source defines: every `struct Name` (or
/// `abstract struct Name`) at the start of a line.
pub(crate) fn struct_names(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|line| {
        let line = line.trim_start();
        let line = line.strip_prefix("abstract ").unwrap_or(line);
        let rest = line.strip_prefix("struct ")?;
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    })
}

/// `path` itself if it has an extension and exists, else the first `path + ext` that exists.
fn with_extension(path: &Path) -> Option<PathBuf> {
    if path.extension().is_some() && path.is_file() {
        return Some(path.to_path_buf());
    }
    EXTENSIONS
        .iter()
        .map(|ext| PathBuf::from(format!("{}{ext}", path.display())))
        .find(|p| p.is_file())
}

/// What a missing path is reported as: as given if it has an extension, else with `.kiwi`.
fn plain_or_kiwi(path: &Path) -> PathBuf {
    if path.extension().is_some() {
        path.to_path_buf()
    } else {
        PathBuf::from(format!("{}.kiwi", path.display()))
    }
}

/// A package name that can name a file (no separators, no `..`).
fn is_package_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_resolve_once_with_or_without_extension() {
        let dir = std::env::temp_dir().join(format!("kiwi-loader-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/a.kiwi"), "").unwrap();
        let mut l = ModuleLoader::default();
        match l.include("./sub/a", &dir) {
            Include::Run(p) => assert!(p.ends_with("sub/a.kiwi")),
            _ => panic!("sub/a not found"),
        }
        assert!(matches!(l.include("./sub/a.kiwi", &dir), Include::Again));
        match l.include("./sub/missing", &dir) {
            Include::Missing(p) => assert!(p.ends_with("sub/missing.kiwi")),
            _ => panic!("missing found"),
        }
        // Tried once: a second include of the missing file is a no-op, as upstream.
        assert!(matches!(l.include("./sub/missing", &dir), Include::Again));
        // A stdlib package is handed out once; one already included is not run again.
        std::fs::write(dir.join("sub/b.kiwi"), "").unwrap();
        l.set_stdlib(vec![dir.join("sub")]);
        assert!(l.take_stdlib_package("b").is_some());
        assert!(l.take_stdlib_package("b").is_none());
        assert!(l.take_stdlib_package("a").is_none());
        assert!(l.take_stdlib_package("../sub/b").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! The `watch` package (upstream's `docs/lib/watch.md`): a `Watcher` that polls a file or a
//! directory tree and reports created, modified and deleted entries to Kiwi callbacks. The
//! scan is native and runs on the blocking pool (a large tree suspends only the polling
//! task); the comparison, callbacks and background task are the Kiwi part
//! (`kiwi/watch.kiwi`).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use kiwi_vm::error::KResult;
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::net::Plain;
use kiwi_vm::value::Value;

/// The natives under the package's Kiwi part.
pub const PACKAGE: Package = Package {
    name: "watch",
    functions: &[NativeFn::cx("_snapshot", Arity::exactly(3), snapshot)],
};

/// The Kiwi part.
pub const SOURCE: &str = include_str!("kiwi/watch.kiwi");

/// `_snapshot(path, recursive, ignore)`: a hashmap of every entry at or under `path` whose
/// path contains none of the `ignore` strings, to its signature: `"dir"` for a directory,
/// `"file:<mtime ns>:<size>"` for anything else. A path that is not there gives `{}` (a
/// watched path may appear later); an unreadable subdirectory is skipped.
fn snapshot(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let root = PathBuf::from(check::str_arg("watch::_snapshot", args, 0)?.as_str());
    let recursive = args[1].truthy();
    let ignore: Vec<String> = match &args[2] {
        Value::List(items) => items
            .borrow()
            .iter()
            .map(kiwi_vm::format::to_display)
            .collect(),
        Value::Null => Vec::new(),
        other => return Err(check::expected("watch::new", 3, "List", other)),
    };
    cx.run_blocking(Box::new(move || {
        let mut entries = Vec::new();
        scan(&root, recursive, &ignore, &mut entries);
        Ok(Plain::Map(entries))
    }))
}

fn scan(root: &Path, recursive: bool, ignore: &[String], out: &mut Vec<(String, Plain)>) {
    let skipped = |p: &str| {
        ignore
            .iter()
            .any(|i| !i.is_empty() && p.contains(i.as_str()))
    };
    let Ok(meta) = fs::metadata(root) else {
        return;
    };
    if !meta.is_dir() {
        let path = root.to_string_lossy().into_owned();
        if !skipped(&path) {
            out.push((path, Plain::Str(signature(&meta))));
        }
        return;
    }
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(listing) = fs::read_dir(&dir) else {
            continue;
        };
        let mut children: Vec<PathBuf> = listing.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            let path = child.to_string_lossy().into_owned();
            if skipped(&path) {
                continue;
            }
            // Not following links into directories keeps a link cycle from looping forever.
            let Ok(meta) = fs::symlink_metadata(&child) else {
                continue;
            };
            if meta.is_dir() {
                out.push((path, Plain::Str("dir".into())));
                if recursive {
                    pending.push(child);
                }
            } else {
                out.push((path, Plain::Str(signature(&meta))));
            }
        }
    }
}

fn signature(meta: &fs::Metadata) -> String {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("file:{mtime}:{}", meta.len())
}

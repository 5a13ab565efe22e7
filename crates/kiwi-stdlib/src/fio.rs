//! The `fio` package: files, directories and paths (upstream's `docs/lib/fio.md`).
//!
//! Everything that touches the disk beyond a `stat` (reading, writing, copying, listing,
//! removing) runs as a blocking job off the interpreter's thread, so a large read suspends
//! only the calling task. Path arithmetic runs inline. Failures are upstream's error types
//! (`FileReadError` for reads, `FileSystemError` for the rest) with the path and the OS reason.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::format;
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::net::Plain;
use kiwi_vm::value::Value;

/// The `fio` package.
pub const PACKAGE: Package = Package {
    name: "fio",
    functions: &[
        // Paths.
        NativeFn::pure("abspath", Arity::exactly(1), |a| {
            let p = path_arg("fio::abspath", a, 0)?;
            Ok(Value::str(absolute(&p).to_string_lossy()))
        }),
        NativeFn::pure("combine", Arity::between(0, 1), combine),
        NativeFn::pure("ext", Arity::exactly(1), |a| {
            let p = path_arg("fio::ext", a, 0)?;
            Ok(Value::str(extension(&p)))
        }),
        NativeFn::pure("filename", Arity::exactly(1), |a| {
            let p = path_arg("fio::filename", a, 0)?;
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            Ok(Value::str(name.unwrap_or_default()))
        }),
        NativeFn::pure("parentdir", Arity::exactly(1), parentdir),
        NativeFn::pure("pathparts", Arity::exactly(1), |a| {
            let p = check::str_arg("fio::pathparts", a, 0)?;
            let parts = p
                .split(['/', '\\'])
                .filter(|s| !s.is_empty())
                .map(Value::str);
            Ok(Value::list(parts.collect()))
        }),
        NativeFn::pure("cwd", Arity::exactly(0), |_| {
            let dir = std::env::current_dir()
                .map_err(|e| fs_error("Could not read the current directory", e))?;
            Ok(Value::str(dir.to_string_lossy()))
        }),
        NativeFn::pure("chdir", Arity::exactly(1), |a| {
            let p = path_arg("fio::chdir", a, 0)?;
            std::env::set_current_dir(&p).map_err(|e| {
                fs_error(&format!("Could not change directory: {}", p.display()), e)
            })?;
            Ok(Value::Bool(true))
        }),
        NativeFn::pure("tmpdir", Arity::exactly(0), |_| {
            Ok(Value::str(std::env::temp_dir().to_string_lossy()))
        }),
        // Questions about the disk (one stat each).
        NativeFn::pure("exists", Arity::exactly(1), |a| {
            Ok(Value::Bool(path_arg("fio::exists", a, 0)?.exists()))
        }),
        NativeFn::pure("isfile", Arity::exactly(1), |a| {
            Ok(Value::Bool(path_arg("fio::isfile", a, 0)?.is_file()))
        }),
        NativeFn::pure("isdir", Arity::exactly(1), |a| {
            Ok(Value::Bool(path_arg("fio::isdir", a, 0)?.is_dir()))
        }),
        // Reading.
        NativeFn::cx("read", Arity::exactly(1), read),
        NativeFn::cx("readbytes", Arity::exactly(1), readbytes),
        NativeFn::cx("readlines", Arity::exactly(1), readlines),
        NativeFn::cx("readslice", Arity::exactly(3), readslice),
        NativeFn::cx("filesize", Arity::exactly(1), filesize),
        NativeFn::cx("fileinfo", Arity::exactly(1), fileinfo),
        // Writing.
        NativeFn::cx("write", Arity::between(1, 2), |cx, a| {
            write_text(cx, "fio::write", a, false)
        }),
        NativeFn::cx("append", Arity::between(1, 2), |cx, a| {
            write_text(cx, "fio::append", a, true)
        }),
        NativeFn::cx("touch", Arity::exactly(1), |cx, a| {
            write_text(cx, "fio::touch", &a[..1], true)
        }),
        NativeFn::cx("writeln", Arity::exactly(2), writeln),
        NativeFn::cx("writebytes", Arity::exactly(2), writebytes),
        NativeFn::cx("writeslice", Arity::exactly(3), writeslice),
        NativeFn::cx("create", Arity::exactly(1), create),
        NativeFn::cx("tmpfile", Arity::exactly(0), |cx, _| {
            cx.run_blocking(Box::new(tmpfile))
        }),
        // Directories and moving things.
        NativeFn::cx("mkdir", Arity::exactly(1), |cx, a| {
            make_dir(cx, "fio::mkdir", a, false)
        }),
        NativeFn::cx("mkdirp", Arity::exactly(1), |cx, a| {
            make_dir(cx, "fio::mkdirp", a, true)
        }),
        NativeFn::cx("listdir", Arity::between(1, 2), listdir),
        NativeFn::cx("remove", Arity::exactly(1), |cx, a| {
            remove(cx, "fio::remove", a, false)
        }),
        NativeFn::cx("rmdir", Arity::exactly(1), |cx, a| {
            remove(cx, "fio::rmdir", a, false)
        }),
        NativeFn::cx("rmdirf", Arity::exactly(1), |cx, a| {
            remove(cx, "fio::rmdirf", a, true)
        }),
        NativeFn::cx("copy", Arity::between(2, 3), |cx, a| {
            copy_or_move(cx, "fio::copy", a, true)
        }),
        NativeFn::cx("move", Arity::between(2, 3), |cx, a| {
            copy_or_move(cx, "fio::move", a, false)
        }),
        NativeFn::cx("copyr", Arity::exactly(2), copyr),
        NativeFn::cx("glob", Arity::between(2, 3), glob),
    ],
};

/// What a job returns on failure: an error type and a message.
use crate::JobError;

fn path_arg(name: &str, args: &[Value], i: usize) -> KResult<PathBuf> {
    Ok(PathBuf::from(check::str_arg(name, args, i)?.as_str()))
}

fn fs_error(what: &str, e: std::io::Error) -> KiwiError {
    KiwiError::custom("FileSystemError", format!("{what} ({})", os_reason(&e)))
}

/// The OS's reason without Rust's " (os error N)" suffix.
pub(crate) fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

pub(crate) fn read_failed(path: &Path, e: std::io::Error) -> JobError {
    (
        "FileReadError",
        format!(
            "Failed to read file: '{}' ({})",
            path.display(),
            os_reason(&e)
        ),
    )
}

fn fs_failed(what: &str, path: &Path, e: std::io::Error) -> JobError {
    (
        "FileSystemError",
        format!("{what}: {} ({})", path.display(), os_reason(&e)),
    )
}

/// `path` made absolute against the current directory, `.` and `..` resolved lexically (as
/// .NET's `Path.GetFullPath`: the path need not exist).
fn absolute(path: &Path) -> PathBuf {
    let joined = match std::env::current_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The extension with its dot (`".txt"`), or `""`.
fn extension(path: &Path) -> String {
    match path.extension() {
        Some(ext) => format!(".{}", ext.to_string_lossy()),
        None => String::new(),
    }
}

/// `combine(parts)`: the parts joined as a path (an absolute part starts over, as .NET's
/// `Path.Combine`).
fn combine(args: &[Value]) -> KResult<Value> {
    let parts = match args.first() {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::List(l)) => l.borrow().to_vec(),
        Some(other) => return Err(check::expected("fio::combine", 0, "List", other)),
    };
    let mut path = PathBuf::new();
    for part in &parts {
        match part {
            Value::Str(s) => path.push(s.as_str()),
            _ => {
                return Err(KiwiError::custom(
                    "InvalidOperationError",
                    "Expected a list of strings.",
                ))
            }
        }
    }
    Ok(Value::str(path.to_string_lossy()))
}

/// `parentdir(path)`: the absolute path of the parent.
fn parentdir(args: &[Value]) -> KResult<Value> {
    let p = path_arg("fio::parentdir", args, 0)?;
    let full = absolute(&p);
    match full.parent() {
        Some(parent) => Ok(Value::str(parent.to_string_lossy())),
        None => Err(KiwiError::custom(
            "FileSystemError",
            format!("Could not get parent path: {}", p.display()),
        )),
    }
}

/// Text decoded as UTF-8 (invalid bytes replaced), a leading byte-order mark dropped.
pub(crate) fn text_of(bytes: Vec<u8>) -> String {
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

fn read(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = path_arg("fio::read", args, 0)?;
    cx.run_blocking(Box::new(move || {
        let bytes = fs::read(&path).map_err(|e| read_failed(&path, e))?;
        Ok(Plain::Str(text_of(bytes)))
    }))
}

fn readbytes(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = path_arg("fio::readbytes", args, 0)?;
    cx.run_blocking(Box::new(move || {
        fs::read(&path)
            .map(Plain::Bytes)
            .map_err(|e| read_failed(&path, e))
    }))
}

/// `readlines(path)`: split at `\n`, `\r\n` or `\r`; a final line ending ends the last line
/// (no empty string after it), as .NET's `ReadAllLines`.
fn readlines(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = path_arg("fio::readlines", args, 0)?;
    cx.run_blocking(Box::new(move || {
        let text = text_of(fs::read(&path).map_err(|e| read_failed(&path, e))?);
        Ok(Plain::List(
            lines(&text).map(|l| Plain::Str(l.to_string())).collect(),
        ))
    }))
}

/// The lines of `text` (see [`readlines`]).
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let line = &rest[..end];
        let skip = if rest[end..].starts_with("\r\n") {
            2
        } else {
            usize::from(end < rest.len())
        };
        rest = &rest[end + skip..];
        Some(line)
    })
}

/// `readslice(path, offset, size)`: up to `size` bytes from `offset` (none past the end).
fn readslice(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = path_arg("fio::readslice", args, 0)?;
    let offset = check::int_arg("fio::readslice", args, 1)?;
    let size = check::int_arg("fio::readslice", args, 2)?;
    if offset < 0 || size <= 0 {
        return Err(KiwiError::custom(
            "IndexError",
            "Start must be non-negative and length must be positive.",
        ));
    }
    cx.run_blocking(Box::new(move || {
        let mut file = fs::File::open(&path).map_err(|e| read_failed(&path, e))?;
        let mut buf = Vec::new();
        file.seek(SeekFrom::Start(offset.unsigned_abs()))
            .and_then(|_| file.take(size.unsigned_abs()).read_to_end(&mut buf))
            .map_err(|e| read_failed(&path, e))?;
        Ok(Plain::Bytes(buf))
    }))
}

fn filesize(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = path_arg("fio::filesize", args, 0)?;
    cx.run_blocking(Box::new(move || {
        let meta = fs::metadata(&path).map_err(|e| read_failed(&path, e))?;
        Ok(Plain::Int(i64::try_from(meta.len()).unwrap_or(i64::MAX)))
    }))
}

/// `fileinfo(path)`: `{creation_time, name, extension, full_name, last_access_time,
/// last_write_time, attributes}` of a file or directory; the times are local dates, the
/// attributes .NET's `FileAttributes` flags as booleans (on Unix only `ReadOnly`, `Hidden`,
/// `Directory`, `Normal` and `ReparsePoint` can be set).
fn fileinfo(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = path_arg("fio::fileinfo", args, 0)?;
    cx.run_blocking(Box::new(move || {
        let failed = |e| fs_failed("Could not list path metadata", &path, e);
        let link = fs::symlink_metadata(&path).map_err(failed)?;
        let meta = fs::metadata(&path).unwrap_or_else(|_| link.clone());
        let time = |t: std::io::Result<std::time::SystemTime>| {
            let ms = t
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0));
            Plain::Date(crate::time::local_of(ms))
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let hidden = name.starts_with('.');
        let read_only = meta.permissions().readonly();
        let dir = meta.is_dir();
        let symlink = link.file_type().is_symlink();
        let flags: [(&str, bool); 16] = [
            ("ReadOnly", read_only),
            ("Hidden", hidden),
            ("System", false),
            ("Directory", dir),
            ("Archive", false),
            ("Device", false),
            ("Normal", !(read_only || hidden || dir || symlink)),
            ("Temporary", false),
            ("SparseFile", false),
            ("ReparsePoint", symlink),
            ("Compressed", false),
            ("Offline", false),
            ("NotContentIndexed", false),
            ("Encrypted", false),
            ("IntegrityStream", false),
            ("NoScrubData", false),
        ];
        Ok(Plain::Map(vec![
            ("creation_time".into(), time(meta.created())),
            ("name".into(), Plain::Str(name)),
            ("extension".into(), Plain::Str(extension(&path))),
            (
                "full_name".into(),
                Plain::Str(absolute(&path).to_string_lossy().into_owned()),
            ),
            ("last_access_time".into(), time(meta.accessed())),
            ("last_write_time".into(), time(meta.modified())),
            (
                "attributes".into(),
                Plain::Map(
                    flags
                        .iter()
                        .map(|(k, v)| (k.to_string(), Plain::Bool(*v)))
                        .collect(),
                ),
            ),
        ]))
    }))
}

/// `write(path, text = "")` (replaces the file) and `append(path, text = "")`.
fn write_text(cx: &mut NativeCx<'_>, name: &str, args: &[Value], append: bool) -> KResult<Reply> {
    let path = path_arg(name, args, 0)?;
    let text = match args.get(1) {
        None | Some(Value::Null) => String::new(),
        Some(_) => check::str_arg(name, args, 1)?.to_string(),
    };
    cx.run_blocking(Box::new(move || {
        store(&path, text.as_bytes(), append)?;
        Ok(Plain::Bool(true))
    }))
}

/// Writes (or appends) `data` to `path`, creating the file.
fn store(path: &Path, data: &[u8], append: bool) -> Result<(), JobError> {
    let mut options = fs::OpenOptions::new();
    if append {
        options.append(true).create(true);
    } else {
        options.write(true).create(true).truncate(true);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(data))
        .map_err(|e| fs_failed("Could not write to file", path, e))
}

/// `writeln(path, text)`: appends `text` and a line ending; a list appends one line per
/// item (as printed).
fn writeln(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = path_arg("fio::writeln", args, 0)?;
    let mut text = String::new();
    match &args[1] {
        Value::Str(s) => {
            text.push_str(s);
            text.push('\n');
        }
        Value::List(items) => {
            for item in items.borrow().iter() {
                format::write_display(&mut text, item);
                text.push('\n');
            }
        }
        _ => {
            return Err(KiwiError::custom(
                "InvalidOperationError",
                "Expected a string or a list.",
            ))
        }
    }
    cx.run_blocking(Box::new(move || {
        store(&path, text.as_bytes(), true)?;
        Ok(Plain::Bool(true))
    }))
}

/// Bytes from a bytes value or a list of integers 0..=255.
fn bytes_of(name: &str, v: &Value) -> KResult<Vec<u8>> {
    match v {
        Value::Bytes(b) => Ok(b.borrow().clone()),
        Value::List(items) => crate::byte_list(name, &items.borrow(), 1),
        _ => Err(KiwiError::custom(
            "InvalidOperationError",
            "Expected a list or bytes.",
        )),
    }
}

/// `writebytes(path, data)`: replaces the file; the number of bytes written.
fn writebytes(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = path_arg("fio::writebytes", args, 0)?;
    let data = bytes_of("fio::writebytes", &args[1])?;
    cx.run_blocking(Box::new(move || {
        store(&path, &data, false)?;
        Ok(Plain::Int(i64::try_from(data.len()).unwrap_or(i64::MAX)))
    }))
}

/// `writeslice(path, offset, data)`: overwrites from `offset` (the file grows as needed).
fn writeslice(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = path_arg("fio::writeslice", args, 0)?;
    let offset = check::int_arg("fio::writeslice", args, 1)?;
    let data = match &args[2] {
        Value::Bytes(b) => b.borrow().clone(),
        other => return Err(check::expected("fio::writeslice", 2, "Bytes", other)),
    };
    if offset < 0 {
        return Err(KiwiError::custom(
            "FileSystemError",
            "Offset must be non-negative.",
        ));
    }
    cx.run_blocking(Box::new(move || {
        fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .and_then(|mut f| {
                f.seek(SeekFrom::Start(offset.unsigned_abs()))?;
                f.write_all(&data)
            })
            .map_err(|e| fs_failed("Could not write to file", &path, e))?;
        Ok(Plain::Int(i64::try_from(data.len()).unwrap_or(i64::MAX)))
    }))
}

/// `create(path)`: an empty file (an existing one is emptied).
fn create(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = path_arg("fio::create", args, 0)?;
    cx.run_blocking(Box::new(move || {
        fs::File::create(&path).map_err(|e| fs_failed("Could not create file", &path, e))?;
        Ok(Plain::Bool(path.is_file()))
    }))
}

/// `tmpfile()`: a new empty file in the temporary directory; its path.
fn tmpfile() -> Result<Plain, JobError> {
    let dir = std::env::temp_dir();
    for _ in 0..100 {
        let name = format!("kiwi-{:016x}.tmp", rand::random::<u64>());
        let path = dir.join(name);
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => return Ok(Plain::Str(path.to_string_lossy().into_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(fs_failed("Could not create a temporary file", &dir, e)),
        }
    }
    Err((
        "FileSystemError",
        "Could not create a temporary file: every name tried was taken".to_string(),
    ))
}

/// `mkdir(path)` / `mkdirp(path)` (with missing parents; an existing directory is fine).
fn make_dir(cx: &mut NativeCx<'_>, name: &str, args: &[Value], parents: bool) -> KResult<Reply> {
    let path = path_arg(name, args, 0)?;
    cx.run_blocking(Box::new(move || {
        let made = if parents || path.is_dir() {
            fs::create_dir_all(&path)
        } else {
            fs::create_dir(&path)
        };
        made.map_err(|e| fs_failed("Could not create path", &path, e))?;
        Ok(Plain::Bool(true))
    }))
}

/// `listdir(path, recursive = false)`: the files, then the directories, as paths under
/// `path` (each group sorted).
fn listdir(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = path_arg("fio::listdir", args, 0)?;
    let recursive = match args.get(1) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(check::expected("fio::listdir", 1, "Boolean", other)),
    };
    cx.run_blocking(Box::new(move || {
        let (mut files, mut dirs) = (Vec::new(), Vec::new());
        walk(&path, recursive, &mut files, &mut dirs)
            .map_err(|e| fs_failed("Could not list directory contents", &path, e))?;
        files.sort();
        dirs.sort();
        let all = files.into_iter().chain(dirs);
        Ok(Plain::List(
            all.map(|p| Plain::Str(p.to_string_lossy().into_owned()))
                .collect(),
        ))
    }))
}

/// The files and directories under `dir` (below it too when `recursive`); symbolic links to
/// directories are listed, not followed.
fn walk(
    dir: &Path,
    recursive: bool,
    files: &mut Vec<PathBuf>,
    dirs: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in fs::read_dir(&next)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                if recursive {
                    pending.push(path.clone());
                }
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    Ok(())
}

/// `remove(path)` / `rmdir(path)`: a file or an empty directory; `rmdirf(path)` (`recursive`):
/// a directory and everything in it. False if nothing is there.
fn remove(cx: &mut NativeCx<'_>, name: &str, args: &[Value], recursive: bool) -> KResult<Reply> {
    let path = path_arg(name, args, 0)?;
    cx.run_blocking(Box::new(move || {
        let removed = match fs::symlink_metadata(&path) {
            Err(_) => return Ok(Plain::Bool(false)),
            Ok(meta) if meta.is_dir() && recursive => fs::remove_dir_all(&path),
            Ok(meta) if meta.is_dir() => fs::remove_dir(&path),
            Ok(_) => fs::remove_file(&path),
        };
        removed.map_err(|e| fs_failed("Could not remove path", &path, e))?;
        Ok(Plain::Bool(true))
    }))
}

/// `copy(source, dest, overwrite = true)` and `move(source, dest, overwrite = false)`.
fn copy_or_move(cx: &mut NativeCx<'_>, name: &str, args: &[Value], copy: bool) -> KResult<Reply> {
    let source = path_arg(name, args, 0)?;
    let dest = path_arg(name, args, 1)?;
    let overwrite = match args.get(2) {
        None | Some(Value::Null) => copy,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(check::expected(name, 2, "Boolean", other)),
    };
    let what = if copy {
        "Could not copy file"
    } else {
        "Could not move file"
    };
    cx.run_blocking(Box::new(move || {
        if !overwrite && dest.exists() {
            return Err((
                "FileSystemError",
                format!("{what}: {} ({} exists)", source.display(), dest.display()),
            ));
        }
        let done = if copy {
            fs::copy(&source, &dest).map(|_| ())
        } else {
            fs::rename(&source, &dest)
        };
        done.map_err(|e| fs_failed(what, &source, e))?;
        Ok(Plain::Bool(true))
    }))
}

/// `copyr(source, dest)`: a directory copied with everything in it; false if `source` is
/// not a directory.
fn copyr(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let source = path_arg("fio::copyr", args, 0)?;
    let dest = path_arg("fio::copyr", args, 1)?;
    cx.run_blocking(Box::new(move || {
        if !source.is_dir() {
            return Ok(Plain::Bool(false));
        }
        copy_tree(&source, &dest).map_err(|e| fs_failed("Could not copy directory", &source, e))?;
        Ok(Plain::Bool(true))
    }))
}

fn copy_tree(source: &Path, dest: &Path) -> std::io::Result<()> {
    let mut pending = vec![(source.to_path_buf(), dest.to_path_buf())];
    while let Some((from, to)) = pending.pop() {
        fs::create_dir_all(&to)?;
        for entry in fs::read_dir(&from)? {
            let entry = entry?;
            let target = to.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                pending.push((entry.path(), target));
            } else {
                fs::copy(entry.path(), target)?;
            }
        }
    }
    Ok(())
}

/// `glob(path, include, exclude = [])`: absolute paths of the files under `path` whose path
/// relative to it matches an include pattern and no exclude pattern (`*`, `?`, `[...]`,
/// `**` for any number of directories), sorted.
fn glob(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let base = path_arg("fio::glob", args, 0)?;
    let patterns = |i: usize, required: bool| -> KResult<Vec<glob::Pattern>> {
        let items = match args.get(i) {
            Some(Value::List(l)) if !(required && l.borrow().is_empty()) => l.borrow().to_vec(),
            None | Some(Value::Null) if !required => Vec::new(),
            _ if required => {
                return Err(KiwiError::custom("TypeError", "Expected a non-empty list."))
            }
            Some(other) => return Err(check::expected("fio::glob", i, "List", other)),
            None => Vec::new(),
        };
        items
            .iter()
            .map(|item| match item {
                Value::Str(s) => glob::Pattern::new(s).map_err(|e| {
                    KiwiError::custom("ValueError", format!("fio::glob: bad pattern '{s}': {e}"))
                }),
                _ => Err(KiwiError::custom(
                    "TypeError",
                    "Expected a list of strings.",
                )),
            })
            .collect()
    };
    let include = patterns(1, true)?;
    let exclude = patterns(2, false)?;
    cx.run_blocking(Box::new(move || {
        let (mut files, mut dirs) = (Vec::new(), Vec::new());
        walk(&base, true, &mut files, &mut dirs)
            .map_err(|e| fs_failed("Could not glob", &base, e))?;
        let options = glob::MatchOptions {
            require_literal_separator: true,
            ..glob::MatchOptions::default()
        };
        let matches = |patterns: &[glob::Pattern], rel: &Path| {
            patterns.iter().any(|p| p.matches_path_with(rel, options))
        };
        let mut found: Vec<String> = files
            .into_iter()
            .filter(|f| {
                let rel = f.strip_prefix(&base).unwrap_or(f);
                matches(&include, rel) && !matches(&exclude, rel)
            })
            .map(|f| absolute(&f).to_string_lossy().into_owned())
            .collect();
        found.sort();
        Ok(Plain::List(found.into_iter().map(Plain::Str).collect()))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_like_read_all_lines() {
        fn got(t: &str) -> Vec<&str> {
            lines(t).collect()
        }
        assert_eq!(got("a\nb\n"), ["a", "b"]);
        assert_eq!(got("a\r\nb"), ["a", "b"]);
        assert_eq!(got("a\rb\r\n\nc"), ["a", "b", "", "c"]);
        assert_eq!(got(""), Vec::<&str>::new());
        assert_eq!(got("\n"), [""]);
    }

    #[test]
    fn paths() {
        assert_eq!(extension(Path::new("a/b.tar.gz")), ".gz");
        assert_eq!(extension(Path::new("a/b")), "");
        let abs = absolute(Path::new("x/../y/./z"));
        assert!(abs.is_absolute() && abs.ends_with("y/z"), "{abs:?}");
        assert_eq!(text_of(b"\xef\xbb\xbfhi".to_vec()), "hi");
        assert_eq!(text_of(b"a\xffb".to_vec()), "a\u{fffd}b");
    }
}

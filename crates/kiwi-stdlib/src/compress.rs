//! The `compress` package (upstream's `docs/lib/compress.md`): raw DEFLATE, gzip, Brotli and
//! Zstandard of bytes (or text, as UTF-8), and ZIP archives of `{name, content}` entries, on
//! flate2, brotli, zstd and zip. Decompression stops at [`MAX_OUTPUT`] bytes, so a small
//! malicious input cannot exhaust memory; corrupt input is an `InvalidOperationError`.

use std::io::{Cursor, Read, Write};

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::{Key, Map, Value};

/// The most bytes one decompression may produce (1 GiB).
pub const MAX_OUTPUT: u64 = 1 << 30;

/// A `compress::<name>(data)` entry: bytes to bytes, in place. (On the blocking pool the
/// output is written to a worker thread's fresh memory: the gzip round trip of 20 MB took
/// 1.7x CPython's time instead of 0.9x, bench/stdlib.)
macro_rules! transform {
    ($name:literal, $f:expr) => {
        NativeFn::pure($name, Arity::exactly(1), |a| {
            let f: fn(&[u8]) -> Result<Vec<u8>, Failure> = $f;
            f(&input(&a[0])?).map(Value::bytes).map_err(raised)
        })
    };
}

/// A failure as the blocking pool reports it: the error type and message.
use crate::JobError as Failure;

/// The `compress` package.
pub const PACKAGE: Package = Package {
    name: "compress",
    functions: &[
        transform!("deflate", |d| {
            let mut enc =
                flate2::write::DeflateEncoder::new(out_buffer(d), flate2::Compression::default());
            enc.write_all(d)
                .and_then(|()| enc.finish())
                .map_err(corrupt("deflate"))
        }),
        transform!("inflate", |d| expand(
            "inflate",
            flate2::read::DeflateDecoder::new(Cursor::new(d))
        )),
        transform!("gzip", |d| {
            let mut enc =
                flate2::write::GzEncoder::new(out_buffer(d), flate2::Compression::default());
            enc.write_all(d)
                .and_then(|()| enc.finish())
                .map_err(corrupt("gzip"))
        }),
        transform!("gunzip", |d| expand_into(
            "gunzip",
            flate2::read::MultiGzDecoder::new(Cursor::new(d)),
            Vec::with_capacity(gzip_size_hint(d)),
            MAX_OUTPUT
        )),
        transform!("brotli", |d| {
            let mut out = Vec::new();
            {
                let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
                enc.write_all(d).map_err(corrupt("brotli"))?;
            }
            Ok(out)
        }),
        transform!("unbrotli", |d| expand(
            "unbrotli",
            brotli::Decompressor::new(Cursor::new(d), 4096)
        )),
        NativeFn::pure("zstd", Arity::between(1, 2), |a| {
            let level = match a.get(1) {
                None | Some(Value::Null) => 3,
                Some(Value::Int(n)) => i32::try_from(*n).unwrap_or(3).clamp(1, 22),
                Some(other) => {
                    return Err(kiwi_vm::methods::check::expected(
                        "compress::zstd",
                        1,
                        "Integer",
                        other,
                    ))
                }
            };
            zstd::bulk::compress(&input(&a[0])?, level)
                .map(Value::bytes)
                .map_err(|e| raised(corrupt("zstd")(e)))
        }),
        transform!("unzstd", |d| {
            let decoder =
                zstd::stream::read::Decoder::new(Cursor::new(d)).map_err(corrupt("unzstd"))?;
            expand("unzstd", decoder)
        }),
        NativeFn::pure("zip_create", Arity::between(1, 2), zip_create),
        NativeFn::pure("zip_extract", Arity::exactly(1), zip_extract),
    ],
};

/// The bytes of a bytes value, or of text as UTF-8, borrowed.
fn input(v: &Value) -> KResult<crate::Input<'_>> {
    crate::Input::of(v).ok_or_else(|| {
        KiwiError::param_type(
            "compression function",
            0,
            "Bytes or String",
            v.dotnet_type_name(),
        )
    })
}

/// The output buffer of a compressor: room for half the input (typical text compresses
/// further; random data grows, and the buffer then doubles once).
fn out_buffer(input: &[u8]) -> Vec<u8> {
    Vec::with_capacity(input.len() / 2 + 64)
}

/// The size a single-member gzip stream says it expands to (its last 4 bytes, modulo 2^32),
/// as room to reserve; capped so a forged trailer cannot make us reserve much.
fn gzip_size_hint(data: &[u8]) -> usize {
    match data.len().checked_sub(4) {
        Some(at) if data.len() >= 18 => {
            let n =
                u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]) as usize;
            n.min(data.len().saturating_mul(16))
                .min(MAX_OUTPUT as usize)
        }
        _ => 0,
    }
}

fn corrupt(what: &'static str) -> impl Fn(std::io::Error) -> Failure {
    move |e| ("InvalidOperationError", format!("compress::{what}: {e}"))
}

fn raised((kind, message): Failure) -> KiwiError {
    KiwiError::custom(kind, message)
}

/// Everything `reader` produces, up to [`MAX_OUTPUT`] bytes.
fn expand(what: &'static str, reader: impl Read) -> Result<Vec<u8>, Failure> {
    expand_at_most(what, reader, MAX_OUTPUT)
}

fn expand_at_most(what: &'static str, reader: impl Read, limit: u64) -> Result<Vec<u8>, Failure> {
    expand_into(what, reader, Vec::new(), limit)
}

fn expand_into(
    what: &'static str,
    reader: impl Read,
    mut out: Vec<u8>,
    limit: u64,
) -> Result<Vec<u8>, Failure> {
    let mut limited = reader.take(limit + 1);
    limited.read_to_end(&mut out).map_err(corrupt(what))?;
    if out.len() as u64 > limit {
        return Err((
            "InvalidOperationError",
            format!("compress::{what}: the output would exceed {limit} bytes"),
        ));
    }
    Ok(out)
}

/// `zip_create(entries, level = 1)`: a ZIP archive of `{name, content}` entries (level 0 stores,
/// 1 compresses well, 2 fast, as .NET's `CompressionLevel`).
fn zip_create(args: &[Value]) -> KResult<Value> {
    let Value::List(entries) = &args[0] else {
        return Err(kiwi_vm::methods::check::expected(
            "compress::zip_create",
            0,
            "List",
            &args[0],
        ));
    };
    let method = match args.get(1) {
        Some(Value::Int(0)) => zip::CompressionMethod::Stored,
        _ => zip::CompressionMethod::Deflated,
    };
    let level = match args.get(1) {
        Some(Value::Int(2)) => Some(1),
        _ => None,
    };
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(level);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let bad = |m: &str| KiwiError::custom("InvalidOperationError", m.to_string());
    for entry in entries.borrow().iter() {
        let Value::Map(m) = entry else {
            return Err(bad(
                "Each zip entry must be a hashmap with 'name' and 'content'",
            ));
        };
        let m = m.borrow();
        let Some(Value::Str(name)) = m.get(&Key::from("name")) else {
            return Err(bad("Each zip entry must have a 'name' string key"));
        };
        let Some(content) = m.get(&Key::from("content")) else {
            return Err(bad("Each zip entry must have a 'content' key"));
        };
        let data = input(content)?;
        writer
            .start_file(name.as_str(), options)
            .map_err(|e| bad(&format!("compress::zip_create: {e}")))?;
        writer
            .write_all(&data)
            .map_err(|e| raised(corrupt("zip_create")(e)))?;
    }
    let out = writer
        .finish()
        .map_err(|e| bad(&format!("compress::zip_create: {e}")))?;
    Ok(Value::bytes(out.into_inner()))
}

/// `zip_extract(data)`: the entries of a ZIP archive as `{name, content}` (directories
/// included, with empty content).
fn zip_extract(args: &[Value]) -> KResult<Value> {
    let data = input(&args[0])?;
    let bad = |e: zip::result::ZipError| {
        KiwiError::custom(
            "InvalidOperationError",
            format!("compress::zip_extract: {e}"),
        )
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(&*data)).map_err(bad)?;
    let mut out = Vec::with_capacity(archive.len());
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(bad)?;
        let name = file.name().to_string();
        let mut content = Vec::new();
        (&mut file)
            .take(MAX_OUTPUT + 1 - total.min(MAX_OUTPUT))
            .read_to_end(&mut content)
            .map_err(|e| raised(corrupt("zip_extract")(e)))?;
        total += content.len() as u64;
        if total > MAX_OUTPUT {
            return Err(KiwiError::custom(
                "InvalidOperationError",
                format!("compress::zip_extract: the output would exceed {MAX_OUTPUT} bytes"),
            ));
        }
        let mut m = Map::new();
        m.insert(Key::from("name"), Value::str(name));
        m.insert(Key::from("content"), Value::bytes(content));
        out.push(Value::map(m));
    }
    Ok(Value::list(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bomb_stops_at_the_limit() {
        // 10 MB of zeros compresses to a few KB; with a 1 MB limit it must not expand.
        let zeros = vec![0u8; 10_000_000];
        let packed = zstd::bulk::compress(&zeros, 3).expect("compresses");
        assert!(packed.len() < 10_000);
        let reader = zstd::stream::read::Decoder::new(Cursor::new(packed)).expect("decoder");
        let e = expand_at_most("unzstd", reader, 1_000_000).unwrap_err();
        assert!(e.1.contains("exceed 1000000 bytes"), "{}", e.1);
    }
}

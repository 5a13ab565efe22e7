//! The `crypto` package: message digests and HMACs as lowercase hex (upstream's
//! `docs/lib/crypto.md`), on the RustCrypto hashes. Text is hashed as its UTF-8 bytes; bytes
//! values are accepted too. Hashing runs in place (a copy to a worker thread would cost more
//! than the hash itself); like any large native it counts against the task's time slice.

use hmac::{Hmac, Mac};
use sha2::Digest;

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::value::Value;

use crate::Input;

/// One `crypto::<name>(input = "")` digest entry.
macro_rules! digest {
    ($name:literal, $algo:expr) => {
        NativeFn::pure($name, Arity::between(0, 1), |a| {
            hash(concat!("crypto::", $name), a, $algo)
        })
    };
}

/// One `crypto::<name>(key, input)` HMAC entry.
macro_rules! hmac_fn {
    ($name:literal, $algo:expr) => {
        NativeFn::pure($name, Arity::exactly(2), |a| {
            hmac_hex(concat!("crypto::", $name), $algo, &a[0], &a[1])
        })
    };
}

/// The `crypto` package.
pub const PACKAGE: Package = Package {
    name: "crypto",
    functions: &[
        digest!("md5_hash", Algo::Md5),
        digest!("sha1_hash", Algo::Sha1),
        digest!("sha224_hash", Algo::Sha224),
        digest!("sha256_hash", Algo::Sha256),
        digest!("sha384_hash", Algo::Sha384),
        digest!("sha512_hash", Algo::Sha512),
        hmac_fn!("hmac_md5", Algo::Md5),
        hmac_fn!("hmac_sha256", Algo::Sha256),
        hmac_fn!("hmac_sha512", Algo::Sha512),
        NativeFn::pure("hmac", Arity::exactly(3), |a| {
            let name = check::str_arg("crypto::hmac", a, 0)?;
            let algo = match name.to_uppercase().as_str() {
                "MD5" => Algo::Md5,
                "SHA256" => Algo::Sha256,
                "SHA512" => Algo::Sha512,
                _ => {
                    return Err(KiwiError::custom(
                        "ValueError",
                        format!(
                        "crypto::hmac: unsupported algorithm '{name}'. Use MD5, SHA256, or SHA512."
                    ),
                    ))
                }
            };
            hmac_hex("crypto::hmac", algo, &a[1], &a[2])
        }),
        NativeFn::pure("_hash_parts", Arity::exactly(2), hash_parts),
    ],
};

/// The Kiwi part: the incremental hashers (`SHA256`, `SHA224`, `MD5`).
pub const SOURCE: &str = include_str!("kiwi/crypto.kiwi");

/// `_hash_parts(algorithm, parts)`: the hex digest of the strings and bytes of `parts`, in
/// order (what the incremental hashers were fed).
fn hash_parts(args: &[Value]) -> KResult<Value> {
    const NAME: &str = "crypto::_hash_parts";
    let algo = match check::str_arg(NAME, args, 0)?.as_str() {
        "MD5" => Algo::Md5,
        "SHA224" => Algo::Sha224,
        _ => Algo::Sha256,
    };
    let Value::List(parts) = &args[1] else {
        return Err(check::expected(NAME, 1, "List", &args[1]));
    };
    let mut data = Vec::new();
    for part in parts.borrow().iter() {
        data.extend_from_slice(&input_bytes(NAME, Some(part))?);
    }
    Ok(Value::str(digest_hex(algo, &data)))
}

#[derive(Clone, Copy)]
enum Algo {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// The bytes of a string or bytes argument (`""` when missing or null), borrowed.
fn input_bytes<'a>(name: &str, v: Option<&'a Value>) -> KResult<Input<'a>> {
    match v {
        None | Some(Value::Null) => Ok(Input::Text("")),
        Some(v) => Input::of(v).ok_or_else(|| check::expected(name, 0, "String", v)),
    }
}

fn digest_hex(algo: Algo, data: &[u8]) -> String {
    use ring::digest;
    let ring_hex = |a: &'static digest::Algorithm| hex::encode(digest::digest(a, data));
    match algo {
        Algo::Md5 => match openssl::hash::hash(openssl::hash::MessageDigest::md5(), data) {
            Ok(d) => hex::encode(d),
            // OpenSSL refuses MD5 under a FIPS-only configuration: fall back to RustCrypto's.
            Err(_) => hex::encode(md5::Md5::digest(data)),
        },
        Algo::Sha1 => ring_hex(&digest::SHA1_FOR_LEGACY_USE_ONLY),
        Algo::Sha224 => hex::encode(sha2::Sha224::digest(data)),
        Algo::Sha256 => ring_hex(&digest::SHA256),
        Algo::Sha384 => ring_hex(&digest::SHA384),
        Algo::Sha512 => ring_hex(&digest::SHA512),
    }
}

/// Hashed in place, even when large: a copy for a worker thread costs more than the hash
/// (100 MB: about 60 ms of page faults and copying against 56 ms of SHA-256), and the
/// benchmark target is CPython's speed. Hashing 100 MB holds up other tasks for that long.
fn hash(name: &str, args: &[Value], algo: Algo) -> KResult<Value> {
    let data = input_bytes(name, args.first())?;
    Ok(Value::str(digest_hex(algo, &data)))
}

fn hmac_hex(name: &str, algo: Algo, key: &Value, input: &Value) -> KResult<Value> {
    let key = input_bytes(name, Some(key))?;
    let data = input_bytes(name, Some(input))?;
    // HMAC takes keys of any length, so building the MAC cannot fail.
    let bytes = match algo {
        Algo::Md5 => Hmac::<md5::Md5>::new_from_slice(&key)
            .map(|m| m.chain_update(&*data).finalize().into_bytes().to_vec()),
        Algo::Sha512 => Ok(ring_hmac(ring::hmac::HMAC_SHA512, &key, &data)),
        _ => Ok(ring_hmac(ring::hmac::HMAC_SHA256, &key, &data)),
    }
    .map_err(|e| KiwiError::custom("ValueError", format!("{name}: {e}")))?;
    Ok(Value::str(hex::encode(bytes)))
}

fn ring_hmac(algo: ring::hmac::Algorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = ring::hmac::Key::new(algo, key);
    ring::hmac::sign(&key, data).as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(
            digest_hex(Algo::Md5, b"hello"),
            "5d41402abc4b2a76b9719d911017c592"
        );
        assert_eq!(
            digest_hex(Algo::Sha224, b"hello"),
            "ea09ae9cc6768c50fcee903ed054556e5bfc8347907f12598aa24193"
        );
        assert_eq!(
            digest_hex(Algo::Sha256, b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let mac = hmac_hex(
            "t",
            Algo::Sha256,
            &Value::str("key"),
            &Value::str("The quick brown fox jumps over the lazy dog"),
        );
        assert!(
            matches!(mac, Ok(Value::Str(s)) if s.as_str() == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
        );
    }
}

//! What a Kiwi string value holds: its text and, once a hashmap has needed it, its hash.
//!
//! A hashmap lookup with a string key used to hash the key's bytes every time. Those bytes
//! sit behind a second pointer (`Rc` box, then the `String`'s buffer), and for a key fetched
//! from a large list or map they are a cache miss of their own: 71% of `hash_value`'s samples
//! in the churn benchmark were that one load. CPython keeps a string's hash in the string
//! object; so does [`Text`], next to the reference count that taking the key already touched.
//!
//! The hash is foldhash with one random seed per process, so a peer still cannot precompute
//! keys that collide (each map's own seeded hasher then mixes this 64-bit value).

use std::cell::Cell;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

/// A string's text with its hash cached. Reads go through `Deref` to the `String`; any
/// mutable access (`DerefMut`, as `s += x` does in place) forgets the cached hash first, so
/// the cache can never describe other text than the one held.
#[derive(Default)]
pub struct Text {
    /// The hash of `text` under [`seeded`], or 0 while not computed (a computed 0 is stored
    /// as 1: one collision more in 2^64).
    hash: Cell<u64>,
    text: String,
}

/// The process-wide hasher for string contents.
fn seeded() -> &'static foldhash::fast::RandomState {
    static HASHER: OnceLock<foldhash::fast::RandomState> = OnceLock::new();
    HASHER.get_or_init(Default::default)
}

impl Text {
    /// The text `s`, its hash not yet computed.
    #[inline]
    pub fn new(s: String) -> Self {
        Text {
            hash: Cell::new(0),
            text: s,
        }
    }

    /// The text's hash, computed on first use and kept. Equal texts have equal hashes.
    #[inline]
    pub fn hash_code(&self) -> u64 {
        match self.hash.get() {
            0 => self.compute_hash(),
            h => h,
        }
    }

    #[cold]
    #[inline(never)]
    fn compute_hash(&self) -> u64 {
        let h = seeded().hash_one(self.text.as_str()).max(1);
        self.hash.set(h);
        h
    }

    /// Whether the cached hashes alone show the two texts differ (without reading either's
    /// bytes). `false` says nothing: equal, or not yet hashed.
    #[inline]
    pub fn known_unequal(&self, other: &Text) -> bool {
        let (a, b) = (self.hash.get(), other.hash.get());
        a != 0 && b != 0 && a != b
    }
}

impl Deref for Text {
    type Target = String;
    #[inline]
    fn deref(&self) -> &String {
        &self.text
    }
}

impl DerefMut for Text {
    #[inline]
    fn deref_mut(&mut self) -> &mut String {
        *self.hash.get_mut() = 0;
        &mut self.text
    }
}

impl Clone for Text {
    fn clone(&self) -> Self {
        Text {
            hash: self.hash.clone(),
            text: self.text.clone(),
        }
    }
}

impl From<String> for Text {
    #[inline]
    fn from(s: String) -> Self {
        Text::new(s)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::new(s.to_string())
    }
}

impl PartialEq for Text {
    #[inline]
    fn eq(&self, other: &Text) -> bool {
        !self.known_unequal(other) && self.text == other.text
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

/// Hashes as its text (a package value's name is hashed this way). Kiwi hashmaps use
/// [`Text::hash_code`] instead.
impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.as_str().hash(state);
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.text, f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_hash_alike_and_mutation_forgets_the_hash() {
        let a = Text::from("key1");
        let mut b = Text::from(String::from("key"));
        assert_ne!(a.hash_code(), b.hash_code());
        assert!(a.known_unequal(&b));
        assert_ne!(a, b);
        b.push('1');
        assert!(!a.known_unequal(&b), "the appended text's old hash is gone");
        assert_eq!(a, b);
        assert_eq!(a.hash_code(), b.hash_code());
        assert_eq!(a.clone().hash_code(), a.hash_code());
        assert_ne!(a.hash_code(), 0);
    }

    #[test]
    fn orders_and_compares_as_its_text() {
        let (a, b) = (Text::from("abc"), Text::from("abd"));
        assert!(a < b);
        assert!(a == *"abc");
        assert_eq!(format!("{a} {b:?}"), "abc \"abd\"");
    }
}

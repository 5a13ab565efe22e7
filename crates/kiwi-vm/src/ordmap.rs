//! An insertion-ordered hash map with O(1) removal.
//!
//! Kiwi hashmaps iterate in strict insertion order, also after removals (§2 REC). `IndexMap`'s
//! order-keeping `shift_remove` is O(n), which makes removal loops quadratic; here a removal
//! leaves a tombstone that iteration skips, and the entry vector is compacted once tombstones
//! outnumber live entries, so every operation stays amortised O(1).
//!
//! The layout is CPython's compact dict: the entries in a vector, and an index of 8-byte slots
//! (32 bits of the key's hash and the entry's position) in a `hashbrown::HashTable`. A lookup
//! touches the index, then the one entry whose slot carries the same hash; the index holds no
//! copy of a key, so inserting does not clone it, growing the index rehashes no key (the slot
//! keeps its hash) and freeing the map walks the keys once. The hash is foldhash with a
//! per-process random seed: several times faster than SipHash on short keys, and still seeded
//! so that a peer cannot precompute colliding keys.

use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;

/// Up to this many entries a map has no hash index: a lookup compares the keys in turn, which
/// for a struct instance's few variables or a small record is faster than hashing, and
/// creating the map allocates one vector instead of two tables.
const SMALL: usize = 8;

/// What a lookup can be asked with: the key type itself, or a borrowed form of it that hashes
/// alike (`value::KeyRef`, so that `map[k]` need not copy `k` into a key first).
pub trait Lookup<K>: Hash {
    /// Whether `key` is the one looked for.
    fn matches(&self, key: &K) -> bool;
}

impl<K: Hash + Eq> Lookup<K> for K {
    #[inline]
    fn matches(&self, key: &K) -> bool {
        self == key
    }
}

/// One index slot: 32 bits of the key's hash (enough to skip nearly every other key without
/// reading its entry, and to rehash without the key) and the entry's position.
#[derive(Clone, Copy)]
struct Slot {
    hash: u32,
    pos: u32,
}

/// The hash index of a map past [`SMALL`] entries.
#[derive(Clone)]
struct Index {
    slots: HashTable<Slot>,
    hasher: foldhash::fast::RandomState,
}

/// The 64-bit hash the table works with, rebuilt from a slot's 32 bits: `hashbrown` takes
/// the bucket from the low bits and its 7-bit tag from the top ones, so both halves carry them.
#[inline]
fn spread(hash: u32) -> u64 {
    (u64::from(hash) << 32) | u64::from(hash)
}

impl Index {
    fn with_capacity(n: usize) -> Box<Self> {
        Box::new(Index {
            slots: HashTable::with_capacity(n),
            hasher: Default::default(),
        })
    }

    #[inline]
    fn hash_of<Q: Hash + ?Sized>(&self, key: &Q) -> u32 {
        let h = self.hasher.hash_one(key);
        (h ^ (h >> 32)) as u32
    }

    /// Records that the entry at `pos` has the key hashing to `hash` (known to be absent).
    fn add(&mut self, hash: u32, pos: usize) {
        let slot = Slot {
            hash,
            pos: position(pos),
        };
        self.slots
            .insert_unique(spread(hash), slot, |s| spread(s.hash));
    }
}

/// Whether slot `s` is `key`'s: the same hash bits, then the key of the entry it points at.
#[inline]
fn holds<K, V, Q: Lookup<K> + ?Sized>(
    entries: &[Option<(K, V)>],
    s: &Slot,
    hash: u32,
    key: &Q,
) -> bool {
    s.hash == hash && matches!(entries.get(s.pos as usize), Some(Some((k, _))) if key.matches(k))
}

/// A position as a slot stores it. A map cannot reach 2^32 entries (their 32-byte entries
/// alone would take 128 GiB), so this never saturates in practice; saturating keeps the
/// conversion free of a panic path.
#[inline]
fn position(pos: usize) -> u32 {
    u32::try_from(pos).unwrap_or(u32::MAX)
}

/// An insertion-ordered map (the subset of `IndexMap`'s API the runtime uses). Its entries are
/// dropped through [`crate::release::release`] (hence `'static`), so a chain of maps nested
/// 100,000 deep is freed without deep recursion.
///
/// While it is small (see [`SMALL`]) it has no `index` (or an empty one) and every live entry
/// is found by a scan; once it grows past that, `index` holds a slot for every live key. The
/// index is boxed and made only then: most maps (struct instances, records, small literals)
/// never need one, and skip making a hasher and carrying an empty table.
#[derive(Clone)]
pub struct OrderedMap<K: 'static, V: 'static> {
    entries: Vec<Option<(K, V)>>,
    index: Option<Box<Index>>,
    live: usize,
}

impl<K: 'static, V: 'static> Default for OrderedMap<K, V> {
    fn default() -> Self {
        OrderedMap {
            entries: Vec::new(),
            index: None,
            live: 0,
        }
    }
}

impl<K: Hash + Eq + 'static, V: 'static> OrderedMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        OrderedMap {
            entries: Vec::with_capacity(n),
            index: (n > SMALL).then(|| Index::with_capacity(n)),
            live: 0,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The index, while lookups go through it. An indexed map whose keys were all removed
    /// may count as small again: it then has no live entry to miss.
    #[inline]
    fn indexed(&self) -> Option<&Index> {
        match &self.index {
            Some(index) if !index.slots.is_empty() => Some(index),
            _ if self.entries.len() <= SMALL => None,
            // Past SMALL entries (tombstones included) with an empty index: every key was
            // removed, so the index is still the one to ask (and it answers "absent").
            index => index.as_deref(),
        }
    }

    /// Position of `key` in the entry vector.
    #[inline]
    fn find<Q: Lookup<K> + ?Sized>(&self, key: &Q) -> Option<usize> {
        match self.indexed() {
            None => self
                .entries
                .iter()
                .position(|e| matches!(e, Some((k, _)) if key.matches(k))),
            Some(index) => {
                let hash = index.hash_of(key);
                let entries = &self.entries;
                index
                    .slots
                    .find(spread(hash), |s| holds(entries, s, hash, key))
                    .map(|s| s.pos as usize)
            }
        }
    }

    /// Position of `key` among the entries (see [`OrderedMap::entry_at`]).
    pub fn position<Q: Lookup<K> + ?Sized>(&self, key: &Q) -> Option<usize> {
        self.find(key)
    }

    /// The entry at position `pos`, if it is live: a caller that remembers where a key was
    /// can check it there without hashing.
    pub fn entry_at(&self, pos: usize) -> Option<(&K, &V)> {
        self.entries.get(pos)?.as_ref().map(|(k, v)| (k, v))
    }

    /// The entry at position `pos`, value mutable.
    pub fn entry_at_mut(&mut self, pos: usize) -> Option<(&K, &mut V)> {
        self.entries.get_mut(pos)?.as_mut().map(|(k, v)| (&*k, v))
    }

    /// Inserts or replaces; a replaced entry keeps its position. Returns the old value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.insert_full(key, value).1
    }

    /// Appends `key`, which the caller knows is not in the map, without looking for it first
    /// (while the map is small; past that the index must learn it, as `insert` does).
    pub fn insert_new(&mut self, key: K, value: V) {
        if self.indexed().is_none() && self.entries.len() < SMALL {
            self.entries.push(Some((key, value)));
            self.live += 1;
        } else {
            self.insert(key, value);
        }
    }

    /// [`OrderedMap::insert`], also giving the entry's position.
    pub fn insert_full(&mut self, key: K, value: V) -> (usize, Option<V>) {
        let at = self.entries.len();
        if self.indexed().is_none() {
            // One scan settles both cases: most inserts into a small map (an instance's
            // constructor, a record literal) add a key.
            for (i, e) in self.entries.iter_mut().enumerate() {
                if let Some((k, v)) = e {
                    if *k == key {
                        return (i, Some(std::mem::replace(v, value)));
                    }
                }
            }
            if at >= SMALL {
                // Growing past small: index the live entries where they are (positions must
                // not move: a `for` loop over the map walks them by position).
                let index = self
                    .index
                    .get_or_insert_with(|| Index::with_capacity(2 * SMALL));
                for (i, e) in self.entries.iter().enumerate() {
                    if let Some((k, _)) = e {
                        let hash = index.hash_of(k);
                        index.add(hash, i);
                    }
                }
                let hash = index.hash_of(&key);
                index.add(hash, at);
            }
        } else if let Some(index) = self.index.as_mut() {
            // One hash for the lookup and the insertion.
            let hash = index.hash_of(&key);
            let entries = &mut self.entries;
            let found = index
                .slots
                .find(spread(hash), |s| holds(entries, s, hash, &key));
            if let Some(&Slot { pos, .. }) = found {
                let i = pos as usize;
                if let Some(Some((_, v))) = entries.get_mut(i) {
                    return (i, Some(std::mem::replace(v, value)));
                }
            }
            index.add(hash, at);
        }
        self.entries.push(Some((key, value)));
        self.live += 1;
        (at, None)
    }

    /// The value for `key`.
    #[inline]
    pub fn get<Q: Lookup<K> + ?Sized>(&self, key: &Q) -> Option<&V> {
        let i = self.find(key)?;
        self.entries[i].as_ref().map(|(_, v)| v)
    }

    /// The value for `key`, mutably.
    pub fn get_mut<Q: Lookup<K> + ?Sized>(&mut self, key: &Q) -> Option<&mut V> {
        let i = self.find(key)?;
        self.entries[i].as_mut().map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key<Q: Lookup<K> + ?Sized>(&self, key: &Q) -> bool {
        self.find(key).is_some()
    }

    /// Removes `key`, keeping the order of the others. Returns its value.
    pub fn shift_remove<Q: Lookup<K> + ?Sized>(&mut self, key: &Q) -> Option<V> {
        let i = match self.indexed() {
            None => self.find(key)?,
            Some(_) => {
                let index = self.index.as_mut()?;
                let hash = index.hash_of(key);
                let entries = &self.entries;
                let slot = index
                    .slots
                    .find_entry(spread(hash), |s| holds(entries, s, hash, key));
                let (removed, _) = slot.ok()?.remove();
                removed.pos as usize
            }
        };
        let (_, v) = self.entries.get_mut(i)?.take()?;
        self.live -= 1;
        let dead = self.entries.len() - self.live;
        if dead > 16 && dead > self.live {
            self.compact();
        }
        Some(v)
    }

    /// Drops the tombstones; the index's slots follow their entries to their new positions.
    fn compact(&mut self) {
        let mut moved_to = Vec::with_capacity(self.entries.len());
        let mut next = 0u32;
        for e in &self.entries {
            moved_to.push(next);
            next += u32::from(e.is_some());
        }
        self.entries.retain(Option::is_some);
        if let Some(index) = self.index.as_mut() {
            for slot in index.slots.iter_mut() {
                if let Some(&to) = moved_to.get(slot.pos as usize) {
                    slot.pos = to;
                }
            }
        }
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.index = None;
        self.live = 0;
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_ {
        self.entries.iter().flatten().map(|(k, v)| (k, v))
    }

    /// The first entry at or after position `pos` of the entry vector, with its position: for
    /// walking a map step by step while other code may run in between (the caller keeps
    /// `position + 1` as its cursor).
    pub fn entry_from(&self, pos: usize) -> Option<(usize, &K, &V)> {
        self.entries
            .get(pos..)?
            .iter()
            .enumerate()
            .find_map(|(i, e)| e.as_ref().map(|(k, v)| (pos + i, k, v)))
    }

    /// Keys in insertion order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Values in insertion order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// The first entry in insertion order.
    pub fn first(&self) -> Option<(&K, &V)> {
        self.iter().next()
    }

    /// The last entry in insertion order.
    pub fn last(&self) -> Option<(&K, &V)> {
        self.iter().next_back()
    }
}

impl<K: Hash + Eq + 'static, V: 'static> Extend<(K, V)> for OrderedMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: Hash + Eq + 'static, V: 'static> FromIterator<(K, V)> for OrderedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = OrderedMap::new();
        m.extend(iter);
        m
    }
}

impl<K: Hash + Eq + 'static, V: 'static> IntoIterator for OrderedMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Option<(K, V)>>>;

    fn into_iter(mut self) -> Self::IntoIter {
        std::mem::take(&mut self.entries).into_iter().flatten()
    }
}

impl<K: 'static, V: 'static> Drop for OrderedMap<K, V> {
    fn drop(&mut self) {
        if !self.entries.is_empty() {
            crate::release::release(std::mem::take(&mut self.entries));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrderedMap;

    #[test]
    fn keeps_insertion_order_across_removals_and_compaction() {
        let mut m = OrderedMap::new();
        for i in 0..100 {
            m.insert(i, i * 10);
        }
        for i in (0..100).step_by(2) {
            assert_eq!(m.shift_remove(&i), Some(i * 10));
        }
        for i in 0..30 {
            m.shift_remove(&(i * 2 + 1));
        }
        m.insert(7, 1);
        m.insert(1000, 2);
        let keys: Vec<i32> = m.keys().copied().collect();
        let mut want: Vec<i32> = (60..100).filter(|i| i % 2 == 1).collect();
        want.insert(0, 7);
        want.sort();
        want.retain(|k| *k != 7);
        want.push(7);
        want.push(1000);
        assert_eq!(keys, want);
        assert_eq!(m.len(), want.len());
        assert_eq!(m.get(&61), Some(&610));
    }

    /// Compaction moves entries; every slot must follow its entry, found by key and by
    /// position, through several compactions and a regrowth.
    #[test]
    fn slots_follow_entries_through_compaction() {
        let mut m = OrderedMap::new();
        for i in 0..1000u32 {
            m.insert(format!("key{i}"), i);
        }
        for i in (0..1000u32).filter(|i| i % 10 != 0) {
            assert_eq!(m.shift_remove(&format!("key{i}")), Some(i));
        }
        for i in 1000..1200u32 {
            m.insert(format!("key{i}"), i);
        }
        let want: Vec<u32> = (0..1000).step_by(10).chain(1000..1200).collect();
        assert_eq!(m.values().copied().collect::<Vec<_>>(), want);
        for &i in &want {
            let key = format!("key{i}");
            let pos = m.position(&key).expect("a live key is found");
            assert_eq!(m.entry_at(pos), Some((&key, &i)));
        }
        assert!(!m.contains_key(&"key1".to_string()));
        assert!(m.entries.len() < 2 * m.len());
    }

    #[test]
    fn replacing_keeps_position() {
        let mut m = OrderedMap::new();
        m.insert("a", 1);
        m.insert("b", 2);
        assert_eq!(m.insert("a", 3), Some(1));
        assert_eq!(m.iter().collect::<Vec<_>>(), vec![(&"a", &3), (&"b", &2)]);
        assert_eq!(m.first(), Some((&"a", &3)));
        assert_eq!(m.last(), Some((&"b", &2)));
    }

    /// Random inserts and removals over few keys, so maps cross between the scanned (small)
    /// and the indexed form both ways, checked against a plain vector of pairs.
    #[test]
    fn matches_a_vector_model_across_the_small_threshold() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for round in 0..200 {
            let keys = 2 + round % 30;
            let mut m = OrderedMap::new();
            let mut model: Vec<(u64, u64)> = Vec::new();
            for step in 0..400 {
                let k = next(keys);
                if next(3) == 0 {
                    let want = model
                        .iter()
                        .position(|e| e.0 == k)
                        .map(|i| model.remove(i).1);
                    assert_eq!(m.shift_remove(&k), want);
                } else {
                    let old = model.iter_mut().find(|e| e.0 == k).map(|e| {
                        let old = e.1;
                        e.1 = step;
                        old
                    });
                    if old.is_none() {
                        model.push((k, step));
                    }
                    assert_eq!(m.insert(k, step), old);
                }
                assert_eq!(m.len(), model.len());
                let probe = next(keys + 2);
                let want = model.iter().find(|e| e.0 == probe).map(|e| e.1);
                assert_eq!(m.get(&probe).copied(), want);
                assert_eq!(m.contains_key(&probe), want.is_some());
                let pairs: Vec<(u64, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
                assert_eq!(pairs, model);
            }
        }
    }
}

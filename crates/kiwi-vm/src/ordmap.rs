//! An insertion-ordered hash map with O(1) removal.
//!
//! Kiwi hashmaps iterate in strict insertion order, also after removals (§2 REC). `IndexMap`'s
//! order-keeping `shift_remove` is O(n), which makes removal loops quadratic; here a removal
//! leaves a tombstone that iteration skips, and the entry vector is compacted once tombstones
//! outnumber live entries, so every operation stays amortised O(1).
//!
//! The index uses foldhash with a per-process random seed: several times faster than SipHash
//! on short keys, and still seeded so that a peer cannot precompute colliding keys.

use std::collections::HashMap;
use std::hash::Hash;

type Index<K> = HashMap<K, usize, foldhash::fast::RandomState>;

/// Up to this many entries a map has no hash index: a lookup compares the keys in turn, which
/// for a struct instance's few variables or a small record is faster than hashing, and
/// creating the map allocates one vector instead of two tables.
const SMALL: usize = 8;

/// An insertion-ordered map (the subset of `IndexMap`'s API the runtime uses). Its entries are
/// dropped through [`crate::release::release`] (hence `'static`), so a chain of maps nested
/// 100,000 deep is freed without deep recursion.
///
/// While it is small (see [`SMALL`]) it has no `index` (or an empty one) and every live entry
/// is found by a scan; once it grows past that, `index` holds every live key. The index is
/// boxed and made only then: most maps (struct instances, records, small literals) never
/// need one, and skip making a hasher and carrying an empty table.
#[derive(Clone)]
pub struct OrderedMap<K: 'static, V: 'static> {
    entries: Vec<Option<(K, V)>>,
    index: Option<Box<Index<K>>>,
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

impl<K: Hash + Eq + Clone + 'static, V: 'static> OrderedMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        let index =
            (n > SMALL).then(|| Box::new(Index::with_capacity_and_hasher(n, Default::default())));
        OrderedMap {
            entries: Vec::with_capacity(n),
            index,
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

    /// Whether lookups scan the entries (no index). An indexed map whose keys were all
    /// removed may count as small again: it then has no live entry to miss.
    fn is_small(&self) -> bool {
        let indexed = match &self.index {
            Some(index) => !index.is_empty(),
            None => false,
        };
        !indexed && self.entries.len() <= SMALL
    }

    /// Position of `key` in the entry vector.
    fn find(&self, key: &K) -> Option<usize> {
        if self.is_small() {
            self.entries
                .iter()
                .position(|e| matches!(e, Some((k, _)) if k == key))
        } else {
            self.index.as_ref().and_then(|i| i.get(key)).copied()
        }
    }

    /// Position of `key` among the entries (see [`OrderedMap::entry_at`]).
    pub fn position(&self, key: &K) -> Option<usize> {
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
        if self.is_small() && self.entries.len() < SMALL {
            self.entries.push(Some((key, value)));
            self.live += 1;
        } else {
            self.insert(key, value);
        }
    }

    /// [`OrderedMap::insert`], also giving the entry's position.
    pub fn insert_full(&mut self, key: K, value: V) -> (usize, Option<V>) {
        let at = self.entries.len();
        if self.is_small() {
            // One scan settles both cases: most inserts into a small map (an instance's
            // constructor, a record literal) add a key.
            for (i, e) in self.entries.iter_mut().enumerate() {
                if let Some((k, v)) = e {
                    if *k == key {
                        return (i, Some(std::mem::replace(v, value)));
                    }
                }
            }
            if at == SMALL {
                // Growing past small: index the live entries where they are (positions must
                // not move: a `for` loop over the map walks them by position).
                let index = self.index.get_or_insert_with(Default::default);
                for (i, e) in self.entries.iter().enumerate() {
                    if let Some((k, _)) = e {
                        index.insert(k.clone(), i);
                    }
                }
                index.insert(key.clone(), at);
            }
        } else {
            // One hash for the lookup and the insertion.
            let index = self.index.get_or_insert_with(Default::default);
            match index.entry(key.clone()) {
                std::collections::hash_map::Entry::Occupied(slot) => {
                    let i = *slot.get();
                    if let Some((_, v)) = self.entries[i].as_mut() {
                        return (i, Some(std::mem::replace(v, value)));
                    }
                    // An index entry always names a live entry; should it not, the key is
                    // re-pointed at the new one below.
                    *slot.into_mut() = at;
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(at);
                }
            }
        }
        self.entries.push(Some((key, value)));
        self.live += 1;
        (at, None)
    }

    /// The value for `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        let i = self.find(key)?;
        self.entries[i].as_ref().map(|(_, v)| v)
    }

    /// The value for `key`, mutably.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let i = self.find(key)?;
        self.entries[i].as_mut().map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_some()
    }

    /// Removes `key`, keeping the order of the others. Returns its value.
    pub fn shift_remove(&mut self, key: &K) -> Option<V> {
        let i = if self.is_small() {
            self.find(key)?
        } else {
            self.index.as_mut()?.remove(key)?
        };
        let (_, v) = self.entries[i].take()?;
        self.live -= 1;
        let dead = self.entries.len() - self.live;
        if dead > 16 && dead > self.live {
            self.compact();
        }
        Some(v)
    }

    fn compact(&mut self) {
        self.entries.retain(Option::is_some);
        let Some(index) = self.index.as_mut() else {
            return;
        };
        for (i, (k, _)) in self.entries.iter().flatten().enumerate() {
            if let Some(slot) = index.get_mut(k) {
                *slot = i;
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

impl<K: Hash + Eq + Clone + 'static, V: 'static> Extend<(K, V)> for OrderedMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: Hash + Eq + Clone + 'static, V: 'static> FromIterator<(K, V)> for OrderedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = OrderedMap::new();
        m.extend(iter);
        m
    }
}

impl<K: Hash + Eq + Clone + 'static, V: 'static> IntoIterator for OrderedMap<K, V> {
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

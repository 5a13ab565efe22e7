//! A table keyed by ids from the runtime's one increasing counter.
//!
//! Most entries are short-lived: a socket operation is registered, completes and is awaited
//! within a few ids of its creation. Recent ids therefore live in a ring indexed by
//! `id - base` (no hashing, no rehash on insert); an entry that is still there after
//! [`RING`] newer ids have been handed out (the main script, a server's accept loop, a pending
//! receive on an idle connection) moves to a hash map. Both halves together behave like one
//! map; the ring never grows past [`RING`] slots.

use std::collections::{HashMap, VecDeque};

/// How many of the most recent ids are kept in the ring.
const RING: usize = 1024;

/// A map from ids to `V`, fast for recent ids.
pub struct IdTable<V> {
    /// The id of `ring[0]`.
    base: i64,
    ring: VecDeque<Option<V>>,
    old: HashMap<i64, V, foldhash::fast::FixedState>,
    len: usize,
}

impl<V> Default for IdTable<V> {
    fn default() -> Self {
        IdTable {
            base: 0,
            ring: VecDeque::new(),
            old: HashMap::default(),
            len: 0,
        }
    }
}

impl<V> IdTable<V> {
    fn slot(&self, id: i64) -> Option<usize> {
        let i = usize::try_from(id.checked_sub(self.base)?).ok()?;
        (i < self.ring.len()).then_some(i)
    }

    /// Inserts `v` under `id`, returning the value it replaces.
    pub fn insert(&mut self, id: i64, v: V) -> Option<V> {
        if self.ring.is_empty() && self.old.is_empty() {
            self.base = id;
        }
        let prev = if id < self.base {
            self.old.insert(id, v)
        } else {
            let i = usize::try_from(id - self.base).unwrap_or(usize::MAX);
            if i >= RING * 2 {
                // Far ahead of the ring (ids were skipped in bulk): no ring slots for the gap.
                self.promote_all();
                self.base = id;
                self.ring.push_back(Some(v));
                None
            } else {
                while self.ring.len() <= i {
                    self.ring.push_back(None);
                }
                let prev = self.ring[i].replace(v);
                self.trim();
                prev
            }
        };
        if prev.is_none() {
            self.len += 1;
        }
        prev
    }

    /// Moves the oldest ring slots to the map until the ring is within its size, and drops
    /// empty slots at its front.
    fn trim(&mut self) {
        while self.ring.len() > RING || matches!(self.ring.front(), Some(None)) {
            if let Some(Some(v)) = self.ring.pop_front() {
                self.old.insert(self.base, v);
            }
            self.base += 1;
        }
    }

    fn promote_all(&mut self) {
        while let Some(slot) = self.ring.pop_front() {
            if let Some(v) = slot {
                self.old.insert(self.base, v);
            }
            self.base += 1;
        }
    }

    /// The value under `id`.
    pub fn get(&self, id: i64) -> Option<&V> {
        match self.slot(id) {
            Some(i) => self.ring[i].as_ref(),
            None => self.old.get(&id),
        }
    }

    /// The value under `id`, mutably.
    pub fn get_mut(&mut self, id: i64) -> Option<&mut V> {
        match self.slot(id) {
            Some(i) => self.ring[i].as_mut(),
            None => self.old.get_mut(&id),
        }
    }

    /// Removes and returns the value under `id`.
    pub fn remove(&mut self, id: i64) -> Option<V> {
        let v = match self.slot(id) {
            Some(i) => {
                let v = self.ring[i].take();
                self.trim();
                v
            }
            None => self.old.remove(&id),
        };
        if v.is_some() {
            self.len -= 1;
        }
        v
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every `(id, value)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &V)> {
        let base = self.base;
        self.ring
            .iter()
            .enumerate()
            .filter_map(move |(i, v)| v.as_ref().map(|v| (base + i as i64, v)))
            .chain(self.old.iter().map(|(k, v)| (*k, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_map_across_ring_and_overflow() {
        let mut t = IdTable::default();
        let mut model = HashMap::new();
        // Long-lived entries every 97 ids, short-lived ones removed a few ids later.
        for id in 2..20_000i64 {
            assert_eq!(t.insert(id, id * 10), model.insert(id, id * 10));
            if id % 97 != 0 && id > 5 {
                let gone = id - 3;
                assert_eq!(t.remove(gone), model.remove(&gone));
            }
            if id % 1000 == 0 {
                assert_eq!(t.len(), model.len());
                for (k, v) in &model {
                    assert_eq!(t.get(*k), Some(v));
                }
            }
        }
        assert!(t.ring.len() <= RING);
        let mut seen: Vec<_> = t.iter().map(|(k, v)| (k, *v)).collect();
        let mut want: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
        seen.sort_unstable();
        want.sort_unstable();
        assert_eq!(seen, want);
        assert_eq!(t.get(1), None);
        assert_eq!(t.remove(1), None);
    }

    #[test]
    fn old_ids_and_far_jumps() {
        let mut t = IdTable::default();
        t.insert(100, "a");
        t.insert(50, "old");
        t.insert(100 + 10 * RING as i64, "far");
        assert_eq!(t.get(100), Some(&"a"));
        assert_eq!(t.get(50), Some(&"old"));
        assert_eq!(t.get(100 + 10 * RING as i64), Some(&"far"));
        assert_eq!(t.len(), 3);
        *t.get_mut(100).unwrap() = "b";
        assert_eq!(t.remove(100), Some("b"));
        assert!(t.get(100).is_none());
        assert_eq!(t.len(), 2);
    }
}

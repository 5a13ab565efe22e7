//! The socket table: a slab with generation-checked handles plus a map from script ids.
//!
//! Scripts name sockets by integer ids taken from the runtime-wide counter. Inside, a socket
//! lives in a slab slot named by a [`Handle`] (index + generation). Wakers registered with the
//! reactor carry a `Handle`, not a reference, so a wake-up that arrives after its socket was
//! closed and the slot reused finds a newer generation and is ignored instead of touching the
//! wrong socket (the mio `Token` / quinn `ConnectionHandle` idea).

use std::collections::HashMap;

use crate::Id;

/// Names one slab slot at one point in time: stale once the slot is freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Handle {
    /// Slot index in the slab.
    pub index: u32,
    /// Generation of the slot when the handle was issued.
    pub gen: u32,
}

struct Slot<T> {
    gen: u32,
    value: Option<(Id, T)>,
}

/// Slab of values addressed by [`Handle`], each also reachable by its script id.
pub struct Handles<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    /// Ids are handed out by the runtime, not chosen by peers, so a fast fixed hash is
    /// safe (SipHash showed up in the echo benchmark's profile).
    by_id: HashMap<Id, Handle, foldhash::fast::FixedState>,
}

impl<T> Default for Handles<T> {
    fn default() -> Self {
        Handles {
            slots: Vec::new(),
            free: Vec::new(),
            by_id: HashMap::default(),
        }
    }
}

impl<T> Handles<T> {
    /// Stores `value` under script id `id` (ids are unique: they come from one counter).
    pub fn insert(&mut self, id: Id, value: T) -> Handle {
        let handle = match self.free.pop() {
            Some(index) => {
                let slot = &mut self.slots[index as usize];
                slot.value = Some((id, value));
                Handle {
                    index,
                    gen: slot.gen,
                }
            }
            None => {
                let index = self.slots.len() as u32;
                self.slots.push(Slot {
                    gen: 0,
                    value: Some((id, value)),
                });
                Handle { index, gen: 0 }
            }
        };
        self.by_id.insert(id, handle);
        handle
    }

    /// The handle the next [`Handles::insert`] will return, so a value can be built knowing
    /// its own handle (wakers carry it).
    pub fn vacant_handle(&self) -> Handle {
        match self.free.last() {
            Some(&index) => Handle {
                index,
                gen: self.slots[index as usize].gen,
            },
            None => Handle {
                index: self.slots.len() as u32,
                gen: 0,
            },
        }
    }

    /// The handle of a live script id.
    pub fn lookup(&self, id: Id) -> Option<Handle> {
        self.by_id.get(&id).copied()
    }

    /// The value behind a handle, unless the handle is stale.
    pub fn get(&self, h: Handle) -> Option<&T> {
        match self.slots.get(h.index as usize) {
            Some(Slot {
                gen,
                value: Some((_, v)),
            }) if *gen == h.gen => Some(v),
            _ => None,
        }
    }

    /// Mutable access to the value behind a handle, unless the handle is stale.
    pub fn get_mut(&mut self, h: Handle) -> Option<&mut T> {
        match self.slots.get_mut(h.index as usize) {
            Some(Slot {
                gen,
                value: Some((_, v)),
            }) if *gen == h.gen => Some(v),
            _ => None,
        }
    }

    /// The value of a live script id.
    pub fn get_id(&self, id: Id) -> Option<&T> {
        self.lookup(id).and_then(|h| self.get(h))
    }

    /// Mutable access by script id.
    pub fn get_id_mut(&mut self, id: Id) -> Option<&mut T> {
        self.lookup(id).and_then(|h| self.get_mut(h))
    }

    /// The script id stored in a slot, unless the handle is stale.
    pub fn id_of(&self, h: Handle) -> Option<Id> {
        match self.slots.get(h.index as usize) {
            Some(Slot {
                gen,
                value: Some((id, _)),
            }) if *gen == h.gen => Some(*id),
            _ => None,
        }
    }

    /// Removes a script id; its handle turns stale (the slot's generation moves on).
    pub fn remove_id(&mut self, id: Id) -> Option<T> {
        let h = self.by_id.remove(&id)?;
        let slot = &mut self.slots[h.index as usize];
        let (_, value) = slot.value.take()?;
        slot.gen = slot.gen.wrapping_add(1);
        self.free.push(h.index);
        Some(value)
    }

    /// Moves the value under `old` to script id `new`, keeping its slot and handle (so wakers
    /// already registered for it stay valid).
    pub fn rename(&mut self, old: Id, new: Id) -> Option<Handle> {
        let h = self.by_id.remove(&old)?;
        if let Some((id, _)) = &mut self.slots[h.index as usize].value {
            *id = new;
        }
        self.by_id.insert(new, h);
        Some(h)
    }

    /// Every live script id (in no particular order).
    pub fn ids(&self) -> Vec<Id> {
        self.by_id.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_lookup_remove() {
        let mut t = Handles::default();
        let v = t.vacant_handle();
        let h = t.insert(10, "a");
        assert_eq!(v, h);
        assert_eq!(t.lookup(10), Some(h));
        assert_eq!(t.get(h), Some(&"a"));
        assert_eq!(t.get_id(10), Some(&"a"));
        assert_eq!(t.id_of(h), Some(10));
        assert_eq!(t.ids().len(), 1);
        assert_eq!(t.rename(10, 11), Some(h));
        assert_eq!(t.lookup(10), None);
        assert_eq!(t.id_of(h), Some(11));
        assert_eq!(t.rename(10, 12), None);
        assert_eq!(t.remove_id(11), Some("a"));
        assert_eq!(t.lookup(11), None);
        assert_eq!(t.lookup(10), None);
        assert_eq!(t.get(h), None);
        assert_eq!(t.remove_id(10), None);
        assert!(t.ids().is_empty());
    }

    #[test]
    fn stale_handle_never_reaches_a_reused_slot() {
        let mut t = Handles::default();
        let old = t.insert(1, "old");
        t.remove_id(1);
        let vacant = t.vacant_handle();
        let new = t.insert(2, "new");
        assert_eq!(new, vacant);
        assert_eq!(new.index, old.index, "slot is reused");
        assert_ne!(new.gen, old.gen);
        assert_eq!(t.get(old), None);
        assert_eq!(t.get_mut(old), None);
        assert_eq!(t.id_of(old), None);
        assert_eq!(t.get(new), Some(&"new"));
    }

    #[test]
    fn unknown_ids_and_forged_handles() {
        let mut t: Handles<u8> = Handles::default();
        assert_eq!(t.get_id(-1), None);
        assert_eq!(t.get(Handle { index: 99, gen: 0 }), None);
        assert_eq!(t.get_id_mut(5), None);
        t.insert(5, 1);
        *t.get_id_mut(5).unwrap() = 2;
        assert_eq!(t.get_id(5), Some(&2));
        let mut ids = t.ids();
        ids.sort();
        assert_eq!(ids, vec![5]);
    }
}

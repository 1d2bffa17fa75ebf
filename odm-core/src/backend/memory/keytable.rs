//! The hash half of an index: each key to the slots of the documents
//! holding it, by open addressing (linear probing) over 32-byte buckets,
//! aligned so that a bucket never straddles a cache line.
//!
//! Why not hashbrown: a SwissTable keeps its control bytes apart from its
//! buckets, so a probe of a table too large for the cache is two dependent
//! misses, the control group and then the bucket. Here each bucket carries
//! its key's hash, and a probe is usually one line. On the point read over
//! 1,000,000 keys (`benches/index.rs`) that miss was about 7% of the
//! query's time.
//!
//! A bucket holds its key (shared with the index's ordered set), the hash,
//! and either the one slot holding the key (the common case of a selective
//! index) or the number of a set in `sets` (a key several documents hold).
//! The table is at most half full, so probes stay short; a removal shifts
//! the buckets after it back, so there are no tombstones.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

/// An encoded key, shared by the table and the index's ordered set.
pub(crate) type Key = Arc<[u8]>;

/// The slots holding one key, in slot (natural) order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Postings<'a> {
    /// One document.
    One(usize),
    /// Several documents.
    Many(&'a BTreeSet<usize>),
}

impl<'a> Postings<'a> {
    /// The slots, in natural order.
    pub fn iter(self) -> impl Iterator<Item = usize> + 'a {
        let (one, many) = match self {
            Postings::One(s) => (Some(s), None),
            Postings::Many(set) => (None, Some(set.iter().copied())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }
}

/// `meta`'s flag: `value` numbers a set of `sets`, not a slot.
const MANY: u64 = 1 << 63;

#[derive(Debug, Clone)]
#[repr(align(32))]
struct Bucket {
    key: Key,
    /// The key's hash without its top bit, which is [`MANY`].
    meta: u64,
    /// A slot, or (with [`MANY`]) the number of a set in `sets`.
    value: usize,
}

impl Bucket {
    fn hash(&self) -> u64 {
        self.meta & !MANY
    }

    fn is_many(&self) -> bool {
        self.meta & MANY != 0
    }
}

/// See [`KeyTable::probe`].
struct Probe<'a> {
    buckets: &'a [Option<Bucket>],
    at: usize,
    mask: usize,
}

impl<'a> Iterator for Probe<'a> {
    type Item = (usize, &'a Bucket);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // Ends at an empty bucket, which a table at most half full has
        // (an empty table has no buckets: `get` ends it at once).
        let b = self.buckets.get(self.at)?.as_ref()?;
        let at = self.at;
        self.at = (at + 1) & self.mask;
        Some((at, b))
    }
}

/// Keys to their postings.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyTable {
    /// Empty, or a power of two of buckets, at most half of them used.
    buckets: Vec<Option<Bucket>>,
    len: usize,
    /// The postings of keys held by several slots; an entry no key uses is
    /// empty and listed in `free`.
    sets: Vec<BTreeSet<usize>>,
    free: Vec<usize>,
    /// foldhash, randomly seeded per table: keys sent through the wire
    /// server cannot be chosen to collide, and it is several times cheaper
    /// than std's SipHash on the point read's path.
    hasher: foldhash::fast::RandomState,
}

impl KeyTable {
    fn hash(&self, key: &[u8]) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write(key);
        h.finish() & !MANY
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    /// The buckets from `hash`'s home to the first empty one, with their
    /// positions: every bucket whose key has that hash is among them.
    fn probe(&self, hash: u64) -> Probe<'_> {
        let mask = self.mask();
        Probe {
            buckets: &self.buckets,
            at: hash as usize & mask,
            mask,
        }
    }

    /// The position of `key`'s bucket (`hash` is its hash).
    fn find(&self, hash: u64, key: &[u8]) -> Option<usize> {
        self.probe(hash)
            .find(|(_, b)| b.hash() == hash && *b.key == *key)
            .map(|(i, _)| i)
    }

    fn postings(&self, b: &Bucket) -> Postings<'_> {
        match b.is_many().then(|| self.sets.get(b.value)).flatten() {
            Some(set) => Postings::Many(set),
            None => Postings::One(b.value),
        }
    }

    /// How many keys.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The postings of exactly `key`.
    pub fn get(&self, key: &[u8]) -> Option<Postings<'_>> {
        let b = self
            .buckets
            .get(self.find(self.hash(key), key)?)?
            .as_ref()?;
        Some(self.postings(b))
    }

    /// Record `slot` under `key`; the key, shared, when it is new.
    pub fn insert(&mut self, key: Vec<u8>, slot: usize) -> Option<Key> {
        let hash = self.hash(&key);
        if let Some(i) = self.find(hash, &key) {
            let Some(Some(b)) = self.buckets.get_mut(i) else {
                return None;
            };
            if b.is_many() {
                if let Some(set) = self.sets.get_mut(b.value) {
                    set.insert(slot);
                }
            } else if b.value != slot {
                let set = BTreeSet::from([b.value, slot]);
                b.value = match self.free.pop() {
                    Some(n) if n < self.sets.len() => {
                        self.sets[n] = set;
                        n
                    }
                    _ => {
                        self.sets.push(set);
                        self.sets.len() - 1
                    }
                };
                b.meta |= MANY;
            }
            return None;
        }
        if (self.len + 1) * 2 > self.buckets.len() {
            self.grow();
        }
        let key: Key = key.into();
        self.place(Bucket {
            key: Arc::clone(&key),
            meta: hash,
            value: slot,
        });
        self.len += 1;
        Some(key)
    }

    /// Forget `slot` under `key`; `true` when no slot holds the key any
    /// more (it has left the table).
    pub fn remove(&mut self, key: &[u8], slot: usize) -> bool {
        let Some(i) = self.find(self.hash(key), key) else {
            return false;
        };
        let Some(Some(b)) = self.buckets.get_mut(i) else {
            return false;
        };
        let gone = if !b.is_many() {
            b.value == slot
        } else if let Some(set) = self.sets.get_mut(b.value) {
            set.remove(&slot);
            match (set.len(), set.first().copied()) {
                (0 | 1, only) => {
                    // Back to a single slot: the set returns to the free list.
                    set.clear();
                    self.free.push(b.value);
                    match only {
                        Some(only) => {
                            b.value = only;
                            b.meta &= !MANY;
                            false
                        }
                        None => true,
                    }
                }
                _ => false,
            }
        } else {
            false
        };
        if gone {
            self.delete(i);
            self.len -= 1;
        }
        gone
    }

    /// The first slot in natural order under `key` that `holds` accepts.
    ///
    /// For the point read, whose `holds` tests the document itself: a
    /// bucket of one slot whose hash is `key`'s is tried without comparing
    /// its key (the document decides, and the key is one more cache miss on
    /// a large index); a bucket of several slots is compared by key first.
    pub fn first_holding(&self, key: &[u8], mut holds: impl FnMut(usize) -> bool) -> Option<usize> {
        let hash = self.hash(key);
        let mut first: Option<usize> = None;
        for (_, b) in self.probe(hash).filter(|(_, b)| b.hash() == hash) {
            let found = match self.postings(b) {
                Postings::One(s) => Some(s).filter(|s| holds(*s)),
                Postings::Many(set) if *b.key == *key => set.iter().copied().find(|s| holds(*s)),
                Postings::Many(_) => None,
            };
            if let Some(s) = found {
                first = Some(first.map_or(s, |f| f.min(s)));
            }
        }
        first
    }

    /// Renumber slots after the store compacted (`map[old]` is the new slot).
    pub fn remap(&mut self, map: &[usize]) {
        let renumber = |s: usize| map.get(s).copied().unwrap_or(s);
        for b in self.buckets.iter_mut().flatten() {
            if !b.is_many() {
                b.value = renumber(b.value);
            }
        }
        for set in &mut self.sets {
            *set = set.iter().map(|s| renumber(*s)).collect();
        }
    }

    /// Forget every key.
    pub fn clear(&mut self) {
        self.buckets = Vec::new();
        self.len = 0;
        self.sets.clear();
        self.free.clear();
    }

    /// Put `bucket` in the first empty bucket from its home (its key is
    /// not in the table, and an empty bucket exists).
    fn place(&mut self, bucket: Bucket) {
        let mask = self.mask();
        let mut i = bucket.hash() as usize & mask;
        while let Some(Some(_)) = self.buckets.get(i) {
            i = (i + 1) & mask;
        }
        if let Some(empty) = self.buckets.get_mut(i) {
            *empty = Some(bucket);
        }
    }

    /// Twice the buckets (at least 8), every key placed again.
    fn grow(&mut self) {
        let size = (self.buckets.len() * 2).max(8);
        let old = std::mem::replace(&mut self.buckets, std::iter::repeat_n(None, size).collect());
        for b in old.into_iter().flatten() {
            self.place(b);
        }
    }

    /// Empty bucket `hole`, then move back each following bucket of the run
    /// whose probe passed through the hole, so that every key stays
    /// reachable from its home without tombstones.
    fn delete(&mut self, mut hole: usize) {
        let mask = self.mask();
        if let Some(b) = self.buckets.get_mut(hole) {
            *b = None;
        }
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let home = match self.buckets.get(j) {
                Some(Some(b)) => b.hash() as usize & mask,
                _ => return,
            };
            // The bucket at `j` may fill the hole when its home lies on the
            // way from the hole to `j`, cyclically: `[home, j)` holds `hole`.
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                let moved = self.buckets.get_mut(j).and_then(Option::take);
                if let Some(b) = self.buckets.get_mut(hole) {
                    *b = moved;
                }
                hole = j;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(p: Option<Postings<'_>>) -> Vec<usize> {
        p.map(|p| p.iter().collect()).unwrap_or_default()
    }

    #[test]
    fn a_bucket_is_half_a_cache_line() {
        #[cfg(target_pointer_width = "64")]
        assert_eq!(std::mem::size_of::<Option<Bucket>>(), 32);
        assert_eq!(std::mem::align_of::<Option<Bucket>>(), 32);
    }

    #[test]
    fn keys_move_between_one_and_many_slots() {
        let mut t = KeyTable::default();
        assert!(t.insert(vec![1], 5).is_some());
        assert!(t.insert(vec![1], 3).is_none());
        assert!(t.insert(vec![1], 3).is_none());
        assert_eq!(slots(t.get(&[1])), [3, 5]);
        assert!(!t.remove(&[1], 5));
        assert!(matches!(t.get(&[1]), Some(Postings::One(3))));
        // The freed set is used again.
        t.insert(vec![1], 9);
        assert_eq!((t.sets.len(), t.free.len()), (1, 0));
        assert!(!t.remove(&[1], 4), "a slot the key does not hold");
        assert!(!t.remove(&[1], 3));
        assert!(t.remove(&[1], 9));
        assert!(t.get(&[1]).is_none() && t.len() == 0);
        assert!(!t.remove(&[1], 9), "a key the table does not hold");
    }

    /// A model of the table (a map) driven through the same 20,000 inserts
    /// and removes of a few thousand keys, through every growth, with the
    /// probe runs, wraps past the last bucket and backward shifts that
    /// many keys bring: every key must stay reachable with its slots.
    #[test]
    fn agrees_with_a_map_through_growth_and_removal() {
        use std::collections::BTreeMap;
        let mut t = KeyTable::default();
        let mut model: BTreeMap<Vec<u8>, BTreeSet<usize>> = BTreeMap::new();
        // A fixed-seed xorshift: the sequence is the same on every run.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for step in 0..20_000 {
            let r = next();
            let key = vec![(r % 300) as u8, (r % 7) as u8];
            let slot = (r >> 20) as usize % 4;
            if step % 3 == 2 {
                let before = model.remove(&key).unwrap_or_default();
                let mut after = before.clone();
                after.remove(&slot);
                let gone = t.remove(&key, slot);
                assert_eq!(gone, before.contains(&slot) && after.is_empty(), "{key:?}");
                if !after.is_empty() {
                    model.insert(key, after);
                }
            } else {
                let new = t.insert(key.clone(), slot).is_some();
                assert_eq!(new, !model.contains_key(&key), "{key:?}");
                model.entry(key).or_default().insert(slot);
            }
            assert!(t.len * 2 <= t.buckets.len());
        }
        assert_eq!(t.len(), model.len());
        for (key, set) in &model {
            assert_eq!(slots(t.get(key)), set.iter().copied().collect::<Vec<_>>());
            let first = set.first().copied();
            assert_eq!(t.first_holding(key, |_| true), first);
        }
        // Every set in use belongs to exactly one many-slot key.
        let many = model.values().filter(|s| s.len() > 1).count();
        assert_eq!(t.sets.len() - t.free.len(), many);
    }

    #[test]
    fn first_holding_asks_each_slot_in_natural_order() {
        let mut t = KeyTable::default();
        t.insert(vec![1], 7);
        for slot in [9, 4, 6] {
            t.insert(vec![2], slot);
        }
        assert_eq!(t.first_holding(&[1], |_| true), Some(7));
        assert_eq!(t.first_holding(&[1], |_| false), None);
        assert_eq!(t.first_holding(&[2], |_| true), Some(4));
        assert_eq!(t.first_holding(&[2], |s| s != 4), Some(6));
        assert_eq!(t.first_holding(&[3], |_| true), None);
    }

    #[test]
    fn remap_renumbers_single_and_shared_slots() {
        let mut t = KeyTable::default();
        t.insert(vec![1], 4);
        t.insert(vec![2], 2);
        t.insert(vec![2], 4);
        t.remap(&[0, 0, 1, 1, 2]);
        assert_eq!(slots(t.get(&[1])), [2]);
        assert_eq!(slots(t.get(&[2])), [1, 2]);
        t.clear();
        assert!(t.get(&[1]).is_none() && t.len() == 0);
    }
}

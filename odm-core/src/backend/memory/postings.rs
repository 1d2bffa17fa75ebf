//! The entries of one index: each key (in the order-preserving encoding of
//! [`super::keys`]) with the slots of the documents holding it.
//!
//! Keys live twice, shared: in a hash table to their postings (an equality
//! lookup is one hash probe) and in an ordered set (ranges and sorts walk
//! it). A bucket of the table is 32 bytes, two to a cache line: on a large
//! index the probe is a cache miss, and a larger bucket (a key held inline,
//! tried and measured) costs more than the pointer it saves. The table is
//! hashbrown's raw `HashTable` rather than a map so that the point read can
//! skip the key (one more miss) and let the document decide (see
//! [`Entries::first_holding`]). An array on a key path indexes each element
//! (multikey), as MongoDB does; the index then remembers it is multikey,
//! which the planner must know (bounds on one field may not be intersected,
//! the order is not a sort).

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};
use std::ops::Bound;
use std::sync::Arc;

use bson::raw::{RawBsonRef, RawDocument};
use hashbrown::hash_table::{Entry, HashTable};

use super::keys;

/// An encoded key, shared by the map and the ordered set.
pub(crate) type Key = Arc<[u8]>;

/// The slots holding one key, in slot (natural) order.
#[derive(Debug, Clone)]
pub(crate) enum Postings {
    /// The common case of a selective index: one document.
    One(usize),
    /// Several documents. Boxed on purpose: the set is 24 bytes, its box 8,
    /// and every bucket of the map pays for the largest variant.
    #[allow(clippy::box_collection)]
    Many(Box<BTreeSet<usize>>),
}

impl Postings {
    fn insert(&mut self, slot: usize) {
        match self {
            Postings::One(s) if *s == slot => {}
            Postings::One(s) => *self = Postings::Many(Box::new(BTreeSet::from([*s, slot]))),
            Postings::Many(set) => {
                set.insert(slot);
            }
        }
    }

    /// Remove `slot`; `true` when no slot is left.
    fn remove(&mut self, slot: usize) -> bool {
        match self {
            Postings::One(s) => *s == slot,
            Postings::Many(set) => {
                set.remove(&slot);
                match set.len() {
                    0 => true,
                    1 => {
                        if let Some(&only) = set.first() {
                            *self = Postings::One(only);
                        }
                        false
                    }
                    _ => false,
                }
            }
        }
    }

    /// The slots, in natural order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let (one, many) = match self {
            Postings::One(s) => (Some(*s), None),
            Postings::Many(set) => (None, Some(set.iter().copied())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }
}

/// The keys of one index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entries {
    map: HashTable<Bucket>,
    /// Keys the table's hashes: foldhash, randomly seeded per index, so keys
    /// sent through the wire server cannot be chosen to collide, and several
    /// times cheaper than std's SipHash on the point read's path.
    hasher: foldhash::fast::RandomState,
    order: BTreeSet<Key>,
    /// Some document had an array on a key path.
    pub multikey: bool,
    /// Some key is a Decimal128 placed at its nearest double: numeric bounds
    /// must be widened and the order is not exact.
    pub approximate: bool,
}

/// One key of the table with its postings.
#[derive(Debug, Clone)]
struct Bucket {
    key: Key,
    postings: Postings,
}

fn hash_with(hasher: &foldhash::fast::RandomState, key: &[u8]) -> u64 {
    let mut h = hasher.build_hasher();
    h.write(key);
    h.finish()
}

impl Entries {
    fn hash(&self, key: &[u8]) -> u64 {
        hash_with(&self.hasher, key)
    }

    /// Record `slot` under `key`.
    pub fn insert(&mut self, key: Vec<u8>, slot: usize) {
        let hash = self.hash(&key);
        let hasher = &self.hasher;
        let rehash = |b: &Bucket| hash_with(hasher, &b.key);
        match self.map.entry(hash, |b| *b.key == *key, rehash) {
            Entry::Occupied(mut o) => o.get_mut().postings.insert(slot),
            Entry::Vacant(v) => {
                let key: Key = key.into();
                self.order.insert(Arc::clone(&key));
                v.insert(Bucket {
                    key,
                    postings: Postings::One(slot),
                });
            }
        }
    }

    /// Forget `slot` under `key`.
    pub fn remove(&mut self, key: &[u8], slot: usize) {
        let hash = self.hash(key);
        let Ok(mut found) = self.map.find_entry(hash, |b| *b.key == *key) else {
            return;
        };
        if found.get_mut().postings.remove(slot) {
            found.remove();
            self.order.remove(key);
        }
    }

    /// The postings of exactly `key`.
    pub fn get(&self, key: &[u8]) -> Option<&Postings> {
        self.map
            .find(self.hash(key), |b| *b.key == *key)
            .map(|b| &b.postings)
    }

    /// The first slot in natural order under `key` that `holds` accepts.
    ///
    /// For the point read, whose `holds` tests the document itself: a
    /// bucket holding one slot is tried without comparing its key (the
    /// document decides, and the key is one more cache miss on a large
    /// index), so a bucket whose hash merely looks alike costs a test of
    /// its document; a bucket of several slots is compared by key first.
    pub fn first_holding(&self, key: &[u8], mut holds: impl FnMut(usize) -> bool) -> Option<usize> {
        let mut first: Option<usize> = None;
        for b in self.map.iter_hash(self.hash(key)) {
            let found = match &b.postings {
                Postings::One(s) => Some(*s).filter(|s| holds(*s)),
                Postings::Many(set) if *b.key == *key => set.iter().copied().find(|s| holds(*s)),
                Postings::Many(_) => None,
            };
            if let Some(s) = found {
                first = Some(first.map_or(s, |f| f.min(s)));
            }
        }
        first
    }

    /// The keys in `[start, end)` (`end` `None`: to the last key), with
    /// their postings, in key order.
    pub fn range<'a>(
        &'a self,
        start: &[u8],
        end: Option<&[u8]>,
    ) -> impl DoubleEndedIterator<Item = &'a Postings> + 'a {
        let upper = match end {
            Some(e) => Bound::Excluded(e),
            None => Bound::Unbounded,
        };
        self.order
            .range::<[u8], _>((Bound::Included(start), upper))
            .filter_map(|k| self.get(k))
    }

    /// Every key's postings, in key order.
    pub fn all(&self) -> impl DoubleEndedIterator<Item = &Postings> + '_ {
        self.order.iter().filter_map(|k| self.get(k))
    }

    /// How many distinct keys.
    #[cfg(test)]
    pub fn key_count(&self) -> usize {
        self.map.len()
    }

    /// Renumber slots after the store compacted (`map[old]` is the new slot).
    pub fn remap(&mut self, map: &[usize]) {
        for b in self.map.iter_mut() {
            match &mut b.postings {
                Postings::One(s) => *s = map.get(*s).copied().unwrap_or(*s),
                Postings::Many(set) => {
                    **set = set
                        .iter()
                        .map(|s| map.get(*s).copied().unwrap_or(*s))
                        .collect()
                }
            }
        }
    }

    /// Forget every key.
    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.multikey = false;
        self.approximate = false;
    }
}

/// The values at a dotted path, arrays on the way traversed and an array at
/// the end expanded (the values an index holds for the path); `true` with
/// them when an array was met.
pub(crate) fn path_values<'a>(doc: &'a RawDocument, path: &str) -> (Vec<RawBsonRef<'a>>, bool) {
    let parts: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    let mut arrays = false;
    walk_document(doc, &parts, &mut out, &mut arrays);
    (out, arrays)
}

fn walk_document<'a>(
    doc: &'a RawDocument,
    parts: &[&str],
    out: &mut Vec<RawBsonRef<'a>>,
    arrays: &mut bool,
) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    if let Ok(Some(v)) = doc.get(first) {
        walk(v, rest, out, arrays);
    }
}

fn walk<'a>(
    value: RawBsonRef<'a>,
    rest: &[&str],
    out: &mut Vec<RawBsonRef<'a>>,
    arrays: &mut bool,
) {
    match (value, rest.split_first()) {
        (RawBsonRef::Array(a), None) => {
            *arrays = true;
            out.extend(a.into_iter().flatten());
        }
        (v, None) => out.push(v),
        (RawBsonRef::Document(d), Some(_)) => walk_document(d, rest, out, arrays),
        (RawBsonRef::Array(a), Some((first, tail))) => {
            *arrays = true;
            if let Ok(i) = first.parse::<usize>() {
                if let Some(Ok(el)) = a.into_iter().nth(i) {
                    walk(el, tail, out, arrays);
                }
            }
            for el in a.into_iter().flatten() {
                if let RawBsonRef::Document(d) = el {
                    walk_document(d, rest, out, arrays);
                }
            }
        }
        _ => {}
    }
}

/// Encode one compound key from its values (one per field, in pattern order).
pub(crate) fn encode_key(values: &[RawBsonRef<'_>], descending: &[bool]) -> Vec<u8> {
    // Sized so that a string key (the common case) does not grow.
    let size = values
        .iter()
        .map(|v| match v {
            RawBsonRef::String(s) => s.len() + 8,
            _ => 16,
        })
        .sum();
    let mut out = Vec::with_capacity(size);
    for (i, v) in values.iter().enumerate() {
        keys::encode_dir(*v, descending.get(i).copied().unwrap_or(false), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::rawdoc;

    #[test]
    fn postings_follow_inserts_and_removes() {
        let mut e = Entries::default();
        e.insert(vec![2, 1], 5);
        e.insert(vec![2, 1], 3);
        e.insert(vec![2, 2], 4);
        let slots: Vec<usize> = e.get(&[2, 1]).unwrap().iter().collect();
        assert_eq!(slots, [3, 5]);
        e.remove(&[2, 1], 3);
        assert!(matches!(e.get(&[2, 1]), Some(Postings::One(5))));
        e.remove(&[2, 1], 5);
        assert!(e.get(&[2, 1]).is_none());
        assert_eq!(e.key_count(), 1);
        let in_range: Vec<usize> = e.range(&[2], Some(&[3])).flat_map(|p| p.iter()).collect();
        assert_eq!(in_range, [4]);
        e.remap(&[0, 0, 0, 0, 1]);
        assert!(matches!(e.get(&[2, 2]), Some(Postings::One(1))));
    }

    #[test]
    fn first_holding_asks_each_slot_in_natural_order() {
        let mut e = Entries::default();
        e.insert(vec![1], 7);
        for slot in [9, 4, 6] {
            e.insert(vec![2], slot);
        }
        assert_eq!(e.first_holding(&[1], |_| true), Some(7));
        assert_eq!(e.first_holding(&[1], |_| false), None);
        assert_eq!(e.first_holding(&[2], |_| true), Some(4));
        assert_eq!(e.first_holding(&[2], |s| s != 4), Some(6));
        #[cfg(target_pointer_width = "64")]
        assert_eq!(
            std::mem::size_of::<Bucket>(),
            32,
            "the module docs' bucket size"
        );
    }

    #[test]
    fn keys_sharing_prefixes_are_found_and_ordered() {
        const N: usize = 64;
        let key = |n: usize| -> Vec<u8> { (0..n).map(|i| b'a' + (i % 3) as u8).collect() };
        let mut e = Entries::default();
        for n in 0..=N {
            e.insert(key(n), n);
        }
        for n in 0..=N {
            assert!(
                matches!(e.get(&key(n)), Some(Postings::One(s)) if *s == n),
                "{n}"
            );
        }
        assert!(e.get(&key(9)[1..]).is_none());
        let ordered: Vec<usize> = e.all().flat_map(|p| p.iter()).collect();
        let mut expected: Vec<usize> = (0..=N).collect();
        expected.sort_by_key(|n| key(*n));
        assert_eq!(ordered, expected);
        e.remove(&key(50), 50);
        e.remove(&key(3), 3);
        assert!(e.get(&key(50)).is_none() && e.get(&key(3)).is_none());
        assert_eq!(e.key_count(), N - 1);
    }

    #[test]
    fn path_values_report_arrays() {
        let d = rawdoc! {"a": {"b": 1}, "c": [1, 2], "e": [{"f": 1}, {"f": 2}]};
        assert_eq!(path_values(&d, "a.b").0.len(), 1);
        assert!(!path_values(&d, "a.b").1);
        assert_eq!(
            path_values(&d, "c"),
            (vec![RawBsonRef::Int32(1), RawBsonRef::Int32(2)], true)
        );
        assert_eq!(path_values(&d, "e.f").0.len(), 2);
        assert!(path_values(&d, "e.f").1);
        assert!(path_values(&d, "x").0.is_empty());
    }
}

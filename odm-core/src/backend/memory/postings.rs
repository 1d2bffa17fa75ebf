//! The entries of one index: each key (in the order-preserving encoding of
//! [`super::keys`]) with the slots of the documents holding it.
//!
//! Keys live twice, shared: in a hash table to their postings (an equality
//! lookup is one probe, see [`super::keytable`]) and in an ordered set
//! (ranges and sorts walk it). An array on a key path indexes each element
//! (multikey), as MongoDB does; the index then remembers it is multikey,
//! which the planner must know (bounds on one field may not be intersected,
//! the order is not a sort).

use std::collections::BTreeSet;
use std::ops::Bound;

use bson::raw::{RawBsonRef, RawDocument};

use super::keys;
pub(crate) use super::keytable::Postings;
use super::keytable::{Key, KeyTable};

/// The keys of one index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entries {
    table: KeyTable,
    order: BTreeSet<Key>,
    /// Some document had an array on a key path.
    pub multikey: bool,
    /// Some key is a Decimal128 placed at its nearest double: numeric bounds
    /// must be widened and the order is not exact.
    pub approximate: bool,
}

impl Entries {
    /// Record `slot` under `key`.
    pub fn insert(&mut self, key: Vec<u8>, slot: usize) {
        if let Some(new) = self.table.insert(key, slot) {
            self.order.insert(new);
        }
    }

    /// Forget `slot` under `key`.
    pub fn remove(&mut self, key: &[u8], slot: usize) {
        if self.table.remove(key, slot) {
            self.order.remove(key);
        }
    }

    /// The postings of exactly `key`.
    pub fn get(&self, key: &[u8]) -> Option<Postings<'_>> {
        self.table.get(key)
    }

    /// The first slot in natural order under `key` that `holds` accepts
    /// (see [`KeyTable::first_holding`]).
    pub fn first_holding(&self, key: &[u8], holds: impl FnMut(usize) -> bool) -> Option<usize> {
        self.table.first_holding(key, holds)
    }

    /// The keys in `[start, end)` (`end` `None`: to the last key), with
    /// their postings, in key order.
    pub fn range<'a>(
        &'a self,
        start: &[u8],
        end: Option<&[u8]>,
    ) -> impl DoubleEndedIterator<Item = Postings<'a>> + 'a {
        let upper = match end {
            Some(e) => Bound::Excluded(e),
            None => Bound::Unbounded,
        };
        self.order
            .range::<[u8], _>((Bound::Included(start), upper))
            .filter_map(|k| self.get(k))
    }

    /// Every key's postings, in key order.
    pub fn all(&self) -> impl DoubleEndedIterator<Item = Postings<'_>> + '_ {
        self.order.iter().filter_map(|k| self.get(k))
    }

    /// How many distinct keys.
    #[cfg(test)]
    pub fn key_count(&self) -> usize {
        self.table.len()
    }

    /// Renumber slots after the store compacted (`map[old]` is the new slot).
    pub fn remap(&mut self, map: &[usize]) {
        self.table.remap(map);
    }

    /// Forget every key.
    pub fn clear(&mut self) {
        self.table.clear();
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
    fn keys_sharing_prefixes_are_found_and_ordered() {
        const N: usize = 64;
        let key = |n: usize| -> Vec<u8> { (0..n).map(|i| b'a' + (i % 3) as u8).collect() };
        let mut e = Entries::default();
        for n in 0..=N {
            e.insert(key(n), n);
        }
        for n in 0..=N {
            assert!(
                matches!(e.get(&key(n)), Some(Postings::One(s)) if s == n),
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

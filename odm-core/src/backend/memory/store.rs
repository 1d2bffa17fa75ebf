//! A collection's documents at rest: raw BSON in insertion (natural) order,
//! with a hash index on `_id` under MongoDB equality.
//!
//! Documents live in slots (`Vec<Option<Doc>>`): a delete empties its
//! slot, so a scan after many deletes stays linear, and the slots are
//! compacted once more than half of them are empty. Slot numbers are
//! stable until [`Store::compact`] runs, which the engine calls only at the
//! end of a command.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use bson::raw::{RawBsonRef, RawDocument, RawDocumentBuf};

use super::compare::type_rank;

/// A BSON value's identity under MongoDB equality, as canonical bytes:
/// `1`, `1i64` and `1.0` have the same key, `"1"` does not; documents and
/// arrays are keyed by their canonical contents, so `{a: 1}` and `{a: 1.0}`
/// are the same key too.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ValueKey(Box<[u8]>);

impl ValueKey {
    /// The key of one value.
    pub fn of(value: RawBsonRef<'_>) -> Self {
        let mut out = Vec::with_capacity(16);
        encode(value, &mut out);
        ValueKey(out.into_boxed_slice())
    }

    /// The key of several values together (a compound index key).
    pub fn of_all<'a>(values: impl IntoIterator<Item = RawBsonRef<'a>>) -> Self {
        let mut out = Vec::with_capacity(32);
        for v in values {
            encode(v, &mut out);
        }
        ValueKey(out.into_boxed_slice())
    }
}

/// Ends a document or array: no type rank and no UTF-8 key starts with 0xFF.
const END: u8 = 0xFF;

fn encode(value: RawBsonRef<'_>, out: &mut Vec<u8>) {
    out.push(type_rank(value.element_type()));
    match value {
        RawBsonRef::Int32(i) => encode_int(i.into(), out),
        RawBsonRef::Int64(i) => encode_int(i, out),
        RawBsonRef::Double(d) => encode_float(d, out),
        RawBsonRef::Decimal128(d) => {
            let s = d.to_string();
            match s.parse::<i64>() {
                Ok(i) => encode_int(i, out),
                Err(_) => encode_float(s.parse::<f64>().unwrap_or(f64::NAN), out),
            }
        }
        RawBsonRef::String(s) | RawBsonRef::Symbol(s) => encode_str(s, out),
        RawBsonRef::Document(d) => encode_document(d, out),
        RawBsonRef::Array(a) => {
            for v in a.into_iter().flatten() {
                encode(v, out);
            }
            out.push(END);
        }
        RawBsonRef::Binary(b) => {
            out.push(u8::from(b.subtype));
            out.extend_from_slice(&(b.bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(b.bytes);
        }
        RawBsonRef::ObjectId(o) => out.extend_from_slice(&o.bytes()),
        RawBsonRef::Boolean(b) => out.push(u8::from(b)),
        RawBsonRef::DateTime(d) => out.extend_from_slice(&d.timestamp_millis().to_be_bytes()),
        RawBsonRef::Timestamp(t) => {
            out.extend_from_slice(&t.time.to_be_bytes());
            out.extend_from_slice(&t.increment.to_be_bytes());
        }
        RawBsonRef::RegularExpression(r) => {
            encode_str(r.pattern.as_str(), out);
            encode_str(r.options.as_str(), out);
        }
        RawBsonRef::JavaScriptCode(c) => encode_str(c, out),
        RawBsonRef::JavaScriptCodeWithScope(c) => {
            encode_str(c.code, out);
            encode_document(c.scope, out);
        }
        // Null, undefined, MinKey, MaxKey: the rank is the whole value.
        // DbPointer: deprecated and never an `_id` in practice.
        _ => {}
    }
}

fn encode_document(d: &RawDocument, out: &mut Vec<u8>) {
    for (k, v) in d.iter().flatten() {
        out.extend_from_slice(k.as_str().as_bytes());
        out.push(0);
        encode(v, out);
    }
    out.push(END);
}

fn encode_str(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u64).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn encode_int(i: i64, out: &mut Vec<u8>) {
    out.push(0);
    out.extend_from_slice(&i.to_be_bytes());
}

/// Integral doubles in `i64` range take the integer's key, so `2.0 == 2`.
fn encode_float(f: f64, out: &mut Vec<u8>) {
    /// 2^63: integral doubles in `[-2^63, 2^63)` fit an `i64` exactly.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        out.push(2);
    } else if f.fract() == 0.0 && (-TWO_63..TWO_63).contains(&f) {
        encode_int(f as i64, out);
    } else {
        out.push(1);
        out.extend_from_slice(&f.to_bits().to_be_bytes());
    }
}

/// A stored document: its bytes and their reference count in one
/// allocation. (In an `Arc<RawDocumentBuf>` the count and the buffer's
/// pointer sit in one allocation and the bytes in another: on a large
/// collection, two cache misses per document read instead of one.)
#[derive(Clone, PartialEq)]
pub struct Doc(Arc<[u8]>);

/// What a `Doc` reads as if its bytes were not a document, which
/// [`Doc::new`] rules out.
static EMPTY: LazyLock<RawDocumentBuf> = LazyLock::new(RawDocumentBuf::new);

impl Doc {
    /// Store `doc`.
    pub fn new(doc: RawDocumentBuf) -> Self {
        Doc(Arc::from(doc.into_bytes()))
    }

    /// Whether both are the same stored version (not merely equal bytes).
    pub fn ptr_eq(a: &Doc, b: &Doc) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl From<RawDocumentBuf> for Doc {
    fn from(doc: RawDocumentBuf) -> Self {
        Doc::new(doc)
    }
}

impl std::ops::Deref for Doc {
    type Target = RawDocument;

    fn deref(&self) -> &RawDocument {
        // Checks the length prefix and the terminator, which `new` took from
        // a valid document.
        RawDocument::from_bytes(&self.0).unwrap_or(&EMPTY)
    }
}

impl AsRef<RawDocument> for Doc {
    fn as_ref(&self) -> &RawDocument {
        self
    }
}

impl std::fmt::Debug for Doc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// The documents of one collection.
#[derive(Debug, Default, Clone)]
pub struct Store {
    slots: Vec<Option<Doc>>,
    /// foldhash, randomly seeded: cheaper than SipHash on the hot
    /// `find_by_id`, and keys still cannot be chosen to collide.
    ids: HashMap<ValueKey, usize, foldhash::fast::RandomState>,
    live: usize,
    /// A transaction's private copy records what it changed (see `txn.rs`);
    /// `None` for a committed collection, so its writes pay one branch.
    journal: Option<Box<Journal>>,
}

/// The documents a transaction's private copy changed, by `_id` key, each
/// with the version it had in the snapshot (`None`: absent), in the order
/// of first change.
#[derive(Debug, Default, Clone)]
pub struct Journal {
    entries: Vec<(ValueKey, Option<Doc>)>,
    seen: std::collections::HashSet<ValueKey>,
}

impl Journal {
    fn note(&mut self, key: &ValueKey, before: Option<&Doc>) {
        if self.seen.insert(key.clone()) {
            self.entries.push((key.clone(), before.cloned()));
        }
    }

    /// The changed documents' keys and snapshot versions.
    pub fn entries(&self) -> &[(ValueKey, Option<Doc>)] {
        &self.entries
    }
}

/// An insert refused because a document with an equal `_id` is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateId;

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many documents are stored.
    pub fn len(&self) -> usize {
        self.live
    }

    /// The documents with their slots, in natural order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &RawDocument)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_deref().map(|d| (i, d)))
    }

    /// The document in `slot`.
    pub fn get(&self, slot: usize) -> Option<&Doc> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    /// Record every change from now on (a transaction's private copy).
    pub fn start_journal(&mut self) {
        self.journal = Some(Box::default());
    }

    /// Stop recording, returning what was recorded.
    pub fn take_journal(&mut self) -> Option<Journal> {
        self.journal.take().map(|j| *j)
    }

    /// What was recorded since [`start_journal`](Self::start_journal).
    pub fn journal(&self) -> Option<&Journal> {
        self.journal.as_deref()
    }

    /// The slot of the document with this `_id` key.
    pub fn slot_of_key(&self, key: &ValueKey) -> Option<usize> {
        self.ids.get(key).copied()
    }

    /// The slot of the document whose `_id` equals `id`.
    pub fn slot_of_id(&self, id: RawBsonRef<'_>) -> Option<usize> {
        self.ids.get(&ValueKey::of(id)).copied()
    }

    /// Append a document; it must carry an `_id` (documents without one are
    /// keyed as if `_id` were null, which the engine never stores).
    pub fn insert(&mut self, doc: impl Into<Doc>) -> Result<usize, DuplicateId> {
        let doc = doc.into();
        let key = id_key(&doc);
        if self.ids.contains_key(&key) {
            return Err(DuplicateId);
        }
        let slot = self.slots.len();
        if let Some(j) = self.journal.as_deref_mut() {
            j.note(&key, None);
        }
        self.ids.insert(key, slot);
        self.slots.push(Some(doc));
        self.live += 1;
        Ok(slot)
    }

    /// Put `doc` in place of the document in `slot`. The caller guarantees
    /// `_id` did not change (it is immutable); a changed `_id` is re-keyed
    /// anyway so the index never lies.
    pub fn replace(&mut self, slot: usize, doc: impl Into<Doc>) -> Result<(), DuplicateId> {
        let doc = doc.into();
        let new_key = id_key(&doc);
        let Some(entry) = self.slots.get_mut(slot) else {
            return Ok(());
        };
        if let Some(old) = entry.as_ref() {
            let old_key = id_key(old);
            if old_key != new_key {
                if self.ids.contains_key(&new_key) {
                    return Err(DuplicateId);
                }
                if let Some(j) = self.journal.as_deref_mut() {
                    j.note(&old_key, Some(old));
                    j.note(&new_key, None);
                }
                self.ids.remove(&old_key);
                self.ids.insert(new_key, slot);
            } else if let Some(j) = self.journal.as_deref_mut() {
                j.note(&new_key, Some(old));
            }
        }
        *entry = Some(doc);
        Ok(())
    }

    /// Remove the document in `slot`, returning it.
    pub fn remove(&mut self, slot: usize) -> Option<Doc> {
        let old = self.slots.get_mut(slot)?.take()?;
        let key = id_key(&old);
        if let Some(j) = self.journal.as_deref_mut() {
            j.note(&key, Some(&old));
        }
        self.ids.remove(&key);
        self.live -= 1;
        Some(old)
    }

    /// Drop the empty slots once they are the majority. Renumbers slots: call
    /// only when no slot number is held. Returns the renumbering when it
    /// happened (`map[old] == new` for every stored document), for the
    /// secondary indexes to follow.
    #[must_use = "the indexes must follow the renumbering: call CollState::compact"]
    pub fn compact(&mut self) -> Option<Vec<usize>> {
        let free = self.slots.len() - self.live;
        if free < 64 || free < self.live {
            return None;
        }
        let mut map = vec![usize::MAX; self.slots.len()];
        let mut next = 0;
        for (old, s) in self.slots.iter().enumerate() {
            if s.is_some() {
                if let Some(m) = map.get_mut(old) {
                    *m = next;
                }
                next += 1;
            }
        }
        self.slots.retain(Option::is_some);
        self.ids.clear();
        for (i, d) in self.slots.iter().enumerate() {
            if let Some(d) = d {
                self.ids.insert(id_key(d), i);
            }
        }
        Some(map)
    }

    /// How many slots exist, empty ones included (for tests of compaction).
    #[cfg(test)]
    fn slot_count(&self) -> usize {
        self.slots.len()
    }
}

fn id_key(doc: &RawDocument) -> ValueKey {
    match doc.get("_id") {
        Ok(Some(id)) => ValueKey::of(id),
        _ => ValueKey::of(RawBsonRef::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{rawdoc, Bson, RawBson};

    fn key(v: Bson) -> ValueKey {
        let raw = RawBson::try_from(v).unwrap();
        ValueKey::of(raw.as_raw_bson_ref())
    }

    #[test]
    fn numeric_ids_are_equal_across_widths() {
        assert_eq!(key(Bson::Int32(1)), key(Bson::Int64(1)));
        assert_eq!(key(Bson::Int32(1)), key(Bson::Double(1.0)));
        assert_eq!(key(Bson::Int32(0)), key(Bson::Double(-0.0)));
        assert_eq!(
            key(Bson::Decimal128("7".parse().unwrap())),
            key(Bson::Int64(7))
        );
        assert_ne!(key(Bson::Int32(1)), key(Bson::Double(1.5)));
        assert_ne!(key(Bson::Int32(1)), key(Bson::String("1".into())));
        assert_eq!(key(Bson::Double(f64::NAN)), key(Bson::Double(-f64::NAN)));
    }

    #[test]
    fn documents_and_arrays_key_by_canonical_contents() {
        assert_eq!(
            key(Bson::Document(bson::doc! {"a": 1, "b": [2i64]})),
            key(Bson::Document(bson::doc! {"a": 1.0, "b": [2]}))
        );
        assert_ne!(
            key(Bson::Document(bson::doc! {"a": 1, "b": 2})),
            key(Bson::Document(bson::doc! {"b": 2, "a": 1}))
        );
        // A nested document must not collide with a flattened sibling.
        assert_ne!(
            key(Bson::Array(vec![Bson::Array(vec![1.into()]), 2.into()])),
            key(Bson::Array(vec![Bson::Array(vec![1.into(), 2.into()])]))
        );
        assert_eq!(key(Bson::Symbol("s".into())), key(Bson::String("s".into())));
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let mut s = Store::new();
        s.insert(rawdoc! {"_id": 1, "x": 1}).unwrap();
        assert_eq!(s.insert(rawdoc! {"_id": 1.0, "x": 2}), Err(DuplicateId));
        assert_eq!(s.insert(rawdoc! {"_id": 1i64}), Err(DuplicateId));
        s.insert(rawdoc! {"_id": "1"}).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.slot_of_id(RawBsonRef::Double(1.0)), Some(0));
    }

    #[test]
    fn natural_order_survives_deletes_and_compaction() {
        let mut s = Store::new();
        for i in 0..200 {
            s.insert(rawdoc! {"_id": i}).unwrap();
        }
        for i in (0..200).filter(|i| i % 3 != 0) {
            let slot = s.slot_of_id(RawBsonRef::Int32(i)).unwrap();
            assert!(s.remove(slot).is_some());
        }
        assert!(s.compact().is_some());
        assert!(s.slot_count() < 200);
        let ids: Vec<i32> = s.iter().map(|(_, d)| d.get_i32("_id").unwrap()).collect();
        let expected: Vec<i32> = (0..200).filter(|i| i % 3 == 0).collect();
        assert_eq!(ids, expected);
        // The id index follows the renumbering.
        let slot = s.slot_of_id(RawBsonRef::Int32(99)).unwrap();
        assert_eq!(s.get(slot).unwrap().get_i32("_id").unwrap(), 99);
        // A removed id can be inserted again, at the end.
        s.insert(rawdoc! {"_id": 1}).unwrap();
        assert_eq!(s.iter().last().unwrap().1.get_i32("_id").unwrap(), 1);
    }

    #[test]
    fn replace_keeps_position() {
        let mut s = Store::new();
        s.insert(rawdoc! {"_id": 1, "v": "a"}).unwrap();
        s.insert(rawdoc! {"_id": 2, "v": "b"}).unwrap();
        s.replace(0, rawdoc! {"_id": 1, "v": "c"}).unwrap();
        let vs: Vec<String> = s
            .iter()
            .map(|(_, d)| d.get_str("v").unwrap().to_owned())
            .collect();
        assert_eq!(vs, ["c", "b"]);
        assert_eq!(s.replace(0, rawdoc! {"_id": 2}), Err(DuplicateId));
    }
}

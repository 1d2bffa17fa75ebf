//! The point read: `find_one({path: scalar})` answered by one hash probe of
//! `_id` or of a single-field index, without compiling a matcher, planning,
//! or collecting a cursor.
//!
//! It is the hot path of an application (`find_by_id`, a lookup by a unique
//! email), so it is worth its own code; everything else goes through the
//! planner. The probe only finds candidates: each is still tested with the
//! matcher's own equality and path walk, so the answer is the general
//! path's, document for document (a test compares the two on awkward shapes).

use std::sync::LazyLock;

use bson::raw::RawBsonRef;
use bson::{Bson, Document};

use super::catalog::{CollState, Entry};
use super::matcher::matches_eq;
use super::matcher::path::FieldPath;
use super::postings::encode_key;
use super::store::Doc;
use super::MemoryBackend;
use crate::backend::{FindOptions, Namespace};

impl MemoryBackend {
    /// `find_one` as a point read: `Some(answer)` when `filter` is one and
    /// `_id` or an index answers it, `None` when the planner must. The
    /// answer is the stored document itself, shared, not a copy.
    pub(crate) fn point_read(
        &self,
        ns: &Namespace,
        filter: &Document,
        options: &FindOptions,
    ) -> Option<Option<Doc>> {
        let point = PointRead::of(filter, options)?;
        let Some(Entry::Collection(coll)) = self.catalog.entry(ns) else {
            return None;
        };
        let state = coll.read();
        let found = point.first(&state)?;
        Some(found.cloned())
    }
}

static ID: LazyLock<FieldPath> = LazyLock::new(|| FieldPath::parse("_id"));

/// `{path: value}`: one field, compared by equality with a plain scalar.
#[derive(Debug)]
pub(crate) struct PointRead<'f> {
    path: &'f str,
    value: RawBsonRef<'f>,
}

impl<'f> PointRead<'f> {
    /// The filter as a point read, when it is one and nothing in `options`
    /// (a sort, a skip, a hint, a collation, a projection, whose positional
    /// `$` needs the matcher) asks for more than the first match in natural
    /// order.
    pub fn of(filter: &'f Document, options: &FindOptions) -> Option<Self> {
        if filter.len() != 1
            || options.sort.as_ref().is_some_and(|s| !s.is_empty())
            || options.skip != 0
            || options.hint.is_some()
            || options.collation.is_some()
            || options.projection.as_ref().is_some_and(|p| !p.is_empty())
        {
            return None;
        }
        let (path, value) = filter.iter().next()?;
        // An all-digit part may also address an array element, which the
        // index keys do not follow.
        if path.starts_with('$')
            || path
                .split('.')
                .any(|p| p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        Some(PointRead {
            path,
            value: scalar(value)?,
        })
    }

    /// The first matching document of `state`, in natural order, when `_id`
    /// or an index can answer; `None` when neither can (the caller plans).
    pub fn first<'a>(&self, state: &'a CollState) -> Option<Option<&'a Doc>> {
        let store = &state.store;
        let found = if self.path == "_id" {
            store
                .slot_of_id(self.value)
                .and_then(|slot| store.get(slot))
                .filter(|d| matches_eq(d, &ID, self.value))
        } else {
            let (index, path) = state.indexes.list().iter().find_map(|i| {
                let usable = i.ordered && !i.is_partial() && !i.entries.approximate;
                match (i.paths.as_slice(), i.fields.as_slice()) {
                    ([p], [f]) if usable && p == self.path => Some((i, f)),
                    _ => None,
                }
            })?;
            let key = encode_key(&[self.value], &index.descending);
            index
                .entries
                .first_holding(&key, |slot| {
                    store
                        .get(slot)
                        .is_some_and(|d| matches_eq(d, path, self.value))
                })
                .and_then(|slot| store.get(slot))
        };
        Some(found)
    }
}

/// A value whose equality the index keys decide exactly, borrowed: not
/// null (which also matches a missing field), not a document or an array
/// (whole-value equality), not a regex (a pattern), not a decimal (keyed
/// at its nearest double).
fn scalar(value: &Bson) -> Option<RawBsonRef<'_>> {
    Some(match value {
        Bson::String(s) => RawBsonRef::String(s),
        Bson::Int32(i) => RawBsonRef::Int32(*i),
        Bson::Int64(i) => RawBsonRef::Int64(*i),
        Bson::Double(d) => RawBsonRef::Double(*d),
        Bson::Boolean(b) => RawBsonRef::Boolean(*b),
        Bson::ObjectId(o) => RawBsonRef::ObjectId(*o),
        Bson::DateTime(d) => RawBsonRef::DateTime(*d),
        Bson::Timestamp(t) => RawBsonRef::Timestamp(*t),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use bson::{doc, rawdoc, Bson, DateTime, RawDocumentBuf};

    use super::*;
    use crate::backend::{Backend, IndexModel, InsertOptions};

    fn ns() -> Namespace {
        Namespace::new("db", "point")
    }

    /// Awkward shapes for `a`, `a.b` and `s`: numbers of every width,
    /// arrays (nested too), documents, null, missing, and repeated values
    /// (so several candidates share a key and natural order decides).
    fn corpus() -> Vec<RawDocumentBuf> {
        vec![
            rawdoc! {"_id": 1, "a": 5, "s": "x"},
            rawdoc! {"_id": 2, "a": 5.0, "s": "x"},
            rawdoc! {"_id": 3, "a": 5i64},
            rawdoc! {"_id": 4, "a": [1, 5, 9]},
            rawdoc! {"_id": 5, "a": [[5]], "s": null},
            rawdoc! {"_id": 6, "a": {"b": 5}},
            rawdoc! {"_id": 7, "a": [{"b": 5}, {"b": [6, 7]}]},
            rawdoc! {"_id": 8, "a": [{"b": [[6]]}]},
            rawdoc! {"_id": 9, "a": "5", "s": "y"},
            rawdoc! {"_id": 10, "a": null},
            rawdoc! {"_id": 11},
            rawdoc! {"_id": 12.0, "a": true},
            rawdoc! {"_id": "k", "a": DateTime::from_millis(5), "s": ["x", "z"]},
            rawdoc! {"_id": 14, "a": {"b": 7}, "s": {"t": "x"}},
        ]
    }

    fn values() -> Vec<Bson> {
        vec![
            Bson::Int32(5),
            Bson::Double(5.0),
            Bson::Int64(5),
            Bson::Int32(6),
            Bson::Int32(7),
            Bson::Int32(9),
            Bson::Int32(12),
            Bson::String("5".into()),
            Bson::String("x".into()),
            Bson::String("z".into()),
            Bson::String("k".into()),
            Bson::Boolean(true),
            Bson::DateTime(DateTime::from_millis(5)),
            Bson::Double(f64::NAN),
        ]
    }

    async fn loaded() -> MemoryBackend {
        let b = MemoryBackend::new();
        b.insert(ns(), corpus(), InsertOptions::default())
            .await
            .unwrap();
        b
    }

    #[tokio::test]
    async fn point_reads_answer_as_the_planner_does() {
        let b = loaded().await;
        let mut sparse = IndexModel::new(doc! {"s": -1});
        sparse.sparse = true;
        let indexes = vec![
            IndexModel::new(doc! {"a": 1}),
            IndexModel::new(doc! {"a.b": 1}),
            sparse,
        ];
        b.create_indexes(ns(), indexes).await.unwrap();
        let options = FindOptions {
            limit: 1,
            ..FindOptions::default()
        };
        let mut answered = 0;
        for path in ["_id", "a", "a.b", "s"] {
            for value in values() {
                let filter = doc! {path: value.clone()};
                let general = b.find_docs(&ns(), &filter, &options).unwrap();
                let point = b.point_read(&ns(), &filter, &options);
                let point = point.unwrap_or_else(|| panic!("{filter} was not a point read"));
                let general = general.first().map(|d| &**d);
                assert_eq!(point.as_deref(), general, "{filter}");
                answered += usize::from(point.is_some());
            }
        }
        // The comparison is not vacuous: many of the reads find a document.
        assert!(answered >= 15, "{answered}");
    }

    #[test]
    fn only_plain_equalities_are_point_reads() {
        let plain = FindOptions::default();
        let sorted = FindOptions {
            sort: Some(doc! {"a": 1}),
            ..FindOptions::default()
        };
        let is_point = |f: Document, o: &FindOptions| PointRead::of(&f, o).is_some();
        assert!(is_point(doc! {"email": "a@b"}, &plain));
        assert!(is_point(doc! {"a.b": 1}, &plain));
        assert!(!is_point(doc! {"email": "a@b"}, &sorted));
        assert!(!is_point(doc! {"a": null}, &plain));
        assert!(!is_point(doc! {"a": [1]}, &plain));
        assert!(!is_point(doc! {"a": {"$gt": 1}}, &plain));
        assert!(!is_point(doc! {"a.0": 1}, &plain));
        assert!(!is_point(doc! {"a": 1, "b": 2}, &plain));
        assert!(!is_point(doc! {"$or": [{"a": 1}]}, &plain));
        assert!(!is_point(doc! {}, &plain));
    }

    #[tokio::test]
    async fn without_an_index_the_planner_answers() {
        let b = loaded().await;
        let filter = doc! {"a": 5};
        assert!(b
            .point_read(&ns(), &filter, &FindOptions::default())
            .is_none());
    }
}

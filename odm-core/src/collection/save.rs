//! `Tracked<M>` and `save`: a loaded model that remembers the document it
//! was read from, and a save that sends only what changed (`$set` of the
//! deepest changed paths, `$unset` of removed ones).
//!
//! A save never resurrects nor clobbers: it updates the document by `_id`
//! without upserting, so a document deleted meanwhile is
//! [`Error::NotFound`] and stays deleted, and fields another writer changed
//! meanwhile keep that writer's value unless this model changed them too.
//! On a model with a `#[odm(version)]` field the save also matches the
//! version it read, so any concurrent write is [`Error::Conflict`].
//!
//! ```ignore
//! let mut alice = users.find_by_id(&id).tracked().await?.expect("exists");
//! alice.age += 1;
//! users.save(&mut alice).await?;   // {$set: {age: 37}}
//! users.save(&mut alice).await?;   // nothing changed: no command
//! ```

use std::fmt;
use std::future::IntoFuture;
use std::ops::{Deref, DerefMut};

use bson::raw::{RawBsonRef, RawDocument, RawDocumentBuf};
use bson::{doc, Bson, Document as BsonDocument};

use crate::backend::BoxFuture;
use crate::document::Document;
use crate::error::{DecodeError, Error, Result};

use super::read::FindOne;
use super::{codec, version, Collection};

/// A model loaded with [`FindOne::tracked`], and the document it was read
/// from: [`Collection::save`] sends only the difference. Reads and writes
/// the model through `Deref`/`DerefMut`.
pub struct Tracked<M> {
    model: M,
    snapshot: RawDocumentBuf,
}

impl<M: Document> Tracked<M> {
    fn new(ns: &crate::backend::Namespace, snapshot: RawDocumentBuf) -> Result<Self> {
        let model = codec::decode(ns, &snapshot)?;
        Ok(Tracked { model, snapshot })
    }

    /// The model, forgetting what it was loaded from.
    pub fn into_inner(self) -> M {
        self.model
    }

    /// The document as last read or saved.
    pub fn snapshot(&self) -> &RawDocument {
        &self.snapshot
    }

    /// The update a save would send now (`{$set: .., $unset: ..}`, without
    /// the version guard), empty when nothing changed.
    pub fn changes(&self) -> Result<BsonDocument> {
        let current = self.model.to_document().map_err(|error| Error::Encode {
            collection: M::COLLECTION.to_owned(),
            error,
        })?;
        self.changes_to(&current)
    }

    fn changes_to(&self, current: &RawDocument) -> Result<BsonDocument> {
        let mut diff = Diff::default();
        diff.documents("", &self.snapshot, current, M::VERSION)
            .map_err(|e| Error::Decode {
                collection: M::COLLECTION.to_owned(),
                id: None,
                error: DecodeError::from(e),
            })?;
        let mut update = BsonDocument::new();
        if !diff.set.is_empty() {
            update.insert("$set", diff.set);
        }
        if !diff.unset.is_empty() {
            update.insert("$unset", diff.unset);
        }
        Ok(update)
    }

    /// The version the snapshot was read at (for a versioned model).
    fn read_version(&self) -> Option<i64> {
        let key = M::VERSION?;
        match self.snapshot.get(key) {
            Ok(Some(RawBsonRef::Int32(v))) => Some(i64::from(v)),
            Ok(Some(RawBsonRef::Int64(v))) => Some(v),
            _ => self.model.version(),
        }
    }
}

impl<M> Deref for Tracked<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.model
    }
}

impl<M> DerefMut for Tracked<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.model
    }
}

impl<M: fmt::Debug> fmt::Debug for Tracked<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Tracked").field(&self.model).finish()
    }
}

/// The `$set`/`$unset` paths from one document to another.
#[derive(Default)]
struct Diff {
    set: BsonDocument,
    unset: BsonDocument,
}

impl Diff {
    /// Compare two documents at `prefix`; `skip` is a top-level key left out
    /// (the version, which the save increments itself).
    fn documents(
        &mut self,
        prefix: &str,
        old: &RawDocument,
        new: &RawDocument,
        skip: Option<&str>,
    ) -> std::result::Result<(), bson::error::Error> {
        for element in new.iter() {
            let (key, value) = element?;
            let key = key.as_str();
            if Some(key) == skip {
                continue;
            }
            let path = join(prefix, key);
            match (old.get(key)?, value) {
                (Some(RawBsonRef::Document(before)), RawBsonRef::Document(after))
                    if addressable(before)? && addressable(after)? =>
                {
                    self.documents(&path, before, after, None)?;
                }
                (Some(before), after) if same(before, after) => {}
                (_, after) => {
                    self.set.insert(path, Bson::try_from(after)?);
                }
            }
        }
        for element in old.iter() {
            let (key, _) = element?;
            let key = key.as_str();
            if Some(key) != skip && new.get(key)?.is_none() {
                self.unset.insert(join(prefix, key), "");
            }
        }
        Ok(())
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Whether every key of `doc` can be a path segment: a map key with a dot
/// or a leading `$` (allowed in stored data) cannot, so such an embedded
/// document is set as a whole.
fn addressable(doc: &RawDocument) -> std::result::Result<bool, bson::error::Error> {
    for element in doc.iter() {
        let (key, _) = element?;
        let key = key.as_str();
        if key.is_empty() || key.contains('.') || key.starts_with('$') {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Bitwise sameness: `-0.0` differs from `0.0` and `NaN` is itself, so a
/// save neither misses a change nor sends a non-change.
fn same(a: RawBsonRef<'_>, b: RawBsonRef<'_>) -> bool {
    match (a, b) {
        (RawBsonRef::Double(x), RawBsonRef::Double(y)) => x.to_bits() == y.to_bits(),
        (RawBsonRef::Document(x), RawBsonRef::Document(y)) => x.as_bytes() == y.as_bytes(),
        (RawBsonRef::Array(x), RawBsonRef::Array(y)) => x.as_bytes() == y.as_bytes(),
        _ => a.element_type() == b.element_type() && a == b,
    }
}

impl<'a, M: Document> FindOne<'a, M> {
    /// Load the model as a [`Tracked<M>`], for [`Collection::save`].
    pub fn tracked(self) -> FindTracked<'a, M> {
        FindTracked { find: self }
    }
}

/// A `find_one(..).tracked()`, awaiting to `Option<Tracked<M>>`.
#[must_use = "operations do nothing unless awaited"]
pub struct FindTracked<'a, M> {
    find: FindOne<'a, M>,
}

impl<'a, M: Document> IntoFuture for FindTracked<'a, M> {
    type Output = Result<Option<Tracked<M>>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let (_, ns, raws) = self.find.find.into_raw().await?;
            raws.into_iter()
                .next()
                .map(|raw| Tracked::new(&ns, raw))
                .transpose()
        })
    }
}

impl<M: Document> Collection<M> {
    /// Save a tracked model: validate it, then send only the paths that
    /// changed since it was loaded (or last saved), by `_id`, never
    /// upserting. Awaits to whether a write was sent (`false`: nothing
    /// changed, no command). A deleted document is [`Error::NotFound`]; on a
    /// versioned model a concurrent write is [`Error::Conflict`].
    pub fn save<'a>(&'a self, tracked: &'a mut Tracked<M>) -> Save<'a, M> {
        Save {
            coll: self,
            tracked,
        }
    }
}

/// A `save`, awaiting to whether anything was written.
#[must_use = "operations do nothing unless awaited"]
pub struct Save<'a, M> {
    coll: &'a Collection<M>,
    tracked: &'a mut Tracked<M>,
}

impl<'a, M: Document> IntoFuture for Save<'a, M> {
    type Output = Result<bool>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ns = &self.coll.ns;
            let tracked = self.tracked;
            codec::validate(ns, &tracked.model)?;
            let current = codec::encode(ns, &tracked.model)?;
            let update = tracked.changes_to(&current)?;
            if update.is_empty() {
                return Ok(false);
            }
            let id = match tracked.snapshot.get("_id") {
                Ok(Some(id)) => Bson::try_from(id).map_err(|e| Error::Decode {
                    collection: ns.coll.to_string(),
                    id: None,
                    error: DecodeError::from(e),
                })?,
                _ => Bson::Null,
            };
            let by_id = doc! { "_id": id };
            let expected = tracked.read_version();
            version::update_by_id(self.coll, by_id, expected, update, Default::default()).await?;
            if let Some(v) = expected {
                tracked.model.set_version(v.wrapping_add(1));
            }
            tracked.snapshot = codec::encode(ns, &tracked.model)?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use bson::{doc, rawdoc};

    use super::*;

    fn diff(
        old: RawDocumentBuf,
        new: RawDocumentBuf,
        skip: Option<&str>,
    ) -> (BsonDocument, BsonDocument) {
        let mut d = Diff::default();
        d.documents("", &old, &new, skip).unwrap();
        (d.set, d.unset)
    }

    #[test]
    fn only_changed_paths_are_sent_at_their_deepest_level() {
        let old = rawdoc! { "_id": 1, "a": 1, "e": { "x": 1, "y": { "z": 2 } }, "gone": true, "l": [1, 2] };
        let new = rawdoc! { "_id": 1, "a": 1, "e": { "x": 1, "y": { "z": 3 } }, "l": [1, 2, 3], "fresh": "f" };
        let (set, unset) = diff(old, new, None);
        assert_eq!(set, doc! { "e.y.z": 3, "l": [1, 2, 3], "fresh": "f" });
        assert_eq!(unset, doc! { "gone": "" });
    }

    #[test]
    fn type_and_sign_changes_count_and_nan_is_unchanged() {
        let old = rawdoc! { "i": 1, "z": 0.0, "n": f64::NAN, "s": "1" };
        let new = rawdoc! { "i": 1_i64, "z": -0.0, "n": f64::NAN, "s": "1" };
        let (set, unset) = diff(old, new, None);
        assert_eq!(set.keys().collect::<Vec<_>>(), ["i", "z"]);
        assert!(unset.is_empty());
    }

    #[test]
    fn map_keys_that_are_not_paths_set_the_whole_map() {
        let old = rawdoc! { "m": { "a.b": 1 } };
        let new = rawdoc! { "m": { "a.b": 2 } };
        assert_eq!(diff(old, new, None).0, doc! { "m": { "a.b": 2 } });
        let old = rawdoc! { "m": { "k": 1 } };
        let new = rawdoc! { "m": { "$k": 1 } };
        assert_eq!(diff(old, new, None).0, doc! { "m": { "$k": 1 } });
    }

    #[test]
    fn the_version_is_left_to_the_guard() {
        let old = rawdoc! { "_id": 1, "v": 1, "a": 1 };
        let new = rawdoc! { "_id": 1, "v": 5, "a": 1 };
        let (set, unset) = diff(old, new, Some("v"));
        assert!(set.is_empty() && unset.is_empty());
    }
}

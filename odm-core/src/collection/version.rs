//! Optimistic concurrency for models with a `#[odm(version)]` field: the
//! guard a write adds to its filter, the increment it adds to its update,
//! and what a write that matched nothing means (gone, or changed meanwhile).

use bson::{doc, Bson, Document as BsonDocument};

use crate::backend::{CountOptions, UpdateModification, UpdateOptions, UpdateResult};
use crate::document::Document;
use crate::error::{Error, Result};
use crate::value::display_bson;

use super::{codec, Collection};

/// `filter` with `{<version>: expected}` added, for a versioned model.
///
/// Version 0 also matches a document without the field: one stored before
/// the model had a version reads as 0 (through a default) and must be
/// writable once, after which it carries the field.
pub(super) fn guard<M: Document>(mut filter: BsonDocument, expected: Option<i64>) -> BsonDocument {
    if let (Some(key), Some(expected)) = (M::VERSION, expected) {
        let condition = if expected == 0 {
            Bson::Document(doc! { "$in": [0_i64, Bson::Null] })
        } else {
            Bson::Int64(expected)
        };
        filter.insert(key, condition);
    }
    filter
}

/// Add `$inc: {<version>: 1}` to an operator update of a versioned model,
/// unless the update already writes the version itself.
pub(super) fn bump<M: Document>(update: &mut BsonDocument) {
    let Some(key) = M::VERSION else { return };
    if !update.keys().all(|k| k.starts_with('$')) || touches(update, key) {
        return;
    }
    match update.get_mut("$inc") {
        Some(Bson::Document(inc)) => {
            inc.insert(key, 1_i32);
        }
        _ => {
            update.insert("$inc", doc! { key: 1_i32 });
        }
    }
}

/// Whether any operator of `update` writes `key` (or a path inside it).
fn touches(update: &BsonDocument, key: &str) -> bool {
    let hits = |path: &str| {
        path == key
            || path
                .strip_prefix(key)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    update.iter().any(|(op, fields)| match fields {
        Bson::Document(fields) => fields.iter().any(|(path, value)| {
            hits(path) || (op == "$rename" && value.as_str().is_some_and(hits))
        }),
        _ => false,
    })
}

/// The error of a guarded write to `_id` that matched nothing: the document
/// is gone ([`Error::NotFound`]), or it is at another version
/// ([`Error::Conflict`]). Costs one count, on this failure path only.
pub(super) async fn no_match<M: Document>(
    coll: &Collection<M>,
    id_filter: BsonDocument,
    expected: Option<i64>,
) -> Error {
    let ns = &coll.ns;
    let id = id_filter
        .get("_id")
        .map(display_bson)
        .unwrap_or_else(|| "?".into());
    let not_found = |what: String| Error::NotFound {
        collection: ns.coll.to_string(),
        what,
    };
    let Some(expected) = expected.filter(|_| M::VERSION.is_some()) else {
        return not_found(id_filter.to_string());
    };
    let exists = coll
        .db
        .backend()
        .count(ns.clone(), id_filter.clone(), CountOptions::default())
        .await;
    match exists {
        Ok(0) => not_found(id_filter.to_string()),
        Ok(_) => Error::Conflict {
            collection: ns.coll.to_string(),
            id,
            expected_version: expected,
        },
        Err(e) => e,
    }
}

/// Update the document `by_id` at version `expected`, advancing its version:
/// the guarded update of `update_model` and `save`. A match of nothing is
/// [`no_match`]'s error.
pub(super) async fn update_by_id<M: Document>(
    coll: &Collection<M>,
    by_id: BsonDocument,
    expected: Option<i64>,
    mut update: BsonDocument,
    options: UpdateOptions,
) -> Result<UpdateResult> {
    let ns = &coll.ns;
    let filter = guard::<M>(by_id.clone(), expected);
    bump::<M>(&mut update);
    let result = coll
        .db
        .backend()
        .update(
            ns.clone(),
            filter,
            UpdateModification::Document(update),
            options,
        )
        .await
        .map_err(|e| codec::single_write_error(ns, e))?;
    if result.matched_count == 0 {
        return Err(no_match(coll, by_id, expected).await);
    }
    Ok(result)
}

/// `encode(model)` as the model will be stored by a guarded write: at the
/// next version. The model keeps its version until the write succeeds.
pub(super) fn at_next_version<M: Document, T>(
    model: &mut M,
    encode: impl FnOnce(&M) -> Result<T>,
) -> Result<T> {
    let Some(expected) = model.version() else {
        return encode(model);
    };
    model.set_version(expected.wrapping_add(1));
    let out = encode(model);
    model.set_version(expected);
    out
}

/// After a guarded write succeeded: the model is at the stored version.
pub(super) fn advance<M: Document>(model: &mut M) {
    if let Some(v) = model.version() {
        model.set_version(v.wrapping_add(1));
    }
}

#[cfg(test)]
mod tests {
    use bson::oid::ObjectId;
    use bson::raw::{RawDocument, RawDocumentBuf};

    use super::*;
    use crate::error::{DecodeError, EncodeError};

    /// A hand-written versioned model (the derive is not available here).
    struct Versioned {
        id: ObjectId,
        v: i64,
    }

    impl Document for Versioned {
        const COLLECTION: &'static str = "versioned";
        type Id = ObjectId;
        type Fields = ();
        fn fields() -> &'static () {
            &()
        }
        fn id(&self) -> Option<&ObjectId> {
            Some(&self.id)
        }
        fn set_id(&mut self, id: ObjectId) {
            self.id = id;
        }
        fn to_document(&self) -> std::result::Result<RawDocumentBuf, EncodeError> {
            Err(EncodeError::new("unused"))
        }
        fn from_document(_: &RawDocument) -> std::result::Result<Self, DecodeError> {
            Err(DecodeError::invalid("unused"))
        }
        const VERSION: Option<&'static str> = Some("v");
        fn version(&self) -> Option<i64> {
            Some(self.v)
        }
        fn set_version(&mut self, version: i64) {
            self.v = version;
        }
    }

    struct Plain;

    impl Document for Plain {
        const COLLECTION: &'static str = "plain";
        type Id = i64;
        type Fields = ();
        fn fields() -> &'static () {
            &()
        }
        fn id(&self) -> Option<&i64> {
            None
        }
        fn set_id(&mut self, _: i64) {}
        fn to_document(&self) -> std::result::Result<RawDocumentBuf, EncodeError> {
            Err(EncodeError::new("unused"))
        }
        fn from_document(_: &RawDocument) -> std::result::Result<Self, DecodeError> {
            Err(DecodeError::invalid("unused"))
        }
    }

    fn bumped<M: Document>(mut update: BsonDocument) -> BsonDocument {
        bump::<M>(&mut update);
        update
    }

    #[test]
    fn updates_gain_an_increment_unless_they_write_the_version() {
        assert_eq!(
            bumped::<Versioned>(doc! { "$set": { "a": 1 } }),
            doc! { "$set": { "a": 1 }, "$inc": { "v": 1 } }
        );
        assert_eq!(
            bumped::<Versioned>(doc! { "$inc": { "n": 2 } }),
            doc! { "$inc": { "n": 2, "v": 1 } }
        );
        for own in [
            doc! { "$set": { "v": 9 } },
            doc! { "$unset": { "v.x": "" } },
            doc! { "$rename": { "old": "v" } },
        ] {
            assert_eq!(bumped::<Versioned>(own.clone()), own);
        }
        // `vx` is another field; a replacement document is not an operator update.
        assert_eq!(
            bumped::<Versioned>(doc! { "$set": { "vx": 1 } }),
            doc! { "$set": { "vx": 1 }, "$inc": { "v": 1 } }
        );
        assert_eq!(bumped::<Versioned>(doc! { "a": 1 }), doc! { "a": 1 });
        assert_eq!(
            bumped::<Plain>(doc! { "$set": { "a": 1 } }),
            doc! { "$set": { "a": 1 } }
        );
    }

    #[test]
    fn the_guard_matches_the_read_version_and_zero_matches_a_missing_field() {
        assert_eq!(
            guard::<Versioned>(doc! { "_id": 1 }, Some(3)),
            doc! { "_id": 1, "v": 3_i64 }
        );
        assert_eq!(
            guard::<Versioned>(doc! { "_id": 1 }, Some(0)),
            doc! { "_id": 1, "v": { "$in": [0_i64, null] } }
        );
        assert_eq!(
            guard::<Plain>(doc! { "_id": 1 }, Some(3)),
            doc! { "_id": 1 }
        );
    }

    #[test]
    fn the_model_moves_to_the_next_version_only_after_the_write() {
        let mut m = Versioned {
            id: ObjectId::new(),
            v: 4,
        };
        let seen = at_next_version(&mut m, |m| Ok(m.v)).unwrap();
        assert_eq!((seen, m.v), (5, 4));
        let failed: Result<()> =
            at_next_version(&mut m, |_| Err(Error::unsupported("memory", "test")));
        assert!(failed.is_err());
        assert_eq!(m.v, 4);
        advance(&mut m);
        assert_eq!(m.v, 5);
    }
}

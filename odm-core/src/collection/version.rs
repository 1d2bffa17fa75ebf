//! Optimistic concurrency for models with a `#[odm(version)]` field: the
//! guard a write adds to its filter, the increment it adds to its update,
//! and what a write that matched nothing means (gone, or changed meanwhile).

use bson::{doc, Bson, Document as BsonDocument};

use crate::backend::CountOptions;
use crate::document::Document;
use crate::error::{Error, Result};
use crate::value::display_bson;

use super::Collection;

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

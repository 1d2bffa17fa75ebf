//! Writes on one collection: insert, update (operators or pipeline), replace
//! and delete, each statement atomic under the collection's write lock.
//!
//! Every failure of a statement is a [`WriteError`] (index 0; bulk callers
//! set the index), so single writes, `insertMany` and `bulkWrite` report the
//! same errors the same way.

use bson::raw::{cstr, RawBsonRef, RawDocument, RawDocumentBuf};
use bson::{oid::ObjectId, Bson, Document};

use super::catalog::CollState;
use super::indexes::duplicate_key_error;
use super::indexes::Hint;
use super::plan::sort_fields;
use super::read::{Hit, Order, Selector};
use super::sort::SortSpec;
use super::update::{upsert_seed, ApplyContext, UpdatePlan};
use super::validate::from_command;
use crate::backend::{Namespace, UpdateModification, UpdateResult, WriteError};
use crate::error::CommandError;

/// MongoDB's maximum document size.
pub(crate) const MAX_DOCUMENT_SIZE: usize = 16 * 1024 * 1024;
/// MongoDB's maximum nesting depth of a stored document.
const MAX_DEPTH: usize = 100;

fn write_error(code: i32, name: &str, message: impl Into<String>) -> WriteError {
    WriteError::new(0, code, name, message, Document::new())
}

/// A malformed document (only reachable with hand-built raw bytes).
fn malformed(e: impl std::fmt::Display) -> WriteError {
    write_error(22, "InvalidBSON", e.to_string())
}

/// Put `_id` first, assigning an `ObjectId` when missing, and check the
/// limits every stored document obeys.
pub(crate) fn prepare_insert(doc: RawDocumentBuf) -> Result<(RawDocumentBuf, Bson), WriteError> {
    let first_is_id = matches!(doc.iter().next(), Some(Ok((k, _))) if k.as_str() == "_id");
    let doc = if first_is_id {
        doc
    } else {
        let existing = doc.get("_id").map_err(malformed)?;
        let generated;
        let id = match existing {
            Some(id) => id,
            None => {
                generated = ObjectId::new();
                RawBsonRef::ObjectId(generated)
            }
        };
        let mut out = RawDocumentBuf::new();
        out.append(cstr!("_id"), id);
        for item in doc.iter() {
            let (k, v) = item.map_err(malformed)?;
            if k.as_str() != "_id" {
                out.append(k, v);
            }
        }
        out
    };
    let id = doc
        .get("_id")
        .map_err(malformed)?
        .unwrap_or(RawBsonRef::Null);
    check_id(id)?;
    check_limits(&doc)?;
    let id = Bson::try_from(id).map_err(malformed)?;
    Ok((doc, id))
}

/// `_id` may not be an array, a regex or undefined, nor hold `$`-prefixed fields.
fn check_id(id: RawBsonRef<'_>) -> Result<(), WriteError> {
    match id {
        RawBsonRef::Array(_) => Err(write_error(
            53,
            "InvalidIdField",
            "can't use an array for _id",
        )),
        RawBsonRef::RegularExpression(_) => Err(write_error(
            53,
            "InvalidIdField",
            "can't use a regex for _id",
        )),
        RawBsonRef::Undefined => Err(write_error(
            53,
            "InvalidIdField",
            "can't use a undefined for _id",
        )),
        RawBsonRef::Document(d) => {
            for item in d.iter() {
                let (k, _) = item.map_err(malformed)?;
                if k.as_str().starts_with('$') {
                    return Err(write_error(
                        52,
                        "DollarPrefixedFieldName",
                        format!(
                            "_id fields may not contain '$'-prefixed fields: {} is not valid for storage.",
                            k.as_str()
                        ),
                    ));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn array_depth(a: &bson::raw::RawArray, level: usize) -> usize {
    if level > MAX_DEPTH {
        return level;
    }
    let mut deepest = level;
    for v in a.into_iter().flatten() {
        let d = match v {
            RawBsonRef::Document(d) => depth(d, level + 1),
            RawBsonRef::Array(a) => array_depth(a, level + 1),
            _ => level,
        };
        deepest = deepest.max(d);
    }
    deepest
}

/// Size and nesting limits.
pub(crate) fn check_limits(doc: &RawDocument) -> Result<(), WriteError> {
    let size = doc.as_bytes().len();
    if size > MAX_DOCUMENT_SIZE {
        return Err(write_error(
            10334,
            "BSONObjectTooLarge",
            format!(
                "object to insert too large. size in bytes: {size}, max size: {MAX_DOCUMENT_SIZE}"
            ),
        ));
    }
    // Each level of nesting costs at least 7 bytes (type, empty key, an empty
    // document's 5), so a document this small cannot be too deep: skip the walk.
    if size >= 5 + 7 * MAX_DEPTH && depth(doc, 1) > MAX_DEPTH {
        return Err(write_error(
            15,
            "Overflow",
            format!("cannot insert document because it exceeds {MAX_DEPTH} levels of nesting"),
        ));
    }
    Ok(())
}

fn depth(doc: &RawDocument, level: usize) -> usize {
    if level > MAX_DEPTH {
        return level;
    }
    let mut deepest = level;
    for (_, v) in doc.iter().flatten() {
        let d = match v {
            RawBsonRef::Document(d) => depth(d, level + 1),
            RawBsonRef::Array(a) => array_depth(a, level + 1),
            _ => level,
        };
        deepest = deepest.max(d);
    }
    deepest
}

impl CollState {
    /// Validator and unique indexes for a document about to be stored,
    /// replacing `before` (`None` for an insert).
    fn admit(
        &self,
        ns: &Namespace,
        doc: &RawDocument,
        before: Option<&RawDocument>,
        bypass: bool,
    ) -> Result<(), WriteError> {
        if !bypass {
            if let Some(v) = &self.validator {
                v.check(doc, before)?;
            }
        }
        self.indexes.check_unique(ns, doc, &self.store)
    }

    /// Insert one document; returns its `_id`.
    pub(crate) fn insert_one(
        &mut self,
        ns: &Namespace,
        doc: RawDocumentBuf,
        bypass: bool,
    ) -> Result<Bson, WriteError> {
        let (doc, id) = prepare_insert(doc)?;
        self.store_new(ns, doc, &id, bypass)?;
        Ok(id)
    }

    /// Store a prepared document (its `_id` first and valid, `id` that `_id`
    /// as `prepare_insert` read it).
    fn store_new(
        &mut self,
        ns: &Namespace,
        doc: RawDocumentBuf,
        id: &Bson,
        bypass: bool,
    ) -> Result<(), WriteError> {
        self.admit(ns, &doc, None, bypass)?;
        match self.store.insert(doc) {
            Ok(slot) => {
                if let Some(stored) = self.store.get(slot) {
                    self.indexes.add(slot, stored);
                }
                Ok(())
            }
            Err(_) => Err(duplicate_key_error(
                ns,
                "_id_",
                &bson::doc! {"_id": 1},
                &bson::doc! {"_id": id.clone()},
            )),
        }
    }

    /// The slots an update, replace or delete touches: the first match (by
    /// `sort` when given) or every match.
    pub(crate) fn targets(
        &self,
        selector: &Selector,
        sort: Option<&Document>,
        multi: bool,
    ) -> Result<Vec<(usize, Option<usize>)>, CommandError> {
        let sort = match sort {
            Some(s) if !multi && !s.is_empty() => Some((
                sort_fields(s).unwrap_or_default(),
                SortSpec::compile_with_collation(s, selector.collation())?,
            )),
            _ => None,
        };
        let order = sort.as_ref().map(|(fields, spec)| Order { fields, spec });
        let limit = if multi { 0 } else { 1 };
        let hits = selector.select(self, order, Hint::Auto, 0, limit)?;
        Ok(hits
            .iter()
            .map(|h: &Hit<'_>| (h.slot, h.positional))
            .collect())
    }

    /// Apply a compiled update to the document in `slot`; `Ok(true)` if it changed.
    pub(crate) fn update_slot(
        &mut self,
        ns: &Namespace,
        slot: usize,
        plan: &UpdatePlan,
        positional: Option<usize>,
        bypass: bool,
    ) -> Result<bool, WriteError> {
        let Some(old) = self.store.get(slot).cloned() else {
            return Ok(false);
        };
        let ctx = ApplyContext {
            positional,
            is_insert: false,
            now: Some(bson::DateTime::now()),
        };
        let new = match plan.top_level_fields() {
            Some(fields) => {
                let mut part = decode_fields(old.as_ref(), fields)?;
                if !plan.apply(&mut part, &ctx).map_err(from_command)? {
                    return Ok(false);
                }
                splice_fields(old.as_ref(), part, fields)?
            }
            None => {
                let mut doc = Document::try_from(old.as_ref()).map_err(malformed)?;
                if !plan.apply(&mut doc, &ctx).map_err(from_command)? {
                    return Ok(false);
                }
                finish_updated(old.as_ref(), doc)?
            }
        };
        if new.as_bytes() == old.as_bytes() {
            return Ok(false);
        }
        self.put(ns, slot, old.as_ref(), new, bypass, plan.top_level_fields())?;
        Ok(true)
    }

    /// Replace the document in `slot` by `replacement` (its `_id` kept).
    pub(crate) fn replace_slot(
        &mut self,
        ns: &Namespace,
        slot: usize,
        replacement: &RawDocument,
        bypass: bool,
    ) -> Result<bool, WriteError> {
        let Some(old) = self.store.get(slot).cloned() else {
            return Ok(false);
        };
        let old_id = old
            .get("_id")
            .map_err(malformed)?
            .unwrap_or(RawBsonRef::Null);
        let mut new = RawDocumentBuf::new();
        new.append(cstr!("_id"), old_id);
        for item in replacement.iter() {
            let (k, v) = item.map_err(malformed)?;
            if k.as_str() == "_id" {
                if !super::compare::equal(v, old_id) || v.element_type() != old_id.element_type() {
                    return Err(immutable_id(old_id));
                }
                continue;
            }
            new.append(k, v);
        }
        check_limits(&new)?;
        if new.as_bytes() == old.as_bytes() {
            return Ok(false);
        }
        self.put(ns, slot, old.as_ref(), new, bypass, None)?;
        Ok(true)
    }

    /// `changed`: when known, the only top-level fields that differ between
    /// `old` and `new`, so indexes on other fields are left alone.
    fn put(
        &mut self,
        ns: &Namespace,
        slot: usize,
        old: &RawDocument,
        new: RawDocumentBuf,
        bypass: bool,
        changed: Option<&[String]>,
    ) -> Result<(), WriteError> {
        self.admit(ns, &new, Some(old), bypass)?;
        self.store
            .replace(slot, new)
            .map_err(|_| write_error(66, "ImmutableField", "_id changed"))?;
        if let Some(stored) = self.store.get(slot) {
            self.indexes.replace(slot, old, stored, changed);
        }
        Ok(())
    }

    /// `update` (one or many), with upsert. `plan` is compiled by the caller.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn update(
        &mut self,
        ns: &Namespace,
        selector: &Selector,
        filter: &Document,
        plan: &UpdatePlan,
        multi: bool,
        upsert: bool,
        sort: Option<&Document>,
        bypass: bool,
    ) -> Result<UpdateResult, WriteError> {
        let targets = self.targets(selector, sort, multi).map_err(from_command)?;
        let mut result = UpdateResult::default();
        if targets.is_empty() {
            if upsert {
                result.upserted_id = Some(self.upsert_update(ns, filter, plan, bypass)?);
            }
            return Ok(result);
        }
        for (slot, positional) in targets {
            result.matched_count += 1;
            if self.update_slot(ns, slot, plan, positional, bypass)? {
                result.modified_count += 1;
            }
        }
        Ok(result)
    }

    /// Insert the document an update upsert builds from the filter's equalities.
    pub(crate) fn upsert_update(
        &mut self,
        ns: &Namespace,
        filter: &Document,
        plan: &UpdatePlan,
        bypass: bool,
    ) -> Result<Bson, WriteError> {
        let mut seed = upsert_seed(filter).map_err(from_command)?;
        let ctx = ApplyContext {
            positional: None,
            is_insert: true,
            now: Some(bson::DateTime::now()),
        };
        // The filter's `_id` is fixed: the update may not change it.
        let seed_id = seed.get("_id").cloned();
        plan.apply(&mut seed, &ctx).map_err(from_command)?;
        if let (Some(before), Some(after)) = (&seed_id, seed.get("_id")) {
            if super::compare::compare_bson(before, after) != std::cmp::Ordering::Equal {
                let raw = bson::RawBson::try_from(before.clone()).map_err(malformed)?;
                return Err(immutable_id(raw.as_raw_bson_ref()));
            }
        }
        let raw = RawDocumentBuf::try_from(&seed).map_err(malformed)?;
        let (doc, id) = prepare_insert(raw)?;
        self.store_new(ns, doc, &id, bypass)?;
        Ok(id)
    }

    /// `replaceOne`, with upsert.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn replace(
        &mut self,
        ns: &Namespace,
        selector: &Selector,
        filter: &Document,
        replacement: &RawDocument,
        upsert: bool,
        sort: Option<&Document>,
        bypass: bool,
    ) -> Result<UpdateResult, WriteError> {
        check_replacement(replacement)?;
        let targets = self.targets(selector, sort, false).map_err(from_command)?;
        let mut result = UpdateResult::default();
        match targets.first() {
            Some(&(slot, _)) => {
                result.matched_count = 1;
                if self.replace_slot(ns, slot, replacement, bypass)? {
                    result.modified_count = 1;
                }
            }
            None if upsert => {
                result.upserted_id = Some(self.upsert_replace(ns, filter, replacement, bypass)?);
            }
            None => {}
        }
        Ok(result)
    }

    /// Insert a replacement upsert; without its own `_id` it takes the filter's.
    pub(crate) fn upsert_replace(
        &mut self,
        ns: &Namespace,
        filter: &Document,
        replacement: &RawDocument,
        bypass: bool,
    ) -> Result<Bson, WriteError> {
        let mut doc = replacement.to_owned();
        if replacement.get("_id").map_err(malformed)?.is_none() {
            if let Ok(seed) = upsert_seed(filter) {
                if let Some(id) = seed.get("_id") {
                    let id = bson::RawBson::try_from(id.clone()).map_err(malformed)?;
                    let mut with_id = RawDocumentBuf::new();
                    with_id.append(cstr!("_id"), id);
                    for item in replacement.iter() {
                        let (k, v) = item.map_err(malformed)?;
                        with_id.append(k, v);
                    }
                    doc = with_id;
                }
            }
        }
        let (doc, id) = prepare_insert(doc)?;
        self.store_new(ns, doc, &id, bypass)?;
        Ok(id)
    }

    /// Delete the first (or every) match; returns how many.
    pub(crate) fn delete(&mut self, selector: &Selector, multi: bool) -> Result<u64, CommandError> {
        let targets = self.targets(selector, None, multi)?;
        let mut n = 0;
        for (slot, _) in targets {
            if let Some(old) = self.store.remove(slot) {
                self.indexes.remove(slot, &old);
                n += 1;
            }
        }
        self.compact();
        Ok(n)
    }
}

/// `66 ImmutableField` for an update or replacement that changes `_id`.
pub(crate) fn immutable_id(old: RawBsonRef<'_>) -> WriteError {
    let shown = Bson::try_from(old)
        .map(|b| b.to_string())
        .unwrap_or_default();
    write_error(
        66,
        "ImmutableField",
        format!(
            "Performing an update on the path '_id' would modify the immutable field '_id' (was {shown})"
        ),
    )
}

/// Re-encode an updated document: `_id` unchanged and first, limits obeyed.
/// `_id` and the top-level `fields` of `doc`, decoded, in stored order.
fn decode_fields(doc: &RawDocument, fields: &[String]) -> Result<Document, WriteError> {
    let mut part = Document::new();
    for item in doc.iter() {
        let (k, v) = item.map_err(malformed)?;
        if k.as_str() == "_id" || fields.iter().any(|f| f == k.as_str()) {
            part.insert(
                k.as_str(),
                Bson::try_from(bson::RawBson::from(v)).map_err(malformed)?,
            );
        }
    }
    Ok(part)
}

/// `old` with its top-level `fields` taken from `part` (an update of
/// [`decode_fields`]): changed ones in place, unset ones dropped, new ones
/// appended in `part`'s order, as updating the whole document would; every
/// other field is copied as stored bytes.
fn splice_fields(
    old: &RawDocument,
    mut part: Document,
    fields: &[String],
) -> Result<RawDocumentBuf, WriteError> {
    let mut out = RawDocumentBuf::new();
    for item in old.iter() {
        let (k, v) = item.map_err(malformed)?;
        if k.as_str() == "_id" || !fields.iter().any(|f| f == k.as_str()) {
            out.append(k, v);
        } else if let Some(value) = part.remove(k.as_str()) {
            out.append(k, bson::RawBson::try_from(value).map_err(malformed)?);
        }
    }
    // What is left besides `_id` was not in `old`: the new fields.
    for (k, v) in part {
        if k == "_id" {
            continue;
        }
        let key = bson::raw::CString::try_from(k).map_err(malformed)?;
        out.append(key, bson::RawBson::try_from(v).map_err(malformed)?);
    }
    check_limits(&out)?;
    Ok(out)
}

fn finish_updated(old: &RawDocument, doc: Document) -> Result<RawDocumentBuf, WriteError> {
    let old_id = old
        .get("_id")
        .map_err(malformed)?
        .unwrap_or(RawBsonRef::Null);
    let new_id = doc.get("_id").cloned();
    let same = match &new_id {
        Some(id) => {
            let raw = bson::RawBson::try_from(id.clone()).map_err(malformed)?;
            raw.as_raw_bson_ref().element_type() == old_id.element_type()
                && super::compare::equal(raw.as_raw_bson_ref(), old_id)
        }
        None => false,
    };
    if !same {
        return Err(immutable_id(old_id));
    }
    let mut out = RawDocumentBuf::new();
    out.append(cstr!("_id"), old_id);
    for (k, v) in doc {
        if k == "_id" {
            continue;
        }
        let key = bson::raw::CString::try_from(k).map_err(malformed)?;
        let value = bson::RawBson::try_from(v).map_err(malformed)?;
        out.append(key, value);
    }
    check_limits(&out)?;
    Ok(out)
}

/// A replacement may not hold update operators (top-level `$` keys).
pub(crate) fn check_replacement(replacement: &RawDocument) -> Result<(), WriteError> {
    for item in replacement.iter() {
        let (k, _) = item.map_err(malformed)?;
        if k.as_str().starts_with('$') {
            return Err(write_error(
                2,
                "BadValue",
                format!("The dollar ($) prefixed field '{}' in '{}' is not allowed in a replacement document", k.as_str(), k.as_str()),
            ));
        }
    }
    Ok(())
}

/// Compile an update, refusing a document without operators (a replacement
/// given to an update API, which drivers refuse before sending).
pub(crate) fn compile_update(
    update: &UpdateModification,
    array_filters: Option<&[Document]>,
    let_vars: Option<&Document>,
) -> Result<UpdatePlan, CommandError> {
    match update {
        UpdateModification::Document(d) => match d.keys().next() {
            None => {
                return Err(CommandError::failed_to_parse(
                    "update document requires atomic operators (it is empty)",
                ))
            }
            Some(k) if !k.starts_with('$') => {
                return Err(CommandError::failed_to_parse(
                    "update document requires atomic operators",
                ))
            }
            _ => {}
        },
        UpdateModification::Pipeline(_) => {}
    }
    UpdatePlan::compile(update, array_filters, let_vars)
}

#[cfg(test)]
mod tests {
    use bson::{doc, rawdoc};

    use super::*;

    /// The top-level fast path of `update_slot` gives the bytes (or the
    /// error) that updating the whole decoded document gives.
    #[test]
    fn top_level_updates_splice_like_whole_document_updates() {
        let docs = [
            rawdoc! {"_id": 1, "a": 1, "b": "x", "c": {"d": [1, 2]}, "e": 2.5},
            rawdoc! {"_id": "k", "b": null, "z": [1, {"y": 2}]},
            rawdoc! {"_id": 3, "a": i64::MAX, "n": i32::MAX},
        ];
        let updates = [
            doc! {"$inc": {"a": 1}},
            doc! {"$inc": {"n": 1, "new": 5}},
            doc! {"$set": {"b": "y", "q": {"r": 1}}, "$unset": {"e": ""}},
            doc! {"$mul": {"e": 2, "a": 0}},
            doc! {"$min": {"a": 0}, "$max": {"b": "zz"}},
            doc! {"$unset": {"missing": "", "c": ""}},
            doc! {"$set": {"a": 1}},
            doc! {"$inc": {"b": 1}},
            doc! {"$currentDate": {"at": true}, "$set": {"zz": 1, "aa": 2}},
        ];
        let ctx = ApplyContext {
            positional: None,
            is_insert: false,
            now: Some(bson::DateTime::from_millis(1_700_000_000_000)),
        };
        for update in &updates {
            let plan =
                UpdatePlan::compile(&UpdateModification::Document(update.clone()), None, None)
                    .unwrap();
            let fields = plan.top_level_fields().expect("a top-level update");
            for old in &docs {
                let mut whole = Document::try_from(old.as_ref()).unwrap();
                let slow = plan
                    .apply(&mut whole, &ctx)
                    .map(|changed| changed.then(|| finish_updated(old, whole).unwrap()));
                let mut part = decode_fields(old, fields).unwrap();
                let fast = plan
                    .apply(&mut part, &ctx)
                    .map(|changed| changed.then(|| splice_fields(old, part, fields).unwrap()));
                match (slow, fast) {
                    (Ok(s), Ok(f)) => assert_eq!(s, f, "{update} on {old:?}"),
                    (Err(s), Err(f)) => assert_eq!(s.code, f.code, "{update} on {old:?}"),
                    (s, f) => panic!("{update} on {old:?}: {s:?} vs {f:?}"),
                }
            }
        }
        let nested = UpdateModification::Document(doc! {"$set": {"c.d": 1}});
        assert!(UpdatePlan::compile(&nested, None, None)
            .unwrap()
            .top_level_fields()
            .is_none());
    }
}

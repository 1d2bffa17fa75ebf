//! The output stages of `aggregate`, as [`aggregate::split_output`] parses
//! them: `$out` (replace a collection's contents, all or nothing) and
//! `$merge` (merge results into a collection by `on` fields).

use bson::raw::{RawBsonRef, RawDocumentBuf};
use bson::{doc, Bson, Document};

use super::aggregate::{OutputStage, WhenMatched, WhenNotMatched};
use super::catalog::CollState;
use super::path::values_at;
use super::store::{Store, ValueKey};
use super::update::UpdatePlan;
use super::MemoryBackend;
use crate::backend::{AggregateOptions, Namespace, UpdateModification, WriteError};
use crate::error::{CommandError, Error, Result};

fn bad(code: i32, name: &str, message: impl Into<String>) -> CommandError {
    CommandError::new(code, name, message)
}

fn internal(e: impl std::fmt::Display) -> CommandError {
    bad(1, "InternalError", e.to_string())
}

/// A write error of an output stage, as the error of the aggregate
/// (duplicate keys keep their key through `Error::DuplicateKey`).
fn stage_error(e: WriteError, ns: &Namespace) -> Error {
    e.into_error(ns)
}

impl MemoryBackend {
    /// Write `results` to the `$out` or `$merge` target.
    pub(crate) fn write_output(
        &self,
        ns: &Namespace,
        stage: OutputStage,
        results: Vec<Document>,
        options: &AggregateOptions,
    ) -> Result<()> {
        let bypass = options.bypass_document_validation;
        match stage {
            OutputStage::Out { db, coll } => {
                let to = Namespace::new(db.unwrap_or_else(|| ns.db.to_string()), coll);
                self.out(&to, results, bypass)
            }
            OutputStage::Merge {
                db,
                coll,
                on,
                when_matched,
                when_not_matched,
                let_vars,
            } => {
                let to = Namespace::new(db.unwrap_or_else(|| ns.db.to_string()), coll);
                let merge = Merge {
                    on,
                    when_matched,
                    when_not_matched,
                    let_vars,
                    bypass,
                };
                self.merge(&to, &merge, results)
            }
        }
    }

    /// `$out`: the target's documents become `results`, all or nothing.
    fn out(&self, to: &Namespace, results: Vec<Document>, bypass: bool) -> Result<()> {
        let coll = self.catalog.collection_or_create(to)?;
        let mut state = coll.write();
        let mut fresh = CollState {
            store: Store::new(),
            options: state.options.clone(),
            validator: state.validator.clone(),
            indexes: state.indexes.emptied(),
        };
        for d in results {
            let raw =
                RawDocumentBuf::try_from(&d).map_err(|e| bad(1, "InternalError", e.to_string()))?;
            fresh
                .insert_one(to, raw, bypass)
                .map_err(|e| stage_error(e, to))?;
        }
        state.store = fresh.store;
        state.indexes = fresh.indexes;
        Ok(())
    }

    /// `$merge`: each result inserted, merged, replaced, kept or refused.
    fn merge(&self, to: &Namespace, spec: &Merge, results: Vec<Document>) -> Result<()> {
        let coll = self.catalog.collection_or_create(to)?;
        let mut state = coll.write();
        let bypass = spec.bypass;
        for mut d in results {
            if spec.on.iter().any(|f| f == "_id") && !d.contains_key("_id") {
                let mut with_id = doc! {"_id": bson::oid::ObjectId::new()};
                with_id.extend(d);
                d = with_id;
            }
            let raw = RawDocumentBuf::try_from(&d).map_err(internal)?;
            let found = if spec.on == ["_id"] {
                // The default `on`: one lookup in the `_id` index.
                raw.get("_id")
                    .ok()
                    .flatten()
                    .and_then(|id| state.store.slot_of_id(id))
                    .and_then(|slot| state.store.get(slot).map(|d| (slot, d.as_ref().to_owned())))
            } else {
                let key = on_key(&raw, &spec.on)?;
                state
                    .store
                    .iter()
                    .find(|(_, existing)| on_key(existing, &spec.on).ok().as_ref() == Some(&key))
                    .map(|(slot, existing)| (slot, existing.to_owned()))
            };
            let Some((slot, existing)) = found else {
                match spec.when_not_matched {
                    WhenNotMatched::Insert => {
                        state
                            .insert_one(to, raw, bypass)
                            .map_err(|e| stage_error(e, to))?;
                    }
                    WhenNotMatched::Discard => {}
                    WhenNotMatched::Fail => {
                        return Err(bad(
                            13113,
                            "MergeStageNoMatchingDocument",
                            "$merge could not find a matching document in the target collection \
                             for at least one document in the source collection",
                        )
                        .into())
                    }
                }
                continue;
            };
            match &spec.when_matched {
                WhenMatched::Replace => {
                    state
                        .replace_slot(to, slot, &raw, bypass)
                        .map_err(|e| stage_error(e, to))?;
                }
                WhenMatched::KeepExisting => {}
                WhenMatched::Merge => {
                    let mut merged = Document::try_from(&existing).map_err(internal)?;
                    for (k, v) in d {
                        merged.insert(k, v);
                    }
                    let merged = RawDocumentBuf::try_from(&merged).map_err(internal)?;
                    state
                        .replace_slot(to, slot, &merged, bypass)
                        .map_err(|e| stage_error(e, to))?;
                }
                WhenMatched::Fail => {
                    // MongoDB reports the collision as a duplicate key on `_id_`.
                    let id = existing
                        .get("_id")
                        .ok()
                        .flatten()
                        .and_then(|v| Bson::try_from(v).ok())
                        .unwrap_or(Bson::Null);
                    let e = super::indexes::duplicate_key_error(
                        to,
                        "_id_",
                        &doc! {"_id": 1},
                        &doc! {"_id": id},
                    );
                    return Err(stage_error(e, to));
                }
                WhenMatched::Pipeline(pipeline) => {
                    // `$$new` is the incoming document unless `let` says otherwise.
                    let mut vars = doc! {"new": {"$literal": Bson::Document(d.clone())}};
                    if let Some(l) = &spec.let_vars {
                        vars.extend(l.clone());
                    }
                    let plan = UpdatePlan::compile(
                        &UpdateModification::Pipeline(pipeline.clone()),
                        None,
                        Some(&vars),
                    )?;
                    state
                        .update_slot(to, slot, &plan, None, bypass)
                        .map_err(|e| stage_error(e, to))?;
                }
            }
        }
        Ok(())
    }
}

/// A parsed `$merge` and the aggregate's validation bypass.
struct Merge {
    on: Vec<String>,
    when_matched: WhenMatched,
    when_not_matched: WhenNotMatched,
    let_vars: Option<Document>,
    bypass: bool,
}

/// The values of the `on` fields of a document (each must be present and single).
fn on_key(doc: &bson::raw::RawDocument, on: &[String]) -> Result<ValueKey, CommandError> {
    let mut values: Vec<RawBsonRef<'_>> = Vec::with_capacity(on.len());
    for field in on {
        let found = values_at(doc, field);
        match found.as_slice() {
            [v] => values.push(*v),
            [] => values.push(RawBsonRef::Null),
            _ => {
                return Err(bad(
                    51185,
                    "Location51185",
                    format!("$merge write error: 'on' field '{field}' is an array"),
                ))
            }
        }
    }
    Ok(ValueKey::of_all(values))
}

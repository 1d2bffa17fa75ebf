//! The output stages of `aggregate`: `$out` (replace a collection's
//! contents) and `$merge` (merge results into a collection by `on` fields).

use bson::raw::{RawBsonRef, RawDocumentBuf};
use bson::{doc, Bson, Document};

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

/// `"coll"` or `{db, coll}`.
fn target(spec: &Bson, ns: &Namespace, stage: &str) -> Result<Namespace, CommandError> {
    match spec {
        Bson::String(coll) => Ok(Namespace::new(ns.db.clone(), coll.as_str())),
        Bson::Document(d) => {
            let coll = d.get_str("coll").map_err(|_| {
                bad(
                    if stage == "$out" { 16994 } else { 51178 },
                    "FailedToParse",
                    format!("{stage} 'into' must specify a 'coll'"),
                )
            })?;
            let db = d
                .get_str("db")
                .map(|s| s.to_owned())
                .unwrap_or_else(|_| ns.db.to_string());
            Ok(Namespace::new(db, coll))
        }
        _ => Err(bad(
            if stage == "$out" { 16990 } else { 51178 },
            "FailedToParse",
            format!("{stage} requires a collection name or a document"),
        )),
    }
}

/// A write error of an output stage, as a command error of the aggregate
/// (duplicate keys keep their details through `Error::DuplicateKey`).
fn stage_error(e: WriteError, ns: &Namespace) -> Error {
    e.into_error(ns)
}

impl MemoryBackend {
    /// Write `results` to the `$out` or `$merge` target described by `stage`.
    pub(crate) fn write_output(
        &self,
        ns: &Namespace,
        stage: &Document,
        results: Vec<Document>,
        options: &AggregateOptions,
    ) -> Result<()> {
        if let Some(spec) = stage.get("$out") {
            let to = target(spec, ns, "$out")?;
            return self.out(&to, results, options.bypass_document_validation);
        }
        if let Some(spec) = stage.get("$merge") {
            let spec = match spec {
                Bson::String(_) => doc! {"into": spec.clone()},
                Bson::Document(d) => d.clone(),
                _ => {
                    return Err(bad(
                        51182,
                        "Location51182",
                        "$merge requires a string or an object",
                    )
                    .into())
                }
            };
            let into = spec.get("into").ok_or_else(|| {
                bad(
                    40414,
                    "Location40414",
                    "BSON field '$merge.into' is missing but a required field",
                )
            })?;
            let to = target(into, ns, "$merge")?;
            return self.merge(&to, &spec, results, options);
        }
        Ok(())
    }

    /// `$out`: the target's documents become `results`, all or nothing.
    fn out(&self, to: &Namespace, results: Vec<Document>, bypass: bool) -> Result<()> {
        let coll = self.catalog.collection_or_create(to)?;
        let mut state = coll.write();
        let mut fresh = CollState {
            store: Store::new(),
            options: state.options.clone(),
            validator: state.validator.clone(),
            indexes: state.indexes.clone(),
        };
        for d in results {
            let raw =
                RawDocumentBuf::try_from(&d).map_err(|e| bad(1, "InternalError", e.to_string()))?;
            fresh
                .insert_one(to, raw, bypass)
                .map_err(|e| stage_error(e, to))?;
        }
        state.store = fresh.store;
        Ok(())
    }

    /// `$merge` with `on`, `whenMatched` and `whenNotMatched`.
    fn merge(
        &self,
        to: &Namespace,
        spec: &Document,
        results: Vec<Document>,
        options: &AggregateOptions,
    ) -> Result<()> {
        let on: Vec<String> = match spec.get("on") {
            None => vec!["_id".into()],
            Some(Bson::String(s)) => vec![s.clone()],
            Some(Bson::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        bad(
                            51134,
                            "Location51134",
                            "$merge 'on' array elements must be strings",
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(bad(
                    51186,
                    "Location51186",
                    "$merge 'on' field must be either a string or an array of strings",
                )
                .into())
            }
        };
        let when_matched = spec
            .get("whenMatched")
            .cloned()
            .unwrap_or_else(|| Bson::String("merge".into()));
        let when_not_matched = spec
            .get_str("whenNotMatched")
            .unwrap_or("insert")
            .to_owned();
        let let_spec = spec.get_document("let").ok().cloned();
        let bypass = options.bypass_document_validation;
        let coll = self.catalog.collection_or_create(to)?;
        let mut state = coll.write();
        for mut d in results {
            if on.iter().any(|f| f == "_id") && !d.contains_key("_id") {
                let mut with_id = doc! {"_id": bson::oid::ObjectId::new()};
                with_id.extend(d);
                d = with_id;
            }
            let raw =
                RawDocumentBuf::try_from(&d).map_err(|e| bad(1, "InternalError", e.to_string()))?;
            let key = on_key(&raw, &on)?;
            let found = state
                .store
                .iter()
                .find(|(_, existing)| on_key(existing, &on).ok().as_ref() == Some(&key))
                .map(|(slot, existing)| (slot, existing.to_owned()));
            match found {
                None => match when_not_matched.as_str() {
                    "insert" => {
                        state.insert_one(to, raw, bypass).map_err(|e| stage_error(e, to))?;
                    }
                    "discard" => {}
                    "fail" => {
                        return Err(bad(13113, "MergeStageNoMatchingDocument", "$merge could not find a matching document in the target collection for at least one document in the source collection").into())
                    }
                    other => return Err(bad(2, "BadValue", format!("Enumeration value '{other}' for field '$merge.whenNotMatched' is not a valid value.")).into()),
                },
                Some((slot, existing)) => match &when_matched {
                    Bson::String(mode) => match mode.as_str() {
                        "replace" => {
                            state.replace_slot(to, slot, &raw, bypass).map_err(|e| stage_error(e, to))?;
                        }
                        "keepExisting" => {}
                        "merge" => {
                            let mut merged = Document::try_from(existing.as_ref()).map_err(|e| bad(1, "InternalError", e.to_string()))?;
                            for (k, v) in d {
                                merged.insert(k, v);
                            }
                            let merged = RawDocumentBuf::try_from(&merged).map_err(|e| bad(1, "InternalError", e.to_string()))?;
                            state.replace_slot(to, slot, &merged, bypass).map_err(|e| stage_error(e, to))?;
                        }
                        "fail" => {
                            let id = existing.get("_id").ok().flatten().and_then(|v| Bson::try_from(v).ok()).unwrap_or(Bson::Null);
                            let e = super::indexes::duplicate_key_error(to, "_id_", &doc! {"_id": 1}, &doc! {"_id": id});
                            return Err(stage_error(e, to));
                        }
                        other => return Err(bad(2, "BadValue", format!("Enumeration value '{other}' for field '$merge.whenMatched' is not a valid value.")).into()),
                    },
                    Bson::Array(stages) => {
                        let pipeline = stages
                            .iter()
                            .map(|s| s.as_document().cloned().ok_or_else(|| bad(14, "TypeMismatch", "$merge whenMatched pipeline stages must be objects")))
                            .collect::<Result<Vec<_>, _>>()?;
                        // `$$new` is the incoming document unless `let` says otherwise.
                        let mut vars = doc! {"new": {"$literal": Bson::Document(d.clone())}};
                        if let Some(l) = &let_spec {
                            vars.extend(l.clone());
                        }
                        let plan = UpdatePlan::compile(&UpdateModification::Pipeline(pipeline), None, Some(&vars))?;
                        state.update_slot(to, slot, &plan, None, bypass).map_err(|e| stage_error(e, to))?;
                    }
                    _ => return Err(bad(51191, "Location51191", "$merge 'whenMatched' must be a string or an array").into()),
                },
            }
        }
        Ok(())
    }
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

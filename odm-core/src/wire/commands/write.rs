//! Writes: `insert`, `update`, `delete` (write errors reported per statement,
//! in an `ok: 1` reply, as MongoDB does) and `findAndModify`.

use bson::raw::cstr;
use bson::{doc, Bson, Document, RawDocumentBuf};

use super::args;
use super::{error_parts, ok, CmdResult, Shared};
use crate::backend::{
    BulkWriteOptions, BulkWriteResult, DeleteOptions, FindAndModifyAction, FindAndModifyOptions,
    InsertOptions, ReplaceOptions, UpdateModification, UpdateOptions, WriteModel,
};
use crate::error::{CommandError, Error, Result};
use crate::wire::frame::Request;

pub(super) async fn insert(shared: &Shared, req: &mut Request) -> CmdResult {
    let ns = args::namespace(req)?;
    let docs = args::statements(req, "documents")?;
    args::check_batch(docs.len())?;
    let b = &req.body;
    let options = InsertOptions {
        ordered: ordered(b)?,
        bypass_document_validation: args::flag(b, "insert", "bypassDocumentValidation")?,
        txn: None,
    };
    let n = docs.len() as u64;
    let result = shared.backend.insert(ns, docs, options).await;
    let result = result.map(|r| BulkWriteResult {
        inserted_count: n,
        inserted_ids: r.inserted_ids,
        ..BulkWriteResult::default()
    });
    write_reply(
        result,
        |r| doc! { "n": count(r.inserted_count.max(r.inserted_ids.len() as u64)) },
    )
}

pub(super) async fn update(shared: &Shared, req: &mut Request) -> CmdResult {
    let ns = args::namespace(req)?;
    let statements = args::statements(req, "updates")?;
    args::check_batch(statements.len())?;
    let models = statements
        .iter()
        .map(|s| update_model(&args::decode(s)?))
        .collect::<Result<Vec<_>>>()?;
    let options = bulk_options(&req.body, "update")?;
    let models = with_let(models, &options.let_vars);
    let result = shared.backend.bulk_write(ns, models, options).await;
    write_reply(result, |r| {
        let upserted: Vec<Bson> = r
            .upserted_ids
            .iter()
            .map(|(i, id)| Bson::Document(doc! { "index": *i as i32, "_id": id.clone() }))
            .collect();
        let mut reply = doc! {
            "n": count(r.matched_count + r.upserted_count.max(r.upserted_ids.len() as u64)),
            "nModified": count(r.modified_count),
        };
        if !upserted.is_empty() {
            reply.insert("upserted", upserted);
        }
        reply
    })
}

pub(super) async fn delete(shared: &Shared, req: &mut Request) -> CmdResult {
    let ns = args::namespace(req)?;
    let statements = args::statements(req, "deletes")?;
    args::check_batch(statements.len())?;
    let models = statements
        .iter()
        .map(|s| delete_model(&args::decode(s)?))
        .collect::<Result<Vec<_>>>()?;
    let options = bulk_options(&req.body, "delete")?;
    let models = with_let(models, &options.let_vars);
    let result = shared.backend.bulk_write(ns, models, options).await;
    write_reply(result, |r| doc! { "n": count(r.deleted_count) })
}

pub(super) async fn find_and_modify(shared: &Shared, req: &Request) -> CmdResult {
    let ns = args::namespace(req)?;
    let b = &req.body;
    let cmd = "findAndModify";
    let filter = args::doc(b, cmd, "query")?.unwrap_or_default();
    let remove = args::flag(b, cmd, "remove")?;
    let action = match (remove, b.get("update")) {
        (true, None) => FindAndModifyAction::Remove,
        (false, Some(u)) => match modification(u, cmd)? {
            Modification::Update(u) => FindAndModifyAction::Update(u),
            Modification::Replace(r) => FindAndModifyAction::Replace(r),
        },
        (true, Some(_)) => {
            return Err(Error::Command(CommandError::failed_to_parse(
                "Cannot specify both an update and remove=true",
            )))
        }
        (false, None) => {
            return Err(Error::Command(CommandError::failed_to_parse(
                "Either an update or remove=true must be specified",
            )))
        }
    };
    let upsert = args::flag(b, cmd, "upsert")?;
    let options = FindAndModifyOptions {
        sort: args::doc(b, cmd, "sort")?,
        projection: args::doc(b, cmd, "fields")?,
        upsert,
        return_new: args::flag(b, cmd, "new")?,
        array_filters: args::docs(b, cmd, "arrayFilters")?,
        collation: args::doc(b, cmd, "collation")?,
        let_vars: args::doc(b, cmd, "let")?,
        hint: b.get("hint").cloned(),
        bypass_document_validation: args::flag(b, cmd, "bypassDocumentValidation")?,
        txn: None,
    };
    let value = shared
        .backend
        .find_and_modify(ns, filter, action, options)
        .await?;
    // The trait returns the document only: `n`/`updatedExisting` are inferred
    // from it (an upsert that inserted looks like an update here).
    let found = value.is_some();
    let mut last = RawDocumentBuf::new();
    last.append(cstr!("n"), i32::from(found || (upsert && !remove)));
    if !remove {
        last.append(cstr!("updatedExisting"), found);
    }
    let mut reply = RawDocumentBuf::new();
    reply.append(cstr!("lastErrorObject"), last);
    match value {
        Some(doc) => reply.append(cstr!("value"), doc),
        None => reply.append(cstr!("value"), bson::RawBson::Null),
    }
    reply.append(cstr!("ok"), 1.0);
    Ok(reply)
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn ordered(b: &Document) -> Result<bool> {
    match b.get("ordered") {
        None => Ok(true),
        Some(_) => args::flag(b, "write", "ordered"),
    }
}

fn bulk_options(b: &Document, cmd: &str) -> Result<BulkWriteOptions> {
    Ok(BulkWriteOptions {
        ordered: ordered(b)?,
        let_vars: args::doc(b, cmd, "let")?,
        bypass_document_validation: args::flag(b, cmd, "bypassDocumentValidation")?,
        txn: None,
    })
}

/// The reply of a write command: `fields(result)` and, after a failure, the
/// `writeErrors` of the statements that failed.
fn write_reply(
    result: Result<BulkWriteResult>,
    fields: impl Fn(&BulkWriteResult) -> Document,
) -> CmdResult {
    match result {
        Ok(r) => Ok(ok(fields(&r))),
        Err(Error::BulkWrite { failure, .. }) => {
            let mut reply = fields(&failure.partial);
            let errors: Vec<Bson> = failure
                .write_errors
                .iter()
                .map(|w| {
                    let mut e = doc! { "index": w.index as i32, "code": w.code };
                    if !w.code_name.is_empty() {
                        e.insert("codeName", w.code_name.clone());
                    }
                    e.insert("errmsg", w.message.clone());
                    e.extend(w.details.clone());
                    Bson::Document(e)
                })
                .collect();
            reply.insert("writeErrors", errors);
            Ok(ok(reply))
        }
        // A single-statement failure reported as an error rather than a bulk failure.
        Err(e @ (Error::DuplicateKey { .. } | Error::Validation { .. })) => {
            let (code, name, message, details) = error_parts(&e);
            let mut w = doc! { "index": 0, "code": code, "codeName": name, "errmsg": message };
            w.extend(details);
            Ok(ok(doc! { "n": 0, "writeErrors": [w] }))
        }
        Err(e) => Err(e),
    }
}

enum Modification {
    Update(UpdateModification),
    Replace(RawDocumentBuf),
}

/// `u` of an update: operators, a pipeline, or a replacement document.
fn modification(u: &Bson, cmd: &str) -> Result<Modification> {
    match u {
        Bson::Array(stages) => {
            let stages = stages
                .iter()
                .map(|s| match s {
                    Bson::Document(d) => Ok(d.clone()),
                    _ => Err(Error::Command(CommandError::failed_to_parse(
                        "Update pipeline stages must be objects",
                    ))),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Modification::Update(UpdateModification::Pipeline(stages)))
        }
        Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')) => Ok(
            Modification::Update(UpdateModification::Document(d.clone())),
        ),
        Bson::Document(d) => Ok(Modification::Replace(args::to_raw(d)?)),
        other => Err(Error::Command(CommandError::failed_to_parse(format!(
            "BSON field '{cmd}.update' is the wrong type '{}', expected type 'object' or 'array'",
            crate::value::element_type_name(other.element_type())
        )))),
    }
}

/// The command's `let` on each statement too, for a backend that reads it
/// from the statement's options.
fn with_let(mut models: Vec<WriteModel>, vars: &Option<Document>) -> Vec<WriteModel> {
    let Some(vars) = vars else {
        return models;
    };
    for model in &mut models {
        let slot = match model {
            WriteModel::UpdateOne { options, .. } | WriteModel::UpdateMany { options, .. } => {
                &mut options.let_vars
            }
            WriteModel::ReplaceOne { options, .. } => &mut options.let_vars,
            WriteModel::DeleteOne { options, .. } | WriteModel::DeleteMany { options, .. } => {
                &mut options.let_vars
            }
            _ => continue,
        };
        slot.get_or_insert_with(|| vars.clone());
    }
    models
}

fn update_model(s: &Document) -> Result<WriteModel> {
    let cmd = "update.updates";
    let filter = args::doc(s, cmd, "q")?.unwrap_or_default();
    let Some(u) = s.get("u") else {
        return Err(Error::Command(CommandError::new(
            40414,
            "Location40414",
            "BSON field 'update.updates.u' is missing but a required field",
        )));
    };
    let multi = args::flag(s, cmd, "multi")?;
    let upsert = args::flag(s, cmd, "upsert")?;
    let collation = args::doc(s, cmd, "collation")?;
    let hint = s.get("hint").cloned();
    let sort = args::doc(s, cmd, "sort")?;
    Ok(match modification(u, "update")? {
        Modification::Update(update) => {
            let options = UpdateOptions {
                multi,
                upsert,
                array_filters: args::docs(s, cmd, "arrayFilters")?,
                sort,
                collation,
                hint,
                ..UpdateOptions::default()
            };
            if multi {
                WriteModel::UpdateMany {
                    filter,
                    update,
                    options,
                }
            } else {
                WriteModel::UpdateOne {
                    filter,
                    update,
                    options,
                }
            }
        }
        Modification::Replace(replacement) => {
            if multi {
                return Err(Error::Command(CommandError::failed_to_parse(
                    "multi update is not supported for replacement-style update",
                )));
            }
            WriteModel::ReplaceOne {
                filter,
                replacement,
                options: ReplaceOptions {
                    upsert,
                    sort,
                    collation,
                    hint,
                    ..ReplaceOptions::default()
                },
            }
        }
    })
}

fn delete_model(s: &Document) -> Result<WriteModel> {
    let cmd = "delete.deletes";
    let filter = args::doc(s, cmd, "q")?.unwrap_or_default();
    let options = DeleteOptions {
        collation: args::doc(s, cmd, "collation")?,
        hint: s.get("hint").cloned(),
        ..DeleteOptions::default()
    };
    match args::number(s, cmd, "limit")? {
        Some(0) => Ok(WriteModel::DeleteMany { filter, options }),
        Some(1) => Ok(WriteModel::DeleteOne { filter, options }),
        _ => Err(Error::Command(CommandError::failed_to_parse(
            "The limit field in delete objects must be 0 or 1.",
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{BulkWriteFailure, WriteError};

    #[test]
    fn update_statements_become_models_by_the_shape_of_u() {
        let m = update_model(&doc! { "q": { "a": 1 }, "u": { "$set": { "b": 1 } }, "multi": true })
            .unwrap();
        assert!(matches!(m, WriteModel::UpdateMany { .. }));
        let m = update_model(&doc! { "q": {}, "u": [{ "$set": { "b": 1 } }] }).unwrap();
        assert!(matches!(
            m,
            WriteModel::UpdateOne {
                update: UpdateModification::Pipeline(_),
                ..
            }
        ));
        let m = update_model(&doc! { "q": {}, "u": { "b": 1 }, "upsert": true }).unwrap();
        assert!(matches!(m, WriteModel::ReplaceOne { ref options, .. } if options.upsert));
        assert!(update_model(&doc! { "q": {}, "u": { "b": 1 }, "multi": true }).is_err());
        assert!(update_model(&doc! { "q": {} }).is_err());
    }

    #[test]
    fn delete_limit_must_be_zero_or_one() {
        assert!(matches!(
            delete_model(&doc! { "q": {}, "limit": 0 }),
            Ok(WriteModel::DeleteMany { .. })
        ));
        assert!(matches!(
            delete_model(&doc! { "q": {}, "limit": 1 }),
            Ok(WriteModel::DeleteOne { .. })
        ));
        assert!(delete_model(&doc! { "q": {}, "limit": 2 }).is_err());
    }

    #[test]
    fn bulk_failures_become_write_errors_in_an_ok_reply() {
        let partial = BulkWriteResult {
            inserted_count: 1,
            ..BulkWriteResult::default()
        };
        let failure = BulkWriteFailure::new(
            vec![WriteError::new(
                1,
                11000,
                "DuplicateKey",
                "E11000 dup",
                doc! { "keyValue": { "_id": 1 } },
            )],
            partial,
        );
        let e = Error::BulkWrite {
            namespace: "d.c".into(),
            failure: Box::new(failure),
        };
        let reply = write_reply(Err(e), |r| doc! { "n": count(r.inserted_count) }).unwrap();
        let reply = Document::try_from(reply).unwrap();
        assert_eq!(
            reply,
            doc! {
                "n": 1_i64,
                "writeErrors": [{ "index": 1, "code": 11000, "codeName": "DuplicateKey", "errmsg": "E11000 dup", "keyValue": { "_id": 1 } }],
                "ok": 1.0,
            }
        );
    }
}

//! Writes as the server's write commands (`insert`, `update`, `delete`).
//!
//! The 3.x driver's `Client::bulk_write` needs MongoDB 8.0, and its
//! collection helpers drop `keyValue` from write errors, so every write goes
//! through `Database::run_raw_command`: consecutive models of the same kind
//! are batched into one command (split at `maxWriteBatchSize` and at the
//! BSON size limit), indexes in each reply are mapped back to the request,
//! and an ordered bulk stops after the first batch that failed.

use bson::raw::cstr;
use bson::{doc, Bson, Document, RawArrayBuf, RawDocumentBuf};
use mongodb::{ClientSession, Database};

use super::convert::{write_reply, WriteReply};
use super::errors::map_error;
use crate::backend::{
    BulkWriteFailure, BulkWriteOptions, BulkWriteResult, DeleteOptions, Namespace, ReplaceOptions,
    UpdateModification, UpdateOptions, WriteModel,
};
use crate::error::{CommandError, Error, Result};

/// MongoDB's `maxWriteBatchSize`.
const MAX_BATCH_COUNT: usize = 100_000;
/// Room for the statements of one command: the 16 MiB BSON limit, less
/// headroom for the command's own fields.
const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024 - 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Insert,
    Update,
    Delete,
}

impl Kind {
    fn command(self) -> (&'static bson::raw::CStr, &'static bson::raw::CStr) {
        match self {
            Kind::Insert => (cstr!("insert"), cstr!("documents")),
            Kind::Update => (cstr!("update"), cstr!("updates")),
            Kind::Delete => (cstr!("delete"), cstr!("deletes")),
        }
    }
}

/// One command's worth of statements, with each one's index in the request.
struct Batch {
    kind: Kind,
    indexes: Vec<usize>,
    statements: RawArrayBuf,
    bytes: usize,
    /// `_id`s of the inserted documents, by request index.
    ids: Vec<(usize, Bson)>,
}

/// Run `models` against `ns`; any write error is an `Error::BulkWrite`
/// carrying the partial result.
pub(crate) async fn execute(
    db: &Database,
    ns: &Namespace,
    models: Vec<WriteModel>,
    options: &BulkWriteOptions,
    session: Option<&mut ClientSession>,
) -> Result<BulkWriteResult> {
    let mut run = Run {
        db,
        ns,
        options,
        session,
        result: BulkWriteResult::default(),
        failure: Vec::new(),
        concern: None,
    };
    let mut batch: Option<Batch> = None;
    for (index, model) in models.into_iter().enumerate() {
        let (kind, statement, id) = statement(model)?;
        let len = statement.as_bytes().len();
        let full = batch.as_ref().is_some_and(|b| {
            b.kind != kind
                || b.indexes.len() >= MAX_BATCH_COUNT
                || (b.bytes + len > MAX_BATCH_BYTES && !b.indexes.is_empty())
        });
        if full {
            if let Some(b) = batch.take() {
                run.batch(b).await?;
            }
            if options.ordered && !run.failure.is_empty() {
                break;
            }
        }
        let b = batch.get_or_insert_with(|| Batch {
            kind,
            indexes: Vec::new(),
            statements: RawArrayBuf::new(),
            bytes: 0,
            ids: Vec::new(),
        });
        b.indexes.push(index);
        b.bytes += len;
        b.statements.push(statement);
        if let Some(id) = id {
            b.ids.push((index, id));
        }
    }
    if let Some(b) = batch {
        if !options.ordered || run.failure.is_empty() {
            run.batch(b).await?;
        }
    }
    run.finish()
}

struct Run<'a> {
    db: &'a Database,
    /// The transaction's session, if any.
    session: Option<&'a mut ClientSession>,
    ns: &'a Namespace,
    options: &'a BulkWriteOptions,
    result: BulkWriteResult,
    failure: Vec<crate::backend::WriteError>,
    concern: Option<crate::error::CommandError>,
}

impl Run<'_> {
    async fn batch(&mut self, batch: Batch) -> Result<()> {
        let (name, field) = batch.kind.command();
        let mut command = RawDocumentBuf::new();
        command.append(name, &*self.ns.coll);
        command.append(field, batch.statements);
        command.append(cstr!("ordered"), self.options.ordered);
        if self.options.bypass_document_validation && batch.kind != Kind::Delete {
            command.append(cstr!("bypassDocumentValidation"), true);
        }
        if let (Some(vars), false) = (&self.options.let_vars, batch.kind == Kind::Insert) {
            command.append(cstr!("let"), raw(vars)?);
        }
        let action = self.db.run_raw_command(command);
        let reply = match self.session.as_deref_mut() {
            Some(session) => action.session(session).await,
            None => action.await,
        }
        .map_err(|e| map_error(e, self.ns))?;
        let reply = write_reply(&reply);
        self.apply(&batch.kind, &batch.indexes, batch.ids, reply);
        Ok(())
    }

    fn apply(
        &mut self,
        kind: &Kind,
        indexes: &[usize],
        ids: Vec<(usize, Bson)>,
        reply: WriteReply,
    ) {
        let global = |i: usize| indexes.get(i).copied().unwrap_or(i);
        let first_error = reply.write_errors.iter().map(|e| global(e.index)).min();
        match kind {
            Kind::Insert => {
                self.result.inserted_count += reply.n;
                for (index, id) in ids {
                    let failed = reply.write_errors.iter().any(|e| global(e.index) == index);
                    let skipped = self.options.ordered && first_error.is_some_and(|f| index > f);
                    if !failed && !skipped {
                        self.result.inserted_ids.insert(index, id);
                    }
                }
            }
            Kind::Update => {
                let upserted = reply.upserted.len() as u64;
                self.result.upserted_count += upserted;
                self.result.matched_count += reply.n.saturating_sub(upserted);
                self.result.modified_count += reply.modified;
                for (i, id) in reply.upserted {
                    self.result.upserted_ids.insert(global(i), id);
                }
            }
            Kind::Delete => self.result.deleted_count += reply.n,
        }
        for mut e in reply.write_errors {
            e.index = global(e.index);
            self.failure.push(e);
        }
        if self.concern.is_none() {
            self.concern = reply.write_concern_error;
        }
    }

    fn finish(self) -> Result<BulkWriteResult> {
        if !self.failure.is_empty() {
            return Err(Error::BulkWrite {
                namespace: self.ns.to_string(),
                failure: Box::new(BulkWriteFailure::new(self.failure, self.result)),
            });
        }
        if let Some(concern) = self.concern {
            return Err(Error::Command(concern));
        }
        Ok(self.result)
    }
}

fn raw(doc: &Document) -> Result<RawDocumentBuf> {
    RawDocumentBuf::try_from(doc).map_err(|e| Error::Backend {
        message: format!("cannot encode a command document: {e}"),
        source: Some(Box::new(e)),
    })
}

/// The model as a statement of its write command, and the `_id` of an insert.
fn statement(model: WriteModel) -> Result<(Kind, RawDocumentBuf, Option<Bson>)> {
    Ok(match model {
        WriteModel::InsertOne { document } => {
            let (document, id) = with_id(document)?;
            (Kind::Insert, document, Some(id))
        }
        WriteModel::UpdateOne {
            filter,
            update,
            options,
        } => (
            Kind::Update,
            update_statement(filter, update, options, false)?,
            None,
        ),
        WriteModel::UpdateMany {
            filter,
            update,
            options,
        } => (
            Kind::Update,
            update_statement(filter, update, options, true)?,
            None,
        ),
        WriteModel::ReplaceOne {
            filter,
            replacement,
            options,
        } => (
            Kind::Update,
            replace_statement(filter, replacement, options)?,
            None,
        ),
        WriteModel::DeleteOne { filter, options } => (
            Kind::Delete,
            delete_statement(filter, options, false)?,
            None,
        ),
        WriteModel::DeleteMany { filter, options } => {
            (Kind::Delete, delete_statement(filter, options, true)?, None)
        }
        #[allow(unreachable_patterns)]
        _ => {
            return Err(Error::unsupported("mongodb", "this kind of write model"));
        }
    })
}

/// The document with an `_id` (a new `ObjectId`, first, when it had none),
/// and that `_id`.
pub(crate) fn with_id(document: RawDocumentBuf) -> Result<(RawDocumentBuf, Bson)> {
    let decode = |e: bson::error::Error| Error::Backend {
        message: format!("malformed document: {e}"),
        source: Some(Box::new(e)),
    };
    if let Some(id) = document.get("_id").map_err(decode)? {
        let id = Bson::try_from(id).map_err(decode)?;
        return Ok((document, id));
    }
    let oid = bson::oid::ObjectId::new();
    let mut out = RawDocumentBuf::new();
    out.append(cstr!("_id"), oid);
    for element in document.iter() {
        let (key, value) = element.map_err(decode)?;
        out.append(key, value);
    }
    Ok((out, Bson::ObjectId(oid)))
}

fn update_statement(
    filter: Document,
    update: UpdateModification,
    o: UpdateOptions,
    multi: bool,
) -> Result<RawDocumentBuf> {
    let u = match update {
        UpdateModification::Document(d) => {
            // The server would take a document without operators as a
            // replacement: refuse it before sending, as the driver's own
            // `update_one` does (and as the in-memory engine does).
            match d.keys().next() {
                Some(k) if k.starts_with('$') => {}
                Some(_) => {
                    return Err(CommandError::failed_to_parse(
                        "update document requires atomic operators",
                    )
                    .into())
                }
                None => {
                    return Err(CommandError::failed_to_parse(
                        "update document requires atomic operators (it is empty)",
                    )
                    .into())
                }
            }
            Bson::Document(d)
        }
        UpdateModification::Pipeline(p) => Bson::Array(p.into_iter().map(Bson::Document).collect()),
    };
    let mut s = doc! { "q": filter, "u": u, "multi": multi || o.multi, "upsert": o.upsert };
    if let Some(filters) = o.array_filters {
        s.insert("arrayFilters", filters);
    }
    if let (Some(sort), false) = (o.sort, multi || o.multi) {
        s.insert("sort", sort);
    }
    common(&mut s, o.collation, o.hint);
    raw(&s)
}

fn replace_statement(
    filter: Document,
    replacement: RawDocumentBuf,
    o: ReplaceOptions,
) -> Result<RawDocumentBuf> {
    // The server would take a replacement starting with `$` as an update.
    if let Some(Ok((key, _))) = replacement.iter().next() {
        if key.as_str().starts_with('$') {
            return Err(CommandError::bad_value(format!(
                "The dollar ($) prefixed field '{}' is not allowed in a replacement document",
                key.as_str()
            ))
            .into());
        }
    }
    let mut out = RawDocumentBuf::new();
    out.append(cstr!("q"), raw(&filter)?);
    out.append(cstr!("u"), replacement);
    let mut rest = doc! { "multi": false, "upsert": o.upsert };
    if let Some(sort) = o.sort {
        rest.insert("sort", sort);
    }
    common(&mut rest, o.collation, o.hint);
    for element in raw(&rest)?.iter() {
        let (key, value) = element.map_err(|e| Error::Backend {
            message: e.to_string(),
            source: Some(Box::new(e)),
        })?;
        out.append(key, value);
    }
    Ok(out)
}

fn delete_statement(filter: Document, o: DeleteOptions, multi: bool) -> Result<RawDocumentBuf> {
    let mut s = doc! { "q": filter, "limit": if multi || o.multi { 0 } else { 1 } };
    common(&mut s, o.collation, o.hint);
    raw(&s)
}

fn common(s: &mut Document, collation: Option<Document>, hint: Option<Bson>) {
    if let Some(c) = collation {
        s.insert("collation", c);
    }
    if let Some(h) = hint {
        s.insert("hint", h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_id_keeps_an_existing_id_and_prepends_a_new_one() {
        let d = RawDocumentBuf::try_from(&doc! { "a": 1, "_id": 5 }).unwrap();
        let (same, id) = with_id(d.clone()).unwrap();
        assert_eq!((same, id), (d, Bson::Int32(5)));

        let d = RawDocumentBuf::try_from(&doc! { "a": 1 }).unwrap();
        let (out, id) = with_id(d).unwrap();
        let out = Document::try_from(out).unwrap();
        assert_eq!(out.keys().collect::<Vec<_>>(), ["_id", "a"]);
        assert_eq!(out.get("_id"), Some(&id));
    }

    #[test]
    fn statements_follow_the_write_commands_shape() {
        let o = UpdateOptions {
            upsert: true,
            hint: Some(Bson::String("a_1".into())),
            ..UpdateOptions::default()
        };
        let (kind, s, _) = statement(WriteModel::UpdateMany {
            filter: doc! { "a": 1 },
            update: UpdateModification::Document(doc! { "$set": { "b": 2 } }),
            options: o,
        })
        .unwrap();
        assert_eq!(kind, Kind::Update);
        assert_eq!(
            Document::try_from(s).unwrap(),
            doc! { "q": { "a": 1 }, "u": { "$set": { "b": 2 } }, "multi": true, "upsert": true, "hint": "a_1" }
        );
        let (kind, s, _) = statement(WriteModel::DeleteOne {
            filter: doc! {},
            options: DeleteOptions::default(),
        })
        .unwrap();
        assert_eq!(kind, Kind::Delete);
        assert_eq!(Document::try_from(s).unwrap(), doc! { "q": {}, "limit": 1 });
        let r = RawDocumentBuf::try_from(&doc! { "x": 1 }).unwrap();
        let (_, s, _) = statement(WriteModel::ReplaceOne {
            filter: doc! { "_id": 1 },
            replacement: r,
            options: ReplaceOptions::default(),
        })
        .unwrap();
        assert_eq!(
            Document::try_from(s).unwrap(),
            doc! { "q": { "_id": 1 }, "u": { "x": 1 }, "multi": false, "upsert": false }
        );
    }

    #[tokio::test]
    async fn ordered_inserts_credit_only_the_documents_before_the_failure() {
        let ns = Namespace::new("d", "c");
        let options = BulkWriteOptions::default();
        let client_less = Run {
            db: &dummy_db(),
            session: None,
            ns: &ns,
            options: &options,
            result: BulkWriteResult::default(),
            failure: Vec::new(),
            concern: None,
        };
        let mut run = client_less;
        let reply = write_reply(&doc! {
            "n": 1, "writeErrors": [{ "index": 1, "code": 11000, "errmsg": "dup" }], "ok": 1.0,
        });
        let ids = vec![
            (3, Bson::Int32(1)),
            (4, Bson::Int32(2)),
            (5, Bson::Int32(3)),
        ];
        run.apply(&Kind::Insert, &[3, 4, 5], ids, reply);
        assert_eq!(
            run.result.inserted_ids.keys().copied().collect::<Vec<_>>(),
            [3]
        );
        assert_eq!(run.failure[0].index, 4);
        match run.finish() {
            Err(Error::BulkWrite { failure, .. }) => assert_eq!(failure.partial.inserted_count, 1),
            other => panic!("{other:?}"),
        }
    }

    fn dummy_db() -> Database {
        // Never contacted: the client connects lazily.
        let options = mongodb::options::ClientOptions::builder()
            .hosts(vec![mongodb::options::ServerAddress::Tcp {
                host: "127.0.0.1".into(),
                port: Some(1),
            }])
            .build();
        mongodb::Client::with_options(options)
            .unwrap()
            .database("d")
    }
}

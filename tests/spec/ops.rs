//! The operations of the unified test format, mapped onto the `Backend`
//! trait the way a driver maps its API onto commands (client-side checks
//! included), and their results as the documents the tests expect.

use std::collections::BTreeMap;
use std::sync::Arc;

use bson::{doc, Bson, Document, RawDocumentBuf};
use futures::TryStreamExt;
use odm::backend::*;
use odm::Error;

/// What an operation produced.
pub enum Outcome {
    /// A result to match against `expectResult`.
    Value(Bson),
    /// A result nobody looks at.
    Nothing,
}

/// Why an operation failed.
pub enum Failure {
    /// Refused before reaching the backend, as a driver would.
    Client(String),
    /// The backend's error.
    Server(Error),
    /// The runner cannot run this operation.
    Unsupported(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Server(e)
    }
}

/// What an operation's `object` names.
#[derive(Clone)]
pub enum Target {
    /// A database.
    Database(String),
    /// A collection.
    Collection(Namespace),
    /// A client.
    Client,
}

type Run = Result<Outcome, Failure>;

fn raw(d: &Document) -> Result<RawDocumentBuf, Failure> {
    RawDocumentBuf::try_from(d).map_err(|e| Failure::Client(e.to_string()))
}

fn doc_arg(args: &Document, key: &str) -> Document {
    args.get_document(key).cloned().unwrap_or_default()
}

fn opt_doc(args: &Document, key: &str) -> Option<Document> {
    args.get_document(key).ok().cloned()
}

fn u64_arg(args: &Document, key: &str) -> u64 {
    match args.get(key) {
        Some(Bson::Int32(i)) => u64::try_from(*i).unwrap_or(0),
        Some(Bson::Int64(i)) => u64::try_from(*i).unwrap_or(0),
        Some(Bson::Double(d)) if *d >= 0.0 => *d as u64,
        _ => 0,
    }
}

fn pipeline(v: &Bson) -> Vec<Document> {
    match v {
        Bson::Array(a) => a.iter().filter_map(|s| s.as_document().cloned()).collect(),
        _ => Vec::new(),
    }
}

/// A driver refuses an update without operators, and a replacement with them.
fn update_arg(args: &Document) -> Result<UpdateModification, Failure> {
    match args.get("update") {
        Some(Bson::Document(d)) => match d.keys().next() {
            Some(k) if k.starts_with('$') => Ok(UpdateModification::Document(d.clone())),
            _ => Err(Failure::Client(
                "update document must contain atomic operators".into(),
            )),
        },
        Some(p @ Bson::Array(_)) => Ok(UpdateModification::Pipeline(pipeline(p))),
        _ => Err(Failure::Client("missing update".into())),
    }
}

fn replacement_arg(args: &Document) -> Result<RawDocumentBuf, Failure> {
    let r = doc_arg(args, "replacement");
    if r.keys().next().is_some_and(|k| k.starts_with('$')) {
        return Err(Failure::Client(
            "replacement document must not contain atomic operators".into(),
        ));
    }
    raw(&r)
}

fn update_options(args: &Document) -> UpdateOptions {
    let mut o = UpdateOptions::default();
    o.upsert = args.get_bool("upsert").unwrap_or(false);
    o.array_filters = args
        .get_array("arrayFilters")
        .ok()
        .map(|a| a.iter().filter_map(|f| f.as_document().cloned()).collect());
    o.sort = opt_doc(args, "sort");
    o.collation = opt_doc(args, "collation");
    o.let_vars = opt_doc(args, "let");
    o.hint = args.get("hint").cloned();
    o.bypass_document_validation = args.get_bool("bypassDocumentValidation").unwrap_or(false);
    o
}

fn replace_options(args: &Document) -> ReplaceOptions {
    let mut o = ReplaceOptions::default();
    o.upsert = args.get_bool("upsert").unwrap_or(false);
    o.sort = opt_doc(args, "sort");
    o.collation = opt_doc(args, "collation");
    o.let_vars = opt_doc(args, "let");
    o.hint = args.get("hint").cloned();
    o.bypass_document_validation = args.get_bool("bypassDocumentValidation").unwrap_or(false);
    o
}

fn delete_options(args: &Document) -> DeleteOptions {
    let mut o = DeleteOptions::default();
    o.collation = opt_doc(args, "collation");
    o.let_vars = opt_doc(args, "let");
    o.hint = args.get("hint").cloned();
    o
}

fn update_result(r: &UpdateResult) -> Bson {
    let mut d = doc! {
        "matchedCount": r.matched_count as i64,
        "modifiedCount": r.modified_count as i64,
        "upsertedCount": i64::from(r.upserted_id.is_some()),
    };
    if let Some(id) = &r.upserted_id {
        d.insert("upsertedId", id.clone());
    }
    Bson::Document(d)
}

fn ids(map: &BTreeMap<usize, Bson>) -> Document {
    map.iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// A bulk write result as drivers report it.
pub fn bulk_result(r: &BulkWriteResult) -> Bson {
    Bson::Document(doc! {
        "deletedCount": r.deleted_count as i64,
        "insertedCount": r.inserted_count as i64,
        "insertedIds": ids(&r.inserted_ids),
        "matchedCount": r.matched_count as i64,
        "modifiedCount": r.modified_count as i64,
        "upsertedCount": r.upserted_count as i64,
        "upsertedIds": ids(&r.upserted_ids),
    })
}

async fn docs(stream: DocStream) -> Result<Bson, Failure> {
    let raw: Vec<RawDocumentBuf> = stream.try_collect().await?;
    let docs = raw
        .iter()
        .map(|d| Document::try_from(d).map(Bson::Document))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::Unsupported(e.to_string()))?;
    Ok(Bson::Array(docs))
}

fn optional_doc(d: Option<RawDocumentBuf>) -> Result<Bson, Failure> {
    match d {
        None => Ok(Bson::Null),
        Some(d) => Document::try_from(&d)
            .map(Bson::Document)
            .map_err(|e| Failure::Unsupported(e.to_string())),
    }
}

fn fam_options(args: &Document) -> FindAndModifyOptions {
    let mut o = FindAndModifyOptions::default();
    o.sort = opt_doc(args, "sort");
    o.projection = opt_doc(args, "projection");
    o.upsert = args.get_bool("upsert").unwrap_or(false);
    o.return_new = args
        .get_str("returnDocument")
        .is_ok_and(|s| s.eq_ignore_ascii_case("after"));
    o.array_filters = args
        .get_array("arrayFilters")
        .ok()
        .map(|a| a.iter().filter_map(|f| f.as_document().cloned()).collect());
    o.collation = opt_doc(args, "collation");
    o.let_vars = opt_doc(args, "let");
    o.hint = args.get("hint").cloned();
    o.bypass_document_validation = args.get_bool("bypassDocumentValidation").unwrap_or(false);
    o
}

fn write_model(request: &Document) -> Result<WriteModel, Failure> {
    let (kind, body) = request
        .iter()
        .next()
        .ok_or_else(|| Failure::Unsupported("empty bulk request".into()))?;
    let body = body.as_document().cloned().unwrap_or_default();
    let filter = doc_arg(&body, "filter");
    Ok(match kind.as_str() {
        "insertOne" => WriteModel::InsertOne {
            document: raw(&doc_arg(&body, "document"))?,
        },
        "updateOne" => WriteModel::UpdateOne {
            filter,
            update: update_arg(&body)?,
            options: update_options(&body),
        },
        "updateMany" => {
            let mut options = update_options(&body);
            options.multi = true;
            WriteModel::UpdateMany {
                filter,
                update: update_arg(&body)?,
                options,
            }
        }
        "replaceOne" => WriteModel::ReplaceOne {
            filter,
            replacement: replacement_arg(&body)?,
            options: replace_options(&body),
        },
        "deleteOne" => WriteModel::DeleteOne {
            filter,
            options: delete_options(&body),
        },
        "deleteMany" => {
            let mut options = delete_options(&body);
            options.multi = true;
            WriteModel::DeleteMany { filter, options }
        }
        other => return Err(Failure::Unsupported(format!("bulk model {other}"))),
    })
}

/// Run one operation.
pub async fn run(backend: &Arc<dyn Backend>, name: &str, target: &Target, args: &Document) -> Run {
    let filter = doc_arg(args, "filter");
    let ns = match target {
        Target::Collection(ns) => ns.clone(),
        Target::Database(db) => return run_database(backend, name, db, args).await,
        Target::Client => return Err(Failure::Unsupported(format!("client operation {name}"))),
    };
    let value = match name {
        "insertOne" => {
            let r = backend
                .insert(
                    ns,
                    vec![raw(&doc_arg(args, "document"))?],
                    insert_options(args, true),
                )
                .await
                .map_err(single_insert_error)?;
            doc! {"insertedId": r.inserted_ids.get(&0).cloned().unwrap_or(Bson::Null)}.into()
        }
        "insertMany" => {
            let documents = args
                .get_array("documents")
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.as_document())
                        .map(raw)
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap_or_else(|_| Ok(Vec::new()))?;
            let ordered = args.get_bool("ordered").unwrap_or(true);
            let r = backend
                .insert(ns, documents, insert_options(args, ordered))
                .await?;
            doc! {"insertedIds": ids(&r.inserted_ids)}.into()
        }
        "find" | "findOne" => {
            let mut o = FindOptions::default();
            o.sort = opt_doc(args, "sort");
            o.skip = u64_arg(args, "skip");
            o.limit = if name == "findOne" {
                1
            } else {
                u64_arg(args, "limit")
            };
            o.projection = opt_doc(args, "projection");
            o.collation = opt_doc(args, "collation").map(Box::new);
            o.let_vars = opt_doc(args, "let").map(Box::new);
            o.hint = args.get("hint").cloned().map(Box::new);
            o.comment = args.get("comment").cloned().map(Box::new);
            let all = docs(backend.find(ns, filter, o).await?).await?;
            if name == "findOne" {
                match all {
                    Bson::Array(mut a) if !a.is_empty() => a.swap_remove(0),
                    _ => Bson::Null,
                }
            } else {
                all
            }
        }
        "countDocuments" | "count" => {
            let mut o = CountOptions::default();
            o.skip = u64_arg(args, "skip");
            o.limit = u64_arg(args, "limit");
            o.collation = opt_doc(args, "collation");
            o.hint = args.get("hint").cloned();
            Bson::Int64(backend.count(ns, filter, o).await? as i64)
        }
        "estimatedDocumentCount" => Bson::Int64(
            backend
                .count(ns, Document::new(), CountOptions::default())
                .await? as i64,
        ),
        "distinct" => {
            let key = args.get_str("fieldName").unwrap_or_default().to_owned();
            let mut o = DistinctOptions::default();
            o.collation = opt_doc(args, "collation");
            o.hint = args.get("hint").cloned();
            Bson::Array(backend.distinct(ns, key, filter, o).await?)
        }
        "updateOne" | "updateMany" => {
            let update = update_arg(args)?;
            let mut o = update_options(args);
            o.multi = name == "updateMany";
            update_result(&backend.update(ns, filter, update, o).await?)
        }
        "replaceOne" => {
            let replacement = replacement_arg(args)?;
            update_result(
                &backend
                    .replace(ns, filter, replacement, replace_options(args))
                    .await?,
            )
        }
        "deleteOne" | "deleteMany" => {
            let mut o = delete_options(args);
            o.multi = name == "deleteMany";
            let r = backend.delete(ns, filter, o).await?;
            doc! {"deletedCount": r.deleted_count as i64}.into()
        }
        "findOneAndUpdate" => {
            let action = FindAndModifyAction::Update(update_arg(args)?);
            optional_doc(
                backend
                    .find_and_modify(ns, filter, action, fam_options(args))
                    .await?,
            )?
        }
        "findOneAndReplace" => {
            let action = FindAndModifyAction::Replace(replacement_arg(args)?);
            optional_doc(
                backend
                    .find_and_modify(ns, filter, action, fam_options(args))
                    .await?,
            )?
        }
        "findOneAndDelete" => optional_doc(
            backend
                .find_and_modify(ns, filter, FindAndModifyAction::Remove, fam_options(args))
                .await?,
        )?,
        "bulkWrite" => {
            let models = args
                .get_array("requests")
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r.as_document())
                        .map(write_model)
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap_or_else(|_| Ok(Vec::new()))?;
            let mut o = BulkWriteOptions::default();
            o.ordered = args.get_bool("ordered").unwrap_or(true);
            o.let_vars = opt_doc(args, "let");
            o.bypass_document_validation =
                args.get_bool("bypassDocumentValidation").unwrap_or(false);
            bulk_result(&backend.bulk_write(ns, models, o).await?)
        }
        "aggregate" => aggregate(backend, ns, args).await?,
        "createIndex" => {
            let mut model = IndexModel::new(doc_arg(args, "keys"));
            model.unique = args.get_bool("unique").unwrap_or(false);
            model.name = args.get_str("name").ok().map(str::to_owned);
            let names = backend.create_indexes(ns, vec![model]).await?;
            names
                .into_iter()
                .next()
                .map(Bson::String)
                .unwrap_or(Bson::Null)
        }
        other => return Err(Failure::Unsupported(format!("operation {other}"))),
    };
    Ok(Outcome::Value(value))
}

/// A one-document insert reports the single write error, as drivers do.
fn single_insert_error(e: Error) -> Failure {
    Failure::Server(e)
}

fn insert_options(args: &Document, ordered: bool) -> InsertOptions {
    let mut o = InsertOptions::default();
    o.ordered = ordered;
    o.bypass_document_validation = args.get_bool("bypassDocumentValidation").unwrap_or(false);
    o
}

async fn aggregate(
    backend: &Arc<dyn Backend>,
    ns: Namespace,
    args: &Document,
) -> Result<Bson, Failure> {
    let stages = pipeline(args.get("pipeline").unwrap_or(&Bson::Null));
    let mut o = AggregateOptions::default();
    o.collation = opt_doc(args, "collation");
    o.let_vars = opt_doc(args, "let");
    o.hint = args.get("hint").cloned();
    o.allow_disk_use = args.get_bool("allowDiskUse").ok();
    o.bypass_document_validation = args.get_bool("bypassDocumentValidation").unwrap_or(false);
    o.comment = args.get("comment").cloned();
    docs(backend.aggregate(ns, stages, o).await?).await
}

async fn run_database(backend: &Arc<dyn Backend>, name: &str, db: &str, args: &Document) -> Run {
    let coll = args.get_str("collection").unwrap_or("1").to_owned();
    let ns = Namespace::new(db, coll);
    match name {
        "aggregate" => Ok(Outcome::Value(aggregate(backend, ns, args).await?)),
        "createCollection" => {
            let mut o = CreateCollectionOptions::default();
            o.view_on = args.get_str("viewOn").ok().map(str::to_owned);
            o.pipeline = args.get("pipeline").map(pipeline);
            o.validator = opt_doc(args, "validator");
            backend.create_collection(ns, o).await?;
            Ok(Outcome::Nothing)
        }
        "dropCollection" => {
            backend.drop_collection(ns).await?;
            Ok(Outcome::Nothing)
        }
        "modifyCollection" => {
            let mut o = CreateCollectionOptions::default();
            o.validator = opt_doc(args, "validator");
            backend.modify_collection(ns, o).await?;
            Ok(Outcome::Nothing)
        }
        other => Err(Failure::Unsupported(format!("database operation {other}"))),
    }
}

/// The code an error carries (a bulk failure's first write error's).
pub fn error_code(e: &Error) -> Option<i32> {
    match e {
        Error::BulkWrite { failure, .. } => failure.write_errors.first().map(|w| w.code),
        other => other.code(),
    }
}

/// The server reply an error stands for, for `errorResponse`.
pub fn error_response(e: &Error) -> Document {
    match e {
        Error::BulkWrite { failure, .. } => match failure.write_errors.first() {
            Some(w) => {
                let mut d = doc! {"code": w.code, "codeName": w.code_name.clone(), "errmsg": w.message.clone()};
                d.extend(w.details.clone());
                d
            }
            None => Document::new(),
        },
        Error::DuplicateKey {
            key, key_pattern, ..
        } => doc! {
            "code": 11000,
            "keyValue": (**key).clone(),
            "keyPattern": (**key_pattern).clone(),
        },
        Error::Command(c) => {
            let mut d =
                doc! {"code": c.code, "codeName": c.code_name.clone(), "errmsg": c.message.clone()};
            d.extend(c.details.as_deref().cloned().unwrap_or_default());
            d
        }
        other => doc! {"errmsg": other.to_string()},
    }
}

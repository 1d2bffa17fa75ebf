//! The in-memory engine: MongoDB's semantics over raw BSON, in process.
//!
//! `Send + Sync`, shared across tokio tasks; databases and collections are
//! created on first use. Storage, the matcher, the updater, sorting,
//! projection and aggregation are separate modules over BSON, apart from
//! storage, so each can be read (and tested) on its own. This file only maps
//! the [`Backend`] trait onto them: every operation runs synchronously inside
//! its future, so no lock is ever held across an `.await`.

pub mod aggregate;
#[allow(clippy::result_large_err)]
mod bulk;
mod catalog;
pub mod collation;
pub mod compare;
mod explain;
#[allow(clippy::result_large_err)]
mod find_modify;
#[allow(clippy::result_large_err)]
mod indexes;
mod keys;
mod keytable;
pub mod matcher;
mod out;
mod path;
mod plan;
mod point;
mod postings;
pub mod projection;
mod read;
pub mod sort;
mod store;
mod ttl;
mod txn;
pub mod update;
#[allow(clippy::result_large_err)]
mod validate;
mod views;
#[allow(clippy::result_large_err)]
mod write;

#[cfg(test)]
mod tests;

// `result_large_err`: statements fail with the trait's own `WriteError`,
// which is large but rare; boxing it on every internal return would cost an
// allocation per failure and noise everywhere for no gain.

use std::borrow::Cow;
use std::sync::Arc;

use bson::{Bson, Document, RawDocumentBuf};

use self::catalog::{Catalog, Collection, Entry};
use self::collation::Collation;
use self::read::Selector;
pub(crate) use self::store::Doc;
use super::*;
use crate::error::{CommandError, Error, Result};

/// The in-memory backend.
///
/// Supports transactions (snapshot isolation, all-or-nothing commit; see
/// [`Backend::start_transaction`]). A clone is another handle to the same
/// engine (an operation in a transaction runs on a clone bound to it).
#[derive(Debug, Default, Clone)]
pub struct MemoryBackend {
    log: Arc<CommandLog>,
    catalog: Catalog,
}

impl MemoryBackend {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }

    /// The engine as an operation with this `txn` sees it: itself, or a clone
    /// bound to the transaction.
    fn engine(&self, txn: Option<&TxnHandle>) -> Result<Cow<'_, Self>> {
        let Some(handle) = txn else {
            return Ok(Cow::Borrowed(self));
        };
        let txn = self.own_txn(handle)?;
        txn.check_active()?;
        let mut bound = self.clone();
        bound.catalog = self.catalog.bound(txn);
        Ok(Cow::Owned(bound))
    }

    /// The engine's own state behind a handle.
    fn own_txn(&self, handle: &TxnHandle) -> Result<Arc<txn::MemTxn>> {
        handle
            .downcast::<Arc<txn::MemTxn>>()
            .cloned()
            .ok_or_else(|| Error::unsupported("memory", "a transaction handle of another backend"))
    }

    /// End a write of `ns`: in a transaction, lock the documents it changed
    /// and check them for conflicts (a conflict overrides `result`).
    fn wrote<T>(&self, ns: &Namespace, result: Result<T>) -> Result<T> {
        match self.catalog.txn() {
            None => result,
            Some(txn) => {
                txn.after_write(&self.catalog, ns)?;
                result
            }
        }
    }

    /// The collection to write to, created on first use (a view is refused).
    fn writable(&self, ns: &Namespace) -> Result<Arc<Collection>> {
        Ok(self.catalog.collection_or_create(ns)?)
    }

    /// The collection a write that may insert (`create`) or only modify
    /// targets: a write that cannot insert does not create a collection.
    fn target(&self, ns: &Namespace, create: bool) -> Result<Option<Arc<Collection>>> {
        if create {
            return self.writable(ns).map(Some);
        }
        match self.catalog.entry(ns) {
            None => Ok(None),
            Some(Entry::View(_)) => Err(catalog::not_on_view(ns).into()),
            Some(Entry::Collection(c)) => Ok(Some(c)),
        }
    }

    /// `insert` on this engine (or transaction).
    fn insert_docs(
        &self,
        ns: &Namespace,
        docs: Vec<RawDocumentBuf>,
        options: &InsertOptions,
    ) -> Result<InsertResult> {
        let coll = self.writable(ns)?;
        let mut state = coll.write();
        let mut result = InsertResult::default();
        let mut errors = Vec::new();
        for (index, doc) in docs.into_iter().enumerate() {
            match state.insert_one(ns, doc, options.bypass_document_validation) {
                Ok(id) => {
                    result.inserted_ids.insert(index, id);
                }
                Err(mut e) => {
                    e.index = index;
                    errors.push(e);
                    if options.ordered {
                        break;
                    }
                }
            }
        }
        if errors.is_empty() {
            return Ok(result);
        }
        let partial = BulkWriteResult {
            inserted_count: result.inserted_ids.len() as u64,
            inserted_ids: result.inserted_ids,
            ..BulkWriteResult::default()
        };
        Err(Error::BulkWrite {
            namespace: ns.to_string(),
            failure: Box::new(BulkWriteFailure::new(errors, partial)),
        })
    }
}

/// The collation of an operation, compiled once (`None`: binary order).
fn collation_of(spec: Option<&Document>) -> Result<Option<Collation>> {
    Ok(Collation::from_option(spec)?)
}

fn model_collation(model: &WriteModel) -> Option<&Document> {
    match model {
        WriteModel::UpdateOne { options, .. } | WriteModel::UpdateMany { options, .. } => {
            options.collation.as_ref()
        }
        WriteModel::ReplaceOne { options, .. } => options.collation.as_ref(),
        WriteModel::DeleteOne { options, .. } | WriteModel::DeleteMany { options, .. } => {
            options.collation.as_ref()
        }
        WriteModel::InsertOne { .. } => None,
    }
}

/// Whether a pipeline ends in `$out` or `$merge`.
fn writes_output(pipeline: &[Document]) -> bool {
    pipeline
        .last()
        .is_some_and(|stage| stage.contains_key("$out") || stage.contains_key("$merge"))
}

fn ready<T: Send + 'static>(value: Result<T>) -> BoxFuture<'static, Result<T>> {
    Box::pin(std::future::ready(value))
}

/// A failed single write as the error of its API.
fn single(e: WriteError, ns: &Namespace) -> Error {
    e.into_error(ns)
}

fn stream(docs: Vec<RawDocumentBuf>) -> DocStream {
    Box::pin(futures::stream::iter(docs.into_iter().map(Ok)))
}

impl Backend for MemoryBackend {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn command_log(&self) -> &CommandLog {
        &self.log
    }

    fn insert(
        &self,
        ns: Namespace,
        docs: Vec<RawDocumentBuf>,
        options: InsertOptions,
    ) -> BoxFuture<'_, Result<InsertResult>> {
        Box::pin(async move {
            self.log.record("insert", &ns, None);
            let engine = self.engine(options.txn.as_ref())?;
            let result = engine.insert_docs(&ns, docs, &options);
            engine.wrote(&ns, result)
        })
    }

    fn find(
        &self,
        ns: Namespace,
        filter: Document,
        options: FindOptions,
    ) -> BoxFuture<'_, Result<DocStream>> {
        Box::pin(async move {
            self.log.record("find", &ns, Some(&filter));
            let docs = self
                .engine(options.txn.as_ref())?
                .find_docs(&ns, &filter, &options)?;
            Ok(stream(docs))
        })
    }

    fn find_one(
        &self,
        ns: Namespace,
        filter: Document,
        mut options: FindOptions,
    ) -> BoxFuture<'_, Result<Option<ReadDoc>>> {
        options.limit = 1;
        Box::pin(async move {
            self.log.record("find", &ns, Some(&filter));
            let engine = self.engine(options.txn.as_ref())?;
            if let Some(found) = engine.point_read(&ns, &filter, &options) {
                return Ok(found.map(ReadDoc::shared));
            }
            let docs = engine.find_docs(&ns, &filter, &options)?;
            Ok(docs.into_iter().next().map(ReadDoc::from))
        })
    }

    fn count(
        &self,
        ns: Namespace,
        filter: Document,
        options: CountOptions,
    ) -> BoxFuture<'_, Result<u64>> {
        Box::pin(async move {
            self.log.record("count", &ns, Some(&filter));
            let collation = collation_of(options.collation.as_ref())?;
            let selector = Selector::with_collation(&filter, None, collation.as_ref())?;
            let engine = self.engine(options.txn.as_ref())?;
            let matches = match engine.catalog.entry(&ns) {
                None => 0,
                Some(Entry::Collection(c)) => {
                    let state = c.read();
                    let hint = state.indexes.resolve_hint(options.hint.as_ref())?;
                    selector.count_in(&state, hint)?
                }
                Some(Entry::View(_)) => {
                    let docs = engine.view_docs(&ns)?;
                    selector.count(docs.iter().map(|d| d.as_ref()))?
                }
            };
            Ok(read::apply_count_window(
                matches,
                options.skip,
                options.limit,
            ))
        })
    }

    fn distinct(
        &self,
        ns: Namespace,
        key: String,
        filter: Document,
        options: DistinctOptions,
    ) -> BoxFuture<'_, Result<Vec<Bson>>> {
        Box::pin(async move {
            self.log.record("distinct", &ns, Some(&filter));
            let collation = collation_of(options.collation.as_ref())?;
            let selector = Selector::with_collation(&filter, None, collation.as_ref())?;
            let engine = self.engine(options.txn.as_ref())?;
            let values = match engine.catalog.entry(&ns) {
                None => Vec::new(),
                Some(Entry::Collection(c)) => {
                    let state = c.read();
                    let hint = state.indexes.resolve_hint(options.hint.as_ref())?;
                    let hits = selector.select(&state, None, hint, 0, 0)?;
                    read::distinct(hits.iter().map(|h| h.doc), &key, collation.as_ref())?
                }
                Some(Entry::View(_)) => {
                    let docs = engine.view_docs(&ns)?;
                    let hits = selector.select_from(
                        docs.iter().enumerate().map(|(i, d)| (i, d.as_ref())),
                        None,
                        0,
                        0,
                    )?;
                    read::distinct(hits.iter().map(|h| h.doc), &key, collation.as_ref())?
                }
            };
            Ok(values)
        })
    }

    fn update(
        &self,
        ns: Namespace,
        filter: Document,
        update: UpdateModification,
        options: UpdateOptions,
    ) -> BoxFuture<'_, Result<UpdateResult>> {
        Box::pin(async move {
            self.log.record("update", &ns, Some(&filter));
            let collation = collation_of(options.collation.as_ref())?;
            let vars = options.let_vars.as_ref();
            let plan = write::compile_update(&update, options.array_filters.as_deref(), vars)?;
            let selector = Selector::with_collation(&filter, vars, collation.as_ref())?;
            let engine = self.engine(options.txn.as_ref())?;
            let result = (|| {
                let Some(coll) = engine.target(&ns, options.upsert)? else {
                    return Ok(UpdateResult::default());
                };
                let mut state = coll.write();
                state.indexes.check_hint(options.hint.as_ref())?;
                state
                    .update(
                        &ns,
                        &selector,
                        &filter,
                        &plan,
                        options.multi,
                        options.upsert,
                        options.sort.as_ref(),
                        options.bypass_document_validation,
                    )
                    .map_err(|e| single(e, &ns))
            })();
            engine.wrote(&ns, result)
        })
    }

    fn replace(
        &self,
        ns: Namespace,
        filter: Document,
        replacement: RawDocumentBuf,
        options: ReplaceOptions,
    ) -> BoxFuture<'_, Result<UpdateResult>> {
        Box::pin(async move {
            self.log.record("update", &ns, Some(&filter));
            let collation = collation_of(options.collation.as_ref())?;
            let selector =
                Selector::with_collation(&filter, options.let_vars.as_ref(), collation.as_ref())?;
            let engine = self.engine(options.txn.as_ref())?;
            let result = (|| {
                let Some(coll) = engine.target(&ns, options.upsert)? else {
                    return Ok(UpdateResult::default());
                };
                let mut state = coll.write();
                state.indexes.check_hint(options.hint.as_ref())?;
                state
                    .replace(
                        &ns,
                        &selector,
                        &filter,
                        &replacement,
                        options.upsert,
                        options.sort.as_ref(),
                        options.bypass_document_validation,
                    )
                    .map_err(|e| single(e, &ns))
            })();
            engine.wrote(&ns, result)
        })
    }

    fn delete(
        &self,
        ns: Namespace,
        filter: Document,
        options: DeleteOptions,
    ) -> BoxFuture<'_, Result<DeleteResult>> {
        Box::pin(async move {
            self.log.record("delete", &ns, Some(&filter));
            let collation = collation_of(options.collation.as_ref())?;
            let selector =
                Selector::with_collation(&filter, options.let_vars.as_ref(), collation.as_ref())?;
            let engine = self.engine(options.txn.as_ref())?;
            let result = (|| {
                let deleted_count = match engine.catalog.entry(&ns) {
                    None => 0,
                    Some(Entry::View(_)) => return Err(catalog::not_on_view(&ns).into()),
                    Some(Entry::Collection(c)) => {
                        let mut state = c.write();
                        state.indexes.check_hint(options.hint.as_ref())?;
                        state.delete(&selector, options.multi)?
                    }
                };
                Ok(DeleteResult { deleted_count })
            })();
            engine.wrote(&ns, result)
        })
    }

    fn find_and_modify(
        &self,
        ns: Namespace,
        filter: Document,
        action: FindAndModifyAction,
        options: FindAndModifyOptions,
    ) -> BoxFuture<'_, Result<Option<RawDocumentBuf>>> {
        Box::pin(async move {
            self.log.record("findAndModify", &ns, Some(&filter));
            let inserts = options.upsert && action != FindAndModifyAction::Remove;
            let engine = self.engine(options.txn.as_ref())?;
            let result = (|| {
                let Some(coll) = engine.target(&ns, inserts)? else {
                    return Ok(None);
                };
                let mut state = coll.write();
                state.indexes.check_hint(options.hint.as_ref())?;
                state
                    .find_and_modify(&ns, &filter, &action, &options)
                    .map_err(|e| single(e, &ns))
            })();
            engine.wrote(&ns, result)
        })
    }

    fn bulk_write(
        &self,
        ns: Namespace,
        models: Vec<WriteModel>,
        options: BulkWriteOptions,
    ) -> BoxFuture<'_, Result<BulkWriteResult>> {
        Box::pin(async move {
            self.log.record("bulkWrite", &ns, None);
            // Every statement's collation is checked before any statement runs.
            for model in &models {
                collation_of(model_collation(model))?;
            }
            let engine = self.engine(options.txn.as_ref())?;
            let coll = engine.writable(&ns)?;
            let (result, errors) = coll.write().bulk_write(
                &ns,
                models,
                options.ordered,
                options.let_vars.as_ref(),
                options.bypass_document_validation,
            );
            let result = if errors.is_empty() {
                Ok(result)
            } else {
                Err(Error::BulkWrite {
                    namespace: ns.to_string(),
                    failure: Box::new(BulkWriteFailure::new(errors, result)),
                })
            };
            engine.wrote(&ns, result)
        })
    }

    fn aggregate(
        &self,
        ns: Namespace,
        pipeline: Vec<Document>,
        options: AggregateOptions,
    ) -> BoxFuture<'_, Result<DocStream>> {
        Box::pin(async move {
            let logged = bson::doc! {"pipeline": pipeline.clone()};
            self.log.record("aggregate", &ns, Some(&logged));
            let engine = self.engine(options.txn.as_ref())?;
            if engine.catalog.txn().is_some() && writes_output(&pipeline) {
                return Err(CommandError::new(
                    263,
                    "OperationNotSupportedInTransaction",
                    "$out and $merge cannot be used in a transaction",
                )
                .into());
            }
            let docs = engine.aggregate_docs(&ns, &pipeline, &options)?;
            Ok(stream(docs))
        })
    }

    fn create_collection(
        &self,
        ns: Namespace,
        options: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.log.record("create", &ns, None);
            Ok(self.catalog.create(&ns, options)?)
        })
    }

    fn modify_collection(
        &self,
        ns: Namespace,
        options: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.log.record("collMod", &ns, None);
            Ok(self.catalog.modify(&ns, options)?)
        })
    }

    fn drop_collection(&self, ns: Namespace) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.log.record("drop", &ns, None);
            self.catalog.drop(&ns);
            Ok(())
        })
    }

    fn list_collections(&self, db: String) -> BoxFuture<'_, Result<Vec<CollectionInfo>>> {
        Box::pin(async move {
            self.log.record("listCollections", &db, None);
            Ok(self.catalog.list(&db))
        })
    }

    fn drop_database(&self, db: String) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.log.record("dropDatabase", &db, None);
            self.catalog.drop_database(&db);
            Ok(())
        })
    }

    fn list_databases(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        self.log.record("listDatabases", &"admin", None);
        ready(Ok(self.catalog.databases()))
    }

    fn create_indexes(
        &self,
        ns: Namespace,
        indexes: Vec<IndexModel>,
    ) -> BoxFuture<'_, Result<Vec<String>>> {
        Box::pin(async move {
            self.log.record("createIndexes", &ns, None);
            let coll = self.writable(&ns)?;
            let mut state = coll.write();
            let state = &mut *state;
            Ok(state.indexes.create(&ns, &state.store, indexes)?)
        })
    }

    fn list_indexes(&self, ns: Namespace) -> BoxFuture<'_, Result<Vec<IndexModel>>> {
        Box::pin(async move {
            self.log.record("listIndexes", &ns, None);
            match self.catalog.entry(&ns) {
                Some(Entry::Collection(c)) => Ok(c.read().indexes.models()),
                Some(Entry::View(_)) => Err(catalog::not_on_view(&ns).into()),
                None => Err(CommandError::new(
                    26,
                    "NamespaceNotFound",
                    format!("ns does not exist: {ns}"),
                )
                .into()),
            }
        })
    }

    fn explain(
        &self,
        ns: Namespace,
        filter: Document,
        options: FindOptions,
    ) -> BoxFuture<'_, Result<Document>> {
        Box::pin(async move {
            self.log.record("explain", &ns, Some(&filter));
            self.explain_find(&ns, filter, &options)
        })
    }

    fn drop_index(&self, ns: Namespace, name: String) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.log.record("dropIndexes", &ns, None);
            match self.catalog.entry(&ns) {
                Some(Entry::Collection(c)) => Ok(c.write().indexes.drop(&ns, &name)?),
                Some(Entry::View(_)) => Err(catalog::not_on_view(&ns).into()),
                None => {
                    Err(
                        CommandError::new(26, "NamespaceNotFound", format!("ns not found: {ns}"))
                            .into(),
                    )
                }
            }
        })
    }

    fn start_transaction(&self) -> BoxFuture<'_, Result<TxnHandle>> {
        let txn = Arc::new(self.catalog.txns().begin());
        ready(Ok(TxnHandle::new(txn)))
    }

    fn commit_transaction(&self, txn: TxnHandle) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.log.record("commitTransaction", &"admin", None);
            let txn = self.own_txn(&txn)?;
            Ok(txn.commit(&self.catalog.committed())?)
        })
    }

    fn abort_transaction(&self, txn: TxnHandle) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.log.record("abortTransaction", &"admin", None);
            let txn = self.own_txn(&txn)?;
            Ok(txn.abort()?)
        })
    }
}

//! The backend over the official `mongodb` driver (feature `mongodb`).
//!
//! Documents travel as raw BSON (`Collection<RawDocumentBuf>`): a model is
//! encoded once by odm and handed to the driver as is, and a cursor yields
//! the server's bytes. Reads, aggregations, indexes and collections use the
//! driver's helpers; writes go through the server's write commands
//! (`insert`/`update`/`delete`, batched as a bulk write is) so that partial
//! results and the `keyValue` of duplicate keys survive. The command log is
//! fed by the driver's command monitoring, so it counts what went on the
//! wire (a cursor's `getMore`s included).

mod bulk;
mod convert;
mod errors;
mod find_modify;
mod monitor;
mod session;

use std::sync::Arc;

use bson::{doc, Bson, Document, RawDocumentBuf};
use futures::{StreamExt, TryStreamExt};
use mongodb::event::command::CommandEvent as DriverCommandEvent;
use mongodb::event::EventHandler;
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection};

use super::*;
use crate::error::{Error, Result};
use convert::{collation, hint, to_i64};
use errors::map_error;
use session::{in_session, own, txn_of, MongoTxn};

/// A [`Backend`] over a `mongodb::Client`.
#[derive(Debug, Clone)]
pub struct MongoBackend {
    client: Client,
    log: Arc<CommandLog>,
    /// Whether the client reports its commands to `log` (a client built by
    /// [`MongoBackend::connect_monitored`]); otherwise each operation is
    /// noted once.
    monitored: bool,
}

/// Connect to `uri` (see [`MongoBackend::connect`]); returns the backend and
/// the URI's default database (`mongodb://host/shop` → `shop`).
pub async fn connect(uri: &str) -> Result<(Arc<dyn Backend>, Option<String>)> {
    let backend = MongoBackend::connect(uri).await?;
    let default_db = backend
        .client
        .default_database()
        .map(|db| db.name().to_owned());
    Ok((Arc::new(backend), default_db))
}

impl MongoBackend {
    /// Connect to the deployment of a connection string
    /// (`mongodb://localhost:27017`, `mongodb+srv://...`) and check that it
    /// answers, so a wrong address fails here with a message saying what to
    /// check rather than at the first query.
    ///
    /// The command log counts one command per operation. For a log of what
    /// goes on the wire (each `getMore`, `killCursors`, split batch), use
    /// [`connect_monitored`](Self::connect_monitored).
    pub async fn connect(uri: &str) -> Result<Self> {
        Self::connect_with(uri, false).await
    }

    /// [`connect`](Self::connect) with the driver's command monitoring
    /// feeding the command log, so it lists every command sent. The driver
    /// then copies every command it sends into an event (a 10,000-document
    /// insert is copied once more), which measured about 2.5× the time of
    /// an unmonitored insert and read-back over a local server: for tests
    /// and diagnostics, not production.
    pub async fn connect_monitored(uri: &str) -> Result<Self> {
        Self::connect_with(uri, true).await
    }

    async fn connect_with(uri: &str, monitored: bool) -> Result<Self> {
        let mut options = ClientOptions::parse(uri)
            .await
            .map_err(|e| map_error(e, &"the connection string"))?;
        let log = Arc::new(CommandLog::default());
        if monitored {
            let sink = Arc::clone(&log);
            options.command_event_handler = Some(EventHandler::callback(move |event| {
                if let DriverCommandEvent::Started(started) = event {
                    monitor::record_started(
                        &sink,
                        &started.command_name,
                        &started.db,
                        &started.command,
                    );
                }
            }));
        }
        let client = Client::with_options(options).map_err(|e| map_error(e, &uri))?;
        client
            .database("admin")
            .run_command(doc! { "ping": 1 })
            .await
            .map_err(|e| map_error(e, &"admin"))?;
        Ok(MongoBackend {
            client,
            log,
            monitored,
        })
    }

    /// Use a client configured elsewhere. Its command monitoring cannot be
    /// changed any more, so the log counts one command per operation.
    pub fn from_client(client: Client) -> Self {
        MongoBackend {
            client,
            log: Arc::new(CommandLog::default()),
            monitored: false,
        }
    }

    /// The driver's client, for what odm does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn coll(&self, ns: &Namespace) -> Collection<RawDocumentBuf> {
        self.client.database(&ns.db).collection(&ns.coll)
    }

    /// Note an operation when the client does not report its commands.
    fn note(&self, command: &str, ns: &dyn fmt::Display, filter: Option<&Document>) {
        if !self.monitored {
            self.log.record(command, ns, filter);
        }
    }

    async fn write(
        &self,
        ns: &Namespace,
        models: Vec<WriteModel>,
        options: &BulkWriteOptions,
        command: &str,
    ) -> Result<BulkWriteResult> {
        self.note(command, ns, None);
        let db = self.client.database(&ns.db);
        match txn_of(options.txn.as_ref())? {
            None => bulk::execute(&db, ns, models, options, None).await,
            Some(t) => {
                let mut session = t.session().await;
                bulk::execute(&db, ns, models, options, Some(&mut *session)).await
            }
        }
    }

    /// A one-statement write: its write error, if any, as a single error.
    async fn write_one(
        &self,
        ns: &Namespace,
        model: WriteModel,
        bypass_document_validation: bool,
        let_vars: Option<Document>,
        txn: Option<TxnHandle>,
        command: &str,
    ) -> Result<BulkWriteResult> {
        // `let` is a field of the update/delete command, not of a statement.
        let options = BulkWriteOptions {
            bypass_document_validation,
            let_vars,
            txn,
            ..BulkWriteOptions::default()
        };
        match self.write(ns, vec![model], &options, command).await {
            Err(Error::BulkWrite { failure, .. }) => {
                let failure = *failure;
                match failure.write_errors.into_iter().next() {
                    Some(e) => Err(errors::single_write_error(e, ns)),
                    None => Ok(failure.partial),
                }
            }
            other => other,
        }
    }
}

fn stream<C>(ns: Namespace, cursor: C) -> DocStream
where
    C: futures::Stream<Item = mongodb::error::Result<RawDocumentBuf>> + Send + 'static,
{
    cursor.map_err(move |e| map_error(e, &ns)).boxed()
}

/// A session cursor read to the end, as a stream (see [`session`]).
async fn drained<S>(ns: Namespace, cursor: S) -> Result<DocStream>
where
    S: futures::Stream<Item = mongodb::error::Result<RawDocumentBuf>>,
{
    let docs: Vec<RawDocumentBuf> = cursor.try_collect().await.map_err(|e| map_error(e, &ns))?;
    Ok(futures::stream::iter(docs.into_iter().map(Ok)).boxed())
}

fn update_model(
    filter: Document,
    update: UpdateModification,
    options: UpdateOptions,
) -> WriteModel {
    if options.multi {
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

impl Backend for MongoBackend {
    fn name(&self) -> &'static str {
        "mongodb"
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
            let models = docs
                .into_iter()
                .map(|document| WriteModel::InsertOne { document })
                .collect();
            let bulk = BulkWriteOptions {
                ordered: options.ordered,
                bypass_document_validation: options.bypass_document_validation,
                txn: options.txn,
                ..BulkWriteOptions::default()
            };
            let result = self.write(&ns, models, &bulk, "insert").await?;
            Ok(InsertResult {
                inserted_ids: result.inserted_ids,
            })
        })
    }

    fn find(
        &self,
        ns: Namespace,
        filter: Document,
        o: FindOptions,
    ) -> BoxFuture<'_, Result<DocStream>> {
        Box::pin(async move {
            self.note("find", &ns, Some(&filter));
            let mut options = mongodb::options::FindOptions::default();
            options.sort = o.sort;
            options.skip = (o.skip > 0).then_some(o.skip);
            options.limit = (o.limit > 0).then(|| to_i64(o.limit));
            options.projection = o.projection;
            options.batch_size = o.batch_size;
            options.collation = collation(o.collation.map(|c| *c))?;
            options.let_vars = o.let_vars.map(|l| *l);
            options.hint = hint(o.hint.map(|h| *h))?;
            options.comment = o.comment.map(|c| *c);
            let coll = self.coll(&ns);
            let find = coll.find(filter).with_options(options);
            match txn_of(o.txn.as_ref())? {
                None => {
                    let cursor = find.await.map_err(|e| map_error(e, &ns))?;
                    Ok(stream(ns, cursor))
                }
                Some(t) => {
                    let mut session = t.session().await;
                    let mut cursor = find
                        .session(&mut *session)
                        .await
                        .map_err(|e| map_error(e, &ns))?;
                    drained(ns, cursor.stream(&mut session)).await
                }
            }
        })
    }

    fn count(
        &self,
        ns: Namespace,
        filter: Document,
        o: CountOptions,
    ) -> BoxFuture<'_, Result<u64>> {
        Box::pin(async move {
            self.note("count", &ns, Some(&filter));
            let mut options = mongodb::options::CountOptions::default();
            options.skip = (o.skip > 0).then_some(o.skip);
            options.limit = (o.limit > 0).then_some(o.limit);
            options.collation = collation(o.collation)?;
            options.hint = hint(o.hint)?;
            let coll = self.coll(&ns);
            in_session!(
                txn_of(o.txn.as_ref())?,
                coll.count_documents(filter).with_options(options)
            )
            .map_err(|e| map_error(e, &ns))
        })
    }

    fn distinct(
        &self,
        ns: Namespace,
        key: String,
        filter: Document,
        o: DistinctOptions,
    ) -> BoxFuture<'_, Result<Vec<Bson>>> {
        Box::pin(async move {
            self.note("distinct", &ns, Some(&filter));
            let mut options = mongodb::options::DistinctOptions::default();
            options.collation = collation(o.collation)?;
            options.hint = hint(o.hint)?;
            let coll = self.coll(&ns);
            let mut values = in_session!(
                txn_of(o.txn.as_ref())?,
                coll.distinct(key, filter).with_options(options)
            )
            .map_err(|e| map_error(e, &ns))?;
            // The server does not promise an order; the trait does.
            values.sort_by(crate::backend::memory::compare::compare_bson);
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
            let bypass = options.bypass_document_validation;
            let vars = options.let_vars.clone();
            let txn = options.txn.clone();
            let model = update_model(filter, update, options);
            let r = self
                .write_one(&ns, model, bypass, vars, txn, "update")
                .await?;
            Ok(UpdateResult {
                matched_count: r.matched_count,
                modified_count: r.modified_count,
                upserted_id: r.upserted_ids.into_values().next(),
            })
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
            let bypass = options.bypass_document_validation;
            let vars = options.let_vars.clone();
            let txn = options.txn.clone();
            let model = WriteModel::ReplaceOne {
                filter,
                replacement,
                options,
            };
            let r = self
                .write_one(&ns, model, bypass, vars, txn, "update")
                .await?;
            Ok(UpdateResult {
                matched_count: r.matched_count,
                modified_count: r.modified_count,
                upserted_id: r.upserted_ids.into_values().next(),
            })
        })
    }

    fn delete(
        &self,
        ns: Namespace,
        filter: Document,
        options: DeleteOptions,
    ) -> BoxFuture<'_, Result<DeleteResult>> {
        Box::pin(async move {
            let vars = options.let_vars.clone();
            let txn = options.txn.clone();
            let model = if options.multi {
                WriteModel::DeleteMany { filter, options }
            } else {
                WriteModel::DeleteOne { filter, options }
            };
            let r = self
                .write_one(&ns, model, false, vars, txn, "delete")
                .await?;
            Ok(DeleteResult {
                deleted_count: r.deleted_count,
            })
        })
    }

    fn find_and_modify(
        &self,
        ns: Namespace,
        filter: Document,
        action: FindAndModifyAction,
        o: FindAndModifyOptions,
    ) -> BoxFuture<'_, Result<Option<RawDocumentBuf>>> {
        Box::pin(async move {
            self.note("findAndModify", &ns, Some(&filter));
            let handle = o.txn.clone();
            let txn = txn_of(handle.as_ref())?;
            find_modify::run(&self.coll(&ns), filter, action, o, txn)
                .await?
                .map_err(|e| map_error(e, &ns))
        })
    }

    fn bulk_write(
        &self,
        ns: Namespace,
        models: Vec<WriteModel>,
        options: BulkWriteOptions,
    ) -> BoxFuture<'_, Result<BulkWriteResult>> {
        Box::pin(async move { self.write(&ns, models, &options, "bulkWrite").await })
    }

    fn aggregate(
        &self,
        ns: Namespace,
        pipeline: Vec<Document>,
        o: AggregateOptions,
    ) -> BoxFuture<'_, Result<DocStream>> {
        Box::pin(async move {
            if !self.monitored {
                let p = doc! { "pipeline": pipeline.iter().cloned().map(Bson::Document).collect::<Vec<_>>() };
                self.log.record("aggregate", &ns, Some(&p));
            }
            let mut options = mongodb::options::AggregateOptions::default();
            options.batch_size = o.batch_size;
            options.collation = collation(o.collation)?;
            options.let_vars = o.let_vars;
            options.hint = hint(o.hint)?;
            options.allow_disk_use = o.allow_disk_use;
            options.bypass_document_validation = o.bypass_document_validation.then_some(true);
            options.comment = o.comment;
            let db = self.client.database(&ns.db);
            let coll = self.coll(&ns);
            // `ns.coll == "1"` is a collectionless pipeline (`$documents`).
            let action = if &*ns.coll == "1" {
                db.aggregate(pipeline)
            } else {
                coll.aggregate(pipeline)
            }
            .with_options(options)
            .with_type::<RawDocumentBuf>();
            match txn_of(o.txn.as_ref())? {
                None => {
                    let cursor = action.await.map_err(|e| map_error(e, &ns))?;
                    Ok(stream(ns, cursor))
                }
                Some(t) => {
                    let mut session = t.session().await;
                    let mut cursor = action
                        .session(&mut *session)
                        .await
                        .map_err(|e| map_error(e, &ns))?;
                    drained(ns, cursor.stream(&mut session)).await
                }
            }
        })
    }

    fn create_collection(
        &self,
        ns: Namespace,
        o: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.note("create", &ns, None);
            let mut options = mongodb::options::CreateCollectionOptions::default();
            options.validator = o.validator;
            options.validation_level = o
                .validation_level
                .as_deref()
                .map(convert::validation_level)
                .transpose()?;
            options.validation_action = o
                .validation_action
                .as_deref()
                .map(convert::validation_action)
                .transpose()?;
            options.view_on = o.view_on;
            options.pipeline = o.pipeline;
            self.client
                .database(&ns.db)
                .create_collection(&*ns.coll)
                .with_options(options)
                .await
                .map_err(|e| map_error(e, &ns))
        })
    }

    fn modify_collection(
        &self,
        ns: Namespace,
        o: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.note("collMod", &ns, None);
            let mut command = doc! { "collMod": &*ns.coll };
            command.extend(convert::collection_options_fields(&o));
            self.client
                .database(&ns.db)
                .run_command(command)
                .await
                .map(drop)
                .map_err(|e| map_error(e, &ns))
        })
    }

    fn drop_collection(&self, ns: Namespace) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.note("drop", &ns, None);
            // The driver already treats `NamespaceNotFound` as success.
            self.coll(&ns).drop().await.map_err(|e| map_error(e, &ns))
        })
    }

    fn list_collections(&self, db: String) -> BoxFuture<'_, Result<Vec<CollectionInfo>>> {
        Box::pin(async move {
            self.note("listCollections", &db, None);
            let database = self.client.database(&db);
            let mut cursor = database
                .run_cursor_command(doc! { "listCollections": 1 })
                .await
                .map_err(|e| map_error(e, &db))?;
            let mut out = Vec::new();
            while let Some(spec) = cursor.try_next().await.map_err(|e| map_error(e, &db))? {
                out.push(convert::collection_info(&spec));
            }
            Ok(out)
        })
    }

    fn drop_database(&self, db: String) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.note("dropDatabase", &db, None);
            self.client
                .database(&db)
                .drop()
                .await
                .map_err(|e| map_error(e, &db))
        })
    }

    fn list_databases(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        Box::pin(async move {
            self.note("listDatabases", &"admin", None);
            self.client
                .list_database_names()
                .await
                .map_err(|e| map_error(e, &"admin"))
        })
    }

    fn create_indexes(
        &self,
        ns: Namespace,
        indexes: Vec<IndexModel>,
    ) -> BoxFuture<'_, Result<Vec<String>>> {
        Box::pin(async move {
            self.note("createIndexes", &ns, None);
            let models = indexes
                .into_iter()
                .map(convert::index_model)
                .collect::<Result<Vec<_>>>()?;
            let result = self
                .coll(&ns)
                .create_indexes(models)
                .await
                .map_err(|e| map_error(e, &ns))?;
            Ok(result.index_names)
        })
    }

    fn list_indexes(&self, ns: Namespace) -> BoxFuture<'_, Result<Vec<IndexModel>>> {
        Box::pin(async move {
            self.note("listIndexes", &ns, None);
            // The typed `IndexModel` of the driver drops fields odm keeps, so
            // read the specs as documents.
            let mut cursor = self
                .client
                .database(&ns.db)
                .run_cursor_command(doc! { "listIndexes": &*ns.coll })
                .await
                .map_err(|e| map_error(e, &ns))?;
            let mut out = Vec::new();
            while let Some(spec) = cursor.try_next().await.map_err(|e| map_error(e, &ns))? {
                out.push(convert::index_from_spec(&spec));
            }
            Ok(out)
        })
    }

    fn explain(
        &self,
        ns: Namespace,
        filter: Document,
        o: FindOptions,
    ) -> BoxFuture<'_, Result<Document>> {
        Box::pin(async move {
            self.note("explain", &ns, Some(&filter));
            let mut find = doc! {"find": ns.coll.to_string(), "filter": filter};
            let optional = [
                ("sort", o.sort.map(Bson::Document)),
                ("skip", (o.skip > 0).then(|| Bson::Int64(to_i64(o.skip)))),
                ("limit", (o.limit > 0).then(|| Bson::Int64(to_i64(o.limit)))),
                ("projection", o.projection.map(Bson::Document)),
                ("collation", o.collation.map(|c| Bson::Document(*c))),
                ("let", o.let_vars.map(|l| Bson::Document(*l))),
                ("hint", o.hint.map(|h| *h)),
                ("comment", o.comment.map(|c| *c)),
            ];
            for (key, value) in optional {
                if let Some(v) = value {
                    find.insert(key, v);
                }
            }
            self.client
                .database(&ns.db)
                .run_command(doc! {"explain": find, "verbosity": "executionStats"})
                .await
                .map_err(|e| map_error(e, &ns))
        })
    }

    fn drop_index(&self, ns: Namespace, name: String) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.note("dropIndexes", &ns, None);
            let coll = self.coll(&ns);
            let result = if name == "*" {
                coll.drop_indexes().await
            } else {
                coll.drop_index(name).await
            };
            result.map_err(|e| map_error(e, &ns))
        })
    }

    fn start_transaction(&self) -> BoxFuture<'_, Result<TxnHandle>> {
        Box::pin(async move {
            let mut session = self
                .client
                .start_session()
                .await
                .map_err(|e| map_error(e, &"admin"))?;
            session.start_transaction().await.map_err(|e| {
                // A standalone server: say so as `Unsupported`, which
                // callers can match on and work without.
                if let mongodb::error::ErrorKind::Transaction { message, .. } = &*e.kind {
                    if message.contains("not supported by this deployment") {
                        return crate::Error::unsupported(
                            "mongodb",
                            format!("transactions ({message}: they need a replica set or a sharded cluster)"),
                        );
                    }
                }
                map_error(e, &"admin")
            })?;
            Ok(TxnHandle::new(MongoTxn::new(session)))
        })
    }

    fn commit_transaction(&self, txn: TxnHandle) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.note("commitTransaction", &"admin", None);
            let t = own(&txn)?;
            let mut session = t.session().await;
            let result = session
                .commit_transaction()
                .await
                .map_err(|e| map_error(e, &"admin"));
            // Retrying the commit stays possible: only operations are refused.
            t.finish();
            result
        })
    }

    fn abort_transaction(&self, txn: TxnHandle) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.note("abortTransaction", &"admin", None);
            let t = own(&txn)?;
            t.finish();
            let mut session = t.session().await;
            session
                .abort_transaction()
                .await
                .map_err(|e| map_error(e, &"admin"))
        })
    }
}

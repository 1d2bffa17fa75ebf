//! The untyped backend trait: raw BSON in, raw BSON out, per namespace.
//!
//! A backend knows nothing of models. [`Collection`](crate::Collection)
//! encodes models and typed builders into BSON and calls these methods; the
//! in-memory engine ([`memory`]) and the official driver ([`mongo`], feature
//! `mongodb`) implement them, and so can a third party: the trait is object
//! safe and every option struct is `#[non_exhaustive]` with a `Default`.
//!
//! Every backend keeps a [`CommandLog`]: how many commands of each kind it ran,
//! and (while recording) the commands themselves, so tests can prove that a
//! population costs two queries and not N+1.

pub mod memory;
#[cfg(feature = "mongodb")]
pub mod mongo;
mod options;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bson::{Bson, Document, RawDocumentBuf};
use futures::stream::BoxStream;

use crate::error::Result;

pub use options::*;

/// A boxed `Send` future: the return type of every backend operation.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A stream of raw documents (a cursor).
pub type DocStream = BoxStream<'static, Result<RawDocumentBuf>>;

/// A database and a collection name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace {
    /// The database.
    pub db: Arc<str>,
    /// The collection.
    pub coll: Arc<str>,
}

impl Namespace {
    /// `db.coll`.
    pub fn new(db: impl Into<Arc<str>>, coll: impl Into<Arc<str>>) -> Self {
        Namespace {
            db: db.into(),
            coll: coll.into(),
        }
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.db, self.coll)
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// An untyped, async store of BSON documents with MongoDB's semantics.
///
/// Filters, updates and pipelines are MongoDB's own documents; documents are
/// raw BSON. Errors use MongoDB's meaning: a unique index violation is
/// [`Error::DuplicateKey`](crate::Error::DuplicateKey) (single writes) or a
/// [`WriteError`] with code 11000 (bulk writes), a refused operator is an
/// [`Error::Command`](crate::Error::Command) with MongoDB's code.
pub trait Backend: Send + Sync + fmt::Debug + 'static {
    /// A short name for messages (`"memory"`, `"mongodb"`).
    fn name(&self) -> &'static str;

    /// The commands this backend ran.
    fn command_log(&self) -> &CommandLog;

    /// Insert documents. A document without `_id` gets a new `ObjectId`
    /// (first in the document). Any failure is an
    /// [`Error::BulkWrite`](crate::Error::BulkWrite) listing each failed write
    /// by index; an ordered insert stops at the first.
    fn insert(
        &self,
        ns: Namespace,
        docs: Vec<RawDocumentBuf>,
        options: InsertOptions,
    ) -> BoxFuture<'_, Result<InsertResult>>;

    /// Find documents.
    fn find(
        &self,
        ns: Namespace,
        filter: Document,
        options: FindOptions,
    ) -> BoxFuture<'_, Result<DocStream>>;

    /// The first document [`find`](Self::find) would return with
    /// `limit: 1`, without a cursor: the point read behind `find_one` and
    /// `find_by_id`. It is a `find` command (and is logged as one).
    ///
    /// The default runs `find` and takes the first document; a backend
    /// overrides it when it can answer with less work.
    fn find_one(
        &self,
        ns: Namespace,
        filter: Document,
        mut options: FindOptions,
    ) -> BoxFuture<'_, Result<Option<ReadDoc>>> {
        options.limit = 1;
        Box::pin(async move {
            use futures::TryStreamExt;
            let first = self.find(ns, filter, options).await?.try_next().await?;
            Ok(first.map(ReadDoc::from))
        })
    }

    /// Count the documents matching `filter` (with skip and limit).
    fn count(
        &self,
        ns: Namespace,
        filter: Document,
        options: CountOptions,
    ) -> BoxFuture<'_, Result<u64>>;

    /// The distinct values of `key` among the matching documents (array
    /// values contribute each element), in ascending BSON order.
    fn distinct(
        &self,
        ns: Namespace,
        key: String,
        filter: Document,
        options: DistinctOptions,
    ) -> BoxFuture<'_, Result<Vec<Bson>>>;

    /// Update one (`options.multi == false`) or all matching documents.
    fn update(
        &self,
        ns: Namespace,
        filter: Document,
        update: UpdateModification,
        options: UpdateOptions,
    ) -> BoxFuture<'_, Result<UpdateResult>>;

    /// Replace one matching document, keeping its `_id`.
    fn replace(
        &self,
        ns: Namespace,
        filter: Document,
        replacement: RawDocumentBuf,
        options: ReplaceOptions,
    ) -> BoxFuture<'_, Result<UpdateResult>>;

    /// Delete one (`options.multi == false`) or all matching documents.
    fn delete(
        &self,
        ns: Namespace,
        filter: Document,
        options: DeleteOptions,
    ) -> BoxFuture<'_, Result<DeleteResult>>;

    /// Find one document and update, replace or remove it atomically,
    /// returning it as it was before, or after (`options.return_new`).
    fn find_and_modify(
        &self,
        ns: Namespace,
        filter: Document,
        action: FindAndModifyAction,
        options: FindAndModifyOptions,
    ) -> BoxFuture<'_, Result<Option<RawDocumentBuf>>>;

    /// Several writes in one command, ordered or not, with MongoDB's
    /// partial-failure reporting ([`Error::BulkWrite`](crate::Error::BulkWrite)).
    fn bulk_write(
        &self,
        ns: Namespace,
        models: Vec<WriteModel>,
        options: BulkWriteOptions,
    ) -> BoxFuture<'_, Result<BulkWriteResult>>;

    /// Run an aggregation pipeline on a collection (or, with
    /// `ns.coll == "1"`, a collectionless pipeline starting with `$documents`).
    fn aggregate(
        &self,
        ns: Namespace,
        pipeline: Vec<Document>,
        options: AggregateOptions,
    ) -> BoxFuture<'_, Result<DocStream>>;

    /// Create a collection (or a view), with options such as a validator.
    fn create_collection(
        &self,
        ns: Namespace,
        options: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>>;

    /// Change a collection's options (`collMod`): its validator, say.
    fn modify_collection(
        &self,
        ns: Namespace,
        options: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>>;

    /// Drop a collection; dropping one that does not exist is not an error.
    fn drop_collection(&self, ns: Namespace) -> BoxFuture<'_, Result<()>>;

    /// The collections of a database, with their options.
    fn list_collections(&self, db: String) -> BoxFuture<'_, Result<Vec<CollectionInfo>>>;

    /// Drop a whole database.
    fn drop_database(&self, db: String) -> BoxFuture<'_, Result<()>>;

    /// The databases that hold at least one collection.
    fn list_databases(&self) -> BoxFuture<'_, Result<Vec<String>>>;

    /// Create indexes; an index equal to an existing one is a no-op.
    fn create_indexes(
        &self,
        ns: Namespace,
        indexes: Vec<IndexModel>,
    ) -> BoxFuture<'_, Result<Vec<String>>>;

    /// The indexes of a collection, `_id_` included.
    fn list_indexes(&self, ns: Namespace) -> BoxFuture<'_, Result<Vec<IndexModel>>>;

    /// Drop an index by name (`"*"` drops all but `_id_`).
    fn drop_index(&self, ns: Namespace, name: String) -> BoxFuture<'_, Result<()>>;

    /// How a `find` would run, as MongoDB's `explain` with `executionStats`
    /// verbosity answers it (`queryPlanner.winningPlan`, `executionStats`).
    ///
    /// The default is [`Error::Unsupported`](crate::Error::Unsupported), so
    /// backends written before `explain` existed keep compiling.
    fn explain(
        &self,
        ns: Namespace,
        filter: Document,
        options: FindOptions,
    ) -> BoxFuture<'_, Result<Document>> {
        let _ = (ns, filter, options);
        let name = self.name();
        Box::pin(async move { Err(crate::Error::unsupported(name, "explain")) })
    }

    /// Start a multi-document transaction: operations given the handle
    /// (`options.txn`) see a snapshot plus their own writes, which become
    /// visible to others all at once at [`commit_transaction`](Self::commit_transaction).
    ///
    /// The default is [`Error::Unsupported`](crate::Error::Unsupported).
    fn start_transaction(&self) -> BoxFuture<'_, Result<TxnHandle>> {
        let name = self.name();
        Box::pin(async move { Err(crate::Error::unsupported(name, "transactions")) })
    }

    /// Commit: apply every write of the transaction, or none. A conflict is
    /// a `112 WriteConflict` labelled `TransientTransactionError`.
    fn commit_transaction(&self, txn: TxnHandle) -> BoxFuture<'_, Result<()>> {
        let name = self.name();
        drop(txn);
        Box::pin(async move { Err(crate::Error::unsupported(name, "transactions")) })
    }

    /// Abort: discard every write of the transaction.
    fn abort_transaction(&self, txn: TxnHandle) -> BoxFuture<'_, Result<()>> {
        let name = self.name();
        drop(txn);
        Box::pin(async move { Err(crate::Error::unsupported(name, "transactions")) })
    }
}

/// A document a backend read: its own bytes, or bytes it shares with its
/// storage. The in-memory engine never changes a document once stored, so
/// a point read hands out a share of it instead of a copy.
#[derive(Clone)]
pub struct ReadDoc(ReadRepr);

#[derive(Clone)]
enum ReadRepr {
    Owned(RawDocumentBuf),
    Shared(memory::Doc),
}

impl ReadDoc {
    /// The bytes as an owned buffer (a copy when they are shared).
    pub fn into_owned(self) -> RawDocumentBuf {
        match self.0 {
            ReadRepr::Owned(doc) => doc,
            ReadRepr::Shared(doc) => (*doc).to_owned(),
        }
    }

    pub(crate) fn shared(doc: memory::Doc) -> Self {
        ReadDoc(ReadRepr::Shared(doc))
    }
}

impl From<RawDocumentBuf> for ReadDoc {
    fn from(doc: RawDocumentBuf) -> Self {
        ReadDoc(ReadRepr::Owned(doc))
    }
}

impl std::ops::Deref for ReadDoc {
    type Target = bson::RawDocument;

    fn deref(&self) -> &bson::RawDocument {
        match &self.0 {
            ReadRepr::Owned(doc) => doc,
            ReadRepr::Shared(doc) => doc,
        }
    }
}

impl fmt::Debug for ReadDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl PartialEq for ReadDoc {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

/// A count of the commands a backend ran, and (while recording) the commands.
///
/// Counting is always on and costs an atomic increment; the list of commands
/// is kept only between [`CommandLog::start`] and [`CommandLog::take`], so a
/// long-running application does not accumulate it.
#[derive(Debug, Default)]
pub struct CommandLog {
    total: AtomicU64,
    recording: AtomicBool,
    events: Mutex<Vec<CommandEvent>>,
}

/// One command a backend ran.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandEvent {
    /// MongoDB's command name (`find`, `insert`, `update`, `aggregate`, ...).
    pub command: String,
    /// `db.collection`, or the database alone for database commands.
    pub namespace: String,
    /// The filter (or pipeline, as `{pipeline: [...]}`) when the command has one.
    pub filter: Option<Document>,
}

impl CommandLog {
    /// Note a command.
    pub fn record(&self, command: &str, namespace: &dyn fmt::Display, filter: Option<&Document>) {
        self.total.fetch_add(1, Ordering::Relaxed);
        if self.recording.load(Ordering::Relaxed) {
            let event = CommandEvent {
                command: command.to_owned(),
                namespace: namespace.to_string(),
                filter: filter.cloned(),
            };
            if let Ok(mut events) = self.events.lock() {
                events.push(event);
            }
        }
    }

    /// How many commands ran since the backend was created.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Start keeping the commands (discarding any kept so far).
    pub fn start(&self) {
        if let Ok(mut events) = self.events.lock() {
            events.clear();
        }
        self.recording.store(true, Ordering::Relaxed);
    }

    /// Stop keeping commands and return those kept since [`start`](Self::start).
    pub fn take(&self) -> Vec<CommandEvent> {
        self.recording.store(false, Ordering::Relaxed);
        self.events
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }

    /// The commands kept so far, still recording.
    pub fn snapshot(&self) -> Vec<CommandEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

/// Ids the backend assigned or received, by position in the insert.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct InsertResult {
    /// The `_id` of each inserted document, by its index in the request.
    pub inserted_ids: BTreeMap<usize, Bson>,
}

/// What an update or replace did.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct UpdateResult {
    /// Documents the filter matched.
    pub matched_count: u64,
    /// Documents actually changed (an update that changes nothing does not count).
    pub modified_count: u64,
    /// The `_id` of the document an upsert inserted.
    pub upserted_id: Option<Bson>,
}

/// What a delete did.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct DeleteResult {
    /// Documents deleted.
    pub deleted_count: u64,
}

/// What a bulk write did (also the partial result of a failed one).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct BulkWriteResult {
    /// Documents inserted.
    pub inserted_count: u64,
    /// Documents matched by updates and replaces.
    pub matched_count: u64,
    /// Documents changed by updates and replaces.
    pub modified_count: u64,
    /// Documents deleted.
    pub deleted_count: u64,
    /// Documents upserted.
    pub upserted_count: u64,
    /// `_id`s of upserted documents, by the index of the write in the request.
    pub upserted_ids: BTreeMap<usize, Bson>,
    /// `_id`s of inserted documents, by the index of the write in the request.
    pub inserted_ids: BTreeMap<usize, Bson>,
}

/// A bulk write (or multi-document insert) that failed in part.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct BulkWriteFailure {
    /// Every failed write, with its index in the request.
    pub write_errors: Vec<WriteError>,
    /// What was applied before (ordered) or besides (unordered) the failures.
    pub partial: BulkWriteResult,
}

impl BulkWriteFailure {
    /// A failure with these errors and this partial result.
    pub fn new(write_errors: Vec<WriteError>, partial: BulkWriteResult) -> Self {
        BulkWriteFailure {
            write_errors,
            partial,
        }
    }
}

/// One failed write of a bulk operation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WriteError {
    /// Index of the write in the request.
    pub index: usize,
    /// MongoDB's code (11000 duplicate key, 121 validation, ...).
    pub code: i32,
    /// MongoDB's code name.
    pub code_name: String,
    /// The message.
    pub message: String,
    /// Extra fields of the error: `keyPattern`/`keyValue` for a duplicate key,
    /// `errInfo` for a validation failure.
    pub details: Document,
}

impl WriteError {
    /// A write error at `index`.
    pub fn new(
        index: usize,
        code: i32,
        code_name: impl Into<String>,
        message: impl Into<String>,
        details: Document,
    ) -> Self {
        WriteError {
            index,
            code,
            code_name: code_name.into(),
            message: message.into(),
            details,
        }
    }

    /// The same error as a single-write [`Error`](crate::Error):
    /// `DuplicateKey` for 11000, `Command` otherwise.
    pub fn into_error(self, ns: &Namespace) -> crate::Error {
        if self.code == 11000 {
            let index = index_name_from_message(&self.message)
                .or_else(|| {
                    self.details
                        .get_document("keyPattern")
                        .ok()
                        .map(|k| k.keys().cloned().collect::<Vec<_>>().join("_"))
                })
                .unwrap_or_else(|| "unknown".into());
            let key = self
                .details
                .get_document("keyValue")
                .cloned()
                .unwrap_or_default();
            let key_pattern = self
                .details
                .get_document("keyPattern")
                .cloned()
                .unwrap_or_default();
            return crate::Error::DuplicateKey {
                namespace: ns.to_string(),
                index,
                key: Box::new(key),
                key_pattern: Box::new(key_pattern),
            };
        }
        crate::Error::Command(
            crate::error::CommandError::new(self.code, self.code_name, self.message)
                .with_details(self.details),
        )
    }
}

/// MongoDB's duplicate-key message names the index: `... index: email_1 dup key: ...`.
fn index_name_from_message(message: &str) -> Option<String> {
    let rest = message.split("index: ").nth(1)?;
    Some(rest.split_whitespace().next()?.to_owned())
}

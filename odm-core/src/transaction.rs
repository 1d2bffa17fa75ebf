//! Multi-document transactions: [`Database::transaction`] runs a closure
//! inside a backend transaction, commits it, and retries as MongoDB's
//! drivers do (`with_transaction`): the whole closure again after an error
//! labelled `TransientTransactionError` (a `WriteConflict`, say), the commit
//! alone after `UnknownTransactionCommitResult`, until a time limit.
//!
//! The closure gets an owned [`Database`] bound to the transaction: every
//! collection, builder and population obtained from it runs inside the
//! transaction. It does so through [`InTxn`], a backend wrapper that puts the
//! transaction's handle into every operation's options, so no call site of
//! the typed API needs to know about transactions.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bson::{Bson, Document, RawDocumentBuf};

use crate::backend::*;
use crate::database::Database;
use crate::error::{Error, Result, TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT};

/// How long [`Database::transaction`] keeps retrying by default (the
/// drivers' 120 seconds).
pub const DEFAULT_MAX_TIME: Duration = Duration::from_secs(120);

/// A transaction about to run: `.await` it, optionally after
/// [`max_time`](Self::max_time). Returned by [`Database::transaction`].
#[must_use = "a transaction does nothing until awaited"]
pub struct Transaction<F, T> {
    db: Database,
    body: F,
    max_time: Duration,
    _out: PhantomData<fn() -> T>,
}

impl<F, T, Fut> Transaction<F, T>
where
    F: FnMut(Database) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    pub(crate) fn new(db: Database, body: F) -> Self {
        Transaction {
            db,
            body,
            max_time: DEFAULT_MAX_TIME,
            _out: PhantomData,
        }
    }

    /// Stop retrying after this long (120 s by default): the last error is
    /// returned.
    pub fn max_time(mut self, limit: Duration) -> Self {
        self.max_time = limit;
        self
    }

    async fn run(self) -> Result<T> {
        let Transaction {
            db,
            mut body,
            max_time,
            ..
        } = self;
        // Inside a transaction already: join it, the outermost one commits.
        if db.in_transaction() {
            return body(db).await;
        }
        let backend = db.backend().clone();
        let started = Instant::now();
        let within_time = || started.elapsed() < max_time;
        let mut attempt: u32 = 0;
        'attempts: loop {
            if attempt > 0 {
                backoff(attempt).await;
            }
            attempt = attempt.saturating_add(1);
            let txn = backend.start_transaction().await?;
            let value = match body(db.bound(txn.clone())).await {
                Ok(value) => value,
                Err(e) => {
                    // The error that ended the closure is the one to report,
                    // not a failure to abort after it.
                    let _ = backend.abort_transaction(txn).await;
                    if e.has_error_label(TRANSIENT_TRANSACTION_ERROR) && within_time() {
                        continue 'attempts;
                    }
                    return Err(e);
                }
            };
            loop {
                match backend.commit_transaction(txn.clone()).await {
                    Ok(()) => return Ok(value),
                    Err(e)
                        if e.has_error_label(UNKNOWN_TRANSACTION_COMMIT_RESULT)
                            && e.code() != Some(50)
                            && within_time() =>
                    {
                        continue;
                    }
                    Err(e) if e.has_error_label(TRANSIENT_TRANSACTION_ERROR) && within_time() => {
                        continue 'attempts;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

impl<F, T, Fut> IntoFuture for Transaction<F, T>
where
    F: FnMut(Database) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    type Output = Result<T>;
    type IntoFuture = BoxFuture<'static, Result<T>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Between attempts, let the transaction that won the conflict finish:
/// yield to the executor a growing number of times. (No timer: odm does not
/// tie its core to one runtime; on a single-threaded runtime a retry that
/// never yielded would starve the very task it waits for.)
async fn backoff(attempt: u32) {
    for _ in 0..attempt.min(64) {
        YieldNow(false).await;
    }
}

/// Pending once, after asking to be polled again.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A backend seen from inside a transaction: every operation that takes
/// options gets the transaction's handle. Catalog operations (create, drop,
/// indexes) run outside it, as they do on a replica set before MongoDB 4.4.
#[derive(Debug)]
pub(crate) struct InTxn {
    inner: Arc<dyn Backend>,
    txn: TxnHandle,
}

impl InTxn {
    pub(crate) fn new(inner: Arc<dyn Backend>, txn: TxnHandle) -> Self {
        InTxn { inner, txn }
    }

    fn handle(&self) -> Option<TxnHandle> {
        Some(self.txn.clone())
    }
}

impl Backend for InTxn {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn command_log(&self) -> &CommandLog {
        self.inner.command_log()
    }

    fn insert(
        &self,
        ns: Namespace,
        docs: Vec<RawDocumentBuf>,
        mut options: InsertOptions,
    ) -> BoxFuture<'_, Result<InsertResult>> {
        options.txn = self.handle();
        self.inner.insert(ns, docs, options)
    }

    fn find(
        &self,
        ns: Namespace,
        filter: Document,
        mut options: FindOptions,
    ) -> BoxFuture<'_, Result<DocStream>> {
        options.txn = self.handle();
        self.inner.find(ns, filter, options)
    }

    fn find_one(
        &self,
        ns: Namespace,
        filter: Document,
        mut options: FindOptions,
    ) -> BoxFuture<'_, Result<Option<ReadDoc>>> {
        options.txn = self.handle();
        self.inner.find_one(ns, filter, options)
    }

    fn count(
        &self,
        ns: Namespace,
        filter: Document,
        mut options: CountOptions,
    ) -> BoxFuture<'_, Result<u64>> {
        options.txn = self.handle();
        self.inner.count(ns, filter, options)
    }

    fn distinct(
        &self,
        ns: Namespace,
        key: String,
        filter: Document,
        mut options: DistinctOptions,
    ) -> BoxFuture<'_, Result<Vec<Bson>>> {
        options.txn = self.handle();
        self.inner.distinct(ns, key, filter, options)
    }

    fn update(
        &self,
        ns: Namespace,
        filter: Document,
        update: UpdateModification,
        mut options: UpdateOptions,
    ) -> BoxFuture<'_, Result<UpdateResult>> {
        options.txn = self.handle();
        self.inner.update(ns, filter, update, options)
    }

    fn replace(
        &self,
        ns: Namespace,
        filter: Document,
        replacement: RawDocumentBuf,
        mut options: ReplaceOptions,
    ) -> BoxFuture<'_, Result<UpdateResult>> {
        options.txn = self.handle();
        self.inner.replace(ns, filter, replacement, options)
    }

    fn delete(
        &self,
        ns: Namespace,
        filter: Document,
        mut options: DeleteOptions,
    ) -> BoxFuture<'_, Result<DeleteResult>> {
        options.txn = self.handle();
        self.inner.delete(ns, filter, options)
    }

    fn find_and_modify(
        &self,
        ns: Namespace,
        filter: Document,
        action: FindAndModifyAction,
        mut options: FindAndModifyOptions,
    ) -> BoxFuture<'_, Result<Option<RawDocumentBuf>>> {
        options.txn = self.handle();
        self.inner.find_and_modify(ns, filter, action, options)
    }

    fn bulk_write(
        &self,
        ns: Namespace,
        models: Vec<WriteModel>,
        mut options: BulkWriteOptions,
    ) -> BoxFuture<'_, Result<BulkWriteResult>> {
        options.txn = self.handle();
        self.inner.bulk_write(ns, models, options)
    }

    fn aggregate(
        &self,
        ns: Namespace,
        pipeline: Vec<Document>,
        mut options: AggregateOptions,
    ) -> BoxFuture<'_, Result<DocStream>> {
        options.txn = self.handle();
        self.inner.aggregate(ns, pipeline, options)
    }

    fn create_collection(
        &self,
        ns: Namespace,
        options: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>> {
        self.inner.create_collection(ns, options)
    }

    fn modify_collection(
        &self,
        ns: Namespace,
        options: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>> {
        self.inner.modify_collection(ns, options)
    }

    fn drop_collection(&self, ns: Namespace) -> BoxFuture<'_, Result<()>> {
        self.inner.drop_collection(ns)
    }

    fn list_collections(&self, db: String) -> BoxFuture<'_, Result<Vec<CollectionInfo>>> {
        self.inner.list_collections(db)
    }

    fn drop_database(&self, db: String) -> BoxFuture<'_, Result<()>> {
        self.inner.drop_database(db)
    }

    fn list_databases(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        self.inner.list_databases()
    }

    fn create_indexes(
        &self,
        ns: Namespace,
        indexes: Vec<IndexModel>,
    ) -> BoxFuture<'_, Result<Vec<String>>> {
        self.inner.create_indexes(ns, indexes)
    }

    fn list_indexes(&self, ns: Namespace) -> BoxFuture<'_, Result<Vec<IndexModel>>> {
        self.inner.list_indexes(ns)
    }

    fn drop_index(&self, ns: Namespace, name: String) -> BoxFuture<'_, Result<()>> {
        self.inner.drop_index(ns, name)
    }

    fn start_transaction(&self) -> BoxFuture<'_, Result<TxnHandle>> {
        Box::pin(async {
            Err(Error::Command(crate::error::CommandError::new(
                263,
                "OperationNotSupportedInTransaction",
                "a transaction is already in progress on this database handle; \
                 Database::transaction joins it",
            )))
        })
    }

    fn commit_transaction(&self, txn: TxnHandle) -> BoxFuture<'_, Result<()>> {
        self.inner.commit_transaction(txn)
    }

    fn abort_transaction(&self, txn: TxnHandle) -> BoxFuture<'_, Result<()>> {
        self.inner.abort_transaction(txn)
    }
}

#[cfg(test)]
mod tests;

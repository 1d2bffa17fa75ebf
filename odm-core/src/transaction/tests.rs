//! The retry loop of `Database::transaction` against a backend whose
//! commits fail on demand.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use super::*;
use crate::backend::memory::MemoryBackend;
use crate::error::CommandError;

/// The engine, whose commits first fail with the errors queued here;
/// or, with `transactional == false`, a backend without transactions.
#[derive(Debug)]
struct Flaky {
    inner: MemoryBackend,
    transactional: bool,
    commit_errors: Mutex<Vec<Error>>,
    starts: AtomicU32,
    commits: AtomicU32,
}

impl Flaky {
    fn new(transactional: bool, commit_errors: Vec<Error>) -> Arc<Self> {
        Arc::new(Flaky {
            inner: MemoryBackend::new(),
            transactional,
            commit_errors: Mutex::new(commit_errors),
            starts: AtomicU32::new(0),
            commits: AtomicU32::new(0),
        })
    }
}

fn labelled(code: i32, name: &str, label: &str) -> Error {
    Error::Command(CommandError::new(code, name, "injected").with_label(label))
}

impl Backend for Flaky {
    fn name(&self) -> &'static str {
        "flaky"
    }
    fn command_log(&self) -> &CommandLog {
        self.inner.command_log()
    }
    fn insert(
        &self,
        ns: Namespace,
        docs: Vec<RawDocumentBuf>,
        o: InsertOptions,
    ) -> BoxFuture<'_, Result<InsertResult>> {
        self.inner.insert(ns, docs, o)
    }
    fn find(&self, ns: Namespace, f: Document, o: FindOptions) -> BoxFuture<'_, Result<DocStream>> {
        self.inner.find(ns, f, o)
    }
    fn count(&self, ns: Namespace, f: Document, o: CountOptions) -> BoxFuture<'_, Result<u64>> {
        self.inner.count(ns, f, o)
    }
    fn distinct(
        &self,
        ns: Namespace,
        k: String,
        f: Document,
        o: DistinctOptions,
    ) -> BoxFuture<'_, Result<Vec<Bson>>> {
        self.inner.distinct(ns, k, f, o)
    }
    fn update(
        &self,
        ns: Namespace,
        f: Document,
        u: UpdateModification,
        o: UpdateOptions,
    ) -> BoxFuture<'_, Result<UpdateResult>> {
        self.inner.update(ns, f, u, o)
    }
    fn replace(
        &self,
        ns: Namespace,
        f: Document,
        r: RawDocumentBuf,
        o: ReplaceOptions,
    ) -> BoxFuture<'_, Result<UpdateResult>> {
        self.inner.replace(ns, f, r, o)
    }
    fn delete(
        &self,
        ns: Namespace,
        f: Document,
        o: DeleteOptions,
    ) -> BoxFuture<'_, Result<DeleteResult>> {
        self.inner.delete(ns, f, o)
    }
    fn find_and_modify(
        &self,
        ns: Namespace,
        f: Document,
        a: FindAndModifyAction,
        o: FindAndModifyOptions,
    ) -> BoxFuture<'_, Result<Option<RawDocumentBuf>>> {
        self.inner.find_and_modify(ns, f, a, o)
    }
    fn bulk_write(
        &self,
        ns: Namespace,
        m: Vec<WriteModel>,
        o: BulkWriteOptions,
    ) -> BoxFuture<'_, Result<BulkWriteResult>> {
        self.inner.bulk_write(ns, m, o)
    }
    fn aggregate(
        &self,
        ns: Namespace,
        p: Vec<Document>,
        o: AggregateOptions,
    ) -> BoxFuture<'_, Result<DocStream>> {
        self.inner.aggregate(ns, p, o)
    }
    fn create_collection(
        &self,
        ns: Namespace,
        o: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>> {
        self.inner.create_collection(ns, o)
    }
    fn modify_collection(
        &self,
        ns: Namespace,
        o: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>> {
        self.inner.modify_collection(ns, o)
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
        i: Vec<IndexModel>,
    ) -> BoxFuture<'_, Result<Vec<String>>> {
        self.inner.create_indexes(ns, i)
    }
    fn list_indexes(&self, ns: Namespace) -> BoxFuture<'_, Result<Vec<IndexModel>>> {
        self.inner.list_indexes(ns)
    }
    fn drop_index(&self, ns: Namespace, name: String) -> BoxFuture<'_, Result<()>> {
        self.inner.drop_index(ns, name)
    }
    fn start_transaction(&self) -> BoxFuture<'_, Result<TxnHandle>> {
        if !self.transactional {
            return Box::pin(async { Err(Error::unsupported("flaky", "transactions")) });
        }
        self.starts.fetch_add(1, Ordering::SeqCst);
        self.inner.start_transaction()
    }
    fn commit_transaction(&self, txn: TxnHandle) -> BoxFuture<'_, Result<()>> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        let injected = self.commit_errors.lock().unwrap().pop();
        match injected {
            Some(e) => Box::pin(async move { Err(e) }),
            None => self.inner.commit_transaction(txn),
        }
    }
    fn abort_transaction(&self, txn: TxnHandle) -> BoxFuture<'_, Result<()>> {
        self.inner.abort_transaction(txn)
    }
}

fn insert_one(tx: &Database) -> BoxFuture<'static, Result<u64>> {
    let tx = tx.clone();
    Box::pin(async move {
        let doc = RawDocumentBuf::try_from(&bson::doc! {"x": 1}).unwrap();
        tx.backend()
            .insert(tx.namespace("c"), vec![doc], InsertOptions::default())
            .await?;
        tx.backend()
            .count(tx.namespace("c"), bson::doc! {}, CountOptions::default())
            .await
    })
}

#[tokio::test]
async fn an_unknown_commit_result_retries_the_commit_alone() {
    let flaky = Flaky::new(
        true,
        vec![labelled(
            91,
            "ShutdownInProgress",
            UNKNOWN_TRANSACTION_COMMIT_RESULT,
        )],
    );
    let db = Database::with_backend(flaky.clone(), "d");
    let n = db.transaction(|tx| insert_one(&tx)).await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(flaky.starts.load(Ordering::SeqCst), 1);
    assert_eq!(flaky.commits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_transient_commit_error_reruns_the_body() {
    let flaky = Flaky::new(
        true,
        vec![labelled(112, "WriteConflict", TRANSIENT_TRANSACTION_ERROR)],
    );
    let db = Database::with_backend(flaky.clone(), "d");
    let n = db.transaction(|tx| insert_one(&tx)).await.unwrap();
    // The first attempt's insert was never committed.
    assert_eq!(n, 1);
    assert_eq!(flaky.starts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn other_commit_errors_are_returned() {
    let flaky = Flaky::new(true, vec![Error::unsupported("flaky", "nope")]);
    let db = Database::with_backend(flaky.clone(), "d");
    let e = db.transaction(|tx| insert_one(&tx)).await.unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    assert_eq!(flaky.commits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_backend_without_transactions_says_so() {
    let db = Database::with_backend(Flaky::new(false, Vec::new()), "d");
    match db.transaction(|tx| insert_one(&tx)).await.unwrap_err() {
        Error::Unsupported { backend, .. } => assert_eq!(backend, "flaky"),
        other => panic!("{other:?}"),
    }
}

//! The backend trait is pluggable: a backend written outside odm (here, a
//! wrapper that counts calls and refuses writes to one collection) runs a
//! model through the typed API unchanged.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use odm::backend::memory::MemoryBackend;
use odm::backend::*;
use odm::bson::{doc, Bson, Document, RawDocumentBuf};
use odm::{Database, Filter, Update};

/// A third-party backend: delegates to the in-memory engine, counts every
/// call, and refuses inserts into `audit` (a read-only collection).
#[derive(Debug, Default)]
struct Counting {
    inner: MemoryBackend,
    calls: AtomicUsize,
}

impl Counting {
    fn tick(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

impl Backend for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn command_log(&self) -> &CommandLog {
        self.inner.command_log()
    }
    fn insert(
        &self,
        ns: Namespace,
        docs: Vec<RawDocumentBuf>,
        o: InsertOptions,
    ) -> BoxFuture<'_, odm::Result<InsertResult>> {
        self.tick();
        if &*ns.coll == "audit" {
            return Box::pin(async { Err(odm::Error::unsupported("counting", "writes to audit")) });
        }
        self.inner.insert(ns, docs, o)
    }
    fn find(
        &self,
        ns: Namespace,
        f: Document,
        o: FindOptions,
    ) -> BoxFuture<'_, odm::Result<DocStream>> {
        self.tick();
        self.inner.find(ns, f, o)
    }
    fn count(
        &self,
        ns: Namespace,
        f: Document,
        o: CountOptions,
    ) -> BoxFuture<'_, odm::Result<u64>> {
        self.tick();
        self.inner.count(ns, f, o)
    }
    fn distinct(
        &self,
        ns: Namespace,
        k: String,
        f: Document,
        o: DistinctOptions,
    ) -> BoxFuture<'_, odm::Result<Vec<Bson>>> {
        self.tick();
        self.inner.distinct(ns, k, f, o)
    }
    fn update(
        &self,
        ns: Namespace,
        f: Document,
        u: UpdateModification,
        o: UpdateOptions,
    ) -> BoxFuture<'_, odm::Result<UpdateResult>> {
        self.tick();
        self.inner.update(ns, f, u, o)
    }
    fn replace(
        &self,
        ns: Namespace,
        f: Document,
        r: RawDocumentBuf,
        o: ReplaceOptions,
    ) -> BoxFuture<'_, odm::Result<UpdateResult>> {
        self.tick();
        self.inner.replace(ns, f, r, o)
    }
    fn delete(
        &self,
        ns: Namespace,
        f: Document,
        o: DeleteOptions,
    ) -> BoxFuture<'_, odm::Result<DeleteResult>> {
        self.tick();
        self.inner.delete(ns, f, o)
    }
    fn find_and_modify(
        &self,
        ns: Namespace,
        f: Document,
        a: FindAndModifyAction,
        o: FindAndModifyOptions,
    ) -> BoxFuture<'_, odm::Result<Option<RawDocumentBuf>>> {
        self.tick();
        self.inner.find_and_modify(ns, f, a, o)
    }
    fn bulk_write(
        &self,
        ns: Namespace,
        m: Vec<WriteModel>,
        o: BulkWriteOptions,
    ) -> BoxFuture<'_, odm::Result<BulkWriteResult>> {
        self.tick();
        self.inner.bulk_write(ns, m, o)
    }
    fn aggregate(
        &self,
        ns: Namespace,
        p: Vec<Document>,
        o: AggregateOptions,
    ) -> BoxFuture<'_, odm::Result<DocStream>> {
        self.tick();
        self.inner.aggregate(ns, p, o)
    }
    fn create_collection(
        &self,
        ns: Namespace,
        o: CreateCollectionOptions,
    ) -> BoxFuture<'_, odm::Result<()>> {
        self.inner.create_collection(ns, o)
    }
    fn modify_collection(
        &self,
        ns: Namespace,
        o: CreateCollectionOptions,
    ) -> BoxFuture<'_, odm::Result<()>> {
        self.inner.modify_collection(ns, o)
    }
    fn drop_collection(&self, ns: Namespace) -> BoxFuture<'_, odm::Result<()>> {
        self.inner.drop_collection(ns)
    }
    fn list_collections(&self, db: String) -> BoxFuture<'_, odm::Result<Vec<CollectionInfo>>> {
        self.inner.list_collections(db)
    }
    fn drop_database(&self, db: String) -> BoxFuture<'_, odm::Result<()>> {
        self.inner.drop_database(db)
    }
    fn list_databases(&self) -> BoxFuture<'_, odm::Result<Vec<String>>> {
        self.inner.list_databases()
    }
    fn create_indexes(
        &self,
        ns: Namespace,
        i: Vec<IndexModel>,
    ) -> BoxFuture<'_, odm::Result<Vec<String>>> {
        self.inner.create_indexes(ns, i)
    }
    fn list_indexes(&self, ns: Namespace) -> BoxFuture<'_, odm::Result<Vec<IndexModel>>> {
        self.inner.list_indexes(ns)
    }
    fn drop_index(&self, ns: Namespace, name: String) -> BoxFuture<'_, odm::Result<()>> {
        self.inner.drop_index(ns, name)
    }
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Note {
    id: i64,
    text: String,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
#[odm(collection = "audit")]
struct AuditEntry {
    id: i64,
    what: String,
}

#[tokio::test]
async fn a_model_runs_through_a_third_party_backend() {
    let backend = Arc::new(Counting::default());
    let db = Database::with_backend(backend.clone(), "plug");
    assert_eq!(db.backend().name(), "counting");
    let notes = db.collection::<Note>();

    let mut a = Note {
        id: 1,
        text: "first".into(),
    };
    let mut b = Note {
        id: 2,
        text: "second".into(),
    };
    assert_eq!(notes.insert_one(&mut a).await.unwrap(), 1);
    notes.insert_one(&mut b).await.unwrap();
    notes
        .update_one(
            Filter::raw(doc! {"_id": 2}),
            Update::raw(doc! {"$set": {"text": "2nd"}}),
        )
        .await
        .unwrap();
    let all = notes
        .find(Filter::all())
        .sort(odm::Sort::raw(doc! {"_id": 1}))
        .all()
        .await
        .unwrap();
    assert_eq!(
        all,
        vec![
            a,
            Note {
                id: 2,
                text: "2nd".into()
            }
        ]
    );
    assert_eq!(notes.count(Filter::all()).await.unwrap(), 2);
    notes.delete_many(Filter::all()).await.unwrap();
    assert_eq!(notes.count(Filter::all()).await.unwrap(), 0);
    assert_eq!(
        backend.calls.load(Ordering::SeqCst),
        7,
        "every operation went through the wrapper"
    );

    // The wrapper's own policy reaches the caller as a typed error.
    let err = db
        .collection::<AuditEntry>()
        .insert_one(&mut AuditEntry {
            id: 1,
            what: "x".into(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            odm::Error::Unsupported {
                backend: "counting",
                ..
            }
        ),
        "{err}"
    );
}

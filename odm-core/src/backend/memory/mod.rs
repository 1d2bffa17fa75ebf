//! The in-memory engine: MongoDB's semantics over raw BSON, in process.
//!
//! `Send + Sync`, shared across tokio tasks; databases and collections are
//! created on first use. Storage, the matcher, the updater, sorting,
//! projection and aggregation are separate modules over BSON, apart from
//! storage, so each can be read (and tested) on its own.

pub mod aggregate;
pub mod compare;
pub mod matcher;
pub mod projection;
pub mod sort;
pub mod update;

use bson::{Bson, Document, RawDocumentBuf};

use super::*;
use crate::error::{Error, Result};

/// The in-memory backend.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    log: CommandLog,
}

impl MemoryBackend {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }
}

fn todo<T: Send + 'static>(what: &str) -> BoxFuture<'static, Result<T>> {
    let e = Error::unsupported("memory", what);
    Box::pin(async move { Err(e) })
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
        _ns: Namespace,
        _docs: Vec<RawDocumentBuf>,
        _o: InsertOptions,
    ) -> BoxFuture<'_, Result<InsertResult>> {
        todo("insert")
    }

    fn find(
        &self,
        _ns: Namespace,
        _f: Document,
        _o: FindOptions,
    ) -> BoxFuture<'_, Result<DocStream>> {
        todo("find")
    }

    fn count(&self, _ns: Namespace, _f: Document, _o: CountOptions) -> BoxFuture<'_, Result<u64>> {
        todo("count")
    }

    fn distinct(
        &self,
        _ns: Namespace,
        _k: String,
        _f: Document,
        _o: DistinctOptions,
    ) -> BoxFuture<'_, Result<Vec<Bson>>> {
        todo("distinct")
    }

    fn update(
        &self,
        _ns: Namespace,
        _f: Document,
        _u: UpdateModification,
        _o: UpdateOptions,
    ) -> BoxFuture<'_, Result<UpdateResult>> {
        todo("update")
    }

    fn replace(
        &self,
        _ns: Namespace,
        _f: Document,
        _r: RawDocumentBuf,
        _o: ReplaceOptions,
    ) -> BoxFuture<'_, Result<UpdateResult>> {
        todo("replace")
    }

    fn delete(
        &self,
        _ns: Namespace,
        _f: Document,
        _o: DeleteOptions,
    ) -> BoxFuture<'_, Result<DeleteResult>> {
        todo("delete")
    }

    fn find_and_modify(
        &self,
        _ns: Namespace,
        _f: Document,
        _a: FindAndModifyAction,
        _o: FindAndModifyOptions,
    ) -> BoxFuture<'_, Result<Option<RawDocumentBuf>>> {
        todo("findAndModify")
    }

    fn bulk_write(
        &self,
        _ns: Namespace,
        _m: Vec<WriteModel>,
        _o: BulkWriteOptions,
    ) -> BoxFuture<'_, Result<BulkWriteResult>> {
        todo("bulkWrite")
    }

    fn aggregate(
        &self,
        _ns: Namespace,
        _p: Vec<Document>,
        _o: AggregateOptions,
    ) -> BoxFuture<'_, Result<DocStream>> {
        todo("aggregate")
    }

    fn create_collection(
        &self,
        _ns: Namespace,
        _o: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>> {
        todo("create")
    }

    fn modify_collection(
        &self,
        _ns: Namespace,
        _o: CreateCollectionOptions,
    ) -> BoxFuture<'_, Result<()>> {
        todo("collMod")
    }

    fn drop_collection(&self, _ns: Namespace) -> BoxFuture<'_, Result<()>> {
        todo("drop")
    }

    fn list_collections(&self, _db: String) -> BoxFuture<'_, Result<Vec<CollectionInfo>>> {
        todo("listCollections")
    }

    fn drop_database(&self, _db: String) -> BoxFuture<'_, Result<()>> {
        todo("dropDatabase")
    }

    fn list_databases(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        todo("listDatabases")
    }

    fn create_indexes(
        &self,
        _ns: Namespace,
        _i: Vec<IndexModel>,
    ) -> BoxFuture<'_, Result<Vec<String>>> {
        todo("createIndexes")
    }

    fn list_indexes(&self, _ns: Namespace) -> BoxFuture<'_, Result<Vec<IndexModel>>> {
        todo("listIndexes")
    }

    fn drop_index(&self, _ns: Namespace, _name: String) -> BoxFuture<'_, Result<()>> {
        todo("dropIndexes")
    }
}

//! Options of the backend operations. Each is `#[non_exhaustive]` with a
//! `Default`, so new options do not break third-party backends.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use bson::{Bson, Document, RawDocumentBuf};

/// An open transaction of some backend, as
/// [`Backend::start_transaction`](super::Backend::start_transaction)
/// returned it: opaque to everyone but that backend, cheap to clone.
///
/// An operation whose options carry a handle (`options.txn`) runs inside
/// that transaction.
#[derive(Clone)]
pub struct TxnHandle(Arc<dyn Any + Send + Sync>);

impl TxnHandle {
    /// Wrap a backend's own transaction state.
    pub fn new<T: Any + Send + Sync>(state: T) -> Self {
        TxnHandle(Arc::new(state))
    }

    /// The backend's state, if it is a `T` (a handle of another backend is not).
    pub fn downcast<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }

    /// Whether both handles are the same transaction.
    pub fn same(&self, other: &TxnHandle) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for TxnHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TxnHandle({:p})", Arc::as_ptr(&self.0))
    }
}

/// Options of [`Backend::insert`](super::Backend::insert).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InsertOptions {
    /// Stop at the first failure (the default) or try every document.
    pub ordered: bool,
    /// Skip the collection's validator.
    pub bypass_document_validation: bool,
    /// The transaction the operation runs in (`None`: on its own).
    pub txn: Option<TxnHandle>,
}

impl Default for InsertOptions {
    fn default() -> Self {
        InsertOptions {
            ordered: true,
            bypass_document_validation: false,
            txn: None,
        }
    }
}

/// Options of [`Backend::find`](super::Backend::find).
///
/// The options most queries leave unset (collation, `let`, hint, comment)
/// are boxed: the struct is moved several times on the way to a backend,
/// and at its full size those copies were a tenth of an in-cache point
/// read's time.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FindOptions {
    /// Sort specification.
    pub sort: Option<Document>,
    /// Documents to skip.
    pub skip: u64,
    /// At most this many documents (0 = no limit).
    pub limit: u64,
    /// Projection specification.
    pub projection: Option<Document>,
    /// Documents per batch on a wire.
    pub batch_size: Option<u32>,
    /// Collation (`{locale, strength, caseLevel, caseFirst, numericOrdering, ...}`).
    pub collation: Option<Box<Document>>,
    /// Variables for `$expr` (`let`).
    pub let_vars: Option<Box<Document>>,
    /// Index hint.
    pub hint: Option<Box<Bson>>,
    /// A comment for the server's logs.
    pub comment: Option<Box<Bson>>,
    /// The transaction the operation runs in (`None`: on its own).
    pub txn: Option<TxnHandle>,
}

/// Options of [`Backend::count`](super::Backend::count).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CountOptions {
    /// Documents to skip.
    pub skip: u64,
    /// At most this many (0 = no limit).
    pub limit: u64,
    /// Collation.
    pub collation: Option<Document>,
    /// Index hint.
    pub hint: Option<Bson>,
    /// The transaction the operation runs in (`None`: on its own).
    pub txn: Option<TxnHandle>,
}

/// Options of [`Backend::distinct`](super::Backend::distinct).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DistinctOptions {
    /// Collation.
    pub collation: Option<Document>,
    /// Index hint.
    pub hint: Option<Bson>,
    /// The transaction the operation runs in (`None`: on its own).
    pub txn: Option<TxnHandle>,
}

/// An update document (`{$set: ..}`) or an update pipeline (`[{$set: ..}]`).
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateModification {
    /// Update operators.
    Document(Document),
    /// An aggregation pipeline of `$set`/`$addFields`, `$project`, `$unset`,
    /// `$replaceRoot`/`$replaceWith` stages.
    Pipeline(Vec<Document>),
}

/// Options of [`Backend::update`](super::Backend::update).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct UpdateOptions {
    /// Update every matching document (`updateMany`), not just the first.
    pub multi: bool,
    /// Insert a document when none matches.
    pub upsert: bool,
    /// Filters for `$[<identifier>]`.
    pub array_filters: Option<Vec<Document>>,
    /// Which document an `updateOne` picks when several match.
    pub sort: Option<Document>,
    /// Collation.
    pub collation: Option<Document>,
    /// Variables for `$expr` and pipelines (`let`).
    pub let_vars: Option<Document>,
    /// Index hint.
    pub hint: Option<Bson>,
    /// Skip the collection's validator.
    pub bypass_document_validation: bool,
    /// The transaction the operation runs in (`None`: on its own).
    pub txn: Option<TxnHandle>,
}

/// Options of [`Backend::replace`](super::Backend::replace).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ReplaceOptions {
    /// Insert the replacement when nothing matches.
    pub upsert: bool,
    /// Which document is replaced when several match.
    pub sort: Option<Document>,
    /// Collation.
    pub collation: Option<Document>,
    /// Variables for `$expr` (`let`).
    pub let_vars: Option<Document>,
    /// Index hint.
    pub hint: Option<Bson>,
    /// Skip the collection's validator.
    pub bypass_document_validation: bool,
    /// The transaction the operation runs in (`None`: on its own).
    pub txn: Option<TxnHandle>,
}

/// Options of [`Backend::delete`](super::Backend::delete).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DeleteOptions {
    /// Delete every matching document (`deleteMany`).
    pub multi: bool,
    /// Collation.
    pub collation: Option<Document>,
    /// Variables for `$expr` (`let`).
    pub let_vars: Option<Document>,
    /// Index hint.
    pub hint: Option<Bson>,
    /// The transaction the operation runs in (`None`: on its own).
    pub txn: Option<TxnHandle>,
}

/// What [`Backend::find_and_modify`](super::Backend::find_and_modify) does to the document it finds.
#[derive(Debug, Clone, PartialEq)]
pub enum FindAndModifyAction {
    /// Apply an update.
    Update(UpdateModification),
    /// Replace it (keeping `_id`).
    Replace(RawDocumentBuf),
    /// Delete it.
    Remove,
}

/// Options of [`Backend::find_and_modify`](super::Backend::find_and_modify).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FindAndModifyOptions {
    /// Which document is picked when several match.
    pub sort: Option<Document>,
    /// Projection of the returned document.
    pub projection: Option<Document>,
    /// Insert when nothing matches (updates and replaces only).
    pub upsert: bool,
    /// Return the document after the change rather than before.
    pub return_new: bool,
    /// Filters for `$[<identifier>]`.
    pub array_filters: Option<Vec<Document>>,
    /// Collation.
    pub collation: Option<Document>,
    /// Variables (`let`).
    pub let_vars: Option<Document>,
    /// Index hint.
    pub hint: Option<Bson>,
    /// Skip the collection's validator.
    pub bypass_document_validation: bool,
    /// The transaction the operation runs in (`None`: on its own).
    pub txn: Option<TxnHandle>,
}

/// One write of a [`Backend::bulk_write`](super::Backend::bulk_write).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum WriteModel {
    /// Insert a document.
    InsertOne {
        /// The document (given an `ObjectId` `_id` when it has none).
        document: RawDocumentBuf,
    },
    /// Update the first matching document.
    UpdateOne {
        /// The filter.
        filter: Document,
        /// The update.
        update: UpdateModification,
        /// Upsert, array filters, sort, collation, hint.
        options: UpdateOptions,
    },
    /// Update every matching document.
    UpdateMany {
        /// The filter.
        filter: Document,
        /// The update.
        update: UpdateModification,
        /// Upsert, array filters, collation, hint.
        options: UpdateOptions,
    },
    /// Replace the first matching document.
    ReplaceOne {
        /// The filter.
        filter: Document,
        /// The new document.
        replacement: RawDocumentBuf,
        /// Upsert, sort, collation, hint.
        options: ReplaceOptions,
    },
    /// Delete the first matching document.
    DeleteOne {
        /// The filter.
        filter: Document,
        /// Collation, hint.
        options: DeleteOptions,
    },
    /// Delete every matching document.
    DeleteMany {
        /// The filter.
        filter: Document,
        /// Collation, hint.
        options: DeleteOptions,
    },
}

/// Options of [`Backend::bulk_write`](super::Backend::bulk_write).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BulkWriteOptions {
    /// Stop at the first failure (the default).
    pub ordered: bool,
    /// Variables (`let`) for every write.
    pub let_vars: Option<Document>,
    /// Skip the collection's validator.
    pub bypass_document_validation: bool,
    /// The transaction the operation runs in (`None`: on its own).
    pub txn: Option<TxnHandle>,
}

impl Default for BulkWriteOptions {
    fn default() -> Self {
        BulkWriteOptions {
            ordered: true,
            let_vars: None,
            bypass_document_validation: false,
            txn: None,
        }
    }
}

/// Options of [`Backend::aggregate`](super::Backend::aggregate).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AggregateOptions {
    /// Documents per batch on a wire.
    pub batch_size: Option<u32>,
    /// Collation.
    pub collation: Option<Document>,
    /// Variables (`let`).
    pub let_vars: Option<Document>,
    /// Index hint.
    pub hint: Option<Bson>,
    /// Allow spilling to disk (accepted, no effect in memory).
    pub allow_disk_use: Option<bool>,
    /// Skip the validator of a `$out`/`$merge` target.
    pub bypass_document_validation: bool,
    /// A comment for the server's logs.
    pub comment: Option<Bson>,
    /// The transaction the operation runs in (`None`: on its own).
    pub txn: Option<TxnHandle>,
}

/// Options of [`Backend::create_collection`](super::Backend::create_collection)
/// and [`Backend::modify_collection`](super::Backend::modify_collection).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct CreateCollectionOptions {
    /// A validator (a query document, usually `{$jsonSchema: ..}`).
    pub validator: Option<Document>,
    /// `"off"`, `"strict"` (default) or `"moderate"`.
    pub validation_level: Option<String>,
    /// `"error"` (default) or `"warn"`.
    pub validation_action: Option<String>,
    /// Make a view on this collection...
    pub view_on: Option<String>,
    /// ... through this pipeline.
    pub pipeline: Option<Vec<Document>>,
}

/// A collection as `listCollections` describes it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CollectionInfo {
    /// The collection's name.
    pub name: String,
    /// `"collection"` or `"view"`.
    pub kind: String,
    /// Its options.
    pub options: CreateCollectionOptions,
}

impl CollectionInfo {
    /// A collection of this name and kind.
    pub fn new(
        name: impl Into<String>,
        kind: impl Into<String>,
        options: CreateCollectionOptions,
    ) -> Self {
        CollectionInfo {
            name: name.into(),
            kind: kind.into(),
            options,
        }
    }
}

/// An index: its keys and options, as `createIndexes` takes them.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct IndexModel {
    /// The key pattern (`{email: 1}`, `{city: 1, age: -1}`, `{bio: "text"}`).
    pub keys: Document,
    /// The name (MongoDB's default `email_1` when `None`).
    pub name: Option<String>,
    /// Refuse duplicate keys.
    pub unique: bool,
    /// Leave out documents without the field.
    pub sparse: bool,
    /// Index only documents matching this filter.
    pub partial_filter: Option<Document>,
    /// Delete documents this many seconds after the date in the (single) key.
    pub expire_after_secs: Option<u64>,
    /// The collation of the index's string comparisons (`{locale: "fr", strength: 2}`).
    pub collation: Option<Document>,
    /// Text indexes: the weight of each text field (`{title: 10, body: 1}`).
    pub weights: Option<Document>,
    /// Text indexes: the language of stemming and stop words (`"english"` when `None`).
    pub default_language: Option<String>,
}

impl IndexModel {
    /// An index on `keys` with default options.
    pub fn new(keys: Document) -> Self {
        IndexModel {
            keys,
            ..Default::default()
        }
    }

    /// The index's name: the given one, or MongoDB's default (`a_1_b_-1`).
    pub fn effective_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        let mut parts = Vec::new();
        for (k, v) in &self.keys {
            let dir = match v {
                Bson::Int32(i) => i.to_string(),
                Bson::Int64(i) => i.to_string(),
                Bson::Double(d) => d.to_string(),
                Bson::String(s) => s.clone(),
                other => other.to_string(),
            };
            parts.push(format!("{k}_{dir}"));
        }
        parts.join("_")
    }
}

//! `Collection<M>`: the typed operations on the documents of one model.
//!
//! Every operation is a `#[must_use]` builder that runs when awaited (as in
//! the mongodb 3.x driver): options are chained methods, nothing happens
//! until `.await`.
//!
//! ```ignore
//! let users = db.collection::<User>();
//! users.insert_one(&mut alice).await?;                       // validates, assigns the id
//! let adults = users.find(User::fields().age.gte(18)).sort(User::fields().name.asc()).all().await?;
//! users.update_many(filter, update).await?;
//! users.replace_one(&mut alice).await?;                         // keeps _id
//! users.delete_many(filter).await?;
//! ```

mod aggregate;
mod bulk;
mod codec;
mod cursor;
mod explain;
mod indexes;
mod read;
mod save;
mod schema;
mod version;
mod write;

use std::fmt;
use std::marker::PhantomData;

use crate::backend::Namespace;
use crate::database::Database;
use crate::document::Document;

pub use aggregate::Aggregate;
pub use bulk::{BulkOp, BulkWrite};
pub use cursor::Cursor;
pub use explain::{Explain, ExplainFind};
pub use indexes::SyncIndexes;
pub use schema::{CheckSchema, SyncSchema, ValidationAction, ValidationLevel};

pub(crate) use codec::decode;
pub use read::{Count, Distinct, Find, FindAll, FindAs, FindOne};
pub use save::{FindTracked, Save, Tracked};
pub use write::{
    DeleteMany, DeleteOne, FindOneAndDelete, FindOneAndReplace, FindOneAndUpdate, InsertMany,
    InsertOne, ReplaceOne, ReturnDocument, UpdateMany, UpdateModel, UpdateOne,
};

pub use crate::backend::{BulkWriteResult, DeleteResult, UpdateResult};
pub use crate::schema::index::{IndexChange, IndexPlan, IndexSync};

/// The documents of model `M` in one collection of a [`Database`].
pub struct Collection<M> {
    db: Database,
    ns: Namespace,
    _model: PhantomData<fn() -> M>,
}

impl<M: Document> Collection<M> {
    pub(crate) fn new(db: Database, name: &str) -> Self {
        let ns = db.namespace(name);
        Collection {
            db,
            ns,
            _model: PhantomData,
        }
    }

    /// The collection's name.
    pub fn name(&self) -> &str {
        &self.ns.coll
    }

    /// `db.collection`.
    pub fn namespace(&self) -> &Namespace {
        &self.ns
    }

    /// The database this collection belongs to.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Drop the collection (dropping a missing one is not an error).
    pub async fn drop(&self) -> crate::Result<()> {
        self.db.backend().drop_collection(self.ns.clone()).await
    }
}

impl<M> Clone for Collection<M> {
    fn clone(&self) -> Self {
        Collection {
            db: self.db.clone(),
            ns: self.ns.clone(),
            _model: PhantomData,
        }
    }
}

impl<M> fmt::Debug for Collection<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Collection({})", self.ns)
    }
}

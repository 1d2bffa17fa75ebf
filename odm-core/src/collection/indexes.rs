//! The model's declared indexes against the collection's: `plan_indexes`
//! says what differs, `sync_indexes` applies it.

use std::future::IntoFuture;

use crate::backend::{BoxFuture, IndexModel};
use crate::document::Document;
use crate::error::{CommandError, Error, Result};
use crate::schema::index::{plan, IndexPlan, IndexSync};

use super::Collection;

impl<M: Document> Collection<M> {
    /// Compare the indexes `M` declares ([`Document::indexes`]) with the
    /// collection's: what to create, what nothing declares, what changed.
    /// Changes nothing. A missing collection has no indexes.
    pub async fn plan_indexes(&self) -> Result<IndexPlan> {
        let existing = self.existing_indexes().await?;
        Ok(plan(&M::indexes(), &existing))
    }

    /// Make the collection's indexes match the model's declarations: create
    /// the missing ones (in one `createIndexes`). An index with the same keys
    /// and options under another name is left as it is, so a second sync
    /// does nothing.
    ///
    /// Nothing is dropped unless `.drop_extra(true)`: then undeclared indexes
    /// are dropped, and changed ones dropped and created again. Without it, a
    /// changed index is an `IndexOptionsConflict` error naming the difference.
    pub fn sync_indexes(&self) -> SyncIndexes<M> {
        SyncIndexes {
            coll: self.clone(),
            drop_extra: false,
        }
    }

    async fn existing_indexes(&self) -> Result<Vec<IndexModel>> {
        match self.db.backend().list_indexes(self.ns.clone()).await {
            Err(Error::Command(e)) if e.code == NAMESPACE_NOT_FOUND => Ok(Vec::new()),
            other => other,
        }
    }
}

/// MongoDB's `NamespaceNotFound`: `listIndexes` on a missing collection.
const NAMESPACE_NOT_FOUND: i32 = 26;

/// A `sync_indexes`, awaiting to what it did.
#[must_use = "operations do nothing unless awaited"]
pub struct SyncIndexes<M> {
    coll: Collection<M>,
    drop_extra: bool,
}

impl<M: Document> SyncIndexes<M> {
    /// Also drop the indexes nothing declares, and re-create the changed ones.
    pub fn drop_extra(mut self, drop_extra: bool) -> Self {
        self.drop_extra = drop_extra;
        self
    }
}

impl<M: Document> IntoFuture for SyncIndexes<M> {
    type Output = Result<IndexSync>;
    type IntoFuture = BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let coll = &self.coll;
            let plan = coll.plan_indexes().await?;
            if !self.drop_extra {
                if let Some(change) = plan.changed.first() {
                    return Err(Error::Command(CommandError::new(
                        85,
                        "IndexOptionsConflict",
                        format!(
                            "index {} of {} differs from its declaration ({}): sync with \
                             .drop_extra(true) to drop it and create it as declared",
                            change.name,
                            coll.ns,
                            change.differences.join("; ")
                        ),
                    )));
                }
            }
            let backend = coll.db.backend();
            let mut done = IndexSync {
                created: plan.create.iter().map(IndexModel::effective_name).collect(),
                ..IndexSync::default()
            };
            let mut create = plan.create;
            if self.drop_extra {
                for name in &plan.drop {
                    backend.drop_index(coll.ns.clone(), name.clone()).await?;
                }
                done.dropped = plan.drop;
                for change in plan.changed {
                    backend
                        .drop_index(coll.ns.clone(), change.name.clone())
                        .await?;
                    done.recreated.extend(change.declared.name.clone());
                    create.push(change.declared);
                }
            } else {
                done.kept = plan.drop;
            }
            if !create.is_empty() {
                backend.create_indexes(coll.ns.clone(), create).await?;
            }
            Ok(done)
        })
    }
}

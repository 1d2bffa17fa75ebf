//! `bulk_write`: a mix of typed inserts, updates, replaces and deletes in one
//! command, with MongoDB's partial-failure reporting.

use std::future::IntoFuture;

use crate::backend::{
    BoxFuture, BulkWriteOptions, BulkWriteResult, DeleteOptions, ReplaceOptions,
    UpdateModification, UpdateOptions, WriteModel,
};
use crate::document::Document;
use crate::error::Result;
use crate::query::{Filter, Update};

use super::write::ensure_id;
use super::{codec, schema, Collection};

/// One write of a [`Collection::bulk_write`].
#[derive(Debug)]
#[non_exhaustive]
pub enum BulkOp<M> {
    /// Insert a model (validated; given an id if it has none).
    Insert(M),
    /// Update the first matching document.
    UpdateOne {
        /// Which document.
        filter: Filter<M>,
        /// The change.
        update: Update<M>,
        /// Insert when nothing matches.
        upsert: bool,
    },
    /// Update every matching document.
    UpdateMany {
        /// Which documents.
        filter: Filter<M>,
        /// The change.
        update: Update<M>,
        /// Insert when nothing matches.
        upsert: bool,
    },
    /// Replace the first matching document by a model (validated).
    ReplaceOne {
        /// Which document.
        filter: Filter<M>,
        /// The new content (its `_id` must match the stored one's, or be `None`).
        replacement: M,
        /// Insert when nothing matches.
        upsert: bool,
    },
    /// Delete the first matching document.
    DeleteOne(Filter<M>),
    /// Delete every matching document.
    DeleteMany(Filter<M>),
}

impl<M: Document> BulkOp<M> {
    /// Insert `model`.
    pub fn insert(model: M) -> Self {
        BulkOp::Insert(model)
    }

    /// Update the first document matching `filter`.
    pub fn update_one(filter: Filter<M>, update: Update<M>) -> Self {
        BulkOp::UpdateOne {
            filter,
            update,
            upsert: false,
        }
    }

    /// Update every document matching `filter`.
    pub fn update_many(filter: Filter<M>, update: Update<M>) -> Self {
        BulkOp::UpdateMany {
            filter,
            update,
            upsert: false,
        }
    }

    /// Replace the first document matching `filter`.
    pub fn replace_one(filter: Filter<M>, replacement: M) -> Self {
        BulkOp::ReplaceOne {
            filter,
            replacement,
            upsert: false,
        }
    }

    /// Delete the first document matching `filter`.
    pub fn delete_one(filter: Filter<M>) -> Self {
        BulkOp::DeleteOne(filter)
    }

    /// Delete every document matching `filter`.
    pub fn delete_many(filter: Filter<M>) -> Self {
        BulkOp::DeleteMany(filter)
    }

    /// Make an update or replace an upsert (no effect on inserts and deletes).
    pub fn upsert(mut self) -> Self {
        match &mut self {
            BulkOp::UpdateOne { upsert, .. }
            | BulkOp::UpdateMany { upsert, .. }
            | BulkOp::ReplaceOne { upsert, .. } => *upsert = true,
            _ => {}
        }
        self
    }
}

impl<M: Document> Collection<M> {
    /// Run several writes in one command. Ordered (the default) stops at the
    /// first failure; unordered tries every write. A failure is
    /// [`Error::BulkWrite`](crate::Error::BulkWrite) listing each failed
    /// write by index, with what was applied.
    ///
    /// Every model is validated and encoded before anything is sent: one
    /// invalid model rejects the whole batch. Typed updates are checked
    /// against the model's field rules, and bounded `$inc`/`$mul` get their
    /// guards (see [`crate::schema::rules`]); a document a guard keeps out
    /// is simply not matched (it shows in the counts, not as an error).
    pub fn bulk_write(&self, ops: Vec<BulkOp<M>>) -> BulkWrite<'_, M> {
        BulkWrite {
            coll: self,
            ops,
            options: BulkWriteOptions::default(),
        }
    }
}

/// A `bulk_write`, awaiting to a [`BulkWriteResult`].
#[must_use = "operations do nothing unless awaited"]
pub struct BulkWrite<'a, M> {
    coll: &'a Collection<M>,
    ops: Vec<BulkOp<M>>,
    options: BulkWriteOptions,
}

impl<M: Document> BulkWrite<'_, M> {
    /// `false`: try every write even after one fails.
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.options.ordered = ordered;
        self
    }
}

impl<'a, M: Document> IntoFuture for BulkWrite<'a, M> {
    type Output = Result<BulkWriteResult>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ns = &self.coll.ns;
            let mut models = Vec::with_capacity(self.ops.len());
            for op in self.ops {
                models.push(match op {
                    BulkOp::Insert(mut model) => {
                        codec::validate(ns, &model)?;
                        ensure_id(self.coll, &mut model)?;
                        WriteModel::InsertOne {
                            document: codec::encode(ns, &model)?,
                        }
                    }
                    BulkOp::UpdateOne {
                        filter,
                        update,
                        upsert,
                    } => {
                        let typed = update.is_typed();
                        let (update, array_filters) = codec::update(ns, update)?;
                        let guard = schema::check_update(self.coll, typed, &update)?;
                        WriteModel::UpdateOne {
                            filter: guard.apply(codec::filter(ns, filter)?),
                            update: UpdateModification::Document(update),
                            options: UpdateOptions {
                                upsert,
                                array_filters,
                                ..Default::default()
                            },
                        }
                    }
                    BulkOp::UpdateMany {
                        filter,
                        update,
                        upsert,
                    } => {
                        let typed = update.is_typed();
                        let (update, array_filters) = codec::update(ns, update)?;
                        let guard = schema::check_update(self.coll, typed, &update)?;
                        WriteModel::UpdateMany {
                            filter: guard.apply(codec::filter(ns, filter)?),
                            update: UpdateModification::Document(update),
                            options: UpdateOptions {
                                upsert,
                                multi: true,
                                array_filters,
                                ..Default::default()
                            },
                        }
                    }
                    BulkOp::ReplaceOne {
                        filter,
                        replacement,
                        upsert,
                    } => {
                        codec::validate(ns, &replacement)?;
                        WriteModel::ReplaceOne {
                            filter: codec::filter(ns, filter)?,
                            replacement: codec::encode(ns, &replacement)?,
                            options: ReplaceOptions {
                                upsert,
                                ..Default::default()
                            },
                        }
                    }
                    BulkOp::DeleteOne(filter) => WriteModel::DeleteOne {
                        filter: codec::filter(ns, filter)?,
                        options: DeleteOptions::default(),
                    },
                    BulkOp::DeleteMany(filter) => WriteModel::DeleteMany {
                        filter: codec::filter(ns, filter)?,
                        options: DeleteOptions {
                            multi: true,
                            ..Default::default()
                        },
                    },
                });
            }
            self.coll
                .db
                .backend()
                .bulk_write(ns.clone(), models, self.options)
                .await
                .map_err(|e| codec::server_error(ns, e))
        })
    }
}

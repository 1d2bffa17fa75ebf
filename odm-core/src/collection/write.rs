//! Writes: inserts (validated, ids assigned), updates, replaces, deletes and
//! the find-and-modify family.

use std::future::IntoFuture;

use bson::RawDocumentBuf;

use crate::backend::{
    BoxFuture, DeleteOptions, DeleteResult, FindAndModifyAction, FindAndModifyOptions,
    InsertOptions, ReplaceOptions, UpdateModification, UpdateOptions, UpdateResult,
};
use crate::document::Document;
use crate::error::{EncodeError, Error, Result};
use crate::query::{Filter, Sort, Update};
use crate::schema::rules::Guard;
use crate::value::IdValue;

use super::read::id_filter;
use super::{codec, schema, version, Collection};

impl<M: Document> Collection<M> {
    /// Insert one model: validate it, give it an id if it has none (written
    /// back into the model), store it. Returns the id.
    pub fn insert_one<'a>(&'a self, model: &'a mut M) -> InsertOne<'a, M> {
        InsertOne { coll: self, model }
    }

    /// Insert many models in one command. Every model is validated first: one
    /// invalid model rejects the batch before anything is written.
    pub fn insert_many<'a>(&'a self, models: &'a mut [M]) -> InsertMany<'a, M> {
        InsertMany {
            coll: self,
            models,
            options: InsertOptions::default(),
        }
    }

    /// Update the first document matching `filter`. On a model with a
    /// `#[odm(version)]` field the update also increments the version
    /// (unless it writes the version itself), so guarded writers that read
    /// the document before see a conflict.
    pub fn update_one(&self, filter: Filter<M>, update: Update<M>) -> UpdateOne<'_, M> {
        UpdateOne {
            op: UpdateOp::new(self, filter, update, false),
        }
    }

    /// Update every document matching `filter` (incrementing each one's
    /// `#[odm(version)]`, as [`update_one`](Self::update_one)).
    pub fn update_many(&self, filter: Filter<M>, update: Update<M>) -> UpdateMany<'_, M> {
        UpdateMany {
            op: UpdateOp::new(self, filter, update, true),
        }
    }

    /// Replace the stored document with the same `_id` by `model`, after
    /// validating it. A model whose document no longer exists is
    /// [`Error::NotFound`] (it is not resurrected), unless `.upsert(true)`.
    ///
    /// On a model with a `#[odm(version)]` field the replace only matches
    /// the version the model holds, stores the next one and moves the model
    /// to it; a document changed meanwhile is [`Error::Conflict`] and keeps
    /// the other writer's change.
    pub fn replace_one<'a>(&'a self, model: &'a mut M) -> ReplaceOne<'a, M> {
        ReplaceOne {
            coll: self,
            model,
            options: ReplaceOptions::default(),
        }
    }

    /// Apply `update` to `model`'s stored document (found by its `_id`).
    /// On a model with a `#[odm(version)]` field the update only matches the
    /// version the model holds and increments it (in the model too), so a
    /// document changed meanwhile is [`Error::Conflict`]. A document that no
    /// longer exists is [`Error::NotFound`]. The model's other fields are not
    /// refreshed: reload it to see the update's effect.
    pub fn update_model<'a>(&'a self, model: &'a mut M, update: Update<M>) -> UpdateModel<'a, M> {
        UpdateModel {
            coll: self,
            model,
            update,
        }
    }

    /// Delete the first document matching `filter`, applying the delete
    /// rules (`#[odm(on_delete)]`) of the models that reference `M`; see
    /// [`delete_rules`](crate::relation::delete_rules). Without rules, one command.
    pub fn delete_one(&self, filter: Filter<M>) -> DeleteOne<'_, M> {
        DeleteOne { coll: self, filter }
    }

    /// Delete every document matching `filter`, applying the delete rules of
    /// the models that reference `M` (as [`delete_one`](Self::delete_one)).
    pub fn delete_many(&self, filter: Filter<M>) -> DeleteMany<'_, M> {
        DeleteMany { coll: self, filter }
    }

    /// Atomically update the first document matching `filter` and return it
    /// as it was before (default) or after.
    pub fn find_one_and_update(
        &self,
        filter: Filter<M>,
        update: Update<M>,
    ) -> FindOneAndUpdate<'_, M> {
        FindOneAndUpdate {
            op: FindModifyOp::new(self, filter),
            update,
        }
    }

    /// Atomically replace the first document matching `filter` by `model`
    /// (keeping the stored `_id`) and return it as it was before or after.
    pub fn find_one_and_replace<'a>(
        &'a self,
        filter: Filter<M>,
        model: &'a M,
    ) -> FindOneAndReplace<'a, M> {
        FindOneAndReplace {
            op: FindModifyOp::new(self, filter),
            model,
        }
    }

    /// Atomically delete the first document matching `filter` and return it.
    /// Delete rules (`#[odm(on_delete)]`) apply, as for
    /// [`delete_one`](Self::delete_one).
    pub fn find_one_and_delete(&self, filter: Filter<M>) -> FindOneAndDelete<'_, M> {
        FindOneAndDelete {
            op: FindModifyOp::new(self, filter),
        }
    }
}

/// Give `model` an id if it has none, or explain why it cannot have one.
pub(super) fn ensure_id<M: Document>(coll: &Collection<M>, model: &mut M) -> Result<()> {
    if model.id().is_none() {
        let id = M::Id::generate().ok_or_else(|| Error::Encode {
            collection: coll.ns.coll.to_string(),
            error: EncodeError::new(format!(
                "the model has no id and ids of type `{}` cannot be generated: set one before inserting",
                std::any::type_name::<M::Id>()
            ))
            .at("_id"),
        })?;
        model.set_id(id);
    }
    Ok(())
}

/// Encode a model for a replacement; it must have an id to say what it replaces.
fn replacement<M: Document>(coll: &Collection<M>, model: &M) -> Result<RawDocumentBuf> {
    codec::validate(&coll.ns, model)?;
    codec::encode(&coll.ns, model)
}

/// An `insert_one`, awaiting to the document's id.
#[must_use = "operations do nothing unless awaited"]
pub struct InsertOne<'a, M> {
    coll: &'a Collection<M>,
    model: &'a mut M,
}

impl<'a, M: Document> IntoFuture for InsertOne<'a, M> {
    type Output = Result<M::Id>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ns = &self.coll.ns;
            codec::validate(ns, &*self.model)?;
            ensure_id(self.coll, self.model)?;
            let doc = codec::encode(ns, &*self.model)?;
            self.coll
                .db
                .backend()
                .insert(ns.clone(), vec![doc], InsertOptions::default())
                .await
                .map_err(|e| codec::single_write_error(ns, e))?;
            self.model.id().cloned().ok_or_else(|| Error::Backend {
                message: "the inserted model lost its id".into(),
                source: None,
            })
        })
    }
}

/// An `insert_many`, awaiting to the ids in model order.
#[must_use = "operations do nothing unless awaited"]
pub struct InsertMany<'a, M> {
    coll: &'a Collection<M>,
    models: &'a mut [M],
    options: InsertOptions,
}

impl<M: Document> InsertMany<'_, M> {
    /// `false`: try every model even after one fails (MongoDB's unordered insert).
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.options.ordered = ordered;
        self
    }
}

impl<'a, M: Document> IntoFuture for InsertMany<'a, M> {
    type Output = Result<Vec<M::Id>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ns = &self.coll.ns;
            for model in self.models.iter() {
                codec::validate(ns, model)?;
            }
            let mut docs = Vec::with_capacity(self.models.len());
            for model in self.models.iter_mut() {
                ensure_id(self.coll, model)?;
                docs.push(codec::encode(ns, &*model)?);
            }
            self.coll
                .db
                .backend()
                .insert(ns.clone(), docs, self.options)
                .await
                .map_err(|e| codec::server_error(ns, e))?;
            Ok(self.models.iter().filter_map(|m| m.id().cloned()).collect())
        })
    }
}

struct UpdateOp<'a, M> {
    coll: &'a Collection<M>,
    filter: Filter<M>,
    update: Update<M>,
    options: UpdateOptions,
}

impl<'a, M: Document> UpdateOp<'a, M> {
    fn new(coll: &'a Collection<M>, filter: Filter<M>, update: Update<M>, multi: bool) -> Self {
        let options = UpdateOptions {
            multi,
            ..Default::default()
        };
        UpdateOp {
            coll,
            filter,
            update,
            options,
        }
    }

    async fn run(mut self) -> Result<UpdateResult> {
        let ns = &self.coll.ns;
        let filter = codec::filter(ns, self.filter)?;
        let typed = self.update.is_typed();
        let (mut update, array_filters) = codec::update(ns, self.update)?;
        let guard = schema::check_update(self.coll, typed, &update)?;
        version::bump::<M>(&mut update);
        self.options.array_filters = array_filters;
        let single = !self.options.multi;
        // The unguarded filter is kept only when a refusal must be looked for.
        let (sent, unguarded) = if guard.is_empty() {
            (filter, None)
        } else {
            (guard.apply(filter.clone()), Some(filter))
        };
        let result = self
            .coll
            .db
            .backend()
            .update(
                ns.clone(),
                sent,
                UpdateModification::Document(update),
                self.options,
            )
            .await
            .map_err(|e| codec::single_write_error(ns, e))?;
        if let Some(filter) = unguarded.filter(|_| !single || result.matched_count == 0) {
            let limit = if single { 1 } else { 0 };
            schema::refusal(self.coll, filter, &guard, result.modified_count, limit).await?;
        }
        Ok(result)
    }
}

macro_rules! update_builder {
    ($name:ident, $what:literal) => {
        #[doc = concat!("An `", $what, "`, awaiting to an [`UpdateResult`].")]
        #[must_use = "operations do nothing unless awaited"]
        pub struct $name<'a, M> {
            op: UpdateOp<'a, M>,
        }

        impl<M: Document> $name<'_, M> {
            /// Insert a document built from the filter's equalities and the
            /// update when nothing matches.
            pub fn upsert(mut self, upsert: bool) -> Self {
                self.op.options.upsert = upsert;
                self
            }
        }

        impl<'a, M: Document> IntoFuture for $name<'a, M> {
            type Output = Result<UpdateResult>;
            type IntoFuture = BoxFuture<'a, Self::Output>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.op.run())
            }
        }
    };
}

update_builder!(UpdateOne, "update_one");
update_builder!(UpdateMany, "update_many");

/// A `replace_one`, awaiting to an [`UpdateResult`].
#[must_use = "operations do nothing unless awaited"]
pub struct ReplaceOne<'a, M> {
    coll: &'a Collection<M>,
    model: &'a mut M,
    options: ReplaceOptions,
}

impl<M: Document> ReplaceOne<'_, M> {
    /// Insert the model when its document does not exist.
    pub fn upsert(mut self, upsert: bool) -> Self {
        self.options.upsert = upsert;
        self
    }
}

impl<'a, M: Document> IntoFuture for ReplaceOne<'a, M> {
    type Output = Result<UpdateResult>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ns = &self.coll.ns;
            let id = self.model.id().ok_or_else(|| Error::Encode {
                collection: ns.coll.to_string(),
                error: EncodeError::new(
                    "a model without an id cannot replace a stored document; insert it first",
                )
                .at("_id"),
            })?;
            let by_id = id_filter::<M>(id).into_document();
            let expected = self.model.version();
            let filter = version::guard::<M>(by_id.clone(), expected);
            let doc = version::at_next_version(self.model, |m| replacement(self.coll, m))?;
            let upsert = self.options.upsert;
            let result = self
                .coll
                .db
                .backend()
                .replace(ns.clone(), filter, doc, self.options)
                .await
                .map_err(|e| match codec::single_write_error(ns, e) {
                    // An upsert of a versioned model whose document exists at
                    // another version tries to insert its `_id` again.
                    Error::DuplicateKey { index, .. }
                        if index == "_id_" && upsert && expected.is_some() =>
                    {
                        Error::Conflict {
                            collection: ns.coll.to_string(),
                            id: by_id
                                .get("_id")
                                .map(crate::value::display_bson)
                                .unwrap_or_default(),
                            expected_version: expected.unwrap_or_default(),
                        }
                    }
                    other => other,
                })?;
            if result.matched_count == 0 && result.upserted_id.is_none() && !upsert {
                return Err(version::no_match(self.coll, by_id, expected).await);
            }
            version::advance(self.model);
            Ok(result)
        })
    }
}

/// An `update_model`, awaiting to an [`UpdateResult`].
#[must_use = "operations do nothing unless awaited"]
pub struct UpdateModel<'a, M> {
    coll: &'a Collection<M>,
    model: &'a mut M,
    update: Update<M>,
}

impl<'a, M: Document> IntoFuture for UpdateModel<'a, M> {
    type Output = Result<UpdateResult>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ns = &self.coll.ns;
            let id = self.model.id().ok_or_else(|| Error::Encode {
                collection: ns.coll.to_string(),
                error: EncodeError::new("a model without an id has no stored document to update")
                    .at("_id"),
            })?;
            let by_id = id_filter::<M>(id).into_document();
            let expected = self.model.version();
            let (update, array_filters) = codec::update(ns, self.update)?;
            let options = UpdateOptions {
                array_filters,
                ..Default::default()
            };
            let result = version::update_by_id(self.coll, by_id, expected, update, options).await?;
            version::advance(self.model);
            Ok(result)
        })
    }
}

macro_rules! delete_builder {
    ($name:ident, $what:literal, $multi:expr) => {
        #[doc = concat!("A `", $what, "`, awaiting to a [`DeleteResult`].")]
        #[must_use = "operations do nothing unless awaited"]
        pub struct $name<'a, M> {
            coll: &'a Collection<M>,
            filter: Filter<M>,
        }

        impl<'a, M: Document> IntoFuture for $name<'a, M> {
            type Output = Result<DeleteResult>;
            type IntoFuture = BoxFuture<'a, Self::Output>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(async move {
                    let options = DeleteOptions {
                        multi: $multi,
                        ..Default::default()
                    };
                    let filter = codec::filter(&self.coll.ns, self.filter)?;
                    if crate::relation::delete_rules::has_rules::<M>() {
                        return crate::relation::delete_rules::delete_with_rules::<M>(
                            &self.coll.db,
                            &self.coll.ns,
                            filter,
                            $multi,
                        )
                        .await;
                    }
                    self.coll
                        .db
                        .backend()
                        .delete(self.coll.ns.clone(), filter, options)
                        .await
                })
            }
        }
    };
}

delete_builder!(DeleteOne, "delete_one", false);
delete_builder!(DeleteMany, "delete_many", true);

/// Which version of the document a find-and-modify returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnDocument {
    /// As it was before the change (MongoDB's default).
    #[default]
    Before,
    /// As it is after the change.
    After,
}

struct FindModifyOp<'a, M> {
    coll: &'a Collection<M>,
    filter: Filter<M>,
    options: FindAndModifyOptions,
}

impl<'a, M: Document> FindModifyOp<'a, M> {
    fn new(coll: &'a Collection<M>, filter: Filter<M>) -> Self {
        FindModifyOp {
            coll,
            filter,
            options: FindAndModifyOptions::default(),
        }
    }

    async fn run(self, action: FindAndModifyAction) -> Result<Option<M>> {
        self.run_guarded(action, &Guard::default()).await
    }

    /// Run with `guard` added to the filter; nothing found while the guard
    /// kept a matching document out is [`Error::Validation`].
    async fn run_guarded(self, action: FindAndModifyAction, guard: &Guard) -> Result<Option<M>> {
        let ns = &self.coll.ns;
        let filter = codec::filter(ns, self.filter)?;
        // The unguarded filter is kept only when a refusal must be looked for.
        let (sent, unguarded) = if guard.is_empty() {
            (filter, None)
        } else {
            (guard.apply(filter.clone()), Some(filter))
        };
        let found = self
            .coll
            .db
            .backend()
            .find_and_modify(ns.clone(), sent, action, self.options)
            .await
            .map_err(|e| codec::single_write_error(ns, e))?;
        if let Some(filter) = unguarded.filter(|_| found.is_none()) {
            schema::refusal(self.coll, filter, guard, 0, 1).await?;
        }
        found.map(|raw| codec::decode(ns, &raw)).transpose()
    }
}

macro_rules! find_modify_options {
    ($name:ident) => {
        impl<M: Document> $name<'_, M> {
            /// Which document is picked when several match.
            pub fn sort(mut self, sort: Sort<M>) -> Self {
                self.op.options.sort = Some(sort.into_document());
                self
            }
        }
    };
    ($name:ident, upsert) => {
        find_modify_options!($name);

        impl<M: Document> $name<'_, M> {
            /// Return the document as it was before or after the change.
            pub fn return_document(mut self, which: ReturnDocument) -> Self {
                self.op.options.return_new = which == ReturnDocument::After;
                self
            }

            /// Insert when nothing matches.
            pub fn upsert(mut self, upsert: bool) -> Self {
                self.op.options.upsert = upsert;
                self
            }
        }
    };
}

/// A `find_one_and_update`, awaiting to the document (before or after).
#[must_use = "operations do nothing unless awaited"]
pub struct FindOneAndUpdate<'a, M> {
    op: FindModifyOp<'a, M>,
    update: Update<M>,
}
find_modify_options!(FindOneAndUpdate, upsert);

impl<'a, M: Document> IntoFuture for FindOneAndUpdate<'a, M> {
    type Output = Result<Option<M>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(mut self) -> Self::IntoFuture {
        Box::pin(async move {
            let typed = self.update.is_typed();
            let (mut update, array_filters) = codec::update(&self.op.coll.ns, self.update)?;
            let guard = schema::check_update(self.op.coll, typed, &update)?;
            version::bump::<M>(&mut update);
            self.op.options.array_filters = array_filters;
            let action = FindAndModifyAction::Update(UpdateModification::Document(update));
            self.op.run_guarded(action, &guard).await
        })
    }
}

/// A `find_one_and_replace`, awaiting to the document (before or after).
#[must_use = "operations do nothing unless awaited"]
pub struct FindOneAndReplace<'a, M> {
    op: FindModifyOp<'a, M>,
    model: &'a M,
}
find_modify_options!(FindOneAndReplace, upsert);

impl<'a, M: Document> IntoFuture for FindOneAndReplace<'a, M> {
    type Output = Result<Option<M>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let doc = replacement(self.op.coll, self.model)?;
            self.op.run(FindAndModifyAction::Replace(doc)).await
        })
    }
}

/// A `find_one_and_delete`, awaiting to the deleted document.
#[must_use = "operations do nothing unless awaited"]
pub struct FindOneAndDelete<'a, M> {
    op: FindModifyOp<'a, M>,
}
find_modify_options!(FindOneAndDelete);

impl<'a, M: Document> IntoFuture for FindOneAndDelete<'a, M> {
    type Output = Result<Option<M>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            if !crate::relation::delete_rules::has_rules::<M>() {
                return self.op.run(FindAndModifyAction::Remove).await;
            }
            let FindModifyOp {
                coll,
                filter,
                options,
            } = self.op;
            let ns = &coll.ns;
            let filter = codec::filter(ns, filter)?;
            let found = crate::relation::delete_rules::find_and_delete_with_rules::<M>(
                &coll.db, ns, filter, options,
            )
            .await
            .map_err(|e| codec::single_write_error(ns, e))?;
            found.map(|raw| codec::decode(ns, &raw)).transpose()
        })
    }
}

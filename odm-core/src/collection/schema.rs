//! The model's schema applied to its collection: `sync_schema` installs the
//! `$jsonSchema` validator, `check_schema` scans stored documents for ones
//! the model cannot read, and the update paths check typed updates against
//! the model's field rules (adding range guards to their filters).

use std::future::IntoFuture;

use bson::{Bson, Document as BsonDocument};
use futures::StreamExt;

use crate::backend::{BoxFuture, CountOptions, CreateCollectionOptions, FindOptions};
use crate::document::Document;
use crate::error::{Error, Result, ValidationErrors};
use crate::schema::rules::{self, Guard};
use crate::schema::{SchemaProblem, SchemaReport};

use super::Collection;

/// Which writes the server validates (`validationLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValidationLevel {
    /// Every insert and update (MongoDB's default).
    #[default]
    Strict,
    /// Inserts, and updates of documents that were valid before.
    Moderate,
}

/// What the server does with an invalid write (`validationAction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValidationAction {
    /// Refuse it (code 121 `DocumentValidationFailure`; MongoDB's default).
    #[default]
    Error,
    /// Accept it and log a warning.
    Warn,
}

impl<M: Document> Collection<M> {
    /// Install the model's [`json_schema`](Document::json_schema) as the
    /// collection's validator: `create` when the collection does not exist
    /// yet, `collMod` when it does.
    pub fn sync_schema(&self) -> SyncSchema<'_, M> {
        SyncSchema {
            coll: self,
            level: ValidationLevel::default(),
            action: ValidationAction::default(),
        }
    }

    /// Read every stored document and report each one the model could not
    /// read, with every problem of it (missing, wrongly typed or, when the
    /// model denies unknown fields, extra fields), without stopping at the
    /// first. For data written by other programs.
    pub fn check_schema(&self) -> CheckSchema<'_, M> {
        CheckSchema { coll: self }
    }
}

/// A `sync_schema`, awaiting to `()`.
#[must_use = "operations do nothing unless awaited"]
pub struct SyncSchema<'a, M> {
    coll: &'a Collection<M>,
    level: ValidationLevel,
    action: ValidationAction,
}

impl<M: Document> SyncSchema<'_, M> {
    /// Which writes are validated (default `Strict`).
    pub fn level(mut self, level: ValidationLevel) -> Self {
        self.level = level;
        self
    }

    /// What an invalid write does (default `Error`).
    pub fn action(mut self, action: ValidationAction) -> Self {
        self.action = action;
        self
    }
}

impl<'a, M: Document> IntoFuture for SyncSchema<'a, M> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ns = &self.coll.ns;
            let backend = self.coll.db.backend();
            let options = CreateCollectionOptions {
                validator: Some(bson::doc! {"$jsonSchema": M::json_schema()}),
                validation_level: Some(
                    match self.level {
                        ValidationLevel::Strict => "strict",
                        ValidationLevel::Moderate => "moderate",
                    }
                    .into(),
                ),
                validation_action: Some(
                    match self.action {
                        ValidationAction::Error => "error",
                        ValidationAction::Warn => "warn",
                    }
                    .into(),
                ),
                ..Default::default()
            };
            let exists = backend
                .list_collections(ns.db.to_string())
                .await?
                .iter()
                .any(|c| c.name == *ns.coll);
            if !exists {
                match backend.create_collection(ns.clone(), options.clone()).await {
                    // Created meanwhile by someone else: modify it instead.
                    Err(Error::Command(e)) if e.code == 48 => {}
                    other => return other,
                }
            }
            backend.modify_collection(ns.clone(), options).await
        })
    }
}

/// A `check_schema`, awaiting to a [`SchemaReport`].
#[must_use = "operations do nothing unless awaited"]
pub struct CheckSchema<'a, M> {
    coll: &'a Collection<M>,
}

impl<'a, M: Document> IntoFuture for CheckSchema<'a, M> {
    type Output = Result<SchemaReport>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ns = &self.coll.ns;
            let mut stream = self
                .coll
                .db
                .backend()
                .find(ns.clone(), BsonDocument::new(), FindOptions::default())
                .await?;
            let mut report = SchemaReport::default();
            while let Some(raw) = stream.next().await {
                let raw = raw?;
                report.checked += 1;
                let problems = M::check_document(&raw);
                if problems.is_empty() {
                    continue;
                }
                let id = raw
                    .get("_id")
                    .ok()
                    .flatten()
                    .and_then(|v| Bson::try_from(v).ok())
                    .unwrap_or(Bson::Null);
                report.problems.extend(
                    problems
                        .into_iter()
                        .map(|e| SchemaProblem::new(id.clone(), e)),
                );
            }
            Ok(report)
        })
    }
}

/// The guards a typed update needs, or why its values break the model's
/// rules. Raw updates (`typed == false`) are not checked.
pub(super) fn check_update<M: Document>(
    coll: &Collection<M>,
    typed: bool,
    update: &BsonDocument,
) -> Result<Guard> {
    if !typed {
        return Ok(Guard::default());
    }
    rules::check_update(M::field_rules(), update).map_err(|errors| Error::Validation {
        collection: coll.ns.coll.to_string(),
        errors,
    })
}

/// After a guarded update: the documents `filter` matches that the guard
/// kept out, as [`Error::Validation`] (none: `Ok`). `limit` 1 for
/// single-document updates.
pub(super) async fn refusal<M: Document>(
    coll: &Collection<M>,
    filter: BsonDocument,
    guard: &Guard,
    updated: u64,
    limit: u64,
) -> Result<()> {
    let options = CountOptions {
        limit,
        ..Default::default()
    };
    let refused = coll
        .db
        .backend()
        .count(coll.ns.clone(), guard.refused(filter), options)
        .await?;
    if refused == 0 {
        return Ok(());
    }
    let mut errors = ValidationErrors {
        fields: guard.refusal.clone(),
    };
    for e in &mut errors.fields {
        e.message = format!(
            "{}: the update was refused for {refused} matching document(s) ({updated} updated)",
            e.message
        );
    }
    Err(Error::Validation {
        collection: coll.ns.coll.to_string(),
        errors,
    })
}

//! The update applier: an update document (or pipeline) compiled once and
//! applied to documents with MongoDB's semantics and errors.
//!
//! STUB: the interface is fixed; the implementation lands with the query issue.

use bson::Document;

use crate::backend::UpdateModification;
use crate::error::CommandError;

/// What the applier needs to know about the document being updated.
#[derive(Debug, Clone, Default)]
pub struct ApplyContext {
    /// For the positional `$` operator: the array index the filter matched.
    pub positional: Option<usize>,
    /// The update runs on the document an upsert is inserting (`$setOnInsert` applies).
    pub is_insert: bool,
    /// `$currentDate` and `$$NOW`.
    pub now: Option<bson::DateTime>,
}

/// A compiled update.
#[derive(Debug, Clone)]
pub struct UpdatePlan {
    _update: UpdateModification,
}

impl UpdatePlan {
    /// Compile an update document or pipeline with its array filters and `let` variables.
    /// An update document without operators, or with conflicting paths, is an error.
    pub fn compile(
        update: &UpdateModification,
        _array_filters: Option<&[Document]>,
        _let_vars: Option<&Document>,
    ) -> Result<Self, CommandError> {
        Ok(UpdatePlan {
            _update: update.clone(),
        })
    }

    /// Apply to `doc` in place; `Ok(true)` if it changed. On error `doc` is unchanged.
    pub fn apply(&self, _doc: &mut Document, _ctx: &ApplyContext) -> Result<bool, CommandError> {
        Err(CommandError::new(
            238,
            "NotImplemented",
            "updates not implemented yet",
        ))
    }
}

/// The document an upsert starts from: the equality parts of `filter`
/// (`{a: 1, "b.c": 2, $and: [{d: 3}]}` → `{a: 1, b: {c: 2}, d: 3}`).
pub fn upsert_seed(_filter: &Document) -> Result<Document, CommandError> {
    Ok(Document::new())
}

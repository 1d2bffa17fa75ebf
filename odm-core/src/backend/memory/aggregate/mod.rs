//! Aggregation in the in-memory engine: the expression evaluator (also used by
//! `$expr` in filters and by update pipelines) and the pipeline stages.
//!
//! STUB: the interface is fixed; the implementation lands with the aggregation issue.

pub mod expr;

use bson::Document;

use crate::error::CommandError;

/// Run `pipeline` over `input` (the documents of the source collection, or of
/// `$documents`). `lookup` reads other collections of the same database for
/// `$lookup`; `$out`/`$merge` are handled by the caller after this returns.
pub fn run_pipeline(
    _input: Vec<Document>,
    _pipeline: &[Document],
    _vars: &expr::Vars,
    _lookup: &dyn Fn(&str) -> Result<Vec<Document>, CommandError>,
) -> Result<Vec<Document>, CommandError> {
    Err(CommandError::new(
        238,
        "NotImplemented",
        "aggregation not implemented yet",
    ))
}

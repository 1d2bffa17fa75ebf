//! Aggregation in the in-memory engine: the expression evaluator (also used by
//! `$expr` in filters and by update pipelines) and the pipeline stages.
//!
//! A pipeline is compiled stage by stage before any document is read, so a
//! malformed stage fails even on an empty collection, as in MongoDB.

pub mod expr;
mod output;
mod stages;

use bson::Document;

use crate::error::CommandError;

pub use output::{split_output, OutputStage, WhenMatched, WhenNotMatched};
/// `$set`/`$addFields`, `$project` and `$unset`, shared with update pipelines.
pub(crate) use stages::Projector;

/// Run `pipeline` over `input` (the documents of the source collection, or of
/// `$documents`). `lookup` reads other collections of the same database for
/// `$lookup`; `$out`/`$merge` are handled by the caller after this returns.
///
/// A final `$out`/`$merge` is accepted and ignored here (see
/// [`split_output`]); anywhere else it is MongoDB's error 40601.
pub fn run_pipeline(
    input: Vec<Document>,
    pipeline: &[Document],
    vars: &expr::Vars,
    lookup: &dyn Fn(&str) -> Result<Vec<Document>, CommandError>,
) -> Result<Vec<Document>, CommandError> {
    let (body, _) = split_output(pipeline)?;
    let ctx = stages::Ctx { vars, lookup };
    let compiled = stages::compile(body, &ctx, true)?;
    stages::run(&compiled, input, &ctx)
}

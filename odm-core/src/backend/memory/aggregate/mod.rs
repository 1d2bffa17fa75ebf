//! Aggregation in the in-memory engine: the expression evaluator (also used by
//! `$expr` in filters and by update pipelines) and the pipeline stages.
//!
//! A pipeline is compiled stage by stage before any document is read, so a
//! malformed stage fails even on an empty collection, as in MongoDB.
//!
//! Stages: `$match`, `$project`, `$addFields`/`$set`, `$unset`, `$group`,
//! `$sort`, `$skip`, `$limit`, `$count`, `$unwind`, `$lookup` (equality,
//! `let` + `pipeline`, or both), `$graphLookup`, `$replaceRoot`/`$replaceWith`,
//! `$facet`, `$sortByCount`, `$sample`, `$documents`, `$bucket`,
//! `$bucketAuto` (no `granularity`), `$unionWith`, `$redact`,
//! `$setWindowFields` (with `$locf` and `$linearFill`), `$fill` and
//! `$densify`; `$out`/`$merge` are parsed by [`split_output`] for the caller
//! to write. Expressions are in [`expr`].
//!
//! Over a collection, [`run_pipeline_raw`] starts from the stored raw
//! documents and decodes only what the pipeline reads (see `source`).
//!
//! Known approximations: Decimal128 division, roots and logarithms go
//! through `f64` (sums, differences and products are exact). Time zones are
//! UTC, fixed offsets or Olson names (`chrono-tz`'s IANA database).

pub(crate) mod deps;
pub mod expr;
mod output;
mod raw;
mod source;
mod stages;

use bson::raw::RawDocument;
use bson::Document;

use super::collation::Collation;
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
    run_pipeline_collated(input, pipeline, vars, lookup, None)
}

/// [`run_pipeline`] with the command's collation, which `$match` and `$sort`
/// compare strings with (`None`: binary order).
pub fn run_pipeline_collated(
    input: Vec<Document>,
    pipeline: &[Document],
    vars: &expr::Vars,
    lookup: &dyn Fn(&str) -> Result<Vec<Document>, CommandError>,
    collation: Option<&Collation>,
) -> Result<Vec<Document>, CommandError> {
    with_compiled(pipeline, vars, lookup, collation, |compiled, ctx| {
        stages::run(compiled, input, ctx)
    })
}

/// [`run_pipeline_collated`] over a collection's stored documents: leading
/// `$match` stages test the raw bytes, a `$group` after them reads only the
/// values it groups and accumulates, and otherwise each document is decoded
/// only to the top-level fields the pipeline can read.
pub fn run_pipeline_raw<'r>(
    input: impl IntoIterator<Item = &'r RawDocument>,
    pipeline: &[Document],
    vars: &expr::Vars,
    lookup: &dyn Fn(&str) -> Result<Vec<Document>, CommandError>,
    collation: Option<&Collation>,
) -> Result<Vec<Document>, CommandError> {
    with_compiled(pipeline, vars, lookup, collation, |compiled, ctx| {
        source::run(input, compiled, ctx)
    })
}

/// Compile `pipeline` (without its `$out`/`$merge`) and hand it to `run`.
fn with_compiled<T>(
    pipeline: &[Document],
    vars: &expr::Vars,
    lookup: &dyn Fn(&str) -> Result<Vec<Document>, CommandError>,
    collation: Option<&Collation>,
    run: impl FnOnce(&[stages::Stage], &stages::Ctx<'_>) -> Result<T, CommandError>,
) -> Result<T, CommandError> {
    let (body, _) = split_output(pipeline)?;
    let ctx = stages::Ctx {
        vars,
        lookup,
        collation,
    };
    let compiled = stages::compile(body, &ctx, true)?;
    run(&compiled, &ctx)
}

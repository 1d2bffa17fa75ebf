//! Reads that go through pipelines: `find` on a collection or a view, the
//! documents a view produces, and the `aggregate` command (collectionless
//! `$documents` included). `$out` and `$merge` live in [`super::out`].

use bson::raw::RawDocumentBuf;
use bson::Document;

use super::aggregate::{self, expr};
use super::catalog::Entry;
use super::collation::Collation;
use super::plan;
use super::projection::Projection;
use super::read::{self, Order, Selector};
use super::sort::SortSpec;
use super::MemoryBackend;
use crate::backend::{AggregateOptions, FindOptions, Namespace};
use crate::error::{CommandError, Result};

/// Views on views deeper than this are refused (MongoDB's limit is 20).
const MAX_VIEW_DEPTH: usize = 20;

fn internal(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(1, "InternalError", e.to_string())
}

/// Encode pipeline output for the cursor.
pub(crate) fn to_raw(docs: Vec<Document>) -> Result<Vec<RawDocumentBuf>, CommandError> {
    docs.iter()
        .map(|d| RawDocumentBuf::try_from(d).map_err(internal))
        .collect()
}

impl MemoryBackend {
    /// `find`: select, sort, skip, limit, project.
    pub(crate) fn find_docs(
        &self,
        ns: &Namespace,
        filter: &Document,
        options: &FindOptions,
    ) -> Result<Vec<RawDocumentBuf>> {
        let collation = Collation::from_option(options.collation.as_deref())?;
        let selector =
            Selector::with_collation(filter, options.let_vars.as_deref(), collation.as_ref())?;
        let sort = options
            .sort
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| SortSpec::compile_with_collation(s, collation.as_ref()))
            .transpose()?;
        let projection = options
            .projection
            .as_ref()
            .filter(|p| !p.is_empty())
            .map(Projection::compile)
            .transpose()?;
        let docs = match self.catalog.entry(ns) {
            None => Vec::new(),
            Some(Entry::Collection(c)) => {
                let state = c.read();
                let hint = state.indexes.resolve_hint(options.hint.as_deref())?;
                let fields = options.sort.as_ref().and_then(plan::sort_fields);
                let order = match (&sort, &fields) {
                    (Some(spec), Some(fields)) => Some(Order { fields, spec }),
                    _ => None,
                };
                let hits = selector.select(&state, order, hint, options.skip, options.limit)?;
                read::project(&hits, projection.as_ref())?
            }
            Some(Entry::View(_)) => {
                let source = self.view_docs(ns)?;
                let hits = selector.select_from(
                    source.iter().enumerate().map(|(i, d)| (i, d.as_ref())),
                    sort.as_ref(),
                    options.skip,
                    options.limit,
                )?;
                read::project(&hits, projection.as_ref())?
            }
        };
        Ok(docs)
    }

    /// The documents a view produces, encoded.
    pub(crate) fn view_docs(&self, ns: &Namespace) -> Result<Vec<RawDocumentBuf>> {
        Ok(to_raw(self.source_documents(ns, 0)?)?)
    }

    /// The documents of a collection, or of a view (its pipeline applied),
    /// decoded for the aggregation engine. Missing collections are empty.
    pub(crate) fn source_documents(
        &self,
        ns: &Namespace,
        depth: usize,
    ) -> Result<Vec<Document>, CommandError> {
        match self.catalog.entry(ns) {
            None => Ok(Vec::new()),
            Some(Entry::Collection(c)) => {
                let state = c.read();
                state
                    .store
                    .iter()
                    .map(|(_, d)| Document::try_from(d).map_err(internal))
                    .collect()
            }
            Some(Entry::View(view)) => {
                if depth >= MAX_VIEW_DEPTH {
                    return Err(CommandError::new(
                        13,
                        "ViewDepthLimitExceeded",
                        format!("View depth too deep or view cycle detected; maximum depth is {MAX_VIEW_DEPTH}"),
                    ));
                }
                let source = Namespace::new(ns.db.clone(), view.view_on.as_str());
                let input = self.source_documents(&source, depth + 1)?;
                let vars = expr::Vars::new(None)?;
                self.run(ns, input, &view.pipeline, &vars, None)
            }
        }
    }

    /// Run a pipeline whose `$lookup`s read the same database.
    fn run(
        &self,
        ns: &Namespace,
        input: Vec<Document>,
        pipeline: &[Document],
        vars: &expr::Vars,
        collation: Option<&Collation>,
    ) -> Result<Vec<Document>, CommandError> {
        let lookup = |coll: &str| self.source_documents(&Namespace::new(ns.db.clone(), coll), 0);
        aggregate::run_pipeline_collated(input, pipeline, vars, &lookup, collation)
    }

    /// The `aggregate` command.
    pub(crate) fn aggregate_docs(
        &self,
        ns: &Namespace,
        pipeline: &[Document],
        options: &AggregateOptions,
    ) -> Result<Vec<RawDocumentBuf>> {
        let vars = expr::Vars::new(options.let_vars.as_ref())?;
        let (stages, output) = aggregate::split_output(pipeline)?;
        let collation = Collation::from_option(options.collation.as_ref())?;
        let results = match self.catalog.entry(ns) {
            // Stored documents go in raw: the pipeline decodes what it reads.
            Some(Entry::Collection(c)) if &*ns.coll != "1" => {
                // A snapshot, so `$lookup` on this collection can lock it again.
                let docs: Vec<_> = {
                    let state = c.read();
                    let store = &state.store;
                    let leading_match = stages.first().and_then(|s| s.get_document("$match").ok());
                    match leading_match {
                        // An index narrows what the leading `$match` (still run) reads.
                        Some(filter) => plan::candidate_docs(&state, filter, collation.is_some())
                            .filter_map(|(slot, _)| store.get(slot).cloned())
                            .collect(),
                        None => store
                            .iter()
                            .filter_map(|(slot, _)| store.get(slot).cloned())
                            .collect(),
                    }
                };
                let lookup =
                    |coll: &str| self.source_documents(&Namespace::new(ns.db.clone(), coll), 0);
                aggregate::run_pipeline_raw(
                    docs.iter().map(|d| &**d),
                    stages,
                    &vars,
                    &lookup,
                    collation.as_ref(),
                )?
            }
            _ => {
                let input = if &*ns.coll == "1" {
                    collectionless(stages)?;
                    Vec::new()
                } else {
                    self.source_documents(ns, 0)?
                };
                self.run(ns, input, stages, &vars, collation.as_ref())?
            }
        };
        match output {
            None => Ok(to_raw(results)?),
            Some(stage) => {
                self.write_output(ns, stage, results, options)?;
                Ok(Vec::new())
            }
        }
    }
}

/// A collectionless pipeline (`aggregate: 1`) must start with `$documents`,
/// which the pipeline itself evaluates.
fn collectionless(stages: &[Document]) -> Result<(), CommandError> {
    match stages.first() {
        Some(first) if first.contains_key("$documents") => Ok(()),
        first => {
            let name = first
                .and_then(|f| f.keys().next().cloned())
                .unwrap_or_default();
            Err(CommandError::new(
                73,
                "InvalidNamespace",
                format!("{{aggregate: 1}} is not valid for '{name}'; a collection is required."),
            ))
        }
    }
}

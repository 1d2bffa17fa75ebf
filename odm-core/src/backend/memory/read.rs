//! Reads: selecting the documents a filter matches (once compiled), sorting,
//! skipping, limiting and projecting them; `count` and `distinct`.
//!
//! Selection works over any sequence of `(slot, document)`, so the same code
//! reads a collection's store and the output of a view's pipeline.

use std::collections::HashSet;

use bson::raw::{RawBsonRef, RawDocument, RawDocumentBuf};
use bson::{Bson, Document};

use super::catalog::CollState;
use super::collation::Collation;
use super::compare::compare_collated;
use super::indexes::Hint;
use super::matcher::Matcher;
use super::path::values_at;
use super::plan::{self, Access, Analysis, Plan, Stats};
use super::projection::Projection;
use super::sort::SortSpec;
use super::store::ValueKey;
use crate::error::CommandError;

/// A matching document, with its slot and the array index the filter matched
/// (for the positional `$` of projections and updates).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit<'a> {
    /// Where the document is stored.
    pub slot: usize,
    /// The document.
    pub doc: &'a RawDocument,
    /// The positional index, if an array matched.
    pub positional: Option<usize>,
}

/// A compiled filter plus what the planner knows of it.
#[derive(Debug)]
pub(crate) struct Selector {
    matcher: Matcher,
    /// The filter's bounds, for the planner.
    analysis: Analysis,
    /// The collation the filter compares strings with, which a sort of the
    /// selected documents uses too.
    collation: Option<Collation>,
}

/// A sort: its document (which the planner matches against index
/// patterns) and its compiled form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Order<'s> {
    /// The fields and directions.
    pub fields: &'s [(String, bool)],
    /// The compiled sort.
    pub spec: &'s SortSpec,
}

impl Selector {
    /// Compile `filter` with `let` variables, comparing strings under
    /// `collation` (`None`: binary order).
    pub fn with_collation(
        filter: &Document,
        let_vars: Option<&Document>,
        collation: Option<&Collation>,
    ) -> Result<Self, CommandError> {
        let matcher = Matcher::compile_with_collation(filter, let_vars, collation)?;
        Ok(Selector {
            // Hash lookups and index keys are binary: a collation keeps
            // strings out of the bounds.
            analysis: Analysis::new(filter, collation.is_some()),
            matcher,
            collation: collation.cloned(),
        })
    }

    /// The collation strings compare under, if not binary.
    pub fn collation(&self) -> Option<&Collation> {
        self.collation.as_ref()
    }

    /// Whether `doc` matches; `Some(positional)` if it does.
    pub fn test(&self, doc: &RawDocument) -> Result<Option<Option<usize>>, CommandError> {
        if self.matcher.is_match_all() {
            return Ok(Some(None));
        }
        self.matcher.matches_positional(doc)
    }

    /// The plan for reading `state` with this filter, `sort` and `hint`.
    pub fn plan(&self, state: &CollState, sort: Option<&[(String, bool)]>, hint: Hint) -> Plan {
        plan::choose(state, &self.analysis, sort, hint, self.collation.is_some())
    }

    /// The matching documents of a collection, in natural order, or sorted
    /// by `sort`; at most `limit` (0 = all) after skipping `skip`.
    pub fn select<'a>(
        &self,
        state: &'a CollState,
        sort: Option<Order<'_>>,
        hint: Hint,
        skip: u64,
        limit: u64,
    ) -> Result<Vec<Hit<'a>>, CommandError> {
        let plan = self.plan(state, sort.map(|o| o.fields), hint);
        Ok(self.select_planned(state, &plan, sort, skip, limit)?.0)
    }

    /// [`select`](Self::select) with a given plan, with its statistics.
    pub fn select_planned<'a>(
        &self,
        state: &'a CollState,
        plan: &Plan,
        sort: Option<Order<'_>>,
        skip: u64,
        limit: u64,
    ) -> Result<(Vec<Hit<'a>>, Stats), CommandError> {
        let mut stats = Stats::default();
        let docs = plan::candidates(state, plan, &mut stats);
        let walked = matches!(plan.access, Access::Index { walk: true, .. });
        let sort = if plan.sorted {
            None
        } else {
            sort.map(|o| o.spec)
        };
        let mut examined = 0u64;
        let counted = docs.inspect(|_| examined += 1);
        let hits = self.select_from(counted, sort, skip, limit)?;
        stats.docs_examined = examined;
        if walked {
            stats.keys_examined += examined;
        }
        Ok((hits, stats))
    }

    /// [`select`](Self::select) over any documents.
    pub fn select_from<'a>(
        &self,
        docs: impl Iterator<Item = (usize, &'a RawDocument)>,
        sort: Option<&SortSpec>,
        skip: u64,
        limit: u64,
    ) -> Result<Vec<Hit<'a>>, CommandError> {
        let mut hits = Vec::new();
        // Without a sort the scan stops as soon as the window is full.
        let enough = match (sort, limit) {
            (None, l) if l > 0 => Some(skip.saturating_add(l)),
            _ => None,
        };
        for (slot, doc) in docs {
            if let Some(positional) = self.test(doc)? {
                hits.push(Hit {
                    slot,
                    doc,
                    positional,
                });
                if enough.is_some_and(|n| hits.len() as u64 >= n) {
                    break;
                }
            }
        }
        if let Some(sort) = sort {
            // Extract each key once; the sort is stable, so ties keep natural order.
            let mut keyed: Vec<_> = hits.into_iter().map(|h| (sort.key(h.doc), h)).collect();
            keyed.sort_by(|a, b| sort.compare_keys(&a.0, &b.0));
            hits = keyed.into_iter().map(|(_, h)| h).collect();
        }
        Ok(window(hits, skip, limit))
    }

    /// How many documents of a collection match, through the planner.
    pub fn count_in(&self, state: &CollState, hint: Hint) -> Result<u64, CommandError> {
        if hint == Hint::Auto && self.matcher.is_match_all() {
            return Ok(state.store.len() as u64);
        }
        let plan = self.plan(state, None, hint);
        let docs = plan::candidates(state, &plan, &mut Stats::default());
        self.count(docs.map(|(_, d)| d))
    }

    /// How many documents of `docs` match, without materialising them.
    pub fn count<'a>(
        &self,
        docs: impl Iterator<Item = &'a RawDocument>,
    ) -> Result<u64, CommandError> {
        let mut n = 0u64;
        for doc in docs {
            if self.test(doc)?.is_some() {
                n += 1;
            }
        }
        Ok(n)
    }
}

fn window(hits: Vec<Hit<'_>>, skip: u64, limit: u64) -> Vec<Hit<'_>> {
    let skip = usize::try_from(skip).unwrap_or(usize::MAX);
    let take = if limit == 0 {
        usize::MAX
    } else {
        usize::try_from(limit).unwrap_or(usize::MAX)
    };
    hits.into_iter().skip(skip).take(take).collect()
}

/// Apply `projection` to each hit (owned copies only of what is returned).
pub(crate) fn project(
    hits: &[Hit<'_>],
    projection: Option<&Projection>,
) -> Result<Vec<RawDocumentBuf>, CommandError> {
    hits.iter()
        .map(|h| match projection {
            Some(p) => p.apply(h.doc, h.positional),
            None => Ok(h.doc.to_owned()),
        })
        .collect()
}

/// `count` with skip and limit applied to the number of matches.
pub(crate) fn apply_count_window(matches: u64, skip: u64, limit: u64) -> u64 {
    let n = matches.saturating_sub(skip);
    if limit == 0 {
        n
    } else {
        n.min(limit)
    }
}

/// The distinct values of `key` among `docs`, deduplicated with MongoDB
/// equality and in ascending BSON order.
pub(crate) fn distinct<'a>(
    docs: impl Iterator<Item = &'a RawDocument>,
    key: &str,
    collation: Option<&Collation>,
) -> Result<Vec<Bson>, CommandError> {
    let mut seen = HashSet::new();
    let mut values: Vec<RawBsonRef<'a>> = Vec::new();
    for doc in docs {
        for v in values_at(doc, key) {
            if seen.insert(ValueKey::of(v)) {
                values.push(v);
            }
        }
    }
    values.sort_by(|a, b| compare_collated(*a, *b, collation));
    if collation.is_some() {
        // Values equal under the collation ("a", "A") are one value; the
        // stable sort keeps the first one seen.
        values.dedup_by(|a, b| compare_collated(*a, *b, collation).is_eq());
    }
    values
        .into_iter()
        .map(|v| {
            Bson::try_from(v).map_err(|e| CommandError::new(1, "InternalError", e.to_string()))
        })
        .collect()
}

//! The query planner: which documents a filter needs to look at.
//!
//! A filter is analysed once ([`Analysis`]): its top-level conjuncts (and
//! those of a top-level `$and`) give, per field, equality points (`v`,
//! `$eq`, `$in`) and ranges (`$gt`, `$gte`, `$lt`, `$lte`). [`choose`]
//! then picks an access path: `_id` hash lookups, an index scan over the
//! bounds of an index's leading field(s), an index walk that yields the
//! requested sort order, or a collection scan.
//!
//! An index only ever narrows the documents tested: the full filter is still
//! applied to each candidate, so null and missing fields, arrays and type
//! bracketing keep their exact semantics; the bounds only have to never miss
//! a match. They are therefore inclusive, one range per field on a multikey
//! index (a document `{a: [1, 10]}` matches `{a: {$gt: 5, $lt: 3}}`), and
//! widened around numbers when decimals are involved. Anything the planner
//! cannot bound (`$or`, `$ne`, `$regex`, `$exists`, nulls, arrays, strings
//! under a collation, partial indexes the filter does not imply) scans.

mod analysis;
mod bounds;
mod scan;
#[cfg(test)]
mod tests;

use bson::raw::RawBson;

use super::catalog::CollState;
use super::compare::type_rank;
use super::indexes::{Hint, Index};

use analysis::Pred;
pub(crate) use analysis::{sort_fields, Analysis, SortFields};
use bounds::intervals;
pub(crate) use bounds::Interval;
pub(crate) use scan::{candidate_docs, candidates, Stats};

/// How a query reads the collection.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// Every document, in natural order.
    Scan,
    /// `_id` hash lookups.
    Ids(Vec<RawBson>),
    /// A scan of one index.
    Index {
        /// The index's position in the collection's list.
        pos: usize,
        /// The key intervals, in key order (empty: the whole index).
        intervals: Vec<Interval>,
        /// Whether whole index is walked (no bounds).
        full: bool,
        /// Walk in key order (the sort's), backwards when `reverse`;
        /// otherwise the candidates are put in natural order.
        walk: bool,
        /// Walk backwards.
        reverse: bool,
    },
}

/// A chosen plan.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// How the documents are read.
    pub access: Access,
    /// The candidates come in the requested sort's order: no sort needed.
    pub sorted: bool,
    /// The filter is exactly `{_id: v}`.
    pub id_only: bool,
}

impl Plan {
    /// A collection scan.
    pub fn scan() -> Self {
        Plan {
            access: Access::Scan,
            sorted: false,
            id_only: false,
        }
    }
}

/// The bounds one index offers for an analysis: per leading field, the
/// chosen predicate.
struct Candidate {
    pos: usize,
    preds: Vec<Pred>,
    point_fields: usize,
    /// Every field of the index is pinned by equality.
    all_points: bool,
}

/// Choose how to read `state` for a filter analysed as `analysis`, sorted
/// by `sort` (if any), under `hint`. `collated`: the query compares strings
/// under a non-simple collation.
pub(crate) fn choose(
    state: &CollState,
    analysis: &Analysis,
    sort: Option<&SortFields>,
    hint: Hint,
    collated: bool,
) -> Plan {
    let sort = sort.filter(|s| !s.is_empty());
    let indexes = state.indexes.list();
    let id_plan = || {
        analysis.points("_id").map(|ids| Plan {
            access: Access::Ids(ids.to_vec()),
            sorted: sort.is_none(),
            id_only: analysis.id_only,
        })
    };
    match hint {
        Hint::Natural => return Plan::scan(),
        Hint::Id => return id_plan().unwrap_or_else(Plan::scan),
        Hint::Index(pos) => {
            let Some(index) = indexes.get(pos) else {
                return Plan::scan();
            };
            let bounded = bounds_for(pos, index, analysis, true);
            return index_plan(pos, index, bounded, sort, collated);
        }
        Hint::Auto => {}
    }
    if let Some(plan) = id_plan() {
        return plan;
    }
    let best = indexes
        .iter()
        .enumerate()
        .filter_map(|(pos, index)| bounds_for(pos, index, analysis, false))
        .max_by(|a, b| {
            let unique_a = a.all_points && indexes.get(a.pos).is_some_and(|i| i.model.unique);
            let unique_b = b.all_points && indexes.get(b.pos).is_some_and(|i| i.model.unique);
            let score = |c: &Candidate| c.point_fields * 2 + c.preds.len();
            unique_a
                .cmp(&unique_b)
                .then(score(a).cmp(&score(b)))
                // Prefer the earlier (then smaller) index on ties.
                .then(b.pos.cmp(&a.pos))
        });
    if let Some(best) = best {
        if let Some(index) = indexes.get(best.pos) {
            return index_plan(best.pos, index, Some(best), sort, collated);
        }
    }
    // No bounds: an index whose order is the sort's saves the sort.
    if let Some(sort) = sort {
        for (pos, index) in indexes.iter().enumerate() {
            if !index.is_complete() || collated {
                continue;
            }
            if let Some(reverse) = order_matches(index, 0, sort) {
                if index_exact(index) {
                    return Plan {
                        access: Access::Index {
                            pos,
                            intervals: Vec::new(),
                            full: true,
                            walk: true,
                            reverse,
                        },
                        sorted: true,
                        id_only: false,
                    };
                }
            }
        }
    }
    Plan::scan()
}

/// Whether an index's key order is exactly its values' sort order.
fn index_exact(index: &Index) -> bool {
    index.ordered && !index.entries.multikey && !index.entries.approximate
}

/// `Some(reverse)` when the pattern's fields from `skip` on are the sort
/// (forwards, or all reversed): ties then fall in slot order, as a stable
/// sort leaves them.
fn order_matches(index: &Index, skip: usize, sort: &SortFields) -> Option<bool> {
    let rest: Vec<(&String, bool)> = index
        .paths
        .iter()
        .zip(index.descending.iter().copied())
        .skip(skip)
        .collect();
    if rest.len() != sort.len() {
        return None;
    }
    let same = rest
        .iter()
        .zip(sort)
        .all(|((p, d), (s, sd))| *p == s && d == sd);
    let reversed = rest
        .iter()
        .zip(sort)
        .all(|((p, d), (s, sd))| *p == s && d != sd);
    match (same, reversed) {
        (true, _) => Some(false),
        (_, true) => Some(true),
        _ => None,
    }
}

/// The bounds `index` offers on its leading fields, if any (`forced`: a
/// hint, which may use a partial index the filter does not imply).
fn bounds_for(pos: usize, index: &Index, analysis: &Analysis, forced: bool) -> Option<Candidate> {
    if !index.ordered {
        return None;
    }
    if !forced && index.is_partial() {
        let partial = index.model.partial_filter.as_ref()?;
        if !analysis.implies(partial) {
            return None;
        }
    }
    let mut preds = Vec::new();
    let mut point_fields = 0;
    for path in &index.paths {
        let Some(pred) = pick(analysis.preds(path), index.entries.multikey) else {
            break;
        };
        let is_point = matches!(pred, Pred::Points(_));
        preds.push(pred);
        if !is_point {
            break;
        }
        point_fields += 1;
    }
    if preds.is_empty() {
        return None;
    }
    Some(Candidate {
        pos,
        all_points: point_fields == index.paths.len(),
        preds,
        point_fields,
    })
}

/// The one predicate to bound a field with: the fewest points, else the
/// ranges intersected (only when no document holds an array there: an
/// array can satisfy each bound with a different element).
fn pick(preds: &[Pred], multikey: bool) -> Option<Pred> {
    let points = preds
        .iter()
        .filter_map(|p| match p {
            Pred::Points(v) => Some(v),
            Pred::Range { .. } => None,
        })
        .min_by_key(|v| v.len());
    if let Some(points) = points {
        return Some(Pred::Points(points.clone()));
    }
    let mut ranges = preds.iter().filter_map(|p| match p {
        Pred::Range { lo, hi } => Some((lo.clone(), hi.clone())),
        Pred::Points(_) => None,
    });
    let (mut lo, mut hi) = ranges.next()?;
    if !multikey {
        for (l, h) in ranges {
            lo = tighter(lo, l, std::cmp::Ordering::Greater);
            hi = tighter(hi, h, std::cmp::Ordering::Less);
        }
    }
    Some(Pred::Range { lo, hi })
}

/// The tighter of two bounds of the same type (`keep`: which side wins).
fn tighter(a: Option<RawBson>, b: Option<RawBson>, keep: std::cmp::Ordering) -> Option<RawBson> {
    match (a, b) {
        (Some(a), Some(b)) => {
            let same_type = type_rank(a.element_type()) == type_rank(b.element_type());
            let o = super::compare::compare(b.as_raw_bson_ref(), a.as_raw_bson_ref());
            Some(if same_type && o == keep { b } else { a })
        }
        (a, b) => a.or(b),
    }
}

/// The plan for a scan of the index at `pos` with `bounds` (or none: the
/// whole index, which only a hint asks for).
fn index_plan(
    pos: usize,
    index: &Index,
    bounds: Option<Candidate>,
    sort: Option<&SortFields>,
    collated: bool,
) -> Plan {
    let (intervals, pinned) = match &bounds {
        Some(c) => {
            let widen = index.entries.approximate
                || c.preds.iter().any(|p| match p {
                    Pred::Points(v) => v.iter().any(bounds::is_decimal),
                    Pred::Range { lo, hi } => lo.iter().chain(hi.iter()).any(bounds::is_decimal),
                });
            // Fields pinned to one value leave the rest of the key in order.
            let pinned = c
                .preds
                .iter()
                .take_while(|p| matches!(p, Pred::Points(v) if v.len() == 1))
                .count();
            (
                intervals(index, &c.preds, widen),
                if widen { 0 } else { pinned },
            )
        }
        None => (Vec::new(), 0),
    };
    // The walk yields the sort's order when the index order is exact and
    // the sort is the pattern after the pinned fields.
    let reverse = match sort {
        Some(s) if !collated && index_exact(index) => order_matches(index, pinned, s),
        _ => None,
    };
    Plan {
        access: Access::Index {
            pos,
            intervals,
            full: bounds.is_none(),
            walk: reverse.is_some(),
            reverse: reverse.unwrap_or(false),
        },
        sorted: sort.is_none() || reverse.is_some(),
        id_only: false,
    }
}

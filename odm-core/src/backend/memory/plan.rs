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

use std::collections::HashSet;

use bson::raw::{RawBson, RawDocument};
use bson::{Bson, Document};

use super::catalog::{CollState, Entry};
use super::compare::type_rank;
use super::indexes::{Hint, Index};
use super::keys::{self, NUMBER_RANK};
use super::store::Store;
use super::MemoryBackend;
use crate::backend::Namespace;
use crate::error::CommandError;

/// At most this many intervals per scan (a compound `$in` × `$in` product).
const MAX_INTERVALS: usize = 4096;

/// What one conjunct says about one field.
#[derive(Debug, Clone)]
enum Pred {
    /// The field equals one of these values.
    Points(Vec<RawBson>),
    /// The field is within these bounds (inclusive here: the filter decides).
    Range {
        lo: Option<RawBson>,
        hi: Option<RawBson>,
    },
}

/// A filter, as far as indexes are concerned.
#[derive(Debug, Clone, Default)]
pub(crate) struct Analysis {
    fields: Vec<(String, Vec<Pred>)>,
    /// Top-level `field: value` conjuncts, for partial index implication.
    conjuncts: Vec<(String, Bson)>,
    /// The filter is exactly `{_id: <value>}` (MongoDB's IDHACK).
    id_only: bool,
}

impl Analysis {
    /// Analyse `filter`; `collated` (a non-simple collation) rules out
    /// bounds on strings, which indexes hold in binary order.
    pub fn new(filter: &Document, collated: bool) -> Self {
        let mut a = Analysis::default();
        a.conjunction(filter, collated);
        a.id_only = filter.len() == 1
            && a.fields.len() == 1
            && a.points("_id").is_some_and(|p| p.len() == 1);
        a
    }

    fn conjunction(&mut self, filter: &Document, collated: bool) {
        for (key, value) in filter {
            if key == "$and" {
                if let Bson::Array(items) = value {
                    for item in items {
                        if let Bson::Document(d) = item {
                            self.conjunction(d, collated);
                        }
                    }
                }
                continue;
            }
            if key.starts_with('$') {
                continue;
            }
            self.conjuncts.push((key.clone(), value.clone()));
            let preds = field_preds(value, collated);
            if preds.is_empty() {
                continue;
            }
            match self.fields.iter_mut().find(|(p, _)| p == key) {
                Some((_, list)) => list.extend(preds),
                None => self.fields.push((key.clone(), preds)),
            }
        }
    }

    fn preds(&self, path: &str) -> &[Pred] {
        self.fields
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// The fewest equality points given for `path`, if any.
    fn points(&self, path: &str) -> Option<&[RawBson]> {
        self.preds(path)
            .iter()
            .filter_map(|p| match p {
                Pred::Points(v) => Some(v.as_slice()),
                Pred::Range { .. } => None,
            })
            .min_by_key(|v| v.len())
    }

    /// Whether every document the filter matches is in `index`'s partial
    /// filter: each of its conjuncts is one of the filter's, or is
    /// `{f: {$exists: true}}` with `f` bounded by the filter.
    fn implies(&self, partial: &Document) -> bool {
        partial.iter().all(|(k, v)| {
            if k == "$and" {
                return match v {
                    Bson::Array(items) => items.iter().all(|i| match i {
                        Bson::Document(d) => self.implies(d),
                        _ => false,
                    }),
                    _ => false,
                };
            }
            if self.conjuncts.iter().any(|(ck, cv)| ck == k && cv == v) {
                return true;
            }
            let exists = matches!(v, Bson::Document(d) if d.len() == 1
                && matches!(d.get("$exists"), Some(Bson::Boolean(true))));
            exists && !self.preds(k).is_empty()
        })
    }
}

/// The predicates an index can bound in one field's condition.
fn field_preds(value: &Bson, collated: bool) -> Vec<Pred> {
    let ops = match value {
        Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')) => d,
        v => {
            return point(v, collated)
                .map(|p| vec![Pred::Points(vec![p])])
                .unwrap_or_default()
        }
    };
    let mut out = Vec::new();
    let (mut lo, mut hi) = (None, None);
    for (op, arg) in ops {
        match op.as_str() {
            "$eq" => {
                if let Some(p) = point(arg, collated) {
                    out.push(Pred::Points(vec![p]));
                }
            }
            "$in" => {
                if let Bson::Array(items) = arg {
                    let points: Option<Vec<RawBson>> =
                        items.iter().map(|i| point(i, collated)).collect();
                    if let Some(points) = points {
                        out.push(Pred::Points(points));
                    }
                }
            }
            "$gt" | "$gte" => lo = bound(arg, collated).or(lo),
            "$lt" | "$lte" => hi = bound(arg, collated).or(hi),
            _ => {}
        }
    }
    if lo.is_some() || hi.is_some() {
        out.push(Pred::Range { lo, hi });
    }
    out
}

/// A value equality can look up: not null (which also matches missing),
/// not an array (which matches as a whole or by element), not a regex.
fn point(v: &Bson, collated: bool) -> Option<RawBson> {
    match v {
        Bson::Null
        | Bson::Undefined
        | Bson::Array(_)
        | Bson::RegularExpression(_)
        | Bson::MinKey
        | Bson::MaxKey
        | Bson::DbPointer(_) => None,
        Bson::String(_) | Bson::Symbol(_) | Bson::Document(_) if collated => None,
        other => RawBson::try_from(other.clone()).ok(),
    }
}

/// A range bound: a value of a type whose bracket is a plain range.
fn bound(v: &Bson, collated: bool) -> Option<RawBson> {
    match v {
        Bson::Double(d) if d.is_nan() => None,
        Bson::String(_) if collated => None,
        Bson::Int32(_)
        | Bson::Int64(_)
        | Bson::Double(_)
        | Bson::Decimal128(_)
        | Bson::String(_)
        | Bson::ObjectId(_)
        | Bson::Boolean(_)
        | Bson::DateTime(_)
        | Bson::Timestamp(_)
        | Bson::Binary(_) => RawBson::try_from(v.clone()).ok(),
        _ => None,
    }
}

/// A sort as the planner sees it: its fields and directions.
pub(crate) type SortFields = [(String, bool)];

/// The sort fields of a sort document (`None` for `$meta` and the like).
pub(crate) fn sort_fields(sort: &Document) -> Option<Vec<(String, bool)>> {
    sort.iter()
        .map(|(k, v)| {
            let n = match v {
                Bson::Int32(i) => f64::from(*i),
                Bson::Int64(i) => *i as f64,
                Bson::Double(d) => *d,
                _ => return None,
            };
            Some((k.clone(), n < 0.0))
        })
        .collect()
}

/// One interval of index keys.
#[derive(Debug, Clone)]
pub(crate) enum Interval {
    /// Exactly this key (a hash lookup).
    Point(Vec<u8>),
    /// Keys in `[start, end)`; `None`: to the last key.
    Range(Vec<u8>, Option<Vec<u8>>),
}

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
                    Pred::Points(v) => v.iter().any(is_decimal),
                    Pred::Range { lo, hi } => lo.iter().chain(hi.iter()).any(is_decimal),
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

fn is_decimal(v: &RawBson) -> bool {
    matches!(v, RawBson::Decimal128(_))
}

/// One field's bounds as `(lower, upper, exact)` key prefixes in index
/// order: every key of a value within the bounds is `>= lower` and
/// `< prefix_end(upper)`; `exact`: the bound is one key (lower == upper).
fn field_bounds(pred: &Pred, descending: bool, widen: bool) -> Vec<(Vec<u8>, Vec<u8>, bool)> {
    let key = |v: &RawBson| {
        let mut out = Vec::new();
        keys::encode(v.as_raw_bson_ref(), &mut out);
        out
    };
    let numeric = |v: &RawBson| type_rank(v.element_type()) == NUMBER_RANK;
    let mut out: Vec<(Vec<u8>, Vec<u8>, bool)> = match pred {
        Pred::Points(values) => values
            .iter()
            .map(|v| {
                if widen && numeric(v) {
                    let (lo, hi) = keys::number_bounds(v.as_raw_bson_ref());
                    (lo, hi, false)
                } else {
                    let k = key(v);
                    (k.clone(), k, true)
                }
            })
            .collect(),
        Pred::Range { lo, hi } => {
            let rank = lo
                .as_ref()
                .or(hi.as_ref())
                .map(|v| type_rank(v.element_type()))
                .unwrap_or(NUMBER_RANK);
            // Bounds of another type than the first would make the range
            // empty (type bracketing); keeping the first side is a superset.
            let hi = hi.as_ref().filter(|h| type_rank(h.element_type()) == rank);
            let lower = match lo {
                Some(v) if widen && numeric(v) => keys::number_bounds(v.as_raw_bson_ref()).0,
                Some(v) => key(v),
                None => vec![rank],
            };
            let upper = match hi {
                Some(v) if widen && numeric(v) => keys::number_bounds(v.as_raw_bson_ref()).1,
                Some(v) => key(v),
                None => vec![rank],
            };
            vec![(lower, upper, false)]
        }
    };
    if descending {
        for (lo, hi, _) in &mut out {
            keys::invert(lo);
            keys::invert(hi);
            std::mem::swap(lo, hi);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The key intervals of an index scan bounded by `preds` (one per leading
/// field): fields pinned to points extend the prefix of the next field.
fn intervals(index: &Index, preds: &[Pred], widen: bool) -> Vec<Interval> {
    let mut acc: Vec<(Vec<u8>, Vec<u8>, bool)> = vec![(Vec::new(), Vec::new(), true)];
    let mut fields = 0;
    for (i, pred) in preds.iter().enumerate() {
        if !acc.iter().all(|(_, _, exact)| *exact) {
            break;
        }
        let descending = index.descending.get(i).copied().unwrap_or(false);
        let bounds = field_bounds(pred, descending, widen);
        if acc.len() * bounds.len() > MAX_INTERVALS && i > 0 {
            break;
        }
        let mut next = Vec::with_capacity(acc.len() * bounds.len());
        for (plo, phi, pexact) in &acc {
            for (lo, hi, exact) in &bounds {
                let mut l = plo.clone();
                l.extend_from_slice(lo);
                let mut h = phi.clone();
                h.extend_from_slice(hi);
                next.push((l, h, *pexact && *exact));
            }
        }
        acc = next;
        fields = i + 1;
    }
    let whole_key = fields == index.paths.len();
    let mut out: Vec<Interval> = acc
        .into_iter()
        .map(|(lo, hi, exact)| {
            if exact && whole_key {
                Interval::Point(lo)
            } else {
                let end = keys::prefix_end(&hi);
                Interval::Range(lo, end)
            }
        })
        .collect();
    out.sort_by(|a, b| interval_start(a).cmp(interval_start(b)));
    out
}

fn interval_start(i: &Interval) -> &[u8] {
    match i {
        Interval::Point(k) | Interval::Range(k, _) => k,
    }
}

/// Statistics of one read, for `explain`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stats {
    /// Index entries looked at.
    pub keys_examined: u64,
    /// Documents fetched and tested.
    pub docs_examined: u64,
}

/// The documents a plan reads, with their slots, in the plan's order.
pub(crate) type Docs<'a> = Box<dyn Iterator<Item = (usize, &'a RawDocument)> + 'a>;

/// The candidate documents of `plan` over `state`; `keys` counts the index
/// entries read (for slot lists built up front; a walk counts as it goes).
pub(crate) fn candidates<'a>(state: &'a CollState, plan: &Plan, stats: &mut Stats) -> Docs<'a> {
    let store = &state.store;
    match &plan.access {
        Access::Scan => Box::new(store.iter()),
        Access::Ids(ids) => {
            let mut slots: Vec<usize> = ids
                .iter()
                .filter_map(|id| store.slot_of_id(id.as_raw_bson_ref()))
                .collect();
            stats.keys_examined += slots.len() as u64;
            // Natural order, each document once (`$in` may repeat a value).
            slots.sort_unstable();
            slots.dedup();
            fetch(store, slots)
        }
        Access::Index {
            pos,
            intervals,
            full,
            walk,
            reverse,
        } => {
            let Some(index) = state.indexes.list().get(*pos) else {
                return Box::new(store.iter());
            };
            let entries = &index.entries;
            if *walk {
                // Key order; the postings of one key stay in natural order.
                let slots: Box<dyn Iterator<Item = usize> + 'a> = if *full {
                    if *reverse {
                        Box::new(entries.all().rev().flat_map(|p| p.iter()))
                    } else {
                        Box::new(entries.all().flat_map(|p| p.iter()))
                    }
                } else {
                    let ivs: Vec<Interval> = if *reverse {
                        intervals.iter().rev().cloned().collect()
                    } else {
                        intervals.clone()
                    };
                    let rev = *reverse;
                    let mut seen = HashSet::new();
                    let multi = ivs.len() > 1;
                    Box::new(
                        ivs.into_iter()
                            .flat_map(move |iv| scan_interval(entries, iv, rev))
                            .filter(move |s| !multi || seen.insert(*s)),
                    )
                };
                return Box::new(slots.filter_map(move |slot| {
                    store.get(slot).map(|d| (slot, d.as_ref() as &RawDocument))
                }));
            }
            let mut slots: Vec<usize> = if *full {
                entries.all().flat_map(|p| p.iter()).collect()
            } else {
                intervals
                    .iter()
                    .flat_map(|iv| scan_interval(entries, iv.clone(), false))
                    .collect()
            };
            stats.keys_examined += slots.len() as u64;
            slots.sort_unstable();
            slots.dedup();
            fetch(store, slots)
        }
    }
}

fn scan_interval<'a>(
    entries: &'a super::postings::Entries,
    iv: Interval,
    reverse: bool,
) -> Box<dyn Iterator<Item = usize> + 'a> {
    match iv {
        Interval::Point(k) => Box::new(entries.get(&k).into_iter().flat_map(|p| p.iter())),
        Interval::Range(lo, hi) => {
            let keys = entries.range(&lo, hi.as_deref());
            if reverse {
                Box::new(keys.rev().flat_map(|p| p.iter()))
            } else {
                Box::new(keys.flat_map(|p| p.iter()))
            }
        }
    }
}

fn fetch(store: &Store, slots: Vec<usize>) -> Docs<'_> {
    Box::new(
        slots
            .into_iter()
            .filter_map(move |slot| store.get(slot).map(|d| (slot, d.as_ref() as &RawDocument))),
    )
}

/// The documents of `state` a filter can match, in natural order: the
/// candidates of the best index for it (or every document). The filter
/// must still be applied to each (the aggregate's leading `$match` does).
/// `collated`: the filter compares strings under a non-simple collation.
pub(crate) fn candidate_docs<'a>(
    state: &'a CollState,
    filter: &Document,
    collated: bool,
) -> Docs<'a> {
    let analysis = Analysis::new(filter, collated);
    let plan = choose(state, &analysis, None, Hint::Auto, collated);
    candidates(state, &plan, &mut Stats::default())
}

impl MemoryBackend {
    /// The documents of `ns` a pipeline's leading `$match` on `filter` can
    /// match, decoded for the pipeline (a view: all its documents).
    pub(crate) fn match_candidates(
        &self,
        ns: &Namespace,
        filter: &Document,
        collated: bool,
    ) -> Result<Vec<Document>, CommandError> {
        match self.catalog.entry(ns) {
            Some(Entry::Collection(c)) => {
                let state = c.read();
                candidate_docs(&state, filter, collated)
                    .map(|(_, d)| {
                        Document::try_from(d)
                            .map_err(|e| CommandError::new(1, "InternalError", e.to_string()))
                    })
                    .collect()
            }
            _ => self.source_documents(ns, 0),
        }
    }
}

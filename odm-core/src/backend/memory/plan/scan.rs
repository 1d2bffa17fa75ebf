//! Reading a plan's candidates: the documents an index's intervals (or the
//! whole collection) point to.

use std::collections::HashSet;

use bson::raw::RawDocument;
use bson::Document;

use super::super::catalog::CollState;
use super::super::indexes::Hint;
use super::super::postings::Entries;
use super::super::store::Store;
use super::{choose, Access, Analysis, Interval, Plan};

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
    entries: &'a Entries,
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

//! Reads: selecting the documents a filter matches (once compiled), sorting,
//! skipping, limiting and projecting them; `count` and `distinct`.
//!
//! Selection works over any sequence of `(slot, document)`, so the same code
//! reads a collection's store and the output of a view's pipeline.

use std::collections::HashSet;

use bson::raw::{RawBson, RawBsonRef, RawDocument, RawDocumentBuf};
use bson::{Bson, Document};

use super::collation::Collation;
use super::compare::compare_collated;
use super::matcher::Matcher;
use super::path::values_at;
use super::projection::Projection;
use super::sort::SortSpec;
use super::store::{Store, ValueKey};
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

/// A compiled filter plus the fast paths it allows.
#[derive(Debug)]
pub(crate) struct Selector {
    matcher: Matcher,
    /// `{_id: <scalar>}` or `{_id: {$in: [<scalars>]}}`: hash lookups, no
    /// matching needed (the `$in` a population query sends).
    by_id: Option<Vec<RawBson>>,
    /// The collation the filter compares strings with, which a sort of the
    /// selected documents uses too.
    collation: Option<Collation>,
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
            // A hash lookup is binary equality: a collated string `_id` must
            // go through the matcher.
            by_id: id_equality(filter).filter(|_| collation.is_none()),
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

    /// The matching documents of `store`, in natural order, or sorted by
    /// `sort`; at most `limit` (0 = all) after skipping `skip`.
    pub fn select<'a>(
        &self,
        store: &'a Store,
        sort: Option<&SortSpec>,
        skip: u64,
        limit: u64,
    ) -> Result<Vec<Hit<'a>>, CommandError> {
        if let Some(ids) = &self.by_id {
            let mut slots: Vec<usize> = ids
                .iter()
                .filter_map(|id| store.slot_of_id(id.as_raw_bson_ref()))
                .collect();
            // Natural order, each document once (`$in` may repeat a value).
            slots.sort_unstable();
            slots.dedup();
            let hits = slots
                .into_iter()
                .filter_map(|slot| store.get(slot).map(|d| (slot, &***d)));
            return self.select_from(hits, sort, skip, limit);
        }
        self.select_from(store.iter(), sort, skip, limit)
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

    /// Whether every document matches (`{}`).
    pub fn is_match_all(&self) -> bool {
        self.by_id.is_none() && self.matcher.is_match_all()
    }
}

/// The `_id` values of `{_id: v}` or `{_id: {$in: [v, ...]}}` when each `v`
/// is compared by plain equality (not an operator document, array, regex
/// or null, each of which matches differently).
fn id_equality(filter: &Document) -> Option<Vec<RawBson>> {
    if filter.len() != 1 {
        return None;
    }
    match filter.get("_id")? {
        Bson::Document(d) if d.len() == 1 => match d.get("$in")? {
            Bson::Array(values) => values.iter().map(plain).collect(),
            _ => None,
        },
        v => plain(v).map(|v| vec![v]),
    }
}

fn plain(v: &Bson) -> Option<RawBson> {
    match v {
        Bson::Document(_)
        | Bson::Array(_)
        | Bson::RegularExpression(_)
        | Bson::Null
        | Bson::Undefined
        | Bson::MinKey
        | Bson::MaxKey => None,
        other => RawBson::try_from(other.clone()).ok(),
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

//! Index bounds as byte intervals of the index's keys.

use bson::raw::RawBson;

use super::super::compare::type_rank;
use super::super::indexes::Index;
use super::super::keys::{self, NUMBER_RANK};
use super::analysis::Pred;

/// At most this many intervals per scan (a compound `$in` × `$in` product).
const MAX_INTERVALS: usize = 4096;

/// One interval of index keys.
#[derive(Debug, Clone)]
pub(crate) enum Interval {
    /// Exactly this key (a hash lookup).
    Point(Vec<u8>),
    /// Keys in `[start, end)`; `None`: to the last key.
    Range(Vec<u8>, Option<Vec<u8>>),
}

pub(super) fn is_decimal(v: &RawBson) -> bool {
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
pub(super) fn intervals(index: &Index, preds: &[Pred], widen: bool) -> Vec<Interval> {
    // The common case, one value of a one-field index: one key, no products.
    if let ([Pred::Points(values)], [descending], false) =
        (preds, index.descending.as_slice(), widen)
    {
        if let [value] = values.as_slice() {
            let mut key = Vec::with_capacity(32);
            keys::encode_dir(value.as_raw_bson_ref(), *descending, &mut key);
            return vec![Interval::Point(key)];
        }
    }
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

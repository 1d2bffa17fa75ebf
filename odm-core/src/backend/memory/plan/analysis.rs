//! What a filter says about each field, as far as an index can tell.

use bson::raw::RawBson;
use bson::{Bson, Document};

/// What one conjunct says about one field.
#[derive(Debug, Clone)]
pub(super) enum Pred {
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
    /// The filter is exactly `{_id: <value>}` (MongoDB's IDHACK).
    pub(super) id_only: bool,
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

    pub(super) fn preds(&self, path: &str) -> &[Pred] {
        self.fields
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// The fewest equality points given for `path`, if any.
    pub(super) fn points(&self, path: &str) -> Option<&[RawBson]> {
        self.preds(path)
            .iter()
            .filter_map(|p| match p {
                Pred::Points(v) => Some(v.as_slice()),
                Pred::Range { .. } => None,
            })
            .min_by_key(|v| v.len())
    }

    /// Whether every document the filter matches is in `index`'s partial
    /// filter: each of its conjuncts is an equality the filter pins too, or
    /// is `{f: {$exists: true}}` with `f` bounded by the filter.
    pub(super) fn implies(&self, partial: &Document) -> bool {
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
            if let Some(value) = point(v, false) {
                let pinned = self.preds(k).iter().any(|p| match p {
                    Pred::Points(values) => values.as_slice() == std::slice::from_ref(&value),
                    Pred::Range { .. } => false,
                });
                if pinned {
                    return true;
                }
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
    // Two predicates: on an array, each bound may be met by another element.
    if lo.is_some() {
        out.push(Pred::Range { lo, hi: None });
    }
    if hi.is_some() {
        out.push(Pred::Range { lo: None, hi });
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

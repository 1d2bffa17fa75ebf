//! Predicates on one value: what a filter operator tests once the path has
//! been walked to a value (or to nothing: `None` is a missing field).

use std::cmp::Ordering;
use std::sync::Arc;

use bson::raw::{RawArray, RawBsonRef};
use bson::spec::ElementType;
use bson::RawBson;

use super::bits::Bits;
use super::element::TypeSet;
use super::path::LeafArrays;
use super::regex::RegexPred;
use super::Node;
use crate::backend::memory::collation::Collation;
use crate::backend::memory::compare::{compare_collated, type_rank};

/// A comparison operator other than equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// `$in`: values compared by equality (kept sorted in BSON order, so a long
/// `$in` is a binary search), regexes by match, and whether null (which also
/// matches a missing field) is among them.
#[derive(Debug, Clone, Default)]
pub(crate) struct InSet {
    pub(crate) values: Vec<RawBson>,
    pub(crate) regexes: Vec<RegexPred>,
    pub(crate) has_null: bool,
}

/// A predicate on one value.
#[derive(Debug, Clone)]
pub(crate) enum Pred {
    Eq(RawBson),
    Cmp(CmpOp, RawBson),
    In(Box<InSet>),
    Regex(Box<RegexPred>),
    Exists,
    Type(TypeSet),
    Mod {
        divisor: i64,
        remainder: i64,
    },
    Size(i64),
    Bits(Box<Bits>),
    /// `$elemMatch: {$gt: 1}`: the node's leaves have the empty path.
    ElemMatchValue(Box<Node>),
    /// `$elemMatch: {field: ..}`: the node is a filter on each element document.
    ElemMatchDoc(Box<Node>),
    /// An equality, comparison or `$in` whose strings compare under a collation.
    Collated(Box<Collated>),
}

/// A string-comparing predicate and the collation it compares with.
#[derive(Debug, Clone)]
pub(crate) struct Collated {
    pred: Pred,
    collation: Arc<Collation>,
}

/// Whether a value is or contains a string, the only values a collation changes.
fn has_string(v: RawBsonRef<'_>) -> bool {
    match v {
        RawBsonRef::String(_) | RawBsonRef::Symbol(_) => true,
        RawBsonRef::Document(d) => d.iter().flatten().any(|(_, v)| has_string(v)),
        RawBsonRef::Array(a) => a.into_iter().flatten().any(has_string),
        _ => false,
    }
}

impl Pred {
    /// Make the predicate compare strings under `collation`, if it compares
    /// any: equality, ranges and `$in` (also inside `$elemMatch`).
    pub(crate) fn collate(&mut self, collation: &Arc<Collation>) {
        let strings = match self {
            Pred::Eq(x) | Pred::Cmp(_, x) => has_string(x.as_raw_bson_ref()),
            Pred::In(set) => {
                // Re-sorted: the binary search must follow the collation's order.
                set.values.sort_by(|a, b| {
                    compare_collated(a.as_raw_bson_ref(), b.as_raw_bson_ref(), Some(collation))
                });
                set.values.iter().any(|x| has_string(x.as_raw_bson_ref()))
            }
            Pred::ElemMatchValue(n) | Pred::ElemMatchDoc(n) => {
                n.collate(collation);
                false
            }
            _ => false,
        };
        if strings {
            let pred = std::mem::replace(self, Pred::Exists);
            *self = Pred::Collated(Box::new(Collated {
                pred,
                collation: Arc::clone(collation),
            }));
        }
    }

    /// How the path walk should treat an array at the end of the path.
    pub(crate) fn leaf_arrays(&self) -> LeafArrays {
        match self {
            Pred::Size(_) | Pred::ElemMatchValue(_) | Pred::ElemMatchDoc(_) | Pred::Exists => {
                LeafArrays::WholeOnly
            }
            Pred::Collated(c) => c.pred.leaf_arrays(),
            _ => LeafArrays::ElementsAndWhole,
        }
    }

    /// For `$elemMatch`: the index of the first element that matches, which
    /// is also what the positional `$` operator refers to.
    pub(crate) fn elem_match_position(&self, a: &RawArray) -> Option<usize> {
        let mut elems = a.into_iter().flatten();
        match self {
            Pred::ElemMatchValue(node) => elems.position(|e| node.eval_value(e).unwrap_or(false)),
            Pred::ElemMatchDoc(node) => elems.position(|e| match e {
                RawBsonRef::Document(d) => node.eval_doc(d).unwrap_or(false),
                _ => false,
            }),
            _ => None,
        }
    }

    /// Test one value. Errors cannot happen here: `$expr` is not allowed
    /// inside `$elemMatch`, so nested nodes are evaluated infallibly.
    pub(crate) fn test(&self, v: Option<RawBsonRef<'_>>) -> bool {
        match self {
            Pred::Eq(x) => eq_matches(v, x.as_raw_bson_ref()),
            Pred::Cmp(op, x) => cmp_matches(*op, v, x.as_raw_bson_ref()),
            Pred::In(set) => in_matches(set, v, None),
            Pred::Regex(r) => r.test(v),
            Pred::Exists => v.is_some(),
            Pred::Bits(b) => b.test(v),
            Pred::Type(t) => v.is_some_and(|v| t.contains(v)),
            Pred::Mod { divisor, remainder } => v
                .and_then(truncated_i64)
                .is_some_and(|x| x.wrapping_rem(*divisor) == *remainder),
            Pred::Size(n) => match v {
                Some(RawBsonRef::Array(a)) => {
                    usize::try_from(*n).is_ok_and(|n| a.into_iter().count() == n)
                }
                _ => false,
            },
            Pred::ElemMatchValue(_) | Pred::ElemMatchDoc(_) => match v {
                Some(RawBsonRef::Array(a)) => self.elem_match_position(a).is_some(),
                _ => false,
            },
            Pred::Collated(c) => {
                let coll = Some(&*c.collation);
                match &c.pred {
                    Pred::Eq(x) => eq_matches_collated(v, x.as_raw_bson_ref(), coll),
                    Pred::Cmp(op, x) => cmp_matches_collated(*op, v, x.as_raw_bson_ref(), coll),
                    Pred::In(set) => in_matches(set, v, coll),
                    other => other.test(v),
                }
            }
        }
    }
}

fn is_nullish(v: Option<RawBsonRef<'_>>) -> bool {
    matches!(
        v,
        None | Some(RawBsonRef::Null) | Some(RawBsonRef::Undefined)
    )
}

/// Equality: `null` also matches missing and `undefined`; otherwise MongoDB's
/// equality (numbers across widths, documents field by field in order).
pub(crate) fn eq_matches(v: Option<RawBsonRef<'_>>, x: RawBsonRef<'_>) -> bool {
    eq_matches_collated(v, x, None)
}

/// [`eq_matches`] with strings compared under a collation.
fn eq_matches_collated(
    v: Option<RawBsonRef<'_>>,
    x: RawBsonRef<'_>,
    collation: Option<&Collation>,
) -> bool {
    if matches!(x, RawBsonRef::Null) {
        return is_nullish(v);
    }
    match v {
        Some(v) => {
            type_rank(v.element_type()) == type_rank(x.element_type())
                && compare_collated(v, x, collation) == Ordering::Equal
        }
        None => false,
    }
}

fn is_nan(v: RawBsonRef<'_>) -> bool {
    match v {
        RawBsonRef::Double(d) => d.is_nan(),
        // Decimal128's NaN combination field: five ones below the sign bit.
        RawBsonRef::Decimal128(d) => (u128::from_le_bytes(d.bytes()) >> 122) & 0x1f == 0x1f,
        _ => false,
    }
}

/// `$gt`-style comparison with type bracketing: only values of the operand's
/// type class compare, except that `MinKey`/`MaxKey` operands compare with
/// everything. A missing field compares as null.
pub(crate) fn cmp_matches(op: CmpOp, v: Option<RawBsonRef<'_>>, x: RawBsonRef<'_>) -> bool {
    cmp_matches_collated(op, v, x, None)
}

/// [`cmp_matches`] with strings compared under a collation.
fn cmp_matches_collated(
    op: CmpOp,
    v: Option<RawBsonRef<'_>>,
    x: RawBsonRef<'_>,
    collation: Option<&Collation>,
) -> bool {
    let v = v.unwrap_or(RawBsonRef::Null);
    let bracketed = !matches!(x, RawBsonRef::MinKey | RawBsonRef::MaxKey);
    if bracketed && type_rank(v.element_type()) != type_rank(x.element_type()) {
        return false;
    }
    if type_rank(x.element_type()) == 2 && (is_nan(v) || is_nan(x)) {
        // NaN equals only NaN and is neither above nor below any number.
        return matches!(op, CmpOp::Gte | CmpOp::Lte) && is_nan(v) && is_nan(x);
    }
    let o = compare_collated(v, x, collation);
    match op {
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Gte => o != Ordering::Less,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Lte => o != Ordering::Greater,
    }
}

fn in_matches(set: &InSet, v: Option<RawBsonRef<'_>>, collation: Option<&Collation>) -> bool {
    if set.has_null && is_nullish(v) {
        return true;
    }
    let Some(v) = v else { return false };
    // Sorted at compile time: MongoDB equality is `compare(..) == Equal`.
    set.values
        .binary_search_by(|x| compare_collated(x.as_raw_bson_ref(), v, collation))
        .is_ok()
        || set.regexes.iter().any(|r| r.test(Some(v)))
}

/// A number as `$mod` sees it: truncated toward zero; NaN and infinities
/// (and non-numbers) do not match.
fn truncated_i64(v: RawBsonRef<'_>) -> Option<i64> {
    match v {
        RawBsonRef::Int32(i) => Some(i.into()),
        RawBsonRef::Int64(i) => Some(i),
        RawBsonRef::Double(d) => f64_to_i64(d),
        RawBsonRef::Decimal128(d) => d.to_string().parse::<f64>().ok().and_then(f64_to_i64),
        _ => None,
    }
}

/// Truncate a double to an integer, refusing NaN, infinities and values out of range.
pub(crate) fn f64_to_i64(d: f64) -> Option<i64> {
    // `i64::MAX as f64` is 2^63, itself out of range; NaN is in no range.
    if !(i64::MIN as f64..i64::MAX as f64).contains(&d) {
        return None;
    }
    Some(d.trunc() as i64)
}

/// Whether a value is one of the numeric BSON types.
pub(crate) fn is_number(t: ElementType) -> bool {
    matches!(
        t,
        ElementType::Int32 | ElementType::Int64 | ElementType::Double | ElementType::Decimal128
    )
}

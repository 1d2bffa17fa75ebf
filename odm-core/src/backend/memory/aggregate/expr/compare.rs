//! Comparison operators (`$eq $ne $gt $gte $lt $lte $cmp`) in BSON order:
//! unlike query operators they never traverse arrays, and missing compares
//! as a value lower than null.

use std::cmp::Ordering;

use bson::Bson;

use super::compile::{Node, Op};
use super::number::{as_num, Num};
use super::Env;
use crate::backend::memory::compare::compare_bson;
use crate::error::CommandError;

/// Compare two values in MongoDB's order, without encoding common scalars.
pub fn cmp(a: &Bson, b: &Bson) -> Ordering {
    match (a, b) {
        (Bson::String(x), Bson::String(y)) => x.cmp(y),
        (Bson::Int32(x), Bson::Int32(y)) => x.cmp(y),
        (Bson::Int64(x), Bson::Int64(y)) => x.cmp(y),
        (Bson::DateTime(x), Bson::DateTime(y)) => x.cmp(y),
        (Bson::Boolean(x), Bson::Boolean(y)) => x.cmp(y),
        (Bson::Double(_) | Bson::Int32(_) | Bson::Int64(_), _)
            if matches!(b, Bson::Double(_) | Bson::Int32(_) | Bson::Int64(_)) =>
        {
            match (as_num(a), as_num(b)) {
                (Some(Num::Double(x)), Some(Num::Double(y))) if !x.is_nan() && !y.is_nan() => {
                    x.partial_cmp(&y).unwrap_or(Ordering::Equal)
                }
                _ => compare_bson(a, b),
            }
        }
        _ => compare_bson(a, b),
    }
}

/// Compare with missing below everything (as MongoDB's expression comparisons do).
pub(crate) fn cmp_opt(a: &Option<Bson>, b: &Option<Bson>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => cmp(x, y),
    }
}

pub(super) fn eval(env: &mut Env<'_>, op: Op, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    let vals = env.eval_all(args)?;
    let (a, b) = match vals.as_slice() {
        [a, b] => (a, b),
        _ => return Ok(Some(Bson::Null)),
    };
    let o = cmp_opt(a, b);
    Ok(Some(match op {
        Op::Cmp => Bson::Int32(match o {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }),
        Op::Eq => Bson::Boolean(o == Ordering::Equal),
        Op::Ne => Bson::Boolean(o != Ordering::Equal),
        Op::Gt => Bson::Boolean(o == Ordering::Greater),
        Op::Gte => Bson::Boolean(o != Ordering::Less),
        Op::Lt => Bson::Boolean(o == Ordering::Less),
        _ => Bson::Boolean(o != Ordering::Greater),
    }))
}

//! Array operators: element access, slicing, searching, building
//! (`$range`, `$zip`, `$concatArrays`), `$sortArray`, the `N` forms and the
//! set operators.

use std::cmp::Ordering;

use bson::{Bson, Document};

use super::compare::cmp;
use super::compile::{Node, Op};
use super::number::as_num;
use super::{nullish, type_name, Env};
use crate::error::CommandError;

fn err(code: i32, msg: String) -> CommandError {
    CommandError::new(code, format!("Location{code}"), msg)
}

fn found(v: &Option<Bson>) -> &'static str {
    v.as_ref().map_or("missing", type_name)
}

fn int(op: Op, v: &Option<Bson>, code: i32, what: &str) -> Result<i64, CommandError> {
    v.as_ref()
        .and_then(as_num)
        .and_then(|n| n.exact_i64())
        .ok_or_else(|| {
            err(
                code,
                format!(
                    "{}'s {what} must be a numeric integer value, but is {}",
                    op.name(),
                    found(v)
                ),
            )
        })
}

fn array(op: Op, v: &Option<Bson>, code: i32) -> Result<&Vec<Bson>, CommandError> {
    match v {
        Some(Bson::Array(a)) => Ok(a),
        other => Err(err(
            code,
            format!(
                "{}'s argument must be an array, but is {}",
                op.name(),
                found(other)
            ),
        )),
    }
}

/// Index from the front (`i >= 0`) or the back (`i < 0`).
fn resolve(len: usize, i: i64) -> Option<usize> {
    if i >= 0 {
        usize::try_from(i).ok().filter(|&i| i < len)
    } else {
        len.checked_sub(usize::try_from(i.unsigned_abs()).ok()?)
    }
}

fn contains(items: &[Bson], v: &Bson) -> bool {
    items.iter().any(|x| cmp(x, v) == Ordering::Equal)
}

fn dedup(items: impl IntoIterator<Item = Bson>) -> Vec<Bson> {
    let mut out: Vec<Bson> = Vec::new();
    for v in items {
        if !contains(&out, &v) {
            out.push(v);
        }
    }
    out
}

pub(super) fn eval(env: &mut Env<'_>, op: Op, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    let vals = env.eval_all(args)?;
    let v0 = vals.first().cloned().flatten();
    let v1 = vals.get(1).cloned().flatten();
    let some = |v: Bson| Ok(Some(v));
    match op {
        Op::Size => {
            let a = array(op, &v0, 17124).map_err(|_| {
                err(
                    17124,
                    format!(
                        "The argument to $size must be an array. Type of argument is {}",
                        found(&v0)
                    ),
                )
            })?;
            some(Bson::Int32(i32::try_from(a.len()).unwrap_or(i32::MAX)))
        }
        Op::IsArray => some(Bson::Boolean(matches!(v0, Some(Bson::Array(_))))),
        Op::ArrayElemAt => {
            if nullish(&v0) || nullish(&v1) {
                return some(Bson::Null);
            }
            let a = array(op, &v0, 28689)?;
            let i = int(op, &v1, 28691, "second argument")?;
            Ok(resolve(a.len(), i).and_then(|i| a.get(i).cloned()))
        }
        Op::First | Op::Last => {
            if nullish(&v0) {
                return some(Bson::Null);
            }
            let a = array(op, &v0, 28689)?;
            Ok(if op == Op::First { a.first() } else { a.last() }.cloned())
        }
        Op::In => {
            let a = match &v1 {
                Some(Bson::Array(a)) => a,
                other => {
                    return Err(err(
                        40081,
                        format!(
                            "$in requires an array as a second argument, found: {}",
                            found(other)
                        ),
                    ))
                }
            };
            some(Bson::Boolean(v0.as_ref().is_some_and(|v| contains(a, v))))
        }
        Op::ConcatArrays => {
            let mut out = Vec::new();
            for v in &vals {
                if nullish(v) {
                    return some(Bson::Null);
                }
                match v {
                    Some(Bson::Array(a)) => out.extend(a.iter().cloned()),
                    other => {
                        return Err(err(
                            28664,
                            format!("$concatArrays only supports arrays, not {}", found(other)),
                        ))
                    }
                }
            }
            some(Bson::Array(out))
        }
        Op::Slice => {
            if vals.iter().any(nullish) {
                return some(Bson::Null);
            }
            let a = array(op, &v0, 28724)?;
            let len = a.len() as i64;
            let (start, n) = if vals.len() == 3 {
                let pos = int(op, &v1, 28725, "second argument")?;
                let n = int(op, &vals.get(2).cloned().flatten(), 28726, "third argument")?;
                if n <= 0 {
                    return Err(err(
                        28729,
                        format!("Third argument to $slice must be positive: {n}"),
                    ));
                }
                let start = if pos < 0 {
                    len.saturating_add(pos).max(0)
                } else {
                    pos.min(len)
                };
                (start, n)
            } else {
                let n = int(op, &v1, 28725, "second argument")?;
                if n < 0 {
                    (len.saturating_add(n).max(0), n.saturating_neg())
                } else {
                    (0, n)
                }
            };
            let end = start.saturating_add(n).min(len);
            some(Bson::Array(
                a.get(start as usize..end as usize)
                    .unwrap_or_default()
                    .to_vec(),
            ))
        }
        Op::ReverseArray => {
            if nullish(&v0) {
                return some(Bson::Null);
            }
            let mut a = array(op, &v0, 34435)?.clone();
            a.reverse();
            some(Bson::Array(a))
        }
        Op::Range => {
            let start = int(op, &v0, 34443, "starting value")?;
            let end = int(op, &v1, 34445, "ending value")?;
            let step = match vals.get(2) {
                Some(v) => int(op, v, 34447, "step value")?,
                None => 1,
            };
            if step == 0 {
                return Err(err(34449, "$range requires a non-zero step value".into()));
            }
            let mut out = Vec::new();
            let mut i = start;
            while (step > 0 && i < end) || (step < 0 && i > end) {
                out.push(i32::try_from(i).map(Bson::Int32).unwrap_or(Bson::Int64(i)));
                i = match i.checked_add(step) {
                    Some(n) => n,
                    None => break,
                };
            }
            some(Bson::Array(out))
        }
        Op::IndexOfArray => {
            if nullish(&v0) {
                return some(Bson::Null);
            }
            let a = array(op, &v0, 40090)?;
            let start = match vals.get(2) {
                Some(v) => int(op, v, 40096, "starting index")?.max(0) as usize,
                None => 0,
            };
            let end = match vals.get(3) {
                Some(v) => (int(op, v, 40096, "ending index")?.max(0) as usize).min(a.len()),
                None => a.len(),
            };
            let needle = v1.unwrap_or(Bson::Null);
            let pos = (start..end)
                .find(|&i| a.get(i).is_some_and(|x| cmp(x, &needle) == Ordering::Equal));
            some(pos.map_or(Bson::Int32(-1), |i| Bson::Int32(i as i32)))
        }
        Op::Zip => zip(&vals),
        Op::SortArray => sort_array(&vals),
        Op::FirstN | Op::LastN | Op::MaxN | Op::MinN => n_op(op, &vals),
        _ => sets(op, &vals),
    }
}

fn zip(vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let inputs = match vals.first().cloned().flatten() {
        Some(Bson::Array(a)) => a,
        other => {
            return Err(err(
                34460,
                format!(
                    "inputs must be an array of expressions, found {}",
                    found(&other)
                ),
            ))
        }
    };
    let mut arrays = Vec::with_capacity(inputs.len());
    for v in inputs {
        match v {
            Bson::Null | Bson::Undefined => return Ok(Some(Bson::Null)),
            Bson::Array(a) => arrays.push(a),
            other => {
                return Err(err(
                    34468,
                    format!("$zip found a non-array expression in input: {other}"),
                ))
            }
        }
    }
    let longest = matches!(vals.get(1), Some(Some(Bson::Boolean(true))));
    let defaults = match vals.get(2).cloned().flatten() {
        None => Vec::new(),
        Some(Bson::Array(d)) if longest && d.len() == arrays.len() => d,
        Some(_) => return Err(err(34466, "$zip requires defaults to be an array of the same length as inputs, with useLongestLength".into())),
    };
    let n = if longest {
        arrays.iter().map(Vec::len).max().unwrap_or(0)
    } else {
        arrays.iter().map(Vec::len).min().unwrap_or(0)
    };
    let out = (0..n)
        .map(|i| {
            Bson::Array(
                arrays
                    .iter()
                    .enumerate()
                    .map(|(j, a)| a.get(i).or(defaults.get(j)).cloned().unwrap_or(Bson::Null))
                    .collect(),
            )
        })
        .collect();
    Ok(Some(Bson::Array(out)))
}

/// `$sortArray`: `sortBy` is `1`/`-1` (whole values) or a sort document on fields.
fn sort_array(vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let input = vals.first().cloned().flatten();
    if nullish(&input) {
        return Ok(Some(Bson::Null));
    }
    let Some(Bson::Array(mut items)) = input else {
        return Err(err(
            2942504,
            format!(
                "The input argument to $sortArray must be an array, but was of type: {}",
                found(&input)
            ),
        ));
    };
    match vals.get(1).cloned().flatten() {
        Some(spec @ (Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_))) => {
            let desc = as_num(&spec).is_some_and(|n| n.f64() < 0.0);
            items.sort_by(|a, b| if desc { cmp(b, a) } else { cmp(a, b) });
        }
        Some(Bson::Document(spec)) => {
            let keys = sort_keys(&spec)?;
            items.sort_by(|a, b| compare_by(&keys, a, b));
        }
        _ => {
            return Err(err(
                2942505,
                "$sortArray requires sortBy to be 1, -1 or a sort document".into(),
            ))
        }
    }
    Ok(Some(Bson::Array(items)))
}

/// A compiled `{path: ±1}` specification over values (not raw documents).
pub(crate) type SortKeys = Vec<(Vec<String>, bool)>;

pub(crate) fn sort_keys(spec: &Document) -> Result<SortKeys, CommandError> {
    spec.iter()
        .map(|(k, v)| match as_num(v).map(|n| n.f64()) {
            Some(d) if d == 1.0 || d == -1.0 => {
                Ok((k.split('.').map(str::to_owned).collect(), d < 0.0))
            }
            _ => Err(CommandError::new(
                15975,
                "Location15975",
                "$sort key ordering must be 1 (for ascending) or -1 (for descending)",
            )),
        })
        .collect()
}

/// The values of each sort key in `doc` (missing as null).
pub(crate) fn key_values(keys: &[(Vec<String>, bool)], doc: &Document) -> Vec<Bson> {
    keys.iter()
        .map(|(path, _)| super::doc_path(doc, path).unwrap_or(Bson::Null))
        .collect()
}

/// Compare key values extracted by [`key_values`].
pub(crate) fn compare_keys(keys: &[(Vec<String>, bool)], a: &[Bson], b: &[Bson]) -> Ordering {
    for ((_, desc), (x, y)) in keys.iter().zip(a.iter().zip(b)) {
        let o = cmp(x, y);
        if o != Ordering::Equal {
            return if *desc { o.reverse() } else { o };
        }
    }
    Ordering::Equal
}

pub(crate) fn compare_by(keys: &SortKeys, a: &Bson, b: &Bson) -> Ordering {
    for (path, desc) in keys {
        let x = super::value_path(a, path).unwrap_or(Bson::Null);
        let y = super::value_path(b, path).unwrap_or(Bson::Null);
        let o = cmp(&x, &y);
        if o != Ordering::Equal {
            return if *desc { o.reverse() } else { o };
        }
    }
    Ordering::Equal
}

fn n_op(op: Op, vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let n = match vals
        .first()
        .cloned()
        .flatten()
        .as_ref()
        .and_then(as_num)
        .and_then(|n| n.exact_i64())
    {
        Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => {
            return Err(err(
                5787908,
                format!("Value for 'n' must be a positive integer for {}", op.name()),
            ))
        }
    };
    let input = vals.get(1).cloned().flatten();
    if nullish(&input) {
        return Ok(Some(Bson::Null));
    }
    let Some(Bson::Array(mut items)) = input else {
        return Err(err(
            5788200,
            format!(
                "Input to {} must be an array, got {}",
                op.name(),
                found(&input)
            ),
        ));
    };
    Ok(Some(Bson::Array(match op {
        Op::FirstN => items.into_iter().take(n).collect(),
        Op::LastN => {
            let skip = items.len().saturating_sub(n);
            items.split_off(skip)
        }
        _ => {
            items.retain(|v| !matches!(v, Bson::Null | Bson::Undefined));
            items.sort_by(|a, b| if op == Op::MaxN { cmp(b, a) } else { cmp(a, b) });
            items.truncate(n);
            items
        }
    })))
}

fn sets(op: Op, vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    if vals.iter().any(nullish) && !matches!(op, Op::SetEquals | Op::SetIsSubset) {
        return Ok(Some(Bson::Null));
    }
    let mut arrays = Vec::with_capacity(vals.len());
    for v in vals {
        match v {
            Some(Bson::Array(a)) => arrays.push(a),
            other => {
                return Err(err(
                    17044,
                    format!(
                        "All operands of {} must be arrays. One argument is of type: {}",
                        op.name(),
                        found(other)
                    ),
                ))
            }
        }
    }
    let first = arrays.first().map(|a| a.as_slice()).unwrap_or_default();
    Ok(Some(match op {
        Op::SetUnion => Bson::Array(dedup(arrays.iter().flat_map(|a| a.iter().cloned()))),
        Op::SetIntersection => Bson::Array(dedup(
            first
                .iter()
                .filter(|v| arrays.iter().all(|a| contains(a, v)))
                .cloned(),
        )),
        Op::SetDifference => {
            let other = arrays.get(1).map(|a| a.as_slice()).unwrap_or_default();
            Bson::Array(dedup(first.iter().filter(|v| !contains(other, v)).cloned()))
        }
        Op::SetEquals => {
            Bson::Boolean(arrays.iter().all(|a| {
                a.iter().all(|v| contains(first, v)) && first.iter().all(|v| contains(a, v))
            }))
        }
        _ => {
            let other = arrays.get(1).map(|a| a.as_slice()).unwrap_or_default();
            Bson::Boolean(first.iter().all(|v| contains(other, v)))
        }
    }))
}

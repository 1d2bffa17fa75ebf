//! `$setWindowFields`: documents partitioned and sorted, then each output
//! field computed over a window of its partition. Accumulator window
//! functions reuse the `$group` accumulators; `$rank`, `$denseRank`,
//! `$documentNumber` and `$shift` are positional.

use std::cmp::Ordering;

use bson::{Bson, Document};

use super::accumulators::AccSpec;
use super::err;
use crate::backend::memory::aggregate::expr::sort_support::{
    compare_keys, key_values, sort_keys, SortKeys,
};
use crate::backend::memory::aggregate::expr::{as_exact_int, compare_values, Expr, Vars};
use crate::error::CommandError;

/// A window bound.
#[derive(Debug, Clone, Copy)]
enum Bound {
    Unbounded,
    Current,
    /// An offset in documents, or in sort-key units for range windows.
    At(f64),
}

#[derive(Debug, Clone, Copy)]
enum Window {
    Documents(Bound, Bound),
    /// `range` bounds, scaled to milliseconds when the key is a date.
    Range(Bound, Bound, f64),
}

enum Func {
    Acc(AccSpec),
    Rank,
    DenseRank,
    DocumentNumber,
    Shift {
        output: Expr,
        by: i64,
        default: Bson,
    },
    /// `$locf`: null and missing take the last non-null value before them.
    Locf(Expr),
    /// `$linearFill`: null and missing between two numbers are interpolated
    /// along the (single, numeric or date) sort key.
    LinearFill(Expr),
}

struct Output {
    path: Vec<String>,
    func: Func,
    window: Window,
}

/// A compiled `$setWindowFields`.
pub(crate) struct SetWindowFields {
    partition: Option<Expr>,
    sort: SortKeys,
    outputs: Vec<Output>,
}

fn bound(v: &Bson) -> Result<Bound, CommandError> {
    match v {
        Bson::String(s) if s == "unbounded" => Ok(Bound::Unbounded),
        Bson::String(s) if s == "current" => Ok(Bound::Current),
        other => match crate::backend::memory::aggregate::expr::arith_support::as_num(other) {
            Some(n) => Ok(Bound::At(n.f64())),
            None => Err(err(
                5371101,
                format!("Window bounds must be 'unbounded', 'current' or a number, found {other}"),
            )),
        },
    }
}

fn unit_ms(unit: &str) -> Result<f64, CommandError> {
    Ok(match unit {
        "week" => 604_800_000.0,
        "day" => 86_400_000.0,
        "hour" => 3_600_000.0,
        "minute" => 60_000.0,
        "second" => 1000.0,
        "millisecond" => 1.0,
        other => {
            return Err(err(
                5371102,
                format!("unsupported window unit for the in-memory engine: {other}"),
            ))
        }
    })
}

fn window(spec: Option<&Bson>) -> Result<Window, CommandError> {
    let Some(spec) = spec else {
        return Ok(Window::Documents(Bound::Unbounded, Bound::Unbounded));
    };
    let Bson::Document(d) = spec else {
        return Err(err(5371103, "'window' must be an object"));
    };
    let pair = |v: &Bson| -> Result<(Bound, Bound), CommandError> {
        match v {
            Bson::Array(a) => match a.as_slice() {
                [lo, hi] => Ok((bound(lo)?, bound(hi)?)),
                _ => Err(err(5371104, "window bounds must be an array of two values")),
            },
            _ => Err(err(5371104, "window bounds must be an array of two values")),
        }
    };
    match (d.get("documents"), d.get("range")) {
        (Some(b), None) => {
            let (lo, hi) = pair(b)?;
            Ok(Window::Documents(lo, hi))
        }
        (None, Some(b)) => {
            let (lo, hi) = pair(b)?;
            let scale = match d.get("unit") {
                Some(Bson::String(u)) => unit_ms(u)?,
                Some(_) => return Err(err(5371102, "'unit' must be a string")),
                None => 1.0,
            };
            Ok(Window::Range(lo, hi, scale))
        }
        _ => Err(err(
            5371105,
            "'window' takes exactly one of 'documents' or 'range'",
        )),
    }
}

impl SetWindowFields {
    pub(crate) fn compile(spec: &Document) -> Result<Self, CommandError> {
        let partition = spec.get("partitionBy").map(Expr::compile).transpose()?;
        let sort = match spec.get("sortBy") {
            Some(Bson::Document(s)) => sort_keys(s)?,
            Some(_) => return Err(err(5371106, "'sortBy' must be an object")),
            None => Vec::new(),
        };
        let Some(Bson::Document(out)) = spec.get("output") else {
            return Err(err(5371107, "$setWindowFields requires an 'output' object"));
        };
        let mut outputs = Vec::with_capacity(out.len());
        for (name, f) in out {
            let Bson::Document(f) = f else {
                return Err(err(
                    5371108,
                    format!("output field '{name}' must be an object"),
                ));
            };
            let win = window(f.get("window"))?;
            let Some((op, arg)) = f.iter().find(|(k, _)| k.as_str() != "window") else {
                return Err(err(
                    5371108,
                    format!("output field '{name}' needs a window function"),
                ));
            };
            let func = match op.as_str() {
                "$rank" => Func::Rank,
                "$denseRank" => Func::DenseRank,
                "$documentNumber" => Func::DocumentNumber,
                "$locf" | "$linearFill" => {
                    if f.contains_key("window") {
                        return Err(CommandError::new(
                            9,
                            "FailedToParse",
                            format!("{op} does not accept a window field"),
                        ));
                    }
                    if op == "$linearFill" && sort.len() != 1 {
                        return Err(err(
                            605001,
                            "$linearFill requires a sortBy with exactly one field",
                        ));
                    }
                    let e = Expr::compile(arg)?;
                    if op == "$locf" {
                        Func::Locf(e)
                    } else {
                        Func::LinearFill(e)
                    }
                }
                "$shift" => {
                    let Bson::Document(a) = arg else {
                        return Err(err(5371109, "$shift takes an object"));
                    };
                    Func::Shift {
                        output: Expr::compile(a.get("output").unwrap_or(&Bson::Null))?,
                        by: a
                            .get("by")
                            .and_then(as_exact_int)
                            .ok_or_else(|| err(5371109, "$shift requires an integer 'by'"))?,
                        default: a.get("default").cloned().unwrap_or(Bson::Null),
                    }
                }
                _ => {
                    let mut acc = Document::new();
                    acc.insert(op.clone(), arg.clone());
                    Func::Acc(AccSpec::compile(name, &Bson::Document(acc))?)
                }
            };
            if matches!(
                func,
                Func::Rank | Func::DenseRank | Func::DocumentNumber | Func::Shift { .. }
            ) && sort.is_empty()
            {
                return Err(err(5371110, format!("{op} requires a sortBy")));
            }
            if matches!(win, Window::Range(..)) && sort.len() != 1 {
                return Err(err(
                    5339902,
                    "range-based windows require sortBy on exactly one field",
                ));
            }
            outputs.push(Output {
                path: name.split('.').map(str::to_owned).collect(),
                func,
                window: win,
            });
        }
        Ok(SetWindowFields {
            partition,
            sort,
            outputs,
        })
    }

    pub(crate) fn run(
        &self,
        docs: Vec<Document>,
        vars: &Vars,
    ) -> Result<Vec<Document>, CommandError> {
        let mut keyed = Vec::with_capacity(docs.len());
        for d in docs {
            let part = match &self.partition {
                Some(e) => e.eval(&d, vars)?.unwrap_or(Bson::Null),
                None => Bson::Null,
            };
            let keys = key_values(&self.sort, &d);
            keyed.push((part, keys, d));
        }
        keyed.sort_by(|a, b| {
            compare_values(&a.0, &b.0).then_with(|| compare_keys(&self.sort, &a.1, &b.1))
        });
        let mut out = Vec::with_capacity(keyed.len());
        let mut start = 0;
        while let Some((part, _, _)) = keyed.get(start) {
            let end = keyed
                .iter()
                .skip(start)
                .position(|k| compare_values(&k.0, part) != Ordering::Equal)
                .map_or(keyed.len(), |n| start + n);
            let slice = keyed.get(start..end).unwrap_or_default();
            let mut values: Vec<Vec<Bson>> = Vec::with_capacity(self.outputs.len());
            for o in &self.outputs {
                values.push(self.compute(o, slice, vars)?);
            }
            for (i, (_, _, d)) in slice.iter().enumerate() {
                let mut d = d.clone();
                for (o, vals) in self.outputs.iter().zip(&values) {
                    if let Some(v) = vals.get(i) {
                        super::unwind::set(&mut d, &o.path, v.clone());
                    }
                }
                out.push(d);
            }
            start = end;
        }
        Ok(out)
    }

    fn compute(
        &self,
        o: &Output,
        part: &[(Bson, Vec<Bson>, Document)],
        vars: &Vars,
    ) -> Result<Vec<Bson>, CommandError> {
        let n = part.len();
        let mut out = Vec::with_capacity(n);
        let same = |a: usize, b: usize| match (part.get(a), part.get(b)) {
            (Some(x), Some(y)) => compare_keys(&self.sort, &x.1, &y.1) == Ordering::Equal,
            _ => false,
        };
        match &o.func {
            Func::Locf(e) => return locf(e, part, vars),
            Func::LinearFill(e) => return linear_fill(e, part, vars),
            _ => {}
        }
        let (mut rank, mut dense) = (0i64, 0i64);
        for i in 0..n {
            let v = match &o.func {
                Func::DocumentNumber => Bson::Int64(i as i64 + 1),
                Func::Rank | Func::DenseRank => {
                    if i == 0 || !same(i, i - 1) {
                        rank = i as i64 + 1;
                        dense += 1;
                    }
                    Bson::Int64(if matches!(o.func, Func::Rank) {
                        rank
                    } else {
                        dense
                    })
                }
                Func::Shift {
                    output,
                    by,
                    default,
                } => {
                    let j = (i as i64).saturating_add(*by);
                    match usize::try_from(j).ok().and_then(|j| part.get(j)) {
                        Some((_, _, d)) => output.eval(d, vars)?.unwrap_or(Bson::Null),
                        None => default.clone(),
                    }
                }
                Func::Locf(_) | Func::LinearFill(_) => Bson::Null,
                Func::Acc(acc) => {
                    let (lo, hi) = self.bounds(o.window, part, i);
                    let mut state = match part.get(i) {
                        Some((_, _, d)) => acc.init(d, vars)?,
                        None => continue,
                    };
                    for (_, _, d) in part.iter().take(hi).skip(lo) {
                        acc.add(&mut state, d, vars)?;
                    }
                    acc.finish(state)
                }
            };
            out.push(v);
        }
        Ok(out)
    }

    /// The half-open index range of the window around document `i`.
    fn bounds(&self, w: Window, part: &[(Bson, Vec<Bson>, Document)], i: usize) -> (usize, usize) {
        let n = part.len();
        match w {
            Window::Documents(lo, hi) => {
                let at = |b: Bound, unbounded: usize| -> usize {
                    match b {
                        Bound::Unbounded => unbounded,
                        Bound::Current => i,
                        Bound::At(x) => (i as f64 + x).clamp(0.0, n as f64) as usize,
                    }
                };
                let lo = at(lo, 0);
                let hi = match hi {
                    Bound::Unbounded => n,
                    Bound::Current => i + 1,
                    Bound::At(x) => ((i as f64 + x + 1.0).max(0.0) as usize).min(n),
                };
                (lo, hi.max(lo))
            }
            Window::Range(lo, hi, scale) => {
                let key = |j: usize| -> Option<f64> {
                    match part.get(j).and_then(|p| p.1.first()) {
                        Some(Bson::DateTime(d)) => Some(d.timestamp_millis() as f64),
                        Some(v) => {
                            crate::backend::memory::aggregate::expr::arith_support::as_num(v)
                                .map(|n| n.f64())
                        }
                        None => None,
                    }
                };
                let Some(me) = key(i) else {
                    return (i, i);
                };
                let inside = |j: usize| -> bool {
                    let Some(k) = key(j) else { return false };
                    let lo_ok = match lo {
                        Bound::Unbounded => true,
                        Bound::Current => k >= me,
                        Bound::At(x) => k >= me + x * scale,
                    };
                    let hi_ok = match hi {
                        Bound::Unbounded => true,
                        Bound::Current => k <= me,
                        Bound::At(x) => k <= me + x * scale,
                    };
                    lo_ok && hi_ok
                };
                let lo_idx = (0..n).find(|&j| inside(j)).unwrap_or(n);
                let hi_idx = (0..n).rev().find(|&j| inside(j)).map_or(lo_idx, |j| j + 1);
                (lo_idx, hi_idx.max(lo_idx))
            }
        }
    }
}

type Partition = [(Bson, Vec<Bson>, Document)];

fn locf(e: &Expr, part: &Partition, vars: &Vars) -> Result<Vec<Bson>, CommandError> {
    let mut last = Bson::Null;
    let mut out = Vec::with_capacity(part.len());
    for (_, _, d) in part {
        match e.eval(d, vars)? {
            None | Some(Bson::Null | Bson::Undefined) => out.push(last.clone()),
            Some(v) => {
                last = v.clone();
                out.push(v);
            }
        }
    }
    Ok(out)
}

fn type_mismatch(msg: &str) -> CommandError {
    CommandError::new(14, "TypeMismatch", msg)
}

fn linear_fill(e: &Expr, part: &Partition, vars: &Vars) -> Result<Vec<Bson>, CommandError> {
    use crate::backend::memory::aggregate::expr::arith_support::as_num;
    // The sort key as a number (dates as milliseconds); a partition cannot mix the two.
    let mut xs = Vec::with_capacity(part.len());
    let mut dates = None;
    for (_, key, _) in part {
        let (x, is_date) = match key.first() {
            Some(Bson::DateTime(d)) => (d.timestamp_millis() as f64, true),
            Some(v) => match as_num(v) {
                Some(n) => (n.f64(), false),
                None => {
                    return Err(type_mismatch(
                        "$linearFill requires the sortBy field to be numeric or a date",
                    ))
                }
            },
            None => return Err(type_mismatch("$linearFill requires a sortBy field")),
        };
        if *dates.get_or_insert(is_date) != is_date {
            return Err(type_mismatch(
                "$linearFill cannot mix dates and numbers in the sortBy field",
            ));
        }
        if xs.last() == Some(&x) {
            return Err(err(
                6050106,
                "There can be no repeated values in the sort field",
            ));
        }
        xs.push(x);
    }
    let mut ys: Vec<Option<Bson>> = Vec::with_capacity(part.len());
    for (_, _, d) in part {
        ys.push(match e.eval(d, vars)? {
            None | Some(Bson::Null | Bson::Undefined) => None,
            Some(v) if as_num(&v).is_some() => Some(v),
            Some(_) => {
                return Err(type_mismatch(
                    "$linearFill requires numeric or null values to fill",
                ))
            }
        });
    }
    let num = |v: &Bson| as_num(v).map_or(f64::NAN, |n| n.f64());
    let mut out = Vec::with_capacity(ys.len());
    let mut prev: Option<usize> = None;
    for (i, y) in ys.iter().enumerate() {
        if let Some(v) = y {
            prev = Some(i);
            out.push(v.clone());
            continue;
        }
        let next = ys
            .iter()
            .enumerate()
            .skip(i + 1)
            .find_map(|(k, y)| y.as_ref().map(|v| (k, v)));
        let filled = match (prev.and_then(|j| Some((j, ys.get(j)?.as_ref()?))), next) {
            (Some((j, yj)), Some((k, yk))) => {
                let (xj, xk, xi) = (
                    xs.get(j).copied().unwrap_or_default(),
                    xs.get(k).copied().unwrap_or_default(),
                    xs.get(i).copied().unwrap_or_default(),
                );
                let (yj, yk) = (num(yj), num(yk));
                Bson::Double(yj + (xi - xj) * (yk - yj) / (xk - xj))
            }
            _ => Bson::Null,
        };
        out.push(filled);
    }
    Ok(out)
}

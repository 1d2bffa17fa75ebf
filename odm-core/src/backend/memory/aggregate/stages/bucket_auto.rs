//! `$bucketAuto`: documents sorted by a value and cut into about `buckets`
//! groups of equal size, never splitting equal values; each bucket's `_id`
//! is `{min, max}`, `max` being the next bucket's `min`.

use std::borrow::Cow;
use std::cmp::Ordering;

use bson::{doc, Bson, Document};

use super::accumulators::AccSpec;
use super::err;
use super::group::Group;
use crate::backend::memory::aggregate::expr::{as_exact_int, compare_values, Expr, Vars};
use crate::error::CommandError;

/// A compiled `$bucketAuto`.
pub(crate) struct BucketAuto {
    group_by: Expr,
    buckets: usize,
    group: Group,
}

impl BucketAuto {
    pub(crate) fn compile(spec: &Document) -> Result<Self, CommandError> {
        let mut group_by = None;
        let mut buckets = None;
        let mut accs = Vec::new();
        for (k, v) in spec {
            match k.as_str() {
                "groupBy" => group_by = Some(Expr::compile(v)?),
                "buckets" => match as_exact_int(v) {
                    Some(n) if n > 0 => buckets = Some(usize::try_from(n).unwrap_or(usize::MAX)),
                    _ => return Err(err(40243, format!("The 'buckets' field of $bucketAuto must be a positive 32-bit integer, found {v}"))),
                },
                "output" => match v {
                    Bson::Document(o) => {
                        for (name, a) in o {
                            accs.push(AccSpec::compile(name, a)?);
                        }
                    }
                    _ => return Err(err(40244, "The 'output' field of $bucketAuto must be an object")),
                },
                "granularity" => {
                    return Err(err(40257, "$bucketAuto 'granularity' is not supported by the in-memory engine"))
                }
                other => return Err(err(40245, format!("Unrecognized option to $bucketAuto: {other}."))),
            }
        }
        let (Some(group_by), Some(buckets)) = (group_by, buckets) else {
            return Err(err(
                40246,
                "$bucketAuto requires 'groupBy' and 'buckets' to be specified",
            ));
        };
        if accs.is_empty() {
            accs.push(AccSpec::compile(
                "count",
                &Bson::Document(doc! {"$sum": 1}),
            )?);
        }
        Ok(BucketAuto {
            group_by,
            buckets,
            group: Group::with_accumulators(accs)?,
        })
    }

    pub(crate) fn run(
        &self,
        docs: Vec<Document>,
        vars: &Vars,
    ) -> Result<Vec<Document>, CommandError> {
        let mut keyed = Vec::with_capacity(docs.len());
        for d in docs {
            let v = self.group_by.eval(&d, vars)?.unwrap_or(Bson::Null);
            keyed.push((v, d));
        }
        keyed.sort_by(|a, b| compare_values(&a.0, &b.0));
        let n = keyed.len();
        let size = ((n as f64 / self.buckets as f64).round() as usize).max(1);
        // Bucket boundaries: start indexes, extended so equal values stay together.
        let mut starts = Vec::new();
        let mut i = 0;
        while i < n {
            starts.push(i);
            let mut end = (i + size).min(n);
            while end < n && end > 0 && same(&keyed, end - 1, end) {
                end += 1;
            }
            i = end;
        }
        let mut ids = Vec::with_capacity(n);
        for (b, &start) in starts.iter().enumerate() {
            let end = starts.get(b + 1).copied().unwrap_or(n);
            let min = keyed.get(start).map_or(Bson::Null, |k| k.0.clone());
            let max = match starts.get(b + 1) {
                Some(&next) => keyed.get(next).map_or(Bson::Null, |k| k.0.clone()),
                None => keyed
                    .get(end.saturating_sub(1))
                    .map_or(Bson::Null, |k| k.0.clone()),
            };
            let id = Bson::Document(doc! {"min": min, "max": max});
            ids.extend(std::iter::repeat_n(id, end - start));
        }
        let docs: Vec<Document> = keyed.into_iter().map(|(_, d)| d).collect();
        let mut next = ids.into_iter();
        self.group.fold_with(&docs, vars, |_| {
            Ok(Cow::Owned(next.next().unwrap_or(Bson::Null)))
        })
    }
}

fn same(keyed: &[(Bson, Document)], a: usize, b: usize) -> bool {
    match (keyed.get(a), keyed.get(b)) {
        (Some(x), Some(y)) => compare_values(&x.0, &y.0) == Ordering::Equal,
        _ => false,
    }
}

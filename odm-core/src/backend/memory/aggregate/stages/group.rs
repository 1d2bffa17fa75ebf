//! `$group`, `$sortByCount` and `$bucket`: documents folded into groups
//! keyed by MongoDB equality (`1`, `1i64` and `1.0` are one group), without
//! copying the documents; groups come out in first-seen order.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;

use bson::raw::RawDocument;
use bson::{Bson, Document};

use super::accumulators::{AccSpec, AccState};
use super::err;
use crate::backend::memory::aggregate::deps::Deps;
use crate::backend::memory::aggregate::expr::{compare_values, type_name, Expr, Vars};
use crate::backend::memory::aggregate::raw;
use crate::error::CommandError;

/// A compiled `$group`.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    id: Expr,
    accs: Vec<AccSpec>,
}

/// Append a hashable encoding of `v` to `out` under which values that
/// MongoDB considers equal encode identically.
pub(crate) fn key_bytes(v: &Bson, out: &mut Vec<u8>) {
    match v {
        Bson::Null | Bson::Undefined => out.push(1),
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => {
            let exact = crate::backend::memory::aggregate::expr::as_exact_int(v);
            match (exact, v) {
                (Some(i), _) => {
                    out.push(2);
                    out.extend_from_slice(&i.to_le_bytes());
                }
                (None, Bson::Decimal128(d)) => {
                    out.push(3);
                    out.extend_from_slice(d.to_string().as_bytes());
                    out.push(0);
                }
                (None, Bson::Double(d)) if d.is_nan() => out.push(4),
                (None, Bson::Double(d)) => {
                    out.push(5);
                    out.extend_from_slice(&d.to_le_bytes());
                }
                _ => out.push(1),
            }
        }
        Bson::String(s) | Bson::Symbol(s) => key_str(s, out),
        Bson::Document(d) => {
            out.push(7);
            for (k, x) in d {
                out.extend_from_slice(k.as_bytes());
                out.push(0);
                key_bytes(x, out);
            }
            out.push(0xff);
        }
        Bson::Array(items) => {
            out.push(8);
            for x in items {
                key_bytes(x, out);
            }
            out.push(0xff);
        }
        Bson::ObjectId(o) => {
            out.push(9);
            out.extend_from_slice(&o.bytes());
        }
        Bson::Boolean(b) => out.extend_from_slice(&[10, u8::from(*b)]),
        Bson::DateTime(d) => {
            out.push(11);
            out.extend_from_slice(&d.timestamp_millis().to_le_bytes());
        }
        other => {
            // Rare key types: their debug form is exact enough to tell values apart.
            out.push(12);
            out.extend_from_slice(format!("{other:?}").as_bytes());
            out.push(0);
        }
    }
}

/// [`key_bytes`] of a string (or symbol).
pub(crate) fn key_str(s: &str, out: &mut Vec<u8>) {
    out.push(6);
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Groups in first-seen order with their accumulators' states.
type Groups = Vec<(Bson, Vec<AccState>)>;

impl Group {
    pub(crate) fn compile(spec: &Document) -> Result<Self, CommandError> {
        let Some(id) = spec.get("_id") else {
            return Err(err(15955, "a group specification must include an _id"));
        };
        let mut accs = Vec::with_capacity(spec.len());
        for (k, v) in spec {
            if k == "_id" {
                continue;
            }
            if k.contains('.') {
                return Err(err(
                    40235,
                    format!("The field name '{k}' cannot contain '.'"),
                ));
            }
            if k.starts_with('$') {
                return Err(err(
                    40236,
                    format!("The field name '{k}' cannot be an operator name"),
                ));
            }
            accs.push(AccSpec::compile(k, v)?);
        }
        Ok(Group {
            id: Expr::compile(id)?,
            accs,
        })
    }

    pub(crate) fn run(
        &self,
        docs: &[Document],
        vars: &Vars,
    ) -> Result<Vec<Document>, CommandError> {
        self.fold(docs, vars, |d| {
            Ok(self.id.eval_ref(d, vars)?.unwrap_or(Cow::Owned(Bson::Null)))
        })
    }

    /// Record the fields the key and the accumulators read.
    pub(crate) fn deps(&self, deps: &mut Deps) {
        deps.node(self.id.node());
        self.accs.iter().for_each(|a| a.deps(deps));
    }

    /// Whether [`Group::run_raw`] can run this group: its key and every
    /// accumulator argument are field paths, literals or objects of those.
    pub(crate) fn raw_capable(&self) -> bool {
        raw::is_simple(self.id.node()) && self.accs.iter().all(AccSpec::raw_capable)
    }

    /// [`Group::run`] over stored documents, reading only the values the
    /// key and the accumulators reach (see [`Group::raw_capable`]).
    pub(crate) fn run_raw<'r>(
        &self,
        docs: impl IntoIterator<Item = Result<&'r RawDocument, CommandError>>,
        vars: &Vars,
    ) -> Result<Vec<Document>, CommandError> {
        // No accumulator here has an `n` to evaluate against the first document.
        let none = Document::new();
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut groups: Groups = Vec::new();
        let mut buf = Vec::new();
        // One scan of each document for every top-level field the group reads.
        let mut deps = Deps::default();
        self.deps(&mut deps);
        let mut row = raw::Row::new(deps.fields().to_vec());
        for d in docs {
            row.load(d?)?;
            let id = raw::eval(self.id.node(), &row)?;
            buf.clear();
            match &id {
                Some(v) => v.key_bytes(&mut buf)?,
                None => key_bytes(&Bson::Null, &mut buf),
            }
            let gi = match index.get(buf.as_slice()) {
                Some(&i) => i,
                None => {
                    let states = self
                        .accs
                        .iter()
                        .map(|a| a.init(&none, vars))
                        .collect::<Result<Vec<_>, _>>()?;
                    let id = id.map(raw::Val::into_bson).transpose()?;
                    groups.push((id.unwrap_or(Bson::Null), states));
                    index.insert(buf.clone(), groups.len() - 1);
                    groups.len() - 1
                }
            };
            if let Some((_, states)) = groups.get_mut(gi) {
                for (spec, state) in self.accs.iter().zip(states.iter_mut()) {
                    spec.add_raw(state, &row)?;
                }
            }
        }
        Ok(self.finish(groups))
    }

    /// A group whose keys come from the caller (`$bucketAuto`).
    pub(crate) fn with_accumulators(accs: Vec<AccSpec>) -> Result<Self, CommandError> {
        Ok(Group {
            id: Expr::compile(&Bson::Null)?,
            accs,
        })
    }

    /// [`Group::fold`] for other stages.
    pub(crate) fn fold_with<'d>(
        &'d self,
        docs: &'d [Document],
        vars: &Vars,
        key_of: impl FnMut(&'d Document) -> Result<Cow<'d, Bson>, CommandError>,
    ) -> Result<Vec<Document>, CommandError> {
        self.fold(docs, vars, key_of)
    }

    /// Group `docs` by `key_of`, in first-seen order.
    fn fold<'d>(
        &'d self,
        docs: &'d [Document],
        vars: &Vars,
        mut key_of: impl FnMut(&'d Document) -> Result<Cow<'d, Bson>, CommandError>,
    ) -> Result<Vec<Document>, CommandError> {
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut groups: Groups = Vec::new();
        let mut buf = Vec::new();
        for d in docs {
            let id = key_of(d)?;
            buf.clear();
            key_bytes(&id, &mut buf);
            let gi = match index.get(buf.as_slice()) {
                Some(&i) => i,
                None => {
                    let states = self
                        .accs
                        .iter()
                        .map(|a| a.init(d, vars))
                        .collect::<Result<Vec<_>, _>>()?;
                    groups.push((id.into_owned(), states));
                    index.insert(buf.clone(), groups.len() - 1);
                    groups.len() - 1
                }
            };
            if let Some((_, states)) = groups.get_mut(gi) {
                for (spec, state) in self.accs.iter().zip(states.iter_mut()) {
                    spec.add(state, d, vars)?;
                }
            }
        }
        Ok(self.finish(groups))
    }

    /// One output document per group: `_id`, then each accumulator.
    fn finish(&self, groups: Groups) -> Vec<Document> {
        groups
            .into_iter()
            .map(|(id, states)| {
                let mut out = Document::new();
                out.insert("_id", id);
                for (spec, state) in self.accs.iter().zip(states) {
                    out.insert(spec.name.clone(), spec.finish(state));
                }
                out
            })
            .collect()
    }

    /// Compile `$bucket`.
    pub(crate) fn bucket(spec: &Document) -> Result<(Group, Buckets), CommandError> {
        let Some(group_by) = spec.get("groupBy") else {
            return Err(err(
                40198,
                "$bucket requires 'groupBy' and 'boundaries' to be specified.",
            ));
        };
        let bounds = match spec.get("boundaries") {
            Some(Bson::Array(b)) if b.len() >= 2 => b.clone(),
            Some(_) => {
                return Err(err(
                    40192,
                    "The $bucket 'boundaries' field must have at least 2 values",
                ))
            }
            None => {
                return Err(err(
                    40198,
                    "$bucket requires 'groupBy' and 'boundaries' to be specified.",
                ))
            }
        };
        for w in bounds.windows(2) {
            if let [a, b] = w {
                if compare_values(a, b) != Ordering::Less {
                    return Err(err(
                        40194,
                        "The 'boundaries' option to $bucket must be sorted in ascending order",
                    ));
                }
                if crate::backend::memory::compare::type_rank(a.element_type())
                    != crate::backend::memory::compare::type_rank(b.element_type())
                {
                    return Err(err(40193, format!("All values in the 'boundaries' option to $bucket must have the same type. Found conflicting types {} and {}.", type_name(a), type_name(b))));
                }
            }
        }
        let mut accs = Vec::new();
        match spec.get("output") {
            None => accs.push(AccSpec::compile(
                "count",
                &Bson::Document(bson::doc! {"$sum": 1}),
            )?),
            Some(Bson::Document(o)) => {
                for (k, v) in o {
                    accs.push(AccSpec::compile(k, v)?);
                }
            }
            Some(_) => return Err(err(40196, "The $bucket 'output' field must be an object")),
        }
        if let Some(k) = spec
            .keys()
            .find(|k| !matches!(k.as_str(), "groupBy" | "boundaries" | "default" | "output"))
        {
            return Err(err(40197, format!("Unrecognized option to $bucket: {k}.")));
        }
        let group = Group {
            id: Expr::compile(&Bson::Null)?,
            accs,
        };
        Ok((
            group,
            Buckets {
                group_by: Expr::compile(group_by)?,
                bounds,
                default: spec.get("default").cloned(),
            },
        ))
    }
}

/// `$bucket`'s grouping: boundaries and the default bucket.
#[derive(Debug, Clone)]
pub(crate) struct Buckets {
    group_by: Expr,
    bounds: Vec<Bson>,
    default: Option<Bson>,
}

impl Buckets {
    /// Record the fields `groupBy` reads.
    pub(crate) fn deps(&self, deps: &mut Deps) {
        deps.node(self.group_by.node());
    }

    pub(crate) fn run(
        &self,
        g: &Group,
        docs: &[Document],
        vars: &Vars,
    ) -> Result<Vec<Document>, CommandError> {
        let mut out = g.fold(docs, vars, |d| {
            let v = self.group_by.eval(d, vars)?.unwrap_or(Bson::Null);
            let found = self.bounds.windows(2).find_map(|w| match w {
                [lo, hi] if compare_values(lo, &v) != Ordering::Greater && compare_values(&v, hi) == Ordering::Less => Some(lo.clone()),
                _ => None,
            });
            match (found, &self.default) {
                (Some(lo), _) => Ok(Cow::Owned(lo)),
                (None, Some(def)) => Ok(Cow::Owned(def.clone())),
                (None, None) => Err(err(40066, "$switch could not find a matching branch for an input, and no default was specified.")),
            }
        })?;
        // Buckets in boundary order, the default bucket last.
        let rank = |d: &Document| -> usize {
            let id = d.get("_id").unwrap_or(&Bson::Null);
            self.bounds
                .iter()
                .position(|b| {
                    compare_values(b, id) == Ordering::Equal
                        && crate::backend::memory::compare::type_rank(b.element_type())
                            == crate::backend::memory::compare::type_rank(id.element_type())
                })
                .unwrap_or(usize::MAX)
        };
        out.sort_by_key(|d| rank(d));
        Ok(out)
    }
}

/// `$sortByCount`: `{_id: value, count: n}` by descending count.
pub(crate) fn sort_by_count(
    e: &Expr,
    docs: &[Document],
    vars: &Vars,
) -> Result<Vec<Document>, CommandError> {
    let g = Group {
        id: e.clone(),
        accs: vec![AccSpec::compile(
            "count",
            &Bson::Document(bson::doc! {"$sum": 1}),
        )?],
    };
    let mut out = g.run(docs, vars)?;
    let count = |d: &Document| -> i64 {
        match d.get("count") {
            Some(Bson::Int32(i)) => i64::from(*i),
            Some(Bson::Int64(i)) => *i,
            _ => 0,
        }
    };
    out.sort_by_key(|d| std::cmp::Reverse(count(d)));
    Ok(out)
}

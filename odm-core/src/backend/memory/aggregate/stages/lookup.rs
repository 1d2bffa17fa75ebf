//! `$lookup`: equality (`localField`/`foreignField`, arrays matching by
//! element and missing matching null), a `let` + `pipeline` sub-query, or
//! both combined. Foreign documents come from the caller's `lookup`.

use std::cmp::Ordering;
use std::collections::HashMap;

use bson::{Bson, Document};

use super::group::key_bytes;
use super::{compile, err, run, Ctx};
use crate::backend::memory::aggregate::expr::{compare_values, Expr, Vars};
use crate::error::CommandError;

/// A compiled `$lookup`.
pub(crate) struct Lookup {
    from: Option<String>,
    local: Option<Vec<String>>,
    foreign: Option<Vec<String>>,
    as_path: Vec<String>,
    lets: Vec<(String, Expr)>,
    pipeline: Option<Vec<Document>>,
}

fn path(v: &Bson, what: &str) -> Result<Vec<String>, CommandError> {
    match v {
        Bson::String(s) if !s.is_empty() && !s.starts_with('$') => Ok(s.split('.').map(str::to_owned).collect()),
        _ => Err(err(
            40321,
            format!("$lookup argument '{what}' must be a non-empty field path that does not start with '$'"),
        )),
    }
}

impl Lookup {
    pub(crate) fn compile(spec: &Document, ctx: &Ctx<'_>) -> Result<Self, CommandError> {
        let mut l = Lookup {
            from: None,
            local: None,
            foreign: None,
            as_path: Vec::new(),
            lets: Vec::new(),
            pipeline: None,
        };
        for (k, v) in spec {
            match (k.as_str(), v) {
                ("from", Bson::String(s)) => l.from = Some(s.clone()),
                ("from", Bson::Document(d)) => match d.get("coll") {
                    Some(Bson::String(s)) => l.from = Some(s.clone()),
                    _ => return Err(err(ERR_FROM, "$lookup 'from' must have a string 'coll'")),
                },
                ("from", _) => return Err(err(ERR_FROM, "$lookup 'from' must be a string")),
                ("localField", v) => l.local = Some(path(v, "localField")?),
                ("foreignField", v) => l.foreign = Some(path(v, "foreignField")?),
                ("as", v) => l.as_path = path(v, "as")?,
                ("let", Bson::Document(d)) => {
                    for (name, e) in d {
                        crate::backend::memory::aggregate::expr::check_variable_name(name)?;
                        l.lets.push((name.clone(), Expr::compile(e)?));
                    }
                }
                ("let", _) => {
                    return Err(err(ERR_FROM, "$lookup argument 'let' must be an object"))
                }
                ("pipeline", Bson::Array(p)) => {
                    let docs = super::simple::stage_docs(p)?;
                    if let Some(n) = docs
                        .iter()
                        .filter_map(|d| d.keys().next())
                        .find(|n| matches!(n.as_str(), "$out" | "$merge"))
                    {
                        return Err(err(
                            51047,
                            format!("{n} is not allowed within a $lookup's sub-pipeline"),
                        ));
                    }
                    l.pipeline = Some(docs);
                }
                ("pipeline", _) => {
                    return Err(err(
                        ERR_FROM,
                        "$lookup argument 'pipeline' must be an array",
                    ))
                }
                (other, _) => {
                    return Err(err(
                        ERR_FROM,
                        format!("unknown argument to $lookup: {other}"),
                    ))
                }
            }
        }
        if l.as_path.is_empty() {
            return Err(err(ERR_FROM, "must specify 'as' field for a $lookup"));
        }
        if l.local.is_some() != l.foreign.is_some() {
            return Err(err(ERR_FROM, "$lookup requires both or neither of 'localField' and 'foreignField' to be specified"));
        }
        if l.local.is_none() && l.pipeline.is_none() {
            return Err(err(ERR_FROM, "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified"));
        }
        if l.from.is_none()
            && !l
                .pipeline
                .as_ref()
                .is_some_and(|p| p.first().is_some_and(|s| s.contains_key("$documents")))
        {
            return Err(err(
                ERR_FROM,
                "missing 'from' option to $lookup stage specification",
            ));
        }
        // Without `let`, a malformed sub-pipeline fails now, not per document.
        if let (Some(p), true) = (&l.pipeline, l.lets.is_empty()) {
            compile(p, ctx, false)?;
        }
        Ok(l)
    }

    pub(crate) fn run(
        &self,
        docs: Vec<Document>,
        ctx: &Ctx<'_>,
    ) -> Result<Vec<Document>, CommandError> {
        let foreign_docs = match &self.from {
            Some(from) => (ctx.lookup)(from)?,
            None => Vec::new(),
        };
        let shared = match (&self.pipeline, self.lets.is_empty()) {
            (Some(p), true) => Some(compile(p, ctx, false)?),
            _ => None,
        };
        // Equality joins probe a hash index of the foreign side, built once.
        let index = self
            .foreign
            .as_ref()
            .map(|f| ForeignIndex::build(&foreign_docs, f));
        let mut out = Vec::with_capacity(docs.len());
        for mut d in docs {
            let candidates: Vec<Document> = match (&self.local, &index) {
                (Some(local), Some(index)) => index
                    .matches(&local_keys(&d, local))
                    .into_iter()
                    .filter_map(|i| foreign_docs.get(i).cloned())
                    .collect(),
                _ => foreign_docs.clone(),
            };
            let joined = match &self.pipeline {
                None => candidates,
                Some(p) => match &shared {
                    Some(stages) => run(stages, candidates, ctx)?,
                    None => {
                        let mut user = Document::new();
                        for (name, e) in &self.lets {
                            user.insert(name.clone(), e.eval(&d, ctx.vars)?.unwrap_or(Bson::Null));
                        }
                        let vars: Vars = ctx.vars.with(user);
                        let sub = Ctx {
                            vars: &vars,
                            lookup: ctx.lookup,
                            collation: ctx.collation,
                        };
                        let stages = compile(p, &sub, false)?;
                        run(&stages, candidates, &sub)?
                    }
                },
            };
            super::unwind::set(
                &mut d,
                &self.as_path,
                Bson::Array(joined.into_iter().map(Bson::Document).collect()),
            );
            out.push(d);
        }
        Ok(out)
    }
}

const ERR_FROM: i32 = 9;

/// Foreign documents by the MongoDB-equality key of each value at the
/// foreign field: arrays under themselves and each element, a missing
/// field under null (so a null local value finds it).
struct ForeignIndex {
    by_key: HashMap<Vec<u8>, Vec<usize>>,
}

impl ForeignIndex {
    fn build(docs: &[Document], path: &[String]) -> Self {
        let mut by_key: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        let mut add = |v: &Bson, i: usize| {
            let mut key = Vec::new();
            key_bytes(v, &mut key);
            let slot = by_key.entry(key).or_default();
            if slot.last() != Some(&i) {
                slot.push(i);
            }
        };
        for (i, d) in docs.iter().enumerate() {
            let mut vals = Vec::new();
            collect_doc(d, path, &mut vals);
            if vals.is_empty() {
                add(&Bson::Null, i);
            }
            for v in &vals {
                add(v, i);
                if let Bson::Array(items) = v {
                    items.iter().for_each(|x| add(x, i));
                }
            }
        }
        ForeignIndex { by_key }
    }

    /// Indexes of the documents equal to one of `keys`, in collection order.
    fn matches(&self, keys: &[Bson]) -> Vec<usize> {
        let mut hits = Vec::new();
        let mut key = Vec::new();
        for k in keys {
            key.clear();
            key_bytes(k, &mut key);
            if let Some(found) = self.by_key.get(key.as_slice()) {
                hits.extend_from_slice(found);
            }
        }
        hits.sort_unstable();
        hits.dedup();
        hits
    }
}

/// The values a local document offers: array elements, or null when missing.
fn local_keys(d: &Document, path: &[String]) -> Vec<Bson> {
    let mut out = Vec::new();
    collect_doc(d, path, &mut out);
    if out.is_empty() {
        out.push(Bson::Null);
    }
    let mut flat = Vec::with_capacity(out.len());
    for v in out {
        match v {
            Bson::Array(items) if items.is_empty() => flat.push(Bson::Null),
            Bson::Array(items) => flat.extend(items),
            other => flat.push(other),
        }
    }
    flat
}

fn collect_doc(d: &Document, path: &[String], out: &mut Vec<Bson>) {
    if let Some((first, rest)) = path.split_first() {
        if let Some(x) = d.get(first) {
            collect(x, rest, out);
        }
    }
}

/// Query-style traversal: every value reachable at `path`, through arrays.
fn collect(v: &Bson, path: &[String], out: &mut Vec<Bson>) {
    let Some((first, rest)) = path.split_first() else {
        out.push(v.clone());
        return;
    };
    match v {
        Bson::Document(d) => {
            if let Some(x) = d.get(first) {
                collect(x, rest, out);
            }
        }
        Bson::Array(items) => {
            for item in items {
                if matches!(item, Bson::Document(_)) {
                    collect(item, path, out);
                }
            }
        }
        _ => {}
    }
}

/// Every value at `path` (through arrays), array values flattened: the next
/// frontier of a `$graphLookup`.
pub(crate) fn field_values(d: &Document, path: &[String]) -> Vec<Bson> {
    let mut vals = Vec::new();
    collect_doc(d, path, &mut vals);
    let mut flat = Vec::with_capacity(vals.len());
    for v in vals {
        match v {
            Bson::Array(items) => flat.extend(items),
            other => flat.push(other),
        }
    }
    flat
}

/// Whether the foreign document's `path` equals one of `keys` (arrays by
/// element or as a whole; a missing field equals null).
pub(crate) fn matches_any(f: &Document, path: &[String], keys: &[Bson]) -> bool {
    let mut vals = Vec::new();
    collect_doc(f, path, &mut vals);
    if vals.is_empty() {
        return keys
            .iter()
            .any(|k| matches!(k, Bson::Null | Bson::Undefined));
    }
    let eq = |a: &Bson, b: &Bson| compare_values(a, b) == Ordering::Equal;
    vals.iter().any(|v| {
        keys.iter()
            .any(|k| eq(v, k) || matches!(v, Bson::Array(items) if items.iter().any(|x| eq(x, k))))
    })
}

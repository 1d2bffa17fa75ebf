//! Pipeline stages: each stage document compiled into a [`Stage`], then the
//! stages run in order over the documents.

mod accumulators;
mod bucket_auto;
mod densify;
mod fill;
mod graph;
mod group;
mod lookup;
mod project;
mod simple;
mod unwind;
mod window;

pub(crate) use group::{key_bytes, key_str};
pub(crate) use project::Projector;

use bson::{Bson, Document};

use super::deps::Deps;
use super::expr::{Expr, Vars};
use crate::backend::memory::collation::Collation;
use crate::backend::memory::matcher::Matcher;
use crate::backend::memory::sort::SortSpec;
use crate::error::CommandError;

/// What stages need from the caller: variables and other collections.
pub(crate) struct Ctx<'a> {
    pub(crate) vars: &'a Vars,
    pub(crate) lookup: &'a dyn Fn(&str) -> Result<Vec<Document>, CommandError>,
    /// The command's collation, for `$match` and `$sort`.
    pub(crate) collation: Option<&'a Collation>,
}

/// A compiled stage.
pub(crate) enum Stage {
    Match(Matcher),
    Project(project::Projector),
    ReplaceRoot(Expr),
    Group(group::Group),
    Sort(SortSpec),
    Skip(usize),
    Limit(usize),
    Count(String),
    Unwind(unwind::Unwind),
    Lookup(Box<lookup::Lookup>),
    Facet(Vec<(String, Vec<Stage>)>),
    SortByCount(Expr),
    Sample(usize),
    Documents(Expr),
    Bucket(group::Group, Box<group::Buckets>),
    UnionWith(String, Vec<Document>),
    GraphLookup(Box<graph::GraphLookup>),
    Redact(Expr),
    BucketAuto(Box<bucket_auto::BucketAuto>),
    SetWindowFields(Box<window::SetWindowFields>),
    Densify(Box<densify::Densify>),
    /// A stage MongoDB rewrites into others (`$fill`).
    Seq(Vec<Stage>),
}

impl Stage {
    /// Record what this stage reads of its input documents; `true` when
    /// its output carries nothing else of them, so later stages read only
    /// what this one produced.
    pub(crate) fn deps(&self, deps: &mut Deps) -> bool {
        match self {
            Stage::Match(m) => {
                m.deps(deps);
                false
            }
            Stage::Project(p) => p.deps(deps),
            Stage::ReplaceRoot(e) | Stage::SortByCount(e) => {
                deps.node(e.node());
                true
            }
            Stage::Group(g) => {
                g.deps(deps);
                true
            }
            Stage::Bucket(g, b) => {
                g.deps(deps);
                b.deps(deps);
                true
            }
            Stage::Sort(s) => {
                s.top_fields().for_each(|f| deps.field(f));
                false
            }
            Stage::Unwind(u) => {
                deps.path(u.path());
                false
            }
            Stage::Skip(_) | Stage::Limit(_) | Stage::Sample(_) => false,
            Stage::Count(_) | Stage::Documents(_) => true,
            Stage::Lookup(_)
            | Stage::Facet(_)
            | Stage::UnionWith(..)
            | Stage::GraphLookup(_)
            | Stage::Redact(_)
            | Stage::BucketAuto(_)
            | Stage::SetWindowFields(_)
            | Stage::Densify(_) => {
                deps.whole();
                true
            }
            Stage::Seq(stages) => stages.iter().any(|s| s.deps(deps)),
        }
    }
}

pub(crate) fn err(code: i32, msg: impl Into<String>) -> CommandError {
    CommandError::new(code, format!("Location{code}"), msg)
}

/// Compile a pipeline. `top` is false inside `$facet`/`$lookup`, where
/// `$out`, `$merge` and `$facet` itself are not allowed.
pub(crate) fn compile(
    pipeline: &[Document],
    ctx: &Ctx<'_>,
    top: bool,
) -> Result<Vec<Stage>, CommandError> {
    let mut out = Vec::with_capacity(pipeline.len());
    for (i, stage) in pipeline.iter().enumerate() {
        let mut it = stage.iter();
        let (Some((name, spec)), None) = (it.next(), it.next()) else {
            return Err(err(
                40323,
                "A pipeline stage specification object must contain exactly one field.",
            ));
        };
        out.push(compile_stage(name, spec, i, ctx, top)?);
    }
    Ok(out)
}

fn compile_stage(
    name: &str,
    spec: &Bson,
    index: usize,
    ctx: &Ctx<'_>,
    top: bool,
) -> Result<Stage, CommandError> {
    let doc = |what: &str| -> Result<&Document, CommandError> {
        match spec {
            Bson::Document(d) => Ok(d),
            _ => Err(err(
                15959,
                format!("the {what} specification must be an object"),
            )),
        }
    };
    Ok(match name {
        "$match" => {
            let filter = match spec {
                Bson::Document(d) => d,
                _ => {
                    return Err(err(
                        15959,
                        "the match filter must be an expression in an object",
                    ))
                }
            };
            // The matcher evaluates `let` values as expressions; ours are
            // already values, so each goes in as a `$literal`.
            let lets: Document = ctx
                .vars
                .user
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Bson::Document(bson::doc! {"$literal": v.clone()}),
                    )
                })
                .collect();
            let lets = (!lets.is_empty()).then_some(lets);
            Stage::Match(Matcher::compile_with_collation(
                filter,
                lets.as_ref(),
                ctx.collation,
            )?)
        }
        "$project" => Stage::Project(project::Projector::project(doc("$project")?)?),
        "$addFields" | "$set" => Stage::Project(project::Projector::add_fields(name, doc(name)?)?),
        "$unset" => Stage::Project(project::Projector::unset(spec)?),
        "$replaceRoot" => {
            let d = doc("$replaceRoot")?;
            let Some(root) = d.get("newRoot") else {
                return Err(err(
                    40231,
                    "no newRoot specified for the $replaceRoot stage",
                ));
            };
            if let Some(k) = d.keys().find(|k| *k != "newRoot") {
                return Err(err(
                    40415,
                    format!("BSON field '$replaceRoot.{k}' is an unknown field."),
                ));
            }
            Stage::ReplaceRoot(Expr::compile(root)?)
        }
        "$replaceWith" => Stage::ReplaceRoot(Expr::compile(spec)?),
        "$group" => Stage::Group(group::Group::compile(doc("$group")?)?),
        "$sort" => {
            let d = match spec {
                Bson::Document(d) if !d.is_empty() => d,
                _ => return Err(err(15976, "$sort stage must have at least one sort key")),
            };
            Stage::Sort(SortSpec::compile_with_collation(d, ctx.collation)?)
        }
        "$skip" => Stage::Skip(simple::count_arg("$skip", spec, 15956, true)?),
        "$limit" => Stage::Limit(simple::count_arg("$limit", spec, 15958, false)?),
        "$count" => Stage::Count(simple::count_name(spec)?),
        "$unwind" => Stage::Unwind(unwind::Unwind::compile(spec)?),
        "$lookup" => Stage::Lookup(Box::new(lookup::Lookup::compile(doc("$lookup")?, ctx)?)),
        "$facet" => {
            if !top {
                return Err(err(
                    40600,
                    "$facet is not allowed to be used within a $facet stage",
                ));
            }
            let d = doc("$facet")?;
            if d.is_empty() {
                return Err(err(
                    40169,
                    "the $facet specification must be a non-empty object",
                ));
            }
            let mut facets = Vec::with_capacity(d.len());
            for (k, v) in d {
                let Bson::Array(stages) = v else {
                    return Err(err(
                        40170,
                        format!(
                            "arguments to $facet must be arrays, {k} is type {}",
                            super::expr::type_name(v)
                        ),
                    ));
                };
                let stages = simple::stage_docs(stages)?;
                for s in &stages {
                    if let Some(n) = s.keys().next().filter(|n| {
                        matches!(n.as_str(), "$out" | "$merge" | "$facet" | "$documents")
                    }) {
                        return Err(err(
                            40600,
                            format!("{n} is not allowed to be used within a $facet stage"),
                        ));
                    }
                }
                facets.push((k.clone(), compile(&stages, ctx, false)?));
            }
            Stage::Facet(facets)
        }
        "$sortByCount" => {
            match spec {
                Bson::String(s) if s.starts_with('$') => {}
                Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')) => {}
                _ => {
                    return Err(err(
                        40148,
                        "the sortKey specification must be an expression",
                    ))
                }
            }
            Stage::SortByCount(Expr::compile(spec)?)
        }
        "$sample" => {
            let d = doc("$sample")?;
            let size = d.get("size").unwrap_or(&Bson::Null);
            Stage::Sample(simple::count_arg("$sample size", size, 28747, true)?)
        }
        "$documents" => {
            if index != 0 {
                return Err(err(
                    40602,
                    "$documents is only valid as the first stage in a pipeline",
                ));
            }
            Stage::Documents(Expr::compile(spec)?)
        }
        "$bucket" => {
            let (g, b) = group::Group::bucket(doc("$bucket")?)?;
            Stage::Bucket(g, Box::new(b))
        }
        "$unionWith" => {
            let (coll, pipeline) = match spec {
                Bson::String(c) => (c.clone(), Vec::new()),
                Bson::Document(d) => {
                    let coll = match d.get("coll") {
                        Some(Bson::String(c)) => c.clone(),
                        _ => return Err(err(40415, "$unionWith requires 'coll' to be a string")),
                    };
                    let pipeline = match d.get("pipeline") {
                        None => Vec::new(),
                        Some(Bson::Array(p)) => simple::stage_docs(p)?,
                        Some(_) => return Err(err(14, "$unionWith 'pipeline' must be an array")),
                    };
                    compile(&pipeline, ctx, false)?;
                    (coll, pipeline)
                }
                _ => return Err(err(40415, "$unionWith expects a string or an object")),
            };
            Stage::UnionWith(coll, pipeline)
        }
        "$graphLookup" => {
            Stage::GraphLookup(Box::new(graph::GraphLookup::compile(doc("$graphLookup")?)?))
        }
        "$redact" => Stage::Redact(Expr::compile(spec)?),
        "$bucketAuto" => Stage::BucketAuto(Box::new(bucket_auto::BucketAuto::compile(doc(
            "$bucketAuto",
        )?)?)),
        "$setWindowFields" => Stage::SetWindowFields(Box::new(window::SetWindowFields::compile(
            doc("$setWindowFields")?,
        )?)),
        "$fill" => Stage::Seq(fill::compile(spec)?),
        "$densify" => Stage::Densify(Box::new(densify::Densify::compile(spec)?)),
        "$out" | "$merge" => {
            return Err(err(
                40601,
                format!("{name} can only be the final stage in the pipeline"),
            ))
        }
        other => {
            return Err(err(
                40324,
                format!("Unrecognized pipeline stage name: '{other}'"),
            ))
        }
    })
}

/// Run compiled stages over `docs`.
pub(crate) fn run(
    stages: &[Stage],
    mut docs: Vec<Document>,
    ctx: &Ctx<'_>,
) -> Result<Vec<Document>, CommandError> {
    for stage in stages {
        docs = match stage {
            Stage::Match(m) => simple::filter(m, docs)?,
            Stage::Project(p) => docs
                .into_iter()
                .map(|d| p.apply_owned(d, ctx.vars))
                .collect::<Result<_, _>>()?,
            Stage::ReplaceRoot(e) => docs
                .into_iter()
                .map(|d| simple::replace_root(e, &d, ctx.vars))
                .collect::<Result<_, _>>()?,
            Stage::Group(g) => g.run(&docs, ctx.vars)?,
            Stage::Sort(s) => simple::sort(s, docs)?,
            Stage::Skip(n) => docs.into_iter().skip(*n).collect(),
            Stage::Limit(n) => {
                docs.truncate(*n);
                docs
            }
            Stage::Count(name) => {
                if docs.is_empty() {
                    Vec::new()
                } else {
                    let n = i32::try_from(docs.len())
                        .map(Bson::Int32)
                        .unwrap_or(Bson::Int64(docs.len() as i64));
                    let mut d = Document::new();
                    d.insert(name.clone(), n);
                    vec![d]
                }
            }
            Stage::Unwind(u) => u.run(docs),
            Stage::Lookup(l) => l.run(docs, ctx)?,
            Stage::Facet(facets) => {
                let mut out = Document::new();
                for (name, sub) in facets {
                    let res = run(sub, docs.clone(), ctx)?;
                    out.insert(
                        name.clone(),
                        res.into_iter().map(Bson::Document).collect::<Vec<_>>(),
                    );
                }
                vec![out]
            }
            Stage::SortByCount(e) => group::sort_by_count(e, &docs, ctx.vars)?,
            Stage::Sample(n) => simple::sample(docs, *n, ctx.vars.sample_seed),
            Stage::Documents(e) => simple::documents(e, ctx.vars)?,
            Stage::Bucket(g, b) => b.run(g, &docs, ctx.vars)?,
            Stage::GraphLookup(g) => g.run(docs, ctx)?,
            Stage::BucketAuto(b) => b.run(docs, ctx.vars)?,
            Stage::SetWindowFields(w) => w.run(docs, ctx.vars)?,
            Stage::Seq(sub) => run(sub, docs, ctx)?,
            Stage::Densify(d) => d.run(docs)?,
            Stage::Redact(e) => {
                let mut out = Vec::with_capacity(docs.len());
                for d in docs {
                    out.extend(graph::redact(e, d, ctx.vars)?);
                }
                out
            }
            Stage::UnionWith(coll, pipeline) => {
                let other = (ctx.lookup)(coll)?;
                let stages = compile(pipeline, ctx, false)?;
                docs.extend(run(&stages, other, ctx)?);
                docs
            }
        };
    }
    Ok(docs)
}

#[cfg(test)]
mod tests;

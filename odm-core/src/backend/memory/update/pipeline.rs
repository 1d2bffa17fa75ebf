//! Update pipelines: `$set`/`$addFields`, `$unset`, `$project` and
//! `$replaceRoot`/`$replaceWith`, with expressions evaluated by the
//! aggregation evaluator.

use bson::{Bson, Document};

use super::arrays::raw;
use crate::backend::memory::aggregate::expr::{Expr, Vars};
use crate::backend::memory::projection::Projection;
use crate::error::CommandError;
use crate::value::{display_bson, element_type_name};

/// What `$addFields` puts at one field: an expression, or fields merged into
/// an embedded document.
#[derive(Debug, Clone)]
enum Spec {
    Expr(Expr),
    Nested(Vec<(String, Spec)>),
}

#[derive(Debug, Clone)]
enum Stage {
    AddFields(Vec<(String, Spec)>),
    Unset(Vec<String>),
    Project(Projection),
    ReplaceRoot(Expr),
}

/// A compiled update pipeline.
#[derive(Debug, Clone)]
pub(super) struct Pipeline {
    stages: Vec<Stage>,
    vars: Vars,
}

impl Pipeline {
    /// Compile the stages; stages other than the five allowed are error 72.
    pub fn compile(stages: &[Document], let_vars: Option<&Document>) -> Result<Self, CommandError> {
        let mut compiled = Vec::with_capacity(stages.len());
        for stage in stages {
            let mut entries = stage.iter();
            let (Some((name, arg)), None) = (entries.next(), entries.next()) else {
                return Err(CommandError::new(
                    40323,
                    "Location40323",
                    "A pipeline stage specification object must contain exactly one field.",
                ));
            };
            compiled.push(compile_stage(name, arg)?);
        }
        Ok(Pipeline {
            stages: compiled,
            vars: Vars::new(let_vars)?,
        })
    }

    /// Run the stages over `doc`, returning the new document.
    pub fn run(&self, doc: &Document) -> Result<Document, CommandError> {
        let mut cur = doc.clone();
        for stage in &self.stages {
            cur = match stage {
                Stage::AddFields(specs) => {
                    let mut out = cur.clone();
                    add_fields(&mut out, specs, &cur, &self.vars)?;
                    out
                }
                Stage::Unset(paths) => {
                    for path in paths {
                        unset_path(&mut cur, path);
                    }
                    cur
                }
                Stage::Project(p) => {
                    let projected = p.apply(&raw(&cur)?, None)?;
                    Document::try_from(&projected)
                        .map_err(|e| CommandError::bad_value(e.to_string()))?
                }
                Stage::ReplaceRoot(e) => match e.eval(&cur, &self.vars)? {
                    Some(Bson::Document(d)) => d,
                    other => {
                        let shown = other.as_ref().map_or("missing".to_string(), display_bson);
                        let ty = other
                            .as_ref()
                            .map_or("missing", |v| element_type_name(v.element_type()));
                        return Err(CommandError::new(
                            40228,
                            "Location40228",
                            format!(
                                "'replacement document' must evaluate to an object, but \
                                 resulting value was: {shown}. Type of resulting value: '{ty}'. \
                                 Input document: {}",
                                display_bson(&Bson::Document(cur))
                            ),
                        ));
                    }
                },
            };
        }
        Ok(cur)
    }
}

fn compile_stage(name: &str, arg: &Bson) -> Result<Stage, CommandError> {
    match name {
        "$set" | "$addFields" => match arg {
            Bson::Document(d) => Ok(Stage::AddFields(compile_fields(d)?)),
            _ => Err(CommandError::new(
                40272,
                "Location40272",
                format!(
                    "{name} specification stage must be an object, got {}",
                    type_of(arg)
                ),
            )),
        },
        "$unset" => {
            let paths: Option<Vec<String>> = match arg {
                Bson::String(s) => Some(vec![s.clone()]),
                Bson::Array(items) if !items.is_empty() => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => None,
            };
            paths.map(Stage::Unset).ok_or_else(|| {
                CommandError::new(
                    31002,
                    "Location31002",
                    "$unset specification must be a string or an array containing at least one field",
                )
            })
        }
        "$project" => match arg {
            Bson::Document(d) => Ok(Stage::Project(Projection::compile(d)?)),
            _ => Err(CommandError::new(
                15969,
                "Location15969",
                "$project specification must be an object",
            )),
        },
        "$replaceRoot" => match arg {
            Bson::Document(d) => match (d.len(), d.get("newRoot")) {
                (1, Some(root)) => Ok(Stage::ReplaceRoot(Expr::compile(root)?)),
                _ => Err(CommandError::new(
                    40231,
                    "Location40231",
                    "no newRoot specified for the $replaceRoot stage",
                )),
            },
            _ => Err(CommandError::new(
                40229,
                "Location40229",
                format!(
                    "expected an object as specification for $replaceRoot stage, got {}",
                    type_of(arg)
                ),
            )),
        },
        "$replaceWith" => Ok(Stage::ReplaceRoot(Expr::compile(arg)?)),
        _ => Err(CommandError::new(
            72,
            "InvalidOptions",
            format!("{name} is not allowed to be used within an update"),
        )),
    }
}

fn type_of(v: &Bson) -> &'static str {
    element_type_name(v.element_type())
}

/// A literal document without operators is a nested field specification; a
/// dotted name is the same as nesting.
fn compile_fields(d: &Document) -> Result<Vec<(String, Spec)>, CommandError> {
    let mut out = Vec::with_capacity(d.len());
    for (name, value) in d {
        let mut spec = match value {
            Bson::Document(inner)
                if !inner.is_empty() && !inner.keys().any(|k| k.starts_with('$')) =>
            {
                Spec::Nested(compile_fields(inner)?)
            }
            _ => Spec::Expr(Expr::compile(value)?),
        };
        // `a.b.c: spec` is `a: {b: {c: spec}}`.
        let mut parts = name.split('.');
        let head = parts.next().unwrap_or_default().to_string();
        let rest: Vec<&str> = parts.collect();
        for part in rest.iter().rev() {
            spec = Spec::Nested(vec![(part.to_string(), spec)]);
        }
        out.push((head, spec));
    }
    Ok(out)
}

/// Apply `$addFields` specs to `target`, evaluating against `root`.
fn add_fields(
    target: &mut Document,
    specs: &[(String, Spec)],
    root: &Document,
    vars: &Vars,
) -> Result<(), CommandError> {
    for (name, spec) in specs {
        match spec {
            Spec::Expr(e) => match e.eval(root, vars)? {
                Some(v) => {
                    target.insert(name.clone(), v);
                }
                None => {
                    target.remove(name);
                }
            },
            Spec::Nested(inner) => match target.get_mut(name) {
                Some(Bson::Document(child)) => add_fields(child, inner, root, vars)?,
                Some(Bson::Array(items)) => {
                    for item in items.iter_mut() {
                        if let Bson::Document(child) = item {
                            add_fields(child, inner, root, vars)?;
                        }
                    }
                }
                _ => {
                    let mut child = Document::new();
                    add_fields(&mut child, inner, root, vars)?;
                    target.insert(name.clone(), child);
                }
            },
        }
    }
    Ok(())
}

/// Remove a dotted path, through embedded documents and arrays of documents.
fn unset_path(doc: &mut Document, path: &str) {
    match path.split_once('.') {
        None => {
            doc.remove(path);
        }
        Some((head, rest)) => match doc.get_mut(head) {
            Some(Bson::Document(child)) => unset_path(child, rest),
            Some(Bson::Array(items)) => {
                for item in items.iter_mut() {
                    if let Bson::Document(child) = item {
                        unset_path(child, rest);
                    }
                }
            }
            _ => {}
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn stages_are_checked() {
        let bad = Pipeline::compile(&[doc! {"$match": {}}], None).unwrap_err();
        assert_eq!(bad.code, 72);
        let bad = Pipeline::compile(&[doc! {"$set": {}, "$unset": "a"}], None).unwrap_err();
        assert_eq!(bad.code, 40323);
        assert!(Pipeline::compile(&[doc! {"$unset": []}], None).is_err());
    }

    #[test]
    fn unset_stage_runs_without_expressions() {
        let p = Pipeline::compile(&[doc! {"$unset": ["a", "b.c"]}], None).unwrap();
        let out = p
            .run(&doc! {"_id": 1, "a": 1, "b": {"c": 1, "d": 2}, "e": [{"c": 1}]})
            .unwrap();
        assert_eq!(out, doc! {"_id": 1, "b": {"d": 2}, "e": [{"c": 1}]});
    }

    #[test]
    fn dotted_fields_nest() {
        let specs = compile_fields(&doc! {"a.b.c": 1, "d": {"e": 2}}).unwrap();
        let shape: Vec<String> = specs
            .iter()
            .map(|(name, spec)| match spec {
                Spec::Nested(inner) => format!("{name}>{}", inner.len()),
                Spec::Expr(_) => name.clone(),
            })
            .collect();
        assert_eq!(shape, vec!["a>1", "d>1"]);
    }
}

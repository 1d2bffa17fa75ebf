//! Update pipelines: `$set`/`$addFields`, `$unset`, `$project` and
//! `$replaceRoot`/`$replaceWith`. The first three are the aggregation
//! stages themselves ([`Projector`]), so both behave alike; expressions are
//! evaluated by the aggregation evaluator.

use bson::{Bson, DateTime, Document};

use crate::backend::memory::aggregate::expr::{Expr, Vars};
use crate::backend::memory::aggregate::Projector;
use crate::error::CommandError;
use crate::value::{display_bson, element_type_name};

#[derive(Debug, Clone)]
enum Stage {
    /// `$set`/`$addFields`, `$unset` or `$project`.
    Project(Projector),
    /// `$replaceRoot` or `$replaceWith`.
    ReplaceRoot(Expr),
}

/// A compiled update pipeline.
#[derive(Debug, Clone)]
pub(super) struct Pipeline {
    stages: Vec<Stage>,
    vars: Vars,
}

impl Pipeline {
    /// Compile the stages; stages other than the allowed ones are error 72.
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

    /// Run the stages over `doc`, returning the new document. `now` is
    /// `$$NOW` (the time the pipeline was compiled when `None`).
    pub fn run(&self, doc: &Document, now: Option<DateTime>) -> Result<Document, CommandError> {
        let with_now;
        let vars = match now {
            Some(now) if self.vars.now != Some(now) => {
                with_now = Vars {
                    now: Some(now),
                    ..self.vars.clone()
                };
                &with_now
            }
            _ => &self.vars,
        };
        let mut stages = self.stages.iter();
        let Some(first) = stages.next() else {
            return Ok(doc.clone());
        };
        let mut cur = run_stage(first, doc, vars)?;
        for stage in stages {
            cur = run_stage(stage, &cur, vars)?;
        }
        Ok(cur)
    }
}

fn run_stage(stage: &Stage, doc: &Document, vars: &Vars) -> Result<Document, CommandError> {
    match stage {
        Stage::Project(p) => p.apply(doc, vars),
        Stage::ReplaceRoot(e) => match e.eval(doc, vars)? {
            Some(Bson::Document(d)) => Ok(d),
            other => {
                let shown = other.as_ref().map_or("missing".to_string(), display_bson);
                let ty = other
                    .as_ref()
                    .map_or("missing", |v| element_type_name(v.element_type()));
                Err(CommandError::new(
                    40228,
                    "Location40228",
                    format!(
                        "'replacement document' must evaluate to an object, but resulting value \
                         was: {shown}. Type of resulting value: '{ty}'. Input document: {}",
                        display_bson(&Bson::Document(doc.clone()))
                    ),
                ))
            }
        },
    }
}

fn compile_stage(name: &str, arg: &Bson) -> Result<Stage, CommandError> {
    let spec = || match arg {
        Bson::Document(d) => Ok(d),
        _ => Err(CommandError::new(
            40272,
            "Location40272",
            format!(
                "{name} specification stage must be an object, got {}",
                element_type_name(arg.element_type())
            ),
        )),
    };
    Ok(match name {
        "$set" | "$addFields" => Stage::Project(Projector::add_fields(name, spec()?)?),
        "$project" => Stage::Project(Projector::project(spec()?)?),
        "$unset" => Stage::Project(Projector::unset(arg)?),
        "$replaceRoot" => match arg {
            Bson::Document(d) => match (d.len(), d.get("newRoot")) {
                (1, Some(root)) => Stage::ReplaceRoot(Expr::compile(root)?),
                _ => {
                    return Err(CommandError::new(
                        40231,
                        "Location40231",
                        "no newRoot specified for the $replaceRoot stage",
                    ))
                }
            },
            _ => {
                return Err(CommandError::new(
                    40229,
                    "Location40229",
                    format!(
                        "expected an object as specification for $replaceRoot stage, got {}",
                        element_type_name(arg.element_type())
                    ),
                ))
            }
        },
        "$replaceWith" => Stage::ReplaceRoot(Expr::compile(arg)?),
        _ => {
            return Err(CommandError::new(
                72,
                "InvalidOptions",
                format!("{name} is not allowed to be used within an update"),
            ))
        }
    })
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
        assert!(Pipeline::compile(&[doc! {"$set": 1}], None).is_err());
        assert!(Pipeline::compile(&[doc! {"$replaceRoot": {"root": "$a"}}], None).is_err());
    }

    #[test]
    fn unset_stage_removes_paths() {
        let p = Pipeline::compile(&[doc! {"$unset": ["a", "b.c"]}], None).unwrap();
        let out = p
            .run(
                &doc! {"_id": 1, "a": 1, "b": {"c": 1, "d": 2}, "e": [{"c": 1}]},
                None,
            )
            .unwrap();
        assert_eq!(out, doc! {"_id": 1, "b": {"d": 2}, "e": [{"c": 1}]});
    }

    #[test]
    fn an_empty_pipeline_changes_nothing() {
        let p = Pipeline::compile(&[], None).unwrap();
        let d = doc! {"_id": 1, "a": [1]};
        assert_eq!(p.run(&d, None).unwrap(), d);
    }
}

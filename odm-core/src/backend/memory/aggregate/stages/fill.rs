//! `$fill`: null and missing fields filled with a value (`$addFields` with
//! `$ifNull`) or by a method over sorted partitions (`$setWindowFields`
//! with `$locf` or `$linearFill`), which is how MongoDB rewrites the stage.

use bson::{doc, Bson, Document};

use super::err;
use super::project::Projector;
use super::window::SetWindowFields;
use super::Stage;
use crate::error::CommandError;

fn unknown(path: &str) -> CommandError {
    CommandError::new(
        40415,
        "Location40415",
        format!("BSON field '{path}' is an unknown field."),
    )
}

/// Compile `$fill` into the stages it stands for.
pub(crate) fn compile(spec: &Bson) -> Result<Vec<Stage>, CommandError> {
    let Bson::Document(spec) = spec else {
        return Err(CommandError::new(
            9,
            "FailedToParse",
            format!(
                "The $fill stage specification must be an object, found {}",
                crate::backend::memory::aggregate::expr::type_name(spec)
            ),
        ));
    };
    if let Some(k) = spec.keys().find(|k| {
        !matches!(
            k.as_str(),
            "sortBy" | "partitionBy" | "partitionByFields" | "output"
        )
    }) {
        return Err(unknown(&format!("$fill.{k}")));
    }
    let output = match spec.get("output") {
        Some(Bson::Document(o)) => o,
        Some(_) => {
            return Err(CommandError::new(
                14,
                "TypeMismatch",
                "BSON field '$fill.output' is the wrong type, expected type 'object'",
            ))
        }
        None => {
            return Err(CommandError::new(
                40414,
                "Location40414",
                "BSON field '$fill.output' is missing but a required field",
            ))
        }
    };
    if output.is_empty() {
        return Err(err(
            6050203,
            "The output field in '$fill' must contain an object with at least one element",
        ));
    }
    let mut window_out = Document::new();
    let mut add = Document::new();
    for (field, f) in output {
        let Bson::Document(f) = f else {
            return Err(err(
                6050200,
                "Each fill output specification must be an object with exactly one field",
            ));
        };
        if let Some(k) = f.keys().find(|k| !matches!(k.as_str(), "method" | "value")) {
            return Err(unknown(&format!("$fill.output.{k}")));
        }
        match (f.get("method"), f.get("value")) {
            (Some(Bson::String(m)), None) => {
                let op = match m.as_str() {
                    "locf" => "$locf",
                    "linear" => "$linearFill",
                    _ => return Err(err(6050202, "Method must be either locf or linear")),
                };
                window_out.insert(field.clone(), doc! {op: format!("${field}")});
            }
            (Some(_), None) => {
                return Err(CommandError::new(
                    14,
                    "TypeMismatch",
                    "BSON field '$fill.output.method' is the wrong type, expected type 'string'",
                ))
            }
            (None, Some(v)) => {
                add.insert(
                    field.clone(),
                    doc! {"$ifNull": [format!("${field}"), v.clone()]},
                );
            }
            _ => {
                return Err(err(
                    6050201,
                    "Each fill output specification must have exactly one of 'method' or 'value' fields",
                ))
            }
        }
    }
    let mut stages = Vec::new();
    if !window_out.is_empty() {
        let mut swf = doc! {"output": window_out};
        if let Some(s) = spec.get("sortBy") {
            swf.insert("sortBy", s.clone());
        }
        match (spec.get("partitionBy"), spec.get("partitionByFields")) {
            (Some(_), Some(_)) => return Err(err(
                6050204,
                "Maximum one of 'partitionBy' and 'partitionByFields can be specified in '$fill'",
            )),
            (Some(p), None) => {
                swf.insert("partitionBy", p.clone());
            }
            (None, Some(Bson::Array(fields))) => {
                let mut by = Document::new();
                for f in fields {
                    let Bson::String(f) = f else {
                        return Err(CommandError::new(
                            14,
                            "TypeMismatch",
                            "BSON field '$fill.partitionByFields' must be an array of strings",
                        ));
                    };
                    by.insert(f.clone(), format!("${f}"));
                }
                swf.insert("partitionBy", by);
            }
            (None, Some(_)) => {
                return Err(CommandError::new(
                    14,
                    "TypeMismatch",
                    "BSON field '$fill.partitionByFields' is the wrong type, expected type 'array'",
                ))
            }
            (None, None) => {}
        }
        stages.push(Stage::SetWindowFields(Box::new(SetWindowFields::compile(
            &swf,
        )?)));
    }
    if !add.is_empty() {
        stages.push(Stage::Project(Projector::add_fields("$addFields", &add)?));
    }
    Ok(stages)
}

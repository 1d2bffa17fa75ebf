//! `$out` and `$merge`: parsed here into an [`OutputStage`]; the engine
//! writes the results.

use bson::{Bson, Document};

use crate::error::CommandError;

/// Where and how a pipeline's results are written.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputStage {
    /// `$out`: replace the target collection with the results.
    Out {
        /// Target database; `None` for the pipeline's own database.
        db: Option<String>,
        /// Target collection.
        coll: String,
    },
    /// `$merge`: merge the results into the target collection.
    Merge {
        /// Target database; `None` for the pipeline's own database.
        db: Option<String>,
        /// Target collection.
        coll: String,
        /// The fields identifying a target document (default `["_id"]`).
        on: Vec<String>,
        /// What to do when a result matches a target document.
        when_matched: WhenMatched,
        /// What to do when it does not.
        when_not_matched: WhenNotMatched,
        /// Variables for a `whenMatched` pipeline (`$$new` is always bound).
        let_vars: Option<Document>,
    },
}

/// `$merge`'s `whenMatched`.
#[derive(Debug, Clone, PartialEq)]
pub enum WhenMatched {
    /// Replace the target document with the result.
    Replace,
    /// Keep the target document.
    KeepExisting,
    /// Merge the result's fields into the target document (the default).
    Merge,
    /// Fail the aggregation.
    Fail,
    /// Update the target document with this pipeline (`$$new` is the result).
    Pipeline(Vec<Document>),
}

/// `$merge`'s `whenNotMatched`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenNotMatched {
    /// Insert the result (the default).
    Insert,
    /// Drop the result.
    Discard,
    /// Fail the aggregation.
    Fail,
}

/// Split a final `$out`/`$merge` off `pipeline`. Either stage anywhere but
/// last is MongoDB's `40601`.
pub fn split_output(
    pipeline: &[Document],
) -> Result<(&[Document], Option<OutputStage>), CommandError> {
    for (i, stage) in pipeline.iter().enumerate() {
        let Some(name) = stage.keys().next() else {
            continue;
        };
        if name != "$out" && name != "$merge" {
            continue;
        }
        if i + 1 != pipeline.len() {
            return Err(CommandError::new(
                40601,
                "Location40601",
                format!("{name} can only be the final stage in the pipeline"),
            ));
        }
        let spec = stage.get(name).unwrap_or(&Bson::Null);
        let out = if name == "$out" {
            parse_out(spec)?
        } else {
            parse_merge(spec)?
        };
        return Ok((pipeline.get(..i).unwrap_or_default(), Some(out)));
    }
    Ok((pipeline, None))
}

fn bad(stage: &str, msg: impl std::fmt::Display) -> CommandError {
    CommandError::failed_to_parse(format!("{stage}: {msg}"))
}

fn target(stage: &str, spec: &Bson) -> Result<(Option<String>, String), CommandError> {
    match spec {
        Bson::String(c) if !c.is_empty() => Ok((None, c.clone())),
        Bson::Document(d) => {
            let coll = match d.get("coll") {
                Some(Bson::String(c)) if !c.is_empty() => c.clone(),
                _ => return Err(bad(stage, "'coll' must be a non-empty string")),
            };
            let db = match d.get("db") {
                None => None,
                Some(Bson::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(_) => return Err(bad(stage, "'db' must be a non-empty string")),
            };
            Ok((db, coll))
        }
        _ => Err(bad(
            stage,
            "the target must be a collection name or a {db, coll} document",
        )),
    }
}

fn parse_out(spec: &Bson) -> Result<OutputStage, CommandError> {
    let (db, coll) = target("$out", spec)?;
    Ok(OutputStage::Out { db, coll })
}

fn parse_merge(spec: &Bson) -> Result<OutputStage, CommandError> {
    let d = match spec {
        Bson::String(_) => {
            let (db, coll) = target("$merge", spec)?;
            return Ok(OutputStage::Merge {
                db,
                coll,
                on: vec!["_id".into()],
                when_matched: WhenMatched::Merge,
                when_not_matched: WhenNotMatched::Insert,
                let_vars: None,
            });
        }
        Bson::Document(d) => d,
        _ => return Err(bad("$merge", "expected a string or an object")),
    };
    let mut into = None;
    let mut on = vec!["_id".to_owned()];
    let mut when_matched = WhenMatched::Merge;
    let mut when_not_matched = WhenNotMatched::Insert;
    let mut let_vars = None;
    for (k, v) in d {
        match (k.as_str(), v) {
            ("into", v) => into = Some(target("$merge", v)?),
            ("on", Bson::String(s)) => on = vec![s.clone()],
            ("on", Bson::Array(a)) if !a.is_empty() => {
                on = a
                    .iter()
                    .map(|f| match f {
                        Bson::String(s) => Ok(s.clone()),
                        _ => Err(bad(
                            "$merge",
                            "'on' must be a string or an array of strings",
                        )),
                    })
                    .collect::<Result<_, _>>()?;
            }
            ("on", _) => {
                return Err(bad(
                    "$merge",
                    "'on' must be a string or an array of strings",
                ))
            }
            ("whenMatched", Bson::String(s)) => {
                when_matched = match s.as_str() {
                    "replace" => WhenMatched::Replace,
                    "keepExisting" => WhenMatched::KeepExisting,
                    "merge" => WhenMatched::Merge,
                    "fail" => WhenMatched::Fail,
                    other => {
                        return Err(CommandError::bad_value(format!(
                        "Enumeration value '{other}' for field 'whenMatched' is not a valid value."
                    )))
                    }
                }
            }
            ("whenMatched", Bson::Array(p)) => {
                when_matched = WhenMatched::Pipeline(
                    p.iter()
                        .map(|s| match s {
                            Bson::Document(d) => Ok(d.clone()),
                            _ => Err(bad(
                                "$merge",
                                "'whenMatched' pipeline stages must be objects",
                            )),
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            ("whenNotMatched", Bson::String(s)) => {
                when_not_matched = match s.as_str() {
                    "insert" => WhenNotMatched::Insert,
                    "discard" => WhenNotMatched::Discard,
                    "fail" => WhenNotMatched::Fail,
                    other => {
                        return Err(CommandError::bad_value(format!(
                    "Enumeration value '{other}' for field 'whenNotMatched' is not a valid value."
                )))
                    }
                }
            }
            ("let", Bson::Document(l)) => let_vars = Some(l.clone()),
            (other, _) => {
                return Err(CommandError::new(
                    40415,
                    "Location40415",
                    format!("BSON field '$merge.{other}' is an unknown field."),
                ))
            }
        }
    }
    let Some((db, coll)) = into else {
        return Err(CommandError::new(
            40414,
            "Location40414",
            "BSON field '$merge.into' is missing but a required field",
        ));
    };
    Ok(OutputStage::Merge {
        db,
        coll,
        on,
        when_matched,
        when_not_matched,
        let_vars,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn out_must_be_last() {
        let p = vec![doc! {"$out": "x"}, doc! {"$match": {}}];
        assert_eq!(split_output(&p).unwrap_err().code, 40601);
    }

    #[test]
    fn parses_out_and_merge() {
        let p = vec![doc! {"$match": {}}, doc! {"$out": {"db": "d", "coll": "c"}}];
        let (body, out) = split_output(&p).unwrap();
        assert_eq!(body.len(), 1);
        assert_eq!(
            out,
            Some(OutputStage::Out {
                db: Some("d".into()),
                coll: "c".into()
            })
        );
        let p = vec![
            doc! {"$merge": {"into": "t", "on": ["a", "b"], "whenMatched": "keepExisting", "whenNotMatched": "discard"}},
        ];
        let (body, out) = split_output(&p).unwrap();
        assert!(body.is_empty());
        match out {
            Some(OutputStage::Merge {
                coll,
                on,
                when_matched,
                when_not_matched,
                ..
            }) => {
                assert_eq!(coll, "t");
                assert_eq!(on, vec!["a".to_owned(), "b".to_owned()]);
                assert_eq!(when_matched, WhenMatched::KeepExisting);
                assert_eq!(when_not_matched, WhenNotMatched::Discard);
            }
            other => panic!("unexpected {other:?}"),
        }
        let bad = vec![doc! {"$merge": {"into": "t", "whenMatched": "nope"}}];
        assert_eq!(split_output(&bad).unwrap_err().code, 2);
    }
}

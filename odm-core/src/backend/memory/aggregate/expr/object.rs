//! Object operators: `$mergeObjects`, `$objectToArray`, `$arrayToObject`,
//! `$getField`, `$setField` and `$unsetField` (field names taken literally,
//! dots and dollars included).

use bson::{Bson, Document};

use super::compile::{Node, Op};
use super::{type_name, Env};
use crate::error::CommandError;

fn err(code: i32, msg: String) -> CommandError {
    CommandError::new(code, format!("Location{code}"), msg)
}

fn found(v: &Option<Bson>) -> &'static str {
    v.as_ref().map_or("missing", type_name)
}

/// Merge documents left to right (later fields win); null and missing are skipped.
pub(crate) fn merge_into(out: &mut Document, v: &Option<Bson>) -> Result<(), CommandError> {
    match v {
        None | Some(Bson::Null | Bson::Undefined) => Ok(()),
        Some(Bson::Document(d)) => {
            for (k, x) in d {
                out.insert(k.clone(), x.clone());
            }
            Ok(())
        }
        other => Err(err(
            40400,
            format!(
                "$mergeObjects requires object inputs, but input {} is of type {}",
                other.as_ref().map_or(Bson::Null, Clone::clone),
                found(other)
            ),
        )),
    }
}

pub(super) fn eval(env: &mut Env<'_>, op: Op, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    let vals = env.eval_all(args)?;
    let v0 = vals.first().cloned().flatten();
    match op {
        Op::MergeObjects => {
            let mut out = Document::new();
            for v in &vals {
                merge_into(&mut out, v)?;
            }
            Ok(Some(Bson::Document(out)))
        }
        Op::ObjectToArray => match v0 {
            None | Some(Bson::Null | Bson::Undefined) => Ok(Some(Bson::Null)),
            Some(Bson::Document(d)) => Ok(Some(Bson::Array(
                d.into_iter()
                    .map(|(k, v)| Bson::Document(bson::doc! {"k": k, "v": v}))
                    .collect(),
            ))),
            other => Err(err(
                40390,
                format!(
                    "$objectToArray requires a document input, found: {}",
                    found(&other)
                ),
            )),
        },
        Op::ArrayToObject => array_to_object(v0),
        Op::GetField => {
            let field = field_name(op, &v0)?;
            match vals.get(1).cloned().flatten() {
                Some(Bson::Document(d)) => Ok(d.get(&field).cloned()),
                None | Some(Bson::Null | Bson::Undefined) => Ok(Some(Bson::Null)),
                // A non-document input has no fields.
                Some(_) => Ok(None),
            }
        }
        Op::SetField | Op::UnsetField => {
            let field = field_name(op, &v0)?;
            let mut doc = match vals.get(1).cloned().flatten() {
                Some(Bson::Document(d)) => d,
                None | Some(Bson::Null | Bson::Undefined) => return Ok(Some(Bson::Null)),
                other => {
                    return Err(err(
                        4161105,
                        format!(
                            "{} requires 'input' to evaluate to type Object, found {}",
                            op.name(),
                            found(&other)
                        ),
                    ))
                }
            };
            match (op, vals.get(2).cloned().flatten()) {
                (Op::SetField, Some(v)) => {
                    doc.insert(field, v);
                }
                // `$$REMOVE` as the value removes the field.
                _ => {
                    doc.remove(&field);
                }
            }
            Ok(Some(Bson::Document(doc)))
        }
        _ => Ok(None),
    }
}

fn field_name(op: Op, v: &Option<Bson>) -> Result<String, CommandError> {
    match v {
        Some(Bson::String(s)) => Ok(s.clone()),
        other => Err(err(
            3041704,
            format!(
                "{} requires 'field' to evaluate to type String, but got {}",
                op.name(),
                found(other)
            ),
        )),
    }
}

fn array_to_object(v: Option<Bson>) -> Result<Option<Bson>, CommandError> {
    let items = match v {
        None | Some(Bson::Null | Bson::Undefined) => return Ok(Some(Bson::Null)),
        Some(Bson::Array(a)) => a,
        other => {
            return Err(err(
                40386,
                format!(
                    "$arrayToObject requires an array input, found: {}",
                    found(&other)
                ),
            ))
        }
    };
    let mut out = Document::new();
    for item in items {
        let (k, v) = match item {
            Bson::Array(pair) => match <[Bson; 2]>::try_from(pair) {
                Ok([Bson::String(k), v]) => (k, v),
                Ok([k, _]) => {
                    return Err(err(40395, format!("$arrayToObject requires an array of key-value pairs, where the key must be of type string. Found key type: {}", type_name(&k))))
                }
                Err(p) => {
                    return Err(err(40397, format!("$arrayToObject requires an array of size 2 arrays,found array of size: {}", p.len())))
                }
            },
            Bson::Document(mut d) => {
                if d.len() != 2 {
                    return Err(err(40392, format!("$arrayToObject requires an object keys of 'k' and 'v'. Found incorrect number of keys:{}", d.len())));
                }
                match (d.remove("k"), d.remove("v")) {
                    (Some(Bson::String(k)), Some(v)) => (k, v),
                    (Some(k), Some(_)) => {
                        return Err(err(40394, format!("$arrayToObject requires an object with keys 'k' and 'v', where the value of 'k' must be of type string. Found type: {}", type_name(&k))))
                    }
                    _ => {
                        return Err(err(40393, "$arrayToObject requires an object with keys 'k' and 'v'. Missing either or both keys".into()))
                    }
                }
            }
            other => {
                return Err(err(40398, format!("Unrecognised input type format for $arrayToObject: {}", type_name(&other))))
            }
        };
        if k.contains('\0') {
            return Err(err(
                4940401,
                "Key field cannot contain an embedded null byte".into(),
            ));
        }
        out.insert(k, v);
    }
    Ok(Some(Bson::Document(out)))
}

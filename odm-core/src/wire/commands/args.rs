//! Reading the fields of a command body, with MongoDB's errors for a field
//! of the wrong type.

use bson::{Bson, Document, RawDocumentBuf};

use crate::backend::Namespace;
use crate::error::{CommandError, Error, Result};
use crate::wire::frame::Request;

fn type_name(v: &Bson) -> &'static str {
    crate::value::element_type_name(v.element_type())
}

fn wrong_type(cmd: &str, key: &str, v: &Bson, expected: &str) -> Error {
    Error::Command(CommandError::type_mismatch(format!(
        "BSON field '{cmd}.{key}' is the wrong type '{}', expected type '{expected}'",
        type_name(v)
    )))
}

/// The namespace named by the command's first field (`{find: "users"}`).
pub(crate) fn namespace(req: &Request) -> Result<Namespace> {
    match req.body.get(req.name()) {
        Some(Bson::String(coll)) if !coll.is_empty() => {
            Ok(Namespace::new(req.db.as_str(), coll.as_str()))
        }
        Some(other) => Err(Error::Command(CommandError::new(
            73,
            "InvalidNamespace",
            format!("collection name has invalid type {}", type_name(other)),
        ))),
        None => Err(Error::Command(CommandError::new(
            73,
            "InvalidNamespace",
            "Invalid namespace specified",
        ))),
    }
}

/// An optional document field.
pub(crate) fn doc(body: &Document, cmd: &str, key: &str) -> Result<Option<Document>> {
    match body.get(key) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::Document(d)) => Ok(Some(d.clone())),
        Some(other) => Err(wrong_type(cmd, key, other, "object")),
    }
}

/// An optional non-negative number (any numeric type).
pub(crate) fn number(body: &Document, cmd: &str, key: &str) -> Result<Option<i64>> {
    match body.get(key) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::Int32(i)) => Ok(Some(i64::from(*i))),
        Some(Bson::Int64(i)) => Ok(Some(*i)),
        Some(Bson::Double(d)) if d.fract() == 0.0 => Ok(Some(*d as i64)),
        Some(other) => Err(wrong_type(cmd, key, other, "long")),
    }
}

/// A number that must not be negative (`skip`, `batchSize`).
pub(crate) fn count(body: &Document, cmd: &str, key: &str) -> Result<Option<u64>> {
    match number(body, cmd, key)? {
        None => Ok(None),
        Some(n) => u64::try_from(n).map(Some).map_err(|_| {
            Error::Command(CommandError::bad_value(format!(
                "BSON field '{key}' value must be >= 0, actual value '{n}'"
            )))
        }),
    }
}

/// An optional boolean; numbers count as MongoDB's `trueValue`s.
pub(crate) fn flag(body: &Document, cmd: &str, key: &str) -> Result<bool> {
    match body.get(key) {
        None | Some(Bson::Null) => Ok(false),
        Some(Bson::Boolean(b)) => Ok(*b),
        Some(Bson::Int32(i)) => Ok(*i != 0),
        Some(Bson::Int64(i)) => Ok(*i != 0),
        Some(Bson::Double(d)) => Ok(*d != 0.0),
        Some(other) => Err(wrong_type(cmd, key, other, "bool")),
    }
}

/// An optional array of documents (a pipeline, array filters).
pub(crate) fn docs(body: &Document, cmd: &str, key: &str) -> Result<Option<Vec<Document>>> {
    match body.get(key) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::Array(items)) => items
            .iter()
            .map(|item| match item {
                Bson::Document(d) => Ok(d.clone()),
                other => Err(wrong_type(cmd, key, other, "object")),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(other) => Err(wrong_type(cmd, key, other, "array")),
    }
}

/// The statements of a write command: a document sequence or a body array.
pub(crate) fn statements(req: &mut Request, key: &str) -> Result<Vec<RawDocumentBuf>> {
    if let Some(docs) = req.take_documents(key) {
        return Ok(docs);
    }
    let cmd = req.name().to_owned();
    let docs = docs(&req.body, &cmd, key)?.ok_or_else(|| {
        Error::Command(CommandError::new(
            40414,
            "Location40414",
            format!("BSON field '{cmd}.{key}' is missing but a required field"),
        ))
    })?;
    docs.iter().map(to_raw).collect()
}

/// A document as raw BSON.
pub(crate) fn to_raw(d: &Document) -> Result<RawDocumentBuf> {
    RawDocumentBuf::try_from(d).map_err(|e| Error::Command(CommandError::bad_value(e.to_string())))
}

/// A raw document decoded (statements of `update`/`delete`, already validated).
pub(crate) fn decode(d: &RawDocumentBuf) -> Result<Document> {
    Document::try_from(d).map_err(|e| Error::Command(CommandError::bad_value(e.to_string())))
}

/// MongoDB's limit on the statements of one write command.
pub(crate) fn check_batch(n: usize) -> Result<()> {
    if n == 0 || n > 100_000 {
        return Err(Error::Command(CommandError::new(
            16,
            "InvalidLength",
            format!("Write batch sizes must be between 1 and 100000. Got {n} operations."),
        )));
    }
    Ok(())
}

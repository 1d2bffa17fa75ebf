//! Model ⇄ raw BSON at the collection boundary, with the collection and
//! `_id` attached to every error.

use bson::raw::{RawDocument, RawDocumentBuf};

use crate::backend::Namespace;
use crate::document::Document;
use crate::error::{Error, FieldError, Result, ValidationErrors};
use crate::value::display_raw;

/// Encode a model, naming the collection on failure.
pub(crate) fn encode<M: Document>(ns: &Namespace, model: &M) -> Result<RawDocumentBuf> {
    model.to_document().map_err(|error| Error::Encode {
        collection: ns.coll.to_string(),
        error,
    })
}

/// Decode a stored document, naming the collection and `_id` on failure.
pub(crate) fn decode<M: Document>(ns: &Namespace, raw: &RawDocument) -> Result<M> {
    M::from_document(raw).map_err(|error| Error::Decode {
        collection: ns.coll.to_string(),
        id: raw.get("_id").ok().flatten().map(display_raw),
        error,
    })
}

/// Run the model's client-side validation.
pub(crate) fn validate<M: Document>(ns: &Namespace, model: &M) -> Result<()> {
    model.validate().map_err(|errors| Error::Validation {
        collection: ns.coll.to_string(),
        errors,
    })
}

/// A server-side validation failure (code 121) as [`Error::Validation`], so
/// both sides of validation are one variant to match on.
pub(crate) fn server_error(ns: &Namespace, e: Error) -> Error {
    match e {
        Error::Command(c) if c.code == 121 => Error::Validation {
            collection: ns.coll.to_string(),
            errors: ValidationErrors {
                fields: vec![FieldError {
                    path: String::new(),
                    code: "$jsonSchema".into(),
                    message: c.message,
                }],
            },
        },
        other => other,
    }
}

/// The failure of a one-document write: a bulk failure of its only write
/// becomes that write's own error (`DuplicateKey`, `Validation`, ...).
pub(crate) fn single_write_error(ns: &Namespace, e: Error) -> Error {
    match e {
        Error::BulkWrite { failure, .. } if failure.write_errors.len() == 1 => {
            match failure.write_errors.into_iter().next() {
                Some(w) => server_error(ns, w.into_error(ns)),
                None => unreachable_empty(),
            }
        }
        other => server_error(ns, other),
    }
}

fn unreachable_empty() -> Error {
    Error::Backend {
        message: "a bulk write failure without write errors".into(),
        source: None,
    }
}

fn encode_error(ns: &Namespace, error: crate::error::EncodeError) -> Error {
    Error::Encode {
        collection: ns.coll.to_string(),
        error,
    }
}

/// A typed filter's document, or the value that could not be encoded.
pub(crate) fn filter<M>(ns: &Namespace, filter: crate::query::Filter<M>) -> Result<bson::Document> {
    filter.try_into_document().map_err(|e| encode_error(ns, e))
}

/// A typed update's document and array filters, or the value that could not be encoded.
pub(crate) fn update<M>(
    ns: &Namespace,
    update: crate::query::Update<M>,
) -> Result<(bson::Document, Option<Vec<bson::Document>>)> {
    let (doc, array_filters) = update.try_into_parts().map_err(|e| encode_error(ns, e))?;
    Ok((doc, (!array_filters.is_empty()).then_some(array_filters)))
}

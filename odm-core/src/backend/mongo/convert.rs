//! Conversions between odm's option and result types and the driver's (or
//! the server's raw command documents).

use bson::{doc, Bson, Document};
use mongodb::options::{Collation, Hint};

use crate::backend::{CollectionInfo, CreateCollectionOptions, IndexModel, WriteError};
use crate::error::{CommandError, Error, Result};

/// A collation document as the driver's typed `Collation`.
pub(crate) fn collation(doc: Option<Document>) -> Result<Option<Collation>> {
    doc.map(|d| {
        bson::deserialize_from_document::<Collation>(d)
            .map_err(|e| Error::Command(CommandError::bad_value(format!("invalid collation: {e}"))))
    })
    .transpose()
}

/// A hint: an index name (string) or a key pattern (document).
pub(crate) fn hint(value: Option<Bson>) -> Result<Option<Hint>> {
    match value {
        None => Ok(None),
        Some(Bson::String(name)) => Ok(Some(Hint::Name(name))),
        Some(Bson::Document(keys)) => Ok(Some(Hint::Keys(keys))),
        Some(other) => Err(Error::Command(CommandError::failed_to_parse(format!(
            "hint must be a string or a document, not {other}"
        )))),
    }
}

/// A `u64` count as the `i64` the server takes (saturating: no real
/// collection holds `i64::MAX` documents).
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A non-negative number of a server reply (`n`, `nModified`, `index`),
/// whatever its numeric type.
pub(crate) fn number(doc: &Document, key: &str) -> u64 {
    match doc.get(key) {
        Some(Bson::Int32(i)) => u64::try_from(*i).unwrap_or(0),
        Some(Bson::Int64(i)) => u64::try_from(*i).unwrap_or(0),
        Some(Bson::Double(d)) if *d >= 0.0 => *d as u64,
        _ => 0,
    }
}

/// What one write command (`insert`, `update`, `delete`) reported.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct WriteReply {
    /// `n`: documents inserted, matched (updates, upserts included) or deleted.
    pub n: u64,
    /// `nModified`.
    pub modified: u64,
    /// `upserted`: `(index in the batch, _id)`.
    pub upserted: Vec<(usize, Bson)>,
    /// `writeErrors`, indexed in the batch.
    pub write_errors: Vec<WriteError>,
    /// `writeConcernError`, when the write concern could not be satisfied.
    pub write_concern_error: Option<CommandError>,
}

/// Read a write command's reply.
pub(crate) fn write_reply(reply: &Document) -> WriteReply {
    let mut out = WriteReply {
        n: number(reply, "n"),
        modified: number(reply, "nModified"),
        ..WriteReply::default()
    };
    if let Ok(upserted) = reply.get_array("upserted") {
        for entry in upserted {
            if let Bson::Document(d) = entry {
                let id = d.get("_id").cloned().unwrap_or(Bson::Null);
                out.upserted.push((number(d, "index") as usize, id));
            }
        }
    }
    if let Ok(errors) = reply.get_array("writeErrors") {
        for entry in errors {
            if let Bson::Document(d) = entry {
                out.write_errors.push(write_error(d));
            }
        }
    }
    if let Ok(wce) = reply.get_document("writeConcernError") {
        out.write_concern_error = Some(CommandError::new(
            wce.get_i32("code").unwrap_or(64),
            wce.get_str("codeName").unwrap_or("WriteConcernFailed"),
            wce.get_str("errmsg").unwrap_or("write concern error"),
        ));
    }
    out
}

/// One entry of `writeErrors`: everything but index, code, codeName and
/// errmsg goes into the details (`keyPattern`, `keyValue`, `errInfo`).
fn write_error(d: &Document) -> WriteError {
    let code = match d.get("code") {
        Some(Bson::Int32(c)) => *c,
        Some(Bson::Int64(c)) => i32::try_from(*c).unwrap_or(0),
        _ => 0,
    };
    let details: Document = d
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "index" | "code" | "codeName" | "errmsg"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    WriteError::new(
        number(d, "index") as usize,
        code,
        d.get_str("codeName").unwrap_or_default(),
        d.get_str("errmsg").unwrap_or_default(),
        details,
    )
}

/// odm's index model as the driver's.
pub(crate) fn index_model(index: IndexModel) -> Result<mongodb::IndexModel> {
    let mut options = mongodb::options::IndexOptions::default();
    options.name = Some(index.effective_name());
    if index.unique {
        options.unique = Some(true);
    }
    if index.sparse {
        options.sparse = Some(true);
    }
    options.partial_filter_expression = index.partial_filter;
    options.expire_after = index.expire_after_secs.map(std::time::Duration::from_secs);
    options.collation = collation(index.collation)?;
    options.weights = index.weights;
    options.default_language = index.default_language;
    Ok(mongodb::IndexModel::builder()
        .keys(index.keys)
        .options(options)
        .build())
}

/// An index as `listIndexes` describes it (`{v, key, name, unique, ...}`).
pub(crate) fn index_from_spec(spec: &Document) -> IndexModel {
    let mut index = IndexModel::new(spec.get_document("key").cloned().unwrap_or_default());
    index.name = spec.get_str("name").ok().map(str::to_owned);
    index.unique = spec.get_bool("unique").unwrap_or(false);
    index.sparse = spec.get_bool("sparse").unwrap_or(false);
    index.partial_filter = spec.get_document("partialFilterExpression").ok().cloned();
    index.expire_after_secs = match spec.get("expireAfterSeconds") {
        Some(Bson::Int32(s)) => u64::try_from(*s).ok(),
        Some(Bson::Int64(s)) => u64::try_from(*s).ok(),
        Some(Bson::Double(s)) if *s >= 0.0 => Some(*s as u64),
        _ => None,
    };
    index.collation = spec.get_document("collation").ok().cloned();
    index.weights = spec.get_document("weights").ok().cloned();
    index.default_language = spec.get_str("default_language").ok().map(str::to_owned);
    index
}

/// A `listCollections` entry (`{name, type, options: {validator, ...}}`).
pub(crate) fn collection_info(spec: &Document) -> CollectionInfo {
    let empty = Document::new();
    let options = spec.get_document("options").unwrap_or(&empty);
    CollectionInfo::new(
        spec.get_str("name").unwrap_or_default(),
        spec.get_str("type").unwrap_or("collection"),
        collection_options(options),
    )
}

/// The options part of `create`/`listCollections` as odm's options.
pub(crate) fn collection_options(options: &Document) -> CreateCollectionOptions {
    CreateCollectionOptions {
        validator: options.get_document("validator").ok().cloned(),
        validation_level: options.get_str("validationLevel").ok().map(str::to_owned),
        validation_action: options.get_str("validationAction").ok().map(str::to_owned),
        view_on: options.get_str("viewOn").ok().map(str::to_owned),
        pipeline: options.get_array("pipeline").ok().map(|stages| {
            stages
                .iter()
                .filter_map(|s| s.as_document().cloned())
                .collect()
        }),
    }
}

/// The fields of `create`/`collMod` that set odm's collection options.
pub(crate) fn collection_options_fields(options: &CreateCollectionOptions) -> Document {
    let mut out = doc! {};
    if let Some(v) = &options.validator {
        out.insert("validator", v.clone());
    }
    if let Some(v) = &options.validation_level {
        out.insert("validationLevel", v.clone());
    }
    if let Some(v) = &options.validation_action {
        out.insert("validationAction", v.clone());
    }
    if let Some(v) = &options.view_on {
        out.insert("viewOn", v.clone());
    }
    if let Some(p) = &options.pipeline {
        out.insert(
            "pipeline",
            p.iter().cloned().map(Bson::Document).collect::<Vec<_>>(),
        );
    }
    out
}

/// A `validationLevel` as the driver's enum.
pub(crate) fn validation_level(s: &str) -> Result<mongodb::options::ValidationLevel> {
    use mongodb::options::ValidationLevel as L;
    match s {
        "off" => Ok(L::Off),
        "strict" => Ok(L::Strict),
        "moderate" => Ok(L::Moderate),
        other => Err(Error::Command(crate::error::CommandError::bad_value(
            format!(
                "Enumeration value '{other}' for field 'validationLevel' is not a valid value."
            ),
        ))),
    }
}

/// A `validationAction` as the driver's enum.
pub(crate) fn validation_action(s: &str) -> Result<mongodb::options::ValidationAction> {
    use mongodb::options::ValidationAction as A;
    match s {
        "error" => Ok(A::Error),
        "warn" => Ok(A::Warn),
        other => Err(Error::Command(crate::error::CommandError::bad_value(
            format!(
                "Enumeration value '{other}' for field 'validationAction' is not a valid value."
            ),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_reply_reads_counts_upserts_and_errors() {
        let reply = doc! {
            "n": 3, "nModified": 1_i64,
            "upserted": [{ "index": 2, "_id": 7 }],
            "writeErrors": [{
                "index": 1, "code": 11000, "codeName": "DuplicateKey",
                "errmsg": "E11000 duplicate key error collection: a.b index: k_1 dup key: { k: 5 }",
                "keyPattern": { "k": 1 }, "keyValue": { "k": 5 },
            }],
            "ok": 1.0,
        };
        let r = write_reply(&reply);
        assert_eq!((r.n, r.modified), (3, 1));
        assert_eq!(r.upserted, vec![(2, Bson::Int32(7))]);
        assert_eq!(r.write_errors.len(), 1);
        let e = &r.write_errors[0];
        assert_eq!(
            (e.index, e.code, e.code_name.as_str()),
            (1, 11000, "DuplicateKey")
        );
        assert_eq!(
            e.details,
            doc! { "keyPattern": { "k": 1 }, "keyValue": { "k": 5 } }
        );
        assert!(r.write_concern_error.is_none());
    }

    #[test]
    fn write_reply_of_a_plain_success_has_no_errors() {
        let r = write_reply(&doc! { "n": 2.0, "ok": 1.0 });
        assert_eq!(r.n, 2);
        assert!(r.write_errors.is_empty() && r.upserted.is_empty());
    }

    #[test]
    fn hint_accepts_names_and_key_patterns_only() {
        assert!(
            matches!(hint(Some(Bson::String("a_1".into()))), Ok(Some(Hint::Name(n))) if n == "a_1")
        );
        assert!(matches!(
            hint(Some(Bson::Document(doc! {"a": 1}))),
            Ok(Some(Hint::Keys(_)))
        ));
        assert!(hint(Some(Bson::Int32(1))).is_err());
    }

    #[test]
    fn index_spec_round_trips_the_options_odm_knows() {
        let spec = doc! {
            "v": 2, "key": { "email": 1 }, "name": "email_1", "unique": true,
            "partialFilterExpression": { "age": { "$gt": 1 } }, "expireAfterSeconds": 60,
        };
        let i = index_from_spec(&spec);
        assert_eq!(i.keys, doc! { "email": 1 });
        assert_eq!(i.name.as_deref(), Some("email_1"));
        assert!(i.unique && !i.sparse);
        assert_eq!(i.expire_after_secs, Some(60));
        let m = index_model(i).unwrap();
        let o = m.options.unwrap();
        assert_eq!(o.unique, Some(true));
        assert_eq!(o.expire_after, Some(std::time::Duration::from_secs(60)));
    }

    #[test]
    fn collection_info_reads_views_and_validators() {
        let info = collection_info(&doc! {
            "name": "v", "type": "view",
            "options": { "viewOn": "c", "pipeline": [{ "$match": { "a": 1 } }] },
        });
        assert_eq!((info.name.as_str(), info.kind.as_str()), ("v", "view"));
        assert_eq!(info.options.view_on.as_deref(), Some("c"));
        assert_eq!(
            collection_options_fields(&info.options)
                .get_str("viewOn")
                .unwrap(),
            "c"
        );
    }

    #[test]
    fn validation_enums_refuse_unknown_values() {
        assert!(validation_level("moderate").is_ok() && validation_action("warn").is_ok());
        match validation_level("loose") {
            Err(Error::Command(c)) => assert_eq!(c.code, 2),
            other => panic!("{other:?}"),
        }
    }
}

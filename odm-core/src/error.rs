//! The one error type of odm.
//!
//! Every backend reports the same failure as the same variant: a duplicate key
//! is [`Error::DuplicateKey`] whether the in-memory engine or a real mongod
//! refused the write, so application code matches on meaning, not on origin.

use std::fmt;

/// `Result<T, odm::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in odm.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A write would have broken a unique index (MongoDB's code 11000).
    #[error("duplicate key in `{namespace}`: index `{index}` already has {key}")]
    DuplicateKey {
        /// `db.collection` the write went to.
        namespace: String,
        /// The index that refused it (`_id_` for the primary key).
        index: String,
        /// The offending key, as MongoDB prints it (`{ _id: 1 }`): the
        /// server's `keyValue`.
        key: Box<bson::Document>,
        /// The index's key pattern (`{ email: 1 }`): the server's `keyPattern`,
        /// empty when the server did not say.
        key_pattern: Box<bson::Document>,
    },

    /// A document failed client-side (`validator`) or server-side (`$jsonSchema`)
    /// validation. Nothing was written.
    #[error("validation failed for `{collection}`: {errors}")]
    Validation {
        /// The collection the write was meant for.
        collection: String,
        /// Every failing field, with its full path.
        errors: ValidationErrors,
    },

    /// A stored document could not be read into the model: the data drifted
    /// from the schema (a missing field, a wrong BSON type, a bad value).
    #[error("cannot decode a document of `{collection}` (_id: {}): {error}", id.as_deref().unwrap_or("unknown"))]
    Decode {
        /// The collection the document came from.
        collection: String,
        /// The document's `_id`, rendered as extended JSON, when it could be read.
        id: Option<String>,
        /// What was wrong, with the field path.
        #[source]
        error: DecodeError,
    },

    /// A value could not be turned into BSON (for example a `u64` above `i64::MAX`).
    #[error("cannot encode a document for `{collection}`: {error}")]
    Encode {
        /// The collection the document was meant for.
        collection: String,
        /// What was wrong, with the field path.
        #[source]
        error: EncodeError,
    },

    /// The operation needed a document that does not exist.
    #[error("no document in `{collection}` matches {what}")]
    NotFound {
        /// The collection searched.
        collection: String,
        /// The id or filter that found nothing.
        what: String,
    },

    /// A write guarded by a `#[odm(version)]` found the document at another
    /// version: someone else wrote it since it was read. Nothing was written.
    /// Reload the document, reapply the change and retry.
    #[error(
        "write conflict in `{collection}` on _id {id}: the document is no longer at version \
         {expected_version} (changed since it was read); reload it and retry"
    )]
    Conflict {
        /// The collection written to.
        collection: String,
        /// The document's `_id`, rendered as extended JSON.
        id: String,
        /// The version the write expected (the one the model was read at).
        expected_version: i64,
    },

    /// A delete was refused by an `#[odm(on_delete = "deny")]` rule: documents
    /// of `referencing_collection` still reference the documents through
    /// `field`. Nothing was deleted.
    #[error(
        "cannot delete from `{collection}`: {count} document(s) of `{referencing_collection}` \
         still reference it through `{field}` (on_delete = \"deny\"); delete or detach them first"
    )]
    DeleteDenied {
        /// The collection the delete was meant for.
        collection: String,
        /// The collection whose documents hold the references.
        referencing_collection: String,
        /// The referencing field's stored name.
        field: String,
        /// How many documents reference the documents to delete.
        count: u64,
    },

    /// The server (or the in-memory engine acting as one) refused a command.
    /// `code` and `code_name` are MongoDB's (`2 BadValue`, `14 TypeMismatch`, ...).
    #[error(transparent)]
    Command(#[from] CommandError),

    /// Some writes of a bulk operation failed; the others were applied as
    /// MongoDB applies them (an ordered bulk stops at the first failure).
    #[error("{} write(s) failed in a bulk write to `{namespace}`; first: {}", failure.write_errors.len(), failure.write_errors.first().map(|e| e.message.as_str()).unwrap_or("?"))]
    BulkWrite {
        /// The namespace written to.
        namespace: String,
        /// What was applied and what failed.
        failure: Box<crate::backend::BulkWriteFailure>,
    },

    /// The backend cannot do this (yet); the message says what is missing.
    #[error("unsupported by the {backend} backend: {what}")]
    Unsupported {
        /// Which backend.
        backend: &'static str,
        /// What was asked for.
        what: String,
    },

    /// The connection to a server failed; the message says what to check.
    #[error("cannot reach MongoDB: {message}")]
    Connection {
        /// What to check.
        message: String,
        /// The driver's error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// Any other backend failure, with its cause.
    #[error("backend error: {message}")]
    Backend {
        /// A summary.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    /// MongoDB's numeric error code for this error, where it has one.
    pub fn code(&self) -> Option<i32> {
        match self {
            Error::DuplicateKey { .. } => Some(11000),
            Error::Validation { .. } => Some(121),
            Error::Command(e) => Some(e.code),
            _ => None,
        }
    }

    /// Whether the server attached this error label (MongoDB's
    /// `errorLabels`): [`TRANSIENT_TRANSACTION_ERROR`] means the whole
    /// transaction may be retried, [`UNKNOWN_TRANSACTION_COMMIT_RESULT`] that
    /// the commit may be retried.
    pub fn has_error_label(&self, label: &str) -> bool {
        match self {
            Error::Command(e) => e.has_label(label),
            // A network error keeps the driver's error, labels included.
            #[cfg(feature = "mongodb")]
            Error::Connection {
                source: Some(s), ..
            }
            | Error::Backend {
                source: Some(s), ..
            } => s
                .downcast_ref::<mongodb::error::Error>()
                .is_some_and(|e| e.contains_label(label)),
            _ => false,
        }
    }

    /// `Unsupported`: the backend cannot do `what`.
    pub fn unsupported(backend: &'static str, what: impl Into<String>) -> Self {
        Error::Unsupported {
            backend,
            what: what.into(),
        }
    }
}

/// The label of an error after which the whole transaction can be retried
/// (a `WriteConflict`, a lost connection before the commit).
pub const TRANSIENT_TRANSACTION_ERROR: &str = "TransientTransactionError";

/// The label of a commit error after which the commit may have happened or
/// not: retrying `commitTransaction` is safe.
pub const UNKNOWN_TRANSACTION_COMMIT_RESULT: &str = "UnknownTransactionCommitResult";

/// A command refused with MongoDB's error code, as a server reports it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (code {code} {code_name})")]
pub struct CommandError {
    /// MongoDB's numeric code (for example `14`).
    pub code: i32,
    /// MongoDB's code name (for example `TypeMismatch`).
    pub code_name: String,
    /// The human-readable message.
    pub message: String,
    /// The reply's other fields, when the server sent any: `errInfo` of a
    /// validation failure (121) with the failing document's id and the
    /// schema rule it broke. Boxed: most errors have none.
    pub details: Option<Box<bson::Document>>,
    /// The server's `errorLabels` ([`TRANSIENT_TRANSACTION_ERROR`], ...).
    pub labels: Vec<String>,
}

impl CommandError {
    /// A command error with MongoDB's `code` and `code_name`.
    pub fn new(code: i32, code_name: impl Into<String>, message: impl Into<String>) -> Self {
        CommandError {
            code,
            code_name: code_name.into(),
            message: message.into(),
            details: None,
            labels: Vec::new(),
        }
    }

    /// The same error with one more error label.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        let label = label.into();
        if !self.has_label(&label) {
            self.labels.push(label);
        }
        self
    }

    /// Whether the error carries `label`.
    pub fn has_label(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l == label)
    }

    /// `112 WriteConflict`, labelled [`TRANSIENT_TRANSACTION_ERROR`]: another
    /// transaction or write changed the document first; retry the transaction.
    pub fn write_conflict() -> Self {
        Self::new(
            112,
            "WriteConflict",
            "Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.",
        )
        .with_label(TRANSIENT_TRANSACTION_ERROR)
    }

    /// `251 NoSuchTransaction`, labelled [`TRANSIENT_TRANSACTION_ERROR`].
    pub fn no_such_transaction(message: impl Into<String>) -> Self {
        Self::new(251, "NoSuchTransaction", message).with_label(TRANSIENT_TRANSACTION_ERROR)
    }

    /// The same error with the reply's other fields (`errInfo`, ...).
    #[must_use]
    pub fn with_details(mut self, details: bson::Document) -> Self {
        self.details = (!details.is_empty()).then(|| Box::new(details));
        self
    }

    /// `2 BadValue`.
    pub fn bad_value(message: impl Into<String>) -> Self {
        Self::new(2, "BadValue", message)
    }

    /// `9 FailedToParse`.
    pub fn failed_to_parse(message: impl Into<String>) -> Self {
        Self::new(9, "FailedToParse", message)
    }

    /// `14 TypeMismatch`.
    pub fn type_mismatch(message: impl Into<String>) -> Self {
        Self::new(14, "TypeMismatch", message)
    }
}

/// Why a BSON value could not be read as a Rust value, and where.
///
/// `path` is the dotted field path inside the document (`address.zip`,
/// `items.2.qty`); the decoder of each enclosing struct prepends its key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{path}`: {kind}")]
pub struct DecodeError {
    /// Dotted path of the field, empty for the document itself.
    pub path: String,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

/// What was wrong with a stored value.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeErrorKind {
    /// The field is required by the model but absent.
    #[error("missing (expected {expected})")]
    Missing {
        /// The BSON type the model expects.
        expected: &'static str,
    },
    /// The stored BSON type is not the one the model expects.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// The BSON type(s) the model accepts.
        expected: &'static str,
        /// The BSON type found.
        found: &'static str,
    },
    /// The type is right but the value cannot be represented (an `i64` that
    /// overflows an `i32`, a date that is not midnight for a `NaiveDate`, ...).
    #[error("invalid value: {0}")]
    Invalid(String),
    /// A field the model does not know, on a model that denies unknown fields.
    #[error("unknown field")]
    UnknownField,
    /// The bytes are not valid BSON.
    #[error("malformed BSON: {0}")]
    Malformed(String),
}

impl DecodeError {
    /// An error at the current value (the path is filled in by the callers).
    pub fn new(kind: DecodeErrorKind) -> Self {
        DecodeError {
            path: String::new(),
            kind,
        }
    }

    /// The value has BSON type `found` where `expected` was wanted.
    pub fn wrong_type(expected: &'static str, found: bson::spec::ElementType) -> Self {
        Self::new(DecodeErrorKind::WrongType {
            expected,
            found: crate::value::element_type_name(found),
        })
    }

    /// The value is of the right type but cannot be represented.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(DecodeErrorKind::Invalid(message.into()))
    }

    /// A required field is absent.
    pub fn missing(expected: &'static str) -> Self {
        Self::new(DecodeErrorKind::Missing { expected })
    }

    /// Prepend a key (or array index) to the path, as the error leaves a nested value.
    #[must_use]
    pub fn at(mut self, key: impl fmt::Display) -> Self {
        prepend(&mut self.path, key);
        self
    }
}

impl From<bson::error::Error> for DecodeError {
    fn from(e: bson::error::Error) -> Self {
        DecodeError::new(DecodeErrorKind::Malformed(e.to_string()))
    }
}

/// Why a Rust value could not be stored as BSON, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{path}`: {message}")]
pub struct EncodeError {
    /// Dotted path of the field, empty for the document itself.
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl EncodeError {
    /// An error at the current value (the path is filled in by the callers).
    pub fn new(message: impl Into<String>) -> Self {
        EncodeError {
            path: String::new(),
            message: message.into(),
        }
    }

    /// Prepend a key (or array index) to the path.
    #[must_use]
    pub fn at(mut self, key: impl fmt::Display) -> Self {
        prepend(&mut self.path, key);
        self
    }
}

/// `key.path`, or `key` alone at the root: errors leave nested values outward.
fn prepend(path: &mut String, key: impl fmt::Display) {
    *path = if path.is_empty() {
        key.to_string()
    } else {
        format!("{key}.{path}")
    };
}

/// Every field that failed validation, each with its full dotted path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidationErrors {
    /// The failures, in field order.
    pub fields: Vec<FieldError>,
}

/// One failed validation rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Dotted path of the field (`address.zip`, `items.0.qty`).
    pub path: String,
    /// The rule's code (`range`, `length`, `email`, `$jsonSchema`, ...).
    pub code: String,
    /// A readable message.
    pub message: String,
}

impl ValidationErrors {
    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The failures of one path.
    pub fn for_path<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.fields.iter().filter(move |f| f.path == path)
    }

    /// Flatten `validator`'s nested errors into dotted paths.
    pub fn from_validator(errors: &validator::ValidationErrors) -> Self {
        let mut out = ValidationErrors::default();
        flatten_validator("", errors, &mut out.fields);
        out
    }
}

fn flatten_validator(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind;
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    let mut keys: Vec<_> = errors.errors().iter().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));
    for (key, kind) in keys {
        let path = join(key);
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe_validator_error(e));
                    out.push(FieldError {
                        path: path.clone(),
                        code: e.code.to_string(),
                        message,
                    });
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten_validator(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten_validator(&format!("{path}.{index}"), inner, out);
                }
            }
        }
    }
}

fn describe_validator_error(e: &validator::ValidationError) -> String {
    let mut params: Vec<_> = e
        .params
        .iter()
        .filter(|(k, _)| *k != "value")
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    params.sort();
    let value = e
        .params
        .get("value")
        .map(|v| format!(" (got {v})"))
        .unwrap_or_default();
    if params.is_empty() {
        format!("failed `{}`{value}", e.code)
    } else {
        format!("failed `{}` ({}){value}", e.code, params.join(", "))
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "`{}` {}", e.path, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

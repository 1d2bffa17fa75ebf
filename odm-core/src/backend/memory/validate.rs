//! Collection validators: `validator` (a query, usually `{$jsonSchema: ..}`)
//! with `validationLevel` and `validationAction`, checked on every insert,
//! update and replace that does not bypass it.

use bson::raw::RawDocument;
use bson::{doc, Bson, Document};

use super::matcher::Matcher;
use crate::backend::{CreateCollectionOptions, WriteError};
use crate::error::CommandError;

/// When the validator applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// Every insert and update.
    Strict,
    /// Inserts, and updates of documents that were valid before.
    Moderate,
    /// Never.
    Off,
}

/// A compiled validator.
#[derive(Debug, Clone)]
pub(crate) struct Validator {
    matcher: Matcher,
    first_operator: String,
    level: Level,
    warn: bool,
}

impl Validator {
    /// The validator described by `options`, if it has one.
    pub fn from_options(options: &CreateCollectionOptions) -> Result<Option<Self>, CommandError> {
        let Some(spec) = &options.validator else {
            return Ok(None);
        };
        let level = match options.validation_level.as_deref() {
            None | Some("strict") => Level::Strict,
            Some("moderate") => Level::Moderate,
            Some("off") => Level::Off,
            Some(other) => {
                return Err(CommandError::bad_value(format!(
                    "Enumeration value '{other}' for field 'validationLevel' is not a valid value."
                )))
            }
        };
        let warn = match options.validation_action.as_deref() {
            None | Some("error") | Some("errorAndLog") => false,
            Some("warn") => true,
            Some(other) => {
                return Err(CommandError::bad_value(format!(
                    "Enumeration value '{other}' for field 'validationAction' is not a valid value."
                )))
            }
        };
        if spec.is_empty() {
            return Ok(None);
        }
        let matcher = Matcher::compile(spec)?;
        let first_operator = spec.keys().next().cloned().unwrap_or_default();
        Ok(Some(Validator {
            matcher,
            first_operator,
            level,
            warn,
        }))
    }

    /// Check a document about to be written. `before` is the stored version
    /// for an update (`None` for an insert), which `moderate` consults.
    pub fn check(&self, doc: &RawDocument, before: Option<&RawDocument>) -> Result<(), WriteError> {
        match self.level {
            Level::Off => return Ok(()),
            Level::Moderate => {
                if let Some(old) = before {
                    if !self.passes(old)? {
                        return Ok(());
                    }
                }
            }
            Level::Strict => {}
        }
        if self.passes(doc)? {
            return Ok(());
        }
        let id = doc
            .get("_id")
            .ok()
            .flatten()
            .and_then(|v| Bson::try_from(v).ok())
            .unwrap_or(Bson::Null);
        if self.warn {
            tracing::warn!(failing_document_id = %id, "Document would fail validation");
            return Ok(());
        }
        Err(failure(id, &self.first_operator))
    }

    fn passes(&self, doc: &RawDocument) -> Result<bool, WriteError> {
        self.matcher.matches(doc).map_err(from_command)
    }
}

/// `121 DocumentValidationFailure` with MongoDB's `errInfo` shape.
fn failure(id: Bson, operator: &str) -> WriteError {
    let details = doc! {
        "errInfo": {
            "failingDocumentId": id,
            "details": { "operatorName": operator, "reason": "the document did not match the validator" },
        }
    };
    WriteError::new(
        0,
        121,
        "DocumentValidationFailure",
        "Document failed validation",
        details,
    )
}

/// A command error as the write error of one statement.
pub(crate) fn from_command(e: CommandError) -> WriteError {
    WriteError::new(0, e.code, e.code_name, e.message, Document::new())
}

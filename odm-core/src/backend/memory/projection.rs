//! Find projections: inclusion, exclusion, `_id` rules, dotted paths,
//! `$slice`, `$elemMatch` and the positional `$`.
//!
//! STUB: the interface is fixed; the implementation lands with the query issue.

use bson::raw::{RawDocument, RawDocumentBuf};
use bson::Document;

use crate::error::CommandError;

/// A compiled projection.
#[derive(Debug, Clone)]
pub struct Projection {
    _spec: Document,
}

impl Projection {
    /// Compile a projection; mixing inclusion and exclusion is MongoDB's error.
    pub fn compile(spec: &Document) -> Result<Self, CommandError> {
        Ok(Projection {
            _spec: spec.clone(),
        })
    }

    /// Project `doc`. `positional` is the array index the filter matched, for `field.$`.
    pub fn apply(
        &self,
        doc: &RawDocument,
        _positional: Option<usize>,
    ) -> Result<RawDocumentBuf, CommandError> {
        Ok(doc.to_owned())
    }
}

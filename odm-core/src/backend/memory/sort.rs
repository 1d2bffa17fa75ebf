//! Sorting by a sort specification (`{age: -1, name: 1}`) with MongoDB's
//! rules: mixed types in BSON order, arrays by their smallest (ascending) or
//! largest (descending) element, missing as null.
//!
//! STUB: the interface is fixed; the implementation lands with the query issue.

use std::cmp::Ordering;

use bson::raw::RawDocument;
use bson::Document;

use crate::error::CommandError;

/// A compiled sort specification.
#[derive(Debug, Clone)]
pub struct SortSpec {
    _spec: Document,
}

impl SortSpec {
    /// Compile `{field: 1 | -1 | {$meta: ..}}`.
    pub fn compile(spec: &Document) -> Result<Self, CommandError> {
        Ok(SortSpec {
            _spec: spec.clone(),
        })
    }

    /// Compare two documents.
    pub fn compare(&self, _a: &RawDocument, _b: &RawDocument) -> Ordering {
        Ordering::Equal
    }
}

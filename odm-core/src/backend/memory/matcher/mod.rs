//! The query matcher: a filter document compiled once into a tree that
//! tests raw documents without decoding them.
//!
//! STUB: the interface is fixed; the implementation lands with the query issue.

use bson::raw::RawDocument;
use bson::Document;

use crate::error::CommandError;

/// A compiled filter.
#[derive(Debug, Clone)]
pub struct Matcher {
    _filter: Document,
}

impl Matcher {
    /// Compile a filter. Unknown operators and malformed arguments are
    /// MongoDB's errors (`2 BadValue`, ...).
    pub fn compile(filter: &Document) -> Result<Self, CommandError> {
        Self::compile_with_vars(filter, None)
    }

    /// Compile a filter whose `$expr` may refer to `let` variables (`$$name`).
    pub fn compile_with_vars(
        filter: &Document,
        _let_vars: Option<&Document>,
    ) -> Result<Self, CommandError> {
        Ok(Matcher {
            _filter: filter.clone(),
        })
    }

    /// Whether `doc` matches. Errors come only from `$expr` evaluation.
    pub fn matches(&self, _doc: &RawDocument) -> Result<bool, CommandError> {
        Err(CommandError::new(
            238,
            "NotImplemented",
            "matcher not implemented yet",
        ))
    }

    /// Whether `doc` matches and, for the positional `$` update and
    /// projection operators, the index of the array element that matched the
    /// first array-valued path of the filter (`Some(None)` when it matched
    /// without an array).
    pub fn matches_positional(
        &self,
        doc: &RawDocument,
    ) -> Result<Option<Option<usize>>, CommandError> {
        Ok(self.matches(doc)?.then_some(None))
    }

    /// Whether the filter matches every document (`{}`), so a scan can skip it.
    pub fn is_match_all(&self) -> bool {
        self._filter.is_empty()
    }
}

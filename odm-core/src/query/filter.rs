//! `Filter<M>`: a query document over model `M`.

use std::fmt;
use std::marker::PhantomData;

use bson::Document;

/// A query filter over model `M`.
pub struct Filter<M> {
    doc: Document,
    _model: PhantomData<fn() -> M>,
}

impl<M> Filter<M> {
    /// Every document (`{}`).
    pub fn all() -> Self {
        Self::raw(Document::new())
    }

    /// An unchecked filter document: the escape hatch. Field names and value
    /// types are not checked; prefer `M::fields()`.
    pub fn raw(doc: Document) -> Self {
        Filter {
            doc,
            _model: PhantomData,
        }
    }

    /// The filter document.
    pub fn as_document(&self) -> &Document {
        &self.doc
    }

    /// The filter document, by value.
    pub fn into_document(self) -> Document {
        self.doc
    }
}

impl<M> Clone for Filter<M> {
    fn clone(&self) -> Self {
        Self::raw(self.doc.clone())
    }
}

impl<M> fmt::Debug for Filter<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Filter({})", self.doc)
    }
}

impl<M> Default for Filter<M> {
    fn default() -> Self {
        Self::all()
    }
}

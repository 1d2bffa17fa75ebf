//! `Projection<M>`: which fields of model `M` a query returns.

use std::fmt;
use std::marker::PhantomData;

use bson::Document;

/// A projection over model `M`.
pub struct Projection<M> {
    doc: Document,
    _model: PhantomData<fn() -> M>,
}

impl<M> Projection<M> {
    /// An unchecked projection document.
    pub fn raw(doc: Document) -> Self {
        Projection {
            doc,
            _model: PhantomData,
        }
    }

    /// The projection document.
    pub fn into_document(self) -> Document {
        self.doc
    }
}

impl<M> Clone for Projection<M> {
    fn clone(&self) -> Self {
        Self::raw(self.doc.clone())
    }
}

impl<M> fmt::Debug for Projection<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Projection({})", self.doc)
    }
}

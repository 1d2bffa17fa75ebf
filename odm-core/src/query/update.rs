//! `Update<M>`: update operators over model `M`.

use std::fmt;
use std::marker::PhantomData;

use bson::Document;

/// An update over model `M` (`{$set: .., $inc: ..}`).
pub struct Update<M> {
    doc: Document,
    _model: PhantomData<fn() -> M>,
}

impl<M> Update<M> {
    /// An unchecked update document: the escape hatch. Operators, field names
    /// and value types are not checked and update validation does not apply;
    /// prefer `M::fields()`.
    pub fn raw(doc: Document) -> Self {
        Update {
            doc,
            _model: PhantomData,
        }
    }

    /// The update document.
    pub fn as_document(&self) -> &Document {
        &self.doc
    }

    /// The update document, by value.
    pub fn into_document(self) -> Document {
        self.doc
    }
}

impl<M> Clone for Update<M> {
    fn clone(&self) -> Self {
        Self::raw(self.doc.clone())
    }
}

impl<M> fmt::Debug for Update<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Update({})", self.doc)
    }
}

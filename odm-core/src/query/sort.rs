//! `Sort<M>`: a sort specification over model `M`.

use std::fmt;
use std::marker::PhantomData;

use bson::Document;

/// A sort specification over model `M` (`{age: -1, name: 1}`).
pub struct Sort<M> {
    doc: Document,
    _model: PhantomData<fn() -> M>,
}

impl<M> Sort<M> {
    /// An unchecked sort document.
    pub fn raw(doc: Document) -> Self {
        Sort {
            doc,
            _model: PhantomData,
        }
    }

    /// The sort document.
    pub fn into_document(self) -> Document {
        self.doc
    }
}

impl<M> Clone for Sort<M> {
    fn clone(&self) -> Self {
        Self::raw(self.doc.clone())
    }
}

impl<M> fmt::Debug for Sort<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sort({})", self.doc)
    }
}

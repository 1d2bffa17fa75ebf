//! `Sort<M>`: a sort specification over model `M`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::BitAnd;

use bson::{Bson, Document};

use crate::field::Field;

/// A sort specification over model `M` (`{age: -1, name: 1}`).
///
/// ```
/// use odm_core::bson::doc;
/// use odm_core::{Field, Path};
///
/// let age: Field<(), i32> = Field::new(Path::from_static("age"));
/// let name: Field<(), String> = Field::new(Path::from_static("name"));
/// assert_eq!(age.desc().then(name.asc()).into_document(), doc! {"age": -1, "name": 1});
/// assert_eq!((name.asc() & age.desc()).into_document(), doc! {"name": 1, "age": -1});
/// ```
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
    pub fn as_document(&self) -> &Document {
        &self.doc
    }

    /// The sort document.
    pub fn into_document(self) -> Document {
        self.doc
    }

    /// Then by `other`, for documents equal so far (`&` too). A key already
    /// sorted on keeps its first direction: sorting by it again changes nothing.
    #[must_use]
    pub fn then(mut self, other: Sort<M>) -> Self {
        for (key, direction) in other.doc {
            if !self.doc.contains_key(&key) {
                self.doc.insert(key, direction);
            }
        }
        self
    }
}

/// Sort keys.
impl<M, T> Field<M, T> {
    /// Ascending (`{path: 1}`).
    pub fn asc(&self) -> Sort<M> {
        self.sort_key(1)
    }

    /// Descending (`{path: -1}`).
    pub fn desc(&self) -> Sort<M> {
        self.sort_key(-1)
    }

    fn sort_key(&self, direction: i32) -> Sort<M> {
        let mut doc = Document::new();
        doc.insert(self.path(), Bson::Int32(direction));
        Sort::raw(doc)
    }
}

impl<M> BitAnd for Sort<M> {
    type Output = Sort<M>;
    fn bitand(self, rhs: Sort<M>) -> Sort<M> {
        self.then(rhs)
    }
}

impl<M> Clone for Sort<M> {
    fn clone(&self) -> Self {
        Self::raw(self.doc.clone())
    }
}

impl<M> PartialEq for Sort<M> {
    fn eq(&self, other: &Self) -> bool {
        self.doc == other.doc
    }
}

impl<M> fmt::Debug for Sort<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sort({})", self.doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Path;
    use bson::doc;

    #[test]
    fn a_repeated_key_keeps_its_first_direction() {
        let a: Field<(), i32> = Field::new(Path::from_static("a"));
        let b: Field<(), i32> = Field::new(Path::from_static("b"));
        let s = a.asc() & b.desc() & a.desc();
        assert_eq!(s.into_document(), doc! {"a": 1, "b": -1});
    }
}

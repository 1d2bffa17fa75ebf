//! `Projection<M>`: which fields of model `M` a query returns, and
//! [`ProjectionOf`], a type read from such a projection.

use std::fmt;
use std::marker::PhantomData;
use std::ops::BitAnd;

use bson::raw::{RawBsonRef, RawDocument};
use bson::{Bson, Document};

use super::ops::element_condition;
use crate::error::{DecodeError, EncodeError};
use crate::field::{Field, PathType};
use crate::query::marker::ArrayLike;
use crate::query::Filter;
use crate::value::{self, FromBson};

/// A projection over model `M`.
///
/// ```
/// use odm_core::bson::doc;
/// use odm_core::{Field, Path};
///
/// let name: Field<(), String> = Field::new(Path::from_static("name"));
/// let tags: Field<(), Vec<String>> = Field::new(Path::from_static("tags"));
/// let scores: Field<(), Vec<i32>> = Field::new(Path::from_static("scores"));
/// let p = name.include() & tags.slice(-3) & scores.first_match(|s| s.gt(90));
/// assert_eq!(
///     p.into_document(),
///     doc! {"name": 1, "tags": {"$slice": -3}, "scores": {"$elemMatch": {"$gt": 90}}}
/// );
/// ```
pub struct Projection<M> {
    doc: Document,
    error: Option<EncodeError>,
    _model: PhantomData<fn() -> M>,
}

impl<M> Projection<M> {
    /// An unchecked projection document.
    pub fn raw(doc: Document) -> Self {
        Self::with(doc, None)
    }

    /// The projection document (see [`check`](Self::check)).
    pub fn as_document(&self) -> &Document {
        &self.doc
    }

    /// The projection document.
    pub fn into_document(self) -> Document {
        self.doc
    }

    /// The first error met while building: a value that could not be
    /// encoded, inclusion mixed with exclusion, or two overlapping paths.
    pub fn check(&self) -> Result<(), EncodeError> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Both projections (`&`).
    #[must_use]
    pub fn and(mut self, other: Projection<M>) -> Self {
        if self.error.is_none() {
            self.error = other.error;
        }
        for (path, spec) in other.doc {
            if self.error.is_none() {
                self.error = conflict(&self.doc, &path, &spec);
            }
            self.doc.insert(path, spec);
        }
        self
    }

    fn with(doc: Document, error: Option<EncodeError>) -> Self {
        Projection {
            doc,
            error,
            _model: PhantomData,
        }
    }

    fn path(path: &str, spec: Result<Bson, EncodeError>) -> Self {
        match spec {
            Ok(spec) => {
                let mut doc = Document::new();
                doc.insert(path, spec);
                Self::raw(doc)
            }
            Err(e) => Self::with(Document::new(), Some(e.at(path))),
        }
    }
}

/// Is `spec` an inclusion (`Some(true)`), an exclusion (`Some(false)`), or an
/// operator (`None`)?
fn inclusion(spec: &Bson) -> Option<bool> {
    match spec {
        Bson::Int32(0) | Bson::Int64(0) | Bson::Boolean(false) => Some(false),
        Bson::Document(_) => None,
        _ => Some(true),
    }
}

/// MongoDB's refusals when `path: spec` joins `doc`: an exclusion in an
/// inclusion projection (or the reverse; `_id` may differ) and path
/// collisions (`a` with `a.b`).
fn conflict(doc: &Document, path: &str, spec: &Bson) -> Option<EncodeError> {
    for (other, other_spec) in doc {
        let collides = other == path
            || path
                .strip_prefix(other.as_str())
                .is_some_and(|r| r.starts_with('.'))
            || other.strip_prefix(path).is_some_and(|r| r.starts_with('.'));
        if collides {
            return Some(EncodeError::new(format!(
                "path collision at `{path}`: `{other}` is projected too"
            )));
        }
        if path == "_id" || other == "_id" {
            continue;
        }
        if let (Some(a), Some(b)) = (inclusion(other_spec), inclusion(spec)) {
            if a != b {
                let (kind, mode) = if b {
                    ("inclusion", "exclusion")
                } else {
                    ("exclusion", "inclusion")
                };
                return Some(EncodeError::new(format!(
                    "cannot do {kind} on field `{path}` in {mode} projection"
                )));
            }
        }
    }
    None
}

fn single(op: &str, value: Bson) -> Bson {
    let mut d = Document::new();
    d.insert(op, value);
    Bson::Document(d)
}

/// Projecting fields, and reading them back.
impl<M, T> Field<M, T> {
    /// Return this field (`{path: 1}`).
    pub fn include(&self) -> Projection<M> {
        Projection::path(self.path(), Ok(Bson::Int32(1)))
    }

    /// Leave this field out (`{path: 0}`).
    pub fn exclude(&self) -> Projection<M> {
        Projection::path(self.path(), Ok(Bson::Int32(0)))
    }

    /// Read this field from a (projected) document: walks the dotted path
    /// through embedded documents and decodes the value as `T`, the field's
    /// type in the model. The building block of [`ProjectionOf`].
    pub fn read_from(&self, doc: &RawDocument) -> Result<T, DecodeError>
    where
        T: FromBson,
    {
        let path = self.path();
        let mut current = doc;
        let mut rest = path;
        loop {
            let (key, tail) = match rest.split_once('.') {
                Some((key, tail)) => (key, Some(tail)),
                None => (rest, None),
            };
            let found = current
                .get(key)
                .map_err(|e| DecodeError::from(e).at(path))?;
            match (found, tail) {
                (None, _) => return value::missing(path),
                (Some(v), None) => return value::decode_at(path, v),
                (Some(RawBsonRef::Document(d)), Some(tail)) => {
                    current = d;
                    rest = tail;
                }
                (Some(other), Some(tail)) => {
                    // `tail` follows the `.` ending the parent's path.
                    let end = path.len().saturating_sub(tail.len() + 1);
                    let parent = path.get(..end).unwrap_or(path);
                    return Err(DecodeError::wrong_type("object", other.element_type()).at(parent));
                }
            }
        }
    }
}

/// Array projections.
impl<M, T> Field<M, T> {
    /// The first `n` elements, or the last `-n` when negative (`$slice`).
    pub fn slice(&self, n: i32) -> Projection<M>
    where
        T: ArrayLike,
    {
        Projection::path(self.path(), Ok(single("$slice", Bson::Int32(n))))
    }

    /// `limit` elements after skipping `skip` (negative: from the end):
    /// `$slice: [skip, limit]`.
    pub fn slice_range(&self, skip: i32, limit: u32) -> Projection<M>
    where
        T: ArrayLike,
    {
        let limit = i32::try_from(limit).map_or(Bson::Int64(limit.into()), Bson::Int32);
        let args = Bson::Array(vec![Bson::Int32(skip), limit]);
        Projection::path(self.path(), Ok(single("$slice", args)))
    }

    /// Only the first element matching `condition` (`$elemMatch`).
    pub fn first_match<F>(&self, condition: F) -> Projection<M>
    where
        T: ArrayLike,
        T::Elem: PathType + 'static,
        F: FnOnce(&<T::Elem as PathType>::Path<T::Elem, T::Elem>) -> Filter<T::Elem>,
    {
        let cond = element_condition::<T::Elem, F>(condition)
            .map(|c| single("$elemMatch", Bson::Document(c)));
        Projection::path(self.path(), cond)
    }
}

/// A type read from a projection of model `M`: `find_as::<UserSummary>()`
/// asks for [`projection`](Self::projection) and decodes each result with
/// [`from_projected`](Self::from_projected).
///
/// Implement it with `M`'s typed paths and [`Field::read_from`]: a path the
/// model lacks does not compile, and `read_from` returns the model's type for
/// the field, so a summary field of another type does not compile either.
/// (A derive attribute will generate this.)
///
/// ```
/// use odm_core::bson::{doc, RawDocumentBuf};
/// use odm_core::error::DecodeError;
/// use odm_core::query::{Projection, ProjectionOf};
/// use odm_core::{Field, Path};
///
/// struct User;
/// struct UserFields { name: Field<User, String>, city: Field<User, String>, age: Field<User, i32> }
/// fn fields() -> UserFields {
///     UserFields {
///         name: Field::new(Path::from_static("name")),
///         city: Field::new(Path::from_static("address.city")),
///         age: Field::new(Path::from_static("age")),
///     }
/// }
///
/// struct Summary { name: String, city: String }
///
/// impl ProjectionOf<User> for Summary {
///     fn projection() -> Projection<User> {
///         let f = fields();
///         f.name.include() & f.city.include()
///     }
///     fn from_projected(doc: &odm_core::bson::RawDocument) -> Result<Self, DecodeError> {
///         let f = fields();
///         Ok(Summary { name: f.name.read_from(doc)?, city: f.city.read_from(doc)? })
///     }
/// }
///
/// assert_eq!(Summary::projection().into_document(), doc! {"name": 1, "address.city": 1});
/// let stored = RawDocumentBuf::try_from(&doc! {"name": "Al", "address": {"city": "Paris"}}).unwrap();
/// let s = Summary::from_projected(&stored).unwrap();
/// assert_eq!((s.name.as_str(), s.city.as_str()), ("Al", "Paris"));
/// ```
pub trait ProjectionOf<M>: Sized {
    /// The projection that returns what [`from_projected`](Self::from_projected) reads.
    fn projection() -> Projection<M>;

    /// Decode one projected document.
    fn from_projected(doc: &RawDocument) -> Result<Self, DecodeError>;
}

impl<M> BitAnd for Projection<M> {
    type Output = Projection<M>;
    fn bitand(self, rhs: Projection<M>) -> Projection<M> {
        self.and(rhs)
    }
}

impl<M> Clone for Projection<M> {
    fn clone(&self) -> Self {
        Self::with(self.doc.clone(), self.error.clone())
    }
}

impl<M> PartialEq for Projection<M> {
    fn eq(&self, other: &Self) -> bool {
        self.doc == other.doc && self.error == other.error
    }
}

impl<M> fmt::Debug for Projection<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Projection({})", self.doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DecodeErrorKind;
    use crate::field::Path;
    use bson::{doc, RawDocumentBuf};

    fn field<T>(path: &'static str) -> Field<(), T> {
        Field::new(Path::from_static(path))
    }

    #[test]
    fn mixing_inclusion_and_exclusion_is_reported() {
        let p = field::<String>("a").include() & field::<String>("b").exclude();
        assert!(p
            .check()
            .unwrap_err()
            .message
            .contains("exclusion on field `b`"));
        let ok = field::<String>("a").include() & field::<String>("_id").exclude();
        ok.check().unwrap();
    }

    #[test]
    fn path_collisions_are_reported() {
        let p = field::<String>("a.b").include() & field::<String>("a").include();
        assert!(p.check().unwrap_err().message.contains("collision"));
        let ok = field::<String>("ab").include() & field::<String>("a").include();
        ok.check().unwrap();
    }

    #[test]
    fn slice_range_and_positional() {
        let p = field::<Vec<i32>>("s").slice_range(-5, 2);
        assert_eq!(p.into_document(), doc! {"s": {"$slice": [-5, 2]}});
    }

    #[test]
    fn read_from_walks_nested_documents() {
        let raw = RawDocumentBuf::try_from(&doc! {"a": {"b": {"c": 4}}, "x": 1}).unwrap();
        assert_eq!(field::<i32>("a.b.c").read_from(&raw).unwrap(), 4);
        assert_eq!(field::<Option<i32>>("a.z").read_from(&raw).unwrap(), None);
        let err = field::<i32>("x.y").read_from(&raw).unwrap_err();
        assert_eq!(err.path, "x");
        let err = field::<String>("a.b.c").read_from(&raw).unwrap_err();
        assert_eq!(err.path, "a.b.c");
        assert!(matches!(err.kind, DecodeErrorKind::WrongType { .. }));
        let err = field::<String>("nope").read_from(&raw).unwrap_err();
        assert!(matches!(err.kind, DecodeErrorKind::Missing { .. }));
    }
}

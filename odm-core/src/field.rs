//! Typed field paths: `Field<M, T>` names a stored path of model `M` whose
//! Rust type is `T`. The derive generates one per field (`User::fields().age`),
//! nested through embedded structs, and the query, update, sort and
//! projection builders take them, so a misspelt field or a value of the
//! wrong type is a compile error.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A dotted path of stored keys (`address.city`, `items.$.qty`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Path(Cow<'static, str>);

impl Path {
    /// A path known at compile time.
    pub const fn from_static(path: &'static str) -> Self {
        Path(Cow::Borrowed(path))
    }

    /// The empty path (the root of an embedded document).
    pub const fn root() -> Self {
        Path(Cow::Borrowed(""))
    }

    /// `self.key`, or `key` when `self` is the root.
    pub fn join(&self, key: &str) -> Path {
        if self.0.is_empty() {
            Path(Cow::Owned(key.to_owned()))
        } else {
            Path(Cow::Owned(format!("{}.{}", self.0, key)))
        }
    }

    /// The dotted path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The stored path of a field of model `M`, whose Rust type is `T`.
pub struct Field<M, T> {
    path: Path,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Field<M, T> {
    /// A field at `path`. Generated code calls this; a hand-written path is
    /// unchecked, so prefer the derive's `Model::fields()`.
    pub const fn new(path: Path) -> Self {
        Field {
            path,
            _marker: PhantomData,
        }
    }

    /// The stored, dotted path.
    pub fn path(&self) -> &str {
        self.path.as_str()
    }

    /// The path as a [`Path`], to build nested paths from.
    pub fn as_path(&self) -> &Path {
        &self.path
    }
}

impl<M, T> Clone for Field<M, T> {
    fn clone(&self) -> Self {
        Field::new(self.path.clone())
    }
}

impl<M, T> fmt::Debug for Field<M, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Field({})", self.path)
    }
}

//! References between documents: `Ref<T>` stores the `_id` of a `T` (so a
//! `Ref<User>` cannot hold a `Post` id), and carries the referenced model once
//! it has been loaded. Loading is always explicit: [`Ref::fetch`] for one,
//! population for many; reading [`Ref::get`] never queries.

use std::fmt;
use std::sync::Arc;

use bson::raw::RawBsonRef;

use crate::database::Database;
use crate::document::Document;
use crate::error::{DecodeError, EncodeError, Error, Result};
use crate::field::{Field, Path, PathType};
use crate::value::{FromBson, IntoBson, RawValue};

/// A reference to a document of model `T`, stored as its `_id`.
pub struct Ref<T: Document> {
    id: T::Id,
    loaded: Option<Arc<T>>,
}

impl<T: Document> Ref<T> {
    /// A reference to the document with this id.
    pub fn new(id: T::Id) -> Self {
        Ref { id, loaded: None }
    }

    /// A reference to `model`, which must have an id (be inserted) already.
    pub fn to(model: &T) -> Option<Self> {
        model.id().cloned().map(Self::new)
    }

    /// The referenced document's id.
    pub fn id(&self) -> &T::Id {
        &self.id
    }

    /// The referenced model, if it was loaded (by population or
    /// [`Ref::load`]). Never queries.
    pub fn get(&self) -> Option<&T> {
        self.loaded.as_deref()
    }

    /// Whether the referenced model was loaded.
    pub fn is_loaded(&self) -> bool {
        self.loaded.is_some()
    }

    /// Attach a loaded model (population does this).
    pub fn set_loaded(&mut self, model: Arc<T>) {
        self.loaded = Some(model);
    }

    /// Load the referenced document. A dangling reference (the document was
    /// deleted) is [`Error::NotFound`].
    pub async fn fetch(&self, db: &Database) -> Result<T> {
        db.collection::<T>()
            .find_by_id(&self.id)
            .await?
            .ok_or_else(|| Error::NotFound {
                collection: T::COLLECTION.to_owned(),
                what: format!("_id {:?} (a dangling reference)", self.id),
            })
    }

    /// [`fetch`](Self::fetch) and keep the model in this reference.
    pub async fn load(&mut self, db: &Database) -> Result<&T> {
        let model = Arc::new(self.fetch(db).await?);
        Ok(&**self.loaded.insert(model))
    }
}

impl<T: Document> Clone for Ref<T> {
    fn clone(&self) -> Self {
        Ref {
            id: self.id.clone(),
            loaded: self.loaded.clone(),
        }
    }
}

/// References are equal when they name the same document, loaded or not.
impl<T: Document> PartialEq for Ref<T>
where
    T::Id: PartialEq,
{
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<T: Document> fmt::Debug for Ref<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Ref<{}>({:?}{})",
            T::COLLECTION,
            self.id,
            if self.is_loaded() { ", loaded" } else { "" }
        )
    }
}

impl<T: Document> IntoBson for Ref<T> {
    fn to_raw(&self) -> std::result::Result<RawValue<'_>, EncodeError> {
        self.id.to_raw()
    }
}

impl<T: Document> FromBson for Ref<T> {
    const EXPECTED: &'static str = <T::Id as FromBson>::EXPECTED;

    /// Decoding inside a population picks up the loaded model.
    fn from_raw(value: RawBsonRef<'_>) -> std::result::Result<Self, DecodeError> {
        let id = T::Id::from_raw(value)?;
        Ok(Ref {
            id,
            loaded: Self::populated(value),
        })
    }
}

impl<T: Document> PathType for Ref<T> {
    type Path<R: 'static, S: 'static> = Field<R, S>;
    fn path_at<R: 'static, S: 'static>(path: Path) -> Field<R, S> {
        Field::new(path)
    }
}

pub mod delete_rules;
mod populate;

pub use delete_rules::{DeleteRule, OnDelete};
pub use populate::{FindPopulated, RefField};

impl<T: Document> Ref<T> {
    /// The model population left for this id, if a population is decoding.
    fn populated(id: RawBsonRef<'_>) -> Option<Arc<T>> {
        populate::lookup::<T>(id)
    }
}

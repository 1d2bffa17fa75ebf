//! The traits the derives implement: [`Document`] for a model stored in its
//! own collection, [`Embedded`] for a struct stored inside another.

use bson::raw::{RawDocument, RawDocumentBuf};

use crate::backend::IndexModel;
use crate::error::{DecodeError, EncodeError, ValidationErrors};
use crate::value::IdValue;

/// A model stored in a collection of its own. Implemented by `#[derive(Document)]`.
///
/// The collection is the struct's name in snake_case (`BlogPost` → `blog_post`)
/// unless the struct says `#[odm(collection = "...")]`. The id is the field
/// marked `#[odm(id)]`, or the field named `id`; it is stored as `_id`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an odm document",
    label = "not a `#[derive(odm::Document)]` model",
    note = "add `#[derive(odm::Document)]` to the struct, with an `id` field (or one marked `#[odm(id)]`)"
)]
pub trait Document: Sized + Send + Sync + 'static {
    /// The collection's name.
    const COLLECTION: &'static str;

    /// The Rust type of `_id` (`ObjectId` for an `Option<ObjectId>` field).
    type Id: IdValue;

    /// The generated struct of typed field paths (`User::fields().age`).
    type Fields: 'static;

    /// The typed field paths of this model, built once.
    fn fields() -> &'static Self::Fields;

    /// The document's id, if it has one yet (an `Option<ObjectId>` id is `None`
    /// until the first insert).
    fn id(&self) -> Option<&Self::Id>;

    /// Set the id (after an insert assigned one).
    fn set_id(&mut self, id: Self::Id);

    /// Encode the model as a BSON document, `_id` first.
    fn to_document(&self) -> Result<RawDocumentBuf, EncodeError>;

    /// Decode a stored document.
    fn from_document(doc: &RawDocument) -> Result<Self, DecodeError>;

    /// Client-side validation (from `validator`), run before every insert and
    /// replace. The derive implements it when the struct says `#[odm(validate)]`.
    fn validate(&self) -> Result<(), ValidationErrors> {
        Ok(())
    }

    /// The indexes the model declares (`#[odm(index)]`, `#[odm(unique)]`,
    /// struct-level `#[odm(index(keys(..), ..))]`), in declaration order.
    /// [`Collection::sync_indexes`](crate::Collection::sync_indexes) makes the
    /// collection's indexes match them.
    fn indexes() -> Vec<IndexModel> {
        Vec::new()
    }

    /// The stored name of the `#[odm(version)]` field, when the model uses
    /// optimistic concurrency: replaces, saves and typed updates through odm
    /// then match the version they read and increment it, and a stale write
    /// is [`Error::Conflict`](crate::Error::Conflict).
    const VERSION: Option<&'static str> = None;

    /// The model's version (`None` for a model without a version field).
    fn version(&self) -> Option<i64> {
        None
    }

    /// Set the model's version (a no-op without a version field).
    fn set_version(&mut self, version: i64) {
        let _ = version;
    }
}

/// An integer type that can hold a `#[odm(version)]`: `i32`, `i64` or `u32`,
/// each stored as a BSON integer.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a `#[odm(version)]` field",
    label = "a version is an `i32`, `i64` or `u32`",
    note = "declare the version field as `version: i64`"
)]
pub trait VersionField: Copy {
    /// The version as an `i64`.
    fn to_version(self) -> i64;
    /// A version back in the field's type (wrapping at the type's bounds,
    /// where a counter of writes never gets).
    fn from_version(version: i64) -> Self;
}

macro_rules! version_field {
    ($($t:ty),*) => {$(
        impl VersionField for $t {
            fn to_version(self) -> i64 {
                i64::from(self)
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            fn from_version(version: i64) -> Self {
                version as $t
            }
        }
    )*};
}

version_field!(i32, i64, u32);

/// A struct stored inside a document (or a unit-only enum stored as a string).
/// Implemented by `#[derive(Embedded)]`, which also implements
/// [`IntoBson`](crate::value::IntoBson), [`FromBson`](crate::value::FromBson)
/// and [`PathType`](crate::field::PathType) (the struct of its typed paths).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an embedded odm type",
    label = "not a `#[derive(odm::Embedded)]` type",
    note = "add `#[derive(odm::Embedded)]` to it"
)]
pub trait Embedded:
    crate::value::IntoBson + crate::value::FromBson + crate::field::PathType + Sized + 'static
{
}

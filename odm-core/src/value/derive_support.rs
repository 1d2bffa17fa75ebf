//! What the derives' generated code calls to encode and decode one field.
//! Not a public API: it changes without notice.
//!
//! Each helper comes in two traits, a real one implemented when the field
//! type is storable and a fallback implemented for every type, picked by
//! autoref specialization: `(&Encode(&x)).encode_field(..)` resolves to the
//! real encoder when `T: IntoBson`, else to the fallback. An unstorable field
//! type is thus reported once, by the derive's type assertion at the field,
//! instead of once more at every place the generated code touches it. The
//! fallbacks are never reached at run time: the crate does not compile.

use std::marker::PhantomData;

use bson::raw::{CStr, RawDocumentBuf};

use super::{Element, FromBson, IntoBson};
use crate::error::{DecodeError, EncodeError};

/// A field value to encode.
pub struct Encode<'a, T: ?Sized>(pub &'a T);

/// The real encoder.
pub trait EncodeField {
    /// Append the value under `key`.
    fn encode_field(&self, doc: &mut RawDocumentBuf, key: &CStr) -> Result<(), EncodeError>;
}

impl<T: IntoBson + ?Sized> EncodeField for Encode<'_, T> {
    #[inline]
    fn encode_field(&self, doc: &mut RawDocumentBuf, key: &CStr) -> Result<(), EncodeError> {
        super::append(doc, key, self.0)
    }
}

/// The fallback for unstorable types (see the module docs).
pub trait EncodeFieldFallback {
    /// Never called in a program that compiles.
    fn encode_field(&self, doc: &mut RawDocumentBuf, key: &CStr) -> Result<(), EncodeError>;
}

impl<T: ?Sized> EncodeFieldFallback for &Encode<'_, T> {
    fn encode_field(&self, _: &mut RawDocumentBuf, key: &CStr) -> Result<(), EncodeError> {
        Err(EncodeError::new("this field type cannot be stored").at(key.as_str()))
    }
}

/// A field type to decode.
pub struct Decode<T>(PhantomData<fn() -> T>);

impl<T> Decode<T> {
    /// The decoder of `T`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Decode(PhantomData)
    }
}

/// The real decoder.
pub trait DecodeField<T> {
    /// Decode the present value of `key`.
    fn decode_field(&self, key: &str, element: Element<'_>) -> Result<T, DecodeError>;
    /// The value of the absent field `key`.
    fn missing_field(&self, key: &str) -> Result<T, DecodeError>;
}

impl<T: FromBson> DecodeField<T> for Decode<T> {
    #[inline]
    fn decode_field(&self, key: &str, element: Element<'_>) -> Result<T, DecodeError> {
        T::from_element(element).map_err(|e| e.at(key))
    }
    #[inline]
    fn missing_field(&self, key: &str) -> Result<T, DecodeError> {
        super::missing(key)
    }
}

/// The fallback for unreadable types (see the module docs).
pub trait DecodeFieldFallback<T> {
    /// Never called in a program that compiles.
    fn decode_field(&self, key: &str, element: Element<'_>) -> Result<T, DecodeError>;
    /// Never called in a program that compiles.
    fn missing_field(&self, key: &str) -> Result<T, DecodeError>;
}

impl<T> DecodeFieldFallback<T> for &Decode<T> {
    fn decode_field(&self, key: &str, _: Element<'_>) -> Result<T, DecodeError> {
        Err(DecodeError::invalid("this field type cannot be read").at(key))
    }
    fn missing_field(&self, key: &str) -> Result<T, DecodeError> {
        Err(DecodeError::invalid("this field type cannot be read").at(key))
    }
}

/// Rewrites a path in Rust field names (as `validator` reports them) into
/// the stored path (`shippingAddress.zip` for `shipping_address.zip` under
/// `rename_all = "camelCase"`). Implemented by the derives for structs, and
/// here for the containers validator descends into.
pub trait StoredPath {
    /// Append the stored form of `rust` to `out`.
    fn stored_path(rust: &str, out: &mut String);
}

fn split_head(path: &str) -> (&str, Option<&str>) {
    match path.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    }
}

/// An array index stays; the element type renames the rest.
impl<T: StoredPath> StoredPath for Vec<T> {
    fn stored_path(rust: &str, out: &mut String) {
        let (index, rest) = split_head(rust);
        out.push_str(index);
        if let Some(rest) = rest {
            out.push('.');
            T::stored_path(rest, out);
        }
    }
}

impl<T: StoredPath> StoredPath for Option<T> {
    fn stored_path(rust: &str, out: &mut String) {
        T::stored_path(rust, out)
    }
}

impl<T: StoredPath> StoredPath for Box<T> {
    fn stored_path(rust: &str, out: &mut String) {
        T::stored_path(rust, out)
    }
}

/// A field type whose paths to rename, picked by autoref specialization:
/// types without [`StoredPath`] keep the path as it is.
pub struct Names<T>(PhantomData<fn() -> T>);

impl<T> Names<T> {
    /// The renamer of `T`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Names(PhantomData)
    }
}

/// The renamer of types with stored names.
pub trait NamesField {
    /// Append the stored form of `rust` to `out`.
    fn push_path(&self, rust: &str, out: &mut String);
}

impl<T: StoredPath> NamesField for Names<T> {
    fn push_path(&self, rust: &str, out: &mut String) {
        T::stored_path(rust, out)
    }
}

/// The fallback: the path is already stored keys (map keys, scalars).
pub trait NamesFieldFallback {
    /// Append `rust` unchanged.
    fn push_path(&self, rust: &str, out: &mut String);
}

impl<T> NamesFieldFallback for &Names<T> {
    fn push_path(&self, rust: &str, out: &mut String) {
        out.push_str(rust)
    }
}

/// Rewrite the paths of validation errors of `T` into stored paths.
pub fn stored_validation_paths<T: StoredPath>(errors: &mut crate::error::ValidationErrors) {
    for error in &mut errors.fields {
        let mut out = String::with_capacity(error.path.len());
        T::stored_path(&error.path, &mut out);
        error.path = out;
    }
}

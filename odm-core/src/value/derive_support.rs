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

use bson::raw::{CStr, RawBsonRef, RawDocumentBuf};

use super::{FromBson, IntoBson};
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
    fn decode_field(&self, key: &str, value: RawBsonRef<'_>) -> Result<T, DecodeError>;
    /// The value of the absent field `key`.
    fn missing_field(&self, key: &str) -> Result<T, DecodeError>;
}

impl<T: FromBson> DecodeField<T> for Decode<T> {
    #[inline]
    fn decode_field(&self, key: &str, value: RawBsonRef<'_>) -> Result<T, DecodeError> {
        super::decode_at(key, value)
    }
    #[inline]
    fn missing_field(&self, key: &str) -> Result<T, DecodeError> {
        super::missing(key)
    }
}

/// The fallback for unreadable types (see the module docs).
pub trait DecodeFieldFallback<T> {
    /// Never called in a program that compiles.
    fn decode_field(&self, key: &str, value: RawBsonRef<'_>) -> Result<T, DecodeError>;
    /// Never called in a program that compiles.
    fn missing_field(&self, key: &str) -> Result<T, DecodeError>;
}

impl<T> DecodeFieldFallback<T> for &Decode<T> {
    fn decode_field(&self, key: &str, _: RawBsonRef<'_>) -> Result<T, DecodeError> {
        Err(DecodeError::invalid("this field type cannot be read").at(key))
    }
    fn missing_field(&self, key: &str) -> Result<T, DecodeError> {
        Err(DecodeError::invalid("this field type cannot be read").at(key))
    }
}

//! The typed conversion layer: how a Rust value becomes BSON and back.
//!
//! odm does not use serde for stored fields. Every field type implements
//! [`IntoBson`] and [`FromBson`], and the derive calls them field by field.
//! The same traits encode query values, so a stored value and a query value of
//! the same Rust type are always the same BSON: a `chrono::NaiveDate` is a
//! BSON date in the document *and* in `born >= date`. This is the design of
//! sea-orm's and diesel's value traits, for the same reason.
//!
//! | Rust | BSON |
//! |---|---|
//! | `i8`, `i16`, `i32`, `u8`, `u16` | int32 |
//! | `i64`, `u32`, `u64`, `usize` (above `i64::MAX` is an error) | int64 |
//! | `f32`, `f64` | double |
//! | `bool`, `String` | bool, string |
//! | `ObjectId`, `bson::DateTime`, `Decimal128`, `bson::Binary` | the same |
//! | `uuid::Uuid` | binary subtype 4 |
//! | `Vec<u8>` | binary subtype 0 |
//! | `chrono::NaiveDate` | date, midnight UTC |
//! | `chrono::NaiveDateTime` | date, read as UTC |
//! | `chrono::DateTime<Utc>`, `DateTime<FixedOffset>` | date (the instant; the offset reads back as UTC) |
//! | `Option<T>` | `T`, or null; an absent field reads as `None` |
//! | `Vec<T>` | array |
//! | `HashMap<String, T>`, `BTreeMap<String, T>` | embedded document |
//! | `Box<T>` | `T` |
//!
//! BSON dates hold milliseconds: sub-millisecond precision is truncated
//! (towards the past) when a chrono value is stored.

mod containers;
mod dates;
#[doc(hidden)]
pub mod derive_support;
pub(crate) mod element;
mod scalars;

pub use dates::local_time;
pub use element::{Element, Elements};

use bson::raw::{CStr, RawBson, RawBsonRef, RawDocument, RawDocumentBuf};
use bson::spec::ElementType;
use bson::Bson;

use crate::error::{DecodeError, EncodeError};

/// A value encoded as raw BSON: borrowed from the Rust value where it can be
/// (strings, binaries), owned where it had to be built (documents, arrays).
#[derive(Debug, Clone)]
pub enum RawValue<'a> {
    /// Borrowed from the Rust value (no copy).
    Borrowed(RawBsonRef<'a>),
    /// Built for the occasion.
    Owned(RawBson),
}

impl RawValue<'_> {
    /// A reference to the encoded value.
    pub fn as_ref(&self) -> RawBsonRef<'_> {
        match self {
            RawValue::Borrowed(r) => *r,
            RawValue::Owned(o) => o.as_raw_bson_ref(),
        }
    }

    /// The encoded value as an owned [`Bson`] (for filters and updates).
    pub fn to_bson(&self) -> Result<Bson, EncodeError> {
        Bson::try_from(self.as_ref()).map_err(|e| EncodeError::new(e.to_string()))
    }
}

impl<'a> From<RawBsonRef<'a>> for RawValue<'a> {
    fn from(value: RawBsonRef<'a>) -> Self {
        RawValue::Borrowed(value)
    }
}

impl From<RawBson> for RawValue<'_> {
    fn from(value: RawBson) -> Self {
        RawValue::Owned(value)
    }
}

/// A Rust type that odm can store as a BSON value.
///
/// Implemented for every supported field type; `#[derive(Embedded)]` implements
/// it for embedded structs and string enums. A type that does not implement it
/// cannot be a model field (use `#[odm(serde)]` to store it through serde).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored as a BSON value by odm",
    label = "no BSON conversion for this type",
    note = "derive `odm::Embedded` for your own structs and unit-only enums",
    note = "or mark the field `#[odm(serde)]` to store it through its serde implementation",
    note = "`chrono::DateTime<Local>` is deliberately not storable: convert it to `DateTime<Utc>` (or `DateTime<FixedOffset>`) first"
)]
pub trait IntoBson {
    /// Encode the value.
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError>;

    /// Encode the value as an owned [`Bson`] (for filters and updates).
    fn to_bson(&self) -> Result<Bson, EncodeError> {
        self.to_raw()?.to_bson()
    }

    /// Encode a slice of this type. `Vec<T>` calls this, so that `Vec<u8>` can
    /// be a binary while every other `Vec<T>` is an array.
    #[doc(hidden)]
    fn slice_to_raw(items: &[Self]) -> Result<RawValue<'_>, EncodeError>
    where
        Self: Sized,
    {
        containers::encode_array(items.iter())
    }
}

/// A Rust type that odm can read from a BSON value.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from BSON by odm",
    label = "no BSON conversion for this type",
    note = "derive `odm::Embedded` for your own structs and unit-only enums",
    note = "or mark the field `#[odm(serde)]` to read it through its serde implementation"
)]
pub trait FromBson: Sized {
    /// What the model expects, in MongoDB's type names (`"int"`, `"string"`,
    /// `"date"`, `"object"`, ...), for error messages and `$jsonSchema`.
    const EXPECTED: &'static str;

    /// Decode a present value.
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError>;

    /// The value of an absent field, or `None` when the field is required.
    fn from_missing() -> Option<Self> {
        None
    }

    /// Decode an array (or, for `u8`, a binary) into a `Vec`.
    #[doc(hidden)]
    fn vec_from_raw(value: RawBsonRef<'_>) -> Result<Vec<Self>, DecodeError> {
        containers::decode_array(value)
    }

    /// Decode a present value from its unparsed element: what the derives
    /// call, so that containers can read their items in place.
    #[doc(hidden)]
    #[inline]
    fn from_element(element: Element<'_>) -> Result<Self, DecodeError> {
        Self::from_raw(element.value()?)
    }

    /// [`FromBson::vec_from_raw`], from the unparsed element.
    #[doc(hidden)]
    fn vec_from_element(element: Element<'_>) -> Result<Vec<Self>, DecodeError> {
        containers::decode_array_element(element)
    }
}

/// The type of a document id (`_id`): storable, readable, cloneable.
///
/// Implemented for `ObjectId` (generated on insert when the model has none),
/// `String`, `i32`, `i64`, `Uuid`. Implement it for your own id type
/// (a newtype around one of these, say) to use that as `_id`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a document id",
    label = "not an id type",
    note = "an id is an `ObjectId`, `String`, `i32`, `i64` or `Uuid` (or an `Option` of one, set on insert), or your own type implementing `odm::value::IdValue`"
)]
pub trait IdValue: IntoBson + FromBson + Clone + Send + Sync + std::fmt::Debug + 'static {
    /// A fresh id for a document inserted without one, if this id type can make
    /// one (`ObjectId` can; a `String` cannot).
    fn generate() -> Option<Self> {
        None
    }
}

impl IdValue for bson::oid::ObjectId {
    fn generate() -> Option<Self> {
        Some(bson::oid::ObjectId::new())
    }
}
impl IdValue for String {}
impl IdValue for i32 {}
impl IdValue for i64 {}
impl IdValue for uuid::Uuid {
    fn generate() -> Option<Self> {
        Some(uuid::Uuid::new_v4())
    }
}

/// Append `value` to `doc` under `key`, prefixing any error with the key.
///
/// The derive's encoders are a sequence of these calls.
pub fn append<T: IntoBson + ?Sized>(
    doc: &mut RawDocumentBuf,
    key: &CStr,
    value: &T,
) -> Result<(), EncodeError> {
    let raw = value.to_raw().map_err(|e| e.at(key.as_str()))?;
    doc.append(key, raw.as_ref());
    Ok(())
}

/// Read the field `key` of `doc` as `T`, prefixing any error with the key.
///
/// A missing field yields `T::from_missing()` or a `Missing` error. The
/// derive's decoders instead read every field in one pass over the
/// document's elements; this is the convenience for one field.
pub fn field<T: FromBson>(doc: &RawDocument, key: &str) -> Result<T, DecodeError> {
    match doc.get(key).map_err(|e| DecodeError::from(e).at(key))? {
        Some(v) => T::from_raw(v).map_err(|e| e.at(key)),
        None => missing(key),
    }
}

/// The value of the absent field `key`: `T::from_missing()` or a `Missing` error.
pub fn missing<T: FromBson>(key: &str) -> Result<T, DecodeError> {
    T::from_missing().ok_or_else(|| DecodeError::missing(T::EXPECTED).at(key))
}

/// Decode a present field value, prefixing any error with its key.
pub fn decode_at<T: FromBson>(key: &str, value: RawBsonRef<'_>) -> Result<T, DecodeError> {
    T::from_raw(value).map_err(|e| e.at(key))
}

/// MongoDB's name for a BSON element type (as `$type` prints it).
pub fn element_type_name(t: ElementType) -> &'static str {
    match t {
        ElementType::Double => "double",
        ElementType::String => "string",
        ElementType::EmbeddedDocument => "object",
        ElementType::Array => "array",
        ElementType::Binary => "binData",
        ElementType::Undefined => "undefined",
        ElementType::ObjectId => "objectId",
        ElementType::Boolean => "bool",
        ElementType::DateTime => "date",
        ElementType::Null => "null",
        ElementType::RegularExpression => "regex",
        ElementType::DbPointer => "dbPointer",
        ElementType::JavaScriptCode => "javascript",
        ElementType::Symbol => "symbol",
        ElementType::JavaScriptCodeWithScope => "javascriptWithScope",
        ElementType::Int32 => "int",
        ElementType::Timestamp => "timestamp",
        ElementType::Int64 => "long",
        ElementType::Decimal128 => "decimal",
        ElementType::MaxKey => "maxKey",
        ElementType::MinKey => "minKey",
    }
}

/// Render a BSON value for a message (relaxed extended JSON).
pub fn display_bson(value: &Bson) -> String {
    value.to_string()
}

/// Render a raw BSON value for a message (relaxed extended JSON).
pub fn display_raw(value: RawBsonRef<'_>) -> String {
    match Bson::try_from(value) {
        Ok(b) => display_bson(&b),
        Err(_) => "<malformed>".to_string(),
    }
}

#[cfg(test)]
mod tests;

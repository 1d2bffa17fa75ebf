//! Numbers, booleans, strings, and BSON's own scalar types.

use bson::oid::ObjectId;
use bson::raw::{RawBinaryRef, RawBson, RawBsonRef};
use bson::spec::{BinarySubtype, ElementType};
use bson::{Binary, Decimal128};

use super::{FromBson, IntoBson, RawValue};
use crate::error::{DecodeError, EncodeError};

macro_rules! borrowed {
    ($v:expr) => {
        Ok(RawValue::Borrowed(RawBsonRef::from($v)))
    };
}

/// `from_element` reading a value of type `$kind` in place, any other type
/// through `from_raw`: inlined into the derive's decoder, the value stays in
/// registers instead of coming back through a `Result` in memory (see
/// `String::from_element`).
macro_rules! fast_element {
    ($kind:ident, $n:literal, |$b:ident| $read:expr) => {
        #[inline]
        fn from_element(element: super::Element<'_>) -> Result<Self, DecodeError> {
            match element
                .fixed_of::<$n>(ElementType::$kind)
                .and_then(|$b| $read)
            {
                Some(v) => Ok(v),
                None => Self::from_raw(element.value()?),
            }
        }
    };
}

/// Read any BSON integer, or a double holding an exact integer, as an `i64`.
/// Documents written by JavaScript shells store every number as a double.
fn integer(value: RawBsonRef<'_>, expected: &'static str) -> Result<i64, DecodeError> {
    match value {
        RawBsonRef::Int32(v) => Ok(v.into()),
        RawBsonRef::Int64(v) => Ok(v),
        RawBsonRef::Double(v) if v.fract() == 0.0 && v >= -(2f64.powi(63)) && v < 2f64.powi(63) => {
            Ok(v as i64)
        }
        RawBsonRef::Double(v) => Err(DecodeError::invalid(format!(
            "{v} is not an integer ({expected})"
        ))),
        other => Err(DecodeError::wrong_type(expected, other.element_type())),
    }
}

macro_rules! small_int {
    ($($t:ty),*) => {$(
        impl IntoBson for $t {
            fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
                borrowed!(i32::from(*self))
            }
        }
        impl FromBson for $t {
            const EXPECTED: &'static str = "int";
            fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
                let v = integer(value, Self::EXPECTED)?;
                <$t>::try_from(v).map_err(|_| {
                    DecodeError::invalid(format!("{v} is out of range for {}", stringify!($t)))
                })
            }
            fast_element!(Int32, 4, |b| <$t>::try_from(i32::from_le_bytes(b)).ok());
        }
    )*};
}
small_int!(i8, i16, i32, u16);

macro_rules! large_int {
    ($($t:ty),*) => {$(
        impl IntoBson for $t {
            fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
                let v = i64::try_from(*self).map_err(|_| {
                    EncodeError::new(format!(
                        "{} does not fit in a BSON int64 (at most {})",
                        self,
                        i64::MAX
                    ))
                })?;
                borrowed!(v)
            }
        }
        impl FromBson for $t {
            const EXPECTED: &'static str = "long";
            fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
                let v = integer(value, Self::EXPECTED)?;
                <$t>::try_from(v).map_err(|_| {
                    DecodeError::invalid(format!("{v} is out of range for {}", stringify!($t)))
                })
            }
            fast_element!(Int64, 8, |b| <$t>::try_from(i64::from_le_bytes(b)).ok());
        }
    )*};
}
large_int!(i64, u32, u64, usize, isize);

/// `u8` is an int32 on its own, but `Vec<u8>` is a binary (subtype 0).
impl IntoBson for u8 {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        borrowed!(i32::from(*self))
    }

    fn slice_to_raw(items: &[Self]) -> Result<RawValue<'_>, EncodeError> {
        Ok(RawValue::Borrowed(RawBsonRef::Binary(RawBinaryRef {
            subtype: BinarySubtype::Generic,
            bytes: items,
        })))
    }
}

impl FromBson for u8 {
    const EXPECTED: &'static str = "int";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        let v = integer(value, Self::EXPECTED)?;
        u8::try_from(v).map_err(|_| DecodeError::invalid(format!("{v} is out of range for u8")))
    }

    fn vec_from_raw(value: RawBsonRef<'_>) -> Result<Vec<Self>, DecodeError> {
        match value {
            RawBsonRef::Binary(b) => Ok(b.bytes.to_vec()),
            other => Err(DecodeError::wrong_type("binData", other.element_type())),
        }
    }

    fn vec_from_element(element: super::Element<'_>) -> Result<Vec<Self>, DecodeError> {
        Self::vec_from_raw(element.value()?)
    }
}

impl IntoBson for f64 {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        borrowed!(*self)
    }
}

impl FromBson for f64 {
    const EXPECTED: &'static str = "double";
    /// Integers widen to `f64` (MongoDB compares numbers across types).
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        match value {
            RawBsonRef::Double(v) => Ok(v),
            RawBsonRef::Int32(v) => Ok(v.into()),
            RawBsonRef::Int64(v) => Ok(v as f64),
            other => Err(DecodeError::wrong_type(
                Self::EXPECTED,
                other.element_type(),
            )),
        }
    }
    fast_element!(Double, 8, |b| Some(f64::from_le_bytes(b)));
}

impl IntoBson for f32 {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        borrowed!(f64::from(*self))
    }
}

impl FromBson for f32 {
    const EXPECTED: &'static str = "double";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        f64::from_raw(value).map(|v| v as f32)
    }
}

impl IntoBson for bool {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        borrowed!(*self)
    }
}

impl FromBson for bool {
    const EXPECTED: &'static str = "bool";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        match value {
            RawBsonRef::Boolean(v) => Ok(v),
            other => Err(DecodeError::wrong_type(
                Self::EXPECTED,
                other.element_type(),
            )),
        }
    }
    fast_element!(Boolean, 1, |b| Some(b == [1]));
}

impl IntoBson for String {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        borrowed!(self.as_str())
    }
}

impl IntoBson for str {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        borrowed!(self)
    }
}

impl FromBson for String {
    const EXPECTED: &'static str = "string";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        match value {
            RawBsonRef::String(v) => Ok(v.to_owned()),
            other => Err(DecodeError::wrong_type(
                Self::EXPECTED,
                other.element_type(),
            )),
        }
    }

    /// Inlined into the derive's decoder: a string field's value stays in
    /// registers instead of coming back through a `Result` in memory.
    #[inline]
    fn from_element(element: super::Element<'_>) -> Result<Self, DecodeError> {
        match element.as_str() {
            Some(s) => Ok(s.to_owned()),
            // Another type, or bytes that are not UTF-8: the general
            // path's error.
            None => Self::from_raw(element.value()?),
        }
    }
}

impl IntoBson for ObjectId {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        borrowed!(*self)
    }
}

impl FromBson for ObjectId {
    const EXPECTED: &'static str = "objectId";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        match value {
            RawBsonRef::ObjectId(v) => Ok(v),
            other => Err(DecodeError::wrong_type(
                Self::EXPECTED,
                other.element_type(),
            )),
        }
    }
    fast_element!(ObjectId, 12, |b| Some(ObjectId::from_bytes(b)));
}

impl IntoBson for bson::DateTime {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        borrowed!(*self)
    }
}

impl FromBson for bson::DateTime {
    const EXPECTED: &'static str = "date";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        match value {
            RawBsonRef::DateTime(v) => Ok(v),
            other => Err(DecodeError::wrong_type(
                Self::EXPECTED,
                other.element_type(),
            )),
        }
    }
}

impl IntoBson for Decimal128 {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        borrowed!(*self)
    }
}

impl FromBson for Decimal128 {
    const EXPECTED: &'static str = "decimal";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        match value {
            RawBsonRef::Decimal128(v) => Ok(v),
            other => Err(DecodeError::wrong_type(
                Self::EXPECTED,
                other.element_type(),
            )),
        }
    }
}

impl IntoBson for Binary {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        Ok(RawValue::Borrowed(RawBsonRef::Binary(self.as_raw_binary())))
    }
}

impl FromBson for Binary {
    const EXPECTED: &'static str = "binData";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        match value {
            RawBsonRef::Binary(b) => Ok(b.to_binary()),
            other => Err(DecodeError::wrong_type(
                Self::EXPECTED,
                other.element_type(),
            )),
        }
    }
}

/// A `Uuid` is a binary of subtype 4, as the drivers' standard representation.
impl IntoBson for uuid::Uuid {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        Ok(RawValue::Borrowed(RawBsonRef::Binary(RawBinaryRef {
            subtype: BinarySubtype::Uuid,
            bytes: self.as_bytes(),
        })))
    }
}

impl FromBson for uuid::Uuid {
    const EXPECTED: &'static str = "binData";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        match value {
            RawBsonRef::Binary(b) if b.subtype == BinarySubtype::Uuid => {
                uuid::Uuid::from_slice(b.bytes).map_err(|e| DecodeError::invalid(e.to_string()))
            }
            RawBsonRef::Binary(b) => Err(DecodeError::invalid(format!(
                "binary of subtype {:?} is not a UUID (subtype 4)",
                b.subtype
            ))),
            other => Err(DecodeError::wrong_type(
                Self::EXPECTED,
                other.element_type(),
            )),
        }
    }
}

/// A raw BSON value of any type: the way to keep a field untyped.
impl IntoBson for bson::Bson {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        RawBson::try_from(self.clone())
            .map(RawValue::Owned)
            .map_err(|e| EncodeError::new(e.to_string()))
    }

    fn to_bson(&self) -> Result<bson::Bson, EncodeError> {
        Ok(self.clone())
    }
}

impl FromBson for bson::Bson {
    const EXPECTED: &'static str = "any";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        bson::Bson::try_from(value).map_err(DecodeError::from)
    }
}

/// An embedded document of any shape.
impl IntoBson for bson::Document {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        bson::RawDocumentBuf::try_from(self)
            .map(|d| RawValue::Owned(RawBson::Document(d)))
            .map_err(|e| EncodeError::new(e.to_string()))
    }

    fn to_bson(&self) -> Result<bson::Bson, EncodeError> {
        Ok(bson::Bson::Document(self.clone()))
    }
}

impl FromBson for bson::Document {
    const EXPECTED: &'static str = "object";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        match value {
            RawBsonRef::Document(d) => bson::Document::try_from(d).map_err(DecodeError::from),
            other => Err(DecodeError::wrong_type(
                Self::EXPECTED,
                other.element_type(),
            )),
        }
    }
}

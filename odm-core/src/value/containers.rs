//! `Option`, `Vec`, maps and `Box`: containers of storable values.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use bson::raw::{CStr, RawArrayBuf, RawBson, RawBsonRef, RawDocumentBuf};
use bson::spec::ElementType;

use super::{Element, FromBson, IntoBson, RawValue};
use crate::error::{DecodeError, EncodeError};

pub(super) fn encode_array<'a, T: IntoBson + 'a>(
    items: impl Iterator<Item = &'a T>,
) -> Result<RawValue<'a>, EncodeError> {
    let mut arr = RawArrayBuf::new();
    for (i, item) in items.enumerate() {
        let raw = item.to_raw().map_err(|e| e.at(i))?;
        arr.push(raw.as_ref());
    }
    Ok(RawValue::Owned(RawBson::Array(arr)))
}

pub(super) fn decode_array<T: FromBson>(value: RawBsonRef<'_>) -> Result<Vec<T>, DecodeError> {
    let arr = match value {
        RawBsonRef::Array(a) => a,
        other => return Err(DecodeError::wrong_type("array", other.element_type())),
    };
    let mut out = Vec::new();
    for (i, item) in arr.into_iter().enumerate() {
        let item = item.map_err(|e| DecodeError::from(e).at(i))?;
        out.push(T::from_raw(item).map_err(|e| e.at(i))?);
    }
    Ok(out)
}

pub(super) fn decode_array_element<T: FromBson>(
    element: Element<'_>,
) -> Result<Vec<T>, DecodeError> {
    let items = match (element.element_type(), element.elements()) {
        (ElementType::Array, Some(items)) => items,
        (found, _) => return Err(DecodeError::wrong_type("array", found)),
    };
    let mut out = Vec::new();
    for (i, item) in items.enumerate() {
        out.push(item.and_then(T::from_element).map_err(|e| e.at(i))?);
    }
    Ok(out)
}

impl<T: IntoBson> IntoBson for Option<T> {
    /// `None` is stored as null.
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        match self {
            Some(v) => v.to_raw(),
            None => Ok(RawValue::Borrowed(RawBsonRef::Null)),
        }
    }
}

impl<T: FromBson> FromBson for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    /// Null reads as `None`.
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        match value {
            RawBsonRef::Null => Ok(None),
            v => T::from_raw(v).map(Some),
        }
    }

    fn from_element(element: Element<'_>) -> Result<Self, DecodeError> {
        match element.element_type() {
            ElementType::Null => Ok(None),
            _ => T::from_element(element).map(Some),
        }
    }

    /// An absent field reads as `None`.
    fn from_missing() -> Option<Self> {
        Some(None)
    }
}

impl<T: IntoBson> IntoBson for Vec<T> {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        T::slice_to_raw(self)
    }
}

impl<T: IntoBson> IntoBson for [T] {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        T::slice_to_raw(self)
    }
}

impl<T: FromBson> FromBson for Vec<T> {
    const EXPECTED: &'static str = "array";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        T::vec_from_raw(value)
    }

    fn from_element(element: Element<'_>) -> Result<Self, DecodeError> {
        T::vec_from_element(element)
    }
}

impl<T: IntoBson + ?Sized> IntoBson for Box<T> {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        (**self).to_raw()
    }
}

impl<T: FromBson> FromBson for Box<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        T::from_raw(value).map(Box::new)
    }

    fn from_element(element: Element<'_>) -> Result<Self, DecodeError> {
        T::from_element(element).map(Box::new)
    }

    fn from_missing() -> Option<Self> {
        T::from_missing().map(Box::new)
    }
}

impl<T: IntoBson + ?Sized> IntoBson for &T {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        (**self).to_raw()
    }
}

fn encode_map<'a, T: IntoBson + 'a>(
    entries: impl Iterator<Item = (&'a String, &'a T)>,
) -> Result<RawValue<'a>, EncodeError> {
    let mut doc = RawDocumentBuf::new();
    for (key, value) in entries {
        let ckey: &CStr = key.as_str().try_into().map_err(|_| {
            EncodeError::new(format!(
                "map key {key:?} contains a NUL byte, which BSON keys cannot hold"
            ))
        })?;
        let raw = value.to_raw().map_err(|e| e.at(key))?;
        doc.append(ckey, raw.as_ref());
    }
    Ok(RawValue::Owned(RawBson::Document(doc)))
}

fn decode_map<T: FromBson, M: Default + Extend<(String, T)>>(
    value: RawBsonRef<'_>,
) -> Result<M, DecodeError> {
    let doc = match value {
        RawBsonRef::Document(d) => d,
        other => return Err(DecodeError::wrong_type("object", other.element_type())),
    };
    let mut out = M::default();
    for entry in doc {
        let (key, value) = entry.map_err(DecodeError::from)?;
        let v = T::from_raw(value).map_err(|e| e.at(key))?;
        out.extend(std::iter::once((key.as_str().to_owned(), v)));
    }
    Ok(out)
}

impl<T: IntoBson, S> IntoBson for HashMap<String, T, S> {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        encode_map(self.iter())
    }
}

impl<T: FromBson, S: BuildHasher + Default> FromBson for HashMap<String, T, S> {
    const EXPECTED: &'static str = "object";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        decode_map(value)
    }
}

impl<T: IntoBson> IntoBson for BTreeMap<String, T> {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        encode_map(self.iter())
    }
}

impl<T: FromBson> FromBson for BTreeMap<String, T> {
    const EXPECTED: &'static str = "object";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        decode_map(value)
    }
}

//! [`ValueOf<T>`]: which Rust values an operator on a field of type `T` takes.

use bson::Bson;

use crate::error::EncodeError;
use crate::value::IntoBson;

/// A value that may stand for a field of type `T` in a filter or an update.
///
/// Implemented for `T` itself and `&T`, for `&str` where `T` is `String`, for
/// the inner value of an `Option<T>` field (`f.nickname.eq("al")`; `None` is
/// `null`), and for arrays and slices of element values where `T` is a
/// `Vec<_>`. Nothing else: an `i64` is not a value of an `i32` field, and a
/// `Ref<Post>` is not a value of a `Ref<User>` field. Values are encoded by the
/// same [`IntoBson`] as stored documents, so a `NaiveDate` is a BSON date in
/// both.
#[diagnostic::on_unimplemented(
    message = "expected a value of type `{T}`, found `{Self}`",
    label = "not a `{T}`",
    note = "an operator takes a value of the field's Rust type (of the element type, for array operators): `T`, `&T`, `&str` for `String`, the inner value for `Option<T>`"
)]
pub trait ValueOf<T: ?Sized> {
    /// Encode the value as the field would store it.
    fn to_value(&self) -> Result<Bson, EncodeError>;
}

impl<T: IntoBson> ValueOf<T> for T {
    fn to_value(&self) -> Result<Bson, EncodeError> {
        self.to_bson()
    }
}

impl<T: IntoBson> ValueOf<T> for &T {
    fn to_value(&self) -> Result<Bson, EncodeError> {
        (**self).to_bson()
    }
}

impl ValueOf<String> for &str {
    fn to_value(&self) -> Result<Bson, EncodeError> {
        Ok(Bson::String((*self).to_owned()))
    }
}

impl<T: IntoBson> ValueOf<Option<T>> for T {
    fn to_value(&self) -> Result<Bson, EncodeError> {
        self.to_bson()
    }
}

impl<T: IntoBson> ValueOf<Option<T>> for &T {
    fn to_value(&self) -> Result<Bson, EncodeError> {
        (**self).to_bson()
    }
}

impl ValueOf<Option<String>> for &str {
    fn to_value(&self) -> Result<Bson, EncodeError> {
        Ok(Bson::String((*self).to_owned()))
    }
}

impl<T, V: ValueOf<T>, const N: usize> ValueOf<Vec<T>> for [V; N] {
    fn to_value(&self) -> Result<Bson, EncodeError> {
        encode_all(self.iter())
    }
}

impl<T, V: ValueOf<T>> ValueOf<Vec<T>> for &[V] {
    fn to_value(&self) -> Result<Bson, EncodeError> {
        encode_all(self.iter())
    }
}

/// Encode every value as an array, prefixing an error with its index.
pub(crate) fn encode_all<'a, T, V>(
    values: impl IntoIterator<Item = &'a V>,
) -> Result<Bson, EncodeError>
where
    V: ValueOf<T> + 'a,
    T: ?Sized,
{
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| v.to_value().map_err(|e| e.at(i)))
        .collect::<Result<Vec<_>, _>>()
        .map(Bson::Array)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc<T, V: ValueOf<T>>(v: V) -> Bson {
        v.to_value().unwrap()
    }

    #[test]
    fn plain_borrowed_and_str_values() {
        assert_eq!(enc::<i32, _>(5), Bson::Int32(5));
        assert_eq!(enc::<i64, _>(5), Bson::Int64(5));
        assert_eq!(enc::<String, _>("a"), Bson::String("a".into()));
        assert_eq!(enc::<String, _>(&"b".to_string()), Bson::String("b".into()));
    }

    #[test]
    fn option_fields_take_the_inner_value_or_none() {
        assert_eq!(enc::<Option<String>, _>("a"), Bson::String("a".into()));
        assert_eq!(enc::<Option<i32>, _>(None::<i32>), Bson::Null);
        assert_eq!(enc::<Option<i32>, _>(3), Bson::Int32(3));
    }

    #[test]
    fn array_values_encode_each_element() {
        assert_eq!(
            enc::<Vec<String>, _>(["a", "b"]),
            Bson::Array(vec!["a".into(), "b".into()])
        );
        let date = chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap();
        assert!(matches!(
            enc::<chrono::NaiveDate, _>(date),
            Bson::DateTime(_)
        ));
    }

    #[test]
    fn encode_errors_carry_the_index() {
        let err = ValueOf::<Vec<u64>>::to_value(&[1u64, u64::MAX]).unwrap_err();
        assert_eq!(err.path, "1");
    }
}

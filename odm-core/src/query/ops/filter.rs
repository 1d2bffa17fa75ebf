//! Query operators on typed paths: comparisons, membership, existence, type,
//! `$mod`, `$regex`, and the array operators `$size`, `$all`, `$elemMatch`.

use bson::{Bson, Document};

use super::element::element_condition;
use crate::error::EncodeError;
use crate::field::{Field, PathType};
use crate::query::filter::eq_condition;
use crate::query::marker::{ArrayLike, Comparable, Nullable, Numeric, Textual};
use crate::query::value::ValueOf;
use crate::query::{BsonType, Filter};

fn op(name: &str, value: Bson) -> Bson {
    let mut d = Document::new();
    d.insert(name, value);
    Bson::Document(d)
}

fn values<T, V: ValueOf<T>>(values: impl IntoIterator<Item = V>) -> Result<Bson, EncodeError> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| v.to_value().map_err(|e| e.at(i)))
        .collect::<Result<Vec<_>, _>>()
        .map(Bson::Array)
}

/// Comparisons and membership, for every field type.
///
/// ```
/// use odm_core::bson::doc;
/// use odm_core::query::BsonType;
/// use odm_core::{Field, Path};
///
/// let age: Field<(), i32> = Field::new(Path::from_static("age"));
/// let name: Field<(), String> = Field::new(Path::from_static("name"));
/// let nickname: Field<(), Option<String>> = Field::new(Path::from_static("nickname"));
///
/// let adult_named_al = age.gte(18) & age.lt(65) & name.regex("^al", "i");
/// assert_eq!(
///     adult_named_al.into_document(),
///     doc! {"age": {"$gte": 18, "$lt": 65}, "name": {"$regex": "^al", "$options": "i"}}
/// );
/// assert_eq!((name.eq("al") | age.in_([1, 2])).into_document(),
///            doc! {"$or": [{"name": "al"}, {"age": {"$in": [1, 2]}}]});
/// assert_eq!((!nickname.exists(false)).into_document(),
///            doc! {"nickname": {"$not": {"$exists": false}}});
/// assert_eq!(nickname.type_is(BsonType::String).into_document(),
///            doc! {"nickname": {"$type": "string"}});
/// assert_eq!(age.modulo(4, 0).into_document(), doc! {"age": {"$mod": [4_i64, 0_i64]}});
/// ```
impl<M, T> Field<M, T> {
    /// Equal to `value` (`{path: value}`; an embedded document or a regex
    /// value is compared with `$eq`). On an `Option<T>` field, `None` matches
    /// null and missing.
    pub fn eq<V: ValueOf<T>>(&self, value: V) -> Filter<M> {
        Filter::field(self.path(), value.to_value().map(eq_condition))
    }

    /// Not equal to `value` (`$ne`; also matches documents without the field).
    pub fn ne<V: ValueOf<T>>(&self, value: V) -> Filter<M> {
        Filter::field(self.path(), value.to_value().map(|v| op("$ne", v)))
    }

    /// Equal to one of `values` (`$in`). On an array field the values are
    /// whole arrays; see `contains_any` for elements.
    pub fn in_<V: ValueOf<T>>(&self, values: impl IntoIterator<Item = V>) -> Filter<M> {
        Filter::field(self.path(), self::values(values).map(|v| op("$in", v)))
    }

    /// Equal to none of `values` (`$nin`).
    pub fn nin<V: ValueOf<T>>(&self, values: impl IntoIterator<Item = V>) -> Filter<M> {
        Filter::field(self.path(), self::values(values).map(|v| op("$nin", v)))
    }

    /// Of BSON type `ty` (`$type`): for data that drifted from the model.
    pub fn type_is(&self, ty: BsonType) -> Filter<M> {
        Filter::field(
            self.path(),
            Ok(op("$type", Bson::String(ty.alias().into()))),
        )
    }

    /// Greater than `value` (`$gt`).
    pub fn gt<V: ValueOf<T>>(&self, value: V) -> Filter<M>
    where
        T: Comparable,
    {
        Filter::field(self.path(), value.to_value().map(|v| op("$gt", v)))
    }

    /// Greater than or equal to `value` (`$gte`).
    pub fn gte<V: ValueOf<T>>(&self, value: V) -> Filter<M>
    where
        T: Comparable,
    {
        Filter::field(self.path(), value.to_value().map(|v| op("$gte", v)))
    }

    /// Less than `value` (`$lt`).
    pub fn lt<V: ValueOf<T>>(&self, value: V) -> Filter<M>
    where
        T: Comparable,
    {
        Filter::field(self.path(), value.to_value().map(|v| op("$lt", v)))
    }

    /// Less than or equal to `value` (`$lte`).
    pub fn lte<V: ValueOf<T>>(&self, value: V) -> Filter<M>
    where
        T: Comparable,
    {
        Filter::field(self.path(), value.to_value().map(|v| op("$lte", v)))
    }

    /// Present (`exists(true)`) or absent (`exists(false)`): `$exists`. Only
    /// on `Option<_>` fields; a null value exists.
    pub fn exists(&self, present: bool) -> Filter<M>
    where
        T: Nullable,
    {
        Filter::field(self.path(), Ok(op("$exists", Bson::Boolean(present))))
    }

    /// `None`: null or absent (`{path: null}`). The derive stores `None` as
    /// null, so this is the test for an unset `Option`, where
    /// `exists(false)` only matches documents the field was removed from.
    pub fn is_none(&self) -> Filter<M>
    where
        T: Nullable,
    {
        Filter::field(self.path(), Ok(Bson::Null))
    }

    /// `Some(_)`: present and not null (`{path: {$ne: null}}`).
    pub fn is_some(&self) -> Filter<M>
    where
        T: Nullable,
    {
        Filter::field(self.path(), Ok(op("$ne", Bson::Null)))
    }

    /// `value % divisor == remainder` (`$mod`; MongoDB truncates fractional
    /// values towards zero).
    pub fn modulo(&self, divisor: i64, remainder: i64) -> Filter<M>
    where
        T: Numeric,
    {
        let args = Bson::Array(vec![Bson::Int64(divisor), Bson::Int64(remainder)]);
        Filter::field(self.path(), Ok(op("$mod", args)))
    }

    /// Matches the regular expression `pattern` with `options` (`i`, `m`,
    /// `s`, `x`; empty for none): `$regex`.
    pub fn regex(&self, pattern: &str, options: &str) -> Filter<M>
    where
        T: Textual,
    {
        let mut d = Document::new();
        d.insert("$regex", pattern);
        if !options.is_empty() {
            d.insert("$options", options);
        }
        Filter::field(self.path(), Ok(Bson::Document(d)))
    }
}

/// Array operators.
///
/// ```
/// use odm_core::bson::doc;
/// use odm_core::{Field, Path};
///
/// let tags: Field<(), Vec<String>> = Field::new(Path::from_static("tags"));
/// let scores: Field<(), Vec<i32>> = Field::new(Path::from_static("scores"));
///
/// let f = tags.contains("vip") & scores.all([1, 2]) & tags.size(3);
/// assert_eq!(
///     f.into_document(),
///     doc! {"$and": [{"tags": "vip", "scores": {"$all": [1, 2]}}, {"tags": {"$size": 3}}]}
/// );
/// assert_eq!(
///     scores.elem_match(|s| s.gte(80) & s.lt(85)).into_document(),
///     doc! {"scores": {"$elemMatch": {"$gte": 80, "$lt": 85}}}
/// );
/// ```
impl<M, T> Field<M, T> {
    /// Has an element equal to `value` (`{path: value}`).
    pub fn contains<V: ValueOf<T::Elem>>(&self, value: V) -> Filter<M>
    where
        T: ArrayLike,
    {
        Filter::field(self.path(), value.to_value().map(eq_condition))
    }

    /// Has an element equal to one of `values` (`$in` with element values).
    pub fn contains_any<V: ValueOf<T::Elem>>(
        &self,
        values: impl IntoIterator<Item = V>,
    ) -> Filter<M>
    where
        T: ArrayLike,
    {
        Filter::field(self.path(), self::values(values).map(|v| op("$in", v)))
    }

    /// Has no element equal to any of `values` (`$nin` with element values;
    /// also matches documents without the field).
    pub fn contains_none<V: ValueOf<T::Elem>>(
        &self,
        values: impl IntoIterator<Item = V>,
    ) -> Filter<M>
    where
        T: ArrayLike,
    {
        Filter::field(self.path(), self::values(values).map(|v| op("$nin", v)))
    }

    /// Has an element equal to each of `values` (`$all`).
    pub fn all<V: ValueOf<T::Elem>>(&self, values: impl IntoIterator<Item = V>) -> Filter<M>
    where
        T: ArrayLike,
    {
        Filter::field(self.path(), self::values(values).map(|v| op("$all", v)))
    }

    /// Has exactly `len` elements (`$size`).
    pub fn size(&self, len: u32) -> Filter<M>
    where
        T: ArrayLike,
    {
        let len = i32::try_from(len).map_or(Bson::Int64(len.into()), Bson::Int32);
        Filter::field(self.path(), Ok(op("$size", len)))
    }

    /// Has an element matching `condition`, written over the element's own
    /// typed paths (`$elemMatch`): `|i| i.qty.gt(5) & i.sku.eq("x")` for
    /// embedded documents, `|s| s.gte(80) & s.lt(85)` for scalars.
    pub fn elem_match<F>(&self, condition: F) -> Filter<M>
    where
        T: ArrayLike,
        T::Elem: PathType + 'static,
        F: FnOnce(&<T::Elem as PathType>::Path<T::Elem, T::Elem>) -> Filter<T::Elem>,
    {
        let cond =
            element_condition::<T::Elem, F>(condition).map(|c| op("$elemMatch", Bson::Document(c)));
        Filter::field(self.path(), cond)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Path;
    use bson::doc;

    fn field<T>(path: &'static str) -> Field<(), T> {
        Field::new(Path::from_static(path))
    }

    #[test]
    fn comparisons_encode_through_the_value_layer() {
        let born = field::<chrono::NaiveDate>("born");
        let date = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let got = born.gte(date).into_document();
        assert_eq!(
            got,
            doc! {"born": {"$gte": bson::DateTime::from_millis(946_684_800_000)}}
        );
    }

    #[test]
    fn eq_uses_eq_operator_for_documents() {
        let meta = field::<bson::Document>("meta");
        assert_eq!(
            meta.eq(doc! {"$x": 1}).into_document(),
            doc! {"meta": {"$eq": {"$x": 1}}}
        );
    }

    #[test]
    fn option_fields_match_null_with_none() {
        let nick = field::<Option<String>>("nickname");
        assert_eq!(nick.eq(None).into_document(), doc! {"nickname": null});
        assert_eq!(
            nick.ne("x").into_document(),
            doc! {"nickname": {"$ne": "x"}}
        );
    }

    #[test]
    fn unencodable_values_are_reported_not_panicked() {
        let n = field::<u64>("n");
        let f = n.gt(u64::MAX) & n.lt(3);
        let err = f.check().unwrap_err();
        assert_eq!(err.path, "n");
        assert!(n.in_([1, u64::MAX]).check().unwrap_err().path == "n.1");
    }

    #[test]
    fn none_and_some() {
        let nick = field::<Option<String>>("nickname");
        assert_eq!(nick.is_none().into_document(), doc! {"nickname": null});
        assert_eq!(
            nick.is_some().into_document(),
            doc! {"nickname": {"$ne": null}}
        );
        assert_eq!((!nick.is_some()).into_document(), doc! {"nickname": null});
    }

    #[test]
    fn size_and_all() {
        let tags = field::<Vec<String>>("tags");
        assert_eq!(tags.size(2).into_document(), doc! {"tags": {"$size": 2}});
        assert_eq!(
            tags.all(["a", "b"]).into_document(),
            doc! {"tags": {"$all": ["a", "b"]}}
        );
        assert_eq!(
            tags.contains_none(["a"]).into_document(),
            doc! {"tags": {"$nin": ["a"]}}
        );
        assert_eq!(
            tags.contains_any(["a"]).into_document(),
            doc! {"tags": {"$in": ["a"]}}
        );
        // On the whole array, `$in` takes whole arrays.
        assert_eq!(
            tags.in_([["a", "b"]]).into_document(),
            doc! {"tags": {"$in": [["a", "b"]]}}
        );
    }

    #[test]
    fn elem_match_errors_propagate() {
        let big = field::<Vec<u64>>("big");
        let f = big.elem_match(|e| e.gt(u64::MAX));
        assert!(f.check().is_err());
    }
}

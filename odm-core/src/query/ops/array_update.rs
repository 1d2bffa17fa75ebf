//! Array updates on typed paths (`$push` with its modifiers, `$addToSet`,
//! `$pull`, `$pullAll`, `$pop`), positional paths (`$`, `$[]`, `$[<id>]`,
//! an index) and array filters.

use std::marker::PhantomData;

use bson::{Bson, Document};

use super::element::{element_condition, element_paths_at};
use crate::error::EncodeError;
use crate::field::{Field, Path, PathType};
use crate::query::marker::{ArrayLike, MapLike};
use crate::query::update::{ArrayFilter, IntoUpdate};
use crate::query::value::ValueOf;
use crate::query::{Filter, Sort, Update};

fn each<T, V: ValueOf<T>>(values: impl IntoIterator<Item = V>) -> Result<Bson, EncodeError> {
    let values = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| v.to_value().map_err(|e| e.at(i)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut d = Document::new();
    d.insert("$each", values);
    Ok(Bson::Document(d))
}

/// Array updates and positional paths.
///
/// ```
/// use odm_core::bson::doc;
/// use odm_core::{Field, Path};
///
/// let tags: Field<(), Vec<String>> = Field::new(Path::from_static("tags"));
/// let scores: Field<(), Vec<i32>> = Field::new(Path::from_static("scores"));
///
/// let up = tags.add_to_set("vip")
///     & scores.push_each([7, 9]).sort_desc().slice(-10)
///     & scores.each().inc(1);
/// assert_eq!(
///     up.into_document(),
///     doc! {
///         "$addToSet": {"tags": "vip"},
///         "$push": {"scores": {"$each": [7, 9], "$sort": -1, "$slice": -10}},
///         "$inc": {"scores.$[]": 1},
///     }
/// );
/// assert_eq!(
///     scores.pull_matching(|s| s.lt(5)).into_document(),
///     doc! {"$pull": {"scores": {"$lt": 5}}}
/// );
/// let low = scores.filtered("low").set(0) & scores.array_filter("low", |s| s.lt(5));
/// assert_eq!(low.as_document(), &doc! {"$set": {"scores.$[low]": 0}});
/// assert_eq!(low.array_filters(), &[doc! {"low": {"$lt": 5}}]);
/// ```
impl<M: 'static, T> Field<M, T> {
    /// Append `value` (`$push`).
    pub fn push<V: ValueOf<T::Elem>>(&self, value: V) -> Update<M>
    where
        T: ArrayLike,
    {
        Update::op("$push", self.path(), value.to_value())
    }

    /// Append every one of `values` (`$push` with `$each`); chain
    /// [`position`](PushEach::position), [`sort_by`](PushEach::sort_by) and
    /// [`slice`](PushEach::slice) to add the modifiers.
    pub fn push_each<V: ValueOf<T::Elem>>(
        &self,
        values: impl IntoIterator<Item = V>,
    ) -> PushEach<M, T::Elem>
    where
        T: ArrayLike,
    {
        PushEach {
            update: Update::op("$push", self.path(), each(values)),
            path: self.path().to_owned(),
            _elem: PhantomData,
        }
    }

    /// Append `value` unless an equal element is there (`$addToSet`).
    pub fn add_to_set<V: ValueOf<T::Elem>>(&self, value: V) -> Update<M>
    where
        T: ArrayLike,
    {
        Update::op("$addToSet", self.path(), value.to_value())
    }

    /// Append each of `values` that is not there yet (`$addToSet` with `$each`).
    pub fn add_to_set_each<V: ValueOf<T::Elem>>(
        &self,
        values: impl IntoIterator<Item = V>,
    ) -> Update<M>
    where
        T: ArrayLike,
    {
        Update::op("$addToSet", self.path(), each(values))
    }

    /// Remove every element equal to `value` (`$pull`). An embedded document
    /// value removes the elements that have all of its fields and values.
    pub fn pull<V: ValueOf<T::Elem>>(&self, value: V) -> Update<M>
    where
        T: ArrayLike,
    {
        Update::op("$pull", self.path(), value.to_value())
    }

    /// Remove every element equal to one of `values` (`$pullAll`).
    pub fn pull_all<V: ValueOf<T::Elem>>(&self, values: impl IntoIterator<Item = V>) -> Update<M>
    where
        T: ArrayLike,
    {
        let values = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.to_value().map_err(|e| e.at(i)))
            .collect::<Result<Vec<_>, _>>()
            .map(Bson::Array);
        Update::op("$pullAll", self.path(), values)
    }

    /// Remove every element matching `condition`, written over the element's
    /// typed paths (`$pull` with a condition).
    pub fn pull_matching<F>(&self, condition: F) -> Update<M>
    where
        T: ArrayLike,
        T::Elem: PathType + 'static,
        F: FnOnce(&<T::Elem as PathType>::Path<T::Elem, T::Elem>) -> Filter<T::Elem>,
    {
        let cond = element_condition::<T::Elem, F>(condition).map(Bson::Document);
        Update::op("$pull", self.path(), cond)
    }

    /// Remove the first element (`$pop: -1`).
    pub fn pop_first(&self) -> Update<M>
    where
        T: ArrayLike,
    {
        Update::op("$pop", self.path(), Ok(Bson::Int32(-1)))
    }

    /// Remove the last element (`$pop: 1`).
    pub fn pop_last(&self) -> Update<M>
    where
        T: ArrayLike,
    {
        Update::op("$pop", self.path(), Ok(Bson::Int32(1)))
    }

    /// The first element the query matched (`items.$`).
    pub fn matched(&self) -> <T::Elem as PathType>::Path<M, T::Elem>
    where
        T: ArrayLike,
        T::Elem: PathType + 'static,
    {
        <T::Elem as PathType>::path_at(self.as_path().join("$"))
    }

    /// Every element (`items.$[]`).
    pub fn each(&self) -> <T::Elem as PathType>::Path<M, T::Elem>
    where
        T: ArrayLike,
        T::Elem: PathType + 'static,
    {
        <T::Elem as PathType>::path_at(self.as_path().join("$[]"))
    }

    /// The elements the array filter `identifier` selects (`items.$[big]`);
    /// attach the filter made by [`array_filter`](Self::array_filter).
    pub fn filtered(&self, identifier: &str) -> <T::Elem as PathType>::Path<M, T::Elem>
    where
        T: ArrayLike,
        T::Elem: PathType + 'static,
    {
        <T::Elem as PathType>::path_at(self.as_path().join(&format!("$[{identifier}]")))
    }

    /// The element at `index` (`items.3`).
    pub fn at(&self, index: usize) -> <T::Elem as PathType>::Path<M, T::Elem>
    where
        T: ArrayLike,
        T::Elem: PathType + 'static,
    {
        <T::Elem as PathType>::path_at(self.as_path().join(&index.to_string()))
    }

    /// The array filter selecting, for `$[identifier]`, the elements that match
    /// `condition` (written over the element's typed paths).
    pub fn array_filter<F>(&self, identifier: &str, condition: F) -> ArrayFilter<M>
    where
        T: ArrayLike,
        T::Elem: PathType + 'static,
        F: FnOnce(&<T::Elem as PathType>::Path<T::Elem, T::Elem>) -> Filter<T::Elem>,
    {
        let paths = element_paths_at::<T::Elem>(Path::root().join(identifier));
        let (doc, error) = condition(&paths).into_parts();
        ArrayFilter::new(identifier, doc, error)
    }
}

/// Map entries.
impl<M: 'static, T> Field<M, T> {
    /// The entry `key` of a map field (`meta.color`), typed by the map's value
    /// type. `key` is used as a path segment as it is: a key holding `.` would
    /// address a nested path, and MongoDB cannot address such keys by path.
    pub fn key(&self, key: &str) -> <T::Value as PathType>::Path<M, T::Value>
    where
        T: MapLike,
        T::Value: PathType + 'static,
    {
        <T::Value as PathType>::path_at(self.as_path().join(key))
    }
}

/// A `$push` of several values, with its optional modifiers. Converts into an
/// [`Update`] (with `&`, `.into()` or [`IntoUpdate::into_update`]).
pub struct PushEach<M, E> {
    update: Update<M>,
    path: String,
    _elem: PhantomData<fn() -> E>,
}

impl<M, E> PushEach<M, E> {
    fn modifier(mut self, name: &str, value: Bson) -> Self {
        let push = self.update.doc_mut().get_mut("$push");
        if let Some(Bson::Document(fields)) = push {
            if let Some(Bson::Document(spec)) = fields.get_mut(&self.path) {
                spec.insert(name, value);
            }
        }
        self
    }

    /// Insert at `index` instead of appending (`$position`; negative counts
    /// from the end).
    #[must_use]
    pub fn position(self, index: i32) -> Self {
        self.modifier("$position", Bson::Int32(index))
    }

    /// Keep only the first `n` elements after the push, or the last `-n` when
    /// negative (`$slice`).
    #[must_use]
    pub fn slice(self, n: i32) -> Self {
        self.modifier("$slice", Bson::Int32(n))
    }

    /// Sort the whole array after the push by `sort`, written over the
    /// element's typed paths (`|i| i.qty.desc()`, or `|s| s.asc()` for
    /// scalars): `$sort`.
    #[must_use]
    pub fn sort_by<F>(self, sort: F) -> Self
    where
        E: PathType + 'static,
        F: FnOnce(&E::Path<E, E>) -> Sort<E>,
    {
        let mut spec = sort(&element_paths_at::<E>(Path::root())).into_document();
        // A scalar element sorts by itself: `$sort: 1`, not `$sort: {"": 1}`.
        let value = match spec.remove("") {
            Some(direction) if spec.is_empty() => direction,
            Some(direction) => {
                spec.insert("", direction);
                Bson::Document(spec)
            }
            None => Bson::Document(spec),
        };
        self.modifier("$sort", value)
    }

    /// Sort scalar elements in ascending order after the push (`$sort: 1`).
    #[must_use]
    pub fn sort_asc(self) -> Self {
        self.modifier("$sort", Bson::Int32(1))
    }

    /// Sort scalar elements in descending order after the push (`$sort: -1`).
    #[must_use]
    pub fn sort_desc(self) -> Self {
        self.modifier("$sort", Bson::Int32(-1))
    }

    /// The update.
    pub fn into_update(self) -> Update<M> {
        self.update
    }
}

impl<M, E> From<PushEach<M, E>> for Update<M> {
    fn from(push: PushEach<M, E>) -> Self {
        push.update
    }
}

impl<M, E> IntoUpdate<M> for PushEach<M, E> {
    fn into_update(self) -> Update<M> {
        self.update
    }
}

impl<M, E, R: IntoUpdate<M>> std::ops::BitAnd<R> for PushEach<M, E> {
    type Output = Update<M>;
    fn bitand(self, rhs: R) -> Update<M> {
        self.update.and(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn field<T>(path: &'static str) -> Field<(), T> {
        Field::new(Path::from_static(path))
    }

    #[test]
    fn push_each_with_every_modifier() {
        let docs = field::<Vec<bson::Document>>("log");
        let up: Update<()> = docs
            .push_each([doc! {"n": 1}])
            .position(0)
            .sort_by(|_| Sort::raw(doc! {"n": -1}))
            .slice(5)
            .into();
        assert_eq!(
            up.into_document(),
            doc! {"$push": {"log": {"$each": [{"n": 1}], "$position": 0, "$sort": {"n": -1}, "$slice": 5}}}
        );
    }

    #[test]
    fn scalar_sort_by_unwraps_the_root_key() {
        let s = field::<Vec<i32>>("s");
        let up = s.push_each([1]).sort_by(|e| e.desc()).into_update();
        assert_eq!(
            up.into_document(),
            doc! {"$push": {"s": {"$each": [1], "$sort": -1}}}
        );
    }

    #[test]
    fn pops_pulls_and_positions() {
        let s = field::<Vec<i64>>("s");
        let up = s.pop_first() & s.pull_all([1, 2]) & s.matched().inc(2) & s.at(3).set(0);
        assert_eq!(
            up.into_document(),
            doc! {"$pop": {"s": -1}, "$pullAll": {"s": [1_i64, 2_i64]}, "$inc": {"s.$": 2_i64}, "$set": {"s.3": 0_i64}}
        );
        assert_eq!(s.pop_last().into_document(), doc! {"$pop": {"s": 1}});
        assert_eq!(s.pull(4).into_document(), doc! {"$pull": {"s": 4_i64}});
    }

    #[test]
    fn map_entries_are_typed_by_the_value() {
        let meta = field::<std::collections::HashMap<String, i64>>("meta");
        let up = meta.key("hits").inc(1);
        assert_eq!(up.into_document(), doc! {"$inc": {"meta.hits": 1_i64}});
        let opt = field::<Option<std::collections::BTreeMap<String, String>>>("m");
        assert_eq!(opt.key("k").eq("v").into_document(), doc! {"m.k": "v"});
    }

    #[test]
    fn push_each_encode_errors_survive_modifiers() {
        let s = field::<Vec<u64>>("s");
        let up = s.push_each([u64::MAX]).slice(3).into_update();
        assert_eq!(up.check().unwrap_err().path, "s.0");
    }
}

//! Update operators on typed paths: `$set`, `$unset`, `$setOnInsert`,
//! `$inc`, `$mul`, `$min`, `$max`, `$rename`, `$currentDate`.

use bson::Bson;

use crate::field::Field;
use crate::query::marker::{Comparable, DateLike, Nullable, Numeric};
use crate::query::value::ValueOf;
use crate::query::Update;

/// Field updates.
///
/// ```
/// use odm_core::bson::doc;
/// use odm_core::{Field, Path};
///
/// let age: Field<(), i32> = Field::new(Path::from_static("age"));
/// let name: Field<(), String> = Field::new(Path::from_static("name"));
/// let nickname: Field<(), Option<String>> = Field::new(Path::from_static("nickname"));
///
/// let up = age.inc(1) & name.set("Al") & nickname.unset() & age.max(18);
/// assert_eq!(
///     up.into_document(),
///     doc! {"$inc": {"age": 1}, "$set": {"name": "Al"}, "$unset": {"nickname": ""}, "$max": {"age": 18}}
/// );
/// ```
impl<M, T> Field<M, T> {
    /// Set the field to `value` (`$set`).
    pub fn set<V: ValueOf<T>>(&self, value: V) -> Update<M> {
        Update::op("$set", self.path(), value.to_value())
    }

    /// Set the field to `value` only when an upsert inserts the document
    /// (`$setOnInsert`).
    pub fn set_on_insert<V: ValueOf<T>>(&self, value: V) -> Update<M> {
        Update::op("$setOnInsert", self.path(), value.to_value())
    }

    /// Remove the field (`$unset`). Only on `Option<_>` fields, which read
    /// back as `None`.
    pub fn unset(&self) -> Update<M>
    where
        T: Nullable,
    {
        Update::op("$unset", self.path(), Ok(Bson::String(String::new())))
    }

    /// Add `amount` (`$inc`; a missing field is set to `amount`).
    pub fn inc<V: ValueOf<T>>(&self, amount: V) -> Update<M>
    where
        T: Numeric,
    {
        Update::op("$inc", self.path(), amount.to_value())
    }

    /// Multiply by `factor` (`$mul`; a missing field is set to zero).
    pub fn mul<V: ValueOf<T>>(&self, factor: V) -> Update<M>
    where
        T: Numeric,
    {
        Update::op("$mul", self.path(), factor.to_value())
    }

    /// Lower the field to `value` if `value` is smaller (`$min`).
    pub fn min<V: ValueOf<T>>(&self, value: V) -> Update<M>
    where
        T: Comparable,
    {
        Update::op("$min", self.path(), value.to_value())
    }

    /// Raise the field to `value` if `value` is larger (`$max`).
    pub fn max<V: ValueOf<T>>(&self, value: V) -> Update<M>
    where
        T: Comparable,
    {
        Update::op("$max", self.path(), value.to_value())
    }

    /// Move the value to the field `to`, of the same type (`$rename`). To
    /// rename a field the model no longer has, use `Update::raw`.
    pub fn rename(&self, to: &Field<M, T>) -> Update<M> {
        Update::op(
            "$rename",
            self.path(),
            Ok(Bson::String(to.path().to_owned())),
        )
    }

    /// Set the field to the server's current date (`$currentDate`).
    pub fn current_date(&self) -> Update<M>
    where
        T: DateLike,
    {
        Update::op("$currentDate", self.path(), Ok(Bson::Boolean(true)))
    }
}

#[cfg(test)]
mod tests {
    use crate::field::{Field, Path};
    use bson::doc;

    fn field<T>(path: &'static str) -> Field<(), T> {
        Field::new(Path::from_static(path))
    }

    #[test]
    fn each_operator_names_its_path() {
        let score = field::<f64>("score");
        let seen = field::<bson::DateTime>("seen");
        let old = field::<f64>("old");
        let up = score.mul(2.0)
            & score.min(1.5)
            & seen.current_date()
            & old.rename(&score)
            & field::<i64>("n").set_on_insert(7);
        assert_eq!(
            up.into_document(),
            doc! {
                "$mul": {"score": 2.0}, "$min": {"score": 1.5},
                "$currentDate": {"seen": true}, "$rename": {"old": "score"},
                "$setOnInsert": {"n": 7_i64},
            }
        );
    }

    #[test]
    fn option_fields_take_inner_values() {
        let n = field::<Option<i32>>("n");
        assert_eq!((n.inc(2)).into_document(), doc! {"$inc": {"n": 2}});
        assert_eq!((n.set(None)).into_document(), doc! {"$set": {"n": null}});
    }

    #[test]
    fn encode_errors_are_kept_with_their_path() {
        let up = field::<u64>("big").set(u64::MAX) & field::<i32>("a").inc(1);
        assert_eq!(up.check().unwrap_err().path, "big");
        assert_eq!(up.as_document(), &doc! {"$inc": {"a": 1}});
    }
}

//! Marker traits that gate the typed operators by the field's Rust type, so a
//! misuse (`$inc` on a string, `$regex` on a number, `$size` on a scalar) is a
//! compile error that reads like advice.
//!
//! `Option<T>` and `Box<T>` are transparent: they have the markers of `T`
//! (an `Option<i32>` field can be incremented), and every `Option<T>` is
//! [`Nullable`].

use bson::oid::ObjectId;
use bson::Decimal128;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

/// A field type with a meaningful order: `$gt`, `$gte`, `$lt`, `$lte`,
/// `$min`, `$max`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no meaningful order: `$gt`/`$gte`/`$lt`/`$lte`/`$min`/`$max` are not available",
    label = "ordering operators need a number, a string, a date or an ObjectId",
    note = "compare with `eq`/`ne`/`in_` instead, or use `Filter::raw` if you really mean BSON's cross-type order"
)]
pub trait Comparable {}

/// A numeric field type: `$inc`, `$mul`, `$mod`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not numeric: `$inc`/`$mul`/`$mod` need a number",
    label = "arithmetic operators need an integer, a float or a Decimal128 field",
    note = "use `set` to replace the value instead"
)]
pub trait Numeric {}

/// A string field type: `$regex`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a string: `$regex` needs a `String` field",
    label = "regular expressions match strings only",
    note = "compare with `eq`/`in_` for non-string fields"
)]
pub trait Textual {}

/// A date field type: `$currentDate`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a date: `$currentDate` needs a date field",
    label = "`current_date` sets a BSON date",
    note = "date-time fields are `bson::DateTime`, `chrono::DateTime<Utc>`, `DateTime<FixedOffset>` or `NaiveDateTime`; a `NaiveDate` cannot hold the current time"
)]
pub trait DateLike {}

/// An array field type (`Vec<T>`), with its element type: `$size`, `$all`,
/// `$elemMatch`, `$push`, `$addToSet`, `$pull`, `$pop`, positional paths.
///
/// `Vec<u8>` is stored as a BSON binary, not an array: the array operators
/// type-check on it but match nothing (or fail) on the server.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an array: this operator needs a `Vec<_>` field",
    label = "array operators (`size`, `all`, `elem_match`, `contains`, `push`, `add_to_set`, `pull`, `pop_*`, `each`, `matched`, `filtered`) need a `Vec<_>` field",
    note = "compare a scalar field with `eq`/`in_`, or assign it with `set`"
)]
pub trait ArrayLike {
    /// The element type.
    type Elem;
}

/// A map field type (`HashMap<String, V>`, `BTreeMap<String, V>`), with its
/// value type: `key` addresses one entry.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a map: `key` needs a `HashMap<String, _>` or `BTreeMap<String, _>` field",
    label = "only map fields have entries to address by key"
)]
pub trait MapLike {
    /// The value type.
    type Value;
}

/// A field that may be absent or null: `$unset`, `exists`.
///
/// Only `Option<T>` fields: unsetting a required field would leave a document
/// the model cannot read back.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is a required field: it cannot be unset or tested for existence",
    label = "only `Option<_>` fields may be absent",
    note = "make the field an `Option<_>`, or use `Update::raw`/`Filter::raw` for data that drifted from the model"
)]
pub trait Nullable {}

macro_rules! markers {
    ($tr:ident: $($t:ty),* $(,)?) => {$( impl $tr for $t {} )*};
}

markers!(Comparable: i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64, String,
    ObjectId, Decimal128, bson::DateTime, NaiveDate, NaiveDateTime, DateTime<Utc>,
    DateTime<FixedOffset>, bson::Bson);
markers!(Numeric: i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64, Decimal128,
    bson::Bson);
markers!(Textual: String, bson::Bson);
markers!(DateLike: bson::DateTime, NaiveDateTime, DateTime<Utc>,
    DateTime<FixedOffset>);

impl<T: Comparable> Comparable for Option<T> {}
impl<T: Comparable> Comparable for Box<T> {}
impl<T: Numeric> Numeric for Option<T> {}
impl<T: Numeric> Numeric for Box<T> {}
impl<T: Textual> Textual for Option<T> {}
impl<T: Textual> Textual for Box<T> {}
impl<T: DateLike> DateLike for Option<T> {}
impl<T: DateLike> DateLike for Box<T> {}
impl<T> Nullable for Option<T> {}

impl<T> ArrayLike for Vec<T> {
    type Elem = T;
}
impl<A: ArrayLike> ArrayLike for Option<A> {
    type Elem = A::Elem;
}
impl<A: ArrayLike> ArrayLike for Box<A> {
    type Elem = A::Elem;
}

impl<V, H> MapLike for std::collections::HashMap<String, V, H> {
    type Value = V;
}
impl<V> MapLike for std::collections::BTreeMap<String, V> {
    type Value = V;
}
impl<A: MapLike> MapLike for Option<A> {
    type Value = A::Value;
}
impl<A: MapLike> MapLike for Box<A> {
    type Value = A::Value;
}

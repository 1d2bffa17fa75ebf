//! Declared indexes: the compile-time rules of `#[odm(index ..)]` (marker
//! traits on the field's Rust type), the helpers the derive's
//! [`Document::indexes`](crate::Document::indexes) calls, and the plan that
//! compares declared indexes with the collection's.
//!
//! ```ignore
//! #[derive(Document)]
//! #[odm(index(keys(address.city, -age), name = "city_age"))]
//! struct User {
//!     id: Option<ObjectId>,
//!     #[odm(unique)]
//!     email: String,
//!     age: i32,
//!     address: Address,
//!     #[odm(index(expire_after = 3600))]
//!     seen: chrono::DateTime<chrono::Utc>,
//! }
//!
//! let plan = db.collection::<User>().plan_indexes().await?;   // what would change
//! db.collection::<User>().sync_indexes().await?;              // create what is missing
//! ```

mod plan;

use std::fmt;

use bson::Document;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

use crate::backend::IndexModel;

pub(crate) use plan::plan;

/// A field type a TTL index (`expire_after`) can expire documents by: a
/// date, or an array of dates (the earliest one counts).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a date: a TTL index (`expire_after`) needs a date field",
    label = "MongoDB expires a document by the BSON date stored here",
    note = "make the field a `chrono::DateTime<Utc>`, `DateTime<FixedOffset>`, `NaiveDateTime`, \
            `NaiveDate` or `bson::DateTime` (or an `Option`/`Vec` of one), or remove `expire_after`"
)]
pub trait TtlDate {}

/// A field type a text index can search: a string, or strings.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not text: a text index needs a `String` field",
    label = "text indexes search strings only",
    note = "text-index a `String`, `Option<String>` or `Vec<String>` field; index other \
            types with a plain `#[odm(index)]`"
)]
pub trait TextIndexable {}

macro_rules! markers {
    ($tr:ident: $($t:ty),* $(,)?) => {$( impl $tr for $t {} )*};
}

markers!(TtlDate: bson::DateTime, NaiveDateTime, NaiveDate, DateTime<Utc>, DateTime<FixedOffset>);
impl<T: TtlDate> TtlDate for Option<T> {}
impl<T: TtlDate> TtlDate for Vec<T> {}
impl<T: TtlDate> TtlDate for Box<T> {}

markers!(TextIndexable: String, Option<String>, Vec<String>, Option<Vec<String>>);

/// What the derive's generated `indexes()` calls. Not a public API.
#[doc(hidden)]
pub mod __derive {
    use bson::Document;

    use crate::document::Document as Model;
    use crate::field::Field;
    use crate::query::Filter;

    use super::{TextIndexable, TtlDate};

    /// The typed path of an index key, whether the key names a plain field
    /// (a `Field`) or an embedded struct (its paths struct dereferences to
    /// one): method-call syntax follows the `Deref`.
    pub trait IndexPath {
        /// The model.
        type Model;
        /// The Rust type at the path.
        type Value;
        /// The path itself.
        fn __odm_index_path(&self) -> &Field<Self::Model, Self::Value>;
    }

    impl<M, T> IndexPath for Field<M, T> {
        type Model = M;
        type Value = T;
        fn __odm_index_path(&self) -> &Field<M, T> {
            self
        }
    }

    /// The stored path of an ascending or descending key.
    pub fn key<M, T>(field: &Field<M, T>) -> String {
        field.path().to_owned()
    }

    /// The stored path of a TTL key, which must be a date.
    pub fn ttl_key<M, T: TtlDate>(field: &Field<M, T>) -> String {
        field.path().to_owned()
    }

    /// The stored path of a text key, which must be text.
    pub fn text_key<M, T: TextIndexable>(field: &Field<M, T>) -> String {
        field.path().to_owned()
    }

    /// The document of a `partial_filter = |f| ..` closure over the model's
    /// paths. Its values are literals of the declaration; one that cannot be
    /// encoded (a `u64` above `i64::MAX`) leaves its condition out, as
    /// [`Filter::into_document`] does.
    pub fn partial_filter<M: Model>(
        build: impl FnOnce(&'static M::Fields) -> Filter<M>,
    ) -> Document {
        build(M::fields()).into_document()
    }
}

/// What [`Collection::plan_indexes`](crate::Collection::plan_indexes) found:
/// how the collection's indexes differ from the model's declarations.
///
/// Indexes are compared as MongoDB compares them: the same keys (in order)
/// and the same options are the same index, whatever its name; `_id_` is
/// never planned.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct IndexPlan {
    /// Declared indexes the collection lacks, named.
    pub create: Vec<IndexModel>,
    /// Names of the collection's indexes that nothing declares (dropped only
    /// by `sync_indexes().drop_extra(true)`).
    pub drop: Vec<String>,
    /// Indexes whose declaration changed (same keys or name, other options).
    pub changed: Vec<IndexChange>,
    /// Names of the indexes already as declared.
    pub unchanged: Vec<String>,
}

impl IndexPlan {
    /// Whether syncing would change nothing.
    pub fn is_empty(&self) -> bool {
        self.create.is_empty() && self.drop.is_empty() && self.changed.is_empty()
    }
}

impl fmt::Display for IndexPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("indexes up to date");
        }
        let mut lines = Vec::new();
        for i in &self.create {
            lines.push(format!("create {} {}", i.effective_name(), i.keys));
        }
        for c in &self.changed {
            lines.push(format!("change {}: {}", c.name, c.differences.join("; ")));
        }
        for name in &self.drop {
            lines.push(format!("drop {name}"));
        }
        f.write_str(&lines.join("\n"))
    }
}

/// An existing index that its declaration no longer matches.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IndexChange {
    /// The existing index's name.
    pub name: String,
    /// The index as the collection has it.
    pub existing: IndexModel,
    /// The index as the model declares it.
    pub declared: IndexModel,
    /// What differs, one entry per option (`unique: declared true, existing false`).
    pub differences: Vec<String>,
}

/// What [`Collection::sync_indexes`](crate::Collection::sync_indexes) did.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct IndexSync {
    /// Names of the indexes created.
    pub created: Vec<String>,
    /// Names of the changed indexes dropped and created again as declared.
    pub recreated: Vec<String>,
    /// Names of the undeclared indexes dropped.
    pub dropped: Vec<String>,
    /// Names of the undeclared indexes left in place (without `drop_extra`).
    pub kept: Vec<String>,
}

/// A partial filter, collation or weights, for a difference message.
fn show(doc: Option<&Document>) -> String {
    doc.map_or_else(|| "none".to_owned(), Document::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn a_plan_reads_as_what_a_sync_would_do() {
        assert_eq!(IndexPlan::default().to_string(), "indexes up to date");
        let mut existing = IndexModel::new(doc! {"email": 1});
        existing.name = Some("email_1".into());
        let mut declared = existing.clone();
        declared.unique = true;
        let plan = IndexPlan {
            create: vec![IndexModel::new(doc! {"city": 1, "age": -1})],
            drop: vec!["legacy_1".into()],
            changed: vec![IndexChange {
                name: "email_1".into(),
                existing,
                declared,
                differences: vec!["unique: declared true, existing false".into()],
            }],
            unchanged: vec!["name_1".into()],
        };
        assert!(!plan.is_empty());
        assert_eq!(
            plan.to_string(),
            "create city_1_age_-1 { \"city\": 1, \"age\": -1 }\n\
             change email_1: unique: declared true, existing false\n\
             drop legacy_1"
        );
    }
}

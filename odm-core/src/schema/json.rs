//! The `$jsonSchema` a model implies: each field type knows its schema
//! through [`BsonSchema`], and the derives assemble a struct's `properties`,
//! `required` and `additionalProperties` from its fields.
//!
//! | Rust | schema |
//! |---|---|
//! | `i8`, `i16`, `i32`, `u8`, `u16` | `bsonType: "int"` |
//! | `i64`, `u32`, `u64`, `isize`, `usize` | `bsonType: ["int", "long"]` (drivers write small integers as int32; odm reads both) |
//! | `f32`, `f64` | `bsonType: ["double", "int", "long"]` (what odm reads) |
//! | `bool`, `String`, `ObjectId`, `Decimal128` | `"bool"`, `"string"`, `"objectId"`, `"decimal"` |
//! | chrono dates, `bson::DateTime` | `"date"` |
//! | `Uuid`, `Vec<u8>`, `bson::Binary` | `"binData"` |
//! | `Ref<T>` | the schema of `T`'s id |
//! | `Option<T>` | `T`'s, with `"null"` added; the field is not required |
//! | `Vec<T>` | `bsonType: "array"`, `items`: `T`'s |
//! | maps with `String` keys | `bsonType: "object"`, `additionalProperties`: the value's |
//! | embedded structs | `"object"` with `properties`, `required`, `additionalProperties` |
//! | embedded enums | `bsonType: "string"` and `enum` of the stored names |
//! | `bson::Bson`, `#[odm(with)]` and `#[odm(serde)]` fields | `{}` (anything) |
//!
//! `validator` attributes add keywords: `range` → `minimum`/`maximum`
//! (`exclusiveMinimum`/`exclusiveMaximum` for `exclusive_min`/`exclusive_max`),
//! `length` → `minLength`/`maxLength` on strings and `minItems`/`maxItems` on
//! arrays, `regex` → `pattern`. `email` and `url` are left out of the schema:
//! MongoDB's regular expressions cannot say what `validator` checks, and a
//! looser pattern would only pretend to; they are enforced client-side.

use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;

use bson::{doc, Bson, Document};

use super::rules::{FieldRule, Rule};
use crate::value::FromBson;

/// The `$jsonSchema` of a field type.
///
/// Implemented for every storable type odm ships, and by the derives for
/// embedded structs and enums. A field type without it (your own
/// `IntoBson`/`FromBson` type) gets `bsonType` from its
/// [`FromBson::EXPECTED`].
pub trait BsonSchema {
    /// Whether a field of this type must be present (`false` for `Option`).
    const REQUIRED: bool = true;

    /// The schema of a value of this type.
    fn bson_schema() -> Document;

    /// The rules (from `validator` attributes) inside values of this type,
    /// with paths under `prefix`: an embedded struct's own fields, the
    /// elements of a `Vec` (under `prefix.$[]`).
    fn collect_rules(prefix: &str, out: &mut Vec<FieldRule>) {
        let _ = (prefix, out);
    }

    /// `Vec<Self>`'s schema: an array, except for bytes (a binary).
    #[doc(hidden)]
    fn vec_schema() -> Document
    where
        Self: Sized,
    {
        doc! {"bsonType": "array", "items": Self::bson_schema()}
    }
}

fn types(names: &[&str]) -> Bson {
    match names {
        [one] => Bson::String((*one).to_owned()),
        many => Bson::Array(many.iter().map(|n| Bson::String((*n).to_owned())).collect()),
    }
}

macro_rules! schema_of {
    ($names:tt => $($t:ty),+ $(,)?) => {$(
        impl BsonSchema for $t {
            fn bson_schema() -> Document {
                doc! {"bsonType": types(&$names)}
            }
        }
    )+};
}

schema_of!(["int"] => i8, i16, i32, u16);
schema_of!(["int", "long"] => i64, u32, u64, isize, usize);
schema_of!(["double", "int", "long"] => f32, f64);
schema_of!(["bool"] => bool);
schema_of!(["string"] => String);
schema_of!(["objectId"] => bson::oid::ObjectId);
schema_of!(["decimal"] => bson::Decimal128);
schema_of!(["binData"] => bson::Binary, uuid::Uuid);
schema_of!(["object"] => Document);
schema_of!(["date"] => bson::DateTime, chrono::NaiveDate, chrono::NaiveDateTime,
    chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::FixedOffset>);

impl BsonSchema for u8 {
    fn bson_schema() -> Document {
        doc! {"bsonType": "int"}
    }
    fn vec_schema() -> Document {
        doc! {"bsonType": "binData"}
    }
}

impl BsonSchema for Bson {
    fn bson_schema() -> Document {
        Document::new()
    }
}

impl<T: BsonSchema> BsonSchema for Option<T> {
    const REQUIRED: bool = false;

    fn bson_schema() -> Document {
        nullable(T::bson_schema())
    }

    fn collect_rules(prefix: &str, out: &mut Vec<FieldRule>) {
        T::collect_rules(prefix, out);
    }
}

impl<T: BsonSchema> BsonSchema for Box<T> {
    const REQUIRED: bool = T::REQUIRED;

    fn bson_schema() -> Document {
        T::bson_schema()
    }

    fn collect_rules(prefix: &str, out: &mut Vec<FieldRule>) {
        T::collect_rules(prefix, out);
    }
}

impl<T: BsonSchema> BsonSchema for Vec<T> {
    fn bson_schema() -> Document {
        T::vec_schema()
    }

    fn collect_rules(prefix: &str, out: &mut Vec<FieldRule>) {
        T::collect_rules(&format!("{prefix}.$[]"), out);
    }
}

impl<T: BsonSchema, H> BsonSchema for HashMap<String, T, H> {
    fn bson_schema() -> Document {
        doc! {"bsonType": "object", "additionalProperties": T::bson_schema()}
    }
}

impl<T: BsonSchema> BsonSchema for BTreeMap<String, T> {
    fn bson_schema() -> Document {
        doc! {"bsonType": "object", "additionalProperties": T::bson_schema()}
    }
}

impl<T: crate::Document> BsonSchema for crate::Ref<T>
where
    T::Id: BsonSchema,
{
    fn bson_schema() -> Document {
        <T::Id as BsonSchema>::bson_schema()
    }
}

/// `schema` that also accepts `null` (an `Option`'s `None`).
pub fn nullable(mut schema: Document) -> Document {
    match schema.get_mut("bsonType") {
        Some(Bson::String(one)) if one != "null" => {
            let one = std::mem::take(one);
            schema.insert("bsonType", vec![Bson::String(one), "null".into()]);
        }
        Some(Bson::Array(many)) if !many.iter().any(|t| t.as_str() == Some("null")) => {
            many.push("null".into());
        }
        // No type constraint: `null` is already accepted. An `enum`
        // (embedded enums) must list it too.
        _ => {}
    }
    if let Some(Bson::Array(values)) = schema.get_mut("enum") {
        if !values.contains(&Bson::Null) {
            values.push(Bson::Null);
        }
    }
    schema
}

/// The `bsonType`s a schema allows, for deciding which keywords a rule maps to.
fn allows(schema: &Document, name: &str) -> bool {
    match schema.get("bsonType") {
        Some(Bson::String(one)) => one == name,
        Some(Bson::Array(many)) => many.iter().any(|t| t.as_str() == Some(name)),
        _ => false,
    }
}

/// Add the keywords of a field's own rules to its schema.
pub fn apply_rules(schema: &mut Document, rules: &[Rule]) {
    let array = allows(schema, "array");
    for rule in rules {
        match rule {
            Rule::Range {
                min,
                max,
                exclusive_min,
                exclusive_max,
            } => {
                if let Some(b) = exclusive_min.or(*min) {
                    schema.insert("minimum", b.to_bson());
                    if exclusive_min.is_some() {
                        schema.insert("exclusiveMinimum", true);
                    }
                }
                if let Some(b) = exclusive_max.or(*max) {
                    schema.insert("maximum", b.to_bson());
                    if exclusive_max.is_some() {
                        schema.insert("exclusiveMaximum", true);
                    }
                }
            }
            Rule::Length { min, max, equal } => {
                let (lo, hi) = if array {
                    ("minItems", "maxItems")
                } else {
                    ("minLength", "maxLength")
                };
                if let Some(n) = equal.or(*min) {
                    schema.insert(lo, count(n));
                }
                if let Some(n) = equal.or(*max) {
                    schema.insert(hi, count(n));
                }
            }
            Rule::Pattern { pattern, .. } => {
                schema.insert("pattern", pattern.as_str());
            }
            Rule::Email | Rule::Url => {}
        }
    }
}

fn count(n: u64) -> Bson {
    i64::try_from(n).map_or(Bson::Int64(i64::MAX), Bson::Int64)
}

/// `{bsonType: "object", required, properties, additionalProperties}` from
/// the `(key, schema, required)` of each stored field.
pub fn object_schema(fields: Vec<(&str, Document, bool)>, deny_unknown_fields: bool) -> Document {
    let mut properties = Document::new();
    let mut required = Vec::new();
    for (key, schema, is_required) in fields {
        if is_required {
            required.push(Bson::String(key.to_owned()));
        }
        properties.insert(key, schema);
    }
    let mut out = doc! {"bsonType": "object"};
    if !required.is_empty() {
        out.insert("required", required);
    }
    out.insert("properties", properties);
    if deny_unknown_fields {
        out.insert("additionalProperties", false);
    }
    out
}

/// Picks a field type's schema in generated code, by autoderef
/// specialization: `(&&&Probe::<T>::new()).schema()` is its [`BsonSchema`]
/// when it has one, else what its [`FromBson`] says, else (a type that is
/// not storable at all, already reported by the derive) nothing, so that
/// such a field adds no error of its own here.
#[doc(hidden)]
pub struct Probe<T>(PhantomData<fn() -> T>);

impl<T> Probe<T> {
    /// The probe of `T`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

/// The real schema.
#[doc(hidden)]
pub trait SchemaOf {
    /// The schema of the field type.
    fn schema(&self) -> Document;
    /// Whether the field type must be present.
    fn required(&self) -> bool;
    /// The rules inside the field type.
    fn nested_rules(&self, prefix: &str, out: &mut Vec<FieldRule>);
}

impl<T: BsonSchema> SchemaOf for &&Probe<T> {
    fn schema(&self) -> Document {
        T::bson_schema()
    }
    fn required(&self) -> bool {
        T::REQUIRED
    }
    fn nested_rules(&self, prefix: &str, out: &mut Vec<FieldRule>) {
        T::collect_rules(prefix, out);
    }
}

/// The fallback for types that only know their [`FromBson::EXPECTED`].
#[doc(hidden)]
pub trait SchemaOfFallback {
    /// The schema of the field type.
    fn schema(&self) -> Document;
    /// Whether the field type must be present.
    fn required(&self) -> bool;
    /// The rules inside the field type (none known).
    fn nested_rules(&self, prefix: &str, out: &mut Vec<FieldRule>);
}

impl<T: FromBson> SchemaOfFallback for &Probe<T> {
    fn schema(&self) -> Document {
        let schema = match T::EXPECTED {
            "any" => Document::new(),
            expected => doc! {"bsonType": expected},
        };
        // A type that reads an absent field (an `Option` of such a type)
        // also stores `null`.
        if T::from_missing().is_some() {
            nullable(schema)
        } else {
            schema
        }
    }
    fn required(&self) -> bool {
        T::from_missing().is_none()
    }
    fn nested_rules(&self, _: &str, _: &mut Vec<FieldRule>) {}
}

/// The last resort, for types that cannot be stored (never run: the crate
/// does not compile).
#[doc(hidden)]
pub trait SchemaOfAnything {
    /// Anything.
    fn schema(&self) -> Document;
    /// Not required.
    fn required(&self) -> bool;
    /// No rules.
    fn nested_rules(&self, prefix: &str, out: &mut Vec<FieldRule>);
}

impl<T> SchemaOfAnything for Probe<T> {
    fn schema(&self) -> Document {
        Document::new()
    }
    fn required(&self) -> bool {
        false
    }
    fn nested_rules(&self, _: &str, _: &mut Vec<FieldRule>) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::rules::Bound;

    #[test]
    fn options_add_null_once() {
        assert_eq!(
            <Option<String>>::bson_schema(),
            doc! {"bsonType": ["string", "null"]}
        );
        assert_eq!(
            <Option<Option<i64>>>::bson_schema(),
            doc! {"bsonType": ["int", "long", "null"]}
        );
        let required = [<Option<i32>>::REQUIRED, <i32>::REQUIRED];
        assert_eq!(required, [false, true]);
    }

    #[test]
    fn vectors_are_arrays_except_bytes() {
        assert_eq!(
            <Vec<bool>>::bson_schema(),
            doc! {"bsonType": "array", "items": {"bsonType": "bool"}}
        );
        assert_eq!(<Vec<u8>>::bson_schema(), doc! {"bsonType": "binData"});
    }

    #[test]
    fn length_maps_by_type() {
        let length = [Rule::Length {
            min: Some(1),
            max: Some(3),
            equal: None,
        }];
        let mut s = String::bson_schema();
        apply_rules(&mut s, &length);
        assert_eq!(s.get_i64("minLength").unwrap(), 1);
        assert_eq!(s.get_i64("maxLength").unwrap(), 3);
        let mut a = <Vec<i32>>::bson_schema();
        apply_rules(&mut a, &length);
        assert_eq!(a.get_i64("minItems").unwrap(), 1);
        assert!(!a.contains_key("minLength"));
    }

    #[test]
    fn exclusive_bounds_are_flagged() {
        let mut s = f64::bson_schema();
        apply_rules(
            &mut s,
            &[Rule::Range {
                min: None,
                max: Some(Bound::Int(9)),
                exclusive_min: Some(Bound::Float(0.5)),
                exclusive_max: None,
            }],
        );
        assert_eq!(s.get_f64("minimum").unwrap(), 0.5);
        assert!(s.get_bool("exclusiveMinimum").unwrap());
        assert_eq!(s.get_i64("maximum").unwrap(), 9);
        assert!(!s.contains_key("exclusiveMaximum"));
    }

    #[test]
    #[allow(clippy::needless_borrow)]
    fn the_fallback_reads_from_bson() {
        #[allow(unused_imports)]
        use super::{SchemaOf as _, SchemaOfAnything as _, SchemaOfFallback as _};
        struct Mine;
        impl FromBson for Mine {
            const EXPECTED: &'static str = "string";
            fn from_raw(_: bson::RawBsonRef<'_>) -> Result<Self, crate::error::DecodeError> {
                Ok(Mine)
            }
        }
        assert_eq!(
            (&&&Probe::<Mine>::new()).schema(),
            doc! {"bsonType": "string"}
        );
        assert!((&&&Probe::<Mine>::new()).required());
        assert_eq!(
            (&&&Probe::<Option<i32>>::new()).schema(),
            doc! {"bsonType": ["int", "null"]}
        );
        assert_eq!(
            (&&&Probe::<Option<Mine>>::new()).schema(),
            doc! {"bsonType": ["string", "null"]}
        );
        assert!(!(&&&Probe::<Option<Mine>>::new()).required());
        struct Unstorable;
        assert_eq!((&&&Probe::<Unstorable>::new()).schema(), doc! {});
    }
}

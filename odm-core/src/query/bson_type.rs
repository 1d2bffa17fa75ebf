//! [`BsonType`]: the BSON types `$type` can test for.

/// A BSON type, as `$type` names it (`f.kind.type_is(BsonType::String)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BsonType {
    /// `"double"`.
    Double,
    /// `"string"`.
    String,
    /// `"object"` (an embedded document).
    Object,
    /// `"array"`.
    Array,
    /// `"binData"`.
    BinData,
    /// `"objectId"`.
    ObjectId,
    /// `"bool"`.
    Bool,
    /// `"date"`.
    Date,
    /// `"null"`.
    Null,
    /// `"regex"`.
    Regex,
    /// `"javascript"`.
    JavaScript,
    /// `"int"` (32-bit).
    Int,
    /// `"timestamp"`.
    Timestamp,
    /// `"long"` (64-bit).
    Long,
    /// `"decimal"` (Decimal128).
    Decimal,
    /// `"minKey"`.
    MinKey,
    /// `"maxKey"`.
    MaxKey,
    /// `"number"`: any of double, int, long, decimal.
    Number,
}

impl BsonType {
    /// The alias `$type` takes.
    pub const fn alias(self) -> &'static str {
        match self {
            BsonType::Double => "double",
            BsonType::String => "string",
            BsonType::Object => "object",
            BsonType::Array => "array",
            BsonType::BinData => "binData",
            BsonType::ObjectId => "objectId",
            BsonType::Bool => "bool",
            BsonType::Date => "date",
            BsonType::Null => "null",
            BsonType::Regex => "regex",
            BsonType::JavaScript => "javascript",
            BsonType::Int => "int",
            BsonType::Timestamp => "timestamp",
            BsonType::Long => "long",
            BsonType::Decimal => "decimal",
            BsonType::MinKey => "minKey",
            BsonType::MaxKey => "maxKey",
            BsonType::Number => "number",
        }
    }
}

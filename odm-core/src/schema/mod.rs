//! What a model declares about its collection beyond its fields: its
//! indexes ([`index`]), the `$jsonSchema` of its collection ([`json`]), the
//! per-field rules that updates are checked against ([`rules`]), and the
//! scan that finds stored documents the model could not read ([`check`]).

pub mod check;
pub mod index;
pub mod json;
pub mod rules;

pub use check::{SchemaProblem, SchemaProblemKind, SchemaReport};
pub use json::BsonSchema;
pub use rules::{Bound, FieldRule, Rule};

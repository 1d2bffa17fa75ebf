//! What a model implies about its stored documents: the `$jsonSchema` of
//! its collection ([`json`]), the per-field rules that updates are checked
//! against ([`rules`]), and the scan that finds stored documents the model
//! could not read ([`check`]).

pub mod check;
pub mod json;
pub mod rules;

pub use check::{SchemaProblem, SchemaProblemKind, SchemaReport};
pub use json::BsonSchema;
pub use rules::{Bound, FieldRule, Rule};

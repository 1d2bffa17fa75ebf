//! What a model declares about its collection beyond its fields: indexes
//! (and, beside them, the collection's validator).

pub mod index;

//! Typed filters, updates, sorts and projections over a model `M`.
//!
//! Each builder is a thin wrapper over the BSON document MongoDB takes, tagged
//! with the model, so a `Filter<Post>` cannot be given to `Collection<User>`.
//! The typed operators are methods of [`Field`](crate::Field) paths,
//! gated by the [`marker`] traits of the field's Rust type and
//! taking values through [`ValueOf`]. The raw escape hatches
//! (`Filter::raw`, `Update::raw`) are explicit and greppable.
//!
//! Building is infallible: a value that cannot be encoded (a `u64` above
//! `i64::MAX`) is kept inside the builder and reported by its `check()`,
//! which the collection calls before it runs the operation.

mod bson_type;
mod filter;
pub mod marker;
mod ops;
mod projection;
mod sort;
mod update;
mod value;

pub use bson_type::BsonType;
pub use filter::Filter;
pub use ops::PushEach;
pub use projection::{Projection, ProjectionOf};
pub use sort::Sort;
pub use update::{ArrayFilter, IntoUpdate, Update};
pub use value::ValueOf;

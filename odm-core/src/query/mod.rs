//! Typed filters, updates, sorts and projections over a model `M`.
//!
//! Each builder is a thin wrapper over the BSON document MongoDB takes, tagged
//! with the model, so a `Filter<Post>` cannot be given to `Collection<User>`.
//! The typed operators live on [`Field`](crate::Field) paths; the raw escape
//! hatches (`Filter::raw`, `Update::raw`) are explicit and greppable.

mod filter;
mod projection;
mod sort;
mod update;

pub use filter::Filter;
pub use projection::Projection;
pub use sort::Sort;
pub use update::Update;

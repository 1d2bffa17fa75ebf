//! The runtime of odm: typed BSON values, the document traits, typed field
//! paths and builders, the backend trait, the in-memory engine and (feature
//! `mongodb`) the official driver's backend.
//!
//! Applications use the `odm` facade crate, which re-exports this crate and
//! the derives.

pub mod aggregate;
pub mod backend;
pub mod collection;
pub mod database;
pub mod document;
pub mod error;
pub mod field;
pub mod query;
pub mod relation;
pub mod schema;
pub mod transaction;
pub mod value;
#[cfg(feature = "wire")]
pub mod wire;

pub use backend::Backend;
pub use collection::Collection;
pub use database::Database;
pub use document::{Document, Embedded};
pub use error::{Error, Result};
pub use field::{Field, Path, PathType};

/// The `bson` crate odm is built on (`odm::bson::doc!`, `odm::bson::oid::ObjectId`).
pub use bson;
/// The `chrono` crate whose date types odm stores as BSON dates.
pub use chrono;
/// The link-time registry behind delete rules (for generated code).
#[doc(hidden)]
pub use inventory;
pub use query::{Filter, Projection, Sort, Update};
pub use relation::Ref;
/// The `validator` crate behind `#[odm(validate)]`.
pub use validator;

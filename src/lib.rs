//! # odm
//!
//! A typed object-document mapper for MongoDB. See the README for a tour.
//!
//! This crate is the facade: it re-exports the runtime ([`odm_core`]) and the
//! derives, the way `serde` re-exports `serde_derive`.
//!
//! ## Indexes
//!
//! A model declares its indexes (field paths and options are checked at
//! compile time; see `#[derive(Document)]`), and a sync makes the
//! collection match:
//!
//! ```ignore
//! #[derive(odm::Document)]
//! #[odm(index(keys(address.city, -age)))]
//! struct User {
//!     id: Option<odm::bson::oid::ObjectId>,
//!     #[odm(unique)]
//!     email: String,
//!     age: i32,
//!     address: Address,
//! }
//!
//! let users = db.collection::<User>();
//! println!("{}", users.plan_indexes().await?);   // what would be created, changed, dropped
//! users.sync_indexes().await?;                   // create what is missing; a second run does nothing
//! users.sync_indexes().drop_extra(true).await?;  // also drop undeclared indexes, re-create changed ones
//! ```

pub use odm_core::*;

#[cfg(feature = "derive")]
pub use odm_derive::{Document, Embedded};

/// The names most programs need: `use odm::prelude::*;`.
pub mod prelude {
    pub use odm_core::document::{Document as _, Embedded as _};
    pub use odm_core::value::{FromBson as _, IntoBson as _};
    #[cfg(feature = "derive")]
    pub use odm_derive::{Document, Embedded};
}

/// What generated code names. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use ::odm_core;
    pub use ::odm_core::bson;
    pub use ::odm_core::inventory;
    pub use ::odm_core::validator;
    pub use ::std;
}

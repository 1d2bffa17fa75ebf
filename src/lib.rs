//! # odm
//!
//! A typed object-document mapper for MongoDB. See the README for a tour.
//!
//! This crate is the facade: it re-exports the runtime ([`odm_core`]) and the
//! derives, the way `serde` re-exports `serde_derive`.

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

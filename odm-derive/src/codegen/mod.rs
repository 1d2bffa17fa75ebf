//! Code generation: one file per generated piece. Everything generated names
//! the runtime through the facade's hidden `__private` module with absolute
//! paths, so it compiles wherever the user's `odm` is, and nothing leaks into
//! the user's namespace except the `...Fields` structs, which are public API.

pub mod delete_rules;
pub mod document;
pub mod embedded;
pub mod fields;
pub mod indexes;
pub mod value;
pub mod version;

use proc_macro2::TokenStream;
use quote::quote;

/// `::odm::__private::odm_core`
pub fn core() -> TokenStream {
    quote!(::odm::__private::odm_core)
}

/// `::odm::__private::bson`
pub fn bson() -> TokenStream {
    quote!(::odm::__private::bson)
}

/// `::odm::__private::std`
pub fn std() -> TokenStream {
    quote!(::odm::__private::std)
}

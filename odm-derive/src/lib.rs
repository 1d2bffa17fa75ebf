//! The derives of odm. Use them through the `odm` crate.

use proc_macro::TokenStream;

/// Derive `odm::Document` for a struct stored in its own collection.
#[proc_macro_derive(Document, attributes(odm))]
pub fn derive_document(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}

/// Derive `odm::Embedded` for a struct stored inside documents, or a unit-only enum stored as a string.
#[proc_macro_derive(Embedded, attributes(odm))]
pub fn derive_embedded(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}

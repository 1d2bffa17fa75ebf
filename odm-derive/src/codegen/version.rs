//! The `#[odm(version)]` items of `impl Document`: the stored name of the
//! version field and its getter and setter, through `VersionField`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::{core, std};
use crate::internals::ast::Container;

/// The items inside `impl Document` for the model's version field, if any.
pub fn items(cont: &Container) -> TokenStream {
    let Some(field) = cont.fields().iter().find(|f| f.attrs.version) else {
        return quote!();
    };
    let core = core();
    let std = std();
    let ident = field.ident;
    let key = &field.key;
    let ty = field.ty;
    // Spanned at the field's type: an unsupported type is reported there.
    let getter = quote_spanned! {syn::spanned::Spanned::span(ty)=>
        <#ty as #core::document::VersionField>::to_version(self.#ident)
    };
    let setter = quote_spanned! {syn::spanned::Spanned::span(ty)=>
        <#ty as #core::document::VersionField>::from_version(version)
    };
    quote! {
        const VERSION: #std::option::Option<&'static str> = #std::option::Option::Some(#key);

        fn version(&self) -> #std::option::Option<i64> {
            #std::option::Option::Some(#getter)
        }

        fn set_version(&mut self, version: i64) {
            self.#ident = #setter;
        }
    }
}

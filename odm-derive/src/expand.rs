//! The pipeline of both derives: parse → IR → check → emit. On errors, every
//! error is emitted together with a stub impl (as thiserror does), so the user
//! sees one error per mistake rather than a cascade from the missing impl.

use proc_macro2::TokenStream;
use quote::quote;

use crate::codegen;
use crate::internals::ast::{Container, Derive};
use crate::internals::check;
use crate::internals::ctxt::Ctxt;

/// `#[derive(Document)]`.
pub fn derive_document(input: syn::DeriveInput) -> TokenStream {
    run(&input, Derive::Document)
}

/// `#[derive(Embedded)]`.
pub fn derive_embedded(input: syn::DeriveInput) -> TokenStream {
    run(&input, Derive::Embedded)
}

fn run(input: &syn::DeriveInput, derive: Derive) -> TokenStream {
    let cx = Ctxt::new();
    let cont = Container::from_ast(&cx, input, derive);
    if let Some(cont) = &cont {
        check::check(&cx, cont);
    }
    let errors = match cx.check() {
        Ok(()) => {
            return match (&cont, derive) {
                (Some(cont), Derive::Document) => codegen::document::expand(cont),
                (Some(cont), Derive::Embedded) => codegen::embedded::expand(cont),
                // `from_ast` reports whenever it gives up; nothing to emit.
                (None, _) => TokenStream::new(),
            };
        }
        Err(errors) => errors,
    };
    let errors = errors.iter().map(syn::Error::to_compile_error);
    // A stub cannot name a generic type without its parameters; there the
    // errors alone are the output.
    let stub = if input.generics.params.is_empty() {
        match derive {
            Derive::Document => codegen::document::stub(&input.ident),
            Derive::Embedded => codegen::embedded::stub(&input.ident),
        }
    } else {
        TokenStream::new()
    };
    quote! {
        #(#errors)*
        #stub
    }
}

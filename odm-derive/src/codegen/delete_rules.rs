//! The `#[odm(on_delete = "...")]` rules of a document: a compile-time
//! check that the field has the shape the rule needs, and the rule's
//! link-time registration (`inventory`), so deleting the referenced model
//! applies it whichever modules the program imported.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::core;
use crate::internals::ast::Container;

/// The rule kinds, as written in the attribute and as `OnDelete` variants.
pub const KINDS: [(&str, &str); 4] = [
    ("cascade", "Cascade"),
    ("nullify", "Nullify"),
    ("pull", "Pull"),
    ("deny", "Deny"),
];

/// The checks and registrations of every rule of the document.
pub fn expand(cont: &Container) -> TokenStream {
    let core = core();
    let ident = cont.ident;
    let rules = cont.fields().iter().filter_map(|f| {
        let lit = f.attrs.on_delete.as_ref()?;
        let value = lit.value();
        // `check` reported any other value.
        let (_, variant) = KINDS.iter().find(|(name, _)| *name == value)?;
        let variant = syn::Ident::new(variant, lit.span());
        let ty = f.ty;
        let key = &f.key;
        let rules = quote!(#core::relation::delete_rules);
        // Spanned at the field's type: a wrong shape is reported there, once
        // (`RuleField` by the registration itself, the narrower shapes of
        // `nullify` and `pull` by an assertion).
        let shape = match value.as_str() {
            "nullify" => Some(quote!(#rules::NullableRef)),
            "pull" => Some(quote!(#rules::RefList)),
            _ => None,
        };
        let assert_shape = shape.map(|shape| {
            quote_spanned! {ty.span()=>
                const _: fn() = || {
                    fn shape<F: ?Sized + #shape>() {}
                    shape::<#ty>();
                };
            }
        });
        let target = quote_spanned! {ty.span()=> <#ty as #rules::RuleField>::Target };
        Some(quote! {
            #assert_shape
            #core::inventory::submit! {
                #rules::DeleteRule::new::<#ident, #target>(
                    #key,
                    #rules::OnDelete::#variant,
                )
            }
        })
    });
    quote!(#(#rules)*)
}

//! `Document::indexes()`: each declared index as an `IndexModel`. Keys are
//! reached through the model's typed paths (`__f.address.city`) spanned at
//! the user's key, so a misspelt key, a TTL on a non-date or a text key on a
//! non-string is a compile error there; stored names (renames applied) come
//! from the paths at run time.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::{bson, core, std};
use crate::internals::ast::Container;
use crate::internals::index::{model_indexes, IndexDecl, KeyKind};

/// `fn indexes()`, or nothing when the model declares no index (the trait's
/// default is then right).
pub fn expand(cont: &Container) -> TokenStream {
    let indexes = model_indexes(cont);
    if indexes.is_empty() {
        return TokenStream::new();
    }
    let core = core();
    let std = std();
    let each = indexes.iter().map(one);
    quote! {
        fn indexes() -> #std::vec::Vec<#core::backend::IndexModel> {
            #[allow(unused_imports)]
            use #core::schema::index::__derive::IndexPath as _;
            let __f = <Self as #core::Document>::fields();
            #std::vec![#(#each),*]
        }
    }
}

/// The expression building one index.
fn one(decl: &IndexDecl) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    let helpers = quote!(#core::schema::index::__derive);
    let ttl = decl.expire_after.is_some();
    let keys = decl.keys.iter().map(|key| {
        let path = &key.path;
        let span = path
            .last()
            .map_or_else(proc_macro2::Span::call_site, |i| i.span());
        let access = quote_spanned!(span=> __f #(.#path)* .__odm_index_path());
        match key.kind {
            KeyKind::Text => {
                let weight = key.weight.as_ref().map(|w| {
                    quote! {
                        __ix.weights
                            .get_or_insert_with(#bson::Document::new)
                            .insert(#std::clone::Clone::clone(&__key), #w as #std::primitive::i32);
                    }
                });
                let call = quote_spanned!(span=> ::odm::__private::odm_core::schema::index::__derive::text_key(#access));
                quote! {
                    let __key = #call;
                    #weight
                    __ix.keys.insert(__key, "text");
                }
            }
            KeyKind::Asc | KeyKind::Desc => {
                let direction = if key.kind == KeyKind::Asc {
                    quote!(1_i32)
                } else {
                    quote!(-1_i32)
                };
                // The helper's path is spelled here, not interpolated, so the
                // whole call (and the compiler's notes about it) points at the key.
                let call = if ttl {
                    quote_spanned!(span=> ::odm::__private::odm_core::schema::index::__derive::ttl_key(#access))
                } else {
                    quote_spanned!(span=> ::odm::__private::odm_core::schema::index::__derive::key(#access))
                };
                quote!(__ix.keys.insert(#call, #direction);)
            }
        }
    });
    let unique = decl.unique.then(|| quote!(__ix.unique = true;));
    let sparse = decl.sparse.map(|_| quote!(__ix.sparse = true;));
    let name = decl.name.as_ref().map(
        |lit| quote!(__ix.name = #std::option::Option::Some(#std::string::String::from(#lit));),
    );
    let partial = decl.partial_filter.as_ref().map(|closure| {
        quote! {
            __ix.partial_filter = #std::option::Option::Some(
                #helpers::partial_filter::<Self>(#closure)
            );
        }
    });
    let expire = decl.expire_after.as_ref().map(|(secs, _)| {
        quote! {
            __ix.expire_after_secs = #std::option::Option::Some({
                const __SECS: #std::primitive::u64 = #secs;
                __SECS
            });
        }
    });
    let collation = (!decl.collation.is_empty()).then(|| {
        let settings = decl
            .collation
            .iter()
            .map(|(stored, lit)| quote!(__c.insert(#stored, #lit);));
        quote! {
            let mut __c = #bson::Document::new();
            #(#settings)*
            __ix.collation = #std::option::Option::Some(__c);
        }
    });
    let language = decl.default_language.as_ref().map(|lit| {
        quote!(__ix.default_language = #std::option::Option::Some(#std::string::String::from(#lit));)
    });
    quote! {{
        let mut __ix = #core::backend::IndexModel::new(#bson::Document::new());
        #(#keys)*
        #unique
        #sparse
        #name
        #partial
        #expire
        #collation
        #language
        __ix
    }}
}

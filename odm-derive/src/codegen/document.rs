//! `impl Document` for a model, its `UserFields` struct, and the inherent
//! `User::fields()`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::{bson, core, fields, indexes, std, value};
use crate::internals::ast::{Container, FieldKind};
use crate::internals::case::collection_name;

/// Everything `#[derive(Document)]` generates for a checked container.
pub fn expand(cont: &Container) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    let ident = cont.ident;
    let vis = cont.vis;
    let fields_ident = fields::fields_ident(ident);

    let collection = match &cont.attrs.collection {
        Some(lit) => lit.value(),
        None => collection_name(&ident.to_string()),
    };

    let Some(id) = cont.id() else {
        // `check` reported the missing id; this is unreachable by construction.
        return quote!();
    };
    let id_ident = id.ident;
    let (id_ty, id_getter, id_setter) = match &id.kind {
        FieldKind::Id {
            optional: Some(inner),
        } => (
            quote!(#inner),
            quote!(self.#id_ident.as_ref()),
            quote!(self.#id_ident = #std::option::Option::Some(id);),
        ),
        _ => {
            let ty = id.ty;
            (
                quote!(#ty),
                quote!(#std::option::Option::Some(&self.#id_ident)),
                quote!(self.#id_ident = id;),
            )
        }
    };

    let fields_struct = fields::document_struct(cont);
    let fields_value = fields::document_value(cont);
    // Spanned at the struct's name: if a field type has no paths, the
    // errors about `UserFields` point at the model, not at the derive.
    let fields_body = quote_spanned! {ident.span()=>
        static FIELDS: #std::sync::OnceLock<#fields_ident> = #std::sync::OnceLock::new();
        FIELDS.get_or_init(|| #fields_value)
    };
    let encode = value::encode(cont);
    let decode = value::decode(cont);
    let assertions = value::type_assertions(cont);
    let stored_path = value::stored_path_impl(cont);
    let version = super::version::items(cont);
    let delete_rules = super::delete_rules::expand(cont);

    let validate = cont.attrs.validate.map(|span| {
        quote_spanned! {span=>
            fn validate(&self) -> #std::result::Result<(), #core::error::ValidationErrors> {
                match #core::validator::Validate::validate(self) {
                    #std::result::Result::Ok(()) => #std::result::Result::Ok(()),
                    #std::result::Result::Err(e) => {
                        let mut errors = #core::error::ValidationErrors::from_validator(&e);
                        #core::value::derive_support::stored_validation_paths::<Self>(&mut errors);
                        #std::result::Result::Err(errors)
                    }
                }
            }
        }
    });

    let indexes = indexes::expand(cont);

    quote! {
        #fields_struct

        const _: () = {
            #[automatically_derived]
            impl #core::Document for #ident {
                const COLLECTION: &'static str = #collection;
                type Id = #id_ty;
                type Fields = #fields_ident;

                fn fields() -> &'static #fields_ident {
                    #fields_body
                }

                fn id(&self) -> #std::option::Option<&#id_ty> {
                    #id_getter
                }

                fn set_id(&mut self, id: #id_ty) {
                    #id_setter
                }

                fn to_document(&self) -> #std::result::Result<#bson::raw::RawDocumentBuf, #core::error::EncodeError> {
                    let mut __doc = #bson::raw::RawDocumentBuf::new();
                    #encode
                    #std::result::Result::Ok(__doc)
                }

                fn from_document(__doc: &#bson::raw::RawDocument) -> #std::result::Result<Self, #core::error::DecodeError> {
                    #decode
                }

                #validate

                #version

                #indexes
            }

            #[automatically_derived]
            impl #ident {
                /// The typed paths of this model's stored fields (`Self::fields().age`).
                #[allow(dead_code)]
                #vis fn fields() -> &'static #fields_ident {
                    <Self as #core::Document>::fields()
                }
            }

            #stored_path

            #assertions

            #delete_rules
        };
    }
}

/// What `#[derive(Document)]` emits beside its errors: an impl that keeps
/// the rest of the crate type-checking, so the user sees only the real errors.
pub fn stub(ident: &syn::Ident) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    quote! {
        const _: () = {
            impl #core::Document for #ident {
                const COLLECTION: &'static str = "";
                type Id = #bson::oid::ObjectId;
                type Fields = ();
                fn fields() -> &'static () {
                    &()
                }
                fn id(&self) -> #std::option::Option<&Self::Id> {
                    #std::option::Option::None
                }
                fn set_id(&mut self, _: Self::Id) {}
                fn to_document(&self) -> #std::result::Result<#bson::raw::RawDocumentBuf, #core::error::EncodeError> {
                    #std::result::Result::Err(#core::error::EncodeError::new("invalid #[derive(Document)]"))
                }
                fn from_document(_: &#bson::raw::RawDocument) -> #std::result::Result<Self, #core::error::DecodeError> {
                    #std::result::Result::Err(#core::error::DecodeError::invalid("invalid #[derive(Document)]"))
                }
            }
        };
    }
}

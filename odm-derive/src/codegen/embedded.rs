//! `#[derive(Embedded)]`: `IntoBson`, `FromBson`, `PathType` and `Embedded`
//! for a struct stored as a sub-document, or a unit-only enum stored as a string.

use proc_macro2::TokenStream;
use quote::quote;

use super::{bson, core, fields, std, value};
use crate::internals::ast::{Container, Data, Variant};

/// Everything `#[derive(Embedded)]` generates for a checked container.
pub fn expand(cont: &Container) -> TokenStream {
    match &cont.data {
        Data::Struct(_) => expand_struct(cont),
        Data::Enum(variants) => expand_enum(cont, variants),
    }
}

fn expand_struct(cont: &Container) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    let ident = cont.ident;
    let fields_ident = fields::fields_ident(ident);
    let fields_struct = fields::embedded_struct(cont);
    let fields_value = fields::embedded_value(cont);
    let encode = value::encode(cont);
    let decode = value::decode(cont);
    let assertions = value::type_assertions(cont);
    let stored_path = value::stored_path_impl(cont);
    let schema = super::schema::embedded_struct_impl(cont);
    quote! {
        #fields_struct

        const _: () = {
            #[automatically_derived]
            impl #core::value::IntoBson for #ident {
                fn to_raw(&self) -> #std::result::Result<#core::value::RawValue<'_>, #core::error::EncodeError> {
                    let mut __doc = #bson::raw::RawDocumentBuf::new();
                    #encode
                    #std::result::Result::Ok(#core::value::RawValue::Owned(
                        #bson::raw::RawBson::Document(__doc),
                    ))
                }
            }

            #[automatically_derived]
            impl #core::value::FromBson for #ident {
                const EXPECTED: &'static str = "object";

                fn from_raw(__value: #bson::raw::RawBsonRef<'_>) -> #std::result::Result<Self, #core::error::DecodeError> {
                    let __doc = match __value {
                        #bson::raw::RawBsonRef::Document(__doc) => __doc,
                        __other => {
                            return #std::result::Result::Err(#core::error::DecodeError::wrong_type(
                                "object",
                                __other.element_type(),
                            ));
                        }
                    };
                    #decode
                }
            }

            #[automatically_derived]
            impl #core::field::PathType for #ident {
                type Path<R: 'static, S: 'static> = #fields_ident<R, S>;

                fn path_at<R: 'static, S: 'static>(path: #core::field::Path) -> #fields_ident<R, S> {
                    #fields_value
                }
            }

            #[automatically_derived]
            impl #core::document::Embedded for #ident {}

            #schema

            #stored_path

            #assertions
        };
    }
}

fn expand_enum(cont: &Container, variants: &[Variant]) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    let ident = cont.ident;

    let to_name = variants.iter().map(|v| {
        let variant = v.ident;
        let name = &v.name;
        quote!(#ident::#variant => #name)
    });
    let from_name = variants.iter().map(|v| {
        let variant = v.ident;
        let names = std::iter::once(&v.name).chain(&v.aliases);
        quote!(#(#names)|* => #std::result::Result::Ok(#ident::#variant))
    });
    let accepted = variants
        .iter()
        .map(|v| format!("{:?}", v.name))
        .collect::<Vec<_>>()
        .join(", ");
    let unknown = format!("unknown variant {{:?}} of `{ident}`: expected one of {accepted}");
    let schema = super::schema::embedded_enum_impl(cont, variants);

    quote! {
        const _: () = {
            #[automatically_derived]
            impl #core::value::IntoBson for #ident {
                fn to_raw(&self) -> #std::result::Result<#core::value::RawValue<'_>, #core::error::EncodeError> {
                    let __name: &'static str = match *self {
                        #(#to_name,)*
                    };
                    #std::result::Result::Ok(#core::value::RawValue::Borrowed(
                        #bson::raw::RawBsonRef::String(__name),
                    ))
                }
            }

            #[automatically_derived]
            impl #core::value::FromBson for #ident {
                const EXPECTED: &'static str = "string";

                fn from_raw(__value: #bson::raw::RawBsonRef<'_>) -> #std::result::Result<Self, #core::error::DecodeError> {
                    match __value {
                        #bson::raw::RawBsonRef::String(__name) => match __name {
                            #(#from_name,)*
                            __other => #std::result::Result::Err(#core::error::DecodeError::invalid(
                                #std::format!(#unknown, __other),
                            )),
                        },
                        __other => #std::result::Result::Err(#core::error::DecodeError::wrong_type(
                            "string",
                            __other.element_type(),
                        )),
                    }
                }
            }

            #[automatically_derived]
            impl #core::field::PathType for #ident {
                type Path<R: 'static, S: 'static> = #core::field::Field<R, S>;

                fn path_at<R: 'static, S: 'static>(path: #core::field::Path) -> #core::field::Field<R, S> {
                    #core::field::Field::new(path)
                }
            }

            #[automatically_derived]
            impl #core::document::Embedded for #ident {}

            #schema
        };
    }
}

/// What `#[derive(Embedded)]` emits beside its errors, so that fields of
/// this type do not add errors of their own.
pub fn stub(ident: &syn::Ident) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    quote! {
        const _: () = {
            impl #core::value::IntoBson for #ident {
                fn to_raw(&self) -> #std::result::Result<#core::value::RawValue<'_>, #core::error::EncodeError> {
                    #std::result::Result::Err(#core::error::EncodeError::new("invalid #[derive(Embedded)]"))
                }
            }
            impl #core::value::FromBson for #ident {
                const EXPECTED: &'static str = "object";
                fn from_raw(_: #bson::raw::RawBsonRef<'_>) -> #std::result::Result<Self, #core::error::DecodeError> {
                    #std::result::Result::Err(#core::error::DecodeError::invalid("invalid #[derive(Embedded)]"))
                }
            }
            impl #core::field::PathType for #ident {
                type Path<R: 'static, S: 'static> = #core::field::Field<R, S>;
                fn path_at<R: 'static, S: 'static>(path: #core::field::Path) -> #core::field::Field<R, S> {
                    #core::field::Field::new(path)
                }
            }
            impl #core::document::Embedded for #ident {}
        };
    }
}

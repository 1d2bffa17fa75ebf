//! The field-by-field encoder and the one-pass decoder of a struct's stored
//! fields, shared by documents (`to_document`/`from_document`) and embedded
//! structs (`to_raw`/`from_raw`).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::{bson, core, std};
use crate::internals::ast::{Container, Field, FieldKind};
use crate::internals::attr::DefaultValue;

/// Statements appending every stored field to the `RawDocumentBuf` named
/// `__doc`: the id first, then the others in declaration order.
pub fn encode(cont: &Container) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    let fields = cont.fields();
    let ordered = fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Id { .. }))
        .chain(
            fields
                .iter()
                .filter(|f| !matches!(f.kind, FieldKind::Id { .. })),
        );
    let stmts = ordered.filter(|f| !f.attrs.skip_serializing).map(|f| {
        let ident = f.ident;
        let ty = f.ty;
        let key = syn::LitStr::new(&f.key, f.key_span);
        let cstr = quote!(#bson::raw::cstr!(#key));
        let append = match &f.kind {
            FieldKind::Skipped => return quote!(),
            FieldKind::Id {
                optional: Some(inner),
            } => quote_spanned! {ty.span()=>
                if let #std::option::Option::Some(__id) = &self.#ident {
                    (&#core::value::derive_support::Encode::<#inner>(__id)).encode_field(&mut __doc, #cstr)?;
                }
            },
            FieldKind::Id { optional: None } | FieldKind::Plain => quote_spanned! {ty.span()=>
                (&#core::value::derive_support::Encode::<#ty>(&self.#ident)).encode_field(&mut __doc, #cstr)?;
            },
            FieldKind::With(module) => quote_spanned! {module.span()=>
                let __raw = #module::to_raw(&self.#ident).map_err(|e| e.at(#key))?;
                __doc.append(#cstr, __raw.as_ref());
            },
            FieldKind::Serde => quote! {
                let __bson = #bson::serialize_to_bson(&self.#ident)
                    .map_err(|e| #core::error::EncodeError::new(#std::string::ToString::to_string(&e)).at(#key))?;
                let __raw = <#bson::raw::RawBson as #std::convert::TryFrom<#bson::Bson>>::try_from(__bson)
                    .map_err(|e| #core::error::EncodeError::new(#std::string::ToString::to_string(&e)).at(#key))?;
                __doc.append(#cstr, __raw);
            },
        };
        match &f.attrs.skip_serializing_if {
            Some(predicate) => quote! {
                if !#predicate(&self.#ident) {
                    #append
                }
            },
            None => quote!({ #append }),
        }
    });
    quote! {
        #[allow(unused_imports)]
        use #core::value::derive_support::{EncodeField as _, EncodeFieldFallback as _};
        #(#stmts)*
    }
}

fn slot(index: usize) -> Ident {
    format_ident!("__field{}", index)
}

/// Statements reading the `&RawDocument` named `__doc` in one pass over its
/// elements, ending in `Ok(Self { .. })`.
pub fn decode(cont: &Container) -> TokenStream {
    let core = core();
    let std = std();
    let fields = cont.fields();

    let slots = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| reads(f))
        .map(|(i, f)| {
            let slot = slot(i);
            let ty = f.ty;
            quote!(let mut #slot: #std::option::Option<#ty> = #std::option::Option::None;)
        });

    let arms = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_stored())
        .map(|(i, f)| {
            let slot = slot(i);
            let keys = std::iter::once(f.key.clone())
                .chain(f.attrs.aliases.iter().map(|a| a.value()))
                .map(|k| syn::LitByteStr::new(k.as_bytes(), f.key_span));
            let key = syn::LitStr::new(&f.key, f.key_span);
            if !reads(f) {
                return quote!(#(#keys)|* => {});
            }
            let value = decode_value(f, &key);
            quote!(#(#keys)|* => { #slot = #std::option::Option::Some(#value); })
        });

    let unknown = if cont.attrs.deny_unknown_fields {
        quote! {
            _ => {
                return #std::result::Result::Err(
                    #core::error::DecodeError::new(#core::error::DecodeErrorKind::UnknownField)
                        .at(__element.key()?),
                );
            }
        }
    } else {
        quote!(_ => {})
    };

    let container_default = container_default(cont);

    let inits = fields.iter().enumerate().map(|(i, f)| {
        let ident = f.ident;
        let value = if reads(f) {
            let slot = slot(i);
            let missing = missing_value(f);
            quote! {
                match #slot {
                    #std::option::Option::Some(__v) => __v,
                    #std::option::Option::None => #missing,
                }
            }
        } else {
            default_expr(&f.attrs.default, f.ty.span())
        };
        quote!(#ident: #value)
    });

    quote! {
        #[allow(unused_imports)]
        use #core::value::derive_support::{DecodeField as _, DecodeFieldFallback as _};
        #(#slots)*
        for __element in #core::value::Elements::of(__doc) {
            let __element = __element?;
            match __element.raw_key() {
                #(#arms)*
                #unknown
            }
        }
        #container_default
        #std::result::Result::Ok(Self { #(#inits),* })
    }
}

/// Whether the field's value is read from the document.
fn reads(f: &Field) -> bool {
    f.is_stored() && !f.attrs.skip_deserializing
}

fn decode_value(f: &Field, key: &syn::LitStr) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    let ty = f.ty;
    match &f.kind {
        FieldKind::Id { .. } | FieldKind::Plain => quote_spanned! {ty.span()=>
            (&#core::value::derive_support::Decode::<#ty>::new()).decode_field(#key, __element)?
        },
        FieldKind::With(module) => quote_spanned! {module.span()=>
            __element.value().and_then(#module::from_raw).map_err(|e| e.at(#key))?
        },
        FieldKind::Serde => quote! {{
            let __bson = __element.value().and_then(|__value| {
                <#bson::Bson as #std::convert::TryFrom<#bson::raw::RawBsonRef<'_>>>::try_from(__value)
                    .map_err(<#core::error::DecodeError as #std::convert::From<_>>::from)
            }).map_err(|e| e.at(#key))?;
            #bson::deserialize_from_bson::<#ty>(__bson)
                .map_err(|e| #core::error::DecodeError::invalid(#std::string::ToString::to_string(&e)).at(#key))?
        }},
        FieldKind::Skipped => default_expr(&f.attrs.default, ty.span()),
    }
}

/// The value of a field absent from the document.
fn missing_value(f: &Field) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    let ty = f.ty;
    let key = syn::LitStr::new(&f.key, f.key_span);
    if !f.attrs.default.is_none() {
        return default_expr(&f.attrs.default, ty.span());
    }
    match &f.kind {
        FieldKind::Id { .. } | FieldKind::Plain | FieldKind::Skipped => quote_spanned! {ty.span()=>
            (&#core::value::derive_support::Decode::<#ty>::new()).missing_field(#key)?
        },
        FieldKind::With(_) => quote! {
            return #std::result::Result::Err(#core::error::DecodeError::missing("a value").at(#key))
        },
        // serde's own rule: a missing field is read from nothing, which an
        // `Option` (or a unit) accepts and anything else refuses.
        FieldKind::Serde => quote! {
            match #bson::deserialize_from_bson::<#ty>(#bson::Bson::Null) {
                #std::result::Result::Ok(__v) => __v,
                #std::result::Result::Err(_) => {
                    return #std::result::Result::Err(
                        #core::error::DecodeError::missing("a value").at(#key),
                    );
                }
            }
        },
    }
}

fn default_expr(default: &DefaultValue, span: Span) -> TokenStream {
    let std = std();
    match default {
        DefaultValue::Path(path) => quote_spanned!(path.span()=> #path()),
        DefaultValue::Trait(span) => quote_spanned!(*span=> #std::default::Default::default()),
        DefaultValue::None => quote_spanned!(span=> #std::default::Default::default()),
    }
}

/// serde's container `default`: fields absent from the document (and without
/// a default of their own) take their value from one default instance,
/// built only when some field is absent.
fn container_default(cont: &Container) -> TokenStream {
    let std = std();
    let build = match &cont.attrs.default {
        DefaultValue::None => return quote!(),
        DefaultValue::Trait(span) => {
            quote_spanned!(*span=> <Self as #std::default::Default>::default())
        }
        DefaultValue::Path(path) => quote!(#path()),
    };
    let candidates: Vec<(Ident, &Ident)> = cont
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| reads(f) && f.attrs.default.is_none())
        .map(|(i, f)| (slot(i), f.ident))
        .collect();
    if candidates.is_empty() {
        return quote!();
    }
    let checks = candidates.iter().map(|(slot, _)| quote!(#slot.is_none()));
    let fills = candidates.iter().map(|(slot, ident)| {
        quote! {
            if #slot.is_none() {
                #slot = #std::option::Option::Some(__default.#ident);
            }
        }
    });
    quote! {
        if #(#checks)||* {
            let __default: Self = #build;
            #(#fills)*
        }
    }
}

/// Compile-time checks that each field's type is storable, spanned at the
/// type, so a wrong type errors at the field with the trait's message
/// rather than somewhere inside the derive's output.
pub fn type_assertions(cont: &Container) -> TokenStream {
    let core = core();
    let std = std();
    let checks = cont.fields().iter().map(|f| {
        let ty = f.ty;
        match &f.kind {
            // `type Id = ..` already requires `IdValue`, at the field's type.
            FieldKind::Id { .. } => quote!(),
            FieldKind::Plain => quote_spanned!(ty.span()=>
                __odm_into::<#ty>();
                __odm_from::<#ty>();
            ),
            _ => quote!(),
        }
    });
    quote! {
        #[allow(dead_code, clippy::extra_unused_type_parameters)]
        fn __odm_assert_field_types() {
            fn __odm_into<T: ?#std::marker::Sized + #core::value::IntoBson>() {}
            fn __odm_from<T: #core::value::FromBson>() {}
            #(#checks)*
        }
    }
}

/// `impl StoredPath`: validator names paths after Rust fields; this maps
/// them to stored keys, descending into the field types.
pub fn stored_path_impl(cont: &Container) -> TokenStream {
    let core = core();
    let std = std();
    let ident = cont.ident;
    let support = quote!(#core::value::derive_support);
    let arms = cont.fields().iter().filter(|f| f.is_stored()).map(|f| {
        let rust = syn::LitStr::new(&f.ident.unraw().to_string(), f.ident.span());
        let key = syn::LitStr::new(&f.key, f.key_span);
        let ty = f.ty;
        quote! {
            #rust => {
                __out.push_str(#key);
                if let #std::option::Option::Some(__rest) = __rest {
                    __out.push('.');
                    (&#support::Names::<#ty>::new()).push_path(__rest, __out);
                }
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #support::StoredPath for #ident {
            fn stored_path(__rust: &str, __out: &mut #std::string::String) {
                #[allow(unused_imports)]
                use #support::{NamesField as _, NamesFieldFallback as _};
                let (__head, __rest) = match __rust.split_once('.') {
                    #std::option::Option::Some((__head, __rest)) => (__head, #std::option::Option::Some(__rest)),
                    #std::option::Option::None => (__rust, #std::option::Option::None),
                };
                match __head {
                    #(#arms)*
                    _ => __out.push_str(__rust),
                }
            }
        }
    }
}

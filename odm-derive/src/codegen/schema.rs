//! What the derives generate about a type's schema: a document's
//! `json_schema`, `field_rules` (for `#[odm(validate)]` models) and
//! `check_document`; an embedded type's `BsonSchema`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{bson, core, std};
use crate::internals::ast::{Container, Field, FieldKind, Variant};
use crate::internals::validate::Validate;

/// The schema methods inside `impl Document`.
pub fn document_methods(cont: &Container) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    let schema = object_schema(cont);
    let check = check_document(cont);
    let rules = cont.attrs.validate.map(|_| {
        let collect = collect_rules(cont, None);
        quote! {
            fn field_rules() -> &'static [#core::schema::FieldRule] {
                static RULES: #std::sync::OnceLock<#std::vec::Vec<#core::schema::FieldRule>> =
                    #std::sync::OnceLock::new();
                RULES.get_or_init(|| {
                    let mut __rules = #std::vec::Vec::new();
                    let __out = &mut __rules;
                    #collect
                    __rules
                })
            }
        }
    });
    quote! {
        fn json_schema() -> #bson::Document {
            #schema
        }

        fn check_document(__doc: &#bson::raw::RawDocument) -> #std::vec::Vec<#core::error::DecodeError> {
            let mut __all = #std::vec::Vec::new();
            {
                let __problems = &mut __all;
                #check
            }
            __all
        }

        #rules
    }
}

/// `impl BsonSchema` for an embedded struct.
pub fn embedded_struct_impl(cont: &Container) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    let ident = cont.ident;
    let schema = object_schema(cont);
    let collect = collect_rules(cont, Some(&quote!(__prefix)));
    let check = check_document(cont);
    quote! {
        #[automatically_derived]
        impl #core::schema::check::DeepCheck for #ident {
            fn deep_check(
                __value: #bson::raw::RawBsonRef<'_>,
                __problems: &mut #std::vec::Vec<#core::error::DecodeError>,
            ) {
                let __doc = match __value {
                    #bson::raw::RawBsonRef::Document(__doc) => __doc,
                    __other => {
                        __problems.push(#core::error::DecodeError::wrong_type(
                            "object",
                            __other.element_type(),
                        ));
                        return;
                    }
                };
                #check
            }
        }

        #[automatically_derived]
        impl #core::schema::BsonSchema for #ident {
            fn bson_schema() -> #bson::Document {
                #schema
            }

            fn collect_rules(
                __prefix: &str,
                __out: &mut #std::vec::Vec<#core::schema::FieldRule>,
            ) {
                #collect
            }
        }
    }
}

/// `impl BsonSchema` for an embedded enum: a string among the stored names.
pub fn embedded_enum_impl(cont: &Container, variants: &[Variant]) -> TokenStream {
    let core = core();
    let bson = bson();
    let ident = cont.ident;
    let names = variants.iter().map(|v| &v.name);
    quote! {
        #[automatically_derived]
        impl #core::schema::BsonSchema for #ident {
            fn bson_schema() -> #bson::Document {
                #bson::doc! {"bsonType": "string", "enum": [#(#names),*]}
            }
        }
    }
}

fn key_lit(f: &Field) -> syn::LitStr {
    syn::LitStr::new(&f.key, f.key_span)
}

/// `{bsonType: "object", required, properties, additionalProperties}`.
fn object_schema(cont: &Container) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    let json = quote!(#core::schema::json);
    let container_default = !cont.attrs.default.is_none();
    let fields = cont.fields().iter().filter(|f| f.is_stored()).map(|f| {
        let key = key_lit(f);
        let rules = rule_exprs(&f.validate);
        let optional_by_attr = container_default
            || !f.attrs.default.is_none()
            || f.attrs.skip_serializing
            || f.attrs.skip_deserializing
            || f.attrs.skip_serializing_if.is_some();
        let (schema, required) = match &f.kind {
            // The server gives every stored document an `_id`.
            FieldKind::Id {
                optional: Some(inner),
            } => (
                quote!((&&&#json::Probe::<#inner>::new()).schema()),
                quote!(true),
            ),
            FieldKind::Id { optional: None } => {
                let ty = f.ty;
                (
                    quote!((&&&#json::Probe::<#ty>::new()).schema()),
                    quote!(true),
                )
            }
            FieldKind::Plain => {
                let ty = f.ty;
                (
                    quote!((&&&#json::Probe::<#ty>::new()).schema()),
                    quote!(!#optional_by_attr && (&&&#json::Probe::<#ty>::new()).required()),
                )
            }
            // Stored by code odm cannot see into: anything, not required.
            FieldKind::With(_) | FieldKind::Serde | FieldKind::Skipped => {
                (quote!(#bson::Document::new()), quote!(false))
            }
        };
        quote! {{
            let mut __schema = #schema;
            #json::apply_rules(&mut __schema, &[#(#rules),*]);
            __fields.push((#key, __schema, #required));
        }}
    });
    let deny = cont.attrs.deny_unknown_fields;
    quote! {{
        #[allow(unused_imports)]
        use #json::{SchemaOf as _, SchemaOfAnything as _, SchemaOfFallback as _};
        let mut __fields: #std::vec::Vec<(&str, #bson::Document, bool)> = #std::vec::Vec::new();
        #(#fields)*
        #json::object_schema(__fields, #deny)
    }}
}

/// Statements pushing a struct's rules into `__out`, under `prefix` (an
/// expression of type `&str`; `None` at the document's root).
fn collect_rules(cont: &Container, prefix: Option<&TokenStream>) -> TokenStream {
    let core = core();
    let std = std();
    let json = quote!(#core::schema::json);
    let stmts = cont
        .fields()
        .iter()
        .filter(|f| f.is_stored())
        .map(|f| {
            let key = key_lit(f);
            let rules = rule_exprs(&f.validate);
            let ty = match &f.kind {
                FieldKind::Id {
                    optional: Some(inner),
                } => *inner,
                _ => f.ty,
            };
            let nested = (f.validate.nested && matches!(f.kind, FieldKind::Plain))
                .then(|| quote!((&&&#json::Probe::<#ty>::new()).nested_rules(&__path, __out);));
            if !f.validate.has_rules() && nested.is_none() {
                return quote!();
            }
            let path = match prefix {
                Some(prefix) => quote!(#std::format!("{}.{}", #prefix, #key)),
                None => quote!(#std::string::String::from(#key)),
            };
            quote! {{
                let __path: #std::string::String = #path;
                #(__out.push(#core::schema::FieldRule::new(__path.clone(), #rules));)*
                #nested
            }}
        })
        .collect::<Vec<_>>();
    quote! {
        #[allow(unused_imports)]
        use #json::{SchemaOf as _, SchemaOfAnything as _, SchemaOfFallback as _};
        #(#stmts)*
    }
}

/// The `odm::schema::Rule` expressions of a field's attributes.
fn rule_exprs(v: &Validate) -> Vec<TokenStream> {
    let core = core();
    let std = std();
    let rules = quote!(#core::schema::rules);
    let some = |e: &Option<syn::Expr>, f: &dyn Fn(&syn::Expr) -> TokenStream| match e {
        Some(e) => {
            let v = f(e);
            quote!(#std::option::Option::Some(#v))
        }
        None => quote!(#std::option::Option::None),
    };
    let mut out = Vec::new();
    if let Some(r) = &v.range {
        let min = some(&r.min, &bound);
        let max = some(&r.max, &bound);
        let exclusive_min = some(&r.exclusive_min, &bound);
        let exclusive_max = some(&r.exclusive_max, &bound);
        out.push(quote!(#rules::Rule::Range {
            min: #min,
            max: #max,
            exclusive_min: #exclusive_min,
            exclusive_max: #exclusive_max,
        }));
    }
    if let Some(l) = &v.length {
        let count = |e: &syn::Expr| quote!(#rules::count(#e));
        let min = some(&l.min, &count);
        let max = some(&l.max, &count);
        let equal = some(&l.equal, &count);
        out.push(quote!(#rules::Rule::Length { min: #min, max: #max, equal: #equal }));
    }
    if let Some(path) = &v.regex {
        let regex = quote!(#core::validator::AsRegex::as_regex(&#path));
        out.push(quote!(#rules::Rule::Pattern {
            pattern: #std::string::ToString::to_string(#regex.as_str()),
            matches: |__s: &str| #regex.is_match(__s),
        }));
    }
    if v.email {
        out.push(quote!(#rules::Rule::Email));
    }
    if v.url {
        out.push(quote!(#rules::Rule::Url));
    }
    out
}

/// A `Bound`: integer and float literals keep their kind exactly; any
/// other expression goes through `Bound::from`.
fn bound(e: &syn::Expr) -> TokenStream {
    let core = core();
    let bound = quote!(#core::schema::Bound);
    let (negative, lit) = match e {
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            syn::Expr::Lit(l) => (true, &l.lit),
            _ => return quote!(#bound::from(#e)),
        },
        syn::Expr::Lit(l) => (false, &l.lit),
        _ => return quote!(#bound::from(#e)),
    };
    let sign = negative.then(|| quote!(-));
    match lit {
        syn::Lit::Int(i) => {
            let lit = syn::LitInt::new(&format!("{}i64", i.base10_digits()), i.span());
            quote!(#bound::Int(#sign #lit))
        }
        syn::Lit::Float(f) => {
            let lit = syn::LitFloat::new(&format!("{}f64", f.base10_digits()), f.span());
            quote!(#bound::Float(#sign #lit))
        }
        _ => quote!(#bound::from(#e)),
    }
}

/// Statements checking the `&RawDocument` named `__doc`, pushing every
/// problem to `__problems` (a `&mut Vec<DecodeError>`): every field read on
/// its own, and embedded values field by field.
fn check_document(cont: &Container) -> TokenStream {
    let core = core();
    let bson = bson();
    let std = std();
    let support = quote!(#core::value::derive_support);
    let error = quote!(#core::error::DecodeError);
    let fields = cont.fields();
    let reads = |f: &Field| f.is_stored() && !f.attrs.skip_deserializing;
    let container_default = !cont.attrs.default.is_none();
    // Whether a missing field is a problem, and so whether its presence is noted.
    let needed = |f: &Field| reads(f) && f.attrs.default.is_none() && !container_default;
    let seen_ident = |i: usize| format_ident!("__seen{}", i);

    let flags = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| needed(f))
        .map(|(i, _)| {
            let seen = seen_ident(i);
            quote!(let mut #seen = false;)
        });
    let arms = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_stored())
        .map(|(i, f)| {
            let keys = std::iter::once(f.key.clone())
                .chain(f.attrs.aliases.iter().map(|a| a.value()))
                .map(|k| syn::LitStr::new(&k, f.key_span));
            if !reads(f) {
                return quote!(#(#keys)|* => {});
            }
            let key = key_lit(f);
            let ty = f.ty;
            let seen = needed(f).then(|| {
                let seen = seen_ident(i);
                quote!(#seen = true;)
            });
            let decode = match &f.kind {
                FieldKind::With(module) => quote! {
                    #module::from_raw(__value).map(|_| ()).map_err(|e| e.at(#key))
                },
                FieldKind::Serde => quote! {
                    match <#bson::Bson as #std::convert::TryFrom<#bson::raw::RawBsonRef<'_>>>::try_from(__value) {
                        #std::result::Result::Ok(__bson) => #bson::deserialize_from_bson::<#ty>(__bson)
                            .map(|_| ())
                            .map_err(|e| #error::invalid(#std::string::ToString::to_string(&e)).at(#key)),
                        #std::result::Result::Err(e) => #std::result::Result::Err(
                            <#error as #std::convert::From<_>>::from(e).at(#key),
                        ),
                    }
                },
                _ => {
                    return quote! {
                        #(#keys)|* => {
                            #seen
                            (&&&#core::schema::check::CheckProbe::<#ty>::new())
                                .check_field(#key, __value, __problems);
                        }
                    };
                }
            };
            quote! {
                #(#keys)|* => {
                    #seen
                    if let #std::result::Result::Err(e) = #decode {
                        __problems.push(e);
                    }
                }
            }
        });
    let unknown = if cont.attrs.deny_unknown_fields {
        quote! {
            __key => __problems.push(
                #error::new(#core::error::DecodeErrorKind::UnknownField).at(__key),
            ),
        }
    } else {
        quote!(_ => {})
    };
    let missing = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| needed(f))
        .map(|(i, f)| {
            let key = key_lit(f);
            let ty = f.ty;
            let seen = seen_ident(i);
            let missing = match &f.kind {
                FieldKind::With(_) => quote! {
                    #std::result::Result::Err::<(), _>(#error::missing("a value").at(#key))
                },
                FieldKind::Serde => quote! {
                    #bson::deserialize_from_bson::<#ty>(#bson::Bson::Null)
                        .map(|_| ())
                        .map_err(|_| #error::missing("a value").at(#key))
                },
                _ => quote! {
                    (&#support::Decode::<#ty>::new()).missing_field(#key).map(|_| ())
                },
            };
            quote! {
                if !#seen {
                    if let #std::result::Result::Err(e) = #missing {
                        __problems.push(e);
                    }
                }
            }
        });
    quote! {
        #[allow(unused_imports)]
        use #support::{DecodeField as _, DecodeFieldFallback as _};
        #[allow(unused_imports)]
        use #core::schema::check::{CheckDecode as _, CheckDeep as _, CheckNothing as _};
        #(#flags)*
        // Unreadable bytes end the check: what follows them is unknown.
        let mut __malformed = false;
        for __element in __doc {
            let (__key, __value) = match __element {
                #std::result::Result::Ok(__kv) => __kv,
                #std::result::Result::Err(e) => {
                    __problems.push(<#error as #std::convert::From<_>>::from(e));
                    __malformed = true;
                    break;
                }
            };
            match __key.as_str() {
                #(#arms)*
                #unknown
            }
        }
        if !__malformed {
            #(#missing)*
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use crate::expand::{derive_document, derive_embedded};

    #[test]
    fn field_rules_only_for_validated_models() {
        let with = derive_document(parse_quote! {
            #[odm(validate)]
            struct M {
                id: i64,
                #[validate(range(min = -3, max = 2.5))]
                n: f64,
            }
        })
        .to_string();
        assert!(with.contains("fn field_rules"), "{with}");
        assert!(with.contains("Bound :: Int (- 3i64)"), "{with}");
        assert!(with.contains("Bound :: Float (2.5f64)"), "{with}");
        let without = derive_document(parse_quote! {
            struct M {
                id: i64,
                #[validate(range(min = 0))]
                n: i32,
            }
        })
        .to_string();
        assert!(!without.contains("fn field_rules"));
        assert!(without.contains("fn json_schema"));
    }

    #[test]
    fn embedded_types_get_a_schema_and_a_deep_check() {
        let out = derive_embedded(parse_quote! {
            struct Address {
                #[validate(length(equal = 5))]
                zip: String,
            }
        })
        .to_string();
        assert!(out.contains("BsonSchema for Address"), "{out}");
        assert!(out.contains("DeepCheck for Address"), "{out}");
        let out = derive_embedded(parse_quote! {
            enum Tier { Free, Paid }
        })
        .to_string();
        assert!(out.contains("\"enum\""), "{out}");
        assert!(!out.contains("DeepCheck"), "{out}");
    }
}

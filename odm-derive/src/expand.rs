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

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn errors(output: &TokenStream) -> Vec<String> {
        // `compile_error! { "message" }`, one per reported mistake.
        let text = output.to_string();
        text.split("compile_error !")
            .skip(1)
            .map(|rest| rest.split('"').nth(1).unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn a_valid_model_has_no_errors() {
        let out = derive_document(parse_quote! {
            #[odm(collection = "people", validate)]
            struct Person {
                id: Option<ObjectId>,
                #[serde(rename = "n")]
                name: String,
                #[odm(skip)]
                cache: u8,
            }
        });
        assert!(errors(&out).is_empty(), "{out}");
        let text = out.to_string();
        assert!(text.contains("\"people\""));
        assert!(text.contains("PersonFields"));
        assert!(text.contains("cstr ! (\"n\")"), "{text}");
        assert!(
            !text.contains("cstr ! (\"cache\")"),
            "skipped fields are not stored"
        );
    }

    #[test]
    fn every_mistake_is_reported_once() {
        let out = derive_document(parse_quote! {
            #[odm(colection = "x", validate = 1)]
            struct Bad {
                #[odm(id, skip)]
                a: i64,
                #[odm(id)]
                b: i64,
                #[serde(flatten)]
                c: Extra,
                #[odm(rename = "d")]
                e: i32,
                d: i32,
                #[odm(rename = "x.y")]
                f: i32,
            }
        });
        let errors = errors(&out);
        assert_eq!(errors.len(), 7, "{errors:#?}");
        assert!(errors
            .iter()
            .any(|e| e.contains("unknown odm attribute `colection`")));
        assert!(errors
            .iter()
            .any(|e| e.contains("`validate` takes no value")));
        assert!(errors.iter().any(|e| e.contains("cannot be skipped")));
        assert!(errors.iter().any(|e| e.contains("a document has one id")));
        assert!(errors.iter().any(|e| e.contains("flatten")));
        assert!(errors.iter().any(|e| e.contains("both stored as `d`")));
        assert!(errors.iter().any(|e| e.contains("cannot contain `.`")));
        // The stub keeps the rest of the crate compiling.
        assert!(out
            .to_string()
            .contains("impl :: odm :: __private :: odm_core :: Document for Bad"));
    }

    #[test]
    fn embedded_rejects_document_attributes() {
        let out = derive_embedded(parse_quote! {
            #[odm(collection = "x")]
            struct Address {
                #[odm(id)]
                id: i64,
            }
        });
        assert_eq!(errors(&out).len(), 2, "{out}");
    }

    #[test]
    fn enums_store_variant_names() {
        let out = derive_embedded(parse_quote! {
            #[serde(rename_all = "kebab-case")]
            enum Status {
                InStock,
                #[odm(rename = "gone")]
                SoldOut,
            }
        });
        assert!(errors(&out).is_empty(), "{out}");
        let text = out.to_string();
        assert!(text.contains("\"in-stock\""));
        assert!(text.contains("\"gone\""));
        assert!(!text.contains("\"sold-out\""));
    }

    #[test]
    fn separate_serde_names_are_refused() {
        let out = derive_document(parse_quote! {
            struct M {
                id: i64,
                #[serde(rename(serialize = "a", deserialize = "b"))]
                x: i32,
            }
        });
        let errors = errors(&out);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("one name for both directions"));
    }
}

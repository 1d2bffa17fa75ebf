//! The structs of typed paths: `UserFields` for a document (`User::fields().age`)
//! and `AddressFields<R, S>` for an embedded struct, nested under its parent's
//! path (`User::fields().address.city` is `address.city`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::{core, std};
use crate::internals::ast::{Container, Field, FieldKind};

/// The name of the paths struct of `ident`.
pub fn fields_ident(ident: &syn::Ident) -> syn::Ident {
    format_ident!("{}Fields", ident)
}

/// The type of one field's path, rooted at model `root`.
fn path_type(f: &Field, root: &TokenStream) -> TokenStream {
    let core = core();
    let ty = f.ty;
    match f.kind {
        // Stored through a module or serde, the type has no paths of its
        // own; an id needs only `IdValue`, and `_id` is queried as a whole.
        FieldKind::With(_) | FieldKind::Serde | FieldKind::Id { .. } => {
            quote!(#core::field::Field<#root, #ty>)
        }
        _ => quote_spanned!(ty.span()=> <#ty as #core::field::PathType>::Path<#root, #ty>),
    }
}

/// The expression building one field's path at `path` (a `Path`).
fn path_value(f: &Field, root: &TokenStream, path: TokenStream) -> TokenStream {
    let core = core();
    let ty = f.ty;
    match f.kind {
        FieldKind::With(_) | FieldKind::Serde | FieldKind::Id { .. } => {
            quote!(#core::field::Field::new(#path))
        }
        _ => quote_spanned!(ty.span()=>
            <#ty as #core::field::PathType>::path_at::<#root, #ty>(#path)
        ),
    }
}

fn doc_for(f: &Field, prefix: &str) -> String {
    format!(" Stored at `{prefix}{}`.", f.key)
}

/// `pub struct UserFields { .. }` for a document.
pub fn document_struct(cont: &Container) -> TokenStream {
    let ident = cont.ident;
    let vis = cont.vis;
    let fields_ident = fields_ident(ident);
    let root = quote!(#ident);
    let doc =
        format!(" The typed paths of the stored fields of [`{ident}`], from `{ident}::fields()`.");
    let members = cont.fields().iter().filter(|f| f.is_stored()).map(|f| {
        let name = f.ident;
        let ty = path_type(f, &root);
        let doc = doc_for(f, "");
        quote!(#[doc = #doc] pub #name: #ty)
    });
    quote! {
        #[doc = #doc]
        #[allow(missing_docs)]
        #vis struct #fields_ident {
            #(#members,)*
        }
    }
}

/// The expression building a document's `UserFields`.
pub fn document_value(cont: &Container) -> TokenStream {
    let core = core();
    let ident = cont.ident;
    let fields_ident = fields_ident(ident);
    let root = quote!(#ident);
    let members = cont.fields().iter().filter(|f| f.is_stored()).map(|f| {
        let name = f.ident;
        let key = syn::LitStr::new(&f.key, f.key_span);
        let value = path_value(f, &root, quote!(#core::field::Path::from_static(#key)));
        quote!(#name: #value)
    });
    quote_spanned!(ident.span()=> #fields_ident { #(#members,)* })
}

/// `pub struct AddressFields<R, S> { .. }` for an embedded struct, with its
/// `Deref` to the path of the whole sub-document.
pub fn embedded_struct(cont: &Container) -> TokenStream {
    let core = core();
    let std = std();
    let ident = cont.ident;
    let vis = cont.vis;
    let fields_ident = fields_ident(ident);
    let root = quote!(R);
    let doc = format!(
        " The typed paths of the stored fields of [`{ident}`], under the path of the field \
         that holds it. `R` is the document, `S` the Rust type at the path; it dereferences \
         to the path of the whole sub-document."
    );
    let members = cont.fields().iter().filter(|f| f.is_stored()).map(|f| {
        let name = f.ident;
        let ty = path_type(f, &root);
        let doc = doc_for(f, "<path>.");
        quote!(#[doc = #doc] pub #name: #ty)
    });
    quote! {
        #[doc = #doc]
        #[allow(missing_docs)]
        #vis struct #fields_ident<R: 'static, S: 'static> {
            #(#members,)*
            __self: #core::field::Field<R, S>,
        }

        #[automatically_derived]
        impl<R: 'static, S: 'static> #std::ops::Deref for #fields_ident<R, S> {
            type Target = #core::field::Field<R, S>;
            fn deref(&self) -> &Self::Target {
                &self.__self
            }
        }
    }
}

/// The body of `PathType::path_at` for an embedded struct (`path` in scope).
pub fn embedded_value(cont: &Container) -> TokenStream {
    let core = core();
    let fields_ident = fields_ident(cont.ident);
    let root = quote!(R);
    let members = cont.fields().iter().filter(|f| f.is_stored()).map(|f| {
        let name = f.ident;
        let key = syn::LitStr::new(&f.key, f.key_span);
        let value = path_value(f, &root, quote!(path.join(#key)));
        quote!(#name: #value)
    });
    quote!(#fields_ident { #(#members,)* __self: #core::field::Field::new(path) })
}

//! Cross-field rules, checked on the IR before any code is generated. Each
//! rule is one function; each says why it exists.

use std::collections::HashMap;

use proc_macro2::Span;

use super::ast::{Container, Data, Derive, FieldKind};
use super::ctxt::Ctxt;

/// Run every rule; all violations are reported.
pub fn check(cx: &Ctxt, cont: &Container) {
    no_generics(cx, cont);
    match cont.derive {
        Derive::Document => {
            one_id(cx, cont);
            id_is_stored_as_is(cx, cont);
            only_the_id_is_underscore_id(cx, cont);
            one_plain_integer_version(cx, cont);
            known_delete_rules(cx, cont);
        }
        Derive::Embedded => document_only_attributes(cx, cont),
    }
    no_flatten(cx, cont);
    serde_with_needs_odm_serde(cx, cont);
    one_storage_per_field(cx, cont);
    stored_keys_are_valid(cx, cont);
    stored_keys_are_unique(cx, cont);
    variant_names_are_unique(cx, cont);
    super::index::check(cx, cont);
}

/// Generated impls name the type without parameters, and typed paths are
/// built once in a `static`, which cannot depend on a type parameter.
fn no_generics(cx: &Ctxt, cont: &Container) {
    if let Some(param) = cont.generics.params.first() {
        cx.error_spanned_by(
            cont.generics,
            format!(
                "odm derives do not support generic parameters (`{}`): a model's stored shape \
                 and its typed paths must be fixed; use a concrete type, or a type alias for \
                 each instantiation wrapped in its own struct",
                quote::quote!(#param)
            ),
        );
    } else if let Some(where_clause) = &cont.generics.where_clause {
        cx.error_spanned_by(where_clause, "odm derives do not support `where` clauses");
    }
}

/// A document is found, replaced and deleted by `_id`: it must have exactly one.
fn one_id(cx: &Ctxt, cont: &Container) {
    if let Data::Struct(fields) = &cont.data {
        if cont.id().is_none() {
            cx.error_spanned_by(
                cont.ident,
                format!(
                    "`{}` has no id: add a field `id: Option<ObjectId>` (generated on insert), \
                     or mark the id field with #[odm(id)]; it is stored as `_id`",
                    cont.ident
                ),
            );
        }
        for extra in fields
            .iter()
            .filter(|f| f.attrs.id.is_some() && !matches!(f.kind, FieldKind::Id { .. }))
        {
            let first = cont.id().map(|f| f.ident.to_string()).unwrap_or_default();
            cx.error_spanned_by(
                extra.ident,
                format!(
                    "a document has one id, and `{first}` is already marked #[odm(id)]; \
                     remove #[odm(id)] from `{}` (for a second unique field, use #[odm(unique)])",
                    extra.ident
                ),
            );
        }
    }
}

/// The id is always `_id` and always stored through its `IdValue` impl, so
/// attributes that would change that are contradictions.
fn id_is_stored_as_is(cx: &Ctxt, cont: &Container) {
    let Some(id) = cont.id() else { return };
    let a = &id.attrs;
    let conflicts: [(Option<Span>, &str); 4] = [
        (a.skip, "an id cannot be skipped: every document is stored with its `_id`"),
        (
            a.with.as_ref().map(syn::spanned::Spanned::span),
            "an id is stored through its `IdValue` impl, not `#[odm(with)]`; implement `IdValue` for a newtype instead",
        ),
        (
            a.serde,
            "an id is stored through its `IdValue` impl, not `#[odm(serde)]`; implement `IdValue` for a newtype instead",
        ),
        (
            a.flatten,
            "an id cannot be flattened",
        ),
    ];
    for (span, message) in conflicts {
        if let Some(span) = span {
            cx.syn_error(syn::Error::new(span, message));
        }
    }
    // `#[serde(rename)]` is allowed (serde's own wire name); odm's is not,
    // since odm's rename would only ever say something false.
    if let Some(lit) = &a.rename {
        if a.odm_rename {
            cx.error_spanned_by(
                lit,
                "the id is always stored as `_id`: remove #[odm(rename)]",
            );
        }
    }
}

/// `_id` is the primary key: a second field stored there would overwrite it.
fn only_the_id_is_underscore_id(cx: &Ctxt, cont: &Container) {
    for f in cont.fields() {
        if f.key == "_id" && !matches!(f.kind, FieldKind::Id { .. }) {
            cx.syn_error(syn::Error::new(
                f.key_span,
                "only the id is stored as `_id`: mark this field #[odm(id)] instead of renaming it",
            ));
        }
    }
}

/// Optimistic concurrency reads, matches and increments one integer: a
/// second version field, or one stored some other way, could not be kept in
/// step with the one the filter matches.
fn one_plain_integer_version(cx: &Ctxt, cont: &Container) {
    let mut first: Option<&syn::Ident> = None;
    for f in cont.fields().iter().filter(|f| f.attrs.version) {
        if let Some(first) = first {
            cx.error_spanned_by(
                f.ident,
                format!(
                    "a document has one version, and `{first}` is already marked \
                     #[odm(version)]; remove #[odm(version)] from `{}`",
                    f.ident
                ),
            );
            continue;
        }
        first = Some(f.ident);
        if !matches!(f.kind, FieldKind::Plain) {
            cx.error_spanned_by(
                f.ident,
                "a #[odm(version)] field is stored as a plain integer: it cannot be the id,                  skipped, or stored through `with` or `serde`",
            );
        } else if !is_version_integer(f.ty) {
            cx.error_spanned_by(
                f.ty,
                "a #[odm(version)] field is an integer counter of writes: declare it as \
                 `i64`, `i32` or `u32`",
            );
        }
    }
}

/// A delete rule is one of four known kinds, on a field stored as is (its
/// stored value is the referenced `_id` the rule looks for).
fn known_delete_rules(cx: &Ctxt, cont: &Container) {
    use crate::codegen::delete_rules::KINDS;
    for f in cont.fields() {
        let Some(lit) = &f.attrs.on_delete else {
            continue;
        };
        if !KINDS.iter().any(|(name, _)| *name == lit.value()) {
            cx.error_spanned_by(
                lit,
                format!(
                    "unknown delete rule \"{}\"; expected \"cascade\", \"nullify\", \"pull\" or \"deny\"",
                    lit.value()
                ),
            );
        } else if !matches!(f.kind, FieldKind::Plain) {
            cx.error_spanned_by(
                lit,
                "#[odm(on_delete)] goes on a reference field stored as is (`Ref<T>`, \
                 `Option<Ref<T>>`, `Vec<Ref<T>>`), not on the id or a skipped, `with` or \
                 `serde` field",
            );
        }
    }
}

/// `i32`, `i64` or `u32`, as spelled (a type alias is checked by the trait bound).
fn is_version_integer(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else { return false };
    p.qself.is_none()
        && p.path
            .segments
            .last()
            .is_some_and(|s| ["i32", "i64", "u32"].iter().any(|t| s.ident == t))
}

/// Collections, ids and validation belong to documents; an embedded value
/// is stored inside one and validated through `#[validate(nested)]`.
fn document_only_attributes(cx: &Ctxt, cont: &Container) {
    if let Some(lit) = &cont.attrs.collection {
        cx.error_spanned_by(
            lit,
            "an embedded type has no collection: use #[derive(Document)] to store it on its own",
        );
    }
    if let Some(span) = cont.attrs.validate {
        cx.syn_error(syn::Error::new(
            span,
            "#[odm(validate)] goes on the Document; embedded values are validated through \
             validator's #[validate(nested)] on the field that holds them",
        ));
    }
    for f in cont.fields() {
        if let Some(span) = f.attrs.id {
            cx.syn_error(syn::Error::new(
                span,
                "an embedded type has no id: #[odm(id)] only applies to #[derive(Document)]",
            ));
        }
        if let Some(lit) = &f.attrs.on_delete {
            cx.error_spanned_by(
                lit,
                "delete rules apply to references held by a #[derive(Document)], not by an \
                 embedded type: put the reference on a field of the document",
            );
        }
        if f.attrs.version {
            cx.error_spanned_by(
                f.ident,
                "#[odm(version)] guards writes to a whole document: put it on a field of the                  #[derive(Document)], not of an embedded type",
            );
        }
    }
}

/// A flattened field's keys are only known to serde at run time, so odm
/// could neither build its typed paths nor check its keys.
fn no_flatten(cx: &Ctxt, cont: &Container) {
    for f in cont.fields() {
        if let Some(span) = f.attrs.flatten {
            cx.syn_error(syn::Error::new(
                span,
                "odm cannot model #[serde(flatten)]: typed paths need every stored key at compile \
                 time; store the inner struct as a sub-document with #[derive(Embedded)] instead",
            ));
        }
    }
}

/// odm stores plain fields with `IntoBson`/`FromBson`, so a serde `with`
/// would silently not apply unless the field is stored through serde.
fn serde_with_needs_odm_serde(cx: &Ctxt, cont: &Container) {
    for f in cont.fields() {
        if let Some(span) = f.attrs.serde_with {
            if matches!(f.kind, FieldKind::Plain) {
                cx.syn_error(syn::Error::new(
                    span,
                    "odm stores this field with its own BSON conversion, so serde's `with` would \
                     be ignored: add #[odm(serde)] to store it through serde, or use \
                     #[odm(with = \"module\")]",
                ));
            }
        }
    }
}

/// `skip`, `with` and `serde` each decide how a field is stored: two of them
/// on one field contradict each other.
fn one_storage_per_field(cx: &Ctxt, cont: &Container) {
    for f in cont.fields() {
        let a = &f.attrs;
        let chosen = [
            a.skip.map(|s| (s, "skip")),
            a.with
                .as_ref()
                .map(|p| (syn::spanned::Spanned::span(p), "with")),
            a.serde.map(|s| (s, "serde")),
        ];
        let mut set = chosen.iter().flatten();
        if let (Some(first), Some(second)) = (set.next(), set.next()) {
            cx.syn_error(syn::Error::new(
                second.0,
                format!(
                    "`{}` and `{}` both say how `{}` is stored: keep one",
                    first.1, second.1, f.ident
                ),
            ));
        }
    }
}

/// Stored keys become paths (`a.b`) and cstrings: a dot would split a path,
/// a leading `$` reads as an operator, a NUL cannot be stored.
fn stored_keys_are_valid(cx: &Ctxt, cont: &Container) {
    for f in cont.fields().iter().filter(|f| f.is_stored()) {
        let problem = if f.key.is_empty() {
            Some("a stored name cannot be empty")
        } else if f.key.contains('.') {
            Some("a stored name cannot contain `.`, which separates the segments of a path")
        } else if f.key.starts_with('$') {
            Some("a stored name cannot start with `$`, which marks operators")
        } else if f.key.contains('\0') {
            Some("a stored name cannot contain a NUL character")
        } else {
            None
        };
        if let Some(problem) = problem {
            cx.syn_error(syn::Error::new(f.key_span, problem));
        }
    }
}

/// Two fields stored under one key would overwrite each other.
fn stored_keys_are_unique(cx: &Ctxt, cont: &Container) {
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for f in cont.fields().iter().filter(|f| f.is_stored()) {
        let names = std::iter::once(f.key.as_str());
        for name in names {
            if let Some(first) = seen.get(name) {
                cx.syn_error(syn::Error::new(
                    f.key_span,
                    format!(
                        "`{}` and `{first}` are both stored as `{name}`; give one of them \
                         another name with #[serde(rename = \"...\")]",
                        f.ident
                    ),
                ));
            } else {
                seen.insert(name, f.ident);
            }
        }
    }
}

/// Two variants stored as one string could not be told apart on read.
fn variant_names_are_unique(cx: &Ctxt, cont: &Container) {
    let Data::Enum(variants) = &cont.data else {
        return;
    };
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for v in variants {
        if let Some(first) = seen.get(v.name.as_str()) {
            cx.syn_error(syn::Error::new(
                v.name_span,
                format!(
                    "`{}` and `{first}` are both stored as \"{}\"; rename one of them",
                    v.ident, v.name
                ),
            ));
        } else {
            seen.insert(&v.name, v.ident);
        }
    }
}

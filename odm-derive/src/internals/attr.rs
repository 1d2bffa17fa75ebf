//! `#[odm(..)]` attributes, and the `#[serde(..)]` attributes odm reads (but
//! never owns: serde decides wire names, odm follows).
//!
//! Every mistake is reported to the [`Ctxt`] with the span of the culprit, and
//! parsing goes on, so one build shows every mistake.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::Token;

use super::case::{RenameRule, RULE_NAMES};
use super::ctxt::Ctxt;
use super::index::{self, IndexDecl};

/// The `#[odm(..)]` keys a struct accepts, for the unknown-attribute message.
const CONTAINER_KEYS: &str = "collection = \"...\", validate, deny_unknown_fields, index(...)";
/// The `#[odm(..)]` keys a field accepts.
const FIELD_KEYS: &str = "id, rename = \"...\", default, default = \"path\", serde, \
with = \"module\", skip, index, unique, version, on_delete = \"...\"";
/// The `#[odm(..)]` keys an enum variant accepts.
const VARIANT_KEYS: &str = "rename = \"...\"";

/// How a missing value is filled in.
#[derive(Clone)]
pub enum DefaultValue {
    /// Not at all: a missing value is an error (or `None` for an `Option`).
    None,
    /// `Default::default()`.
    Trait(Span),
    /// The given function.
    Path(syn::ExprPath),
}

impl DefaultValue {
    pub fn is_none(&self) -> bool {
        matches!(self, DefaultValue::None)
    }
}

/// Container (struct or enum) attributes.
pub struct Container {
    pub collection: Option<syn::LitStr>,
    pub validate: Option<Span>,
    pub deny_unknown_fields: bool,
    pub rename_all: Option<RenameRule>,
    pub default: DefaultValue,
    /// `#[odm(index(keys(..), ..))]`: compound and text indexes.
    pub indexes: Vec<IndexDecl>,
}

/// Field attributes.
pub struct Field {
    pub id: Option<Span>,
    /// The stored name: `#[odm(rename)]`, else `#[serde(rename)]`.
    pub rename: Option<syn::LitStr>,
    /// Whether `rename` came from `#[odm(rename)]`.
    pub odm_rename: bool,
    pub aliases: Vec<syn::LitStr>,
    pub default: DefaultValue,
    pub serde: Option<Span>,
    pub with: Option<syn::Path>,
    pub skip: Option<Span>,
    pub skip_serializing: bool,
    pub skip_deserializing: bool,
    pub skip_serializing_if: Option<syn::ExprPath>,
    /// `#[serde(with | serialize_with | deserialize_with)]`: only meaningful
    /// when odm stores the field through serde.
    pub serde_with: Option<Span>,
    pub flatten: Option<Span>,
    /// `#[odm(index)]`, `#[odm(index(..))]`: indexes on this field alone.
    pub indexes: Vec<IndexDecl>,
    /// `#[odm(unique)]`: the field's index (or a new one) is unique.
    pub unique: Option<Span>,
    /// `#[odm(version)]`: the optimistic-concurrency counter (`codegen::version`).
    pub version: bool,
    /// `#[odm(on_delete = "...")]`: the delete rule (`codegen::delete_rules`).
    pub on_delete: Option<syn::LitStr>,
}

/// Enum variant attributes.
pub struct Variant {
    pub rename: Option<syn::LitStr>,
    pub aliases: Vec<syn::LitStr>,
}

impl Container {
    pub fn from_ast(cx: &Ctxt, input: &syn::DeriveInput) -> Self {
        let mut out = Container {
            collection: None,
            validate: None,
            deny_unknown_fields: false,
            rename_all: None,
            default: DefaultValue::None,
            indexes: Vec::new(),
        };
        for attr in &input.attrs {
            if attr.path().is_ident("odm") {
                parse_list(cx, attr, |meta| {
                    if meta.path.is_ident("collection") {
                        if let Some(lit) =
                            string_value(cx, &meta, "#[odm(collection = \"users\")]")?
                        {
                            set_once(cx, &meta, &mut out.collection, lit);
                        }
                    } else if meta.path.is_ident("validate") {
                        if flag(cx, &meta, "#[odm(validate)]")? {
                            out.validate = Some(meta.path.span());
                        }
                    } else if meta.path.is_ident("deny_unknown_fields") {
                        out.deny_unknown_fields |= flag(cx, &meta, "#[odm(deny_unknown_fields)]")?;
                    } else if meta.path.is_ident("index") {
                        out.indexes.extend(index::parse_struct(cx, &meta)?);
                    } else {
                        unknown(cx, &meta, "struct", CONTAINER_KEYS)?;
                    }
                    Ok(())
                });
            } else if attr.path().is_ident("serde") {
                parse_list(cx, attr, |meta| {
                    if meta.path.is_ident("rename_all") {
                        if let Some(lit) = serde_one_name(cx, &meta, "rename_all")? {
                            match RenameRule::from_str(&lit.value()) {
                                Some(rule) => out.rename_all = Some(rule),
                                None => cx.error_spanned_by(
                                    &lit,
                                    format!("unknown rename rule; expected one of {RULE_NAMES}"),
                                ),
                            }
                        }
                    } else if meta.path.is_ident("default") {
                        out.default = default_value(cx, &meta)?;
                    } else if meta.path.is_ident("deny_unknown_fields") {
                        out.deny_unknown_fields = true;
                    } else if [
                        "tag",
                        "content",
                        "untagged",
                        "transparent",
                        "from",
                        "try_from",
                        "into",
                        "remote",
                    ]
                    .iter()
                    .any(|k| meta.path.is_ident(k))
                    {
                        let name = path_name(&meta.path);
                        cx.error_spanned_by(
                            &meta.path,
                            format!(
                                "odm cannot model `#[serde({name})]`: odm stores fields with their own \
                                 BSON conversions; store this type through serde with `#[odm(serde)]` \
                                 on the field that holds it"
                            ),
                        );
                        skip_value(&meta)?;
                    } else {
                        // Everything else (`crate`, `bound`, `rename`, `expecting`, ...)
                        // does not change how fields are stored.
                        skip_value(&meta)?;
                    }
                    Ok(())
                });
            }
        }
        out
    }
}

impl Field {
    pub fn from_ast(cx: &Ctxt, field: &syn::Field) -> Self {
        let mut out = Field {
            id: None,
            rename: None,
            odm_rename: false,
            aliases: Vec::new(),
            default: DefaultValue::None,
            serde: None,
            with: None,
            skip: None,
            skip_serializing: false,
            skip_deserializing: false,
            skip_serializing_if: None,
            serde_with: None,
            flatten: None,
            indexes: Vec::new(),
            unique: None,
            version: false,
            on_delete: None,
        };
        for attr in &field.attrs {
            if attr.path().is_ident("odm") {
                parse_list(cx, attr, |meta| {
                    let p = &meta.path;
                    if p.is_ident("id") {
                        if flag(cx, &meta, "#[odm(id)]")? {
                            out.id = Some(p.span());
                        }
                    } else if p.is_ident("rename") {
                        if let Some(lit) =
                            string_value(cx, &meta, "#[odm(rename = \"stored_name\")]")?
                        {
                            if out.odm_rename {
                                cx.error_spanned_by(p, "duplicate odm attribute `rename`");
                            }
                            out.rename = Some(lit);
                            out.odm_rename = true;
                        }
                    } else if p.is_ident("default") {
                        out.default = default_value(cx, &meta)?;
                    } else if p.is_ident("serde") {
                        if flag(cx, &meta, "#[odm(serde)]")? {
                            out.serde = Some(p.span());
                        }
                    } else if p.is_ident("with") {
                        if let Some(lit) =
                            string_value(cx, &meta, "#[odm(with = \"odm::value::local_time\")]")?
                        {
                            match lit.parse::<syn::Path>() {
                                Ok(path) => out.with = Some(path),
                                Err(_) => cx.error_spanned_by(
                                    &lit,
                                    "`with` takes the path of a module with `to_raw` and `from_raw`: \
                                     #[odm(with = \"odm::value::local_time\")]",
                                ),
                            }
                        }
                    } else if p.is_ident("skip") {
                        if flag(cx, &meta, "#[odm(skip)]")? {
                            out.skip = Some(p.span());
                        }
                    } else if p.is_ident("index") {
                        if let Some(ident) = &field.ident {
                            out.indexes.push(index::parse_field(cx, &meta, ident)?);
                        }
                    } else if p.is_ident("unique") {
                        if flag(cx, &meta, "#[odm(unique)]")? {
                            out.unique = Some(p.span());
                        }
                    } else if p.is_ident("version") {
                        out.version |= flag(cx, &meta, "#[odm(version)]")?;
                    } else if p.is_ident("on_delete") {
                        if let Some(lit) =
                            string_value(cx, &meta, "#[odm(on_delete = \"cascade\")]")?
                        {
                            set_once(cx, &meta, &mut out.on_delete, lit);
                        }
                    } else {
                        unknown(cx, &meta, "field", FIELD_KEYS)?;
                    }
                    Ok(())
                });
            } else if attr.path().is_ident("serde") {
                parse_list(cx, attr, |meta| {
                    let p = &meta.path;
                    if p.is_ident("rename") {
                        if let Some(lit) = serde_one_name(cx, &meta, "rename")? {
                            // `#[odm(rename)]` wins: it is the more specific statement.
                            if !out.odm_rename {
                                out.rename = Some(lit);
                            }
                        }
                    } else if p.is_ident("alias") {
                        if let Some(lit) =
                            string_value(cx, &meta, "#[serde(alias = \"old_name\")]")?
                        {
                            out.aliases.push(lit);
                        }
                    } else if p.is_ident("skip") {
                        out.skip = Some(p.span());
                    } else if p.is_ident("skip_serializing") {
                        out.skip_serializing = true;
                    } else if p.is_ident("skip_deserializing") {
                        out.skip_deserializing = true;
                    } else if p.is_ident("default") {
                        if out.default.is_none() {
                            out.default = default_value(cx, &meta)?;
                        } else {
                            skip_value(&meta)?;
                        }
                    } else if p.is_ident("skip_serializing_if") {
                        if let Some(lit) = string_value(
                            cx,
                            &meta,
                            "#[serde(skip_serializing_if = \"Option::is_none\")]",
                        )? {
                            match lit.parse::<syn::ExprPath>() {
                                Ok(path) => out.skip_serializing_if = Some(path),
                                Err(_) => {
                                    cx.error_spanned_by(&lit, "expected the path of a function")
                                }
                            }
                        }
                    } else if p.is_ident("flatten") {
                        out.flatten = Some(p.span());
                    } else if p.is_ident("with")
                        || p.is_ident("serialize_with")
                        || p.is_ident("deserialize_with")
                    {
                        out.serde_with = Some(p.span());
                        skip_value(&meta)?;
                    } else {
                        // `bound`, `borrow`, `getter`: nothing to do with storage.
                        skip_value(&meta)?;
                    }
                    Ok(())
                });
            }
        }
        out
    }
}

impl Variant {
    pub fn from_ast(cx: &Ctxt, variant: &syn::Variant) -> Self {
        let mut out = Variant {
            rename: None,
            aliases: Vec::new(),
        };
        for attr in &variant.attrs {
            if attr.path().is_ident("odm") {
                parse_list(cx, attr, |meta| {
                    if meta.path.is_ident("rename") {
                        if let Some(lit) =
                            string_value(cx, &meta, "#[odm(rename = \"stored_name\")]")?
                        {
                            set_once(cx, &meta, &mut out.rename, lit);
                        }
                    } else {
                        unknown(cx, &meta, "variant", VARIANT_KEYS)?;
                    }
                    Ok(())
                });
            } else if attr.path().is_ident("serde") {
                parse_list(cx, attr, |meta| {
                    if meta.path.is_ident("rename") {
                        if let Some(lit) = serde_one_name(cx, &meta, "rename")? {
                            if out.rename.is_none() {
                                out.rename = Some(lit);
                            }
                        }
                    } else if meta.path.is_ident("alias") {
                        if let Some(lit) =
                            string_value(cx, &meta, "#[serde(alias = \"old_name\")]")?
                        {
                            out.aliases.push(lit);
                        }
                    } else if meta.path.is_ident("skip")
                        || meta.path.is_ident("skip_serializing")
                        || meta.path.is_ident("skip_deserializing")
                        || meta.path.is_ident("other")
                    {
                        cx.error_spanned_by(
                            &meta.path,
                            format!(
                                "odm cannot model `#[serde({})]` on a variant: every variant of an \
                                 embedded enum is stored as its name",
                                path_name(&meta.path)
                            ),
                        );
                        skip_value(&meta)?;
                    } else {
                        skip_value(&meta)?;
                    }
                    Ok(())
                });
            }
        }
        out
    }
}

/// Run `f` over the items of `#[name(a, b = "c")]`, reporting a malformed list.
fn parse_list(cx: &Ctxt, attr: &syn::Attribute, f: impl FnMut(ParseNestedMeta) -> syn::Result<()>) {
    if let syn::Meta::List(_) = attr.meta {
        if let Err(err) = attr.parse_nested_meta(f) {
            cx.syn_error(err);
        }
    } else {
        let name = path_name(attr.path());
        cx.error_spanned_by(attr, format!("expected a list of settings: #[{name}(...)]"));
    }
}

fn path_name(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Consume whatever follows a key (`= value` or `(...)`), so parsing continues.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        // Consumed whole: tokens left in a nested buffer would be reported
        // as a second, spurious "unexpected token" error.
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<proc_macro2::TokenStream>()?;
    }
    Ok(())
}

fn unknown(cx: &Ctxt, meta: &ParseNestedMeta, on: &str, known: &str) -> syn::Result<()> {
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown odm attribute `{}` on a {on}; expected one of: {known}",
            path_name(&meta.path)
        ),
    );
    skip_value(meta)
}

/// A bare key (`#[odm(validate)]`); a value after it is an error.
fn flag(cx: &Ctxt, meta: &ParseNestedMeta, usage: &str) -> syn::Result<bool> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{}` takes no value: write {usage}", path_name(&meta.path)),
        );
        skip_value(meta)?;
        return Ok(false);
    }
    Ok(true)
}

/// `key = "string"`; anything else is reported, and yields `None`.
fn string_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    usage: &str,
) -> syn::Result<Option<syn::LitStr>> {
    let name = path_name(&meta.path);
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{name}` needs a string value: write {usage}"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let expr: syn::Expr = meta.value()?.parse()?;
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => Ok(Some(lit)),
        other => {
            cx.error_spanned_by(
                &other,
                format!("`{name}` takes a string literal: write {usage}"),
            );
            Ok(None)
        }
    }
}

/// `default` or `default = "path::to::fn"`.
fn default_value(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<DefaultValue> {
    if meta.input.peek(Token![=]) {
        if let Some(lit) = string_value(cx, meta, "default = \"path::to::fn\"")? {
            match lit.parse::<syn::ExprPath>() {
                Ok(path) => return Ok(DefaultValue::Path(path)),
                Err(_) => cx.error_spanned_by(
                    &lit,
                    "`default` takes the path of a function returning the value: default = \"path::to::fn\"",
                ),
            }
        }
        return Ok(DefaultValue::None);
    }
    if meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            "write `default` or `default = \"path::to::fn\"`",
        );
        skip_value(meta)?;
        return Ok(DefaultValue::None);
    }
    Ok(DefaultValue::Trait(meta.path.span()))
}

/// serde's `rename = "x"` or `rename(serialize = "x", deserialize = "x")`:
/// odm stores one name, so the two must agree.
fn serde_one_name(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    what: &str,
) -> syn::Result<Option<syn::LitStr>> {
    if !meta.input.peek(syn::token::Paren) {
        return string_value(cx, meta, &format!("#[serde({what} = \"...\")]"));
    }
    let mut ser: Option<syn::LitStr> = None;
    let mut de: Option<syn::LitStr> = None;
    meta.parse_nested_meta(|inner| {
        let lit = string_value(
            cx,
            &inner,
            &format!("#[serde({what}(serialize = \"...\"))]"),
        )?;
        if inner.path.is_ident("serialize") {
            ser = lit;
        } else if inner.path.is_ident("deserialize") {
            de = lit;
        }
        Ok(())
    })?;
    match (ser, de) {
        (Some(s), Some(d)) if s.value() == d.value() => Ok(Some(s)),
        _ => {
            cx.error_spanned_by(
                &meta.path,
                format!(
                    "odm stores one name for both directions: write #[serde({what} = \"...\")] \
                     instead of separate serialize/deserialize names"
                ),
            );
            Ok(None)
        }
    }
}

fn set_once<T>(cx: &Ctxt, meta: &ParseNestedMeta, slot: &mut Option<T>, value: T) {
    if slot.is_some() {
        cx.error_spanned_by(
            &meta.path,
            format!("duplicate odm attribute `{}`", path_name(&meta.path)),
        );
    } else {
        *slot = Some(value);
    }
}

//! Index declarations: `#[odm(index ..)]` and `#[odm(unique)]` on a field,
//! `#[odm(index(keys(..), ..))]` on a struct, parsed into [`IndexDecl`]s and
//! checked. Keys stay Rust paths (`address.city`) with their spans: the
//! generated code reaches them through the typed paths, so the compiler
//! checks each name and maps it to its stored key.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::Token;

use super::ast::{Container, Derive, FieldKind};
use super::ctxt::Ctxt;

/// The options a struct-level index accepts, for the unknown-option message.
const STRUCT_OPTIONS: &str = "keys(a.b, -c), text(title = 10, body), unique, sparse, \
name = \"...\", partial_filter = |f| .., expire_after = <seconds>, collation(locale = \"..\", ..), \
default_language = \"...\"";
/// The options a field-level index accepts.
const FIELD_OPTIONS: &str = "desc, text, unique, sparse, name = \"...\", \
partial_filter = |f| .., expire_after = <seconds>, collation(locale = \"..\", ..), \
default_language = \"...\"";
/// The settings of a collation, with their stored names.
const COLLATION_KEYS: [(&str, &str); 9] = [
    ("locale", "locale"),
    ("strength", "strength"),
    ("case_level", "caseLevel"),
    ("case_first", "caseFirst"),
    ("numeric_ordering", "numericOrdering"),
    ("alternate", "alternate"),
    ("max_variable", "maxVariable"),
    ("backwards", "backwards"),
    ("normalization", "normalization"),
];

/// One declared index.
#[derive(Clone)]
pub struct IndexDecl {
    /// The `index` (or `unique`) keyword: where whole-index errors point.
    pub span: Span,
    pub keys: Vec<KeySpec>,
    pub unique: bool,
    pub sparse: Option<Span>,
    pub name: Option<syn::LitStr>,
    /// A closure over the model's typed paths returning a `Filter<Self>`.
    pub partial_filter: Option<syn::Expr>,
    /// Seconds: any constant `u64` expression (`24 * 3600`).
    pub expire_after: Option<(syn::Expr, Span)>,
    /// Stored setting name and value.
    pub collation: Vec<(&'static str, syn::Lit)>,
    pub collation_span: Option<Span>,
    pub default_language: Option<syn::LitStr>,
}

/// One key of an index: a Rust path through the model's fields.
#[derive(Clone)]
pub struct KeySpec {
    /// `address.city` as `[address, city]`, spans kept.
    pub path: Vec<syn::Ident>,
    pub kind: KeyKind,
    /// Text keys: the weight.
    pub weight: Option<syn::LitInt>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KeyKind {
    Asc,
    Desc,
    Text,
}

impl IndexDecl {
    fn new(span: Span) -> Self {
        IndexDecl {
            span,
            keys: Vec::new(),
            unique: false,
            sparse: None,
            name: None,
            partial_filter: None,
            expire_after: None,
            collation: Vec::new(),
            collation_span: None,
            default_language: None,
        }
    }

    /// A field's `#[odm(unique)]` alone: a unique ascending index.
    pub fn unique_field(field: &syn::Ident, span: Span) -> Self {
        let mut decl = IndexDecl::new(span);
        decl.unique = true;
        decl.keys.push(KeySpec {
            path: vec![field.clone()],
            kind: KeyKind::Asc,
            weight: None,
        });
        decl
    }

    /// Whether any key is a text key.
    pub fn is_text(&self) -> bool {
        self.keys.iter().any(|k| k.kind == KeyKind::Text)
    }
}

/// `index` or `index(..)` on a field named `field`.
pub fn parse_field(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    field: &syn::Ident,
) -> syn::Result<IndexDecl> {
    let mut decl = IndexDecl::new(meta.path.span());
    let mut kind = KeyKind::Asc;
    if meta.input.peek(Token![=]) {
        cx.error_spanned_by(
            &meta.path,
            "write #[odm(index)], or its options in parentheses: #[odm(index(unique, sparse))]",
        );
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|option| {
            let p = &option.path;
            if p.is_ident("desc") || p.is_ident("text") {
                let chosen = if p.is_ident("desc") {
                    KeyKind::Desc
                } else {
                    KeyKind::Text
                };
                if flag(cx, &option)? {
                    if kind != KeyKind::Asc && kind != chosen {
                        cx.error_spanned_by(
                            p,
                            "a key is descending or text, not both: a text key has no direction",
                        );
                    }
                    kind = chosen;
                }
            } else if !common_option(cx, &option, &mut decl)? {
                unknown(cx, &option, "a field", FIELD_OPTIONS)?;
            }
            Ok(())
        })?;
    }
    decl.keys.push(KeySpec {
        path: vec![field.clone()],
        kind,
        weight: None,
    });
    Ok(decl)
}

/// `index(keys(..), ..)` on a struct.
pub fn parse_struct(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<IndexDecl>> {
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            "a struct-level index lists its keys: #[odm(index(keys(address.city, -age)))]; \
             index one field with #[odm(index)] on the field",
        );
        if meta.input.peek(Token![=]) {
            meta.value()?.parse::<syn::Expr>()?;
        }
        return Ok(None);
    }
    let mut decl = IndexDecl::new(meta.path.span());
    let mut keys_span = None;
    let mut text_span = None;
    let mut keys = Vec::new();
    let mut text = Vec::new();
    meta.parse_nested_meta(|option| {
        let p = &option.path;
        if p.is_ident("keys") || p.is_ident("text") {
            let is_text = p.is_ident("text");
            let seen = if is_text {
                &mut text_span
            } else {
                &mut keys_span
            };
            if seen.is_some() {
                cx.error_spanned_by(p, format!("duplicate index option `{}`", ident_of(p)));
            }
            *seen = Some(p.span());
            if !option.input.peek(syn::token::Paren) {
                cx.error_spanned_by(
                    p,
                    if is_text {
                        "list the text fields: text(title = 10, body)"
                    } else {
                        "list the keys: keys(address.city, -age)"
                    },
                );
                return skip(&option);
            }
            let content;
            syn::parenthesized!(content in option.input);
            let parser: fn(ParseStream) -> syn::Result<KeySpec> =
                if is_text { text_key } else { plain_key };
            let parsed = content.parse_terminated(parser, Token![,])?;
            if is_text {
                text.extend(parsed);
            } else {
                keys.extend(parsed);
            }
        } else if !common_option(cx, &option, &mut decl)? {
            unknown(cx, &option, "a struct", STRUCT_OPTIONS)?;
        }
        Ok(())
    })?;
    decl.keys = keys;
    decl.keys.extend(text);
    if decl.keys.is_empty() {
        cx.error_spanned_by(
            &meta.path,
            "this index has no keys: list them with keys(address.city, -age) or text(title, body)",
        );
        return Ok(None);
    }
    Ok(Some(decl))
}

fn plain_key(input: ParseStream) -> syn::Result<KeySpec> {
    parse_key(input, false)
}

fn text_key(input: ParseStream) -> syn::Result<KeySpec> {
    parse_key(input, true)
}

/// `-a.b`, `+a.b`, `a.b`; in `text(..)`, `a.b` or `a.b = weight`.
fn parse_key(input: ParseStream, is_text: bool) -> syn::Result<KeySpec> {
    let mut kind = if is_text { KeyKind::Text } else { KeyKind::Asc };
    if !is_text {
        if input.peek(Token![-]) {
            input.parse::<Token![-]>()?;
            kind = KeyKind::Desc;
        } else if input.peek(Token![+]) {
            input.parse::<Token![+]>()?;
        }
    }
    let mut path = vec![input.call(syn::Ident::parse_any)?];
    while input.peek(Token![.]) {
        input.parse::<Token![.]>()?;
        path.push(input.call(syn::Ident::parse_any)?);
    }
    let weight = if is_text && input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        Some(input.parse::<syn::LitInt>()?)
    } else {
        None
    };
    if !is_text && input.peek(Token![=]) {
        return Err(input.error(
            "an index key is a field path, `-path` for descending: keys(address.city, -age)",
        ));
    }
    Ok(KeySpec { path, kind, weight })
}

/// The options both levels share; `false` when `option` is none of them.
fn common_option(cx: &Ctxt, option: &ParseNestedMeta, decl: &mut IndexDecl) -> syn::Result<bool> {
    let p = &option.path;
    if p.is_ident("unique") {
        decl.unique |= flag(cx, option)?;
    } else if p.is_ident("sparse") {
        if flag(cx, option)? {
            decl.sparse = Some(p.span());
        }
    } else if p.is_ident("name") {
        if let Some(lit) = value::<syn::LitStr>(cx, option, "name = \"by_city\"")? {
            once(cx, p, &mut decl.name, lit);
        }
    } else if p.is_ident("default_language") {
        if let Some(lit) = value::<syn::LitStr>(cx, option, "default_language = \"french\"")? {
            once(cx, p, &mut decl.default_language, lit);
        }
    } else if p.is_ident("expire_after") {
        if option.input.peek(Token![=]) {
            let secs: syn::Expr = option.value()?.parse()?;
            once(cx, p, &mut decl.expire_after, (secs, p.span()));
        } else {
            cx.error_spanned_by(
                p,
                "`expire_after` takes the seconds a document lives after the date in its key: \
                 expire_after = 3600",
            );
            skip(option)?;
        }
    } else if p.is_ident("partial_filter") {
        if !option.input.peek(Token![=]) {
            cx.error_spanned_by(
                p,
                "`partial_filter` takes a closure over the typed paths: \
                 partial_filter = |f| f.age.gte(18)",
            );
            skip(option)?;
        } else {
            let expr: syn::Expr = option.value()?.parse()?;
            if matches!(expr, syn::Expr::Closure(_)) {
                once(cx, p, &mut decl.partial_filter, expr);
            } else {
                cx.error_spanned_by(
                    &expr,
                    "`partial_filter` takes a closure over the typed paths: \
                     partial_filter = |f| f.age.gte(18)",
                );
            }
        }
    } else if p.is_ident("collation") {
        collation(cx, option, decl)?;
    } else {
        return Ok(false);
    }
    Ok(true)
}

/// `collation(locale = "fr", strength = 2, ..)`.
fn collation(cx: &Ctxt, option: &ParseNestedMeta, decl: &mut IndexDecl) -> syn::Result<()> {
    if !option.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &option.path,
            "write the collation's settings: collation(locale = \"fr\", strength = 2)",
        );
        return skip(option);
    }
    if decl.collation_span.is_some() {
        cx.error_spanned_by(&option.path, "duplicate index option `collation`");
    }
    decl.collation_span = Some(option.path.span());
    option.parse_nested_meta(|setting| {
        let known = COLLATION_KEYS
            .iter()
            .find(|(rust, _)| setting.path.is_ident(rust));
        let Some((_, stored)) = known else {
            let names: Vec<&str> = COLLATION_KEYS.iter().map(|(r, _)| *r).collect();
            cx.error_spanned_by(
                &setting.path,
                format!(
                    "unknown collation setting `{}`; expected one of: {}",
                    ident_of(&setting.path),
                    names.join(", ")
                ),
            );
            return skip(&setting);
        };
        let lit: syn::Lit = setting.value()?.parse()?;
        if !matches!(lit, syn::Lit::Str(_) | syn::Lit::Int(_) | syn::Lit::Bool(_)) {
            cx.error_spanned_by(&lit, "a collation setting is a string, integer or bool");
        }
        decl.collation.push((stored, lit));
        Ok(())
    })?;
    if !decl.collation.iter().any(|(k, _)| *k == "locale") {
        cx.error_spanned_by(
            &option.path,
            "a collation needs its locale: collation(locale = \"fr\")",
        );
    }
    Ok(())
}

/// Every index of a document, in declaration order: each field's (its
/// `#[odm(unique)]` making its first plain index unique, or adding one),
/// then the struct's.
pub fn model_indexes(cont: &Container) -> Vec<IndexDecl> {
    let mut out = Vec::new();
    for f in cont.fields() {
        let mut own = f.attrs.indexes.clone();
        if let Some(span) = f.attrs.unique {
            match own.iter_mut().find(|d| !d.is_text()) {
                Some(decl) => decl.unique = true,
                None => own.push(IndexDecl::unique_field(f.ident, span)),
            }
        }
        out.extend(own);
    }
    out.extend(cont.attrs.indexes.iter().cloned());
    out
}

/// The index rules: where indexes may be declared, and what MongoDB would
/// refuse or ignore in one.
pub fn check(cx: &Ctxt, cont: &Container) {
    if cont.derive == Derive::Embedded {
        let decls = cont
            .attrs
            .indexes
            .iter()
            .chain(cont.fields().iter().flat_map(|f| &f.attrs.indexes));
        let uniques = cont.fields().iter().filter_map(|f| f.attrs.unique);
        for span in decls.map(|d| d.span).chain(uniques) {
            cx.syn_error(syn::Error::new(
                span,
                "indexes belong to the document's collection: declare this one on the \
                 #[derive(Document)] struct that holds the embedded value, with its path: \
                 #[odm(index(keys(address.city)))]",
            ));
        }
        return;
    }
    for f in cont.fields() {
        let span = f.attrs.indexes.first().map(|d| d.span).or(f.attrs.unique);
        let Some(span) = span else { continue };
        match f.kind {
            FieldKind::Skipped => cx.syn_error(syn::Error::new(
                span,
                "a skipped field is not stored, so it cannot be indexed",
            )),
            FieldKind::Id { .. } => cx.syn_error(syn::Error::new(
                span,
                "the id is already indexed and unique (MongoDB's `_id_` index): remove this \
                 attribute",
            )),
            _ => {}
        }
    }
    if let Some(id) = cont.id() {
        for decl in &cont.attrs.indexes {
            if let [key] = decl.keys.as_slice() {
                let is_id = matches!(key.path.as_slice(), [only] if only == id.ident);
                if key.kind == KeyKind::Asc && is_id {
                    cx.syn_error(syn::Error::new(
                        decl.span,
                        "the id is already indexed and unique (MongoDB's `_id_` index): \
                         remove this index",
                    ));
                }
            }
        }
    }
    let indexes = model_indexes(cont);
    check_declarations(cx, &indexes);
}

/// Two declarations of one index would make `createIndexes` fail: the same
/// keys under the same (default) name, or one name for two indexes.
fn no_duplicates(cx: &Ctxt, indexes: &[IndexDecl]) {
    for (i, later) in indexes.iter().enumerate() {
        for earlier in indexes.iter().take(i) {
            let same_keys = later.keys.len() == earlier.keys.len()
                && later.keys.iter().zip(&earlier.keys).all(|(a, b)| {
                    a.kind == b.kind
                        && a.path.len() == b.path.len()
                        && a.path.iter().zip(&b.path).all(|(x, y)| x == y)
                });
            let message = match (&later.name, &earlier.name) {
                (Some(a), Some(b)) if a.value() == b.value() => {
                    format!(
                        "two indexes are named \"{}\": give each its own name",
                        a.value()
                    )
                }
                (None, None) if same_keys => "this index repeats the keys of another declared \
                    one: declare it once, with all its options (#[odm(index, unique)] on a field \
                    is one unique index)"
                    .to_owned(),
                _ => continue,
            };
            cx.syn_error(syn::Error::new(later.span, message));
            break;
        }
    }
}

/// Rules that need the whole declaration, checked on every index of a model.
fn check_declarations(cx: &Ctxt, indexes: &[IndexDecl]) {
    no_duplicates(cx, indexes);
    let mut text_indexes = indexes.iter().filter(|i| i.is_text());
    if let (Some(_), Some(second)) = (text_indexes.next(), text_indexes.next()) {
        cx.syn_error(syn::Error::new(
            second.span,
            "a collection has at most one text index: list every text field in one struct-level \
             index, #[odm(index(text(title = 10, body)))]",
        ));
    }
    for decl in indexes {
        if let Some((_, span)) = &decl.expire_after {
            let span = *span;
            if decl.is_text() {
                cx.syn_error(syn::Error::new(
                    span,
                    "a TTL index (`expire_after`) expires documents by a date, not by text: \
                     declare it on a date field of its own",
                ));
            } else if decl.keys.len() > 1 {
                cx.syn_error(syn::Error::new(
                    span,
                    "a TTL index (`expire_after`) has exactly one key, a date field: \
                     MongoDB ignores `expire_after` on a compound index",
                ));
            }
        }
        if let (Some(span), Some(_)) = (decl.sparse, &decl.partial_filter) {
            cx.syn_error(syn::Error::new(
                span,
                "MongoDB refuses `sparse` together with `partial_filter`: keep the partial \
                 filter (`f.x.exists(true)` does what `sparse` does)",
            ));
        }
        if let Some(lit) = &decl.default_language {
            if !decl.is_text() {
                cx.error_spanned_by(lit, "`default_language` is an option of text indexes only");
            }
        }
        for key in &decl.keys {
            if let Some(w) = &key.weight {
                if w.base10_parse::<i32>().map_or(true, |w| w < 1) {
                    cx.error_spanned_by(w, "a text weight is a whole number from 1 to 99999");
                }
            }
        }
    }
}

fn ident_of(path: &syn::Path) -> String {
    path.get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

fn flag(cx: &Ctxt, option: &ParseNestedMeta) -> syn::Result<bool> {
    if option.input.peek(Token![=]) || option.input.peek(syn::token::Paren) {
        let name = ident_of(&option.path);
        cx.error_spanned_by(
            &option.path,
            format!("`{name}` takes no value: write `{name}`"),
        );
        skip(option)?;
        return Ok(false);
    }
    Ok(true)
}

/// `key = <literal of type L>`; anything else is reported, and yields `None`.
fn value<L: syn::parse::Parse + Spanned>(
    cx: &Ctxt,
    option: &ParseNestedMeta,
    usage: &str,
) -> syn::Result<Option<L>> {
    if !option.input.peek(Token![=]) {
        cx.error_spanned_by(&option.path, format!("write {usage}"));
        skip(option)?;
        return Ok(None);
    }
    let expr: syn::Expr = option.value()?.parse()?;
    match syn::parse2::<L>(quote::ToTokens::into_token_stream(&expr)) {
        Ok(lit) => Ok(Some(lit)),
        Err(_) => {
            cx.error_spanned_by(&expr, format!("write {usage}"));
            Ok(None)
        }
    }
}

fn once<T>(cx: &Ctxt, path: &syn::Path, slot: &mut Option<T>, value: T) {
    if slot.is_some() {
        cx.error_spanned_by(path, format!("duplicate index option `{}`", ident_of(path)));
    } else {
        *slot = Some(value);
    }
}

fn unknown(cx: &Ctxt, option: &ParseNestedMeta, on: &str, known: &str) -> syn::Result<()> {
    cx.error_spanned_by(
        &option.path,
        format!(
            "unknown index option `{}` on {on}; expected one of: {known}",
            ident_of(&option.path)
        ),
    );
    skip(option)
}

fn skip(option: &ParseNestedMeta) -> syn::Result<()> {
    if option.input.peek(Token![=]) {
        option.value()?.parse::<syn::Expr>()?;
    } else if option.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in option.input);
        // Unconsumed tokens would be reported as "unexpected token".
        content.parse::<proc_macro2::TokenStream>()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;

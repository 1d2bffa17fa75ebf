//! The intermediate representation the generators read: the container, its
//! fields with their stored keys and kinds, or its variants with their stored
//! names. Built from `syn` once; every later step reads only this.

use proc_macro2::Span;
use syn::ext::IdentExt;

use super::attr;
use super::ctxt::Ctxt;

/// Which derive is running.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Derive {
    Document,
    Embedded,
}

/// The annotated type.
pub struct Container<'a> {
    pub ident: &'a syn::Ident,
    pub vis: &'a syn::Visibility,
    pub generics: &'a syn::Generics,
    pub attrs: attr::Container,
    pub data: Data<'a>,
    pub derive: Derive,
}

/// A struct's fields or a unit-only enum's variants.
pub enum Data<'a> {
    Struct(Vec<Field<'a>>),
    Enum(Vec<Variant<'a>>),
}

/// One field of a struct.
pub struct Field<'a> {
    pub ident: &'a syn::Ident,
    pub ty: &'a syn::Type,
    pub attrs: attr::Field,
    /// The stored key (`_id` for the id).
    pub key: String,
    /// Where the stored key came from (a rename literal, or the field name).
    pub key_span: Span,
    pub kind: FieldKind<'a>,
    /// The field's `#[validate(..)]` rules, for the schema and update checks.
    pub validate: super::validate::Validate,
}

/// How a field is stored.
pub enum FieldKind<'a> {
    /// The document id, stored as `_id`. `optional` is `T` when the field is `Option<T>`.
    Id { optional: Option<&'a syn::Type> },
    /// Through the field type's `IntoBson`/`FromBson`.
    Plain,
    /// Not stored; `Default::default()` (or the given default) on read.
    Skipped,
    /// Through a module's `to_raw`/`from_raw` (`#[odm(with = "...")]`).
    With(syn::Path),
    /// Through serde and bson's serializer (`#[odm(serde)]`).
    Serde,
}

/// One unit variant of an embedded enum.
pub struct Variant<'a> {
    pub ident: &'a syn::Ident,
    /// The stored string.
    pub name: String,
    pub aliases: Vec<String>,
    pub name_span: Span,
}

impl<'a> Container<'a> {
    /// The IR, or `None` when the shape cannot be derived at all (reported).
    pub fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput, derive: Derive) -> Option<Self> {
        let attrs = attr::Container::from_ast(cx, input);
        let what = match derive {
            Derive::Document => "#[derive(Document)]",
            Derive::Embedded => "#[derive(Embedded)]",
        };
        let data = match &input.data {
            syn::Data::Struct(data) => match &data.fields {
                syn::Fields::Named(named) => Data::Struct(fields(cx, &attrs, named, derive)),
                syn::Fields::Unnamed(_) => {
                    cx.error_spanned_by(
                        &data.fields,
                        format!(
                            "{what} needs a struct with named fields, which become the stored keys; \
                             write `struct {} {{ name: Type, .. }}`",
                            input.ident
                        ),
                    );
                    return None;
                }
                syn::Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        format!(
                            "{what} needs a struct with named fields, which become the stored keys; \
                             a unit struct has nothing to store"
                        ),
                    );
                    return None;
                }
            },
            syn::Data::Enum(data) => match derive {
                Derive::Document => {
                    cx.error_spanned_by(
                        data.enum_token,
                        "#[derive(Document)] needs a struct with named fields: a document is a \
                         struct stored in its own collection; to store a unit-only enum as a \
                         string inside a document, use #[derive(Embedded)]",
                    );
                    return None;
                }
                Derive::Embedded => Data::Enum(variants(cx, &attrs, data)),
            },
            syn::Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    format!("{what} does not support unions: use a struct with named fields"),
                );
                return None;
            }
        };
        Some(Container {
            ident: &input.ident,
            vis: &input.vis,
            generics: &input.generics,
            attrs,
            data,
            derive,
        })
    }

    /// The fields of a struct (none for an enum).
    pub fn fields(&self) -> &[Field<'a>] {
        match &self.data {
            Data::Struct(fields) => fields,
            Data::Enum(_) => &[],
        }
    }

    /// The id field of a document.
    pub fn id(&self) -> Option<&Field<'a>> {
        self.fields()
            .iter()
            .find(|f| matches!(f.kind, FieldKind::Id { .. }))
    }
}

impl Field<'_> {
    /// Whether the field has a stored key (and so a typed path).
    pub fn is_stored(&self) -> bool {
        !matches!(self.kind, FieldKind::Skipped)
    }
}

fn fields<'a>(
    cx: &Ctxt,
    container: &attr::Container,
    named: &'a syn::FieldsNamed,
    derive: Derive,
) -> Vec<Field<'a>> {
    let parsed: Vec<(&'a syn::Field, &'a syn::Ident, attr::Field)> = named
        .named
        .iter()
        .filter_map(|f| {
            f.ident
                .as_ref()
                .map(|ident| (f, ident, attr::Field::from_ast(cx, f)))
        })
        .collect();

    // The id is the first field marked `#[odm(id)]`, else the field named
    // `id`; `check` reports any second marked field.
    let id_index = match derive {
        Derive::Embedded => None,
        Derive::Document => parsed
            .iter()
            .position(|(_, _, a)| a.id.is_some())
            .or_else(|| {
                parsed
                    .iter()
                    .position(|(_, ident, _)| ident.unraw() == "id")
            }),
    };

    parsed
        .into_iter()
        .enumerate()
        .map(|(i, (field, ident, attrs))| {
            let (key, key_span) = if Some(i) == id_index {
                ("_id".to_owned(), ident.span())
            } else if let Some(lit) = &attrs.rename {
                (lit.value(), lit.span())
            } else {
                let name = ident.unraw().to_string();
                match container.rename_all {
                    Some(rule) => (rule.apply_to_field(&name), ident.span()),
                    None => (name, ident.span()),
                }
            };
            let kind = if Some(i) == id_index {
                FieldKind::Id {
                    optional: option_inner(&field.ty),
                }
            } else if attrs.skip.is_some() {
                FieldKind::Skipped
            } else if let Some(path) = &attrs.with {
                FieldKind::With(path.clone())
            } else if attrs.serde.is_some() {
                FieldKind::Serde
            } else {
                FieldKind::Plain
            };
            Field {
                ident,
                ty: &field.ty,
                attrs,
                key,
                key_span,
                kind,
                validate: super::validate::Validate::from_attrs(&field.attrs),
            }
        })
        .collect()
}

fn variants<'a>(
    cx: &Ctxt,
    container: &attr::Container,
    data: &'a syn::DataEnum,
) -> Vec<Variant<'a>> {
    data.variants
        .iter()
        .filter_map(|v| {
            let attrs = attr::Variant::from_ast(cx, v);
            if !matches!(v.fields, syn::Fields::Unit) {
                cx.error_spanned_by(
                    &v.fields,
                    format!(
                        "#[derive(Embedded)] stores an enum as the name of its variant, so every \
                         variant must be a unit variant; `{}` carries data. Store a data-carrying \
                         enum through serde with #[odm(serde)] on the field that holds it",
                        v.ident
                    ),
                );
                return None;
            }
            let (name, name_span) = match &attrs.rename {
                Some(lit) => (lit.value(), lit.span()),
                None => {
                    let name = v.ident.unraw().to_string();
                    match container.rename_all {
                        Some(rule) => (rule.apply_to_variant(&name), v.ident.span()),
                        None => (name, v.ident.span()),
                    }
                }
            };
            Some(Variant {
                ident: &v.ident,
                name,
                aliases: attrs.aliases.iter().map(|a| a.value()).collect(),
                name_span,
            })
        })
        .collect()
}

/// `T` when `ty` is spelled `Option<T>` (or `std::option::Option<T>`).
fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

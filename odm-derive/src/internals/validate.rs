//! The `#[validate(..)]` attributes of a field (from the `validator` crate)
//! that odm models: `range`, `length`, `email`, `url`, `regex` and `nested`.
//!
//! `validator`'s own derive owns these attributes and reports their
//! mistakes, so this parser never errors: what it does not model
//! (`custom`, `contains`, `must_match`, `credit_card`, messages and codes,
//! ...) or cannot read is skipped.

use syn::meta::ParseNestedMeta;

/// `range(min = .., max = .., exclusive_min = .., exclusive_max = ..)`.
#[derive(Default)]
pub struct Range {
    pub min: Option<syn::Expr>,
    pub max: Option<syn::Expr>,
    pub exclusive_min: Option<syn::Expr>,
    pub exclusive_max: Option<syn::Expr>,
}

/// `length(min = .., max = .., equal = ..)`.
#[derive(Default)]
pub struct Length {
    pub min: Option<syn::Expr>,
    pub max: Option<syn::Expr>,
    pub equal: Option<syn::Expr>,
}

/// The modelled `validator` attributes of one field.
#[derive(Default)]
pub struct Validate {
    pub range: Option<Range>,
    pub length: Option<Length>,
    pub email: bool,
    pub url: bool,
    /// `regex(path = ..)`: an expression of something `validator::AsRegex`.
    pub regex: Option<syn::Expr>,
    /// `nested`: the rules of the field's own type apply too.
    pub nested: bool,
}

impl Validate {
    /// Read every `#[validate(..)]` of a field.
    pub fn from_attrs(attrs: &[syn::Attribute]) -> Self {
        let mut out = Validate::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("validate")) {
            // A malformed attribute is `validator`'s to report.
            let _ = attr.parse_nested_meta(|meta| {
                let p = &meta.path;
                if p.is_ident("range") {
                    let mut r = Range::default();
                    keyed(&meta, |key, value| match key {
                        "min" => r.min = Some(value),
                        "max" => r.max = Some(value),
                        "exclusive_min" => r.exclusive_min = Some(value),
                        "exclusive_max" => r.exclusive_max = Some(value),
                        _ => {}
                    })?;
                    out.range = Some(r);
                } else if p.is_ident("length") {
                    let mut l = Length::default();
                    keyed(&meta, |key, value| match key {
                        "min" => l.min = Some(value),
                        "max" => l.max = Some(value),
                        "equal" => l.equal = Some(value),
                        _ => {}
                    })?;
                    out.length = Some(l);
                } else if p.is_ident("regex") {
                    keyed(&meta, |key, value| {
                        if key == "path" {
                            out.regex = Some(value);
                        }
                    })?;
                } else if p.is_ident("email") {
                    out.email = true;
                    skip(&meta)?;
                } else if p.is_ident("url") {
                    out.url = true;
                    skip(&meta)?;
                } else if p.is_ident("nested") {
                    out.nested = true;
                    skip(&meta)?;
                } else {
                    skip(&meta)?;
                }
                Ok(())
            });
        }
        out
    }

    /// Whether the field has any rule of its own.
    pub fn has_rules(&self) -> bool {
        self.range.is_some()
            || self.length.is_some()
            || self.email
            || self.url
            || self.regex.is_some()
    }
}

/// `name(key = expr, ..)`, calling `each` with every key and value. A
/// string literal value is the source of an expression (`path = "RE"`), as
/// `validator` accepts it.
fn keyed(meta: &ParseNestedMeta, mut each: impl FnMut(&str, syn::Expr)) -> syn::Result<()> {
    if !meta.input.peek(syn::token::Paren) {
        return skip(meta);
    }
    meta.parse_nested_meta(|inner| {
        let Some(key) = inner.path.get_ident().map(ToString::to_string) else {
            return skip(&inner);
        };
        if !inner.input.peek(syn::Token![=]) {
            return skip(&inner);
        }
        let value: syn::Expr = inner.value()?.parse()?;
        let value = match &value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => s.parse::<syn::Expr>().unwrap_or(value),
            _ => value,
        };
        each(&key, value);
        Ok(())
    })
}

/// Skip whatever follows a key: `= value`, `(..)`, or nothing.
fn skip(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::parse_quote;

    fn field(f: syn::Field) -> Validate {
        Validate::from_attrs(&f.attrs)
    }

    #[test]
    fn modelled_attributes_are_read() {
        let v = field(parse_quote! {
            #[validate(range(min = 0, max = MAX, message = "no"), email)]
            #[validate(length(equal = 5), regex(path = *ZIP, code = "zip"), nested)]
            x: String
        });
        let r = v.range.unwrap();
        assert_eq!(r.min.unwrap().to_token_stream().to_string(), "0");
        assert_eq!(r.max.unwrap().to_token_stream().to_string(), "MAX");
        assert!(r.exclusive_min.is_none());
        assert_eq!(
            v.length
                .unwrap()
                .equal
                .unwrap()
                .to_token_stream()
                .to_string(),
            "5"
        );
        assert_eq!(v.regex.unwrap().to_token_stream().to_string(), "* ZIP");
        assert!(v.email && v.nested && !v.url);
    }

    #[test]
    fn other_attributes_are_ignored() {
        let v = field(parse_quote! {
            #[validate(custom(function = "check"), contains(pattern = "a"), must_match(other = "b"), credit_card)]
            #[serde(rename = "y")]
            x: String
        });
        assert!(!v.has_rules() && !v.nested);
        let v = field(parse_quote! {
            #[validate(regex(path = "RE"), url(message = "bad"))]
            x: String
        });
        assert_eq!(v.regex.unwrap().to_token_stream().to_string(), "RE");
        assert!(v.url);
    }
}

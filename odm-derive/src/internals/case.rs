//! serde's `rename_all` rules, applied the way serde applies them, and the
//! snake_case collection name of a model.

/// One of serde's `rename_all` conventions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

/// The names `rename_all` accepts, for error messages.
pub const RULE_NAMES: &str = "\"lowercase\", \"UPPERCASE\", \"PascalCase\", \"camelCase\", \
\"snake_case\", \"SCREAMING_SNAKE_CASE\", \"kebab-case\", \"SCREAMING-KEBAB-CASE\"";

impl RenameRule {
    pub fn from_str(name: &str) -> Option<Self> {
        Some(match name {
            "lowercase" => RenameRule::Lower,
            "UPPERCASE" => RenameRule::Upper,
            "PascalCase" => RenameRule::Pascal,
            "camelCase" => RenameRule::Camel,
            "snake_case" => RenameRule::Snake,
            "SCREAMING_SNAKE_CASE" => RenameRule::ScreamingSnake,
            "kebab-case" => RenameRule::Kebab,
            "SCREAMING-KEBAB-CASE" => RenameRule::ScreamingKebab,
            _ => return None,
        })
    }

    /// Rename a field, whose Rust name is snake_case (serde's `apply_to_field`).
    pub fn apply_to_field(self, field: &str) -> String {
        match self {
            RenameRule::Lower | RenameRule::Snake => field.to_owned(),
            RenameRule::Upper | RenameRule::ScreamingSnake => field.to_ascii_uppercase(),
            RenameRule::Pascal => pascal_from_snake(field),
            RenameRule::Camel => {
                let pascal = pascal_from_snake(field);
                let mut chars = pascal.chars();
                match chars.next() {
                    Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                    None => String::new(),
                }
            }
            RenameRule::Kebab => field.replace('_', "-"),
            RenameRule::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
        }
    }

    /// Rename a variant, whose Rust name is PascalCase (serde's `apply_to_variant`).
    pub fn apply_to_variant(self, variant: &str) -> String {
        match self {
            RenameRule::Pascal => variant.to_owned(),
            RenameRule::Lower => variant.to_ascii_lowercase(),
            RenameRule::Upper => variant.to_ascii_uppercase(),
            RenameRule::Camel => {
                let mut chars = variant.chars();
                match chars.next() {
                    Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                    None => String::new(),
                }
            }
            RenameRule::Snake => serde_snake_from_pascal(variant),
            RenameRule::ScreamingSnake => serde_snake_from_pascal(variant).to_ascii_uppercase(),
            RenameRule::Kebab => serde_snake_from_pascal(variant).replace('_', "-"),
            RenameRule::ScreamingKebab => serde_snake_from_pascal(variant)
                .to_ascii_uppercase()
                .replace('_', "-"),
        }
    }
}

fn pascal_from_snake(field: &str) -> String {
    let mut out = String::new();
    let mut capitalize = true;
    for ch in field.chars() {
        if ch == '_' {
            capitalize = true;
        } else if capitalize {
            out.push(ch.to_ascii_uppercase());
            capitalize = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// serde's rule: an underscore before every uppercase letter but the first.
/// Variant names must match what serde writes, so no acronym smarts here.
fn serde_snake_from_pascal(variant: &str) -> String {
    let mut out = String::new();
    for (i, ch) in variant.char_indices() {
        if i > 0 && ch.is_uppercase() {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// The default collection name: `BlogPost` → `blog_post`, `HTTPLog` → `http_log`.
///
/// Unlike serde's rule, a run of capitals is one word, since a collection
/// called `h_t_t_p_log` helps nobody.
pub fn collection_name(ident: &str) -> String {
    let chars: Vec<char> = ident.chars().collect();
    let mut out = String::new();
    for (i, &ch) in chars.iter().enumerate() {
        if ch.is_uppercase() && i > 0 {
            let prev = chars.get(i - 1).copied().unwrap_or('_');
            let next_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
            if prev != '_' && (prev.is_lowercase() || prev.is_ascii_digit() || next_lower) {
                out.push('_');
            }
        }
        out.extend(ch.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_follow_serde() {
        let cases = [
            (RenameRule::Camel, "first_name", "firstName"),
            (RenameRule::Pascal, "first_name", "FirstName"),
            (RenameRule::Kebab, "first_name", "first-name"),
            (RenameRule::ScreamingSnake, "first_name", "FIRST_NAME"),
            (RenameRule::ScreamingKebab, "first_name", "FIRST-NAME"),
            (RenameRule::Upper, "first_name", "FIRST_NAME"),
            (RenameRule::Lower, "first_name", "first_name"),
        ];
        for (rule, input, expected) in cases {
            assert_eq!(rule.apply_to_field(input), expected, "{rule:?}");
        }
    }

    #[test]
    fn variants_follow_serde() {
        let cases = [
            (RenameRule::Snake, "InStock", "in_stock"),
            (RenameRule::Camel, "InStock", "inStock"),
            (RenameRule::Kebab, "InStock", "in-stock"),
            (RenameRule::ScreamingSnake, "InStock", "IN_STOCK"),
            (RenameRule::Lower, "InStock", "instock"),
        ];
        for (rule, input, expected) in cases {
            assert_eq!(rule.apply_to_variant(input), expected, "{rule:?}");
        }
    }

    #[test]
    fn collection_names() {
        assert_eq!(collection_name("BlogPost"), "blog_post");
        assert_eq!(collection_name("User"), "user");
        assert_eq!(collection_name("HTTPLog"), "http_log");
        assert_eq!(collection_name("Log2Entry"), "log2_entry");
        assert_eq!(collection_name("already_snake"), "already_snake");
    }
}

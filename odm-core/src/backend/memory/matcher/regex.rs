//! `$regex` and `/re/` values: MongoDB's PCRE options mapped onto
//! `fancy-regex`, which supports look-around and back-references and hands
//! plain patterns to the `regex` crate's automata.

use bson::raw::RawBsonRef;
use fancy_regex::{Regex, RegexBuilder};

use crate::error::CommandError;

/// A compiled regular expression with the pattern and options it came from
/// (a stored BSON regex matches when both are equal).
#[derive(Debug, Clone)]
pub(crate) struct RegexPred {
    re: Regex,
    pattern: Box<str>,
    options: Box<str>,
}

impl RegexPred {
    /// Compile `pattern` with MongoDB's options (`i m s x u`).
    pub(crate) fn new(pattern: &str, options: &str) -> Result<Self, CommandError> {
        let mut b = RegexBuilder::new(pattern);
        for c in options.chars() {
            match c {
                'i' => b.case_insensitive(true),
                'm' => b.multi_line(true),
                's' => b.dot_matches_new_line(true),
                'x' => b.verbose_mode(true),
                // Patterns are always Unicode here.
                'u' => &mut b,
                _ => {
                    return Err(CommandError::new(
                        51108,
                        "Location51108",
                        format!("invalid flag in regex options: {c}"),
                    ))
                }
            };
        }
        if pattern.contains('\0') {
            return Err(CommandError::new(
                51109,
                "Location51109",
                "Regular expression cannot contain an embedded null byte",
            ));
        }
        if !options.contains('m') {
            b.pattern(pcre_end_anchors(pattern));
        }
        let re = b.build().map_err(|e| {
            CommandError::new(
                51091,
                "Location51091",
                format!("Regular expression is invalid: {e}"),
            )
        })?;
        Ok(RegexPred {
            re,
            pattern: pattern.into(),
            options: options.into(),
        })
    }

    /// Whether a string matches. A pattern that exceeds the backtracking
    /// limit does not match rather than failing the whole query.
    pub(crate) fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s).unwrap_or(false)
    }

    /// MongoDB's regex predicate: strings and symbols by pattern, stored
    /// regexes by equal pattern and options; nothing else.
    pub(crate) fn test(&self, v: Option<RawBsonRef<'_>>) -> bool {
        match v {
            Some(RawBsonRef::String(s)) | Some(RawBsonRef::Symbol(s)) => self.is_match(s),
            Some(RawBsonRef::RegularExpression(r)) => {
                r.pattern.as_str() == &*self.pattern && r.options.as_str() == &*self.options
            }
            _ => false,
        }
    }
}

/// PCRE's `$` (outside multi-line mode) and `\Z` also match before a final
/// newline; Rust's `$` matches only at the very end. Rewrite both, outside
/// character classes and escapes, as "an optional newline, then the end".
/// Matching only asks whether there is a match, so consuming that newline
/// changes nothing.
fn pcre_end_anchors(pattern: &str) -> String {
    const END: &str = r"(?:\n?\z)";
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('Z') if !in_class => out.push_str(END),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` right after `[` or `[^` is a literal, not the end.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '$' if !in_class => out.push_str(END),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_map_to_pcre_behaviour() {
        assert!(RegexPred::new("^abc", "i").unwrap().is_match("ABCd"));
        assert!(!RegexPred::new("^abc", "").unwrap().is_match("ABCd"));
        assert!(RegexPred::new("^b", "m").unwrap().is_match("a\nb"));
        assert!(!RegexPred::new("^b", "").unwrap().is_match("a\nb"));
        assert!(RegexPred::new("a.b", "s").unwrap().is_match("a\nb"));
        assert!(!RegexPred::new("a.b", "").unwrap().is_match("a\nb"));
        assert!(RegexPred::new("a b # comment", "x").unwrap().is_match("ab"));
    }

    #[test]
    fn end_anchors_follow_pcre() {
        let re = RegexPred::new("abc$", "").unwrap();
        assert!(re.is_match("xabc"));
        assert!(re.is_match("xabc\n"));
        assert!(!re.is_match("abc\nx"));
        assert!(!re.is_match("abc\n\n"));
        assert!(RegexPred::new(r"c\Z", "").unwrap().is_match("abc\n"));
        // Escaped and bracketed dollars are literal.
        assert!(RegexPred::new(r"\$5", "").unwrap().is_match("costs $5"));
        assert!(RegexPred::new("[$]x", "").unwrap().is_match("a$x"));
        assert!(RegexPred::new("[]$]x", "").unwrap().is_match("a$x"));
        assert!(RegexPred::new("[^]$]", "").unwrap().is_match("a"));
        // In multi-line mode `$` is before any newline, as in Rust.
        assert!(RegexPred::new("^b$", "m").unwrap().is_match("a\nb\nc"));
        // Stored regex values still compare by their original pattern.
        assert!(re.test(Some(RawBsonRef::RegularExpression(
            bson::raw::RawRegexRef {
                pattern: bson::raw::cstr!("abc$"),
                options: bson::raw::cstr!(""),
            }
        ))));
    }

    #[test]
    fn look_around_and_back_references_work() {
        // The `regex` crate alone rejects both of these.
        let la = RegexPred::new(r"^(?=.*\d)(?=.*[a-z]).{6,}$", "").unwrap();
        assert!(la.is_match("abc123"));
        assert!(!la.is_match("abcdef"));
        let br = RegexPred::new(r"(\w)\1", "").unwrap();
        assert!(br.is_match("hello"));
        assert!(!br.is_match("helo"));
    }

    #[test]
    fn bad_options_and_patterns_are_errors() {
        assert_eq!(RegexPred::new("a", "z").unwrap_err().code, 51108);
        assert_eq!(RegexPred::new("(", "").unwrap_err().code, 51091);
    }
}

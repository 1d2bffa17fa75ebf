//! Collations: locale-aware string comparison in the spirit of ICU, for the
//! `collation` option of reads and writes.
//!
//! A [`Collation`] is compiled once from its option document and compares
//! strings level by level, as ICU does: base letters (level 1), accents
//! (level 2), case (level 3), then code points (level 5, "identical"). It is
//! not ICU: letters of every locale share one order (the folded code point),
//! accents are recognised for Latin-1 and Latin Extended-A plus combining
//! marks, and no locale tailoring is applied. That covers what applications
//! use collations for in practice: case- and accent-insensitive matching and
//! natural ("numeric") ordering.

use std::cmp::Ordering;

use bson::{Bson, Document};

use crate::error::CommandError;

/// Which case sorts first at the tertiary (or case) level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseFirst {
    /// Uppercase before lowercase.
    Upper,
    /// Lowercase before uppercase (ICU's default order, also for `off`).
    Lower,
}

/// A compiled collation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collation {
    locale: String,
    strength: u8,
    case_level: bool,
    case_first: CaseFirst,
    numeric: bool,
    /// `alternate: "shifted"`: whitespace and punctuation are ignored below
    /// level 4 (only whitespace with `maxVariable: "space"`).
    shifted: bool,
    /// With `shifted`, `maxVariable: "space"` ignores only whitespace.
    spaces_only: bool,
}

fn bad_value(msg: impl Into<String>) -> CommandError {
    CommandError::new(2, "BadValue", msg)
}

fn type_mismatch(field: &str, expected: &str) -> CommandError {
    CommandError::new(
        14,
        "TypeMismatch",
        format!("BSON field 'collation.{field}' is the wrong type, expected type '{expected}'"),
    )
}

fn int_of(v: &Bson) -> Option<i64> {
    match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        Bson::Double(d) if d.fract() == 0.0 && d.abs() < 1e15 => Some(*d as i64),
        _ => None,
    }
}

fn bool_of(field: &str, v: &Bson) -> Result<bool, CommandError> {
    match v {
        Bson::Boolean(b) => Ok(*b),
        _ => Err(type_mismatch(field, "bool")),
    }
}

fn str_of<'a>(field: &str, v: &'a Bson) -> Result<&'a str, CommandError> {
    match v {
        Bson::String(s) => Ok(s),
        _ => Err(type_mismatch(field, "string")),
    }
}

impl Collation {
    /// Compile a collation option document. `None` means binary comparison:
    /// no document, or `{locale: "simple"}`.
    ///
    /// Unknown fields and out-of-range values are refused with MongoDB's
    /// error codes; any locale other than `simple` is accepted and collates
    /// with the root order.
    pub fn compile(spec: &Document) -> Result<Option<Self>, CommandError> {
        let mut c = Collation {
            locale: String::new(),
            strength: 3,
            case_level: false,
            case_first: CaseFirst::Lower,
            numeric: false,
            shifted: false,
            spaces_only: false,
        };
        let mut locale = None;
        for (key, v) in spec {
            match key.as_str() {
                "locale" => locale = Some(str_of(key, v)?.to_owned()),
                "strength" => {
                    c.strength = match int_of(v) {
                        Some(n @ 1..=5) => n as u8,
                        Some(n) => {
                            return Err(bad_value(format!(
                                "Field 'strength' must be an integer 1 through 5. Got: {n}"
                            )))
                        }
                        None => return Err(type_mismatch(key, "int")),
                    }
                }
                "caseLevel" => c.case_level = bool_of(key, v)?,
                "caseFirst" => {
                    c.case_first = match str_of(key, v)? {
                        "upper" => CaseFirst::Upper,
                        "lower" | "off" => CaseFirst::Lower,
                        other => {
                            return Err(bad_value(format!(
                                "Field 'caseFirst' must be 'upper', 'lower' or 'off'. Got: {other}"
                            )))
                        }
                    }
                }
                "numericOrdering" => c.numeric = bool_of(key, v)?,
                "alternate" => {
                    c.shifted = match str_of(key, v)? {
                        "shifted" => true,
                        "non-ignorable" => false,
                        other => {
                            return Err(bad_value(format!(
                            "Field 'alternate' must be 'non-ignorable' or 'shifted'. Got: {other}"
                        )))
                        }
                    }
                }
                "maxVariable" => {
                    c.spaces_only = match str_of(key, v)? {
                        "space" => true,
                        "punct" => false,
                        other => {
                            return Err(bad_value(format!(
                                "Field 'maxVariable' must be 'punct' or 'space'. Got: {other}"
                            )))
                        }
                    }
                }
                // Accepted and ignored: French accent order and canonical
                // normalisation change nothing for precomposed text here;
                // `version` is what the server reports back.
                "backwards" | "normalization" => {
                    bool_of(key, v)?;
                }
                "version" => {
                    str_of(key, v)?;
                }
                other => {
                    return Err(CommandError::new(
                        40415,
                        "Location40415",
                        format!("BSON field 'collation.{other}' is an unknown field."),
                    ))
                }
            }
        }
        let Some(locale) = locale else {
            return Err(CommandError::new(
                40414,
                "Location40414",
                "BSON field 'collation.locale' is missing but a required field",
            ));
        };
        if locale.is_empty() {
            return Err(bad_value("Field 'locale' is invalid in: collation"));
        }
        if locale == "simple" {
            // `simple` takes no other option in MongoDB.
            if spec.len() > 1 {
                return Err(bad_value(
                    "If \"locale\" is \"simple\", then \"strength\" and the other options must be their defaults",
                ));
            }
            return Ok(None);
        }
        c.locale = locale;
        Ok(Some(c))
    }

    /// [`compile`](Self::compile) for an optional option document.
    pub fn from_option(spec: Option<&Document>) -> Result<Option<Self>, CommandError> {
        spec.map_or(Ok(None), Self::compile)
    }

    /// The locale this collation was created with.
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// Compare two strings under this collation.
    pub fn compare(&self, a: &str, b: &str) -> Ordering {
        if a == b {
            return Ordering::Equal;
        }
        if !self.numeric && !self.shifted && a.is_ascii() && b.is_ascii() {
            return self.compare_ascii(a, b);
        }
        self.compare_elements(a, b)
    }

    /// The common case without allocating: ASCII has one element per byte,
    /// no accents and nothing ignorable (without `shifted`).
    fn compare_ascii(&self, a: &str, b: &str) -> Ordering {
        let (x, y) = (a.bytes(), b.bytes());
        let o = x
            .clone()
            .map(ascii_primary)
            .cmp(y.clone().map(ascii_primary));
        if o != Ordering::Equal {
            return o;
        }
        if self.strength >= 3 || self.case_level {
            let case = |c: u8| {
                self.case_weight(&Elem {
                    upper: c.is_ascii_uppercase(),
                    ..Elem::plain(0)
                })
            };
            let o = x.map(case).cmp(y.map(case));
            if o != Ordering::Equal {
                return o;
            }
        }
        if self.strength == 5 {
            return a.cmp(b);
        }
        Ordering::Equal
    }

    /// The general comparison, level by level over collation elements.
    fn compare_elements(&self, a: &str, b: &str) -> Ordering {
        let (ea, eb) = (self.elements(a), self.elements(b));
        let o = cmp_level(&ea, &eb, |e| (e.primary != 0).then_some(e.primary));
        if o != Ordering::Equal {
            return o;
        }
        if self.strength >= 2 {
            let o = cmp_level(&ea, &eb, |e| Some(e.secondary));
            if o != Ordering::Equal {
                return o;
            }
        }
        if self.strength >= 3 || self.case_level {
            let o = cmp_level(&ea, &eb, |e| {
                (e.primary != 0).then_some((self.case_weight(e), e.variant))
            });
            if o != Ordering::Equal {
                return o;
            }
        }
        if self.strength >= 4 && (self.shifted || self.strength == 5) {
            // Quaternary (the ignored punctuation) and identical levels,
            // approximated by code points.
            return a.cmp(b);
        }
        Ordering::Equal
    }

    fn case_weight(&self, e: &Elem) -> u8 {
        match self.case_first {
            CaseFirst::Lower => u8::from(e.upper),
            CaseFirst::Upper => u8::from(!e.upper),
        }
    }

    /// The collation elements of a string: one per character, or two for
    /// the expansions `æ`, `œ`, `ß` and `ĳ`; a numeric run is one element
    /// for its length followed by its significant digits.
    fn elements(&self, s: &str) -> Vec<Elem> {
        let mut out = Vec::with_capacity(s.len());
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if self.numeric && c.is_ascii_digit() {
                let mut run = String::new();
                run.push(c);
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    run.push(d);
                }
                let digits = run.trim_start_matches('0');
                out.push(Elem::plain(
                    (CLASS_DIGIT << 24) | 0x80_0000 | digits.len() as u32 & 0x7f_ffff,
                ));
                out.extend(
                    digits
                        .bytes()
                        .map(|d| Elem::plain((CLASS_DIGIT << 24) | u32::from(d - b'0'))),
                );
                continue;
            }
            self.push_char(c, &mut out);
        }
        out
    }

    fn push_char(&self, c: char, out: &mut Vec<Elem>) {
        let class = class_of(c);
        let variable = match class {
            CLASS_SPACE => self.shifted,
            CLASS_PUNCT => self.shifted && !self.spaces_only,
            _ => false,
        };
        if variable {
            return;
        }
        if ('\u{300}'..='\u{36f}').contains(&c) {
            // A combining mark: an accent on the previous letter.
            out.push(Elem {
                primary: 0,
                secondary: c as u32,
                upper: false,
                variant: false,
            });
            return;
        }
        let upper = c.is_uppercase();
        if let Some((base, second)) = fold_latin(c) {
            let variant = second.is_some();
            let accent = match variant {
                true => 0,
                false => c.to_lowercase().next().map_or(0, |l| l as u32),
            };
            for letter in std::iter::once(base).chain(second) {
                out.push(Elem {
                    primary: (CLASS_LETTER << 24) | letter as u32,
                    secondary: accent,
                    upper,
                    variant,
                });
            }
            return;
        }
        if class == CLASS_LETTER {
            for l in c.to_lowercase() {
                out.push(Elem {
                    primary: (CLASS_LETTER << 24) | l as u32,
                    secondary: 0,
                    upper,
                    variant: false,
                });
            }
            return;
        }
        let value = match class {
            CLASS_DIGIT => c.to_digit(10).unwrap_or(c as u32),
            _ => c as u32,
        };
        out.push(Elem::plain((class << 24) | value));
    }
}

/// One collation element. `primary` is 0 for a combining mark.
#[derive(Debug, Clone, Copy)]
struct Elem {
    primary: u32,
    secondary: u32,
    upper: bool,
    /// A letter of an expansion (`ß` as `ss`): differs from the plain
    /// letters at the tertiary level only, as in ICU.
    variant: bool,
}

impl Elem {
    fn plain(primary: u32) -> Self {
        Elem {
            primary,
            secondary: 0,
            upper: false,
            variant: false,
        }
    }
}

// Primary weight classes, in ICU's root order: whitespace, punctuation,
// symbols, digits, then letters (and everything else).
const CLASS_SPACE: u32 = 1;
const CLASS_PUNCT: u32 = 2;
const CLASS_SYMBOL: u32 = 3;
const CLASS_DIGIT: u32 = 4;
const CLASS_LETTER: u32 = 5;

fn class_of(c: char) -> u32 {
    if c.is_whitespace() {
        CLASS_SPACE
    } else if c.is_ascii_punctuation() {
        if "$+<=>^`|~".contains(c) {
            CLASS_SYMBOL
        } else {
            CLASS_PUNCT
        }
    } else if c.is_numeric() {
        CLASS_DIGIT
    } else if c.is_alphabetic() {
        CLASS_LETTER
    } else if c.is_control() || ('\u{a0}'..='\u{bf}').contains(&c) || c == '×' || c == '÷' {
        CLASS_SYMBOL
    } else {
        CLASS_LETTER
    }
}

/// The primary weight of an ASCII byte, as [`Collation::elements`] gives it.
fn ascii_primary(c: u8) -> u32 {
    let class = class_of(char::from(c));
    let value = match class {
        CLASS_LETTER => c.to_ascii_lowercase(),
        CLASS_DIGIT => c.wrapping_sub(b'0'),
        _ => c,
    };
    (class << 24) | u32::from(value)
}

/// Compare the weights one level keeps, skipping elements it ignores.
fn cmp_level<T: Ord>(a: &[Elem], b: &[Elem], weight: impl Fn(&Elem) -> Option<T>) -> Ordering {
    a.iter()
        .filter_map(&weight)
        .cmp(b.iter().filter_map(&weight))
}

/// Base letters of U+00C0..=U+00FF (`*`: an expansion, `-`: not folded).
const LATIN1: &[u8; 64] = b"aaaaaa*ceeeeiiiidnooooo-ouuuuy-*aaaaaa*ceeeeiiiidnooooo-ouuuuy-y";
/// Base letters of U+0100..=U+017F (Latin Extended-A).
const LATIN_EXT_A: &[u8; 128] = b"aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii**jjkk-llllllllllnnnnnn---oooooo**rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

/// A Latin letter with a diacritic (or a ligature) as its lowercase base
/// letter(s); `None` for characters this table does not fold.
fn fold_latin(c: char) -> Option<(char, Option<char>)> {
    let cp = c as u32;
    let base = match cp {
        0xc0..=0xff => LATIN1.get((cp - 0xc0) as usize),
        0x100..=0x17f => LATIN_EXT_A.get((cp - 0x100) as usize),
        _ => None,
    }?;
    match base {
        b'-' => None,
        b'*' => Some(match cp {
            0xc6 | 0xe6 => ('a', Some('e')),
            0xdf => ('s', Some('s')),
            0x132 | 0x133 => ('i', Some('j')),
            _ => ('o', Some('e')),
        }),
        b => Some((char::from(*b), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn coll(spec: Document) -> Collation {
        Collation::compile(&spec).unwrap().unwrap()
    }

    fn sorted(c: &Collation, words: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| c.compare(a, b));
        v
    }

    #[test]
    fn strength_two_ignores_case_but_not_accents() {
        let c = coll(doc! {"locale": "en_US", "strength": 2});
        assert_eq!(c.compare("Straße", "STRASSE"), Ordering::Equal);
        assert_eq!(c.compare("kiwi", "KIWI"), Ordering::Equal);
        assert_eq!(c.compare("Ærø", "ærø"), Ordering::Equal);
        assert_eq!(c.compare("ærø", "aerø"), Ordering::Equal);
        assert_eq!(c.compare("resume", "résumé"), Ordering::Less);
        assert_eq!(c.compare("résumé", "RÉSUMÉ"), Ordering::Equal);
        assert_eq!(c.compare("abc", "abd"), Ordering::Less);
    }

    #[test]
    fn strength_one_ignores_accents_and_case() {
        let c = coll(doc! {"locale": "fr", "strength": 1});
        assert_eq!(c.compare("Crème Brûlée", "creme brulee"), Ordering::Equal);
        assert_eq!(c.compare("Łódź", "LODZ"), Ordering::Equal);
        assert_eq!(c.compare("straße", "strasse"), Ordering::Equal);
        assert_eq!(c.compare("crème", "cremf"), Ordering::Less);
    }

    #[test]
    fn default_strength_orders_lowercase_first_and_case_first_flips_it() {
        let c = coll(doc! {"locale": "en"});
        assert_eq!(
            sorted(&c, &["Banana", "apple", "banana", "Apple"]),
            ["apple", "Apple", "banana", "Banana"]
        );
        assert_ne!(c.compare("a", "A"), Ordering::Equal);
        // A ligature is a tertiary variant of its letters.
        assert_eq!(c.compare("strasse", "straße"), Ordering::Less);
        let upper = coll(doc! {"locale": "en", "caseFirst": "upper"});
        assert_eq!(
            sorted(&upper, &["banana", "Banana", "apple", "Apple"]),
            ["Apple", "apple", "Banana", "banana"]
        );
    }

    #[test]
    fn case_level_makes_case_matter_at_strength_one() {
        let c = coll(doc! {"locale": "en", "strength": 1, "caseLevel": true});
        assert_eq!(c.compare("élan", "elan"), Ordering::Equal);
        assert_ne!(c.compare("Elan", "elan"), Ordering::Equal);
    }

    #[test]
    fn numeric_ordering_compares_digit_runs_as_numbers() {
        let plain = coll(doc! {"locale": "en"});
        assert_eq!(plain.compare("file10", "file9"), Ordering::Less);
        let c = coll(doc! {"locale": "en", "numericOrdering": true});
        assert_eq!(
            sorted(&c, &["v10.2", "v9.11", "v10.10", "v007"]),
            ["v007", "v9.11", "v10.2", "v10.10"]
        );
        assert_eq!(c.compare("x010", "x10"), Ordering::Equal);
        assert_eq!(c.compare("12", "a"), Ordering::Less);
    }

    #[test]
    fn shifted_ignores_spaces_and_punctuation() {
        let c = coll(doc! {"locale": "en", "alternate": "shifted", "strength": 2});
        assert_eq!(c.compare("e-mail", "E mail"), Ordering::Equal);
        assert_eq!(c.compare("email", "e.mail"), Ordering::Equal);
        let spaces = coll(doc! {"locale": "en", "alternate": "shifted", "maxVariable": "space"});
        assert_ne!(spaces.compare("e-mail", "email"), Ordering::Equal);
        assert_eq!(spaces.compare("e mail", "email"), Ordering::Equal);
        let non = coll(doc! {"locale": "en", "strength": 2});
        assert_ne!(non.compare("e-mail", "email"), Ordering::Equal);
    }

    #[test]
    fn the_ascii_fast_path_agrees_with_the_general_comparison() {
        let words = [
            "", "a", "A", "ab", "aB", "Ab", "a b", "a-b", "a_b", "a1", "a10", "a9", "Z", "z", "~",
            "$", "\t", "0", "00", "1.5", "ä", "e\u{301}",
        ];
        for spec in [
            doc! {"locale": "en"},
            doc! {"locale": "en", "strength": 1},
            doc! {"locale": "en", "strength": 2},
            doc! {"locale": "en", "strength": 1, "caseLevel": true},
            doc! {"locale": "en", "caseFirst": "upper"},
            doc! {"locale": "en", "strength": 4},
            doc! {"locale": "en", "strength": 5},
        ] {
            let c = coll(spec);
            for a in words {
                for b in words {
                    assert_eq!(
                        c.compare(a, b),
                        c.compare_elements(a, b),
                        "{a:?} {b:?} {c:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn identical_strength_breaks_ties_by_code_point() {
        let c = coll(doc! {"locale": "en", "strength": 5});
        assert_eq!(c.compare("a", "a"), Ordering::Equal);
        assert_ne!(c.compare("e\u{301}", "é"), Ordering::Equal);
    }

    #[test]
    fn punctuation_sorts_before_digits_before_letters() {
        let c = coll(doc! {"locale": "en"});
        assert_eq!(sorted(&c, &["b", "_x", "7", " "]), [" ", "_x", "7", "b"]);
    }

    #[test]
    fn simple_locale_is_binary_and_bad_specs_are_refused() {
        assert_eq!(
            Collation::compile(&doc! {"locale": "simple"}).unwrap(),
            None
        );
        assert_eq!(Collation::from_option(None).unwrap(), None);
        let code = |d: Document| Collation::compile(&d).unwrap_err().code;
        assert_eq!(code(doc! {"strength": 2}), 40414);
        assert_eq!(code(doc! {"locale": "en", "colour": 1}), 40415);
        assert_eq!(code(doc! {"locale": "en", "strength": 6}), 2);
        assert_eq!(code(doc! {"locale": "en", "caseFirst": "sideways"}), 2);
        assert_eq!(code(doc! {"locale": "en", "caseLevel": 1}), 14);
        assert_eq!(code(doc! {"locale": "simple", "strength": 1}), 2);
        assert_eq!(coll(doc! {"locale": "de_AT"}).locale(), "de_AT");
    }
}

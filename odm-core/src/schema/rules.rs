//! Per-field rules from `validator` attributes, and the check of typed
//! updates against them.
//!
//! `#[derive(Document)]` on a `#[odm(validate)]` model lists every `range`,
//! `length`, `regex`, `email` and `url` attribute of its fields (and of the
//! fields of embedded values marked `#[validate(nested)]`) in
//! [`Document::field_rules`](crate::Document::field_rules), with stored
//! paths; an array's elements are `$[]` (`items.$[].qty`).
//!
//! A typed update is checked before it is sent:
//!
//! - a value written as is (`$set`, `$setOnInsert`, `$min`, `$max`) must pass
//!   the rules at its path and, for a sub-document or an array, the rules
//!   inside it;
//! - `$push` and `$addToSet` values are elements: they must pass the rules of
//!   the array's elements (`items.$[].qty`). The array's own `length(max)` is
//!   guarded (below) for `$push` and a single `$addToSet`;
//! - `$inc` and `$mul` cannot be checked without the stored value, so a
//!   bounded field gets a guard in the update's filter: `stock.inc(-10)` with
//!   `range(min = 0)` runs with `stock >= 10` added, atomically, so that
//!   concurrent decrements never cross the bound. A document the guard keeps
//!   out is reported as [`Error::Validation`](crate::Error::Validation).
//!   `$pop` on an array with `length(min)` is guarded the same way.
//!
//! `$inc`/`$mul` on `items.$[].qty` is guarded for every element, on
//! `items.2.qty` for that element. Not guarded: `$inc`/`$mul` on elements
//! picked by the query or by array filters (`items.$.qty`,
//! `items.$[big].qty`), `$pull`
//! and `$pullAll` (they shrink arrays by an unknown count), a `$push` with
//! `$slice`, `$addToSet` with `$each`. [`Update::raw`](crate::Update::raw)
//! is never checked (combined with a typed update by `&`, the whole is).
//!
//! A guard is a condition on the stored value, so a document without the
//! field is kept out too (`$inc` would create it). With `upsert`, a
//! document kept out by a guard does not stop the upsert from inserting;
//! in a `bulk_write`, a refused update shows only in the counts.

use bson::{doc, Bson, Document};

use crate::error::{FieldError, ValidationErrors};

/// A numeric bound of a `range` rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// An integer bound, compared exactly.
    Int(i64),
    /// A floating-point bound.
    Float(f64),
}

impl Bound {
    /// The bound as BSON (`int64` or `double`).
    pub fn to_bson(self) -> Bson {
        match self {
            Bound::Int(i) => Bson::Int64(i),
            Bound::Float(f) => Bson::Double(f),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Bound::Int(i) => i as f64,
            Bound::Float(f) => f,
        }
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Int(i) => write!(f, "{i}"),
            Bound::Float(x) => write!(f, "{x}"),
        }
    }
}

macro_rules! bound_from {
    (int: $($t:ty),*; float: $($f:ty),*) => {
        $(impl From<$t> for Bound {
            fn from(v: $t) -> Self {
                i64::try_from(v).map_or(Bound::Int(i64::MAX), Bound::Int)
            }
        })*
        $(impl From<$f> for Bound {
            fn from(v: $f) -> Self {
                Bound::Float(f64::from(v))
            }
        })*
    };
}

bound_from!(int: i8, i16, i32, i64, isize, u8, u16, u32, u64, usize; float: f32, f64);

/// A `length` bound as `u64` (generated code passes whatever integer the
/// attribute holds; a negative one counts as 0).
#[doc(hidden)]
pub fn count<T: TryInto<u64> + PartialOrd + Default>(n: T) -> u64 {
    if n < T::default() {
        return 0;
    }
    n.try_into().unwrap_or(u64::MAX)
}

/// One `validator` rule, as odm models it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Rule {
    /// `range(min, max, exclusive_min, exclusive_max)`.
    Range {
        /// Inclusive lower bound.
        min: Option<Bound>,
        /// Inclusive upper bound.
        max: Option<Bound>,
        /// Exclusive lower bound.
        exclusive_min: Option<Bound>,
        /// Exclusive upper bound.
        exclusive_max: Option<Bound>,
    },
    /// `length(min, max, equal)`: characters of a string, items of an array.
    Length {
        /// At least.
        min: Option<u64>,
        /// At most.
        max: Option<u64>,
        /// Exactly.
        equal: Option<u64>,
    },
    /// `regex(path = ..)`: the pattern, and the `Regex` itself for the check.
    Pattern {
        /// The regular expression's source.
        pattern: String,
        /// Whether a string matches (the model's own `Regex`).
        matches: fn(&str) -> bool,
    },
    /// `email`, checked by `validator`.
    Email,
    /// `url`, checked by `validator`.
    Url,
}

impl Rule {
    /// The rule's code, as `validator` names it (`range`, `length`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Rule::Range { .. } => "range",
            Rule::Length { .. } => "length",
            Rule::Pattern { .. } => "regex",
            Rule::Email => "email",
            Rule::Url => "url",
        }
    }

    /// Why `value` breaks the rule, or `None` when it passes. Values of a
    /// kind the rule is not about pass (as in `$jsonSchema`), and so does
    /// `null` (an `Option`'s `None`).
    pub fn violation(&self, value: &Bson) -> Option<String> {
        match (self, value) {
            (
                Rule::Range {
                    min,
                    max,
                    exclusive_min,
                    exclusive_max,
                },
                v,
            ) => {
                let x = number(v)?;
                let below = |b: &Option<Bound>, strict: bool| {
                    b.filter(|b| {
                        if strict {
                            x <= b.as_f64()
                        } else {
                            x < b.as_f64()
                        }
                    })
                };
                let above = |b: &Option<Bound>, strict: bool| {
                    b.filter(|b| {
                        if strict {
                            x >= b.as_f64()
                        } else {
                            x > b.as_f64()
                        }
                    })
                };
                if let Some(b) = below(min, false) {
                    Some(format!("must be at least {b} (got {v})"))
                } else if let Some(b) = below(exclusive_min, true) {
                    Some(format!("must be greater than {b} (got {v})"))
                } else if let Some(b) = above(max, false) {
                    Some(format!("must be at most {b} (got {v})"))
                } else {
                    above(exclusive_max, true).map(|b| format!("must be less than {b} (got {v})"))
                }
            }
            (Rule::Length { min, max, equal }, v) => {
                let (n, unit) = match v {
                    Bson::String(s) => (s.chars().count() as u64, "characters"),
                    Bson::Array(a) => (a.len() as u64, "items"),
                    _ => return None,
                };
                if equal.is_some_and(|e| n != e) {
                    Some(format!("must have {} {unit} (got {n})", equal.unwrap_or(0)))
                } else if min.is_some_and(|m| n < m) {
                    Some(format!(
                        "must have at least {} {unit} (got {n})",
                        min.unwrap_or(0)
                    ))
                } else if max.is_some_and(|m| n > m) {
                    Some(format!(
                        "must have at most {} {unit} (got {n})",
                        max.unwrap_or(0)
                    ))
                } else {
                    None
                }
            }
            (Rule::Pattern { pattern, matches }, Bson::String(s)) => {
                (!matches(s)).then(|| format!("must match /{pattern}/ (got {s:?})"))
            }
            (Rule::Email, Bson::String(s)) => (!validator::ValidateEmail::validate_email(s))
                .then(|| format!("must be an email address (got {s:?})")),
            (Rule::Url, Bson::String(s)) => (!validator::ValidateUrl::validate_url(s))
                .then(|| format!("must be a URL (got {s:?})")),
            _ => None,
        }
    }
}

fn number(v: &Bson) -> Option<f64> {
    match v {
        Bson::Int32(i) => Some(f64::from(*i)),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(d) => Some(*d),
        _ => None,
    }
}

/// A rule at a stored path of a model (`age`, `address.zip`, `items.$[].qty`).
#[derive(Debug, Clone)]
pub struct FieldRule {
    /// The stored path; `$[]` stands for every element of an array.
    pub path: String,
    /// The rule.
    pub rule: Rule,
}

impl FieldRule {
    /// A rule at `path`.
    pub fn new(path: impl Into<String>, rule: Rule) -> Self {
        FieldRule {
            path: path.into(),
            rule,
        }
    }
}

/// Whether an update path's segment can stand for the rule's `$[]`.
fn is_element(segment: &str) -> bool {
    segment == "$"
        || segment.starts_with("$[")
        || (!segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()))
}

/// The rest of `rule` below `update`, when `update` is `rule` or one of its
/// ancestors.
fn below<'r>(rule: &'r str, update: &str) -> Option<Vec<&'r str>> {
    let mut rule = rule.split('.');
    for seg in update.split('.') {
        let r = rule.next()?;
        if !(r == seg || (r == "$[]" && is_element(seg))) {
            return None;
        }
    }
    Some(rule.collect())
}

/// Check every value found at `rest` under `value`, reporting `path` with
/// real array indexes.
fn check_under(rule: &Rule, path: String, value: &Bson, rest: &[&str], out: &mut Vec<FieldError>) {
    match rest.split_first() {
        None => {
            if let Some(message) = rule.violation(value) {
                out.push(FieldError {
                    path,
                    code: rule.code().into(),
                    message,
                });
            }
        }
        Some((&"$[]", rest)) => {
            if let Bson::Array(items) = value {
                for (i, item) in items.iter().enumerate() {
                    check_under(rule, format!("{path}.{i}"), item, rest, out);
                }
            }
        }
        Some((key, rest)) => {
            if let Some(v) = value.as_document().and_then(|d| d.get(*key)) {
                check_under(rule, format!("{path}.{key}"), v, rest, out);
            }
        }
    }
}

/// What a checked update needs from its filter: a conjunction of guards,
/// and what to report when they keep a matching document out.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// The conditions to add (`{stock: {$gte: 10}}`).
    pub conditions: Vec<Document>,
    /// The bounds the guarded operators would otherwise cross.
    pub refusal: Vec<FieldError>,
}

impl Guard {
    /// Whether nothing is guarded.
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    /// `filter` with the guards added.
    pub fn apply(&self, filter: Document) -> Document {
        if self.conditions.is_empty() {
            return filter;
        }
        let mut all: Vec<Bson> = Vec::with_capacity(self.conditions.len() + 1);
        if !filter.is_empty() {
            all.push(filter.into());
        }
        all.extend(self.conditions.iter().cloned().map(Bson::Document));
        doc! {"$and": all}
    }

    /// The documents `filter` matches that the guards keep out.
    pub fn refused(&self, filter: Document) -> Document {
        let nor: Vec<Bson> = vec![
            doc! {"$and": self.conditions.iter().cloned().map(Bson::Document).collect::<Vec<_>>()}
                .into(),
        ];
        if filter.is_empty() {
            doc! {"$nor": nor}
        } else {
            doc! {"$and": [filter, {"$nor": nor}]}
        }
    }
}

/// Check a typed update document against `rules`: the values it writes,
/// and the guards its `$inc`, `$mul`, `$push`, `$addToSet` and `$pop` need.
pub fn check_update(rules: &[FieldRule], update: &Document) -> Result<Guard, ValidationErrors> {
    let mut errors = Vec::new();
    let mut guard = Guard::default();
    if rules.is_empty() {
        return Ok(guard);
    }
    for (op, fields) in update {
        let Some(fields) = fields.as_document() else {
            continue;
        };
        for (path, value) in fields {
            match op.as_str() {
                "$set" | "$setOnInsert" | "$min" | "$max" => {
                    for r in rules {
                        if let Some(rest) = below(&r.path, path) {
                            check_under(&r.rule, path.clone(), value, &rest, &mut errors);
                        }
                    }
                }
                "$push" | "$addToSet" => elements(rules, op, path, value, &mut errors, &mut guard),
                "$inc" | "$mul" => arithmetic(rules, op, path, value, &mut errors, &mut guard),
                "$pop" => pop(rules, path, &mut guard),
                _ => {}
            }
        }
    }
    if errors.is_empty() {
        Ok(guard)
    } else {
        Err(ValidationErrors { fields: errors })
    }
}

fn plain(path: &str) -> bool {
    !path.split('.').any(is_element)
}

fn elements(
    rules: &[FieldRule],
    op: &str,
    path: &str,
    value: &Bson,
    errors: &mut Vec<FieldError>,
    guard: &mut Guard,
) {
    let modifiers = value
        .as_document()
        .filter(|d| d.contains_key("$each"))
        .cloned();
    let items: Vec<Bson> = match &modifiers {
        Some(m) => match m.get("$each") {
            Some(Bson::Array(items)) => items.clone(),
            _ => return,
        },
        None => vec![value.clone()],
    };
    let element_path = format!("{path}.$[]");
    for r in rules {
        if let Some(rest) = below(&r.path, &element_path) {
            for (i, item) in items.iter().enumerate() {
                let shown = format!(
                    "{path}.{}",
                    if items.len() == 1 {
                        "$".into()
                    } else {
                        i.to_string()
                    }
                );
                check_under(&r.rule, shown, item, &rest, errors);
            }
        }
    }
    let n = items.len() as u64;
    for r in rules.iter().filter(|r| r.path == path && plain(path)) {
        let Rule::Length { max, equal, .. } = &r.rule else {
            continue;
        };
        let Some(max) = equal.or(*max) else { continue };
        if modifiers.as_ref().is_some_and(|m| m.contains_key("$slice")) {
            continue;
        }
        if n > max {
            errors.push(FieldError {
                path: path.to_owned(),
                code: "length".into(),
                message: format!("must have at most {max} items (pushing {n})"),
            });
            continue;
        }
        let room = doc! {format!("{path}.{}", max - n): {"$exists": false}};
        let condition = match (op, &modifiers) {
            ("$push", _) => room,
            // Adding an element already present changes nothing.
            ("$addToSet", None) => doc! {"$or": [room, {path: value.clone()}]},
            _ => continue,
        };
        guard.conditions.push(condition);
        guard.refusal.push(FieldError {
            path: path.to_owned(),
            code: "length".into(),
            message: format!("would have more than {max} items"),
        });
    }
}

fn pop(rules: &[FieldRule], path: &str, guard: &mut Guard) {
    for r in rules.iter().filter(|r| r.path == path && plain(path)) {
        if let Rule::Length { min, equal, .. } = &r.rule {
            if let Some(min) = equal.or(*min).filter(|m| *m > 0) {
                guard
                    .conditions
                    .push(doc! {format!("{path}.{min}"): {"$exists": true}});
                guard.refusal.push(FieldError {
                    path: path.to_owned(),
                    code: "length".into(),
                    message: format!("would have fewer than {min} items"),
                });
            }
        }
    }
}

/// `old + d` (or `old * d`) stays within a range when `old` passes these.
fn arithmetic(
    rules: &[FieldRule],
    op: &str,
    path: &str,
    value: &Bson,
    errors: &mut Vec<FieldError>,
    guard: &mut Guard,
) {
    let Some(d) = number(value) else { return };
    let at_path = |r: &&FieldRule| below(&r.path, path).is_some_and(|rest| rest.is_empty());
    for r in rules.iter().filter(at_path) {
        let Some(target) = Target::of(path) else {
            continue;
        };
        let Rule::Range {
            min,
            max,
            exclusive_min,
            exclusive_max,
        } = &r.rule
        else {
            continue;
        };
        let lows = [(min, false), (exclusive_min, true)];
        let highs = [(max, false), (exclusive_max, true)];
        if op == "$mul" && d == 0.0 {
            // The result is 0 whatever was stored.
            if let Some(message) = r.rule.violation(&Bson::Int32(0)) {
                errors.push(FieldError {
                    path: path.to_owned(),
                    code: "range".into(),
                    message,
                });
            }
            continue;
        }
        let mut add = |cmp: &str, limit: Bson, what: String| {
            guard.conditions.push(target.condition(cmp, limit));
            guard.refusal.push(FieldError {
                path: path.to_owned(),
                code: "range".into(),
                message: what,
            });
        };
        for (bounds, low) in [(lows, true), (highs, false)] {
            for (bound, strict) in bounds.iter().filter_map(|(b, s)| b.map(|b| (b, *s))) {
                let limit = match op {
                    "$inc" if (low && d < 0.0) || (!low && d > 0.0) => shifted(bound, value),
                    "$mul" if d < 0.0 || (d > 0.0 && d != 1.0) => (bound.as_f64() / d).into(),
                    _ => continue,
                };
                // The stored value must stay on the bound's allowed side,
                // which a negative factor turns over.
                let above = low != (op == "$mul" && d < 0.0);
                let cmp = match (above, strict) {
                    (true, true) => "$gt",
                    (true, false) => "$gte",
                    (false, true) => "$lt",
                    (false, false) => "$lte",
                };
                let reach = if strict { "reach or " } else { "" };
                let side = if low { "below" } else { "above" };
                add(cmp, limit, format!("would {reach}go {side} {bound}"));
            }
        }
    }
}

/// Where an arithmetic update's guard applies.
enum Target<'a> {
    /// A plain path, or one with array indexes (`lines.2.qty`): the stored
    /// value at that path must pass.
    Path(&'a str),
    /// Every element (`lines.$[].qty`): no element may fail.
    Every { array: &'a str, rest: &'a str },
}

impl<'a> Target<'a> {
    /// `None` for paths that name elements picked by the query (`$`) or by
    /// array filters (`$[id]`), or several levels of `$[]`: not guarded.
    fn of(path: &'a str) -> Option<Self> {
        let positional = |seg: &str| seg.starts_with('$');
        match path.split_once(".$[].") {
            Some((array, rest)) if !array.split('.').any(positional) => {
                (!rest.split('.').any(positional)).then_some(Target::Every { array, rest })
            }
            Some(_) => None,
            None => match path.strip_suffix(".$[]") {
                Some(array) if !array.split('.').any(positional) => {
                    Some(Target::Every { array, rest: "" })
                }
                Some(_) => None,
                None => (!path.split('.').any(positional)).then_some(Target::Path(path)),
            },
        }
    }

    /// The condition that the stored value passes `{cmp: limit}`.
    fn condition(&self, cmp: &str, limit: Bson) -> Document {
        match self {
            Target::Path(path) => doc! {*path: {cmp: limit}},
            Target::Every { array, rest } => {
                let failing = match cmp {
                    "$gte" => "$lt",
                    "$gt" => "$lte",
                    "$lte" => "$gt",
                    _ => "$gte",
                };
                let element = if rest.is_empty() {
                    doc! {failing: limit}
                } else {
                    doc! {*rest: {failing: limit}}
                };
                doc! {*array: {"$not": {"$elemMatch": element}}}
            }
        }
    }
}

/// `bound - delta`, exactly for integers.
fn shifted(bound: Bound, delta: &Bson) -> Bson {
    let int_delta = match delta {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        _ => None,
    };
    match (bound, int_delta) {
        (Bound::Int(b), Some(d)) => match b.checked_sub(d) {
            Some(x) => Bson::Int64(x),
            None => Bson::Double(b as f64 - d as f64),
        },
        _ => Bson::Double(bound.as_f64() - number(delta).unwrap_or(0.0)),
    }
}

#[cfg(test)]
mod tests;

//! Array modifiers: `$push` (with `$each`, `$position`, `$sort`, `$slice`),
//! `$addToSet`, `$pop`, `$pull` and `$pullAll`.

use std::cmp::Ordering;

use bson::{Bson, Document, RawDocumentBuf};

use super::path::{get_dotted, Walk};
use crate::backend::memory::compare::compare_bson;
use crate::backend::memory::matcher::Matcher;
use crate::error::CommandError;
use crate::value::{display_bson, element_type_name};

fn type_name(v: &Bson) -> &'static str {
    element_type_name(v.element_type())
}

fn equal(a: &Bson, b: &Bson) -> bool {
    compare_bson(a, b) == Ordering::Equal
}

/// An integral number argument (`3`, `3i64`, `3.0`).
fn integral(v: &Bson) -> Option<i64> {
    match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        Bson::Double(d) if d.fract() == 0.0 && d.abs() < 9.2e18 => Some(*d as i64),
        _ => None,
    }
}

/// How `$push` sorts the array.
#[derive(Debug, Clone, PartialEq)]
enum SortSpec {
    /// Whole elements, descending when `true`.
    Whole(bool),
    /// By embedded fields, each descending when `true`.
    Fields(Vec<(String, bool)>),
}

fn sort_direction(v: &Bson) -> Option<bool> {
    match integral(v) {
        Some(1) => Some(false),
        Some(-1) => Some(true),
        _ => None,
    }
}

impl SortSpec {
    fn parse(v: &Bson) -> Result<Self, CommandError> {
        let invalid = || {
            CommandError::bad_value(
                "The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to \
                 sort embedded fields",
            )
        };
        if let Bson::Document(d) = v {
            if d.is_empty() {
                return Err(CommandError::bad_value(
                    "The $sort pattern is empty when it should be a set of fields.",
                ));
            }
            let mut keys = Vec::with_capacity(d.len());
            for (k, dir) in d {
                if k.is_empty() || k.starts_with('$') || k.split('.').any(str::is_empty) {
                    return Err(invalid());
                }
                keys.push((k.clone(), sort_direction(dir).ok_or_else(invalid)?));
            }
            return Ok(SortSpec::Fields(keys));
        }
        sort_direction(v).map(SortSpec::Whole).ok_or_else(invalid)
    }

    fn compare(&self, a: &Bson, b: &Bson) -> Ordering {
        let directed = |o: Ordering, desc: bool| if desc { o.reverse() } else { o };
        match self {
            SortSpec::Whole(desc) => directed(compare_bson(a, b), *desc),
            SortSpec::Fields(keys) => {
                for (path, desc) in keys {
                    let o = compare_bson(field_of(a, path), field_of(b, path));
                    if o != Ordering::Equal {
                        return directed(o, *desc);
                    }
                }
                Ordering::Equal
            }
        }
    }
}

/// A sort key of an element; missing (or not a document) sorts as null.
fn field_of<'a>(v: &'a Bson, path: &str) -> &'a Bson {
    const NULL: &Bson = &Bson::Null;
    match v {
        Bson::Document(d) => get_dotted(d, path).unwrap_or(NULL),
        _ => NULL,
    }
}

/// A parsed `$push` argument.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Push {
    each: Vec<Bson>,
    position: Option<i64>,
    sort: Option<SortSpec>,
    slice: Option<i64>,
}

impl Push {
    /// A value, or a `{$each: [..], $position, $sort, $slice}` document.
    pub fn parse(arg: &Bson) -> Result<Self, CommandError> {
        let mut push = Push {
            each: vec![arg.clone()],
            position: None,
            sort: None,
            slice: None,
        };
        let Bson::Document(d) = arg else {
            return Ok(push);
        };
        if !d.contains_key("$each") {
            return Ok(push);
        }
        for (k, v) in d {
            match k.as_str() {
                "$each" => match v {
                    Bson::Array(items) => push.each = items.clone(),
                    _ => {
                        return Err(CommandError::bad_value(format!(
                            "The argument to $each in $push must be an array but it was of \
                             type: {}",
                            type_name(v)
                        )))
                    }
                },
                "$slice" => {
                    push.slice = Some(integral(v).ok_or_else(|| {
                        CommandError::bad_value(format!(
                            "The value for $slice must be an integral value but was given \
                             type: {}",
                            type_name(v)
                        ))
                    })?)
                }
                "$position" => {
                    push.position = Some(integral(v).ok_or_else(|| {
                        CommandError::bad_value(format!(
                            "The value for $position must be an integer value, not of type: {}",
                            type_name(v)
                        ))
                    })?)
                }
                "$sort" => push.sort = Some(SortSpec::parse(v)?),
                _ => {
                    return Err(CommandError::bad_value(format!(
                        "Unrecognized clause in $push: {k}"
                    )))
                }
            }
        }
        Ok(push)
    }

    fn modify(&self, items: &mut Vec<Bson>) {
        let len = items.len();
        let at = match self.position {
            None => len,
            Some(p) if p >= 0 => usize::try_from(p).map_or(len, |p| p.min(len)),
            Some(p) => usize::try_from(p.unsigned_abs()).map_or(0, |back| len.saturating_sub(back)),
        };
        items.splice(at..at, self.each.iter().cloned());
        if let Some(sort) = &self.sort {
            items.sort_by(|a, b| sort.compare(a, b));
        }
        match self.slice {
            Some(n) if n >= 0 => items.truncate(usize::try_from(n).unwrap_or(usize::MAX)),
            Some(n) => {
                let keep = usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX);
                let drop = items.len().saturating_sub(keep);
                items.drain(..drop);
            }
            None => {}
        }
    }

    /// Push onto an existing array.
    pub fn apply(&self, value: &mut Bson, field: &str, w: &Walk<'_>) -> Result<bool, CommandError> {
        let Bson::Array(items) = value else {
            return Err(CommandError::bad_value(format!(
                "The field '{field}' must be an array but is of type {} in document {}",
                type_name(value),
                w.id_text()
            )));
        };
        if self.sort.is_none() && self.slice.is_none() {
            // Appending or inserting changes the array exactly when there is something to add.
            self.modify(items);
            return Ok(!self.each.is_empty());
        }
        let before = items.clone();
        self.modify(items);
        Ok(before.len() != items.len()
            || before
                .iter()
                .zip(items.iter())
                .any(|(a, b)| !super::fields::identical(a, b)))
    }

    /// The array a missing field becomes.
    pub fn on_missing(&self) -> Bson {
        let mut items = Vec::new();
        self.modify(&mut items);
        Bson::Array(items)
    }
}

/// A parsed `$addToSet` argument: the values to add, without duplicates.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct AddToSet {
    each: Vec<Bson>,
}

impl AddToSet {
    /// A value, or `{$each: [..]}`.
    pub fn parse(arg: &Bson) -> Result<Self, CommandError> {
        let values = match arg {
            Bson::Document(d) if d.keys().next().map(String::as_str) == Some("$each") => {
                if d.len() > 1 {
                    return Err(CommandError::bad_value(format!(
                        "Found unexpected fields after $each in $addToSet: {}",
                        display_bson(arg)
                    )));
                }
                match d.get("$each") {
                    Some(Bson::Array(items)) => items.as_slice(),
                    other => {
                        return Err(CommandError::bad_value(format!(
                            "The argument to $each in $addToSet must be an array but it was of \
                             type {}",
                            other.map_or("missing", type_name)
                        )))
                    }
                }
            }
            _ => std::slice::from_ref(arg),
        };
        let mut each: Vec<Bson> = Vec::with_capacity(values.len());
        for v in values {
            if !each.iter().any(|e| equal(e, v)) {
                each.push(v.clone());
            }
        }
        Ok(AddToSet { each })
    }

    /// Add the values not already in an existing array.
    pub fn apply(
        &self,
        value: &mut Bson,
        field: &str,
        _w: &Walk<'_>,
    ) -> Result<bool, CommandError> {
        let Bson::Array(items) = value else {
            return Err(CommandError::bad_value(format!(
                "Cannot apply $addToSet to non-array field. Field named '{field}' has non-array \
                 type {}",
                type_name(value)
            )));
        };
        let mut changed = false;
        for v in &self.each {
            if !items.iter().any(|e| equal(e, v)) {
                items.push(v.clone());
                changed = true;
            }
        }
        Ok(changed)
    }

    /// The array a missing field becomes.
    pub fn on_missing(&self) -> Bson {
        Bson::Array(self.each.clone())
    }
}

/// Parse `$pop`'s argument: `true` removes the first element (`-1`).
pub(super) fn parse_pop(field: &str, arg: &Bson) -> Result<bool, CommandError> {
    let n = match arg {
        Bson::Int32(i) => f64::from(*i),
        Bson::Int64(i) => *i as f64,
        Bson::Double(d) => *d,
        Bson::Decimal128(d) => d.to_string().parse().unwrap_or(f64::NAN),
        _ => {
            return Err(CommandError::failed_to_parse(format!(
                "Expected a number in: {field}: {}",
                display_bson(arg)
            )))
        }
    };
    if n == 1.0 {
        Ok(false)
    } else if n == -1.0 {
        Ok(true)
    } else {
        Err(CommandError::failed_to_parse(format!(
            "$pop expects 1 or -1, found: {}",
            display_bson(arg)
        )))
    }
}

/// `$pop` on an existing value.
pub(super) fn pop(value: &mut Bson, first: bool, path: &str) -> Result<bool, CommandError> {
    let Bson::Array(items) = value else {
        return Err(CommandError::type_mismatch(format!(
            "Path '{path}' contains an element of non-array type '{}'",
            type_name(value)
        )));
    };
    if items.is_empty() {
        return Ok(false);
    }
    if first {
        items.remove(0);
    } else {
        items.pop();
    }
    Ok(true)
}

/// Parse `$pullAll`'s argument.
pub(super) fn parse_pull_all(arg: &Bson) -> Result<Vec<Bson>, CommandError> {
    match arg {
        Bson::Array(items) => Ok(items.clone()),
        _ => Err(CommandError::bad_value(format!(
            "$pullAll requires an array argument but was given a {}",
            type_name(arg)
        ))),
    }
}

fn not_an_array() -> CommandError {
    CommandError::bad_value("Cannot apply $pull to a non-array value")
}

/// `$pullAll` on an existing value.
pub(super) fn pull_all(value: &mut Bson, values: &[Bson]) -> Result<bool, CommandError> {
    let Bson::Array(items) = value else {
        return Err(not_an_array());
    };
    let len = items.len();
    items.retain(|e| !values.iter().any(|v| equal(e, v)));
    Ok(items.len() != len)
}

/// The key an element is wrapped under to test it against an operator condition.
const WRAP: &str = "v";

/// Operators that only make sense at the top of a query: a `$pull` document
/// starting with one is a query on document elements, not a condition on values.
const TOP_LEVEL_ONLY: &[&str] = &[
    "$and",
    "$or",
    "$nor",
    "$expr",
    "$where",
    "$text",
    "$comment",
    "$jsonSchema",
    "$alwaysTrue",
    "$alwaysFalse",
];

/// A parsed `$pull` condition.
#[derive(Debug, Clone)]
pub(super) enum Pull {
    /// A plain value: remove equal elements.
    Equal(Bson),
    /// A query document: remove document elements it matches.
    Query(Matcher),
    /// An operator condition (`{$gte: 6}`): remove elements it accepts as values.
    Condition(Matcher),
}

impl Pull {
    /// Classify and compile a `$pull` argument.
    pub fn parse(arg: &Bson) -> Result<Self, CommandError> {
        let condition = match arg {
            // A regular expression matches strings, as in a query.
            Bson::RegularExpression(_) => true,
            Bson::Document(d) => {
                let first = d.keys().next().map(String::as_str).unwrap_or_default();
                if !first.starts_with('$') || TOP_LEVEL_ONLY.contains(&first) {
                    return Ok(Pull::Query(Matcher::compile(d)?));
                }
                true
            }
            _ => false,
        };
        if !condition {
            return Ok(Pull::Equal(arg.clone()));
        }
        let mut wrapped = Document::new();
        wrapped.insert(WRAP, arg.clone());
        Ok(Pull::Condition(Matcher::compile(&wrapped)?))
    }

    fn matches(&self, elem: &Bson) -> Result<bool, CommandError> {
        match self {
            Pull::Equal(v) => Ok(equal(elem, v)),
            Pull::Query(m) => match elem {
                Bson::Document(d) => m.matches(&raw(d)?),
                _ => Ok(false),
            },
            Pull::Condition(m) => {
                let mut wrapped = Document::new();
                wrapped.insert(WRAP, elem.clone());
                m.matches(&raw(&wrapped)?)
            }
        }
    }

    /// Remove the matching elements of an existing array.
    pub fn apply(&self, value: &mut Bson) -> Result<bool, CommandError> {
        let Bson::Array(items) = value else {
            return Err(not_an_array());
        };
        let mut keep = Vec::with_capacity(items.len());
        for item in items.iter() {
            keep.push(!self.matches(item)?);
        }
        let mut flags = keep.iter();
        items.retain(|_| flags.next().copied().unwrap_or(true));
        Ok(keep.contains(&false))
    }
}

/// Encode a document for the matcher.
pub(super) fn raw(d: &Document) -> Result<RawDocumentBuf, CommandError> {
    RawDocumentBuf::try_from(d).map_err(|e| CommandError::bad_value(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn push(arg: Bson, start: Vec<Bson>) -> Vec<Bson> {
        let p = Push::parse(&arg).unwrap();
        let mut items = start;
        p.modify(&mut items);
        items
    }

    fn ints(v: &[i32]) -> Vec<Bson> {
        v.iter().map(|&i| Bson::Int32(i)).collect()
    }

    #[test]
    fn push_modifiers_apply_in_order() {
        let arg = Bson::Document(doc! {"$each": [7, 8], "$position": 1});
        assert_eq!(push(arg, ints(&[1, 2, 3])), ints(&[1, 7, 8, 2, 3]));
        let arg = Bson::Document(doc! {"$each": [7], "$position": -1});
        assert_eq!(push(arg, ints(&[1, 2, 3])), ints(&[1, 2, 7, 3]));
        let arg = Bson::Document(doc! {"$each": [7], "$position": -10});
        assert_eq!(push(arg, ints(&[1, 2])), ints(&[7, 1, 2]));
        let arg = Bson::Document(doc! {"$each": [0, 9], "$sort": -1, "$slice": 3});
        assert_eq!(push(arg, ints(&[4, 2, 6])), ints(&[9, 6, 4]));
        let arg = Bson::Document(doc! {"$each": [], "$slice": -2});
        assert_eq!(push(arg, ints(&[4, 2, 6])), ints(&[2, 6]));
    }

    #[test]
    fn push_sorts_documents_stably_by_fields() {
        let arg = Bson::Document(doc! {"$each": [{"k": 2, "n": "c"}], "$sort": {"k": 1}});
        let start = vec![
            Bson::Document(doc! {"k": 2, "n": "a"}),
            Bson::Document(doc! {"k": 1, "n": "b"}),
        ];
        let names: Vec<_> = push(arg, start)
            .iter()
            .map(|d| d.as_document().unwrap().get_str("n").unwrap().to_string())
            .collect();
        assert_eq!(names, vec!["b", "a", "c"]);
    }

    #[test]
    fn push_argument_errors() {
        let bad = [
            doc! {"$each": 1},
            doc! {"$each": [1], "$slice": "x"},
            doc! {"$each": [1], "$sort": 2},
            doc! {"$each": [1], "$sort": {}},
            doc! {"$each": [1], "$position": 1.5},
            doc! {"$each": [1], "$bogus": 1},
        ];
        for d in bad {
            assert_eq!(
                Push::parse(&Bson::Document(d.clone())).unwrap_err().code,
                2,
                "{d}"
            );
        }
        // Without $each a document is pushed as a value.
        let p = Push::parse(&Bson::Document(doc! {"a": 1})).unwrap();
        assert_eq!(p.each, vec![Bson::Document(doc! {"a": 1})]);
    }

    #[test]
    fn add_to_set_dedupes_by_mongodb_equality() {
        let a = AddToSet::parse(&Bson::Document(
            doc! {"$each": [1, 1.0, 2, {"a": 1, "b": 2}, {"b": 2, "a": 1}]},
        ))
        .unwrap();
        assert_eq!(a.each.len(), 4);
        assert_eq!(
            AddToSet::parse(&Bson::Document(doc! {"$each": [1], "x": 1}))
                .unwrap_err()
                .code,
            2
        );
    }

    #[test]
    fn pop_and_pull_all() {
        assert!(parse_pop("a", &Bson::Int32(-1)).unwrap());
        assert!(!parse_pop("a", &Bson::Double(1.0)).unwrap());
        assert_eq!(parse_pop("a", &Bson::Int32(2)).unwrap_err().code, 9);
        let mut v = Bson::Array(ints(&[1, 2, 3]));
        assert!(pop(&mut v, true, "a").unwrap());
        assert_eq!(v, Bson::Array(ints(&[2, 3])));
        assert_eq!(pop(&mut Bson::Int32(1), true, "a").unwrap_err().code, 14);
        let mut v = Bson::Array(ints(&[1, 2, 1, 3]));
        assert!(pull_all(&mut v, &[Bson::Double(1.0)]).unwrap());
        assert_eq!(v, Bson::Array(ints(&[2, 3])));
        assert!(!pull_all(&mut v, &[Bson::Int32(9)]).unwrap());
    }

    #[test]
    fn pull_by_value_needs_no_matcher() {
        let p = Pull::parse(&Bson::Array(ints(&[1, 2]))).unwrap();
        let mut v = Bson::Array(vec![
            Bson::Array(ints(&[1, 2])),
            Bson::Array(ints(&[2, 1])),
            Bson::Int32(1),
        ]);
        assert!(p.apply(&mut v).unwrap());
        assert_eq!(
            v,
            Bson::Array(vec![Bson::Array(ints(&[2, 1])), Bson::Int32(1)])
        );
        assert_eq!(p.apply(&mut Bson::Int32(3)).unwrap_err().code, 2);
    }
}

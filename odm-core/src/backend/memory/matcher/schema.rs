//! `$jsonSchema`: the subset of JSON Schema (draft 4) that collection
//! validators use, with MongoDB's `bsonType`.
//!
//! As in MongoDB, each keyword constrains only values of the kind it is about
//! (`minimum` numbers, `minLength` strings, `properties` documents, `items`
//! arrays); anything else passes it.

use std::cmp::Ordering;

use bson::raw::{RawBsonRef, RawDocument};
use bson::{Bson, Document, RawBson};

use super::element::TypeSet;
use super::regex::RegexPred;
use crate::backend::memory::compare::compare;
use crate::error::CommandError;

/// A compiled `$jsonSchema`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schema {
    types: Option<TypeSet>,
    required: Vec<String>,
    properties: Vec<(String, Schema)>,
    additional: Additional,
    items: Option<Items>,
    min_items: Option<usize>,
    max_items: Option<usize>,
    unique_items: bool,
    minimum: Option<(RawBson, bool)>,
    maximum: Option<(RawBson, bool)>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<RegexPred>,
    enumeration: Option<Vec<RawBson>>,
    min_properties: Option<usize>,
    max_properties: Option<usize>,
    all_of: Vec<Schema>,
    any_of: Vec<Schema>,
    one_of: Vec<Schema>,
    not: Option<Box<Schema>>,
}

#[derive(Debug, Clone, Default)]
enum Additional {
    #[default]
    Allowed,
    Forbidden,
    Schema(Box<Schema>),
}

#[derive(Debug, Clone)]
enum Items {
    Each(Box<Schema>),
    Tuple(Vec<Schema>),
}

fn parse_error(msg: impl Into<String>) -> CommandError {
    CommandError::new(9, "FailedToParse", msg)
}

fn count(kw: &str, v: &Bson) -> Result<usize, CommandError> {
    let n = match v {
        Bson::Int32(i) => i64::from(*i),
        Bson::Int64(i) => *i,
        Bson::Double(d) if d.fract() == 0.0 && d.is_finite() => *d as i64,
        _ => return Err(parse_error(format!("${kw} must be a number"))),
    };
    usize::try_from(n).map_err(|_| parse_error(format!("${kw} must be non-negative")))
}

fn to_raw(v: &Bson) -> Result<RawBson, CommandError> {
    RawBson::try_from(v.clone()).map_err(|e| parse_error(format!("invalid value: {e}")))
}

fn sub(kw: &str, v: &Bson) -> Result<Schema, CommandError> {
    match v {
        Bson::Document(d) => Schema::compile(d),
        _ => Err(parse_error(format!("${kw} must be an object"))),
    }
}

fn subs(kw: &str, v: &Bson) -> Result<Vec<Schema>, CommandError> {
    match v {
        Bson::Array(a) if !a.is_empty() => a.iter().map(|s| sub(kw, s)).collect(),
        _ => Err(parse_error(format!("${kw} must be a non-empty array"))),
    }
}

/// JSON Schema's `type` names as BSON type aliases.
fn json_type(v: &Bson) -> Result<Bson, CommandError> {
    let Bson::String(name) = v else {
        return Err(parse_error(
            "$jsonSchema keyword 'type' must be a string or an array of strings",
        ));
    };
    Ok(Bson::String(
        match name.as_str() {
            "object" => "object",
            "array" => "array",
            "number" => "number",
            "boolean" => "bool",
            "string" => "string",
            "null" => "null",
            "integer" => {
                return Err(parse_error(
                    "$jsonSchema type 'integer' is not currently supported.",
                ))
            }
            other => return Err(parse_error(format!("Unknown type name alias: {other}"))),
        }
        .to_owned(),
    ))
}

fn is_number(v: RawBsonRef<'_>) -> bool {
    matches!(
        v,
        RawBsonRef::Int32(_)
            | RawBsonRef::Int64(_)
            | RawBsonRef::Double(_)
            | RawBsonRef::Decimal128(_)
    )
}

impl Schema {
    /// Compile a schema document.
    pub(crate) fn compile(spec: &Document) -> Result<Self, CommandError> {
        let mut s = Schema::default();
        let exclusive = |k: &str| spec.get_bool(k).unwrap_or(false);
        for (kw, v) in spec {
            match kw.as_str() {
                "bsonType" => s.types = Some(TypeSet::parse(v)?),
                "type" => {
                    let names = match v {
                        Bson::Array(a) => a.iter().map(json_type).collect::<Result<Vec<_>, _>>()?,
                        other => vec![json_type(other)?],
                    };
                    s.types = Some(TypeSet::parse(&Bson::Array(names))?);
                }
                "required" => {
                    let Bson::Array(a) = v else {
                        return Err(parse_error(
                            "$jsonSchema keyword 'required' must be an array",
                        ));
                    };
                    for name in a {
                        let Bson::String(name) = name else {
                            return Err(parse_error(
                                "$jsonSchema keyword 'required' must contain only strings",
                            ));
                        };
                        s.required.push(name.clone());
                    }
                }
                "properties" => {
                    let Bson::Document(props) = v else {
                        return Err(parse_error(
                            "$jsonSchema keyword 'properties' must be an object",
                        ));
                    };
                    for (name, p) in props {
                        s.properties.push((name.clone(), sub("properties", p)?));
                    }
                }
                "additionalProperties" => {
                    s.additional = match v {
                        Bson::Boolean(true) => Additional::Allowed,
                        Bson::Boolean(false) => Additional::Forbidden,
                        other => Additional::Schema(Box::new(sub(kw, other)?)),
                    }
                }
                "items" => {
                    s.items = Some(match v {
                        Bson::Array(_) => Items::Tuple(subs(kw, v)?),
                        other => Items::Each(Box::new(sub(kw, other)?)),
                    })
                }
                "minItems" => s.min_items = Some(count(kw, v)?),
                "maxItems" => s.max_items = Some(count(kw, v)?),
                "uniqueItems" => s.unique_items = matches!(v, Bson::Boolean(true)),
                "minimum" => s.minimum = Some((to_raw(v)?, exclusive("exclusiveMinimum"))),
                "maximum" => s.maximum = Some((to_raw(v)?, exclusive("exclusiveMaximum"))),
                "exclusiveMinimum" | "exclusiveMaximum" => {}
                "minLength" => s.min_length = Some(count(kw, v)?),
                "maxLength" => s.max_length = Some(count(kw, v)?),
                "pattern" => {
                    let Bson::String(p) = v else {
                        return Err(parse_error(
                            "$jsonSchema keyword 'pattern' must be a string",
                        ));
                    };
                    s.pattern = Some(RegexPred::new(p, "")?);
                }
                "enum" => {
                    let Bson::Array(a) = v else {
                        return Err(parse_error("$jsonSchema keyword 'enum' must be an array"));
                    };
                    s.enumeration = Some(a.iter().map(to_raw).collect::<Result<_, _>>()?);
                }
                "minProperties" => s.min_properties = Some(count(kw, v)?),
                "maxProperties" => s.max_properties = Some(count(kw, v)?),
                "allOf" => s.all_of = subs(kw, v)?,
                "anyOf" => s.any_of = subs(kw, v)?,
                "oneOf" => s.one_of = subs(kw, v)?,
                "not" => s.not = Some(Box::new(sub(kw, v)?)),
                "title" | "description" => {}
                other => return Err(parse_error(format!("Unknown $jsonSchema keyword: {other}"))),
            }
        }
        Ok(s)
    }

    /// Whether a whole document satisfies the schema.
    pub(crate) fn matches(&self, doc: &RawDocument) -> bool {
        self.valid(RawBsonRef::Document(doc))
    }

    fn valid(&self, v: RawBsonRef<'_>) -> bool {
        if let Some(t) = &self.types {
            if !t.contains(v) {
                return false;
            }
        }
        if let Some(e) = &self.enumeration {
            if !e
                .iter()
                .any(|x| compare(v, x.as_raw_bson_ref()) == Ordering::Equal)
            {
                return false;
            }
        }
        let kind_ok = match v {
            RawBsonRef::Document(d) => self.valid_document(d),
            RawBsonRef::Array(a) => self.valid_array(a),
            RawBsonRef::String(s) => self.valid_string(s),
            v if is_number(v) => self.valid_number(v),
            _ => true,
        };
        kind_ok
            && self.all_of.iter().all(|s| s.valid(v))
            && (self.any_of.is_empty() || self.any_of.iter().any(|s| s.valid(v)))
            && (self.one_of.is_empty() || self.one_of.iter().filter(|s| s.valid(v)).count() == 1)
            && self.not.as_ref().is_none_or(|s| !s.valid(v))
    }

    fn valid_document(&self, d: &RawDocument) -> bool {
        let mut fields = 0;
        for elem in d.iter() {
            let Ok((key, value)) = elem else { return false };
            fields += 1;
            match self.properties.iter().find(|(k, _)| k == key.as_str()) {
                Some((_, s)) => {
                    if !s.valid(value) {
                        return false;
                    }
                }
                None => match &self.additional {
                    Additional::Allowed => {}
                    Additional::Forbidden => return false,
                    Additional::Schema(s) => {
                        if !s.valid(value) {
                            return false;
                        }
                    }
                },
            }
        }
        self.required
            .iter()
            .all(|k| matches!(d.get(k), Ok(Some(_))))
            && self.min_properties.is_none_or(|m| fields >= m)
            && self.max_properties.is_none_or(|m| fields <= m)
    }

    fn valid_array(&self, a: &bson::raw::RawArray) -> bool {
        let elems: Vec<RawBsonRef<'_>> = a.into_iter().flatten().collect();
        let items_ok = match &self.items {
            None => true,
            Some(Items::Each(s)) => elems.iter().all(|e| s.valid(*e)),
            Some(Items::Tuple(ss)) => ss.iter().zip(&elems).all(|(s, e)| s.valid(*e)),
        };
        let unique = !self.unique_items
            || elems.iter().enumerate().all(|(i, x)| {
                elems
                    .iter()
                    .skip(i + 1)
                    .all(|y| compare(*x, *y) != Ordering::Equal)
            });
        items_ok
            && unique
            && self.min_items.is_none_or(|m| elems.len() >= m)
            && self.max_items.is_none_or(|m| elems.len() <= m)
    }

    fn valid_string(&self, s: &str) -> bool {
        let len = s.chars().count();
        self.min_length.is_none_or(|m| len >= m)
            && self.max_length.is_none_or(|m| len <= m)
            && self.pattern.as_ref().is_none_or(|p| p.is_match(s))
    }

    fn valid_number(&self, v: RawBsonRef<'_>) -> bool {
        let bound_ok = |b: &Option<(RawBson, bool)>, want: Ordering| match b {
            None => true,
            Some((x, exclusive)) if is_number(x.as_raw_bson_ref()) => {
                let o = compare(v, x.as_raw_bson_ref());
                o == want || (!exclusive && o == Ordering::Equal)
            }
            Some(_) => true,
        };
        bound_ok(&self.minimum, Ordering::Greater) && bound_ok(&self.maximum, Ordering::Less)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{doc, rawdoc};

    fn schema(d: Document) -> Schema {
        Schema::compile(&d).unwrap()
    }

    #[test]
    fn validator_style_schema() {
        let s = schema(doc! {
            "bsonType": "object",
            "required": ["name", "age"],
            "properties": {
                "name": {"bsonType": "string", "minLength": 2, "maxLength": 10, "pattern": "^[A-Z]"},
                "age": {"bsonType": ["int", "long"], "minimum": 0, "maximum": 150, "exclusiveMaximum": true},
                "role": {"enum": ["admin", "user"]},
                "tags": {"bsonType": "array", "items": {"bsonType": "string"}, "maxItems": 2, "uniqueItems": true},
            },
        });
        assert!(s.matches(&rawdoc! {"name": "Ada", "age": 36}));
        assert!(
            s.matches(&rawdoc! {"name": "Ada", "age": 36_i64, "role": "user", "tags": ["a", "b"]})
        );
        assert!(!s.matches(&rawdoc! {"name": "Ada"}));
        assert!(!s.matches(&rawdoc! {"name": "ada", "age": 3}));
        assert!(!s.matches(&rawdoc! {"name": "A", "age": 3}));
        assert!(!s.matches(&rawdoc! {"name": "Ada", "age": 150}));
        assert!(!s.matches(&rawdoc! {"name": "Ada", "age": 3.5}));
        assert!(!s.matches(&rawdoc! {"name": "Ada", "age": 3, "role": "root"}));
        assert!(!s.matches(&rawdoc! {"name": "Ada", "age": 3, "tags": ["a", 1]}));
        assert!(!s.matches(&rawdoc! {"name": "Ada", "age": 3, "tags": ["a", "a"]}));
        assert!(!s.matches(&rawdoc! {"name": "Ada", "age": 3, "tags": ["a", "b", "c"]}));
    }

    #[test]
    fn keywords_only_constrain_their_own_kind() {
        let s = schema(doc! {"properties": {"v": {"minimum": 5, "minLength": 3}}});
        assert!(s.matches(&rawdoc! {"v": "abc"}));
        assert!(s.matches(&rawdoc! {"v": 7}));
        assert!(s.matches(&rawdoc! {"v": true}));
        assert!(!s.matches(&rawdoc! {"v": 4}));
        assert!(!s.matches(&rawdoc! {"v": "ab"}));
    }

    #[test]
    fn additional_properties_and_json_types() {
        let s = schema(doc! {
            "type": "object",
            "properties": {"_id": {}, "a": {"type": ["number", "null"]}},
            "additionalProperties": false,
        });
        assert!(s.matches(&rawdoc! {"_id": 1, "a": 2.5}));
        assert!(s.matches(&rawdoc! {"_id": 1, "a": null}));
        assert!(!s.matches(&rawdoc! {"_id": 1, "a": "x"}));
        assert!(!s.matches(&rawdoc! {"_id": 1, "b": 1}));
        let s = schema(doc! {"additionalProperties": {"bsonType": "int"}});
        assert!(s.matches(&rawdoc! {"x": 1}));
        assert!(!s.matches(&rawdoc! {"x": "1"}));
    }

    #[test]
    fn combinators() {
        let s = schema(
            doc! {"properties": {"v": {"anyOf": [{"bsonType": "string"}, {"minimum": 10}], "not": {"enum": ["no"]}}}},
        );
        assert!(s.matches(&rawdoc! {"v": "yes"}));
        assert!(s.matches(&rawdoc! {"v": 11}));
        assert!(!s.matches(&rawdoc! {"v": "no"}));
        assert!(!s.matches(&rawdoc! {"v": 9}));
    }

    #[test]
    fn unknown_keywords_and_bad_arguments_are_errors() {
        assert_eq!(Schema::compile(&doc! {"frob": 1}).unwrap_err().code, 9);
        assert_eq!(
            Schema::compile(&doc! {"type": "integer"}).unwrap_err().code,
            9
        );
        assert_eq!(
            Schema::compile(&doc! {"required": "a"}).unwrap_err().code,
            9
        );
        assert_eq!(
            Schema::compile(&doc! {"bsonType": "nope"})
                .unwrap_err()
                .code,
            2
        );
    }
}

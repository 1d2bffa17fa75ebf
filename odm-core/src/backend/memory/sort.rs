//! Sorting by a sort specification (`{age: -1, name: 1}`) with MongoDB's
//! rules: mixed types in BSON order, arrays by their smallest (ascending) or
//! largest (descending) element, missing as null, an empty array below null.
//!
//! Sorting many documents should extract each document's [`SortKey`] once
//! with [`SortSpec::key`] and compare keys with [`SortSpec::compare_keys`];
//! [`SortSpec::compare`] re-extracts keys on every call.

use std::cmp::Ordering;

use bson::raw::{RawBsonRef, RawDocument};
use bson::{Bson, Document};

use super::collation::Collation;
use super::compare::compare_collated;
use super::matcher::path::{FieldPath, LeafArrays};
use crate::error::CommandError;

/// A compiled sort specification.
#[derive(Debug, Clone)]
pub struct SortSpec {
    fields: Vec<SortField>,
    /// Strings compare under this collation; `None` is binary order.
    collation: Option<Collation>,
}

#[derive(Debug, Clone)]
struct SortField {
    path: FieldPath,
    descending: bool,
}

/// The sort key of one document, borrowed from it: one value per sort field.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey<'a> {
    parts: Vec<KeyPart<'a>>,
}

/// One field's key. An empty array sorts as `undefined` does in MongoDB:
/// after MinKey, before null and missing.
#[derive(Debug, Clone, Copy, PartialEq)]
enum KeyPart<'a> {
    EmptyArray,
    Value(RawBsonRef<'a>),
}

fn compare_parts(a: KeyPart<'_>, b: KeyPart<'_>, collation: Option<&Collation>) -> Ordering {
    match (a, b) {
        (KeyPart::EmptyArray, KeyPart::EmptyArray) => Ordering::Equal,
        (KeyPart::EmptyArray, KeyPart::Value(v)) => {
            if matches!(v, RawBsonRef::MinKey) {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (KeyPart::Value(_), KeyPart::EmptyArray) => compare_parts(b, a, collation).reverse(),
        (KeyPart::Value(x), KeyPart::Value(y)) => compare_collated(x, y, collation),
    }
}

fn bad_sort() -> CommandError {
    CommandError::new(
        15975,
        "Location15975",
        "$sort key ordering must be 1 (for ascending) or -1 (for descending)",
    )
}

impl SortSpec {
    /// The top-level fields the sort reads (for the aggregation engine's
    /// dependency analysis).
    pub(crate) fn top_fields(&self) -> impl Iterator<Item = &str> + '_ {
        self.fields
            .iter()
            .filter_map(|f| f.path.parts().first().map(|p| &*p.key))
    }

    /// Compile `{field: 1 | -1 | {$meta: ..}}`.
    pub fn compile(spec: &Document) -> Result<Self, CommandError> {
        let mut fields = Vec::with_capacity(spec.len());
        for (key, dir) in spec {
            if key.is_empty() || key.split('.').any(str::is_empty) {
                return Err(CommandError::new(
                    2,
                    "BadValue",
                    format!("bad sort specification: invalid field name '{key}'"),
                ));
            }
            let descending = match dir {
                Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => {
                    match direction(dir) {
                        Some(d) => d,
                        None => return Err(bad_sort()),
                    }
                }
                Bson::Document(d) if d.contains_key("$meta") => {
                    return Err(CommandError::new(
                        238,
                        "NotImplemented",
                        "sorting by $meta (text score, search score) is not supported by the in-memory engine",
                    ))
                }
                _ => return Err(bad_sort()),
            };
            fields.push(SortField {
                path: FieldPath::parse(key),
                descending,
            });
        }
        Ok(SortSpec {
            fields,
            collation: None,
        })
    }

    /// Compile a sort specification whose strings compare under `collation`
    /// (`None`: binary order, as [`compile`](Self::compile)).
    pub fn compile_with_collation(
        spec: &Document,
        collation: Option<&Collation>,
    ) -> Result<Self, CommandError> {
        let mut s = Self::compile(spec)?;
        s.collation = collation.cloned();
        Ok(s)
    }

    /// Compare two documents.
    pub fn compare(&self, a: &RawDocument, b: &RawDocument) -> Ordering {
        for f in &self.fields {
            let c = self.collation.as_ref();
            let o = compare_parts(f.key(a, c), f.key(b, c), c);
            if o != Ordering::Equal {
                return if f.descending { o.reverse() } else { o };
            }
        }
        Ordering::Equal
    }

    /// Extract a document's sort key once, to sort with [`Self::compare_keys`].
    pub fn key<'a>(&self, doc: &'a RawDocument) -> SortKey<'a> {
        SortKey {
            parts: self
                .fields
                .iter()
                .map(|f| f.key(doc, self.collation.as_ref()))
                .collect(),
        }
    }

    /// Compare two keys extracted by [`Self::key`] with this specification.
    pub fn compare_keys(&self, a: &SortKey<'_>, b: &SortKey<'_>) -> Ordering {
        for ((f, x), y) in self.fields.iter().zip(&a.parts).zip(&b.parts) {
            let o = compare_parts(*x, *y, self.collation.as_ref());
            if o != Ordering::Equal {
                return if f.descending { o.reverse() } else { o };
            }
        }
        Ordering::Equal
    }

    /// Whether the specification has no fields (any order will do).
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// `1` is ascending, `-1` descending (as any numeric type); `Some(true)` is descending.
fn direction(v: &Bson) -> Option<bool> {
    let n = match v {
        Bson::Int32(i) => f64::from(*i),
        Bson::Int64(i) => *i as f64,
        Bson::Double(d) => *d,
        Bson::Decimal128(d) => d.to_string().parse().ok()?,
        _ => return None,
    };
    if n == 1.0 {
        Some(false)
    } else if n == -1.0 {
        Some(true)
    } else {
        None
    }
}

impl SortField {
    /// The smallest (ascending) or largest (descending) value the path reaches.
    fn key<'a>(&self, doc: &'a RawDocument, collation: Option<&Collation>) -> KeyPart<'a> {
        let mut best: Option<KeyPart<'a>> = None;
        self.path.walk(doc, LeafArrays::Elements, &mut |v, _| {
            let part = match v {
                None => KeyPart::Value(RawBsonRef::Null),
                Some(RawBsonRef::Array(a)) if a.is_empty() => KeyPart::EmptyArray,
                Some(v) => KeyPart::Value(v),
            };
            best = Some(match best {
                None => part,
                Some(b) => {
                    let o = compare_parts(part, b, collation);
                    let better = if self.descending {
                        o == Ordering::Greater
                    } else {
                        o == Ordering::Less
                    };
                    if better {
                        part
                    } else {
                        b
                    }
                }
            });
            false
        });
        best.unwrap_or(KeyPart::Value(RawBsonRef::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{doc, rawdoc, RawDocumentBuf};

    fn sorted(spec: Document, docs: Vec<RawDocumentBuf>) -> Vec<i32> {
        let s = SortSpec::compile(&spec).unwrap();
        let mut keyed: Vec<_> = docs.iter().map(|d| (s.key(d), d)).collect();
        keyed.sort_by(|a, b| s.compare_keys(&a.0, &b.0));
        let by_keys: Vec<i32> = keyed
            .iter()
            .map(|(_, d)| d.get_i32("_id").unwrap())
            .collect();
        let mut direct: Vec<&RawDocumentBuf> = docs.iter().collect();
        direct.sort_by(|a, b| s.compare(a, b));
        let by_compare: Vec<i32> = direct.iter().map(|d| d.get_i32("_id").unwrap()).collect();
        assert_eq!(by_keys, by_compare);
        by_keys
    }

    #[test]
    fn mixed_types_sort_in_bson_order_with_arrays_by_extreme_element() {
        let docs = vec![
            rawdoc! {"_id": 1, "v": "b"},
            rawdoc! {"_id": 2, "v": [5, 0.5]},
            rawdoc! {"_id": 3},
            rawdoc! {"_id": 4, "v": []},
            rawdoc! {"_id": 5, "v": 2_i64},
            rawdoc! {"_id": 6, "v": true},
            rawdoc! {"_id": 7, "v": null},
        ];
        // Ascending: [] < null = missing < 0.5 (array min) < 2 < "b" < true.
        assert_eq!(
            sorted(doc! {"v": 1}, docs.clone()),
            vec![4, 3, 7, 2, 5, 1, 6]
        );
        // Descending: the array's key is its largest element, 5.
        assert_eq!(
            sorted(doc! {"v": -1, "_id": 1}, docs),
            vec![6, 1, 2, 5, 3, 7, 4]
        );
    }

    #[test]
    fn compound_keys_and_dotted_paths_through_arrays() {
        let docs = vec![
            rawdoc! {"_id": 1, "g": "x", "items": [{"q": 9}, {"q": 3}]},
            rawdoc! {"_id": 2, "g": "x", "items": [{"q": 4}]},
            rawdoc! {"_id": 3, "g": "a", "items": [{"q": 1}, {"r": 0}]},
        ];
        assert_eq!(sorted(doc! {"items.q": 1}, docs.clone()), vec![3, 1, 2]);
        assert_eq!(sorted(doc! {"g": 1, "items.q": -1}, docs), vec![3, 1, 2]);
    }

    #[test]
    fn collation_orders_strings_in_keys_and_arrays() {
        let c = crate::backend::memory::collation::Collation::compile(
            &doc! {"locale": "en", "numericOrdering": true},
        )
        .unwrap();
        let docs = vec![
            rawdoc! {"_id": 1, "v": "b10"},
            rawdoc! {"_id": 2, "v": "B9"},
            rawdoc! {"_id": 3, "v": ["a2", "Z"]},
            rawdoc! {"_id": 4, "v": "b9"},
        ];
        let order = |spec: Document| {
            let s = SortSpec::compile_with_collation(&spec, c.as_ref()).unwrap();
            let mut keyed: Vec<_> = docs.iter().map(|d| (s.key(d), d)).collect();
            keyed.sort_by(|a, b| s.compare_keys(&a.0, &b.0));
            keyed
                .iter()
                .map(|(_, d)| d.get_i32("_id").unwrap())
                .collect::<Vec<_>>()
        };
        // Binary order would put "B9" and "Z" first and "b10" before "b9".
        assert_eq!(order(doc! {"v": 1}), [3, 4, 2, 1]);
        assert_eq!(order(doc! {"v": -1}), [3, 1, 2, 4]);
        assert_eq!(sorted(doc! {"v": 1}, docs.clone()), [2, 3, 1, 4]);
    }

    #[test]
    fn bad_specs_are_errors() {
        assert_eq!(SortSpec::compile(&doc! {"a": 2}).unwrap_err().code, 15975);
        assert_eq!(SortSpec::compile(&doc! {"a": "x"}).unwrap_err().code, 15975);
        assert_eq!(
            SortSpec::compile(&doc! {"s": {"$meta": "textScore"}})
                .unwrap_err()
                .code,
            238
        );
        assert!(SortSpec::compile(&doc! {"a": -1.0}).is_ok());
    }
}

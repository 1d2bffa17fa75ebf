//! The comparison of declared indexes with existing ones, as MongoDB decides
//! that two indexes are the same: the same keys in the same order and the
//! same options, whatever the names. A text index is compared by its fields
//! and weights, whichever form the server lists it in (`{title: "text"}` or
//! `{_fts: "text", _ftsx: 1}` with `weights`).

use bson::{Bson, Document};

use super::{show, IndexChange, IndexPlan};
use crate::backend::IndexModel;

/// The plan that makes `existing` (as `listIndexes` gives it, `_id_`
/// included) match `declared`.
pub(crate) fn plan(declared: &[IndexModel], existing: &[IndexModel]) -> IndexPlan {
    let existing: Vec<&IndexModel> = existing.iter().filter(|i| !is_id_index(i)).collect();
    let mut used = vec![false; existing.len()];
    let mut out = IndexPlan::default();
    for d in declared {
        let name = d.effective_name();
        let free = |i: &usize| !used.get(*i).copied().unwrap_or(true);
        let same = (0..existing.len()).filter(free).find(|&i| {
            existing
                .get(i)
                .is_some_and(|e| differences(d, e).is_empty())
        });
        if let Some(i) = same {
            mark(&mut used, i);
            out.unchanged
                .extend(existing.get(i).map(|e| e.effective_name()));
            continue;
        }
        let related = (0..existing.len()).filter(free).find(|&i| {
            existing
                .get(i)
                .is_some_and(|e| e.effective_name() == name || Shape::of(e) == Shape::of(d))
        });
        match related.and_then(|i| existing.get(i).map(|e| (i, *e))) {
            Some((i, e)) => {
                mark(&mut used, i);
                let mut declared = d.clone();
                declared.name = Some(name);
                out.changed.push(IndexChange {
                    name: e.effective_name(),
                    existing: e.clone(),
                    differences: differences(&declared, e),
                    declared,
                });
            }
            None => {
                let mut create = d.clone();
                create.name = Some(name);
                out.create.push(create);
            }
        }
    }
    out.drop = existing
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(e, _)| e.effective_name())
        .collect();
    out
}

fn mark(used: &mut [bool], i: usize) {
    if let Some(u) = used.get_mut(i) {
        *u = true;
    }
}

fn is_id_index(i: &IndexModel) -> bool {
    i.name.as_deref() == Some("_id_") || (i.name.is_none() && i.keys == bson::doc! {"_id": 1})
}

/// What differs between a declared index and an existing one, one entry per
/// option; empty when they are the same index.
fn differences(declared: &IndexModel, existing: &IndexModel) -> Vec<String> {
    let mut out = Vec::new();
    let (ds, es) = (Shape::of(declared), Shape::of(existing));
    if ds != es {
        out.push(format!(
            "keys: declared {}, existing {}",
            declared.keys, existing.keys
        ));
    }
    if declared.unique != existing.unique {
        out.push(format!(
            "unique: declared {}, existing {}",
            declared.unique, existing.unique
        ));
    }
    if declared.sparse != existing.sparse {
        out.push(format!(
            "sparse: declared {}, existing {}",
            declared.sparse, existing.sparse
        ));
    }
    if declared.partial_filter != existing.partial_filter {
        out.push(format!(
            "partial filter: declared {}, existing {}",
            show(declared.partial_filter.as_ref()),
            show(existing.partial_filter.as_ref())
        ));
    }
    if declared.expire_after_secs != existing.expire_after_secs {
        let secs = |s: Option<u64>| s.map_or_else(|| "none".to_owned(), |s| format!("{s}s"));
        out.push(format!(
            "expire after: declared {}, existing {}",
            secs(declared.expire_after_secs),
            secs(existing.expire_after_secs)
        ));
    }
    if !same_collation(declared.collation.as_ref(), existing.collation.as_ref()) {
        out.push(format!(
            "collation: declared {}, existing {}",
            show(declared.collation.as_ref()),
            show(existing.collation.as_ref())
        ));
    }
    if ds.text.is_some() && es.text.is_some() {
        let language = |i: &IndexModel| i.default_language.clone().unwrap_or("english".into());
        if language(declared) != language(existing) {
            out.push(format!(
                "default language: declared {}, existing {}",
                language(declared),
                language(existing)
            ));
        }
    }
    out
}

/// A server lists an index's collation in full (`locale`, `strength`,
/// `caseLevel`, ... and `version`): the declared settings must all be there,
/// and the unlisted ones are the locale's defaults. No collation is the
/// `simple` one.
fn same_collation(declared: Option<&Document>, existing: Option<&Document>) -> bool {
    let is_simple =
        |c: Option<&Document>| c.is_none_or(|c| c.get_str("locale").ok() == Some("simple"));
    match (declared, existing) {
        (Some(d), Some(e)) => d
            .iter()
            .all(|(k, v)| e.get(k).is_some_and(|x| same_value(v, x))),
        (d, e) => is_simple(d) && is_simple(e),
    }
}

/// Equal BSON values, numbers by value (`1` is `1.0` is `1i64`).
fn same_value(a: &Bson, b: &Bson) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
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

/// An index's keys in a form both listings share.
#[derive(Debug, PartialEq)]
struct Shape {
    /// Keys before the text fields (all of them for a non-text index).
    prefix: Vec<(String, Key)>,
    /// The text fields with their weights, by name.
    text: Option<Vec<(String, f64)>>,
    /// Keys after the text fields.
    suffix: Vec<(String, Key)>,
}

#[derive(Debug, PartialEq)]
enum Key {
    /// `1`, `-1` (by value: `1` is `1.0`).
    Number(f64),
    /// `"hashed"`, `"2dsphere"`, ...
    Kind(String),
    Other(Bson),
}

impl Shape {
    fn of(index: &IndexModel) -> Shape {
        let mut shape = Shape {
            prefix: Vec::new(),
            text: None,
            suffix: Vec::new(),
        };
        let weight = |field: &str| {
            index
                .weights
                .as_ref()
                .and_then(|w| w.get(field))
                .and_then(number)
                .unwrap_or(1.0)
        };
        for (field, value) in &index.keys {
            let is_text = matches!(value, Bson::String(s) if s == "text");
            if field == "_ftsx" {
                continue;
            }
            if field == "_fts" && is_text {
                // The server's form: the fields are the weights' keys.
                let fields = index.weights.iter().flat_map(|w| w.keys());
                let text = shape.text.get_or_insert_with(Vec::new);
                text.extend(fields.map(|f| (f.clone(), weight(f))));
                continue;
            }
            if is_text {
                let text = shape.text.get_or_insert_with(Vec::new);
                text.push((field.clone(), weight(field)));
                continue;
            }
            let key = match value {
                Bson::String(s) => Key::Kind(s.clone()),
                other => number(other).map_or_else(|| Key::Other(other.clone()), Key::Number),
            };
            if shape.text.is_some() {
                shape.suffix.push((field.clone(), key));
            } else {
                shape.prefix.push((field.clone(), key));
            }
        }
        if let Some(text) = &mut shape.text {
            text.sort_by(|a, b| a.0.cmp(&b.0));
        }
        shape
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn index(keys: Document) -> IndexModel {
        IndexModel::new(keys)
    }

    fn named(keys: Document, name: &str) -> IndexModel {
        let mut i = IndexModel::new(keys);
        i.name = Some(name.into());
        i
    }

    fn id() -> IndexModel {
        named(doc! {"_id": 1}, "_id_")
    }

    #[test]
    fn nothing_existing_creates_every_declared_index_named() {
        let p = plan(&[index(doc! {"a": 1, "b": -1})], &[id()]);
        assert_eq!(p.create.len(), 1);
        assert_eq!(p.create[0].name.as_deref(), Some("a_1_b_-1"));
        assert!(p.drop.is_empty() && p.changed.is_empty() && p.unchanged.is_empty());
    }

    #[test]
    fn an_equivalent_index_is_unchanged_whatever_its_name() {
        let mut declared = index(doc! {"email": 1});
        declared.unique = true;
        let mut existing = named(doc! {"email": 1_i64}, "by_email");
        existing.unique = true;
        let p = plan(&[declared], &[id(), existing]);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(p.unchanged, vec!["by_email".to_owned()]);
    }

    #[test]
    fn other_options_on_the_same_keys_are_a_change_naming_each_difference() {
        let mut declared = index(doc! {"email": 1});
        declared.unique = true;
        declared.expire_after_secs = Some(60);
        let existing = named(doc! {"email": 1}, "email_1");
        let p = plan(&[declared], &[existing]);
        assert!(p.create.is_empty() && p.drop.is_empty());
        assert_eq!(p.changed.len(), 1);
        assert_eq!(p.changed[0].name, "email_1");
        assert_eq!(
            p.changed[0].differences,
            vec![
                "unique: declared true, existing false".to_owned(),
                "expire after: declared 60s, existing none".to_owned()
            ]
        );
    }

    #[test]
    fn a_name_taken_by_other_keys_is_a_change_of_keys() {
        let declared = named(doc! {"a": 1}, "main");
        let existing = named(doc! {"b": 1}, "main");
        let p = plan(&[declared], &[existing]);
        assert_eq!(p.changed.len(), 1);
        assert!(p.changed[0].differences[0].starts_with("keys:"));
    }

    #[test]
    fn key_order_and_direction_matter() {
        let p = plan(
            &[index(doc! {"a": 1, "b": 1})],
            &[named(doc! {"b": 1, "a": 1}, "b_1_a_1")],
        );
        assert_eq!(p.create.len(), 1);
        assert_eq!(p.drop, vec!["b_1_a_1".to_owned()]);
        let p = plan(&[index(doc! {"a": 1})], &[named(doc! {"a": -1}, "a_-1")]);
        assert_eq!((p.create.len(), p.drop.len()), (1, 1));
    }

    #[test]
    fn undeclared_indexes_are_dropped_but_never_id() {
        let p = plan(&[], &[id(), named(doc! {"x": 1}, "x_1")]);
        assert_eq!(p.drop, vec!["x_1".to_owned()]);
    }

    #[test]
    fn a_text_index_matches_the_servers_listing() {
        let mut declared = index(doc! {"title": "text", "body": "text"});
        declared.weights = Some(doc! {"title": 10});
        let mut server = named(doc! {"_fts": "text", "_ftsx": 1}, "title_text_body_text");
        server.weights = Some(doc! {"body": 1, "title": 10});
        server.default_language = Some("english".into());
        assert!(plan(&[declared.clone()], &[server.clone()]).is_empty());
        server.weights = Some(doc! {"body": 1, "title": 5});
        let p = plan(&[declared.clone()], &[server]);
        assert_eq!(p.changed.len(), 1, "{p:?}");
        // The in-memory engine lists the keys as declared.
        let mut memory = declared.clone();
        memory.name = Some("title_text_body_text".into());
        assert!(plan(&[declared], &[memory]).is_empty());
    }

    #[test]
    fn collations_compare_by_the_declared_settings() {
        let mut declared = index(doc! {"name": 1});
        declared.collation = Some(doc! {"locale": "fr", "strength": 2});
        let mut server = named(doc! {"name": 1}, "name_1");
        server.collation = Some(doc! {"locale": "fr", "caseLevel": false, "strength": 2_i64});
        assert!(plan(&[declared.clone()], &[server.clone()]).is_empty());
        server.collation = Some(doc! {"locale": "fr", "strength": 3});
        assert_eq!(plan(&[declared.clone()], &[server]).changed.len(), 1);
        let plain = named(doc! {"name": 1}, "name_1");
        assert_eq!(plan(&[declared], &[plain]).changed.len(), 1);
    }

    #[test]
    fn partial_filters_and_sparse_are_options() {
        let mut declared = index(doc! {"a": 1});
        declared.partial_filter = Some(doc! {"a": {"$gt": 1}});
        let mut existing = named(doc! {"a": 1}, "a_1");
        existing.sparse = true;
        let p = plan(&[declared], &[existing]);
        let differences = &p.changed[0].differences;
        assert_eq!(differences.len(), 2, "{differences:?}");
        assert!(differences[0].starts_with("sparse: declared false, existing true"));
        assert!(differences[1].starts_with("partial filter: declared { \"a\""));
    }
}

//! The document an upsert starts from: the equalities of its filter.

use bson::{Bson, Document};

use super::path::UpdatePath;
use crate::error::CommandError;

/// The document an upsert starts from: the equality parts of `filter`
/// (`{a: 1, "b.c": 2, $and: [{d: 3}]}` → `{a: 1, b: {c: 2}, d: 3}`).
///
/// Equalities are `field: value` (not a regex), `$eq`, one-element `$in` and
/// `$all`, found at the top level, in `$and` and in a one-clause `$or`. `_id`
/// comes first, the rest in path order; a path matched twice, or a path and
/// its subpath, is error 54 as in MongoDB.
pub fn upsert_seed(filter: &Document) -> Result<Document, CommandError> {
    let mut eqs: Vec<(UpdatePath, Bson)> = Vec::new();
    collect(filter, &mut eqs)?;
    for (i, (path, _)) in eqs.iter().enumerate() {
        for (earlier, _) in eqs.iter().take(i) {
            if earlier.conflict_with(path).is_none() {
                continue;
            }
            let message = if earlier.parts.len() == path.parts.len() {
                format!(
                    "cannot infer query fields to set, path '{}' is matched twice",
                    path.text
                )
            } else {
                let (short, long) = if earlier.parts.len() < path.parts.len() {
                    (earlier, path)
                } else {
                    (path, earlier)
                };
                format!(
                    "cannot infer query fields to set, both paths '{}' and '{}' are matched",
                    short.text, long.text
                )
            };
            return Err(CommandError::new(54, "NotSingleValueField", message));
        }
    }
    eqs.sort_by(|(a, _), (b, _)| {
        let id = |p: &UpdatePath| p.text != "_id" && !p.text.starts_with("_id.");
        id(a).cmp(&id(b)).then_with(|| a.apply_order(b))
    });
    let mut seed = Document::new();
    for (path, value) in eqs {
        insert_dotted(&mut seed, &path.text, value);
    }
    Ok(seed)
}

fn collect(filter: &Document, out: &mut Vec<(UpdatePath, Bson)>) -> Result<(), CommandError> {
    for (key, value) in filter {
        match key.as_str() {
            "$and" => {
                for clause in clauses(value) {
                    collect(clause, out)?;
                }
            }
            "$or" => {
                if let [only] = clauses(value).as_slice() {
                    collect(only, out)?;
                }
            }
            k if k.starts_with('$') => {}
            _ => {
                if let Some(v) = equality(value) {
                    out.push((UpdatePath::parse(key)?, v.clone()));
                }
            }
        }
    }
    Ok(())
}

fn clauses(value: &Bson) -> Vec<&Document> {
    match value {
        Bson::Array(items) => items.iter().filter_map(Bson::as_document).collect(),
        _ => Vec::new(),
    }
}

/// The value a field condition pins the field to, if it is an equality.
fn equality(cond: &Bson) -> Option<&Bson> {
    match cond {
        Bson::RegularExpression(_) => None,
        Bson::Document(ops) if ops.keys().next().is_some_and(|k| k.starts_with('$')) => {
            ops.iter().find_map(|(op, arg)| match (op.as_str(), arg) {
                ("$eq", v) => Some(v),
                ("$in", Bson::Array(items)) => match items.as_slice() {
                    [v] if !matches!(v, Bson::RegularExpression(_)) => Some(v),
                    _ => None,
                },
                ("$all", Bson::Array(items)) => match items.as_slice() {
                    [Bson::Document(d)] if d.contains_key("$elemMatch") => None,
                    [v] => Some(v),
                    _ => None,
                },
                _ => None,
            })
        }
        v => Some(v),
    }
}

/// Set `path` in `doc`, creating intermediate documents. Seed paths were
/// checked not to overlap, so an existing non-document is only met on a
/// malformed filter; it is then replaced.
fn insert_dotted(doc: &mut Document, path: &str, value: Bson) {
    match path.split_once('.') {
        None => {
            doc.insert(path, value);
        }
        Some((head, rest)) => {
            if !matches!(doc.get(head), Some(Bson::Document(_))) {
                doc.insert(head, Document::new());
            }
            if let Some(Bson::Document(child)) = doc.get_mut(head) {
                insert_dotted(child, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{doc, Regex};

    #[test]
    fn equalities_are_copied() {
        let seed = upsert_seed(&doc! {
            "b.c": 2, "a": {"$eq": 1}, "$and": [{"d": 3}], "$or": [{"e": [1, 2]}],
            "f": {"$in": [4]}, "g": {"$all": [5]}, "_id": 9,
        })
        .unwrap();
        assert_eq!(
            seed,
            doc! {"_id": 9, "a": 1, "b": {"c": 2}, "d": 3, "e": [1, 2], "f": 4, "g": 5}
        );
        // _id comes first even when its parts are dotted.
        let seed = upsert_seed(&doc! {"z": 1, "_id.y": 2, "_id.x": 1}).unwrap();
        assert_eq!(seed.keys().next().map(String::as_str), Some("_id"));
        assert_eq!(seed.get_document("_id").unwrap(), &doc! {"x": 1, "y": 2});
    }

    #[test]
    fn non_equalities_are_not_copied() {
        let seed = upsert_seed(&doc! {
            "a": {"$gt": 1}, "b": {"$in": [1, 2]}, "c": {"$ne": 1}, "d": {"$exists": true},
            "e": Regex { pattern: "x".to_string().try_into().unwrap(), options: String::new().try_into().unwrap() },
            "$or": [{"f": 1}, {"f": 2}], "$expr": {"$eq": ["$g", 1]},
            "h": {"$all": [{"$elemMatch": {"k": 1}}]},
        })
        .unwrap();
        assert_eq!(seed, doc! {});
    }

    #[test]
    fn overlapping_equalities_conflict() {
        for filter in [
            doc! {"$and": [{"x": 7}, {"x": 8}]},
            doc! {"_id": 10, "_id.x": 1},
            doc! {"x.y": 1, "x": 7},
        ] {
            let err = upsert_seed(&filter).unwrap_err();
            assert_eq!(err.code, 54, "{filter}");
        }
    }
}

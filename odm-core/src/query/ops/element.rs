//! Conditions on array elements (`$elemMatch`, `$pull`, array filters): the
//! element's own typed paths, and turning a filter over them into the
//! condition MongoDB expects.

use bson::{Bson, Document};

use crate::error::EncodeError;
use crate::field::{Path, PathType};
use crate::query::Filter;

/// The typed paths of an element type `E`, rooted at `root`.
///
/// For an array of scalars that is a `Field<E, E>` at `root` itself; for an
/// array of embedded documents, the document's fields struct.
pub(crate) fn element_paths_at<E: PathType + 'static>(root: Path) -> E::Path<E, E> {
    E::path_at::<E, E>(root)
}

/// The condition on one element built by `build`, in the form `$elemMatch`
/// and `$pull` take: a query document for documents, an operator document for
/// scalars (whose conditions come out keyed by the empty root path).
pub(crate) fn element_condition<E, F>(build: F) -> Result<Document, EncodeError>
where
    E: PathType + 'static,
    F: FnOnce(&E::Path<E, E>) -> Filter<E>,
{
    let paths = element_paths_at::<E>(Path::root());
    let (doc, error) = build(&paths).into_parts();
    if let Some(e) = error {
        return Err(e);
    }
    scalar_operators(doc)
}

fn keyed_by_root(doc: &Document) -> bool {
    doc.keys().any(String::is_empty)
        || doc.values().any(|v| match v {
            Bson::Array(clauses) => clauses
                .iter()
                .any(|c| matches!(c, Bson::Document(d) if keyed_by_root(d))),
            _ => false,
        })
}

fn scalar_operators(mut doc: Document) -> Result<Document, EncodeError> {
    if !keyed_by_root(&doc) {
        return Ok(doc);
    }
    if doc.len() == 1 {
        match doc.remove("") {
            Some(Bson::Document(ops)) if ops.keys().all(|k| k.starts_with('$')) => return Ok(ops),
            Some(value) => {
                let mut ops = Document::new();
                ops.insert("$eq", value);
                return Ok(ops);
            }
            None => {}
        }
    }
    Err(EncodeError::new(
        "a condition on scalar array elements must be operators combined with `&` \
         (MongoDB cannot express `|`, `!` over several operators, or the same operator twice here)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn scalar_conditions_unwrap_to_operators() {
        let got = element_condition::<i32, _>(|s| s.gte(1) & s.lt(5)).unwrap();
        assert_eq!(got, doc! {"$gte": 1, "$lt": 5});
        let got = element_condition::<i32, _>(|s| s.eq(3)).unwrap();
        assert_eq!(got, doc! {"$eq": 3});
        let got = element_condition::<i32, _>(|s| !s.gt(3)).unwrap();
        assert_eq!(got, doc! {"$not": {"$gt": 3}});
    }

    #[test]
    fn scalar_disjunctions_are_reported() {
        let err = element_condition::<i32, _>(|s| s.lt(1) | s.gt(5)).unwrap_err();
        assert!(err.message.contains("scalar array elements"), "{err}");
    }

    #[test]
    fn document_conditions_stay_queries() {
        let got = element_condition::<bson::Document, _>(|_| {
            Filter::raw(doc! {"qty": {"$gt": 5}}) | Filter::raw(doc! {"sku": "x"})
        })
        .unwrap();
        assert_eq!(got, doc! {"$or": [{"qty": {"$gt": 5}}, {"sku": "x"}]});
    }
}

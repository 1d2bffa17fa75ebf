//! Reading the values at a dotted path of a raw document, the way `distinct`
//! and indexes see them: arrays on the way are traversed (each element that
//! is a document continues the path), a numeric component also selects an
//! array element, and an array at the end contributes its elements.

use bson::raw::{RawBsonRef, RawDocument};

/// Every value at `path` in `doc`, arrays at the leaf expanded.
pub(crate) fn values_at<'a>(doc: &'a RawDocument, path: &str) -> Vec<RawBsonRef<'a>> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    walk_document(doc, &parts, &mut out);
    out
}

fn walk_document<'a>(doc: &'a RawDocument, parts: &[&str], out: &mut Vec<RawBsonRef<'a>>) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    if let Ok(Some(v)) = doc.get(first) {
        walk(v, rest, out);
    }
}

fn walk<'a>(value: RawBsonRef<'a>, rest: &[&str], out: &mut Vec<RawBsonRef<'a>>) {
    match (value, rest.split_first()) {
        (RawBsonRef::Array(a), None) => out.extend(a.into_iter().flatten()),
        (v, None) => out.push(v),
        (RawBsonRef::Document(d), Some(_)) => walk_document(d, rest, out),
        (RawBsonRef::Array(a), Some((first, tail))) => {
            if let Ok(i) = first.parse::<usize>() {
                if let Some(Ok(el)) = a.into_iter().nth(i) {
                    walk(el, tail, out);
                }
            }
            for el in a.into_iter().flatten() {
                if let RawBsonRef::Document(d) = el {
                    walk_document(d, rest, out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{rawdoc, RawBson};

    fn owned(values: Vec<RawBsonRef<'_>>) -> Vec<RawBson> {
        values.into_iter().map(RawBson::from).collect()
    }

    #[test]
    fn traverses_arrays_of_documents() {
        let d = rawdoc! {"a": [{"b": 1}, {"b": [2, 3]}, {"c": 4}, 5]};
        assert_eq!(
            owned(values_at(&d, "a.b")),
            [RawBson::Int32(1), RawBson::Int32(2), RawBson::Int32(3)]
        );
        assert_eq!(owned(values_at(&d, "a.1.b")), [2.into(), 3.into()]);
        assert!(values_at(&d, "x.y").is_empty());
        assert_eq!(
            owned(values_at(&rawdoc! {"x": 1}, "x")),
            [RawBson::Int32(1)]
        );
    }
}

use super::*;
use bson::{doc, rawdoc};

fn project(spec: Document, d: RawDocumentBuf, pos: Option<usize>) -> Document {
    let p = Projection::compile(&spec).unwrap();
    Document::try_from(p.apply(&d, pos).unwrap().as_ref()).unwrap()
}

fn err(spec: Document) -> i32 {
    Projection::compile(&spec).unwrap_err().code
}

#[test]
fn inclusion_keeps_listed_fields_and_id_in_document_order() {
    let d = rawdoc! {"_id": 7, "b": 2, "a": 1, "c": 3};
    assert_eq!(
        project(doc! {"a": 1, "b": true}, d.clone(), None),
        doc! {"_id": 7, "b": 2, "a": 1}
    );
    assert_eq!(
        project(doc! {"a": 1, "_id": 0}, d.clone(), None),
        doc! {"a": 1}
    );
    assert_eq!(project(doc! {"_id": 1}, d.clone(), None), doc! {"_id": 7});
    assert_eq!(project(doc! {"zz": 1}, d.clone(), None), doc! {"_id": 7});
    assert_eq!(
        project(doc! {}, d.clone(), None),
        doc! {"_id": 7, "b": 2, "a": 1, "c": 3}
    );
}

#[test]
fn exclusion_drops_listed_fields_only() {
    let d = rawdoc! {"_id": 7, "b": 2, "a": 1};
    assert_eq!(
        project(doc! {"a": 0}, d.clone(), None),
        doc! {"_id": 7, "b": 2}
    );
    assert_eq!(project(doc! {"_id": 0}, d, None), doc! {"b": 2, "a": 1});
}

#[test]
fn dotted_paths_through_documents_and_arrays() {
    let d = rawdoc! {"_id": 1, "s": {"h": 1, "w": 2}, "items": [{"q": 1, "p": 9}, 5, {"p": 8}, [{"q": 2}]]};
    assert_eq!(
        project(doc! {"s.w": 1, "items.q": 1, "_id": 0}, d.clone(), None),
        doc! {"s": {"w": 2}, "items": [{"q": 1}, {}, [{"q": 2}]]}
    );
    assert_eq!(
        project(doc! {"s": {"h": 1}, "_id": 0}, d.clone(), None),
        doc! {"s": {"h": 1}}
    );
    assert_eq!(
        project(doc! {"items.p": 0, "s": 0}, d, None),
        doc! {"_id": 1, "items": [{"q": 1}, 5, {}, [{"q": 2}]]}
    );
}

#[test]
fn slice_forms() {
    let d = rawdoc! {"_id": 1, "a": [1, 2, 3, 4, 5], "b": "x"};
    assert_eq!(
        project(doc! {"a": {"$slice": 2}}, d.clone(), None),
        doc! {"_id": 1, "a": [1, 2], "b": "x"}
    );
    assert_eq!(
        project(doc! {"a": {"$slice": -2}}, d.clone(), None),
        doc! {"_id": 1, "a": [4, 5], "b": "x"}
    );
    assert_eq!(
        project(
            doc! {"a": {"$slice": [1, 2]}, "_id": 0, "b": 0},
            d.clone(),
            None
        ),
        doc! {"a": [2, 3]}
    );
    assert_eq!(
        project(
            doc! {"a": {"$slice": [-2, 5]}, "_id": 0, "b": 0},
            d.clone(),
            None
        ),
        doc! {"a": [4, 5]}
    );
    assert_eq!(
        project(
            doc! {"a": {"$slice": [9, 2]}, "_id": 0, "b": 0},
            d.clone(),
            None
        ),
        doc! {"a": []}
    );
    assert_eq!(
        project(doc! {"b": {"$slice": 1}, "a": 0}, d, None),
        doc! {"_id": 1, "b": "x"}
    );
    assert_eq!(err(doc! {"a": {"$slice": "x"}}), 2);
    assert_eq!(err(doc! {"a": {"$slice": [1, 0]}}), 2);
}

#[test]
fn elem_match_and_positional_keep_one_element() {
    let d = rawdoc! {"_id": 1, "k": 5, "xs": [{"s": 1, "n": "a"}, {"s": 2, "n": "b"}, {"s": 2, "n": "c"}]};
    assert_eq!(
        project(doc! {"xs": {"$elemMatch": {"s": 2}}}, d.clone(), None),
        doc! {"_id": 1, "xs": [{"s": 2, "n": "b"}]}
    );
    assert_eq!(
        project(doc! {"xs": {"$elemMatch": {"s": 3}}}, d.clone(), None),
        doc! {"_id": 1}
    );
    assert_eq!(
        project(doc! {"k": 1, "xs.$": 1}, d.clone(), Some(2)),
        doc! {"_id": 1, "k": 5, "xs": [{"s": 2, "n": "c"}]}
    );
    let p = Projection::compile(&doc! {"xs.$": 1}).unwrap();
    assert_eq!(p.apply(&d, None).unwrap_err().code, 51246);
    assert_eq!(err(doc! {"a.b": {"$elemMatch": {"x": 1}}}), 2);
}

#[test]
fn literals_are_computed_fields() {
    let d = rawdoc! {"_id": 1, "a": 1};
    assert_eq!(
        project(
            doc! {"a": 1, "one": {"$literal": 1}, "tag": "t", "_id": 0},
            d,
            None
        ),
        doc! {"a": 1, "one": 1, "tag": "t"}
    );
}

#[test]
fn mixing_modes_and_collisions_are_errors() {
    assert_eq!(err(doc! {"a": 1, "b": 0}), 31254);
    assert_eq!(err(doc! {"a": 0, "b": 1}), 31253);
    assert_eq!(err(doc! {"a": 1, "a.b": 1}), 31250);
    assert!(Projection::compile(&doc! {"a": 1, "_id": 0}).is_ok());
}

#[test]
fn expressions_compute_from_the_document() {
    let d = rawdoc! {"_id": 1, "s": {"h": 3, "w": 4}, "name": "box"};
    assert_eq!(
        project(
            doc! {"_id": 0, "area": {"$multiply": ["$s.h", "$s.w"]}, "n": "$name"},
            d.clone(),
            None
        ),
        doc! {"area": 12, "n": "box"}
    );
    // A missing field path leaves the computed field out.
    assert_eq!(project(doc! {"x": "$nope"}, d, None), doc! {"_id": 1});
}

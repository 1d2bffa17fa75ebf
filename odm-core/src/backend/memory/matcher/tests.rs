use super::*;
use bson::{doc, rawdoc};

#[test]
fn positional_from_elem_match() {
    let m = Matcher::compile(&doc! {"grades": {"$elemMatch": {"$gt": 90, "$lt": 96}}}).unwrap();
    assert_eq!(
        m.matches_positional(&rawdoc! {"grades": [80, 99, 92]})
            .unwrap(),
        Some(Some(2))
    );
}

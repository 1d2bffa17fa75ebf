use super::*;
use bson::{doc, rawdoc, Bson, RawDocumentBuf};

use crate::backend::memory::collation::Collation;

/// The `n`s of the documents (each `{n: .., ...}`) that `filter` matches.
fn hits(filter: Document, docs: &[RawDocumentBuf]) -> Vec<i32> {
    let m = Matcher::compile(&filter).unwrap();
    docs.iter()
        .filter(|d| m.matches(d).unwrap())
        .map(|d| d.get_i32("n").unwrap())
        .collect()
}

fn matches(filter: Document, d: RawDocumentBuf) -> bool {
    Matcher::compile(&filter).unwrap().matches(&d).unwrap()
}

fn error(filter: Document) -> (i32, String) {
    let e = Matcher::compile(&filter).unwrap_err();
    (e.code, e.message)
}

fn mixed() -> Vec<RawDocumentBuf> {
    vec![
        rawdoc! {"n": 1, "v": 5},
        rawdoc! {"n": 2, "v": 5.5},
        rawdoc! {"n": 3, "v": 7_i64},
        rawdoc! {"n": 4, "v": "7"},
        rawdoc! {"n": 5, "v": null},
        rawdoc! {"n": 6},
        rawdoc! {"n": 7, "v": [1, 9]},
        rawdoc! {"n": 8, "v": true},
    ]
}

#[test]
fn comparisons_bracket_types_and_compare_numbers_by_value() {
    let d = mixed();
    assert_eq!(hits(doc! {"v": {"$gt": 5}}, &d), vec![2, 3, 7]);
    assert_eq!(hits(doc! {"v": {"$gte": 5.0}}, &d), vec![1, 2, 3, 7]);
    assert_eq!(hits(doc! {"v": {"$lt": 5.5}}, &d), vec![1, 7]);
    assert_eq!(hits(doc! {"v": {"$lte": "7"}}, &d), vec![4]);
    assert_eq!(hits(doc! {"v": 7}, &d), vec![3]);
    assert_eq!(hits(doc! {"v": {"$eq": 5_i64}}, &d), vec![1]);
    // An array matches when any element (or the array itself) does.
    assert_eq!(hits(doc! {"v": {"$gt": 8, "$lt": 2}}, &d), vec![7]);
    assert_eq!(hits(doc! {"v": [1, 9]}, &d), vec![7]);
}

#[test]
fn null_matches_missing_and_ne_null_excludes_both() {
    let d = mixed();
    assert_eq!(hits(doc! {"v": null}, &d), vec![5, 6]);
    assert_eq!(hits(doc! {"v": {"$ne": null}}, &d), vec![1, 2, 3, 4, 7, 8]);
    assert_eq!(hits(doc! {"v": {"$gte": null}}, &d), vec![5, 6]);
    assert_eq!(hits(doc! {"v": {"$lt": null}}, &d), Vec::<i32>::new());
    assert_eq!(hits(doc! {"v": {"$ne": 5}}, &d), vec![2, 3, 4, 5, 6, 7, 8]);
    assert!(matches(doc! {"v": null}, rawdoc! {"v": [1, null]}));
    assert!(!matches(doc! {"v": null}, rawdoc! {"v": [1]}));
    assert!(matches(
        doc! {"v": null},
        rawdoc! {"v": bson::RawBson::Undefined}
    ));
}

#[test]
fn min_and_max_key_operands_compare_across_types() {
    let d = mixed();
    assert_eq!(hits(doc! {"v": {"$gt": Bson::MinKey}}, &d).len(), 8);
    assert_eq!(hits(doc! {"v": {"$lt": Bson::MaxKey}}, &d).len(), 8);
}

#[test]
fn nan_only_equals_nan() {
    let d = vec![rawdoc! {"n": 1, "v": f64::NAN}, rawdoc! {"n": 2, "v": 1.0}];
    assert_eq!(hits(doc! {"v": f64::NAN}, &d), vec![1]);
    assert_eq!(hits(doc! {"v": {"$gte": f64::NAN}}, &d), vec![1]);
    assert_eq!(hits(doc! {"v": {"$lt": 2}}, &d), vec![2]);
    assert_eq!(hits(doc! {"v": {"$gt": f64::NAN}}, &d), Vec::<i32>::new());
}

#[test]
fn dotted_paths_through_documents_and_arrays() {
    let d = vec![
        rawdoc! {"n": 1, "o": {"items": [{"q": 1}, {"q": 6}]}},
        rawdoc! {"n": 2, "o": {"items": [{"q": 3, "tags": ["a", "b"]}]}},
        rawdoc! {"n": 3, "o": {"items": {"q": 6}}},
        rawdoc! {"n": 4, "o": [{"items": [{"q": 6}]}]},
        rawdoc! {"n": 5, "o": {"items": [[{"q": 6}]]}},
    ];
    assert_eq!(hits(doc! {"o.items.q": 6}, &d), vec![1, 3, 4]);
    assert_eq!(hits(doc! {"o.items.tags": "b"}, &d), vec![2]);
    assert_eq!(hits(doc! {"o.items.0.q": 1}, &d), vec![1]);
    assert_eq!(hits(doc! {"o.items.1.q": {"$gt": 5}}, &d), vec![1]);
    assert!(matches(doc! {"m.0": "k"}, rawdoc! {"m": {"0": "k"}}));
    assert!(matches(doc! {"a.1": 5}, rawdoc! {"a": [4, 5]}));
}

#[test]
fn nested_arrays_match_whole_but_scalars_do_not_reach_inside() {
    let d = rawdoc! {"v": [[1, 2], 3]};
    assert!(matches(doc! {"v": [1, 2]}, d.clone()));
    assert!(matches(doc! {"v": 3}, d.clone()));
    assert!(!matches(doc! {"v": 1}, d));
}

#[test]
fn embedded_document_equality_is_exact_and_ordered() {
    let d = rawdoc! {"s": {"h": 14, "w": 21}};
    assert!(matches(doc! {"s": {"h": 14, "w": 21}}, d.clone()));
    assert!(!matches(doc! {"s": {"w": 21, "h": 14}}, d.clone()));
    assert!(!matches(doc! {"s": {"h": 14}}, d));
}

#[test]
fn in_and_nin_with_regexes_and_null() {
    let d = mixed();
    assert_eq!(hits(doc! {"v": {"$in": [5, "7", 9]}}, &d), vec![1, 4, 7]);
    assert_eq!(hits(doc! {"v": {"$in": [null]}}, &d), vec![5, 6]);
    assert_eq!(
        hits(doc! {"v": {"$nin": [5, null]}}, &d),
        vec![2, 3, 4, 7, 8]
    );
    let re = Bson::RegularExpression(bson::Regex {
        pattern: "^7".to_string().try_into().unwrap(),
        options: "".to_string().try_into().unwrap(),
    });
    assert_eq!(hits(doc! {"v": {"$in": [re.clone()]}}, &d), vec![4]);
    assert_eq!(hits(doc! {"v": {"$nin": [re]}}, &d).len(), 7);
    assert_eq!(hits(doc! {"v": {"$in": []}}, &d), Vec::<i32>::new());
    assert_eq!(error(doc! {"v": {"$in": 5}}).0, 2);
    assert_eq!(error(doc! {"v": {"$nin": "x"}}).1, "$nin needs an array");
}

#[test]
fn all_size_and_elem_match() {
    let d = vec![
        rawdoc! {"n": 1, "t": ["a", "b", "c"], "r": [{"s": 80, "k": "x"}, {"s": 95, "k": "y"}]},
        rawdoc! {"n": 2, "t": ["a"], "r": [{"s": 95, "k": "x"}]},
        rawdoc! {"n": 3, "t": "a", "r": [[{"s": 95, "k": "x"}]], "v": [3, 12]},
    ];
    assert_eq!(hits(doc! {"t": {"$all": ["a", "b"]}}, &d), vec![1]);
    assert_eq!(hits(doc! {"t": {"$all": ["a"]}}, &d), vec![1, 2, 3]);
    assert_eq!(hits(doc! {"t": {"$all": []}}, &d), Vec::<i32>::new());
    assert_eq!(hits(doc! {"t": {"$size": 1}}, &d), vec![2]);
    assert_eq!(hits(doc! {"t": {"$size": 3.0}}, &d), vec![1]);
    // Both conditions on the same element, unlike a plain dotted query.
    assert_eq!(
        hits(doc! {"r": {"$elemMatch": {"s": 95, "k": "x"}}}, &d),
        vec![2]
    );
    assert_eq!(hits(doc! {"r.s": 95, "r.k": "x"}, &d), vec![1, 2]);
    assert_eq!(
        hits(doc! {"v": {"$elemMatch": {"$gt": 5, "$lt": 10}}}, &d),
        Vec::<i32>::new()
    );
    assert_eq!(hits(doc! {"v": {"$gt": 5, "$lt": 10}}, &d), vec![3]);
    assert_eq!(
        hits(
            doc! {"r": {"$all": [{"$elemMatch": {"s": 95}}, {"$elemMatch": {"k": "x"}}]}},
            &d
        ),
        vec![1, 2]
    );
    assert_eq!(
        hits(doc! {"v": {"$elemMatch": {"$not": {"$lt": 5}}}}, &d),
        vec![3]
    );
}

#[test]
fn array_operator_errors() {
    assert_eq!(error(doc! {"a": {"$size": -1}}).0, 2);
    assert_eq!(error(doc! {"a": {"$size": 1.5}}).0, 2);
    assert_eq!(error(doc! {"a": {"$size": "1"}}).0, 2);
    assert_eq!(
        error(doc! {"a": {"$elemMatch": 1}}).1,
        "$elemMatch needs an Object"
    );
    assert_eq!(
        error(doc! {"a": {"$elemMatch": {"$gt": 1, "b": 1}}}).1,
        "unknown operator: b"
    );
    assert_eq!(error(doc! {"a": {"$all": 1}}).1, "$all needs an array");
    assert_eq!(
        error(doc! {"a": {"$all": [{"$elemMatch": {"b": 1}}, 2]}}).0,
        2
    );
}

#[test]
fn exists_and_type() {
    let d = vec![
        rawdoc! {"n": 1, "v": null},
        rawdoc! {"n": 2},
        rawdoc! {"n": 3, "v": [1, "x"]},
        rawdoc! {"n": 4, "v": 2.5},
        rawdoc! {"n": 5, "v": 2_i64},
    ];
    assert_eq!(hits(doc! {"v": {"$exists": true}}, &d), vec![1, 3, 4, 5]);
    assert_eq!(hits(doc! {"v": {"$exists": 0}}, &d), vec![2]);
    assert_eq!(hits(doc! {"v": {"$type": "null"}}, &d), vec![1]);
    assert_eq!(hits(doc! {"v": {"$type": 10}}, &d), vec![1]);
    assert_eq!(hits(doc! {"v": {"$type": "string"}}, &d), vec![3]);
    assert_eq!(hits(doc! {"v": {"$type": "array"}}, &d), vec![3]);
    assert_eq!(hits(doc! {"v": {"$type": "number"}}, &d), vec![3, 4, 5]);
    assert_eq!(hits(doc! {"v": {"$type": ["long", 1.0]}}, &d), vec![4, 5]);
    assert_eq!(
        error(doc! {"v": {"$type": "nope"}}).1,
        "Unknown type name alias: nope"
    );
    assert_eq!(error(doc! {"v": {"$type": 99}}).0, 2);
    assert_eq!(error(doc! {"v": {"$type": true}}).0, 14);
}

#[test]
fn regex_forms_and_options() {
    let d = vec![
        rawdoc! {"n": 1, "s": "Apple pie"},
        rawdoc! {"n": 2, "s": "crab\napple"},
        rawdoc! {"n": 3, "s": ["x", "apple"]},
        rawdoc! {"n": 4, "s": 5},
    ];
    assert_eq!(hits(doc! {"s": {"$regex": "^apple"}}, &d), vec![3]);
    assert_eq!(
        hits(doc! {"s": {"$regex": "^apple", "$options": "i"}}, &d),
        vec![1, 3]
    );
    assert_eq!(
        hits(doc! {"s": {"$regex": "^apple", "$options": "m"}}, &d),
        vec![2, 3]
    );
    let re = bson::Regex {
        pattern: "PIE$".to_string().try_into().unwrap(),
        options: "i".to_string().try_into().unwrap(),
    };
    assert_eq!(
        hits(doc! {"s": Bson::RegularExpression(re.clone())}, &d),
        vec![1]
    );
    assert_eq!(
        hits(
            doc! {"s": {"$not": Bson::RegularExpression(re.clone())}},
            &d
        ),
        vec![2, 3, 4]
    );
    // `$eq` with a regex compares regex values instead of matching.
    assert_eq!(
        hits(doc! {"s": {"$eq": Bson::RegularExpression(re.clone())}}, &d),
        Vec::<i32>::new()
    );
    assert!(matches(
        doc! {"s": {"$eq": Bson::RegularExpression(re.clone())}},
        rawdoc! {"s": re.clone()}
    ));
    // Look-ahead needs a backtracking engine.
    assert_eq!(hits(doc! {"s": {"$regex": "^(?=.*pie)A"}}, &d), vec![1]);
    assert_eq!(
        error(doc! {"s": {"$options": "i"}}).1,
        "$options needs a $regex"
    );
    assert_eq!(error(doc! {"s": {"$regex": 5}}).0, 2);
    assert_eq!(
        error(doc! {"s": {"$regex": Bson::RegularExpression(re), "$options": "m"}}).0,
        51075
    );
    assert_eq!(error(doc! {"s": {"$regex": "a", "$options": "q"}}).0, 51108);
}

#[test]
fn mod_truncates_and_validates() {
    let d = vec![
        rawdoc! {"n": 1, "v": 7},
        rawdoc! {"n": 2, "v": 8.9},
        rawdoc! {"n": 3, "v": -5_i64},
        rawdoc! {"n": 4, "v": "7"},
    ];
    assert_eq!(hits(doc! {"v": {"$mod": [4, 3]}}, &d), vec![1]);
    assert_eq!(hits(doc! {"v": {"$mod": [4, 0]}}, &d), vec![2]);
    assert_eq!(hits(doc! {"v": {"$mod": [4.7, -1]}}, &d), vec![3]);
    assert_eq!(
        error(doc! {"v": {"$mod": [4]}}).1,
        "malformed mod, not enough elements"
    );
    assert_eq!(
        error(doc! {"v": {"$mod": [4, 1, 2]}}).1,
        "malformed mod, too many elements"
    );
    assert_eq!(error(doc! {"v": {"$mod": [0, 1]}}).1, "divisor cannot be 0");
    assert_eq!(error(doc! {"v": {"$mod": 4}}).0, 2);
    assert_eq!(error(doc! {"v": {"$mod": ["a", 1]}}).0, 2);
}

#[test]
fn logical_operators() {
    let d = mixed();
    assert_eq!(hits(doc! {"$or": [{"v": 5}, {"v": "7"}]}, &d), vec![1, 4]);
    assert_eq!(
        hits(doc! {"$and": [{"v": {"$gt": 5}}, {"v": {"$lt": 7}}]}, &d),
        vec![2, 7]
    );
    assert_eq!(
        hits(doc! {"$nor": [{"v": {"$type": "number"}}, {"v": null}]}, &d),
        vec![4, 8]
    );
    assert_eq!(
        hits(doc! {"v": {"$not": {"$gt": 5}}}, &d),
        vec![1, 4, 5, 6, 8]
    );
    assert_eq!(hits(doc! {"$comment": "why", "v": 5}, &d), vec![1]);
    assert_eq!(
        hits(doc! {"n": {"$gt": 2}, "$or": [{"v": 5}, {"v": 7}]}, &d),
        vec![3]
    );
}

#[test]
fn logical_and_unknown_operator_errors() {
    assert_eq!(
        error(doc! {"$and": []}).1,
        "$and/$or/$nor must be a nonempty array"
    );
    assert_eq!(error(doc! {"$or": {"a": 1}}).0, 2);
    assert_eq!(
        error(doc! {"$nor": [1]}).1,
        "$or/$and/$nor entries need to be full objects"
    );
    assert_eq!(
        error(doc! {"a": {"$not": 3}}).1,
        "$not needs a regex or a document"
    );
    assert_eq!(error(doc! {"a": {"$not": {}}}).1, "$not cannot be empty");
    assert_eq!(error(doc! {"a": {"$foo": 1}}).1, "unknown operator: $foo");
    assert!(error(doc! {"$size": 1})
        .1
        .starts_with("unknown top level operator: $size"));
    assert_eq!(
        error(doc! {"a": {"$gt": Bson::RegularExpression(bson::Regex {
            pattern: "x".to_string().try_into().unwrap(),
            options: "".to_string().try_into().unwrap(),
        })}})
        .0,
        2
    );
    assert_eq!(error(doc! {"$where": "this.a"}).0, 238);
    assert_eq!(error(doc! {"$text": {"$search": "x"}}).0, 238);
    assert_eq!(error(doc! {"p": {"$near": [0, 0]}}).0, 238);
}

#[test]
fn empty_filter_matches_everything() {
    let m = Matcher::compile(&doc! {}).unwrap();
    assert!(m.is_match_all());
    assert!(m.matches(&rawdoc! {"x": 1}).unwrap());
    assert!(!Matcher::compile(&doc! {"x": 1}).unwrap().is_match_all());
}

#[test]
fn positional_reports_the_matching_element() {
    let d = rawdoc! {"k": 1, "g": [70, 85, 92], "r": [{"s": 1}, {"s": 4}]};
    let pos = |f: Document| {
        Matcher::compile(&f)
            .unwrap()
            .matches_positional(&d)
            .unwrap()
    };
    assert_eq!(pos(doc! {"g": {"$gte": 80}}), Some(Some(1)));
    assert_eq!(pos(doc! {"k": 1, "r.s": 4}), Some(Some(1)));
    assert_eq!(pos(doc! {"k": 1}), Some(None));
    assert_eq!(pos(doc! {"k": 2}), None);
    assert_eq!(pos(doc! {"g": {"$elemMatch": {"$gt": 90}}}), Some(Some(2)));
    assert_eq!(pos(doc! {"$or": [{"g": 0}, {"g": 92}]}), Some(Some(2)));
}

#[test]
fn hot_path_filter_on_a_ten_field_document() {
    let person = |age: i32, city: &str| {
        rawdoc! {
            "_id": bson::oid::ObjectId::new(), "name": "Ada Lovelace", "email": "ada@example.com",
            "age": age, "active": true, "score": 91.5, "tags": ["math", "engines"],
            "address": {"street": "12 Rue de Rivoli", "city": city, "zip": "75001"},
            "created": bson::DateTime::from_millis(1_600_000_000_000), "visits": 42_i64,
        }
    };
    let m = Matcher::compile(&doc! {"age": {"$gte": 30}, "address.city": "Paris"}).unwrap();
    assert!(m.matches(&person(36, "Paris")).unwrap());
    assert!(!m.matches(&person(29, "Paris")).unwrap());
    assert!(!m.matches(&person(36, "Lyon")).unwrap());
}

#[test]
fn json_schema_combines_with_other_conditions() {
    let d = vec![
        rawdoc! {"n": 1, "name": "Ada"},
        rawdoc! {"n": 2, "name": 5},
        rawdoc! {"n": 3},
    ];
    let schema = doc! {"required": ["name"], "properties": {"name": {"bsonType": "string"}}};
    assert_eq!(hits(doc! {"$jsonSchema": schema.clone()}, &d), vec![1]);
    assert_eq!(
        hits(
            doc! {"$nor": [{"$jsonSchema": schema}], "n": {"$gt": 2}},
            &d
        ),
        vec![3]
    );
    assert_eq!(error(doc! {"$jsonSchema": 1}).0, 14);
    assert_eq!(error(doc! {"a": {"$elemMatch": {"$jsonSchema": {}}}}).0, 2);
}

#[test]
fn expr_results_use_aggregation_truthiness() {
    for falsy in [
        Bson::Boolean(false),
        Bson::Null,
        Bson::Int32(0),
        Bson::Double(0.0),
        Bson::Int64(0),
    ] {
        assert!(!truthy(&falsy), "{falsy:?}");
    }
    for t in [
        Bson::Boolean(true),
        Bson::String(String::new()),
        Bson::Array(vec![]),
        Bson::Int32(-1),
    ] {
        assert!(truthy(&t), "{t:?}");
    }
    assert!(Matcher::compile(&doc! {"$expr": {"$gt": ["$a", "$b"]}}).is_ok());
    assert_eq!(
        error(doc! {"a": {"$elemMatch": {"b": 1, "$expr": true}}}).0,
        2
    );
}

#[test]
fn long_in_lists_of_mixed_types() {
    let values: Vec<Bson> = (0..200)
        .map(|i| match i % 4 {
            0 => Bson::Int32(i),
            1 => Bson::Double(f64::from(i) + 0.5),
            2 => Bson::String(format!("s{i}")),
            _ => Bson::Int64(i64::from(i) * 1000),
        })
        .collect();
    let m = Matcher::compile(&doc! {"v": {"$in": values}}).unwrap();
    let yes = |v: Bson| {
        m.matches(&RawDocumentBuf::try_from(&doc! {"v": v}).unwrap())
            .unwrap()
    };
    assert!(yes(Bson::Double(8.0)));
    assert!(!yes(Bson::Int64(9)));
    assert!(yes(Bson::Double(9.5)));
    assert!(yes(Bson::String("s10".into())));
    assert!(!yes(Bson::String("s11".into())));
    assert!(yes(Bson::Int32(3000)));
    assert!(yes(Bson::Array(vec![Bson::Int32(1), Bson::Int32(196)])));
    assert!(!yes(Bson::Null));
}

#[test]
fn matcher_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Matcher>();
    assert_send_sync::<crate::backend::memory::sort::SortSpec>();
    assert_send_sync::<crate::backend::memory::projection::Projection>();
}

#[test]
fn expr_compares_fields_and_sees_let_variables() {
    let d = vec![
        rawdoc! {"n": 1, "spent": 400, "budget": 300},
        rawdoc! {"n": 2, "spent": 100, "budget": 300},
        rawdoc! {"n": 3, "spent": 0},
    ];
    assert_eq!(
        hits(doc! {"$expr": {"$gt": ["$spent", "$budget"]}}, &d),
        vec![1, 3]
    );
    assert_eq!(hits(doc! {"$expr": "$spent"}, &d), vec![1, 2]);
    let m = Matcher::compile_with_vars(
        &doc! {"$expr": {"$lt": ["$spent", "$$cap"]}, "budget": {"$exists": true}},
        Some(&doc! {"cap": 200}),
    )
    .unwrap();
    let got: Vec<i32> = d
        .iter()
        .filter(|x| m.matches(x).unwrap())
        .map(|x| x.get_i32("n").unwrap())
        .collect();
    assert_eq!(got, vec![2]);
}

#[test]
fn dbrefs_are_values_and_empty_keys_are_fields() {
    let d = rawdoc! {"owner": {"$ref": "users", "$id": 7}, "": 5};
    assert!(matches(
        doc! {"owner": {"$ref": "users", "$id": 7}},
        d.clone()
    ));
    assert!(!matches(
        doc! {"owner": {"$ref": "users", "$id": 8}},
        d.clone()
    ));
    assert!(matches(doc! {"": 5}, d.clone()));
    assert!(!matches(doc! {"": 6}, d));
}

#[test]
fn bitwise_operators_in_filters() {
    let d = vec![
        rawdoc! {"n": 1, "f": 54},
        rawdoc! {"n": 2, "f": 3},
        rawdoc! {"n": 3, "f": [1, 32]},
        rawdoc! {"n": 4, "f": "54"},
    ];
    assert_eq!(hits(doc! {"f": {"$bitsAllSet": [1, 2]}}, &d), vec![1]);
    assert_eq!(hits(doc! {"f": {"$bitsAnySet": 32}}, &d), vec![1, 3]);
    assert_eq!(hits(doc! {"f": {"$bitsAllClear": 1}}, &d), vec![1, 3]);
    assert_eq!(hits(doc! {"f": {"$bitsAnyClear": [0, 1]}}, &d), vec![1, 3]);
    assert_eq!(error(doc! {"f": {"$bitsAllSet": -1}}).0, 2);
}

#[test]
fn exists_reads_its_argument_as_a_boolean() {
    let d = vec![rawdoc! {"n": 1, "v": 1}, rawdoc! {"n": 2}];
    let zero: bson::Decimal128 = "0E-6".parse().unwrap();
    let one: bson::Decimal128 = "1".parse().unwrap();
    assert_eq!(hits(doc! {"v": {"$exists": zero}}, &d), vec![2]);
    assert_eq!(hits(doc! {"v": {"$exists": one}}, &d), vec![1]);
    assert_eq!(hits(doc! {"v": {"$exists": "false"}}, &d), vec![1]);
    assert_eq!(hits(doc! {"v": {"$exists": null}}, &d), vec![2]);
}

/// The `n`s that `filter` matches under a case-insensitive collation.
fn collated_hits(filter: Document, docs: &[RawDocumentBuf]) -> Vec<i32> {
    let c = Collation::compile(&doc! {"locale": "en", "strength": 2})
        .unwrap()
        .unwrap();
    let m = Matcher::compile_with_collation(&filter, None, Some(&c)).unwrap();
    docs.iter()
        .filter(|d| m.matches(d).unwrap())
        .map(|d| d.get_i32("n").unwrap())
        .collect()
}

#[test]
fn collation_applies_to_equality_ranges_sets_and_nested_strings() {
    let docs = vec![
        rawdoc! {"n": 1, "s": "Mango", "tags": ["RED", "ripe"]},
        rawdoc! {"n": 2, "s": "mango", "o": {"k": "ÉTÉ"}},
        rawdoc! {"n": 3, "s": "melon", "o": {"k": "été"}},
        rawdoc! {"n": 4, "s": "Lime", "tags": ["green"]},
        rawdoc! {"n": 5, "s": 7},
    ];
    assert_eq!(hits(doc! {"s": "MANGO"}, &docs), Vec::<i32>::new());
    assert_eq!(collated_hits(doc! {"s": "MANGO"}, &docs), [1, 2]);
    assert_eq!(
        collated_hits(doc! {"s": {"$ne": "mAnGo"}}, &docs),
        [3, 4, 5]
    );
    assert_eq!(collated_hits(doc! {"s": {"$gte": "MELON"}}, &docs), [3]);
    assert_eq!(collated_hits(doc! {"s": {"$lt": "M"}}, &docs), [4]);
    assert_eq!(
        collated_hits(doc! {"s": {"$in": ["LIME", "zzz", 7]}}, &docs),
        [4, 5]
    );
    assert_eq!(
        collated_hits(doc! {"s": {"$nin": ["MANGO"]}}, &docs),
        [3, 4, 5]
    );
    assert_eq!(collated_hits(doc! {"tags": "Red"}, &docs), [1]);
    assert_eq!(collated_hits(doc! {"o": {"k": "Été"}}, &docs), [2, 3]);
    assert_eq!(
        collated_hits(doc! {"tags": {"$elemMatch": {"$eq": "GREEN"}}}, &docs),
        [4]
    );
    // Regexes are not collated; accents still matter at strength 2.
    assert_eq!(collated_hits(doc! {"s": {"$regex": "^M"}}, &docs), [1]);
    assert_eq!(collated_hits(doc! {"o.k": "ete"}, &docs), Vec::<i32>::new());
}

/// `matches_eq` compares a string with a top-level string by its bytes;
/// it must answer as the compiled filter does, including for strings with
/// a NUL, arrays, other types, dotted paths and bytes that are not UTF-8.
#[test]
fn equality_without_compiling_agrees_with_the_compiled_filter() {
    let mut not_utf8 = rawdoc! {"n": 9, "s": "zz"}.into_bytes();
    let at = not_utf8.windows(3).position(|w| w == b"zz\0").unwrap();
    not_utf8[at..at + 2].copy_from_slice(&[0xFF, 0xFE]);
    let docs = [
        rawdoc! {"n": 1, "s": "x"},
        rawdoc! {"n": 2, "s": "x\0y"},
        rawdoc! {"n": 3, "s": ["y", "x"]},
        rawdoc! {"n": 4, "s": 7},
        rawdoc! {"n": 5, "s": {"t": "x"}},
        rawdoc! {"n": 6, "s": "xy"},
        rawdoc! {"n": 7},
        rawdoc! {"n": 8, "s": bson::RawBson::Symbol("x".into())},
        RawDocumentBuf::from_bytes(not_utf8).unwrap(),
    ];
    let values = [
        Bson::from("x"),
        Bson::from("x\0y"),
        Bson::from("y"),
        Bson::Int32(7),
    ];
    for path in ["s", "s.t"] {
        let field = FieldPath::parse(path);
        for x in &values {
            let raw = bson::RawBson::try_from(x.clone()).unwrap();
            let compiled = Matcher::compile(&doc! {path: x.clone()}).unwrap();
            for d in &docs {
                assert_eq!(
                    matches_eq(d, &field, raw.as_raw_bson_ref()),
                    compiled.matches(d).unwrap(),
                    "{path}: {x} on {d:?}"
                );
            }
        }
    }
}

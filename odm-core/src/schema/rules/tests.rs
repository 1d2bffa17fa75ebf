use super::*;

fn range(min: Option<i64>, max: Option<i64>) -> Rule {
    Rule::Range {
        min: min.map(Bound::Int),
        max: max.map(Bound::Int),
        exclusive_min: None,
        exclusive_max: None,
    }
}

fn rules() -> Vec<FieldRule> {
    vec![
        FieldRule::new("stock", range(Some(0), Some(100))),
        FieldRule::new(
            "name",
            Rule::Length {
                min: Some(2),
                max: None,
                equal: None,
            },
        ),
        FieldRule::new(
            "tags",
            Rule::Length {
                min: Some(1),
                max: Some(3),
                equal: None,
            },
        ),
        FieldRule::new("lines.$[].qty", range(Some(1), None)),
        FieldRule::new(
            "address.zip",
            Rule::Length {
                min: None,
                max: None,
                equal: Some(5),
            },
        ),
    ]
}

fn paths(e: &ValidationErrors) -> Vec<&str> {
    e.fields.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn set_values_are_checked_at_their_path() {
    let err = check_update(&rules(), &doc! {"$set": {"stock": -5, "name": "x"}}).unwrap_err();
    assert_eq!(paths(&err), ["stock", "name"]);
    assert_eq!(err.fields[0].code, "range");
    assert!(
        err.fields[0].message.contains("at least 0"),
        "{}",
        err.fields[0].message
    );
    assert!(
        check_update(&rules(), &doc! {"$set": {"stock": 5, "name": "xy"}})
            .unwrap()
            .is_empty()
    );
}

#[test]
fn sub_documents_and_arrays_are_checked_inside() {
    let err = check_update(
        &rules(),
        &doc! {"$set": {"address": {"zip": "123"}, "lines": [{"qty": 2}, {"qty": 0}]}},
    )
    .unwrap_err();
    assert_eq!(paths(&err), ["address.zip", "lines.1.qty"]);
    let err = check_update(&rules(), &doc! {"$set": {"lines.$.qty": 0}}).unwrap_err();
    assert_eq!(paths(&err), ["lines.$.qty"]);
}

#[test]
fn pushed_values_are_elements() {
    let err = check_update(&rules(), &doc! {"$push": {"lines": {"qty": 0}}}).unwrap_err();
    assert_eq!(paths(&err), ["lines.$.qty"]);
    let err = check_update(
        &rules(),
        &doc! {"$push": {"lines": {"$each": [{"qty": 1}, {"qty": -1}]}}},
    )
    .unwrap_err();
    assert_eq!(paths(&err), ["lines.1.qty"]);
}

#[test]
fn a_decrement_is_guarded_by_the_minimum() {
    let guard = check_update(&rules(), &doc! {"$inc": {"stock": -10}}).unwrap();
    assert_eq!(guard.conditions, [doc! {"stock": {"$gte": 10_i64}}]);
    assert_eq!(
        guard.apply(doc! {"_id": 1}),
        doc! {"$and": [{"_id": 1}, {"stock": {"$gte": 10_i64}}]}
    );
    let guard = check_update(&rules(), &doc! {"$inc": {"stock": 7}}).unwrap();
    assert_eq!(guard.conditions, [doc! {"stock": {"$lte": 93_i64}}]);
    assert!(check_update(&rules(), &doc! {"$inc": {"other": -7}})
        .unwrap()
        .is_empty());
}

#[test]
fn multiplication_is_guarded_on_both_sides() {
    let guard = check_update(&rules(), &doc! {"$mul": {"stock": 4}}).unwrap();
    assert_eq!(
        guard.conditions,
        [
            doc! {"stock": {"$gte": 0.0}},
            doc! {"stock": {"$lte": 25.0}}
        ]
    );
    let guard = check_update(&rules(), &doc! {"$mul": {"stock": -2}}).unwrap();
    assert_eq!(
        guard.conditions,
        [
            doc! {"stock": {"$lte": -0.0}},
            doc! {"stock": {"$gte": -50.0}}
        ]
    );
    assert!(check_update(&rules(), &doc! {"$mul": {"stock": 0}})
        .unwrap()
        .is_empty());
}

#[test]
fn array_length_guards() {
    let guard = check_update(&rules(), &doc! {"$push": {"tags": "a"}}).unwrap();
    assert_eq!(guard.conditions, [doc! {"tags.2": {"$exists": false}}]);
    let guard = check_update(&rules(), &doc! {"$pop": {"tags": 1}}).unwrap();
    assert_eq!(guard.conditions, [doc! {"tags.1": {"$exists": true}}]);
    let err = check_update(
        &rules(),
        &doc! {"$push": {"tags": {"$each": ["a", "b", "c", "d"]}}},
    )
    .unwrap_err();
    assert_eq!(paths(&err), ["tags"]);
}

#[test]
fn refused_documents_are_the_negated_guard() {
    let guard = check_update(&rules(), &doc! {"$inc": {"stock": -1}}).unwrap();
    assert_eq!(
        guard.refused(doc! {"a": 1}),
        doc! {"$and": [{"a": 1}, {"$nor": [{"$and": [{"stock": {"$gte": 1_i64}}]}]}]}
    );
}

#[test]
fn exclusive_and_float_bounds() {
    let rule = Rule::Range {
        min: None,
        max: None,
        exclusive_min: Some(Bound::Float(0.5)),
        exclusive_max: None,
    };
    assert!(rule.violation(&Bson::Double(0.5)).is_some());
    assert!(rule.violation(&Bson::Double(0.51)).is_none());
    assert!(rule.violation(&Bson::Null).is_none());
    assert!(rule.violation(&Bson::String("x".into())).is_none());
}

#[test]
fn element_arithmetic_is_guarded_for_every_element_or_the_indexed_one() {
    let guard = check_update(&rules(), &doc! {"$inc": {"lines.$[].qty": -2}}).unwrap();
    assert_eq!(
        guard.conditions,
        [doc! {"lines": {"$not": {"$elemMatch": {"qty": {"$lt": 3_i64}}}}}]
    );
    let guard = check_update(&rules(), &doc! {"$inc": {"lines.1.qty": -2}}).unwrap();
    assert_eq!(guard.conditions, [doc! {"lines.1.qty": {"$gte": 3_i64}}]);
    // Elements picked by the query or by array filters are not guarded.
    assert!(check_update(&rules(), &doc! {"$inc": {"lines.$.qty": -2}})
        .unwrap()
        .is_empty());
    assert!(
        check_update(&rules(), &doc! {"$inc": {"lines.$[big].qty": -2}})
            .unwrap()
            .is_empty()
    );
}

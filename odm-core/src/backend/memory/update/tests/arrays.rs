//! Whole updates on arrays: positional paths, array filters and the array modifiers.

use bson::{doc, Bson, Document};

use super::*;

#[test]
fn positional_operator_uses_the_matched_index() {
    let p = plan(doc! {"$set": {"g.$.s": 0}});
    assert!(p.needs_positional());
    let mut d = doc! {"_id": 1, "g": [{"s": 1}, {"s": 2}]};
    let ctx = ApplyContext {
        positional: Some(1),
        ..Default::default()
    };
    assert!(p.apply(&mut d, &ctx).unwrap());
    assert_eq!(d, doc! {"_id": 1, "g": [{"s": 1}, {"s": 0}]});
    let err = p.apply(&mut d, &ApplyContext::default()).unwrap_err();
    assert_eq!(err.code, 2);
    assert_eq!(
        err.message,
        "The positional operator did not find the match needed from the query."
    );
    assert!(!plan(doc! {"$set": {"g.0": 1}}).needs_positional());
}

#[test]
fn all_positional_updates_every_element() {
    let (_, d) = run(
        doc! {"_id": 1, "g": [{"v": [1, 2]}, {"v": [3]}]},
        doc! {"$inc": {"g.$[].v.$[]": 10}},
    );
    assert_eq!(d, doc! {"_id": 1, "g": [{"v": [11, 12]}, {"v": [13]}]});
    let err = fails(doc! {"_id": 1}, doc! {"$set": {"g.$[].v": 1}});
    assert_eq!(err.code, 2);
    assert!(err.message.contains("must exist"), "{err}");
    assert_eq!(
        fails(doc! {"_id": 1, "g": 3}, doc! {"$set": {"g.$[]": 1}}).code,
        2
    );
    // An empty array: nothing to update.
    assert!(!run(doc! {"_id": 1, "g": []}, doc! {"$set": {"g.$[]": 1}}).0);
}

#[test]
fn array_filter_identifiers_must_match_the_update() {
    let compile = |update: Document, filters: &[Document]| {
        UpdatePlan::compile(&UpdateModification::Document(update), Some(filters), None)
    };
    let err = compile(doc! {"$set": {"a.$[x]": 1}}, &[]).unwrap_err();
    assert_eq!(err.code, 2);
    assert_eq!(
        err.message,
        "No array filter found for identifier 'x' in path 'a.$[x]'"
    );
    let err = compile(
        doc! {"$set": {"a.$[x]": 1}},
        &[doc! {"x": 1}, doc! {"y": 1}],
    )
    .unwrap_err();
    assert_eq!(err.code, 9);
    assert!(err.message.contains("identifier 'y' was not used"), "{err}");
    assert!(compile(
        doc! {"$set": {"a.$[x].b.$[y]": 1}},
        &[doc! {"x.k": 1}, doc! {"y": 2}]
    )
    .is_ok());
}

#[test]
fn array_modifiers_together() {
    let (changed, d) = run(
        doc! {"_id": 1, "p": [3, 1], "s": ["a"], "q": [1, 2, 3], "b": 0b1100},
        doc! {
            "$push": {"p": {"$each": [2, 5], "$sort": 1, "$slice": -3}, "fresh": 1},
            "$addToSet": {"s": {"$each": ["a", "b", "b"]}},
            "$pop": {"q": -1},
            "$bit": {"b": {"or": 0b0001}},
        },
    );
    assert!(changed);
    assert_eq!(
        d,
        doc! {"_id": 1, "p": [2, 3, 5], "s": ["a", "b"], "q": [2, 3], "b": 0b1101, "fresh": [1]}
    );
    assert_eq!(fails(d.clone(), doc! {"$push": {"b": 1}}).code, 2);
    assert_eq!(fails(d.clone(), doc! {"$addToSet": {"b": 1}}).code, 2);
    assert_eq!(fails(d.clone(), doc! {"$pullAll": {"b": [1]}}).code, 2);
    assert_eq!(fails(d, doc! {"$bit": {"s": {"and": 1}}}).code, 2);
}

#[test]
fn no_op_array_modifiers_report_no_change() {
    let start = doc! {"_id": 1, "s": [1, 2], "e": []};
    assert!(!run(start.clone(), doc! {"$addToSet": {"s": 2.0}}).0);
    assert!(!run(start.clone(), doc! {"$pop": {"e": 1, "missing": 1}}).0);
    assert!(
        !run(
            start.clone(),
            doc! {"$pull": {"s": 7}, "$pullAll": {"missing": [1]}}
        )
        .0
    );
    assert!(!run(start, doc! {"$push": {"s": {"$each": []}}}).0);
}

#[test]
fn padding_is_bounded() {
    let err = fails(doc! {"_id": 1, "a": [1]}, doc! {"$set": {"a.2000000": 1}});
    assert_eq!(err.code, 2);
    assert!(!run(doc! {"_id": 1, "a": [1]}, doc! {"$unset": {"a.2000000": 1}}).0);
    let (_, d) = run(doc! {"_id": 1, "a": []}, doc! {"$inc": {"a.1": 2}});
    assert_eq!(d, doc! {"_id": 1, "a": [Bson::Null, 2]});
}

#[test]
fn unset_through_all_positional_nulls_elements() {
    let (changed, d) = run(
        doc! {"_id": 1, "a": [1, {"b": 1, "c": 2}], "n": [3, 4]},
        doc! {"$unset": {"a.$[].b": "", "n.$[]": ""}},
    );
    assert!(changed);
    assert_eq!(
        d,
        doc! {"_id": 1, "a": [1, {"c": 2}], "n": [Bson::Null, Bson::Null]}
    );
}

#[test]
fn dynamic_paths_that_meet_conflict_at_runtime() {
    let err = fails(
        doc! {"_id": 1, "a": [1, 2]},
        doc! {"$set": {"a.$[]": 0, "a.1": 5}},
    );
    assert_eq!(err.code, 40);
    assert_eq!(err.message, "Update created a conflict at 'a.1'");
    let p = plan(doc! {"$set": {"a.$": 0}, "$inc": {"a.1": 5}});
    let at = |i| ApplyContext {
        positional: Some(i),
        ..Default::default()
    };
    let mut d = doc! {"_id": 1, "a": [1, 2]};
    assert!(p.apply(&mut d, &at(0)).unwrap());
    assert_eq!(d, doc! {"_id": 1, "a": [0, 7]});
    assert_eq!(p.apply(&mut d, &at(1)).unwrap_err().code, 40);
    assert_eq!(d, doc! {"_id": 1, "a": [0, 7]});
    // Different fields under every element do not meet.
    let (_, d) = run(
        doc! {"_id": 1, "a": [{"x": 1}, {"x": 2}]},
        doc! {"$set": {"a.$[].y": 0}, "$inc": {"a.$[].x": 1}},
    );
    assert_eq!(
        d,
        doc! {"_id": 1, "a": [{"x": 2, "y": 0}, {"x": 3, "y": 0}]}
    );
}

fn run_filtered(
    start: Document,
    update: Document,
    filters: &[Document],
) -> Result<(bool, Document), CommandError> {
    let p = UpdatePlan::compile(&UpdateModification::Document(update), Some(filters), None)?;
    let mut d = start;
    let changed = p.apply(&mut d, &ApplyContext::default())?;
    Ok((changed, d))
}

#[test]
fn pull_with_conditions_and_queries() {
    let (_, d) = run(
        doc! {"_id": 1, "n": [1, 6, 3, 9, 6], "s": ["a", "b", "c"]},
        doc! {"$pull": {"n": {"$gte": 6}, "s": {"$in": ["a", "c"]}}},
    );
    assert_eq!(d, doc! {"_id": 1, "n": [1, 3], "s": ["b"]});
    let start = doc! {"_id": 1, "r": [{"k": 1, "v": 5}, {"k": 2, "v": 9}, 7, {"k": 1}]};
    let (_, d) = run(start.clone(), doc! {"$pull": {"r": {"k": 1}}});
    assert_eq!(d, doc! {"_id": 1, "r": [{"k": 2, "v": 9}, 7]});
    let (_, d) = run(start.clone(), doc! {"$pull": {"r": {"v": {"$gt": 6}}}});
    assert_eq!(d, doc! {"_id": 1, "r": [{"k": 1, "v": 5}, 7, {"k": 1}]});
    let (_, d) = run(start, doc! {"$pull": {"r": {"$or": [{"v": 5}, {"k": 2}]}}});
    assert_eq!(d, doc! {"_id": 1, "r": [7, {"k": 1}]});
    let re = bson::Regex {
        pattern: "^a".to_string().try_into().unwrap(),
        options: String::new().try_into().unwrap(),
    };
    let (_, d) = run(
        doc! {"_id": 1, "t": ["ab", "ba", "ac", 1]},
        doc! {"$pull": {"t": re}},
    );
    assert_eq!(d, doc! {"_id": 1, "t": ["ba", 1]});
}

#[test]
fn array_filters_select_elements() {
    let (changed, d) = run_filtered(
        doc! {"_id": 1, "n": [1, 5, 10], "e": [{"k": 1, "q": 2}, {"k": 2, "q": 3}]},
        doc! {"$set": {"n.$[big]": 0}, "$inc": {"e.$[one].q": 10}},
        &[doc! {"big": {"$gt": 4}}, doc! {"one.k": 1}],
    )
    .unwrap();
    assert!(changed);
    assert_eq!(
        d,
        doc! {"_id": 1, "n": [1, 0, 0], "e": [{"k": 1, "q": 12}, {"k": 2, "q": 3}]}
    );
    // Nothing selected: nothing changed.
    let (changed, _) = run_filtered(
        doc! {"_id": 1, "n": [1]},
        doc! {"$set": {"n.$[big]": 0}},
        &[doc! {"big": {"$gt": 4}}],
    )
    .unwrap();
    assert!(!changed);
    // Nested: every outer element, matching inner ones.
    let (_, d) = run_filtered(
        doc! {"_id": 1, "g": [{"s": [1, 8]}, {"s": [9]}]},
        doc! {"$inc": {"g.$[].s.$[hi]": 1}},
        &[doc! {"hi": {"$gte": 8}}],
    )
    .unwrap();
    assert_eq!(d, doc! {"_id": 1, "g": [{"s": [1, 9]}, {"s": [10]}]});
    // Two filters selecting the same element conflict.
    let err = run_filtered(
        doc! {"_id": 1, "n": [1, 5]},
        doc! {"$set": {"n.$[a]": 0, "n.$[b]": 1}},
        &[doc! {"a": {"$gt": 2}}, doc! {"b": 5}],
    )
    .unwrap_err();
    assert_eq!(err.code, 40);
}

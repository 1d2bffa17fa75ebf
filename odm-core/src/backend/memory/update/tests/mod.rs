//! Tests of whole updates: parsing, application order, errors and no-ops.

mod arrays;
mod pipeline;

use bson::{doc, Bson, DateTime, Document};

use super::*;

pub(super) fn plan(update: Document) -> UpdatePlan {
    UpdatePlan::compile(&UpdateModification::Document(update), None, None).unwrap()
}

pub(super) fn compile_err(update: Document) -> CommandError {
    UpdatePlan::compile(&UpdateModification::Document(update), None, None).unwrap_err()
}

/// Apply and return (changed, document).
pub(super) fn run(start: Document, update: Document) -> (bool, Document) {
    run_ctx(start, update, &ApplyContext::default())
}

pub(super) fn run_ctx(
    mut start: Document,
    update: Document,
    ctx: &ApplyContext,
) -> (bool, Document) {
    let changed = plan(update).apply(&mut start, ctx).unwrap();
    (changed, start)
}

/// Apply an update that must fail, checking the document is untouched.
pub(super) fn fails(start: Document, update: Document) -> CommandError {
    let mut doc = start.clone();
    let err = plan(update)
        .apply(&mut doc, &ApplyContext::default())
        .unwrap_err();
    assert!(
        fields::identical_docs(&doc, &start),
        "document changed on error"
    );
    err
}

pub(super) fn keys(d: &Document) -> Vec<&str> {
    d.keys().map(String::as_str).collect()
}

#[test]
fn set_keeps_positions_and_appends_new_fields_in_path_order() {
    let (changed, d) = run(
        doc! {"_id": 7, "m": 1, "c": 2},
        doc! {"$set": {"z": 1, "c": 3, "b.y": 1, "b.x": 2}},
    );
    assert!(changed);
    assert_eq!(keys(&d), vec!["_id", "m", "c", "b", "z"]);
    assert_eq!(d.get_document("b").unwrap(), &doc! {"x": 2, "y": 1});
    assert_eq!(d.get_i32("c").unwrap(), 3);
}

#[test]
fn set_to_an_identical_value_is_not_a_change_but_another_type_is() {
    let start = doc! {"_id": 1, "n": 4, "sub": {"p": 1, "q": 2}};
    assert!(
        !run(
            start.clone(),
            doc! {"$set": {"n": 4, "sub": {"p": 1, "q": 2}}}
        )
        .0
    );
    assert!(run(start.clone(), doc! {"$set": {"n": 4.0}}).0);
    // Same fields in another order is a different document.
    assert!(run(start, doc! {"$set": {"sub": {"q": 2, "p": 1}}}).0);
}

#[test]
fn numeric_parts_index_arrays_and_pad_with_nulls() {
    let (_, d) = run(
        doc! {"_id": 1, "arr": [{"v": 0}, 5]},
        doc! {"$set": {"arr.0.v": 9, "arr.4": "x"}},
    );
    assert_eq!(
        d.get_array("arr").unwrap(),
        &vec![
            Bson::Document(doc! {"v": 9}),
            Bson::Int32(5),
            Bson::Null,
            Bson::Null,
            Bson::String("x".into()),
        ]
    );
    // Numeric names order by value: index 10 is created after index 2.
    let (_, d) = run(
        doc! {"_id": 1, "o": {}},
        doc! {"$set": {"o.10": 1, "o.2": 2}},
    );
    assert_eq!(keys(d.get_document("o").unwrap()), vec!["2", "10"]);
}

#[test]
fn paths_through_scalars_are_not_viable() {
    let start = doc! {"_id": 1, "n": 5, "list": [{"a": 1}], "nil": null};
    for update in [
        doc! {"$set": {"n.x": 1}},
        doc! {"$set": {"list.a": 1}},
        doc! {"$inc": {"nil.x": 1}},
        doc! {"$push": {"n.x": 1}},
    ] {
        let err = fails(start.clone(), update.clone());
        assert_eq!(err.code, 28, "{update}: {err}");
        assert_eq!(err.code_name, "PathNotViable");
    }
    let err = fails(start.clone(), doc! {"$set": {"n.x": 1}});
    assert!(err.message.contains("Cannot create field 'x'"), "{err}");
    // Removing modifiers ignore such paths.
    assert!(!run(start.clone(), doc! {"$unset": {"n.x": "", "gone.y": ""}}).0);
    assert!(!run(start, doc! {"$pop": {"n.x": 1}}).0);
}

#[test]
fn unset_removes_fields_and_nulls_array_elements() {
    let (changed, d) = run(
        doc! {"_id": 1, "a": 1, "b": {"c": 1, "d": 2}, "arr": [1, 2, 3]},
        doc! {"$unset": {"a": "", "b.c": 1, "arr.1": true}},
    );
    assert!(changed);
    assert_eq!(d, doc! {"_id": 1, "b": {"d": 2}, "arr": [1, Bson::Null, 3]});
}

#[test]
fn inc_and_mul_promote_and_create() {
    let (_, d) = run(
        doc! {"_id": 1, "i": i32::MAX, "l": 5i64, "f": 1.5},
        doc! {"$inc": {"i": 1, "l": 2, "new": 3i64}, "$mul": {"f": 2, "zero": 2.5}},
    );
    assert_eq!(d.get("i"), Some(&Bson::Int64(i64::from(i32::MAX) + 1)));
    assert_eq!(d.get("l"), Some(&Bson::Int64(7)));
    assert_eq!(d.get("new"), Some(&Bson::Int64(3)));
    assert_eq!(d.get("f"), Some(&Bson::Double(3.0)));
    assert_eq!(d.get("zero"), Some(&Bson::Double(0.0)));
    // Adding zero or multiplying by one changes nothing.
    assert!(!run(doc! {"_id": 1, "n": 4}, doc! {"$mul": {"n": 1}}).0);
    assert!(!run(doc! {"_id": 1, "n": 4}, doc! {"$inc": {"n": 0}}).0);
}

#[test]
fn arithmetic_errors_name_the_document_and_leave_it_unchanged() {
    let start = doc! {"_id": "k1", "s": "text", "big": i64::MAX};
    let err = fails(start.clone(), doc! {"$set": {"a": 1}, "$inc": {"s": 1}});
    assert_eq!((err.code, err.code_name.as_str()), (14, "TypeMismatch"));
    assert_eq!(
        err.message,
        "Cannot apply $inc to a value of non-numeric type. {_id: \"k1\"} has the field 's' of \
         non-numeric type string"
    );
    let err = fails(start.clone(), doc! {"$mul": {"big": 2}});
    assert_eq!(err.code, 2);
    assert_eq!(compile_err(doc! {"$inc": {"a": "1"}}).code, 14);
}

#[test]
fn min_and_max_use_bson_order() {
    let start = doc! {"_id": 1, "lo": 10, "hi": 10};
    let (changed, d) = run(start.clone(), doc! {"$min": {"lo": 3}, "$max": {"hi": 30}});
    assert!(changed);
    assert_eq!(
        (d.get_i32("lo").unwrap(), d.get_i32("hi").unwrap()),
        (3, 30)
    );
    assert!(
        !run(
            start.clone(),
            doc! {"$min": {"lo": 10.0}, "$max": {"hi": 1}}
        )
        .0
    );
    // A string orders above every number, null below.
    let (_, d) = run(
        start,
        doc! {"$max": {"hi": "a"}, "$min": {"lo": Bson::Null}},
    );
    assert_eq!(d, doc! {"_id": 1, "lo": Bson::Null, "hi": "a"});
}

#[test]
fn conflicting_paths_are_rejected_at_compile() {
    let err = compile_err(doc! {"$set": {"a": 1}, "$inc": {"a": 1}});
    assert_eq!(err.code, 40);
    assert_eq!(
        err.message,
        "Updating the path 'a' would create a conflict at 'a'"
    );
    let err = compile_err(doc! {"$set": {"x.y": 1}, "$unset": {"x": ""}});
    assert_eq!(
        err.message,
        "Updating the path 'x' would create a conflict at 'x'"
    );
    assert_eq!(
        compile_err(doc! {"$rename": {"p": "q"}, "$set": {"q.r": 1}}).code,
        40
    );
    // Siblings sharing a name prefix do not conflict.
    assert!(UpdatePlan::compile(
        &UpdateModification::Document(doc! {"$set": {"ab": 1, "a.b": 1}}),
        None,
        None
    )
    .is_ok());
}

#[test]
fn update_documents_must_be_all_operators() {
    assert_eq!(compile_err(doc! {"$set": {"a": 1}, "b": 2}).code, 9);
    assert_eq!(compile_err(doc! {"a": 1}).code, 9);
    assert_eq!(compile_err(doc! {"$bogus": {"a": 1}}).code, 9);
    assert_eq!(compile_err(doc! {"$set": 1}).code, 9);
    assert!(!run(doc! {"_id": 1}, doc! {"$set": {}, "$unset": {}}).0);
}

#[test]
fn top_level_dollar_prefixed_fields_are_not_stored() {
    let e = compile_err(doc! {"$set": {"$where": 1}});
    assert_eq!(
        (e.code, e.code_name.as_str()),
        (52, "DollarPrefixedFieldName")
    );
    assert!(e.message.contains("'$where'"), "{}", e.message);
    assert_eq!(compile_err(doc! {"$inc": {"$n.x": 1}}).code, 52);
    // Positional parts deeper in the path are not field names.
    assert!(run(doc! {"_id": 1, "a": [1]}, doc! {"$set": {"a.$[]": 2}}).0);
}

#[test]
fn id_is_immutable() {
    let start = doc! {"_id": 5, "a": 1};
    assert_eq!(fails(start.clone(), doc! {"$set": {"_id": 6}}).code, 66);
    assert_eq!(fails(start.clone(), doc! {"$unset": {"_id": ""}}).code, 66);
    assert_eq!(
        fails(doc! {"_id": {"k": 1}}, doc! {"$set": {"_id.k": 2}}).code,
        66
    );
    let (changed, d) = run(start, doc! {"$set": {"_id": 5, "a": 2}});
    assert!(changed);
    assert_eq!(d, doc! {"_id": 5, "a": 2});
    // A document without _id (an upsert seed) may get one.
    let (_, d) = run(doc! {}, doc! {"$set": {"_id": 1}});
    assert_eq!(d, doc! {"_id": 1});
}

#[test]
fn rename_moves_fields() {
    let start = doc! {"_id": 1, "a": 1, "b": {"c": 2}, "d": 3};
    let (_, d) = run(start.clone(), doc! {"$rename": {"a": "z"}});
    assert_eq!(keys(&d), vec!["_id", "b", "d", "z"]);
    // An existing target keeps its place.
    let (_, d) = run(start.clone(), doc! {"$rename": {"a": "d"}});
    assert_eq!(d, doc! {"_id": 1, "b": {"c": 2}, "d": 1});
    let (_, d) = run(start.clone(), doc! {"$rename": {"b.c": "e.f"}});
    assert_eq!(d, doc! {"_id": 1, "a": 1, "b": {}, "d": 3, "e": {"f": 2}});
    assert!(!run(start.clone(), doc! {"$rename": {"missing": "x"}}).0);
    for bad in [
        doc! {"$rename": {"a": "a"}},
        doc! {"$rename": {"b": "b.c"}},
        doc! {"$rename": {"a": 1}},
        doc! {"$rename": {"a.$[]": "x"}},
    ] {
        assert_eq!(compile_err(bad.clone()).code, 2, "{bad}");
    }
    let err = fails(
        doc! {"_id": 1, "l": [{"x": 1}]},
        doc! {"$rename": {"l.0.x": "y"}},
    );
    assert_eq!(err.code, 2);
    assert_eq!(
        fails(start, doc! {"$rename": {"a": "d.e"}}).code,
        28,
        "target under a scalar"
    );
}

#[test]
fn set_on_insert_only_on_insert() {
    let update = doc! {"$set": {"a": 1}, "$setOnInsert": {"created": true}};
    let (_, d) = run(doc! {"_id": 1}, update.clone());
    assert_eq!(d, doc! {"_id": 1, "a": 1});
    let ctx = ApplyContext {
        is_insert: true,
        ..Default::default()
    };
    let (_, d) = run_ctx(doc! {"_id": 1}, update, &ctx);
    assert_eq!(d, doc! {"_id": 1, "a": 1, "created": true});
    assert!(!run(doc! {"_id": 1}, doc! {"$setOnInsert": {"x": 1}}).0);
}

#[test]
fn current_date_uses_the_context_clock() {
    let now = DateTime::from_millis(1_700_000_000_123);
    let ctx = ApplyContext {
        now: Some(now),
        ..Default::default()
    };
    let (changed, d) = run_ctx(
        doc! {"_id": 1},
        doc! {"$currentDate": {"d": true, "t.s": {"$type": "timestamp"}}},
        &ctx,
    );
    assert!(changed);
    assert_eq!(d.get_datetime("d").unwrap(), &now);
    let ts = d.get_document("t").unwrap().get_timestamp("s").unwrap();
    // Timestamps never go back, even when the clock given does.
    assert!(ts.time >= 1_700_000_000);
    let (_, again) = run_ctx(
        doc! {"_id": 1},
        doc! {"$currentDate": {"s": {"$type": "timestamp"}}},
        &ctx,
    );
    let ts2 = again.get_timestamp("s").unwrap();
    assert!((ts2.time, ts2.increment) > (ts.time, ts.increment));
}

#[test]
fn a_failing_update_restores_every_touched_field_in_place() {
    let start = doc! {"_id": 1, "a": 1, "b": {"c": 1}, "s": "x", "d": 4, "e": [1]};
    let err = fails(
        start.clone(),
        doc! {
            "$unset": {"a": ""}, "$set": {"b.c": 2, "z": 1},
            "$rename": {"d": "y"}, "$inc": {"s": 1}, "$push": {"e": 2},
        },
    );
    assert_eq!(err.code, 14);
    // The _id check runs after every modifier has been applied.
    let err = fails(
        start,
        doc! {"$set": {"_id": 2, "a": 5}, "$unset": {"b": ""}},
    );
    assert_eq!(err.code, 66);
}

#[test]
fn top_level_sets_need_no_rollback_but_still_keep_order() {
    let p =
        plan(doc! {"$set": {"b": 2, "new": 1}, "$unset": {"a": ""}, "$currentDate": {"d": true}});
    assert!(matches!(&p.plan, Plan::Operators { touched, .. } if touched.is_empty()));
    let mut d = doc! {"_id": 1, "a": 1, "b": 1, "c": 1};
    assert!(p.apply(&mut d, &ApplyContext::default()).unwrap());
    assert_eq!(keys(&d), vec!["_id", "b", "c", "d", "new"]);
    // `_id` and dotted paths can fail, so they are saved.
    let p = plan(doc! {"$set": {"_id": 1, "b": 2}});
    assert!(matches!(&p.plan, Plan::Operators { touched, .. } if touched.len() == 2));
}

#[test]
fn conflicts_are_found_among_many_paths() {
    let mut set = Document::new();
    for i in 0..300 {
        set.insert(format!("f{i}.x"), i);
    }
    set.insert("f7", 1);
    let err = compile_err(doc! {"$set": set.clone()});
    assert_eq!(
        err.message,
        "Updating the path 'f7' would create a conflict at 'f7'"
    );
    set.remove("f7");
    assert!(UpdatePlan::compile(
        &UpdateModification::Document(doc! {"$set": set}),
        None,
        None
    )
    .is_ok());
    // The rename target counts too, and a sibling sorting between does not hide it.
    let err = compile_err(doc! {"$set": {"a.b": 1, "a-": 1}, "$rename": {"z": "a"}});
    assert_eq!(
        err.message,
        "Updating the path 'a' would create a conflict at 'a'"
    );
}

//! Update pipelines over the real expression evaluator.

use bson::{doc, DateTime, Document};

use super::*;

#[test]
fn pipeline_unset_keeps_id() {
    let p = UpdatePlan::compile(
        &UpdateModification::Pipeline(vec![doc! {"$unset": ["_id", "a"]}]),
        None,
        None,
    )
    .unwrap();
    let mut d = doc! {"_id": 1, "a": 1, "b": 2};
    assert!(p.apply(&mut d, &ApplyContext::default()).unwrap());
    assert_eq!(d, doc! {"_id": 1, "b": 2});
    assert!(!p.apply(&mut d, &ApplyContext::default()).unwrap());
    let err = UpdatePlan::compile(
        &UpdateModification::Pipeline(vec![doc! {"$unset": "a"}]),
        Some(&[doc! {"x": 1}]),
        None,
    )
    .unwrap_err();
    assert_eq!(err.code, 72);
}

fn pipeline(
    stages: Vec<Document>,
    let_vars: Option<&Document>,
    start: Document,
    ctx: &ApplyContext,
) -> Result<(bool, Document), CommandError> {
    let p = UpdatePlan::compile(&UpdateModification::Pipeline(stages), None, let_vars)?;
    let mut d = start;
    let changed = p.apply(&mut d, ctx)?;
    Ok((changed, d))
}

#[test]
fn pipeline_set_evaluates_against_the_stage_input() {
    let ctx = ApplyContext::default();
    let (changed, d) = pipeline(
        vec![
            doc! {"$set": {"a": 10, "b": "$a", "sub": {"y": {"$add": ["$a", 1]}}, "gone": "$$REMOVE"}},
            doc! {"$addFields": {"c": {"$multiply": ["$a", 2]}, "sub.z": true}},
        ],
        None,
        doc! {"_id": 1, "a": 1, "sub": {"x": 0}, "gone": 1},
        &ctx,
    )
    .unwrap();
    assert!(changed);
    assert_eq!(
        d,
        doc! {"_id": 1, "a": 10, "sub": {"x": 0, "y": 2, "z": true}, "b": 1, "c": 20}
    );
}

#[test]
fn pipeline_variables_now_and_let() {
    let now = DateTime::from_millis(1_600_000_000_000);
    let ctx = ApplyContext {
        now: Some(now),
        ..Default::default()
    };
    let (_, d) = pipeline(
        vec![doc! {"$set": {"t": "$$NOW", "k": "$$limit"}}],
        Some(&doc! {"limit": 5}),
        doc! {"_id": 1},
        &ctx,
    )
    .unwrap();
    assert_eq!(d, doc! {"_id": 1, "t": now, "k": 5});
}

#[test]
fn pipeline_replace_root_and_project() {
    let ctx = ApplyContext::default();
    let start = doc! {"_id": 1, "a": 1, "inner": {"p": 2}};
    // A new root without _id keeps the document's _id, first.
    let (_, d) = pipeline(
        vec![doc! {"$replaceWith": "$inner"}],
        None,
        start.clone(),
        &ctx,
    )
    .unwrap();
    assert_eq!(d, doc! {"_id": 1, "p": 2});
    let (_, d) = pipeline(
        vec![doc! {"$replaceRoot": {"newRoot": {"$mergeObjects": ["$$ROOT", {"z": 3}]}}}],
        None,
        start.clone(),
        &ctx,
    )
    .unwrap();
    assert_eq!(d, doc! {"_id": 1, "a": 1, "inner": {"p": 2}, "z": 3});
    let (_, d) = pipeline(vec![doc! {"$project": {"a": 1}}], None, start.clone(), &ctx).unwrap();
    assert_eq!(d, doc! {"_id": 1, "a": 1});
    let err = pipeline(vec![doc! {"$replaceWith": "$a"}], None, start.clone(), &ctx).unwrap_err();
    assert_eq!(err.code, 40228);
    let err = pipeline(vec![doc! {"$set": {"_id": 2}}], None, start.clone(), &ctx).unwrap_err();
    assert_eq!(err.code, 66);
    // Recomputing the same values changes nothing.
    let (changed, _) = pipeline(vec![doc! {"$set": {"a": "$a"}}], None, start, &ctx).unwrap();
    assert!(!changed);
}

#[test]
fn pipeline_nested_fields_reach_into_arrays() {
    let (_, d) = pipeline(
        vec![doc! {"$set": {"a.b": 1}}],
        None,
        doc! {"_id": 1, "a": [{"c": 2}, 7, [{"c": 3}]]},
        &ApplyContext::default(),
    )
    .unwrap();
    assert_eq!(
        d,
        doc! {"_id": 1, "a": [{"c": 2, "b": 1}, {"b": 1}, [{"c": 3, "b": 1}]]}
    );
}

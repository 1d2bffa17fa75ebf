//! The planner against a collection scan: every plan must select exactly
//! the documents (in the same order) a scan does.

use bson::{doc, Bson, Document, RawDocumentBuf};

use super::super::catalog::CollState;
use super::super::collation::Collation;
use super::super::indexes::Hint;
use super::super::read::{Order, Selector};
use super::super::sort::SortSpec;
use super::{sort_fields, Access, Plan};
use crate::backend::{IndexModel, Namespace};

fn ns() -> Namespace {
    Namespace::new("db", "c")
}

fn state(docs: Vec<Document>, indexes: Vec<IndexModel>) -> CollState {
    let mut s = CollState::default();
    for d in docs {
        s.insert_one(&ns(), RawDocumentBuf::try_from(&d).unwrap(), false)
            .unwrap();
    }
    let s_ref = &mut s;
    s_ref.indexes.create(&ns(), &s_ref.store, indexes).unwrap();
    s
}

fn index(keys: Document) -> IndexModel {
    IndexModel::new(keys)
}

/// The `_id`s selected with `hint` (and the plan), and with a scan.
fn run_with(
    s: &CollState,
    filter: Document,
    sort: Option<Document>,
    hint: Hint,
    collation: Option<&Collation>,
) -> (Vec<Bson>, Vec<Bson>, Plan) {
    let selector = Selector::with_collation(&filter, None, collation).unwrap();
    let spec = sort
        .as_ref()
        .map(|d| SortSpec::compile_with_collation(d, collation).unwrap());
    let fields = sort.as_ref().and_then(sort_fields);
    let order = match (&spec, &fields) {
        (Some(spec), Some(fields)) => Some(Order { fields, spec }),
        _ => None,
    };
    let ids = |hint| {
        let plan = selector.plan(s, fields.as_deref(), hint);
        let (hits, _) = selector.select_planned(s, &plan, order, 0, 0).unwrap();
        let ids = hits
            .iter()
            .map(|h| Bson::try_from(h.doc.get("_id").unwrap().unwrap()).unwrap())
            .collect::<Vec<_>>();
        (ids, plan)
    };
    let (planned, plan) = ids(hint);
    let (scanned, _) = ids(Hint::Natural);
    (planned, scanned, plan)
}

fn run(s: &CollState, filter: Document, sort: Option<Document>) -> (Vec<Bson>, Plan) {
    let (planned, scanned, plan) = run_with(s, filter.clone(), sort, Hint::Auto, None);
    assert_eq!(planned, scanned, "{filter} via {plan:?}");
    (planned, plan)
}

fn index_name(s: &CollState, plan: &Plan) -> Option<String> {
    match plan.access {
        Access::Index { pos, .. } => s.indexes.list().get(pos).map(|i| i.name.clone()),
        _ => None,
    }
}

fn people() -> Vec<Document> {
    vec![
        doc! {"_id": 1, "age": 30, "city": "Oslo", "tags": ["a", "b"]},
        doc! {"_id": 2, "age": 30.0, "city": "Rome", "tags": ["b"]},
        doc! {"_id": 3, "age": 41i64, "city": "Oslo"},
        doc! {"_id": 4, "age": "30", "city": "Lima", "tags": []},
        doc! {"_id": 5, "city": "Rome", "tags": ["c", "a"]},
        doc! {"_id": 6, "age": null, "city": "oslo"},
        doc! {"_id": 7, "age": [25, 50], "city": "Oslo"},
        doc! {"_id": 8, "age": {"years": 30}, "city": "Rome"},
    ]
}

#[test]
fn equality_uses_the_index_across_numeric_widths() {
    let s = state(people(), vec![index(doc! {"age": 1})]);
    let (ids, plan) = run(&s, doc! {"age": 30i64}, None);
    assert_eq!(ids, [Bson::Int32(1), Bson::Int32(2)]);
    assert_eq!(index_name(&s, &plan).as_deref(), Some("age_1"));
    let (ids, _) = run(&s, doc! {"age": {"$eq": 50.0}}, None);
    assert_eq!(ids, [Bson::Int32(7)]);
    let (ids, _) = run(&s, doc! {"age": {"years": 30.0}}, None);
    assert_eq!(ids, [Bson::Int32(8)]);
    let (ids, _) = run(&s, doc! {"age": {"$in": [41, "30", 99]}}, None);
    assert_eq!(ids, [Bson::Int32(3), Bson::Int32(4)]);
}

#[test]
fn null_and_arrays_fall_back_to_a_scan() {
    let s = state(
        people(),
        vec![index(doc! {"age": 1}), index(doc! {"tags": 1})],
    );
    let (ids, plan) = run(&s, doc! {"age": null}, None);
    assert_eq!(ids, [Bson::Int32(5), Bson::Int32(6)]);
    assert!(matches!(plan.access, Access::Scan));
    let (ids, plan) = run(&s, doc! {"tags": ["b"]}, None);
    assert_eq!(ids, [Bson::Int32(2)]);
    assert!(matches!(plan.access, Access::Scan));
    // An element of a multikey index is found.
    let (ids, plan) = run(&s, doc! {"tags": "a"}, None);
    assert_eq!(ids, [Bson::Int32(1), Bson::Int32(5)]);
    assert_eq!(index_name(&s, &plan).as_deref(), Some("tags_1"));
}

#[test]
fn ranges_respect_type_brackets_and_multikey_arrays() {
    let s = state(people(), vec![index(doc! {"age": 1})]);
    let (ids, plan) = run(&s, doc! {"age": {"$gte": 30, "$lt": 41}}, None);
    assert_eq!(ids, [Bson::Int32(1), Bson::Int32(2), Bson::Int32(7)]);
    assert!(s.indexes.list()[0].entries.multikey);
    assert_eq!(index_name(&s, &plan).as_deref(), Some("age_1"));
    // Each bound met by a different element of the array.
    let (ids, _) = run(&s, doc! {"age": {"$gt": 45, "$lt": 26}}, None);
    assert_eq!(ids, [Bson::Int32(7)]);
    let (ids, _) = run(
        &s,
        doc! {"$and": [{"age": {"$gt": 26}}, {"age": {"$lte": 25}}]},
        None,
    );
    assert_eq!(ids, [Bson::Int32(7)]);
    let (ids, _) = run(&s, doc! {"age": {"$gt": "2"}}, None);
    assert_eq!(ids, [Bson::Int32(4)]);
}

#[test]
fn compound_prefixes_and_descending_fields() {
    let docs: Vec<Document> = (0..60)
        .map(|i| doc! {"_id": i, "a": i % 4, "b": (i * 7) % 10, "c": format!("s{}", i % 3)})
        .collect();
    let s = state(docs, vec![index(doc! {"a": 1, "b": -1})]);
    let (ids, plan) = run(&s, doc! {"a": 2, "b": {"$gt": 3, "$lte": 8}}, None);
    assert!(!ids.is_empty());
    assert_eq!(index_name(&s, &plan).as_deref(), Some("a_1_b_-1"));
    let (ids, _) = run(&s, doc! {"a": {"$in": [1, 3]}, "b": {"$in": [0, 9]}}, None);
    assert!(!ids.is_empty());
    // Only the second field bounded: the index cannot help.
    let (_, plan) = run(&s, doc! {"b": 4}, None);
    assert!(matches!(plan.access, Access::Scan));
    // The sort after the pinned field is the index order.
    let (ids, plan) = run(&s, doc! {"a": 1}, Some(doc! {"b": -1}));
    assert!(plan.sorted && ids.len() == 15);
    let (_, plan) = run(&s, doc! {"a": 1}, Some(doc! {"b": 1}));
    assert!(plan.sorted, "a reversed walk");
}

#[test]
fn sorts_walk_an_exact_index_in_order() {
    let mut docs: Vec<Document> = (0..50)
        .map(|i| doc! {"_id": i, "n": (i * 37) % 11, "s": format!("k{}", i % 5)})
        .collect();
    docs.push(doc! {"_id": 100});
    docs.push(doc! {"_id": 101, "n": null});
    docs.push(doc! {"_id": 102, "n": 2.5});
    let s = state(docs, vec![index(doc! {"n": 1})]);
    for sort in [doc! {"n": 1}, doc! {"n": -1}] {
        let (ids, plan) = run(&s, doc! {}, Some(sort));
        assert!(plan.sorted, "{plan:?}");
        assert_eq!(ids.len(), 53);
    }
    let (_, plan) = run(&s, doc! {"n": {"$gte": 3}}, Some(doc! {"n": -1}));
    assert!(plan.sorted);
    // A sort on another field sorts the index's candidates.
    let (_, plan) = run(&s, doc! {"n": {"$gte": 3}}, Some(doc! {"s": 1}));
    assert!(!plan.sorted);
    // Arrays sort by their smallest or largest element: no walk.
    let s = state(
        vec![doc! {"_id": 1, "n": [5, 1]}, doc! {"_id": 2, "n": 3}],
        vec![index(doc! {"n": 1})],
    );
    let (ids, plan) = run(&s, doc! {}, Some(doc! {"n": -1}));
    assert!(matches!(plan.access, Access::Scan));
    assert_eq!(ids, [Bson::Int32(1), Bson::Int32(2)]);
}

#[test]
fn hints_force_an_index_or_a_scan() {
    let s = state(
        people(),
        vec![index(doc! {"age": 1}), index(doc! {"city": 1})],
    );
    let filter = doc! {"age": 30, "city": "Rome"};
    let hint = s
        .indexes
        .resolve_hint(Some(&Bson::String("city_1".into())))
        .unwrap();
    let (planned, scanned, plan) = run_with(&s, filter.clone(), None, hint, None);
    assert_eq!(planned, scanned);
    assert_eq!(index_name(&s, &plan).as_deref(), Some("city_1"));
    let by_keys = s
        .indexes
        .resolve_hint(Some(&Bson::Document(doc! {"age": 1})))
        .unwrap();
    assert_eq!(by_keys, Hint::Index(0));
    let natural = s
        .indexes
        .resolve_hint(Some(&Bson::Document(doc! {"$natural": 1})))
        .unwrap();
    let (_, _, plan) = run_with(&s, filter, None, natural, None);
    assert!(matches!(plan.access, Access::Scan));
    let err = s
        .indexes
        .resolve_hint(Some(&Bson::String("nope".into())))
        .unwrap_err();
    assert_eq!((err.code, err.code_name.as_str()), (2, "BadValue"));
}

#[test]
fn sparse_and_partial_indexes_serve_only_what_they_hold() {
    let mut partial = index(doc! {"age": 1});
    partial.partial_filter = Some(doc! {"city": "Oslo"});
    let mut sparse = index(doc! {"city": 1});
    sparse.sparse = true;
    let s = state(people(), vec![partial, sparse]);
    // Not implied by the filter: the partial index is not used.
    let (ids, plan) = run(&s, doc! {"age": 30}, None);
    assert_eq!(ids, [Bson::Int32(1), Bson::Int32(2)]);
    assert!(matches!(plan.access, Access::Scan));
    let (ids, plan) = run(&s, doc! {"age": 30, "city": "Oslo"}, None);
    assert_eq!(ids, [Bson::Int32(1)]);
    assert!(matches!(plan.access, Access::Index { .. }));
    // A sparse index without bounds cannot stand for the collection.
    let (_, plan) = run(&s, doc! {}, Some(doc! {"city": 1}));
    assert!(!plan.sorted);
}

#[test]
fn collated_queries_keep_strings_off_binary_indexes() {
    let s = state(
        people(),
        vec![index(doc! {"city": 1}), index(doc! {"_id": 1, "city": 1})],
    );
    let c = Collation::from_option(Some(&doc! {"locale": "en", "strength": 2}))
        .unwrap()
        .unwrap();
    let (planned, scanned, plan) = run_with(&s, doc! {"city": "OSLO"}, None, Hint::Auto, Some(&c));
    assert_eq!(planned, scanned);
    assert_eq!(planned.len(), 4);
    assert!(matches!(plan.access, Access::Scan));
}

#[test]
fn decimals_widen_numeric_bounds() {
    let docs = vec![
        doc! {"_id": 1, "x": Bson::Decimal128("0.1".parse().unwrap())},
        doc! {"_id": 2, "x": 0.1},
        doc! {"_id": 3, "x": Bson::Decimal128("9007199254740993".parse().unwrap())},
        doc! {"_id": 4, "x": 9_007_199_254_740_993i64},
    ];
    let s = state(docs, vec![index(doc! {"x": 1})]);
    let (ids, _) = run(&s, doc! {"x": 0.1}, None);
    assert!(ids.contains(&Bson::Int32(2)));
    let (ids, _) = run(&s, doc! {"x": 9_007_199_254_740_993i64}, None);
    assert_eq!(ids, [Bson::Int32(3), Bson::Int32(4)]);
    let (ids, _) = run(&s, doc! {"x": {"$gt": 9_007_199_254_740_992i64}}, None);
    assert_eq!(ids, [Bson::Int32(3), Bson::Int32(4)]);
    let (_, plan) = run(&s, doc! {}, Some(doc! {"x": 1}));
    assert!(!plan.sorted, "an approximate index is no sort order");
}

#[test]
fn postings_follow_updates_deletes_and_compaction() {
    let docs: Vec<Document> = (0..300).map(|i| doc! {"_id": i, "g": i % 7}).collect();
    let mut s = state(docs, vec![index(doc! {"g": 1})]);
    let all = Selector::with_collation(&doc! {"g": {"$in": [1, 2, 3]}}, None, None).unwrap();
    assert_eq!(s.delete(&all, true).unwrap(), 129);
    let (ids, plan) = run(&s, doc! {"g": 4}, None);
    assert_eq!(ids.len(), 43);
    assert!(matches!(plan.access, Access::Index { .. }));
    let (ids, _) = run(&s, doc! {"g": 2}, None);
    assert!(ids.is_empty());
}

/// A small deterministic generator (no dependency needed for a test).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn value(r: &mut Lcg) -> Bson {
    match r.next(9) {
        0 => Bson::Int32(r.next(6) as i32),
        1 => Bson::Double(r.next(12) as f64 / 2.0),
        2 => Bson::Int64(r.next(6) as i64),
        3 => Bson::String(format!("s{}", r.next(4))),
        4 => Bson::Null,
        5 => Bson::Array(
            (0..r.next(3))
                .map(|_| Bson::Int32(r.next(6) as i32))
                .collect(),
        ),
        6 => Bson::Document(doc! {"k": r.next(3) as i32}),
        7 => Bson::DateTime(bson::DateTime::from_millis(r.next(4) as i64)),
        _ => Bson::Boolean(r.next(2) == 1),
    }
}

#[test]
fn random_filters_select_what_a_scan_selects() {
    let mut r = Lcg(7);
    let docs: Vec<Document> = (0..200)
        .map(|i| {
            let mut d = doc! {"_id": i};
            if r.next(5) > 0 {
                d.insert("a", value(&mut r));
            }
            if r.next(5) > 0 {
                d.insert("b", value(&mut r));
            }
            d
        })
        .collect();
    let s = state(
        docs,
        vec![index(doc! {"a": 1}), index(doc! {"b": -1, "a": 1})],
    );
    let ops = ["$eq", "$gt", "$gte", "$lt", "$lte", "$in"];
    for _ in 0..400 {
        let mut filter = Document::new();
        for field in ["a", "b"] {
            if r.next(3) == 0 {
                continue;
            }
            let op = ops[r.next(ops.len() as u64) as usize];
            let arg = if op == "$in" {
                Bson::Array((0..3).map(|_| value(&mut r)).collect())
            } else {
                value(&mut r)
            };
            filter.insert(field, doc! {op: arg});
        }
        let sort = match r.next(3) {
            0 => None,
            1 => Some(doc! {"a": 1}),
            _ => Some(doc! {"b": -1, "a": 1}),
        };
        run(&s, filter, sort);
    }
}

#[test]
fn updates_move_postings_only_when_keys_change() {
    let docs: Vec<Document> = (0..40)
        .map(|i| doc! {"_id": i, "g": i % 4, "v": 0})
        .collect();
    let mut s = state(docs, vec![index(doc! {"g": 1})]);
    let update = |s: &mut CollState, filter: Document, set: Document| {
        let plan = super::super::write::compile_update(
            &crate::backend::UpdateModification::Document(doc! {"$set": set}),
            None,
            None,
        )
        .unwrap();
        let selector = Selector::with_collation(&filter, None, None).unwrap();
        s.update(&ns(), &selector, &filter, &plan, true, false, None, false)
            .unwrap()
    };
    let r = update(&mut s, doc! {"g": 1}, doc! {"v": 1});
    assert_eq!(r.modified_count, 10);
    let r = update(&mut s, doc! {"g": 1}, doc! {"g": [7, 8]});
    assert_eq!(r.modified_count, 10);
    let (ids, plan) = run(&s, doc! {"g": 1}, None);
    assert!(ids.is_empty() && matches!(plan.access, Access::Index { .. }));
    let (ids, _) = run(&s, doc! {"g": 8}, None);
    assert_eq!(ids.len(), 10);
    assert!(s.indexes.list()[0].entries.multikey);
}

#[test]
fn a_top_level_update_refreshes_indexes_on_paths_below_it() {
    let docs: Vec<Document> = (0..20)
        .map(|i| doc! {"_id": i, "sub": {"k": i % 2}, "v": 0})
        .collect();
    let mut s = state(docs, vec![index(doc! {"sub.k": 1})]);
    let plan = super::super::write::compile_update(
        &crate::backend::UpdateModification::Document(doc! {"$set": {"sub": {"k": 5}}}),
        None,
        None,
    )
    .unwrap();
    let filter = doc! {"sub.k": 1};
    let selector = Selector::with_collation(&filter, None, None).unwrap();
    let r = s
        .update(&ns(), &selector, &filter, &plan, true, false, None, false)
        .unwrap();
    assert_eq!(r.modified_count, 10);
    let (ids, plan) = run(&s, doc! {"sub.k": 5}, None);
    assert_eq!(ids.len(), 10);
    assert!(matches!(plan.access, Access::Index { .. }));
    let (ids, _) = run(&s, doc! {"sub.k": 1}, None);
    assert!(ids.is_empty());
}

#[tokio::test]
async fn an_aggregate_leading_match_reads_through_the_index() {
    use crate::backend::{AggregateOptions, Backend, InsertOptions};
    use futures::TryStreamExt;

    let b = super::super::MemoryBackend::new();
    let docs = (0..50)
        .map(|i| RawDocumentBuf::try_from(&doc! {"_id": i, "g": i % 5, "t": [i % 3, 9]}).unwrap())
        .collect();
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let pipeline = vec![
        doc! {"$match": {"g": {"$in": [1, 4]}, "t": 2}},
        doc! {"$group": {"_id": "$g", "n": {"$sum": 1}}},
        doc! {"$sort": {"_id": 1}},
    ];
    let run = || async {
        let stream = b
            .aggregate(ns(), pipeline.clone(), AggregateOptions::default())
            .await
            .unwrap();
        stream.try_collect::<Vec<_>>().await.unwrap()
    };
    let before = run().await;
    b.create_indexes(ns(), vec![index(doc! {"t": 1}), index(doc! {"g": 1})])
        .await
        .unwrap();
    let after = run().await;
    assert_eq!(before, after);
    assert_eq!(before.len(), 2);
}

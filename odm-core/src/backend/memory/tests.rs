//! Engine-level tests through the `Backend` trait. Filters here are `{}` or
//! `{_id: v}`, which the engine resolves itself, so these tests exercise
//! storage and the write paths independently of the matcher.

use std::sync::Arc;

use bson::{doc, rawdoc, Bson, Document, RawDocumentBuf};
use futures::TryStreamExt;

use super::MemoryBackend;
use crate::backend::*;
use crate::error::Error;

fn ns() -> Namespace {
    Namespace::new("db", "coll")
}

async fn all(b: &MemoryBackend, ns: Namespace) -> Vec<Document> {
    let stream = b.find(ns, doc! {}, FindOptions::default()).await.unwrap();
    let raw: Vec<RawDocumentBuf> = stream.try_collect().await.unwrap();
    raw.iter().map(|d| Document::try_from(d).unwrap()).collect()
}

#[tokio::test]
async fn insert_assigns_object_id_first_and_keeps_order() {
    let b = MemoryBackend::new();
    let r = b
        .insert(
            ns(),
            vec![rawdoc! {"x": 1}, rawdoc! {"y": 2, "_id": 7}],
            InsertOptions::default(),
        )
        .await
        .unwrap();
    assert!(matches!(r.inserted_ids[&0], Bson::ObjectId(_)));
    assert_eq!(r.inserted_ids[&1], Bson::Int32(7));
    let docs = all(&b, ns()).await;
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].keys().next().unwrap(), "_id");
    assert_eq!(docs[1], doc! {"_id": 7, "y": 2});
}

#[tokio::test]
async fn duplicate_id_reports_mongodb_message_and_details() {
    let b = MemoryBackend::new();
    let err = b
        .insert(
            ns(),
            vec![rawdoc! {"_id": 1}, rawdoc! {"_id": 1.0}, rawdoc! {"_id": 2}],
            InsertOptions::default(),
        )
        .await
        .unwrap_err();
    let Error::BulkWrite { failure, .. } = err else {
        panic!("expected a bulk write error, got {err:?}");
    };
    assert_eq!(failure.write_errors.len(), 1);
    let e = &failure.write_errors[0];
    assert_eq!((e.index, e.code), (1, 11000));
    assert_eq!(
        e.message,
        "E11000 duplicate key error collection: db.coll index: _id_ dup key: { _id: 1.0 }"
    );
    assert_eq!(
        e.details.get_document("keyPattern").unwrap(),
        &doc! {"_id": 1}
    );
    assert_eq!(
        e.details.get_document("keyValue").unwrap(),
        &doc! {"_id": 1.0}
    );
    // Ordered: the third document was not attempted.
    assert_eq!(failure.partial.inserted_count, 1);
    assert_eq!(all(&b, ns()).await.len(), 1);
}

#[tokio::test]
async fn unordered_insert_continues_after_a_failure() {
    let b = MemoryBackend::new();
    let options = InsertOptions {
        ordered: false,
        ..InsertOptions::default()
    };
    let err = b
        .insert(
            ns(),
            vec![
                rawdoc! {"_id": 1},
                rawdoc! {"_id": 1i64},
                rawdoc! {"_id": 3},
                rawdoc! {"_id": 3},
            ],
            options,
        )
        .await
        .unwrap_err();
    let Error::BulkWrite { failure, .. } = err else {
        panic!("expected a bulk write error");
    };
    let indexes: Vec<usize> = failure.write_errors.iter().map(|e| e.index).collect();
    assert_eq!(indexes, [1, 3]);
    assert_eq!(
        failure
            .partial
            .inserted_ids
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        [0, 2]
    );
}

#[tokio::test]
async fn invalid_ids_and_limits_are_refused() {
    let b = MemoryBackend::new();
    for bad in [rawdoc! {"_id": [1]}, rawdoc! {"_id": {"$a": 1}}] {
        let err = b
            .insert(ns(), vec![bad], InsertOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::BulkWrite { .. }), "{err:?}");
    }
    // Top-level `$` names are allowed since MongoDB 5.0.
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 1, "$a": 1}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    let mut deep = doc! {"leaf": 1};
    for _ in 0..101 {
        deep = doc! {"n": deep};
    }
    let raw = RawDocumentBuf::try_from(&deep).unwrap();
    let err = b
        .insert(ns(), vec![raw], InsertOptions::default())
        .await
        .unwrap_err();
    let Error::BulkWrite { failure, .. } = err else {
        panic!("expected a bulk write error");
    };
    assert_eq!(failure.write_errors[0].code, 15);
    let big = rawdoc! {"s": "x".repeat(16 * 1024 * 1024)};
    let err = b
        .insert(ns(), vec![big], InsertOptions::default())
        .await
        .unwrap_err();
    let Error::BulkWrite { failure, .. } = err else {
        panic!("expected a bulk write error");
    };
    assert_eq!(failure.write_errors[0].code, 10334);
}

#[tokio::test]
async fn find_by_id_sees_numeric_equality_and_missing_collections_are_empty() {
    let b = MemoryBackend::new();
    assert!(all(&b, ns()).await.is_empty());
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 2i64, "v": "two"}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    let found: Vec<RawDocumentBuf> = b
        .find(ns(), doc! {"_id": 2.0}, FindOptions::default())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].get_str("v").unwrap(), "two");
}

#[tokio::test]
async fn skip_limit_and_count_window() {
    let b = MemoryBackend::new();
    let docs: Vec<_> = (0..10).map(|i| rawdoc! {"_id": i}).collect();
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let options = FindOptions {
        skip: 3,
        limit: 4,
        ..FindOptions::default()
    };
    let ids: Vec<i32> = b
        .find(ns(), doc! {}, options)
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .iter()
        .map(|d| d.get_i32("_id").unwrap())
        .collect();
    assert_eq!(ids, [3, 4, 5, 6]);
    let count = |skip, limit| {
        b.count(
            ns(),
            doc! {},
            CountOptions {
                skip,
                limit,
                ..CountOptions::default()
            },
        )
    };
    assert_eq!(count(0, 0).await.unwrap(), 10);
    assert_eq!(count(8, 5).await.unwrap(), 2);
    assert_eq!(count(2, 5).await.unwrap(), 5);
}

#[tokio::test]
async fn natural_order_after_deletes() {
    let b = MemoryBackend::new();
    let docs: Vec<_> = (0..300).map(|i| rawdoc! {"_id": i}).collect();
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    for i in (0..300).filter(|i| i % 2 == 1) {
        let r = b
            .delete(ns(), doc! {"_id": i}, DeleteOptions::default())
            .await
            .unwrap();
        assert_eq!(r.deleted_count, 1);
    }
    b.insert(ns(), vec![rawdoc! {"_id": 1}], InsertOptions::default())
        .await
        .unwrap();
    let ids: Vec<i32> = all(&b, ns())
        .await
        .iter()
        .map(|d| d.get_i32("_id").unwrap())
        .collect();
    let mut expected: Vec<i32> = (0..300).filter(|i| i % 2 == 0).collect();
    expected.push(1);
    assert_eq!(ids, expected);
    let r = b
        .delete(
            ns(),
            doc! {},
            DeleteOptions {
                multi: true,
                ..DeleteOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.deleted_count, 151);
}

#[tokio::test]
async fn concurrent_inserts_from_several_threads() {
    let b = Arc::new(MemoryBackend::new());
    let mut handles = Vec::new();
    for t in 0..4 {
        let b = Arc::clone(&b);
        handles.push(std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(async {
                for i in 0..250 {
                    b.insert(
                        ns(),
                        vec![rawdoc! {"_id": t * 1000 + i}],
                        InsertOptions::default(),
                    )
                    .await
                    .unwrap();
                }
            });
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(
        b.count(ns(), doc! {}, CountOptions::default())
            .await
            .unwrap(),
        1000
    );
}

#[tokio::test]
async fn replace_keeps_id_and_refuses_a_new_one() {
    let b = MemoryBackend::new();
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 1, "a": 1}, rawdoc! {"_id": 2}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    let r = b
        .replace(
            ns(),
            doc! {"_id": 1},
            rawdoc! {"b": 2},
            ReplaceOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!((r.matched_count, r.modified_count), (1, 1));
    assert_eq!(all(&b, ns()).await[0], doc! {"_id": 1, "b": 2});
    // Same content again: matched, not modified.
    let r = b
        .replace(
            ns(),
            doc! {"_id": 1},
            rawdoc! {"b": 2},
            ReplaceOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!((r.matched_count, r.modified_count), (1, 0));
    let err = b
        .replace(
            ns(),
            doc! {"_id": 1},
            rawdoc! {"_id": 5, "b": 3},
            ReplaceOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(66));
    let err = b
        .replace(
            ns(),
            doc! {"_id": 1},
            rawdoc! {"$set": {"b": 3}},
            ReplaceOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(2));
    // Upsert without a match inserts the replacement.
    let upsert = ReplaceOptions {
        upsert: true,
        ..ReplaceOptions::default()
    };
    let r = b
        .replace(ns(), doc! {"_id": 9}, rawdoc! {"_id": 9, "c": 1}, upsert)
        .await
        .unwrap();
    assert_eq!(r.upserted_id, Some(Bson::Int32(9)));
}

#[tokio::test]
async fn update_without_operators_is_refused() {
    let b = MemoryBackend::new();
    let err = b
        .update(
            ns(),
            doc! {},
            UpdateModification::Document(doc! {"a": 1}),
            UpdateOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(9));
}

#[tokio::test]
async fn find_and_modify_remove_returns_the_document() {
    let b = MemoryBackend::new();
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 1, "a": 1}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    let got = b
        .find_and_modify(
            ns(),
            doc! {"_id": 1},
            FindAndModifyAction::Remove,
            FindAndModifyOptions::default(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.get_i32("a").unwrap(), 1);
    assert!(all(&b, ns()).await.is_empty());
    let none = b
        .find_and_modify(
            ns(),
            doc! {"_id": 1},
            FindAndModifyAction::Remove,
            FindAndModifyOptions::default(),
        )
        .await
        .unwrap();
    assert!(none.is_none());
}

#[tokio::test]
async fn bulk_write_reports_errors_by_index() {
    let b = MemoryBackend::new();
    let models = vec![
        WriteModel::InsertOne {
            document: rawdoc! {"_id": 1},
        },
        WriteModel::InsertOne {
            document: rawdoc! {"_id": 1},
        },
        WriteModel::DeleteOne {
            filter: doc! {"_id": 1},
            options: DeleteOptions::default(),
        },
    ];
    let unordered = BulkWriteOptions {
        ordered: false,
        ..BulkWriteOptions::default()
    };
    let err = b
        .bulk_write(ns(), models.clone(), unordered)
        .await
        .unwrap_err();
    let Error::BulkWrite { failure, .. } = err else {
        panic!("expected a bulk write error");
    };
    assert_eq!(failure.write_errors[0].index, 1);
    assert_eq!(failure.partial.inserted_count, 1);
    assert_eq!(failure.partial.deleted_count, 1);
    let err = b
        .bulk_write(ns(), models, BulkWriteOptions::default())
        .await
        .unwrap_err();
    let Error::BulkWrite { failure, .. } = err else {
        panic!("expected a bulk write error");
    };
    // Ordered: stopped at index 1, so the delete did not run.
    assert_eq!(failure.partial.deleted_count, 0);
    assert_eq!(all(&b, ns()).await.len(), 1);
}

#[tokio::test]
async fn catalog_create_list_drop() {
    let b = MemoryBackend::new();
    b.create_collection(ns(), CreateCollectionOptions::default())
        .await
        .unwrap();
    let err = b
        .create_collection(ns(), CreateCollectionOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(48));
    let view = CreateCollectionOptions {
        view_on: Some("coll".into()),
        pipeline: Some(vec![]),
        ..CreateCollectionOptions::default()
    };
    b.create_collection(Namespace::new("db", "v"), view)
        .await
        .unwrap();
    let err = b
        .insert(
            Namespace::new("db", "v"),
            vec![rawdoc! {}],
            InsertOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(166));
    let names: Vec<(String, String)> = b
        .list_collections("db".into())
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("coll".into(), "collection".into()),
            ("v".into(), "view".into())
        ]
    );
    assert_eq!(b.list_databases().await.unwrap(), ["db"]);
    b.drop_collection(ns()).await.unwrap();
    b.drop_collection(ns()).await.unwrap();
    b.drop_database("db".into()).await.unwrap();
    assert!(b.list_databases().await.unwrap().is_empty());
}

#[tokio::test]
async fn unique_index_is_enforced_with_its_name() {
    let b = MemoryBackend::new();
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 1, "email": "a@x"}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    let mut model = IndexModel::new(doc! {"email": 1});
    model.unique = true;
    let names = b.create_indexes(ns(), vec![model.clone()]).await.unwrap();
    assert_eq!(names, ["email_1"]);
    // The same index again is a no-op; the same keys under another name are not.
    b.create_indexes(ns(), vec![model.clone()]).await.unwrap();
    let mut renamed = model.clone();
    renamed.name = Some("other".into());
    assert_eq!(
        b.create_indexes(ns(), vec![renamed])
            .await
            .unwrap_err()
            .code(),
        Some(85)
    );
    let listed: Vec<String> = b
        .list_indexes(ns())
        .await
        .unwrap()
        .iter()
        .map(IndexModel::effective_name)
        .collect();
    assert_eq!(listed, ["_id_", "email_1"]);
    let err = b
        .insert(
            ns(),
            vec![rawdoc! {"_id": 2, "email": "a@x"}],
            InsertOptions::default(),
        )
        .await
        .unwrap_err();
    let Error::BulkWrite { failure, .. } = err else {
        panic!("expected a bulk write error");
    };
    let e = &failure.write_errors[0];
    assert_eq!(
        e.message,
        "E11000 duplicate key error collection: db.coll index: email_1 dup key: { email: \"a@x\" }"
    );
    assert_eq!(
        e.details.get_document("keyValue").unwrap(),
        &doc! {"email": "a@x"}
    );
    // Replacing the owner of the key with itself is fine; another document is not.
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 2, "email": "b@x"}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    b.replace(
        ns(),
        doc! {"_id": 1},
        rawdoc! {"email": "a@x", "n": 1},
        ReplaceOptions::default(),
    )
    .await
    .unwrap();
    let err = b
        .replace(
            ns(),
            doc! {"_id": 2},
            rawdoc! {"email": "a@x"},
            ReplaceOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::DuplicateKey { ref index, .. } if index == "email_1"),
        "{err:?}"
    );
    b.drop_index(ns(), "email_1".into()).await.unwrap();
    assert_eq!(
        b.drop_index(ns(), "email_1".into())
            .await
            .unwrap_err()
            .code(),
        Some(27)
    );
}

#[tokio::test]
async fn command_log_records_operations() {
    let b = MemoryBackend::new();
    b.command_log().start();
    b.insert(ns(), vec![rawdoc! {}], InsertOptions::default())
        .await
        .unwrap();
    let _ = b
        .find(ns(), doc! {"_id": 1}, FindOptions::default())
        .await
        .unwrap();
    let events = b.command_log().take();
    let names: Vec<&str> = events.iter().map(|e| e.command.as_str()).collect();
    assert_eq!(names, ["insert", "find"]);
    assert_eq!(events[1].filter, Some(doc! {"_id": 1}));
}

#[tokio::test]
async fn find_sorts_skips_and_limits() {
    let b = MemoryBackend::new();
    let docs = vec![
        rawdoc! {"_id": 1, "city": "X", "age": 30},
        rawdoc! {"_id": 2, "city": "Y", "age": 25},
        rawdoc! {"_id": 3, "city": "Y", "age": 30},
        rawdoc! {"_id": 4, "city": "X", "age": 25},
        rawdoc! {"_id": 5},
    ];
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let find = |sort: Document, skip, limit| {
        let options = FindOptions {
            sort: Some(sort),
            skip,
            limit,
            ..FindOptions::default()
        };
        let b = &b;
        async move {
            b.find(ns(), doc! {}, options)
                .await
                .unwrap()
                .try_collect::<Vec<_>>()
                .await
                .unwrap()
                .iter()
                .map(|d| d.get_i32("_id").unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        find(doc! {"city": 1, "age": -1}, 0, 0).await,
        [5, 1, 4, 3, 2]
    );
    assert_eq!(find(doc! {"age": -1, "_id": 1}, 1, 2).await, [3, 2]);
}

#[tokio::test]
async fn views_run_their_pipeline_and_refuse_writes() {
    let b = MemoryBackend::new();
    let docs = (1..=4).map(|i| rawdoc! {"_id": i, "n": i * 10}).collect();
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let view = CreateCollectionOptions {
        view_on: Some("coll".into()),
        pipeline: Some(vec![
            doc! {"$match": {"n": {"$gte": 20}}},
            doc! {"$project": {"n": 1}},
        ]),
        ..CreateCollectionOptions::default()
    };
    let v = Namespace::new("db", "big");
    b.create_collection(v.clone(), view).await.unwrap();
    let options = FindOptions {
        sort: Some(doc! {"n": -1}),
        limit: 2,
        ..FindOptions::default()
    };
    let got: Vec<RawDocumentBuf> = b
        .find(v.clone(), doc! {"n": {"$lt": 40}}, options)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<i32> = got.iter().map(|d| d.get_i32("_id").unwrap()).collect();
    assert_eq!(ids, [3, 2]);
    assert_eq!(
        b.count(v.clone(), doc! {}, CountOptions::default())
            .await
            .unwrap(),
        3
    );
    let err = b
        .delete(v.clone(), doc! {}, DeleteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(166));
}

#[tokio::test]
async fn out_replaces_and_merge_combines() {
    let b = MemoryBackend::new();
    let docs = (1..=3).map(|i| rawdoc! {"_id": i, "n": i}).collect();
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let target = Namespace::new("db", "target");
    b.insert(
        target.clone(),
        vec![rawdoc! {"_id": 99}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    let pipeline = vec![doc! {"$match": {"n": {"$gte": 2}}}, doc! {"$out": "target"}];
    let out: Vec<RawDocumentBuf> = b
        .aggregate(ns(), pipeline, AggregateOptions::default())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(out.is_empty());
    assert_eq!(
        all(&b, target.clone()).await,
        [doc! {"_id": 2, "n": 2}, doc! {"_id": 3, "n": 3}]
    );
    // Collectionless `$documents` merged into the target: _id 3 merges, 7 inserts.
    let pipeline = vec![
        doc! {"$documents": [{"_id": 3, "m": 1}, {"_id": 7, "m": 2}]},
        doc! {"$merge": {"into": "target"}},
    ];
    let merged = b
        .aggregate(
            Namespace::new("db", "1"),
            pipeline,
            AggregateOptions::default(),
        )
        .await
        .unwrap();
    assert!(merged.try_collect::<Vec<_>>().await.unwrap().is_empty());
    assert_eq!(
        all(&b, target.clone()).await,
        [
            doc! {"_id": 2, "n": 2},
            doc! {"_id": 3, "n": 3, "m": 1},
            doc! {"_id": 7, "m": 2}
        ]
    );
    let pipeline = vec![
        doc! {"$documents": [{"_id": 2}]},
        doc! {"$merge": {"into": "target", "whenMatched": "fail"}},
    ];
    let Err(err) = b
        .aggregate(
            Namespace::new("db", "1"),
            pipeline,
            AggregateOptions::default(),
        )
        .await
    else {
        panic!("whenMatched: fail must refuse an existing _id");
    };
    assert_eq!(err.code(), Some(11000));
}

fn set(d: Document) -> UpdateModification {
    UpdateModification::Document(doc! {"$set": d})
}

#[tokio::test]
async fn updates_count_matched_and_modified_and_upsert() {
    let b = MemoryBackend::new();
    let docs = (1..=3)
        .map(|i| rawdoc! {"_id": i, "g": i % 2, "v": 0})
        .collect();
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let many = UpdateOptions {
        multi: true,
        ..UpdateOptions::default()
    };
    let r = b
        .update(ns(), doc! {"g": 1}, set(doc! {"v": 1}), many.clone())
        .await
        .unwrap();
    assert_eq!((r.matched_count, r.modified_count), (2, 2));
    // Setting the same value again matches without modifying.
    let r = b
        .update(ns(), doc! {"g": 1}, set(doc! {"v": 1}), many)
        .await
        .unwrap();
    assert_eq!((r.matched_count, r.modified_count), (2, 0));
    let err = b
        .update(
            ns(),
            doc! {"_id": 1},
            set(doc! {"_id": 5}),
            UpdateOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(66));
    let upsert = UpdateOptions {
        upsert: true,
        ..UpdateOptions::default()
    };
    let r = b
        .update(ns(), doc! {"_id": 10, "g": 7}, set(doc! {"v": 3}), upsert)
        .await
        .unwrap();
    assert_eq!(r.upserted_id, Some(Bson::Int32(10)));
    let stored = all(&b, ns()).await;
    assert_eq!(stored.last().unwrap(), &doc! {"_id": 10, "g": 7, "v": 3});
}

#[tokio::test]
async fn update_one_with_sort_picks_the_first_in_order() {
    let b = MemoryBackend::new();
    let docs = vec![
        rawdoc! {"_id": 1, "p": 5},
        rawdoc! {"_id": 2, "p": 9},
        rawdoc! {"_id": 3, "p": 7},
    ];
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let options = UpdateOptions {
        sort: Some(doc! {"p": -1}),
        ..UpdateOptions::default()
    };
    b.update(ns(), doc! {}, set(doc! {"top": true}), options)
        .await
        .unwrap();
    let stored = all(&b, ns()).await;
    let top: Vec<i32> = stored
        .iter()
        .filter(|d| d.get_bool("top").unwrap_or(false))
        .map(|d| d.get_i32("_id").unwrap())
        .collect();
    assert_eq!(top, [2]);
}

#[tokio::test]
async fn multi_update_failure_keeps_earlier_documents_updated() {
    let b = MemoryBackend::new();
    let docs = vec![
        rawdoc! {"_id": 1, "n": 1},
        rawdoc! {"_id": 2, "n": "x"},
        rawdoc! {"_id": 3, "n": 3},
    ];
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let many = UpdateOptions {
        multi: true,
        ..UpdateOptions::default()
    };
    let inc = UpdateModification::Document(doc! {"$inc": {"n": 1}});
    let err = b.update(ns(), doc! {}, inc, many).await.unwrap_err();
    assert_eq!(err.code(), Some(14));
    let ns_values: Vec<Bson> = all(&b, ns())
        .await
        .iter()
        .map(|d| d.get("n").unwrap().clone())
        .collect();
    assert_eq!(
        ns_values,
        [Bson::Int32(2), Bson::String("x".into()), Bson::Int32(3)]
    );
}

#[tokio::test]
async fn find_and_modify_update_returns_old_or_new_and_upserts() {
    let b = MemoryBackend::new();
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 1, "n": 1}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    let inc = || FindAndModifyAction::Update(UpdateModification::Document(doc! {"$inc": {"n": 1}}));
    let old = b
        .find_and_modify(
            ns(),
            doc! {"_id": 1},
            inc(),
            FindAndModifyOptions::default(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.get_i32("n").unwrap(), 1);
    let new_options = FindAndModifyOptions {
        return_new: true,
        projection: Some(doc! {"_id": 0}),
        ..FindAndModifyOptions::default()
    };
    let new = b
        .find_and_modify(ns(), doc! {"_id": 1}, inc(), new_options)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Document::try_from(&new).unwrap(), doc! {"n": 3});
    let upsert = FindAndModifyOptions {
        upsert: true,
        return_new: true,
        ..FindAndModifyOptions::default()
    };
    let created = b
        .find_and_modify(ns(), doc! {"_id": 2}, inc(), upsert)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        Document::try_from(&created).unwrap(),
        doc! {"_id": 2, "n": 1}
    );
}

#[tokio::test]
async fn validator_levels_and_bypass() {
    let b = MemoryBackend::new();
    let options = CreateCollectionOptions {
        validator: Some(doc! {"age": {"$gte": 0}}),
        ..CreateCollectionOptions::default()
    };
    b.create_collection(ns(), options).await.unwrap();
    let err = b
        .insert(
            ns(),
            vec![rawdoc! {"_id": 1, "age": -1}],
            InsertOptions::default(),
        )
        .await
        .unwrap_err();
    let Error::BulkWrite { failure, .. } = err else {
        panic!("expected a bulk write error");
    };
    let e = &failure.write_errors[0];
    assert_eq!(
        (e.code, e.message.as_str()),
        (121, "Document failed validation")
    );
    assert_eq!(
        e.details
            .get_document("errInfo")
            .unwrap()
            .get("failingDocumentId"),
        Some(&Bson::Int32(1))
    );
    let bypass = InsertOptions {
        bypass_document_validation: true,
        ..InsertOptions::default()
    };
    b.insert(ns(), vec![rawdoc! {"_id": 1, "age": -1}], bypass)
        .await
        .unwrap();
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 2, "age": 5}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    // Strict: an update of the invalid document must make it valid.
    let err = b
        .update(
            ns(),
            doc! {"_id": 1},
            set(doc! {"x": 1}),
            UpdateOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(121));
    // Moderate: updates of already-invalid documents are not checked.
    let moderate = CreateCollectionOptions {
        validation_level: Some("moderate".into()),
        ..CreateCollectionOptions::default()
    };
    b.modify_collection(ns(), moderate).await.unwrap();
    b.update(
        ns(),
        doc! {"_id": 1},
        set(doc! {"x": 1}),
        UpdateOptions::default(),
    )
    .await
    .unwrap();
    let err = b
        .update(
            ns(),
            doc! {"_id": 2},
            set(doc! {"age": -3}),
            UpdateOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(121));
}

#[tokio::test]
async fn distinct_flattens_arrays_and_dedups_numbers() {
    let b = MemoryBackend::new();
    let docs = vec![
        rawdoc! {"_id": 1, "t": [2, "a", 1]},
        rawdoc! {"_id": 2, "t": 2.0},
        rawdoc! {"_id": 3, "t": 1i64},
        rawdoc! {"_id": 4},
    ];
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let values = b
        .distinct(ns(), "t".into(), doc! {}, DistinctOptions::default())
        .await
        .unwrap();
    assert_eq!(
        values,
        [Bson::Int32(1), Bson::Int32(2), Bson::String("a".into())]
    );
}

#[tokio::test]
async fn writes_that_cannot_insert_do_not_create_collections() {
    let b = MemoryBackend::new();
    let r = b
        .update(
            ns(),
            doc! {"a": 1},
            set(doc! {"b": 1}),
            UpdateOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(r.matched_count, 0);
    b.find_and_modify(
        ns(),
        doc! {},
        FindAndModifyAction::Remove,
        FindAndModifyOptions::default(),
    )
    .await
    .unwrap();
    assert!(b.list_collections("db".into()).await.unwrap().is_empty());
    let upsert = UpdateOptions {
        upsert: true,
        ..UpdateOptions::default()
    };
    b.update(ns(), doc! {"a": 1}, set(doc! {"b": 1}), upsert)
        .await
        .unwrap();
    assert_eq!(b.list_collections("db".into()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn unique_keys_follow_updates_deletes_and_options() {
    let b = MemoryBackend::new();
    let mut email = IndexModel::new(doc! {"email": 1});
    email.unique = true;
    let mut pair = IndexModel::new(doc! {"a": 1, "b": 1});
    pair.unique = true;
    pair.sparse = true;
    let mut partial = IndexModel::new(doc! {"code": 1});
    partial.unique = true;
    partial.partial_filter = Some(doc! {"active": true});
    b.create_indexes(ns(), vec![email, pair, partial])
        .await
        .unwrap();
    let insert = |d: RawDocumentBuf| b.insert(ns(), vec![d], InsertOptions::default());
    insert(rawdoc! {"_id": 1, "email": "x", "a": 1, "b": 1})
        .await
        .unwrap();
    // Compound: only the pair must be unique.
    insert(rawdoc! {"_id": 2, "email": "y", "a": 1, "b": 2})
        .await
        .unwrap();
    assert!(insert(rawdoc! {"_id": 3, "email": "z", "a": 1, "b": 1})
        .await
        .is_err());
    // A missing email indexes as null once; sparse leaves the pair out.
    insert(rawdoc! {"_id": 4}).await.unwrap();
    assert!(insert(rawdoc! {"_id": 5}).await.is_err());
    // Partial: inactive documents are not indexed.
    insert(rawdoc! {"_id": 6, "email": "p", "code": 7, "active": false})
        .await
        .unwrap();
    insert(rawdoc! {"_id": 7, "email": "q", "code": 7, "active": true})
        .await
        .unwrap();
    assert!(
        insert(rawdoc! {"_id": 8, "email": "r", "code": 7, "active": true})
            .await
            .is_err()
    );
    // Multikey: each array element is a key.
    assert!(insert(rawdoc! {"_id": 9, "email": ["w", "y"]})
        .await
        .is_err());
    // An update frees the old key and takes the new one.
    b.update(
        ns(),
        doc! {"_id": 1},
        set(doc! {"email": "x2"}),
        UpdateOptions::default(),
    )
    .await
    .unwrap();
    insert(rawdoc! {"_id": 10, "email": "x"}).await.unwrap();
    let err = b
        .update(
            ns(),
            doc! {"_id": 2},
            set(doc! {"email": "x2"}),
            UpdateOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::DuplicateKey { ref index, .. } if index == "email_1"),
        "{err:?}"
    );
    // A delete frees its keys.
    b.delete(ns(), doc! {"_id": 10}, DeleteOptions::default())
        .await
        .unwrap();
    insert(rawdoc! {"_id": 11, "email": "x"}).await.unwrap();
    // Building a unique index over existing duplicates fails.
    let mut dup = IndexModel::new(doc! {"active": 1});
    dup.unique = true;
    assert_eq!(
        b.create_indexes(ns(), vec![dup]).await.unwrap_err().code(),
        Some(11000)
    );
}

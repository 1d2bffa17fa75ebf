//! Storage: ids, natural order, limits, reads, concurrency and the command log.

use std::sync::Arc;

use bson::{doc, rawdoc, Bson, Document, RawDocumentBuf};
use futures::TryStreamExt;

use super::{all, ns};
use crate::backend::memory::MemoryBackend;
use crate::backend::*;
use crate::error::Error;

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
async fn id_in_lookup_returns_natural_order_once_each() {
    let b = MemoryBackend::new();
    let docs = (1..=5).map(|i| rawdoc! {"_id": i}).collect();
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let ids = |filter: Document| {
        let b = &b;
        async move {
            b.find(ns(), filter, FindOptions::default())
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
    assert_eq!(ids(doc! {"_id": {"$in": [4, 2.0, 9, 4i64]}}).await, [2, 4]);
    assert_eq!(ids(doc! {"_id": {"$in": []}}).await, Vec::<i32>::new());
    // Not a plain `$in`: the matcher decides.
    assert_eq!(
        ids(doc! {"_id": {"$in": [1], "$ne": 1}}).await,
        Vec::<i32>::new()
    );
}

//! Updates, replaces, deletes, findAndModify and bulk writes.

use bson::{doc, rawdoc, Bson, Document};

use super::{all, ns, set};
use crate::backend::memory::MemoryBackend;
use crate::backend::*;
use crate::error::Error;

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

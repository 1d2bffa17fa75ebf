//! Transactions of the engine through the `Backend` trait: snapshots,
//! private writes, row locks, and all-or-nothing commits (the fast path that
//! installs the private copy, and the merge when others wrote meanwhile).

use bson::{doc, rawdoc, Document, RawDocumentBuf};
use futures::TryStreamExt;

use super::{all, ns, set};
use crate::backend::memory::MemoryBackend;
use crate::backend::*;
use crate::error::{Error, TRANSIENT_TRANSACTION_ERROR};

fn other() -> Namespace {
    Namespace::new("db", "other")
}

async fn seeded() -> MemoryBackend {
    let b = MemoryBackend::new();
    let docs = vec![
        rawdoc! {"_id": 1, "v": 10, "email": "a@x"},
        rawdoc! {"_id": 2, "v": 20, "email": "b@x"},
    ];
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    b
}

async fn in_txn(b: &MemoryBackend, ns: Namespace, txn: &TxnHandle) -> Vec<Document> {
    let options = FindOptions {
        txn: Some(txn.clone()),
        ..FindOptions::default()
    };
    let raw: Vec<RawDocumentBuf> = b
        .find(ns, doc! {}, options)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    raw.iter().map(|d| Document::try_from(d).unwrap()).collect()
}

async fn update_in(
    b: &MemoryBackend,
    ns: Namespace,
    txn: Option<&TxnHandle>,
    id: i32,
    change: Document,
) -> crate::Result<UpdateResult> {
    let options = UpdateOptions {
        txn: txn.cloned(),
        ..UpdateOptions::default()
    };
    b.update(ns, doc! {"_id": id}, set(change), options).await
}

async fn insert_in(
    b: &MemoryBackend,
    ns: Namespace,
    txn: Option<&TxnHandle>,
    doc: RawDocumentBuf,
) -> crate::Result<InsertResult> {
    let options = InsertOptions {
        txn: txn.cloned(),
        ..InsertOptions::default()
    };
    b.insert(ns, vec![doc], options).await
}

fn values(docs: &[Document]) -> Vec<(i32, i32)> {
    docs.iter()
        .map(|d| (d.get_i32("_id").unwrap(), d.get_i32("v").unwrap()))
        .collect()
}

fn assert_conflict(e: &Error) {
    match e {
        Error::Command(c) => {
            assert_eq!((c.code, c.code_name.as_str()), (112, "WriteConflict"));
            assert!(c.has_label(TRANSIENT_TRANSACTION_ERROR));
        }
        other => panic!("expected a WriteConflict, got {other:?}"),
    }
}

#[tokio::test]
async fn reads_see_the_snapshot_plus_own_writes() {
    let b = seeded().await;
    let t = b.start_transaction().await.unwrap();
    assert_eq!(values(&in_txn(&b, ns(), &t).await), [(1, 10), (2, 20)]);
    // Written outside after the snapshot: invisible inside.
    insert_in(&b, ns(), None, rawdoc! {"_id": 3, "v": 30})
        .await
        .unwrap();
    update_in(&b, ns(), Some(&t), 2, doc! {"v": 21})
        .await
        .unwrap();
    assert_eq!(values(&in_txn(&b, ns(), &t).await), [(1, 10), (2, 21)]);
    // Own writes invisible outside.
    assert_eq!(values(&all(&b, ns()).await), [(1, 10), (2, 20), (3, 30)]);
    b.commit_transaction(t).await.unwrap();
    // The merge keeps the outside insert and installs the transaction's update.
    assert_eq!(values(&all(&b, ns()).await), [(1, 10), (2, 21), (3, 30)]);
}

#[tokio::test]
async fn commit_without_concurrent_writes_installs_every_collection() {
    let b = seeded().await;
    let t = b.start_transaction().await.unwrap();
    update_in(&b, ns(), Some(&t), 1, doc! {"v": 11})
        .await
        .unwrap();
    insert_in(&b, other(), Some(&t), rawdoc! {"_id": 1, "v": 1})
        .await
        .unwrap();
    let deleted = b
        .delete(
            ns(),
            doc! {"_id": 2},
            DeleteOptions {
                txn: Some(t.clone()),
                ..DeleteOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(deleted.deleted_count, 1);
    // A collection created in the transaction does not exist outside yet.
    assert!(all(&b, other()).await.is_empty());
    assert_eq!(
        b.count(ns(), doc! {}, CountOptions::default())
            .await
            .unwrap(),
        2
    );
    b.commit_transaction(t.clone()).await.unwrap();
    assert_eq!(values(&all(&b, ns()).await), [(1, 11)]);
    assert_eq!(values(&all(&b, other()).await), [(1, 1)]);
    // Committing again is fine; operating in it is not.
    b.commit_transaction(t.clone()).await.unwrap();
    let e = update_in(&b, ns(), Some(&t), 1, doc! {"v": 0})
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(256));
    assert_eq!(b.abort_transaction(t).await.unwrap_err().code(), Some(256));
    assert_eq!(b.catalog.txns().locked(), 0);
}

#[tokio::test]
async fn a_second_writer_of_a_document_conflicts_at_once() {
    let b = seeded().await;
    let t1 = b.start_transaction().await.unwrap();
    let t2 = b.start_transaction().await.unwrap();
    update_in(&b, ns(), Some(&t1), 1, doc! {"v": 1})
        .await
        .unwrap();
    // Another document is free.
    update_in(&b, ns(), Some(&t2), 2, doc! {"v": 2})
        .await
        .unwrap();
    let e = update_in(&b, ns(), Some(&t2), 1, doc! {"v": 2})
        .await
        .unwrap_err();
    assert_conflict(&e);
    // The conflict aborted t2: its other write is gone with it.
    let e = b.commit_transaction(t2.clone()).await.unwrap_err();
    assert_eq!(e.code(), Some(251));
    assert!(e.has_error_label(TRANSIENT_TRANSACTION_ERROR));
    b.abort_transaction(t2).await.unwrap();
    b.commit_transaction(t1).await.unwrap();
    assert_eq!(values(&all(&b, ns()).await), [(1, 1), (2, 20)]);
    assert_eq!(b.catalog.txns().locked(), 0);
}

#[tokio::test]
async fn abort_and_drop_release_the_row_locks() {
    let b = seeded().await;
    let t1 = b.start_transaction().await.unwrap();
    update_in(&b, ns(), Some(&t1), 1, doc! {"v": 1})
        .await
        .unwrap();
    assert_eq!(b.catalog.txns().locked(), 1);
    b.abort_transaction(t1).await.unwrap();
    assert_eq!(b.catalog.txns().locked(), 0);
    let t2 = b.start_transaction().await.unwrap();
    update_in(&b, ns(), Some(&t2), 1, doc! {"v": 2})
        .await
        .unwrap();
    drop(t2);
    assert_eq!(b.catalog.txns().locked(), 0);
    assert_eq!(values(&all(&b, ns()).await), [(1, 10), (2, 20)]);
}

#[tokio::test]
async fn a_plain_write_after_the_snapshot_conflicts() {
    let b = seeded().await;
    // Changed before the transaction writes it: refused at write time.
    let t = b.start_transaction().await.unwrap();
    in_txn(&b, ns(), &t).await;
    update_in(&b, ns(), None, 1, doc! {"v": 5}).await.unwrap();
    let e = update_in(&b, ns(), Some(&t), 1, doc! {"v": 6})
        .await
        .unwrap_err();
    assert_conflict(&e);

    // Changed after the transaction wrote it: refused at commit, and the
    // transaction's writes to other collections are not applied either.
    let t = b.start_transaction().await.unwrap();
    insert_in(&b, other(), Some(&t), rawdoc! {"_id": 9, "v": 9})
        .await
        .unwrap();
    update_in(&b, ns(), Some(&t), 2, doc! {"v": 22})
        .await
        .unwrap();
    update_in(&b, ns(), None, 2, doc! {"v": 23}).await.unwrap();
    assert_conflict(&b.commit_transaction(t).await.unwrap_err());
    assert_eq!(values(&all(&b, ns()).await), [(1, 5), (2, 23)]);
    assert!(all(&b, other()).await.is_empty());
}

#[tokio::test]
async fn unique_keys_are_checked_against_the_committed_state_at_commit() {
    let b = seeded().await;
    let mut unique = IndexModel::new(doc! {"email": 1});
    unique.unique = true;
    b.create_indexes(ns(), vec![unique]).await.unwrap();

    // Inside, the transaction's own view refuses a duplicate at once.
    let t = b.start_transaction().await.unwrap();
    let e = insert_in(
        &b,
        ns(),
        Some(&t),
        rawdoc! {"_id": 3, "v": 0, "email": "a@x"},
    )
    .await
    .unwrap_err();
    match e {
        Error::BulkWrite { failure, .. } => assert_eq!(failure.write_errors[0].code, 11000),
        other => panic!("{other:?}"),
    }
    b.abort_transaction(t).await.unwrap();

    // A key taken outside after the snapshot: the commit conflicts.
    let t = b.start_transaction().await.unwrap();
    insert_in(
        &b,
        ns(),
        Some(&t),
        rawdoc! {"_id": 3, "v": 3, "email": "c@x"},
    )
    .await
    .unwrap();
    insert_in(&b, ns(), None, rawdoc! {"_id": 4, "v": 4, "email": "c@x"})
        .await
        .unwrap();
    assert_conflict(&b.commit_transaction(t).await.unwrap_err());
    assert_eq!(values(&all(&b, ns()).await), [(1, 10), (2, 20), (4, 4)]);
}

#[tokio::test]
async fn documents_may_swap_unique_keys_in_a_merged_commit() {
    let b = seeded().await;
    let mut unique = IndexModel::new(doc! {"email": 1});
    unique.unique = true;
    b.create_indexes(ns(), vec![unique]).await.unwrap();
    let t = b.start_transaction().await.unwrap();
    update_in(&b, ns(), Some(&t), 1, doc! {"email": "tmp"})
        .await
        .unwrap();
    update_in(&b, ns(), Some(&t), 2, doc! {"email": "a@x"})
        .await
        .unwrap();
    update_in(&b, ns(), Some(&t), 1, doc! {"email": "b@x"})
        .await
        .unwrap();
    // An unrelated outside write forces the merge path.
    insert_in(&b, ns(), None, rawdoc! {"_id": 5, "v": 5, "email": "e@x"})
        .await
        .unwrap();
    b.commit_transaction(t).await.unwrap();
    let emails: Vec<(i32, String)> = all(&b, ns())
        .await
        .iter()
        .map(|d| {
            (
                d.get_i32("_id").unwrap(),
                d.get_str("email").unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        emails,
        [(1, "b@x".into()), (2, "a@x".into()), (5, "e@x".into())]
    );
    // The index followed the merge: the old owner of a@x is gone.
    let e = insert_in(&b, ns(), None, rawdoc! {"_id": 6, "email": "a@x"})
        .await
        .unwrap_err();
    assert!(matches!(e, Error::BulkWrite { .. }), "{e:?}");
    insert_in(&b, ns(), None, rawdoc! {"_id": 7, "email": "tmp"})
        .await
        .unwrap();
}

#[tokio::test]
async fn out_stages_and_foreign_handles_are_refused() {
    let b = seeded().await;
    let t = b.start_transaction().await.unwrap();
    let options = AggregateOptions {
        txn: Some(t.clone()),
        ..AggregateOptions::default()
    };
    let e = b
        .aggregate(ns(), vec![doc! {"$out": "copy"}], options)
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), Some(263));
    let foreign = TxnHandle::new(42_u32);
    let e = update_in(&b, ns(), Some(&foreign), 1, doc! {"v": 0})
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    b.abort_transaction(t).await.unwrap();
}

#[tokio::test]
async fn views_and_lookups_read_the_transaction_state() {
    let b = seeded().await;
    let view = Namespace::new("db", "big");
    b.create_collection(
        view.clone(),
        CreateCollectionOptions {
            view_on: Some("coll".into()),
            pipeline: Some(vec![doc! {"$match": {"v": {"$gte": 15}}}]),
            ..CreateCollectionOptions::default()
        },
    )
    .await
    .unwrap();
    let t = b.start_transaction().await.unwrap();
    update_in(&b, ns(), Some(&t), 1, doc! {"v": 15})
        .await
        .unwrap();
    insert_in(&b, other(), Some(&t), rawdoc! {"_id": 7, "of": 2})
        .await
        .unwrap();
    assert_eq!(
        values(&in_txn(&b, view.clone(), &t).await),
        [(1, 15), (2, 20)]
    );
    assert_eq!(values(&all(&b, view.clone()).await), [(2, 20)]);
    let pipeline = vec![
        doc! {"$lookup": {"from": "other", "localField": "_id", "foreignField": "of", "as": "o"}},
        doc! {"$project": {"n": {"$size": "$o"}}},
    ];
    let run = |txn: Option<TxnHandle>| {
        let options = AggregateOptions {
            txn,
            ..AggregateOptions::default()
        };
        b.aggregate(ns(), pipeline.clone(), options)
    };
    let inside: Vec<RawDocumentBuf> = run(Some(t.clone()))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let sizes: Vec<i32> = inside.iter().map(|d| d.get_i32("n").unwrap()).collect();
    assert_eq!(sizes, [0, 1]);
    let outside: Vec<RawDocumentBuf> = run(None).await.unwrap().try_collect().await.unwrap();
    let sizes: Vec<i32> = outside.iter().map(|d| d.get_i32("n").unwrap()).collect();
    assert_eq!(sizes, [0, 0]);
    b.abort_transaction(t).await.unwrap();
}

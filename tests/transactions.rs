//! Multi-document transactions through `Database::transaction`, on every
//! backend of `tests/common`: the in-memory engine, the driver over the
//! wire server, and a real MongoDB (a replica set) when `MONGODB_URI` is set.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use odm::backend::IndexModel;
use odm::bson::doc;
use odm::{Database, Document, Error, Filter};

#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "wallets")]
struct Wallet {
    id: String,
    owner: String,
    cents: i64,
}

#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "ledger")]
struct Entry {
    id: i64,
    memo: String,
}

fn wallet(id: &str, cents: i64) -> Wallet {
    Wallet {
        id: id.into(),
        owner: format!("owner-{id}"),
        cents,
    }
}

async fn dbs() -> Vec<(common::TestBackend, Database)> {
    common::backends()
        .await
        .into_iter()
        .map(|b| {
            let db = Database::with_backend(b.backend.clone(), b.db.clone());
            (b, db)
        })
        .collect()
}

async fn cents(db: &Database, id: &str) -> Option<i64> {
    try_cents(db, id).await.unwrap()
}

/// Inside a transaction a read may fail (the transaction was aborted by a
/// conflict): the body must return the error, not panic.
async fn try_cents(db: &Database, id: &str) -> odm::Result<Option<i64>> {
    let f = Wallet::fields();
    Ok(db
        .collection::<Wallet>()
        .find_one(f.id.eq(id.to_string()))
        .await?
        .map(|w| w.cents))
}

/// Collections must exist before a transaction on MongoDB before 4.4; create
/// them up front so the scenarios run on any replica set.
async fn seed(db: &Database, wallets: &[Wallet]) {
    let coll = db.collection::<Wallet>();
    let mut ws = wallets.to_vec();
    coll.insert_many(&mut ws).await.unwrap();
    let mut e = Entry {
        id: -1,
        memo: "seed".into(),
    };
    db.collection::<Entry>().insert_one(&mut e).await.unwrap();
}

#[tokio::test]
async fn commit_makes_every_write_visible_at_once() {
    let mut ran = Vec::new();
    for (b, db) in dbs().await {
        ran.push(b.name);
        seed(&db, &[wallet("a", 100), wallet("b", 0)]).await;
        let outside = db.clone();
        let (tx_seen, outside_seen) = db
            .transaction(move |tx| {
                let outside = outside.clone();
                Box::pin(async move {
                    assert!(tx.in_transaction());
                    let f = Wallet::fields();
                    let w = tx.collection::<Wallet>();
                    w.update_one(f.id.eq("a".to_string()), f.cents.inc(-30))
                        .await?;
                    w.update_one(f.id.eq("b".to_string()), f.cents.inc(30))
                        .await?;
                    let mut e = Entry {
                        id: 1,
                        memo: "a->b 30".into(),
                    };
                    tx.collection::<Entry>().insert_one(&mut e).await?;
                    // Own writes are visible inside, nothing outside yet.
                    let tx_seen = (try_cents(&tx, "a").await?, try_cents(&tx, "b").await?);
                    let outside_seen = (
                        try_cents(&outside, "a").await?,
                        try_cents(&outside, "b").await?,
                        outside.collection::<Entry>().count(Filter::all()).await?,
                    );
                    Ok((tx_seen, outside_seen))
                })
            })
            .await
            .unwrap();
        assert_eq!(tx_seen, (Some(70), Some(30)), "{}", b.name);
        assert_eq!(outside_seen, (Some(100), Some(0), 1), "{}", b.name);
        assert!(!db.in_transaction());
        assert_eq!(
            (cents(&db, "a").await, cents(&db, "b").await),
            (Some(70), Some(30))
        );
        assert_eq!(
            db.collection::<Entry>().count(Filter::all()).await.unwrap(),
            2
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn an_error_in_the_body_leaves_nothing() {
    for (b, db) in dbs().await {
        seed(&db, &[wallet("a", 100)]).await;
        let runs = Arc::new(AtomicU32::new(0));
        let counter = runs.clone();
        let err = db
            .transaction(move |tx| {
                counter.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move {
                    let f = Wallet::fields();
                    tx.collection::<Wallet>()
                        .update_one(f.id.eq("a".to_string()), f.cents.set(0))
                        .await?;
                    tx.collection::<Wallet>()
                        .insert_one(&mut wallet("c", 5))
                        .await?;
                    Err::<(), _>(Error::NotFound {
                        collection: "wallets".into(),
                        what: "the reason to give up".into(),
                    })
                })
            })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{}: {err:?}", b.name);
        // Not a transient error: no retry.
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(cents(&db, "a").await, Some(100), "{}", b.name);
        assert_eq!(cents(&db, "c").await, None, "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_unique_index_violation_aborts_the_whole_transaction() {
    for (b, db) in dbs().await {
        seed(&db, &[wallet("a", 1)]).await;
        let mut unique = IndexModel::new(doc! {"owner": 1});
        unique.unique = true;
        b.backend
            .create_indexes(b.ns("wallets"), vec![unique])
            .await
            .unwrap();
        let err = db
            .transaction(|tx| {
                Box::pin(async move {
                    let w = tx.collection::<Wallet>();
                    w.insert_one(&mut wallet("b", 2)).await?;
                    let mut clash = wallet("c", 3);
                    clash.owner = "owner-a".into();
                    w.insert_one(&mut clash).await?;
                    Ok(())
                })
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(11000), "{}: {err:?}", b.name);
        assert_eq!(cents(&db, "b").await, None, "{}: b was kept", b.name);
        assert_eq!(
            db.collection::<Wallet>()
                .count(Filter::all())
                .await
                .unwrap(),
            1
        );
        b.finish().await;
    }
}

/// Two tasks each add 1 to the same document 50 times, every increment in
/// a transaction of its own that reads then writes: the conflicts are
/// retried, and no increment is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_transactions_on_one_document_add_up() {
    const TASKS: usize = 2;
    const EACH: i64 = 50;
    for (b, db) in dbs().await {
        seed(&db, &[wallet("hot", 0)]).await;
        let conflicts = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..TASKS {
            let db = db.clone();
            let conflicts = conflicts.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..EACH {
                    let conflicts = conflicts.clone();
                    db.transaction(move |tx| {
                        let conflicts = conflicts.clone();
                        Box::pin(async move {
                            let f = Wallet::fields();
                            let w = tx.collection::<Wallet>();
                            let now = try_cents(&tx, "hot").await?.unwrap_or(-1_000_000);
                            tokio::task::yield_now().await;
                            let r = w
                                .update_one(f.id.eq("hot".to_string()), f.cents.set(now + 1))
                                .await;
                            if let Err(e) = &r {
                                if e.code() == Some(112) {
                                    conflicts.fetch_add(1, Ordering::SeqCst);
                                }
                            }
                            r?;
                            Ok(())
                        })
                    })
                    .max_time(Duration::from_secs(60))
                    .await
                    .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            cents(&db, "hot").await,
            Some(TASKS as i64 * EACH),
            "{}: lost an increment",
            b.name
        );
        b.finish().await;
    }
}

/// A plain write lands between a transaction's read and its write of the
/// same document: the transaction fails with WriteConflict and is retried
/// on fresh data, so the plain write is not lost.
#[tokio::test]
async fn a_plain_write_racing_a_transaction_is_not_lost() {
    for (b, db) in dbs().await {
        seed(&db, &[wallet("a", 10)]).await;
        let outside = db.clone();
        let attempts = Arc::new(AtomicU32::new(0));
        let counter = attempts.clone();
        db.transaction(move |tx| {
            let outside = outside.clone();
            let attempt = counter.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                let f = Wallet::fields();
                let seen = try_cents(&tx, "a").await?.unwrap_or(0);
                if attempt == 0 {
                    outside
                        .collection::<Wallet>()
                        .update_one(f.id.eq("a".to_string()), f.cents.inc(5))
                        .await?;
                }
                tx.collection::<Wallet>()
                    .update_one(f.id.eq("a".to_string()), f.cents.set(seen * 2))
                    .await?;
                Ok(())
            })
        })
        .await
        .unwrap();
        assert_eq!(attempts.load(Ordering::SeqCst), 2, "{}", b.name);
        assert_eq!(cents(&db, "a").await, Some(30), "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_write_conflict_is_matchable_and_retried_within_max_time() {
    for (b, db) in dbs().await {
        seed(&db, &[wallet("a", 0)]).await;
        let outside = db.clone();
        // Every attempt conflicts: the limit ends the retries.
        let err = db
            .transaction(move |tx| {
                let outside = outside.clone();
                Box::pin(async move {
                    let f = Wallet::fields();
                    try_cents(&tx, "a").await?;
                    outside
                        .collection::<Wallet>()
                        .update_one(f.id.eq("a".to_string()), f.cents.inc(1))
                        .await?;
                    tx.collection::<Wallet>()
                        .update_one(f.id.eq("a".to_string()), f.cents.set(-1))
                        .await?;
                    Ok(())
                })
            })
            .max_time(Duration::from_millis(200))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(112), "{}: {err:?}", b.name);
        assert!(err.has_error_label(odm::error::TRANSIENT_TRANSACTION_ERROR));
        match &err {
            Error::Command(c) => assert_eq!(c.code_name, "WriteConflict"),
            other => panic!("{}: {other:?}", b.name),
        }
        assert!(cents(&db, "a").await.unwrap() >= 1, "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn nested_transactions_join_the_outer_one() {
    for (b, db) in dbs().await {
        seed(&db, &[wallet("a", 1)]).await;
        let err = db
            .transaction(|tx| {
                Box::pin(async move {
                    // A plain `async` block works as well as a boxed one.
                    tx.transaction(|inner| async move {
                        assert!(inner.in_transaction());
                        inner
                            .collection::<Wallet>()
                            .insert_one(&mut wallet("n", 1))
                            .await?;
                        Ok(())
                    })
                    .await?;
                    // The inner call did not commit on its own.
                    Err::<(), _>(Error::NotFound {
                        collection: "x".into(),
                        what: "y".into(),
                    })
                })
            })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }));
        assert_eq!(cents(&db, "n").await, None, "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_database_kept_past_its_transaction_refuses_to_run_outside_it() {
    for (b, db) in dbs().await {
        seed(&db, &[wallet("a", 1)]).await;
        let kept = db
            .transaction(|tx| Box::pin(async move { Ok(tx) }))
            .await
            .unwrap();
        assert!(kept.in_transaction());
        let f = Wallet::fields();
        let late = kept
            .collection::<Wallet>()
            .update_one(f.id.eq("a".to_string()), f.cents.set(99))
            .await;
        assert!(late.is_err(), "{}: {late:?}", b.name);
        assert_eq!(cents(&db, "a").await, Some(1), "{}", b.name);
        b.finish().await;
    }
}

/// Tasks move money between wallets, each transfer a transaction that reads
/// both balances and writes both; a reader sums all wallets meanwhile.
/// Money is never created or lost, and no reader ever sees half a transfer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_transfers_keep_the_total_for_every_reader() {
    const WALLETS: usize = 4;
    const TASKS: usize = 3;
    const TRANSFERS: usize = 15;
    for (b, db) in dbs().await {
        let seeded: Vec<Wallet> = (0..WALLETS).map(|i| wallet(&i.to_string(), 100)).collect();
        seed(&db, &seeded).await;
        let total = 100 * WALLETS as i64;
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (db, done) = (db.clone(), done.clone());
            tokio::spawn(async move {
                let mut reads = 0;
                while !done.load(Ordering::SeqCst) || reads == 0 {
                    let all = db
                        .collection::<Wallet>()
                        .find(Filter::all())
                        .all()
                        .await
                        .unwrap();
                    let sum: i64 = all.iter().map(|w| w.cents).sum();
                    assert_eq!(sum, total, "a reader saw half a transfer: {all:?}");
                    reads += 1;
                    tokio::task::yield_now().await;
                }
                reads
            })
        };
        let mut tasks = Vec::new();
        for task in 0..TASKS {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..TRANSFERS {
                    let from = ((task + n) % WALLETS).to_string();
                    let to = ((task + n + 1) % WALLETS).to_string();
                    db.transaction(move |tx| {
                        let (from, to) = (from.clone(), to.clone());
                        async move {
                            let f = Wallet::fields();
                            let w = tx.collection::<Wallet>();
                            let a = try_cents(&tx, &from).await?.unwrap_or(0);
                            let b = try_cents(&tx, &to).await?.unwrap_or(0);
                            w.update_one(f.id.eq(from.clone()), f.cents.set(a - 7))
                                .await?;
                            tokio::task::yield_now().await;
                            w.update_one(f.id.eq(to.clone()), f.cents.set(b + 7))
                                .await?;
                            Ok(())
                        }
                    })
                    .max_time(Duration::from_secs(60))
                    .await
                    .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        done.store(true, Ordering::SeqCst);
        assert!(reader.await.unwrap() > 0);
        let all = db
            .collection::<Wallet>()
            .find(Filter::all())
            .all()
            .await
            .unwrap();
        assert_eq!(
            all.iter().map(|w| w.cents).sum::<i64>(),
            total,
            "{}",
            b.name
        );
        b.finish().await;
    }
}

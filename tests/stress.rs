//! Concurrency stress on the in-memory engine: tasks on a multi-thread
//! runtime insert, `$inc`, delete and read the same collection at once for a
//! bounded time. Every task keeps a ledger of what it did; at the end the
//! collection must agree with the ledgers exactly (no lost or doubled
//! write), and no reader may ever have seen half of an update.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use odm::{Database, Document, Filter};

/// A document every update changes in two fields by the same amount, so a
/// reader that sees `a != b` saw a half-applied update.
#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "accounts")]
struct Account {
    id: i64,
    owner: i64,
    a: i64,
    b: i64,
}

/// A counter handed out by `find_one_and_update`: each ticket must be seen
/// by exactly one task.
#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "tickets")]
struct Ticket {
    id: String,
    next: i64,
}

const WRITERS: i64 = 8;
const READERS: usize = 2;
const MAX_STEPS: u64 = 600;
const TIME_BUDGET: Duration = Duration::from_secs(2);
/// The account every writer increments, besides its own ones.
const SHARED: i64 = 0;

/// What one writer did.
#[derive(Debug, Default)]
struct Ledger {
    /// Its live accounts and the amount each must hold.
    live: BTreeMap<i64, i64>,
    /// What it added to the shared account.
    shared: i64,
    /// The tickets it drew.
    tickets: Vec<i64>,
    inserted: u64,
    deleted: u64,
}

/// A tiny deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

async fn writer(db: Database, task: i64, stop: Arc<AtomicBool>) -> Ledger {
    let accounts = db.collection::<Account>();
    let tickets = db.collection::<Ticket>();
    let f = Account::fields();
    let t = Ticket::fields();
    let mut ledger = Ledger::default();
    let mut rng = Lcg(task as u64 + 1);
    let started = Instant::now();
    let mut seq = 0;
    for _ in 0..MAX_STEPS {
        if started.elapsed() > TIME_BUDGET || stop.load(Ordering::Relaxed) {
            break;
        }
        match rng.next() % 6 {
            0 | 1 => {
                seq += 1;
                let mut acct = Account {
                    id: task * 1_000_000 + seq,
                    owner: task,
                    a: 0,
                    b: 0,
                };
                accounts.insert_one(&mut acct).await.unwrap();
                ledger.live.insert(acct.id, 0);
                ledger.inserted += 1;
            }
            2 => {
                let Some((&id, _)) = ledger
                    .live
                    .iter()
                    .nth(rng.next() as usize % ledger.live.len().max(1))
                else {
                    continue;
                };
                let amount = (rng.next() % 5 + 1) as i64;
                let r = accounts
                    .update_one(f.id.eq(id), f.a.inc(amount) & f.b.inc(amount))
                    .await
                    .unwrap();
                assert_eq!(r.matched_count, 1, "task {task} lost its account {id}");
                *ledger.live.entry(id).or_default() += amount;
            }
            3 => {
                let r = accounts
                    .update_one(f.id.eq(SHARED), f.a.inc(1) & f.b.inc(1))
                    .await
                    .unwrap();
                assert_eq!(r.matched_count, 1);
                ledger.shared += 1;
            }
            4 => {
                let drawn = tickets
                    .find_one_and_update(t.id.eq("seq".to_string()), t.next.inc(1))
                    .return_document(odm::collection::ReturnDocument::After)
                    .await
                    .unwrap()
                    .expect("the ticket counter exists");
                ledger.tickets.push(drawn.next);
            }
            _ => {
                let Some(&id) = ledger.live.keys().next() else {
                    continue;
                };
                let r = accounts.delete_one(f.id.eq(id)).await.unwrap();
                assert_eq!(r.deleted_count, 1, "task {task} could not delete {id}");
                ledger.live.remove(&id);
                ledger.deleted += 1;
            }
        }
        // Let the other tasks interleave on this worker.
        tokio::task::yield_now().await;
    }
    ledger
}

/// Read everything again and again; every account must have `a == b`.
async fn reader(db: Database, stop: Arc<AtomicBool>) -> u64 {
    let accounts = db.collection::<Account>();
    let f = Account::fields();
    let mut reads = 0;
    while !stop.load(Ordering::Relaxed) {
        let all = accounts.find(Filter::all()).all().await.unwrap();
        for acct in &all {
            assert_eq!(acct.a, acct.b, "a reader saw half an update: {acct:?}");
        }
        let mine = accounts.find(f.owner.eq(1)).all().await.unwrap();
        assert!(mine.iter().all(|a| a.owner == 1 && a.a == a.b));
        reads += 1;
        tokio::task::yield_now().await;
    }
    reads
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_add_up_exactly() {
    let db = Database::memory();
    let accounts = db.collection::<Account>();
    let tickets = db.collection::<Ticket>();
    accounts
        .insert_one(&mut Account {
            id: SHARED,
            owner: -1,
            a: 0,
            b: 0,
        })
        .await
        .unwrap();
    tickets
        .insert_one(&mut Ticket {
            id: "seq".into(),
            next: 0,
        })
        .await
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..READERS)
        .map(|_| tokio::spawn(reader(db.clone(), Arc::clone(&stop))))
        .collect();
    let writers: Vec<_> = (1..=WRITERS)
        .map(|task| tokio::spawn(writer(db.clone(), task, Arc::clone(&stop))))
        .collect();
    let mut ledgers = Vec::new();
    for w in writers {
        ledgers.push(w.await.expect("a writer panicked"));
    }
    stop.store(true, Ordering::Relaxed);
    let mut reads = 0;
    for r in readers {
        reads += r.await.expect("a reader panicked");
    }
    assert!(reads > 0, "the readers never ran");

    let stored: BTreeMap<i64, Account> = accounts
        .find(Filter::all())
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a))
        .collect();

    // Every account a writer still owns is there with exactly its amount,
    // and nothing else is (deleted ones stay deleted).
    let mut expected: BTreeMap<i64, i64> = BTreeMap::new();
    for ledger in &ledgers {
        expected.extend(ledger.live.iter().map(|(k, v)| (*k, *v)));
    }
    let shared: i64 = ledgers.iter().map(|l| l.shared).sum();
    expected.insert(SHARED, shared);
    let found: BTreeMap<i64, i64> = stored.iter().map(|(k, v)| (*k, v.a)).collect();
    assert_eq!(found, expected);
    assert!(stored.values().all(|a| a.a == a.b));

    let inserted: u64 = ledgers.iter().map(|l| l.inserted).sum();
    let deleted: u64 = ledgers.iter().map(|l| l.deleted).sum();
    assert_eq!(
        accounts.count(Filter::all()).await.unwrap(),
        1 + inserted - deleted
    );
    assert!(inserted > 0 && deleted > 0 && shared > 0, "{ledgers:?}");

    // Tickets: 1..=n, each drawn once.
    let drawn: Vec<i64> = ledgers.iter().flat_map(|l| l.tickets.clone()).collect();
    let distinct: BTreeSet<i64> = drawn.iter().copied().collect();
    assert_eq!(distinct.len(), drawn.len(), "a ticket was handed out twice");
    assert_eq!(distinct, (1..=drawn.len() as i64).collect::<BTreeSet<_>>());
    let counter = tickets
        .find_by_id(&"seq".to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(counter.next, drawn.len() as i64);
}

/// Many tasks `$inc` one field of one document through the raw backend: the
/// total is exact, and `update_many` over a shared set counts every match.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_update_many_counts_every_document() {
    use odm::backend::{InsertOptions, UpdateModification, UpdateOptions};
    use odm::bson::{doc, RawDocumentBuf};

    let db = Database::memory();
    let ns = db.namespace("grid");
    let backend = Arc::clone(db.backend());
    let docs: Vec<RawDocumentBuf> = (0..50)
        .map(|i| RawDocumentBuf::try_from(&doc! {"_id": i, "n": 0_i64, "m": 0_i64}).unwrap())
        .collect();
    backend
        .insert(ns.clone(), docs, InsertOptions::default())
        .await
        .unwrap();

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let backend = Arc::clone(&backend);
            let ns = ns.clone();
            tokio::spawn(async move {
                let mut options = UpdateOptions::default();
                options.multi = true;
                for _ in 0..100 {
                    let r = backend
                        .update(
                            ns.clone(),
                            doc! {},
                            UpdateModification::Document(doc! {"$inc": {"n": 1, "m": 1}}),
                            options.clone(),
                        )
                        .await
                        .unwrap();
                    assert_eq!((r.matched_count, r.modified_count), (50, 50));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let mut cursor = backend.find(ns, doc! {}, Default::default()).await.unwrap();
    use futures::TryStreamExt;
    let mut seen = 0;
    while let Some(d) = cursor.try_next().await.unwrap() {
        assert_eq!(d.get_i64("n").unwrap(), 800);
        assert_eq!(d.get_i64("m").unwrap(), 800);
        seen += 1;
    }
    assert_eq!(seen, 50);
}

//! Optimistic concurrency with `#[odm(version)]`: guarded replaces and
//! updates, conflicts that are errors and never lost updates, on every backend.

mod common;

use odm::{Database, Error, Filter};

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Counter {
    id: i64,
    name: String,
    hits: i64,
    #[odm(version)]
    rev: i64,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
#[odm(collection = "small_counters")]
struct SmallCounter {
    id: i64,
    hits: i32,
    #[odm(version, rename = "__v")]
    rev: u32,
}

fn db_of(b: &common::TestBackend) -> Database {
    Database::with_backend(b.backend.clone(), b.db.as_str())
}

fn counter(id: i64) -> Counter {
    Counter {
        id,
        name: format!("c{id}"),
        hits: 0,
        rev: 0,
    }
}

#[test]
fn the_derive_names_the_stored_version_field() {
    use odm::Document;
    assert_eq!(Counter::VERSION, Some("rev"));
    assert_eq!(SmallCounter::VERSION, Some("__v"));
    let mut c = SmallCounter {
        id: 1,
        hits: 0,
        rev: 7,
    };
    assert_eq!(c.version(), Some(7));
    c.set_version(8);
    assert_eq!(c.rev, 8);
}

#[tokio::test]
async fn replace_matches_the_read_version_and_increments_it() {
    for b in common::backends().await {
        let db = db_of(&b);
        let counters = db.collection::<Counter>();
        let mut c = counter(1);
        counters.insert_one(&mut c).await.unwrap();
        assert_eq!(c.rev, 0, "insert keeps the given version");

        c.hits = 1;
        counters.replace_one(&mut c).await.unwrap();
        assert_eq!(c.rev, 1, "{}", b.name);
        let stored = counters.find_by_id(&1).await.unwrap().unwrap();
        assert_eq!(stored, c, "{}", b.name);

        // A copy read before that write is stale.
        let mut stale = counter(1);
        stale.hits = 99;
        let e = counters.replace_one(&mut stale).await.unwrap_err();
        match &e {
            Error::Conflict {
                collection,
                expected_version,
                ..
            } => {
                assert_eq!(collection, "counter", "{}", b.name);
                assert_eq!(*expected_version, 0, "{}", b.name);
            }
            other => panic!("{}: {other:?}", b.name),
        }
        assert!(e.to_string().contains("reload"), "{e}");
        assert_eq!(stale.rev, 0, "a failed write leaves the model's version");
        // Upserting cannot get around the guard either.
        let e = counters
            .replace_one(&mut stale)
            .upsert(true)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Conflict { .. }), "{}: {e:?}", b.name);
        let mut fresh = counter(50);
        counters.replace_one(&mut fresh).upsert(true).await.unwrap();
        assert_eq!(fresh.rev, 1, "{}", b.name);
        counters
            .delete_one(Counter::fields().id.eq(50))
            .await
            .unwrap();
        assert_eq!(counters.find_by_id(&1).await.unwrap().unwrap(), c);

        // A deleted document is NotFound, and is not resurrected.
        counters
            .delete_one(Counter::fields().id.eq(1))
            .await
            .unwrap();
        let e = counters.replace_one(&mut c).await.unwrap_err();
        assert!(matches!(e, Error::NotFound { .. }), "{}: {e:?}", b.name);
        assert_eq!(counters.count(Filter::all()).await.unwrap(), 0);
        b.finish().await;
    }
}

#[tokio::test]
async fn typed_updates_increment_the_version() {
    for b in common::backends().await {
        let db = db_of(&b);
        let counters = db.collection::<Counter>();
        let f = Counter::fields();
        let mut c = counter(2);
        counters.insert_one(&mut c).await.unwrap();

        counters
            .update_one(f.id.eq(2), f.hits.inc(5))
            .await
            .unwrap();
        let stored = counters.find_by_id(&2).await.unwrap().unwrap();
        assert_eq!((stored.hits, stored.rev), (5, 1), "{}", b.name);

        // An update that sets the version itself is left alone.
        counters
            .update_one(f.id.eq(2), f.rev.set(10))
            .await
            .unwrap();
        assert_eq!(counters.find_by_id(&2).await.unwrap().unwrap().rev, 10);

        // The model read before is now stale for a guarded update.
        let e = counters
            .update_model(&mut c, f.name.set("late".to_string()))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Conflict { .. }), "{}: {e:?}", b.name);
        assert_eq!(c.rev, 0);

        let mut fresh = counters.find_by_id(&2).await.unwrap().unwrap();
        counters
            .update_model(&mut fresh, f.name.set("fresh".to_string()))
            .await
            .unwrap();
        assert_eq!(fresh.rev, 11, "{}", b.name);
        let stored = counters.find_by_id(&2).await.unwrap().unwrap();
        assert_eq!((stored.name.as_str(), stored.rev), ("fresh", 11));

        // Narrow integer versions are stored and matched as integers too.
        let small = db.collection::<SmallCounter>();
        let mut s = SmallCounter {
            id: 1,
            hits: 0,
            rev: 0,
        };
        small.insert_one(&mut s).await.unwrap();
        s.hits = 3;
        small.replace_one(&mut s).await.unwrap();
        small
            .update_many(Filter::all(), SmallCounter::fields().hits.inc(1))
            .await
            .unwrap();
        let stored = small.find_by_id(&1).await.unwrap().unwrap();
        assert_eq!((stored.hits, stored.rev), (4, 2), "{}", b.name);
        b.finish().await;
    }
}

/// Read, change, replace; on a conflict reload and retry. Returns the
/// number of conflicts met.
async fn increment_loop(db: Database, id: i64, rounds: usize) -> usize {
    let counters = db.collection::<Counter>();
    let mut conflicts = 0;
    for _ in 0..rounds {
        loop {
            let mut c = counters.find_by_id(&id).await.unwrap().unwrap();
            c.hits += 1;
            // Let the other writer read the same version in between.
            tokio::task::yield_now().await;
            match counters.replace_one(&mut c).await {
                Ok(_) => break,
                Err(Error::Conflict { .. }) => conflicts += 1,
                Err(e) => panic!("{e:?}"),
            }
        }
    }
    conflicts
}

#[tokio::test]
async fn concurrent_read_modify_write_loses_no_update() {
    for b in common::backends().await {
        let db = db_of(&b);
        let counters = db.collection::<Counter>();
        counters.insert_one(&mut counter(3)).await.unwrap();

        let one = tokio::spawn(increment_loop(db.clone(), 3, 100));
        let two = tokio::spawn(increment_loop(db.clone(), 3, 100));
        let conflicts = one.await.unwrap() + two.await.unwrap();

        let stored = counters.find_by_id(&3).await.unwrap().unwrap();
        assert_eq!(stored.hits, 200, "{}: lost updates", b.name);
        assert_eq!(stored.rev, 200, "{}", b.name);
        assert!(conflicts > 0, "{}: the writers never raced", b.name);
        b.finish().await;
    }
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
#[odm(collection = "legacy")]
struct Legacy {
    id: i64,
    hits: i64,
    #[odm(version, default)]
    rev: i64,
}

#[tokio::test]
async fn a_document_stored_before_the_model_had_a_version_is_writable_once() {
    for b in common::backends().await {
        let db = db_of(&b);
        let raw =
            odm::bson::RawDocumentBuf::try_from(&odm::bson::doc! { "_id": 1_i64, "hits": 3_i64 })
                .unwrap();
        b.backend
            .insert(b.ns("legacy"), vec![raw], Default::default())
            .await
            .unwrap();
        let legacy = db.collection::<Legacy>();
        let mut first = legacy.find_by_id(&1).await.unwrap().unwrap();
        let mut second = first.clone();
        assert_eq!(first.rev, 0);

        first.hits += 1;
        legacy.replace_one(&mut first).await.unwrap();
        second.hits += 10;
        let e = legacy.replace_one(&mut second).await.unwrap_err();
        assert!(matches!(e, Error::Conflict { .. }), "{}: {e:?}", b.name);
        let stored = legacy.find_by_id(&1).await.unwrap().unwrap();
        assert_eq!((stored.hits, stored.rev), (4, 1), "{}", b.name);
        b.finish().await;
    }
}

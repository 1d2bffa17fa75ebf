//! Index-backed reads and writes in the in-memory engine:
//!
//! - `point_1m`: `find_one` by a unique indexed field (not `_id`) returning a
//!   typed `Person`, over 1,000,000 documents; the same query without the
//!   index (a full scan) is measured first, for contrast;
//! - `writes_100k`: `update_many` and `delete_many` touching 10% of 100,000
//!   documents through an index (a fresh collection per iteration, built
//!   outside the timing).
//!
//! `cargo bench --bench index`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use odm::backend::IndexModel;
use odm::bson::doc;
use odm::{Collection, Database};

#[path = "support/model.rs"]
mod model;
use model::{person, Person};

const POINT_N: u64 = 1_000_000;
const WRITE_N: u64 = 100_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

async fn populate(n: u64) -> (Database, Collection<Person>) {
    let db = Database::memory();
    let people = db.collection::<Person>();
    let mut all: Vec<Person> = (0..n).map(person).collect();
    people.insert_many(&mut all).await.expect("insert");
    (db, people)
}

async fn index(db: &Database, keys: odm::bson::Document, unique: bool) {
    let mut model = IndexModel::new(keys);
    model.unique = unique;
    db.backend()
        .create_indexes(db.namespace("people"), vec![model])
        .await
        .expect("create index");
}

fn email(i: u64) -> String {
    format!("person{i:08}@example.com")
}

/// `email(i)` written into a stack buffer: the timed loop measures the
/// query, not the `format!` that makes its key.
fn email_key(i: u64) -> [u8; 26] {
    let mut key = *b"person00000000@example.com";
    let mut n = i;
    for digit in key[6..14].iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
    key
}

fn point(c: &mut Criterion) {
    let rt = runtime();
    let (db, people) = rt.block_on(populate(POINT_N));
    let f = Person::fields();
    // One `block_on` per batch of iterations (criterion's async timing
    // loop), as an application awaits queries inside a running task: the
    // figure is the query's, not the executor's entry cost.
    let find = |i: u64| {
        let (people, f) = (&people, &f);
        async move {
            let key = email_key(i);
            let key = std::str::from_utf8(&key).expect("ascii");
            people
                .find_one(f.email.eq(key))
                .await
                .expect("find_one")
                .expect("found")
        }
    };
    let mut g = c.benchmark_group("point_1m");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    let mut i = 0u64;
    g.bench_function("find_one_by_email/scan", |b| {
        b.to_async(&rt).iter(|| {
            i = (i + 7919) % POINT_N;
            find(i)
        })
    });
    rt.block_on(index(&db, doc! {"email": 1}, true));
    assert_eq!(email_key(12_345_678), email(12_345_678).as_bytes());
    let e = rt
        .block_on(async { people.find(f.email.eq(email(42))).explain().await })
        .expect("explain");
    assert_eq!(e.index_name.as_deref(), Some("email_1"));
    g.sample_size(100);
    g.bench_function("find_one_by_email/index", |b| {
        b.to_async(&rt).iter(|| {
            i = (i + 7919) % POINT_N;
            find(i)
        })
    });
    g.finish();
}

fn writes(c: &mut Criterion) {
    let rt = runtime();
    // `score` is `(i % 1000) / 10`: `score < 10` is 10% of the documents.
    let setup = || {
        rt.block_on(async {
            let (db, people) = populate(WRITE_N).await;
            index(&db, doc! {"score": 1}, false).await;
            (db, people)
        })
    };
    let f = Person::fields();
    let mut g = c.benchmark_group("writes_100k");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("update_many_10pct/index", |b| {
        b.iter_batched(
            setup,
            |(db, people)| {
                let r = rt
                    .block_on(async { people.update_many(f.score.lt(10.0), f.visits.inc(1)).await })
                    .expect("update_many");
                assert_eq!(r.modified_count, WRITE_N / 10);
                db
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("delete_many_10pct/index", |b| {
        b.iter_batched(
            setup,
            |(db, people)| {
                let r = rt
                    .block_on(async { people.delete_many(f.score.lt(10.0)).await })
                    .expect("delete_many");
                assert_eq!(r.deleted_count, WRITE_N / 10);
                db
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, point, writes);
criterion_main!(benches);

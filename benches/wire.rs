//! odm over the wire versus hand-written driver code, in one run: insert
//! 10,000 `Person`s and read them back through an in-process wire server in
//! front of a fresh in-memory engine.
//!
//! - odm: `Database::connect(uri)`, `collection::<Person>()`, `insert_many`,
//!   `find(Filter::all()).all()` (odm's own codec);
//! - hand-written: `mongodb::Collection<Person>` with serde, `insert_many`,
//!   `find` + `try_collect`.
//!
//! Both talk to the same server through the same driver, so the difference
//! is odm's layer: its codec and builders. The collection is dropped between
//! iterations, outside the timing. Prints the ratio odm / hand-written.
//!
//! `cargo bench --bench wire --features wire`

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use futures::TryStreamExt;
use odm::backend::memory::MemoryBackend;
use odm::{Backend, Database, Filter};

#[path = "support/model.rs"]
mod model;
use model::{person, Person};

const N: u64 = 10_000;

/// Time spent in the measured part of each iteration, and the iteration count.
#[derive(Default)]
struct Total {
    elapsed: Duration,
    iters: u64,
}

impl Total {
    fn mean(&self) -> f64 {
        self.elapsed.as_secs_f64() / self.iters.max(1) as f64
    }
}

async fn odm_round_trip(db: &Database, people: &mut [Person]) -> usize {
    let coll = db.collection::<Person>();
    coll.insert_many(people).await.expect("odm insert_many");
    coll.find(Filter::all())
        .all()
        .await
        .expect("odm find")
        .len()
}

async fn hand_written_round_trip(coll: &mongodb::Collection<Person>, people: &[Person]) -> usize {
    coll.insert_many(people).await.expect("driver insert_many");
    let read: Vec<Person> = coll
        .find(mongodb::bson::doc! {})
        .await
        .expect("driver find")
        .try_collect()
        .await
        .expect("driver cursor");
    read.len()
}

fn wire(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let engine: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
    let server = rt.block_on(async {
        odm::wire::Server::bind("127.0.0.1:0".parse().expect("address"), engine)
            .expect("bind an ephemeral port")
            .spawn()
            .expect("spawn the wire server")
    });
    let uri = server.uri();
    let db = rt
        .block_on(Database::connect(&uri))
        .expect("odm connects to the wire server");
    let client = rt
        .block_on(mongodb::Client::with_uri_str(&uri))
        .expect("the driver connects to the wire server");
    // The same database and collection odm uses, so both sides pay the same.
    let odm_coll = db.collection::<Person>();
    let driver_coll: mongodb::Collection<Person> =
        client.database(db.name()).collection(odm_coll.name());
    let mut people: Vec<Person> = (0..N).map(person).collect();

    // Both sides store and read back the same documents before timing.
    rt.block_on(async {
        assert_eq!(odm_round_trip(&db, &mut people).await, N as usize);
        let by_odm = odm_coll.find(Filter::all()).all().await.expect("find");
        odm_coll.drop().await.expect("drop");
        assert_eq!(
            hand_written_round_trip(&driver_coll, &people).await,
            N as usize
        );
        let mut by_driver: Vec<Person> = driver_coll
            .find(mongodb::bson::doc! {})
            .await
            .expect("find")
            .try_collect()
            .await
            .expect("cursor");
        driver_coll.drop().await.expect("drop");
        let mut by_odm = by_odm;
        by_odm.sort_by_key(|p| p.id);
        by_driver.sort_by_key(|p| p.id);
        assert!(
            by_odm == by_driver,
            "odm and the driver read different data"
        );
    });

    // Where the time goes: insert and find apart, a few rounds each.
    rt.block_on(async {
        let rounds = 3;
        let mut t = [Duration::ZERO; 4];
        for _ in 0..rounds {
            let start = Instant::now();
            odm_coll.insert_many(&mut people).await.expect("insert");
            t[0] += start.elapsed();
            let start = Instant::now();
            odm_coll.find(Filter::all()).all().await.expect("find");
            t[1] += start.elapsed();
            odm_coll.drop().await.expect("drop");
            let start = Instant::now();
            driver_coll.insert_many(&people).await.expect("insert");
            t[2] += start.elapsed();
            let start = Instant::now();
            let read: Vec<Person> = driver_coll
                .find(mongodb::bson::doc! {})
                .await
                .expect("find")
                .try_collect()
                .await
                .expect("cursor");
            t[3] += start.elapsed();
            assert_eq!(read.len(), N as usize);
            driver_coll.drop().await.expect("drop");
        }
        let ms = |d: Duration| d.as_secs_f64() * 1e3 / f64::from(rounds);
        eprintln!(
            "insert_many: odm {:.1} ms, hand-written {:.1} ms; find all: odm {:.1} ms, hand-written {:.1} ms",
            ms(t[0]),
            ms(t[2]),
            ms(t[1]),
            ms(t[3])
        );
    });

    let mut odm_total = Total::default();
    let mut hand_total = Total::default();
    let mut g = c.benchmark_group("wire_insert_find_10k");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(N));
    g.bench_function("odm", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let n = rt.block_on(odm_round_trip(&db, &mut people));
                spent += start.elapsed();
                assert_eq!(n, N as usize);
                rt.block_on(odm_coll.drop()).expect("drop");
            }
            odm_total.elapsed += spent;
            odm_total.iters += iters;
            spent
        })
    });
    g.bench_function("hand_written_driver_serde", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let n = rt.block_on(hand_written_round_trip(&driver_coll, &people));
                spent += start.elapsed();
                assert_eq!(n, N as usize);
                rt.block_on(async { driver_coll.drop().await })
                    .expect("drop");
            }
            hand_total.elapsed += spent;
            hand_total.iters += iters;
            spent
        })
    });
    g.finish();

    if odm_total.iters > 0 && hand_total.iters > 0 {
        eprintln!(
            "wire insert+find of {N}: odm {:.2} ms, hand-written {:.2} ms, ratio odm/hand-written {:.3} (target <= 1.10)",
            odm_total.mean() * 1e3,
            hand_total.mean() * 1e3,
            odm_total.mean() / hand_total.mean()
        );
    }
    drop(db);
    rt.block_on(server.shutdown());
}

criterion_group!(benches, wire);
criterion_main!(benches);

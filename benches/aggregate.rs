//! `$group` by `address.city` with `$avg` of `age` over 1,000,000 documents
//! in the in-memory engine, against hand-written Rust folds over the same
//! data in the same run:
//!
//! - over `Vec<bson::Document>` (what a program holding fetched documents
//!   would fold; the ratio the ≤ 3× target is about), and
//! - over `Vec<Person>` (decoded structs: the floor, for scale).
//!
//! The pipeline is built with the typed `Pipeline<Person>` and run through
//! `db.backend().aggregate(..)`, so the figure is the engine's alone (not
//! `Collection::aggregate`'s decoding of rows). The three results are
//! checked to agree before anything is timed.
//!
//! `cargo bench --bench aggregate`

use std::collections::BTreeMap;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use futures::TryStreamExt;
use odm::aggregate::{expr, Pipeline};
use odm::bson::Document;
use odm::Database;

#[path = "support/model.rs"]
mod model;
use model::{person, Person};

const N: u64 = 1_000_000;

/// City → average age.
type Averages = BTreeMap<String, f64>;

fn pipeline() -> Vec<Document> {
    let f = Person::fields();
    Pipeline::<Person>::new()
        .group(
            expr::field(&f.address.city),
            [("avg_age", expr::avg(&f.age))],
        )
        .into_stages()
        .expect("the pipeline encodes")
}

async fn engine(db: &Database) -> Averages {
    let rows: Vec<_> = db
        .backend()
        .aggregate(db.namespace("people"), pipeline(), Default::default())
        .await
        .expect("aggregate")
        .try_collect()
        .await
        .expect("aggregate cursor");
    rows.iter()
        .map(|raw| {
            let city = raw.get_str("_id").expect("a city").to_owned();
            let avg = raw.get_f64("avg_age").expect("an average");
            (city, avg)
        })
        .collect()
}

/// The baseline: a fold over documents a program already holds.
fn fold_documents(docs: &[Document]) -> Averages {
    let mut acc: BTreeMap<&str, (i64, u64)> = BTreeMap::new();
    for d in docs {
        let (Ok(address), Ok(age)) = (d.get_document("address"), d.get_i32("age")) else {
            continue;
        };
        let Ok(city) = address.get_str("city") else {
            continue;
        };
        let e = acc.entry(city).or_default();
        e.0 += i64::from(age);
        e.1 += 1;
    }
    finish(acc)
}

/// The floor: the same fold over decoded structs.
fn fold_structs(people: &[Person]) -> Averages {
    let mut acc: BTreeMap<&str, (i64, u64)> = BTreeMap::new();
    for p in people {
        let e = acc.entry(p.address.city.as_str()).or_default();
        e.0 += i64::from(p.age);
        e.1 += 1;
    }
    finish(acc)
}

fn finish(acc: BTreeMap<&str, (i64, u64)>) -> Averages {
    acc.into_iter()
        .map(|(city, (sum, n))| (city.to_owned(), sum as f64 / n as f64))
        .collect()
}

fn agree(a: &Averages, b: &Averages) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ca, va), (cb, vb))| ca == cb && (va - vb).abs() < 1e-9)
}

fn aggregate(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let db = Database::memory();
    let people_coll = db.collection::<Person>();
    assert_eq!(people_coll.name(), "people");
    let mut people: Vec<Person> = (0..N).map(person).collect();
    rt.block_on(async { people_coll.insert_many(&mut people).await })
        .expect("insert");
    let docs: Vec<Document> = people
        .iter()
        .map(|p| odm::bson::serialize_to_document(p).expect("encode"))
        .collect();

    let by_engine = rt.block_on(engine(&db));
    let by_docs = fold_documents(&docs);
    let by_structs = fold_structs(&people);
    assert!(
        by_engine.len() > 1,
        "expected several cities: {by_engine:?}"
    );
    assert!(
        agree(&by_engine, &by_docs),
        "engine {by_engine:?} vs fold {by_docs:?}"
    );
    assert!(agree(&by_docs, &by_structs));
    eprintln!("average age by city: {by_engine:?}");

    // One timed pass each, outside criterion, for the printed ratios.
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..3 {
            f();
        }
        start.elapsed().as_secs_f64() / 3.0
    };
    let t_engine = time(&mut || {
        std::hint::black_box(rt.block_on(engine(&db)));
    });
    let t_docs = time(&mut || {
        std::hint::black_box(fold_documents(&docs));
    });
    let t_structs = time(&mut || {
        std::hint::black_box(fold_structs(&people));
    });
    eprintln!(
        "$group/$avg over {N}: engine {:.1} ms, fold Vec<Document> {:.1} ms, fold Vec<Person> {:.1} ms; \
         ratio engine/Vec<Document> {:.2} (target <= 3), engine/Vec<Person> {:.2}",
        t_engine * 1e3,
        t_docs * 1e3,
        t_structs * 1e3,
        t_engine / t_docs,
        t_engine / t_structs
    );

    let mut g = c.benchmark_group("group_avg_1m");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(N));
    g.bench_function("odm_memory_aggregate", |b| {
        b.iter(|| rt.block_on(engine(&db)))
    });
    g.bench_function("hand_written_fold_vec_document", |b| {
        b.iter(|| fold_documents(&docs))
    });
    g.bench_function("hand_written_fold_vec_person", |b| {
        b.iter(|| fold_structs(&people))
    });
    g.finish();
}

criterion_group!(benches, aggregate);
criterion_main!(benches);

//! The derive's encode/decode against serde's raw-BSON codec on the same
//! model, and `insert_many` of 100,000 models into the in-memory engine.
//!
//! `cargo bench --bench codec`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use odm::Document as _;

#[path = "support/model.rs"]
mod model;
use model::{person, Person};

fn codec(c: &mut Criterion) {
    let p = person(42);
    let raw = p.to_document().expect("encode");
    eprintln!("model size: {} bytes of BSON", raw.as_bytes().len());

    let mut g = c.benchmark_group("codec");
    g.bench_function("encode/odm", |b| {
        b.iter(|| p.to_document().expect("encode"))
    });
    g.bench_function("encode/serde_raw", |b| {
        b.iter(|| odm::bson::serialize_to_raw_document_buf(&p).expect("encode"))
    });
    g.bench_function("decode/odm", |b| {
        b.iter(|| Person::from_document(&raw).expect("decode"))
    });
    g.bench_function("decode/serde_raw", |b| {
        b.iter(|| odm::bson::deserialize_from_slice::<Person>(raw.as_bytes()).expect("decode"))
    });
    g.finish();
}

fn insert_many(c: &mut Criterion) {
    const N: u64 = 100_000;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("insert_many");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(N));
    g.bench_function("memory/100k", |b| {
        b.iter_batched(
            || {
                (
                    (0..N).map(person).collect::<Vec<_>>(),
                    odm::Database::memory(),
                )
            },
            |(mut people, db)| {
                rt.block_on(async {
                    db.collection::<Person>()
                        .insert_many(&mut people)
                        .await
                        .expect("insert")
                });
                db
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, codec, insert_many);
criterion_main!(benches);

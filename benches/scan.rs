//! A full-scan `find` and `count` of `age >= 30 && address.city == "Paris"`
//! over 1,000,000 documents in the in-memory engine, against a hand-written
//! closure over `Vec<bson::Document>` in the same run; and the cost of
//! building the typed filter.
//!
//! `cargo bench --bench scan`

use criterion::{criterion_group, criterion_main, Criterion};
use odm::bson::{Bson, Document};
use odm::{Database, Filter};

#[path = "support/model.rs"]
mod model;
use model::{person, Person};

const N: u64 = 1_000_000;

/// The typed filter: `age >= 30 && address.city == "Paris"`.
fn filter() -> Filter<Person> {
    let f = Person::fields();
    f.age.gte(30) & f.address.city.eq("Paris")
}

/// The baseline: what a user would write by hand over decoded documents.
fn hand_written(docs: &[Document]) -> Vec<Person> {
    docs.iter()
        .filter(|d| {
            let age_ok = matches!(d.get("age"), Some(Bson::Int32(a)) if *a >= 30);
            let city_ok = d
                .get_document("address")
                .ok()
                .and_then(|a| a.get_str("city").ok())
                == Some("Paris");
            age_ok && city_ok
        })
        .map(|d| odm::bson::deserialize_from_document::<Person>(d.clone()).expect("decode"))
        .collect()
}

fn scan(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let db = Database::memory();
    let people = db.collection::<Person>();
    let mut all: Vec<Person> = (0..N).map(person).collect();
    rt.block_on(async { people.insert_many(&mut all).await })
        .expect("insert");
    let docs: Vec<Document> = all
        .iter()
        .map(|p| odm::bson::serialize_to_document(p).expect("encode"))
        .collect();
    drop(all);

    let expected = hand_written(&docs).len();
    let got = rt
        .block_on(async { people.find(filter()).all().await })
        .expect("find")
        .len();
    assert_eq!(got, expected, "the engine and the baseline disagree");
    eprintln!("{got} of {N} documents match");

    let mut g = c.benchmark_group("scan_1m");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(N));
    g.bench_function("find/odm_memory", |b| {
        b.iter(|| {
            rt.block_on(async { people.find(filter()).all().await })
                .expect("find")
        })
    });
    g.bench_function("count/odm_memory", |b| {
        b.iter(|| {
            rt.block_on(async { people.count(filter()).await })
                .expect("count")
        })
    });
    g.bench_function("find/hand_written_vec_document", |b| {
        b.iter(|| hand_written(&docs))
    });
    g.finish();

    c.bench_function("build_typed_filter", |b| b.iter(filter));
}

criterion_group!(benches, scan);
criterion_main!(benches);

//! Building typed filters and updates: the cost a query pays before it
//! reaches a backend. Paths come from `fields()` (built once).
//!
//! `cargo bench --bench query_build`

use criterion::{criterion_group, criterion_main, Criterion};
use odm::{Document, Embedded};

#[derive(Debug, Embedded)]
pub struct Address {
    city: String,
    zip: String,
}

#[derive(Debug, Document)]
pub struct User {
    id: odm::bson::oid::ObjectId,
    age: i32,
    name: String,
    address: Address,
    tags: Vec<String>,
}

/// This thread's CPU time in nanoseconds (Linux), to report the cost apart
/// from the wait of a loaded machine, which criterion's wall clock includes.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

fn build(c: &mut Criterion) {
    let f = User::fields();
    const N: u32 = 1_000_000;
    if let Some(start) = thread_cpu_ns() {
        for _ in 0..N {
            std::hint::black_box(f.age.gte(std::hint::black_box(30)) & f.address.city.eq("Paris"));
        }
        if let Some(end) = thread_cpu_ns() {
            eprintln!(
                "filter age >= 30 && address.city == Paris: {} ns of CPU per build",
                (end - start) / u64::from(N)
            );
        }
    }
    let mut g = c.benchmark_group("query_build");
    g.bench_function("filter/age_gte_and_city_eq", |b| {
        b.iter(|| f.age.gte(std::hint::black_box(30)) & f.address.city.eq("Paris"))
    });
    g.bench_function("filter/or_not_elem", |b| {
        b.iter(|| (f.age.lt(18) | f.age.gt(65)) & !f.tags.contains("banned"))
    });
    g.bench_function("update/inc_set_push", |b| {
        b.iter(|| f.age.inc(1) & f.name.set("Al") & f.tags.push("new"))
    });
    g.finish();
}

criterion_group!(benches, build);
criterion_main!(benches);

//! Population without N+1: 1,000 posts with their authors (100 distinct),
//! loaded by `populate` (one query for the posts, one `$in` for the
//! authors) versus fetching each post's author separately, on the in-memory
//! engine and through the driver over an in-process wire server, where every
//! query is a round trip. Prints the round trips of each way before timing.
//!
//! `cargo bench --bench populate --features wire`

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use odm::backend::memory::MemoryBackend;
use odm::bson::oid::ObjectId;
use odm::{Backend, Database, Filter, Ref};

const POSTS: usize = 1_000;
const AUTHORS: usize = 100;

#[derive(odm::Document, Debug, Clone)]
struct Author {
    id: ObjectId,
    name: String,
    email: String,
}

#[derive(odm::Document, Debug, Clone)]
struct Post {
    id: ObjectId,
    title: String,
    author: Ref<Author>,
    tags: Vec<String>,
}

async fn seed(db: &Database) {
    let mut authors: Vec<Author> = (0..AUTHORS)
        .map(|i| Author {
            id: ObjectId::new(),
            name: format!("author {i}"),
            email: format!("author{i}@example.com"),
        })
        .collect();
    db.collection::<Author>()
        .insert_many(&mut authors)
        .await
        .expect("insert authors");
    let mut posts: Vec<Post> = (0..POSTS)
        .map(|i| Post {
            id: ObjectId::new(),
            title: format!("post {i}"),
            author: Ref::to(&authors[i % AUTHORS]).expect("authors have ids"),
            tags: vec!["rust".into(), "mongodb".into()],
        })
        .collect();
    db.collection::<Post>()
        .insert_many(&mut posts)
        .await
        .expect("insert posts");
}

/// `populate`: the posts, then every author in one `$in`.
async fn populated(db: &Database) -> usize {
    let posts = db
        .collection::<Post>()
        .find(Filter::all())
        .populate(&Post::fields().author)
        .await
        .expect("populate");
    posts.iter().filter(|p| p.author.get().is_some()).count()
}

/// The N+1 way: the posts, then one query per post for its author.
async fn one_by_one(db: &Database) -> usize {
    let posts = db
        .collection::<Post>()
        .find(Filter::all())
        .all()
        .await
        .expect("find posts");
    let mut loaded = 0;
    for post in &posts {
        post.author.fetch(db).await.expect("fetch author");
        loaded += 1;
    }
    loaded
}

fn populate(c: &mut Criterion) {
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
    let over_wire = rt
        .block_on(Database::connect(&server.uri()))
        .expect("connect to the wire server");
    for (name, db) in [("memory", Database::memory()), ("driver+wire", over_wire)] {
        rt.block_on(seed(&db));
        db.command_log().start();
        assert_eq!(rt.block_on(populated(&db)), POSTS);
        let with_populate = db.command_log().take().len();
        db.command_log().start();
        assert_eq!(rt.block_on(one_by_one(&db)), POSTS);
        let separately = db.command_log().take().len();
        println!(
            "{name}: {POSTS} posts with authors: populate {with_populate} commands, \
             one by one {separately} commands"
        );
        let mut group = c.benchmark_group(format!("populate_{name}"));
        group.sample_size(10);
        group.bench_function("populate", |b| b.iter(|| rt.block_on(populated(&db))));
        group.bench_function("fetch_each_author", |b| {
            b.iter(|| rt.block_on(one_by_one(&db)))
        });
        group.finish();
    }
    rt.block_on(server.shutdown());
}

criterion_group!(benches, populate);
criterion_main!(benches);

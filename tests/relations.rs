//! References and population: 1, 10 and 1,000 posts with their authors each
//! cost exactly two queries, nested population one more per level (paths to
//! the same model share a query), and a dangling reference stays unloaded
//! instead of panicking. Every scenario runs on every backend of `common`.

mod common;

use odm::bson::oid::ObjectId;
use odm::{Database, Filter, Ref};

#[derive(odm::Document, Debug, Clone)]
struct Company {
    id: ObjectId,
    name: String,
}

#[derive(odm::Document, Debug, Clone)]
struct Author {
    id: ObjectId,
    name: String,
    company: Option<Ref<Company>>,
}

#[derive(odm::Document, Debug, Clone)]
struct Post {
    id: ObjectId,
    title: String,
    author: Ref<Author>,
    reviewers: Vec<Ref<Author>>,
}

async fn seed(db: &Database, posts: usize) -> Vec<Author> {
    let mut acme = Company {
        id: ObjectId::new(),
        name: "Acme".into(),
    };
    db.collection::<Company>()
        .insert_one(&mut acme)
        .await
        .unwrap();
    let mut authors: Vec<Author> = (0..7)
        .map(|i| Author {
            id: ObjectId::new(),
            name: format!("author {i}"),
            company: (i % 2 == 0).then(|| Ref::to(&acme).unwrap()),
        })
        .collect();
    db.collection::<Author>()
        .insert_many(&mut authors)
        .await
        .unwrap();
    let mut all: Vec<Post> = (0..posts)
        .map(|i| Post {
            id: ObjectId::new(),
            title: format!("post {i}"),
            author: Ref::to(&authors[i % authors.len()]).unwrap(),
            reviewers: vec![Ref::to(&authors[(i + 1) % authors.len()]).unwrap()],
        })
        .collect();
    db.collection::<Post>().insert_many(&mut all).await.unwrap();
    authors
}

#[tokio::test]
async fn population_costs_one_query_per_relation_path() {
    for backend in common::backends().await {
        for n in [1usize, 10, 1_000] {
            let db = Database::with_backend(backend.backend.clone(), format!("{}_{n}", backend.db));
            population_costs_two_queries(&db, n, backend.name).await;
            db.backend()
                .drop_database(db.name().to_owned())
                .await
                .unwrap();
        }
        backend.finish().await;
    }
}

async fn population_costs_two_queries(db: &Database, n: usize, backend: &str) {
    let authors = seed(db, n).await;
    let posts = db.collection::<Post>();
    let f = Post::fields();

    db.command_log().start();
    let loaded = posts.find(Filter::all()).populate(&f.author).await.unwrap();
    let log = db.command_log().take();
    assert_eq!(log.len(), 2, "{backend}, {n} posts: {log:?}");
    assert_eq!(loaded.len(), n);
    let loaded_ids: Vec<ObjectId> = loaded.iter().map(|p| *p.author.id()).collect();
    for post in &loaded {
        let author = post.author.get().expect("populated");
        assert_eq!(author.id, *post.author.id());
        let expected = authors.iter().find(|a| a.id == author.id).unwrap();
        assert_eq!(author.name, expected.name);
        // A reviewer is filled exactly when that author was loaded for
        // some post: loading is by document, and nothing else is fetched.
        let reviewer = &post.reviewers[0];
        assert_eq!(reviewer.is_loaded(), loaded_ids.contains(reviewer.id()));
    }
}

#[tokio::test]
async fn nested_population_costs_one_query_per_level() {
    for backend in common::backends().await {
        let db = Database::with_backend(backend.backend.clone(), backend.db.clone());
        nested_population_costs_one_query_per_level_on(&db, backend.name).await;
        backend.finish().await;
    }
}

async fn nested_population_costs_one_query_per_level_on(db: &Database, backend: &str) {
    seed(db, 50).await;
    let f = Post::fields();
    db.command_log().start();
    let loaded = db
        .collection::<Post>()
        .find(Filter::all())
        .populate_nested(&f.author, &Author::fields().company)
        .populate(&f.reviewers)
        .await
        .unwrap();
    let log = db.command_log().take();
    assert_eq!(
        log.len(),
        3,
        "{backend}: posts, authors (both paths), companies: {log:?}"
    );
    let with_company = loaded
        .iter()
        .filter_map(|p| p.author.get()?.company.as_ref()?.get())
        .count();
    assert!(with_company > 0);
    assert!(loaded
        .iter()
        .all(|p| p.reviewers.iter().all(|r| r.is_loaded())));
}

#[tokio::test]
async fn an_unpopulated_reference_never_queries_and_a_dangling_one_is_reported() {
    for backend in common::backends().await {
        let db = Database::with_backend(backend.backend.clone(), backend.db.clone());
        an_unpopulated_reference_never_queries_and_a_dangling_one_is_reported_on(&db, backend.name)
            .await;
        backend.finish().await;
    }
}

async fn an_unpopulated_reference_never_queries_and_a_dangling_one_is_reported_on(
    db: &Database,
    backend: &str,
) {
    let authors = seed(db, 3).await;
    let posts = db.collection::<Post>();

    db.command_log().start();
    let plain = posts.find(Filter::all()).all().await.unwrap();
    assert!(plain.iter().all(|p| p.author.get().is_none()));
    assert_eq!(db.command_log().take().len(), 1, "{backend}");

    let gone = authors[0].id;
    db.collection::<Author>()
        .delete_one(Filter::raw(odm::bson::doc! {"_id": gone}))
        .await
        .unwrap();
    let loaded = posts
        .find(Filter::all())
        .populate(&Post::fields().author)
        .await
        .unwrap();
    let dangling = loaded
        .iter()
        .find(|p| *p.author.id() == gone)
        .expect("a post by the deleted author");
    assert!(dangling.author.get().is_none());
    let err = dangling.author.fetch(db).await.unwrap_err();
    assert!(
        matches!(err, odm::Error::NotFound { .. }),
        "{backend}: {err}"
    );
}

#[derive(odm::Embedded, Debug, PartialEq)]
struct PostsPerAuthor {
    #[serde(rename = "_id")]
    author: String,
    posts: i32,
}

#[tokio::test]
async fn a_typed_lookup_from_a_ref_field_and_typed_aggregation_results() {
    for backend in common::backends().await {
        let db = Database::with_backend(backend.backend.clone(), backend.db.clone());
        a_typed_lookup_from_a_ref_field_and_typed_aggregation_results_on(&db, backend.name).await;
        backend.finish().await;
    }
}

async fn a_typed_lookup_from_a_ref_field_and_typed_aggregation_results_on(
    db: &Database,
    backend: &str,
) {
    use odm::aggregate::{expr, Pipeline};

    seed(db, 14).await;
    let f = Post::fields();
    // $lookup built from the Ref field: `from` is the Author collection, on `_id`.
    // What follows works on the looked-up `by`, which is not a Post field:
    // those stages are raw, and say so.
    let pipeline = Pipeline::<Post>::new()
        .lookup_ref(&f.author, "by")
        .raw(odm::bson::doc! {"$unwind": "$by"})
        .group(expr::raw("$by.name"), [("posts", expr::sum(expr::lit(1)))])
        .sort_raw(odm::bson::doc! {"_id": 1});
    assert_eq!(
        pipeline.stages()[0],
        odm::bson::doc! {"$lookup": {"from": "author", "localField": "author", "foreignField": "_id", "as": "by"}}
    );
    let rows: Vec<PostsPerAuthor> = db.collection::<Post>().aggregate(pipeline).await.unwrap();
    assert_eq!(rows.len(), 7, "{backend}");
    assert_eq!(
        rows[0],
        PostsPerAuthor {
            author: "author 0".into(),
            posts: 2
        }
    );
    assert_eq!(rows.iter().map(|r| r.posts).sum::<i32>(), 14);
}

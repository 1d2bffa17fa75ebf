//! The subset pattern on every backend: a product embeds its newest reviews
//! (`$push` with `$each`, `$sort` and `$slice`) while every review is
//! stored in its own collection. The embedded array stays bounded and newest
//! first, also under concurrent writers, and the product page is one query.

mod common;

use odm::bson::oid::ObjectId;
use odm::chrono::{DateTime, Duration, TimeZone, Utc};
use odm::{Database, Ref};

const LATEST: i32 = 5;

#[derive(odm::Embedded, Debug, Clone, PartialEq)]
struct ReviewSummary {
    review: Ref<Review>,
    stars: i32,
    at: DateTime<Utc>,
}

#[derive(odm::Document, Debug, Clone)]
struct Product {
    id: ObjectId,
    name: String,
    review_count: i64,
    latest_reviews: Vec<ReviewSummary>,
}

#[derive(odm::Document, Debug, Clone)]
struct Review {
    id: ObjectId,
    product: Ref<Product>,
    stars: i32,
    at: DateTime<Utc>,
}

async fn add_review(db: &Database, mut review: Review) {
    db.collection::<Review>()
        .insert_one(&mut review)
        .await
        .unwrap();
    let p = Product::fields();
    let summary = ReviewSummary {
        review: Ref::to(&review).unwrap(),
        stars: review.stars,
        at: review.at,
    };
    let updated = db
        .collection::<Product>()
        .update_one(
            p.id.eq(*review.product.id()),
            p.latest_reviews
                .push_each([summary])
                .sort_by(|r| r.at.desc())
                .slice(LATEST)
                .into_update()
                & p.review_count.inc(1),
        )
        .await
        .unwrap();
    assert_eq!(updated.modified_count, 1);
}

fn review(product: &Product, i: i64) -> Review {
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).single().unwrap();
    Review {
        id: ObjectId::new(),
        product: Ref::to(product).unwrap(),
        stars: (i % 5 + 1) as i32,
        at: start + Duration::minutes(i),
    }
}

async fn new_product(db: &Database) -> Product {
    let mut product = Product {
        id: ObjectId::new(),
        name: "kettle".into(),
        review_count: 0,
        latest_reviews: vec![],
    };
    db.collection::<Product>()
        .insert_one(&mut product)
        .await
        .unwrap();
    product
}

#[tokio::test]
async fn the_embedded_subset_keeps_the_newest_reviews() {
    for backend in common::backends().await {
        let db = Database::with_backend(backend.backend.clone(), backend.db.clone());
        let product = new_product(&db).await;
        for i in 0..12 {
            add_review(&db, review(&product, i)).await;
        }

        db.command_log().start();
        let page = db
            .collection::<Product>()
            .find_by_id(&product.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(db.command_log().take().len(), 1, "{}", backend.name);

        assert_eq!(page.review_count, 12, "{}", backend.name);
        let times: Vec<_> = page.latest_reviews.iter().map(|r| r.at).collect();
        let expected: Vec<_> = (7..12).rev().map(|i| review(&product, i).at).collect();
        assert_eq!(times, expected, "{}: newest first, bounded", backend.name);

        // Every review is in the referenced collection; each embedded summary
        // points at a stored review with the same stars.
        let r = Review::fields();
        let all = db
            .collection::<Review>()
            .find(r.product.eq(Ref::to(&product).unwrap()))
            .sort(r.at.desc())
            .all()
            .await
            .unwrap();
        assert_eq!(all.len(), 12, "{}", backend.name);
        for (summary, full) in page.latest_reviews.iter().zip(&all) {
            assert_eq!(summary.review.id(), &full.id, "{}", backend.name);
            assert_eq!(summary.stars, full.stars, "{}", backend.name);
        }
        backend.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reviewers_never_overflow_the_subset() {
    for backend in common::backends().await {
        let db = Database::with_backend(backend.backend.clone(), backend.db.clone());
        let product = new_product(&db).await;
        let tasks: Vec<_> = (0..4)
            .map(|t| {
                let db = db.clone();
                let product = product.clone();
                tokio::spawn(async move {
                    for i in 0..10 {
                        add_review(&db, review(&product, t * 10 + i)).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let page = db
            .collection::<Product>()
            .find_by_id(&product.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(page.review_count, 40, "{}", backend.name);
        let times: Vec<_> = page.latest_reviews.iter().map(|r| r.at).collect();
        let expected: Vec<_> = (35..40).rev().map(|i| review(&product, i).at).collect();
        assert_eq!(times, expected, "{}: the newest overall", backend.name);
        let stored = db
            .collection::<Review>()
            .count(odm::Filter::all())
            .await
            .unwrap();
        assert_eq!(stored, 40, "{}", backend.name);
        backend.finish().await;
    }
}

//! The subset pattern: a product page needs the product and its newest
//! reviews, never all of them. Each product EMBEDS its 10 latest reviews (a
//! bounded array kept by `$push` with `$each`, `$sort` and `$slice`),
//! while every review is also stored in `reviews` and REFERENCES its product.
//!
//! Reading a product page is one query whatever the number of reviews; the
//! full list is a second collection, paged through an ordinary query.
//!
//! ```sh
//! cargo run --example subset
//! ```

use odm::bson::oid::ObjectId;
use odm::chrono::{DateTime, Duration, TimeZone, Utc};
use odm::prelude::*;
use odm::{Database, Ref};

/// How many reviews a product keeps embedded.
const LATEST: i32 = 10;

/// A review as embedded in its product: what the product page shows.
#[derive(Embedded, Debug, Clone)]
struct ReviewSummary {
    review: Ref<Review>,
    stars: i32,
    excerpt: String,
    at: DateTime<Utc>,
}

/// A product, stored in `products`, with its newest reviews embedded.
#[derive(Document, Debug, Clone)]
#[odm(collection = "products")]
struct Product {
    id: Option<ObjectId>,
    name: String,
    review_count: i64,
    /// Newest first, at most [`LATEST`].
    latest_reviews: Vec<ReviewSummary>,
}

/// A review, stored in `reviews`: every one of them, however many.
#[derive(Document, Debug, Clone)]
#[odm(collection = "reviews")]
struct Review {
    id: Option<ObjectId>,
    product: Ref<Product>,
    stars: i32,
    text: String,
    at: DateTime<Utc>,
}

/// A reference to an inserted document: every document below is inserted
/// before it is referenced, so a missing id is a bug in this example.
fn to<T: odm::Document>(doc: &T) -> Ref<T> {
    Ref::to(doc).expect("inserted, so it has an id")
}

/// Store `review` and keep the product's embedded subset up to date: in one
/// update the summary is pushed, the array sorted newest first (`$sort`) and
/// cut to [`LATEST`] (`$slice`), so it never grows without bound and stays
/// right when reviews arrive out of order or from concurrent writers.
async fn add_review(db: &Database, review: &mut Review) -> odm::Result<()> {
    db.collection::<Review>().insert_one(review).await?;
    let summary = ReviewSummary {
        review: to(review),
        stars: review.stars,
        excerpt: review.text.chars().take(40).collect(),
        at: review.at,
    };
    let p = Product::fields();
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
        .await?;
    if updated.matched_count == 0 {
        return Err(odm::Error::NotFound {
            collection: "products".into(),
            what: review.product.id().to_string(),
        });
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> odm::Result<()> {
    let db = Database::from_env().await?;
    let products = db.collection::<Product>();
    let reviews = db.collection::<Review>();
    products.drop().await?;
    reviews.drop().await?;

    let mut lamp = Product {
        id: None,
        name: "Desk lamp".into(),
        review_count: 0,
        latest_reviews: vec![],
    };
    products.insert_one(&mut lamp).await?;

    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 9, 0, 0)
        .single()
        .expect("a valid date");
    for i in 0..25 {
        let mut review = Review {
            id: None,
            product: to(&lamp),
            stars: 1 + i % 5,
            text: format!("Review number {i}: bright enough, {} stars.", 1 + i % 5),
            at: start + Duration::hours(i64::from(i)),
        };
        add_review(&db, &mut review).await?;
    }

    // The product page: one query, ten newest reviews embedded.
    db.command_log().start();
    let lamp_id = lamp.id.expect("insert_one assigns the id");
    let page = products
        .find_by_id(&lamp_id)
        .await?
        .expect("the product was inserted above");
    let commands = db.command_log().take().len();
    println!(
        "{}: {} reviews, {} embedded, read in {commands} command",
        page.name,
        page.review_count,
        page.latest_reviews.len()
    );
    for r in &page.latest_reviews {
        println!(
            "  {} {}★ {}",
            r.at.format("%Y-%m-%d %H:%M"),
            r.stars,
            r.excerpt
        );
    }

    // Every review: the referenced collection, newest first, a page at a time.
    let r = Review::fields();
    let older = reviews
        .find(r.product.eq(to(&lamp)))
        .sort(r.at.desc())
        .skip(LATEST as u64)
        .limit(5)
        .all()
        .await?;
    println!("the next {} reviews come from `reviews`:", older.len());
    for r in &older {
        println!("  {} {}★", r.at.format("%Y-%m-%d %H:%M"), r.stars);
    }
    Ok(())
}

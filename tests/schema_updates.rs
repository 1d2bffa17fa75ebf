//! Typed updates are checked against the model's `validator` rules before
//! anything is sent, and bounded `$inc`/`$mul` (and `$push`/`$pop` on
//! bounded arrays) carry guards in their filters, so that no interleaving
//! of updates can cross a bound.

mod common;

use odm::bson::doc;
use odm::collection::BulkOp;
use odm::error::ValidationErrors;
use odm::{Database, Document, Embedded, Error, Filter, Update};
use validator::Validate;

#[derive(Debug, Clone, PartialEq, Embedded, Validate)]
struct Line {
    #[validate(length(min = 1))]
    sku: String,
    #[validate(range(min = 1, max = 99))]
    qty: i32,
}

#[derive(Debug, Clone, Document, Validate)]
#[odm(collection = "schema_stock", validate)]
struct Stock {
    id: i64,
    #[validate(length(min = 2))]
    name: String,
    #[validate(range(min = 0, max = 100))]
    count: i64,
    #[validate(range(min = 0.5, max = 8.0))]
    ratio: f64,
    #[validate(length(min = 1, max = 3))]
    tags: Vec<String>,
    #[validate(nested)]
    lines: Vec<Line>,
    #[validate(email)]
    contact: Option<String>,
}

/// The same shape without `#[odm(validate)]`: no rules apply.
#[derive(Debug, Clone, Document, Validate)]
#[odm(collection = "schema_stock")]
struct Loose {
    id: i64,
    #[validate(range(min = 0, max = 100))]
    count: i64,
}

fn stock(id: i64, count: i64) -> Stock {
    Stock {
        id,
        name: "bolts".into(),
        count,
        ratio: 1.0,
        tags: vec!["metal".into()],
        lines: vec![Line {
            sku: "B-1".into(),
            qty: 2,
        }],
        contact: None,
    }
}

fn validation(e: Error) -> ValidationErrors {
    match e {
        Error::Validation { errors, .. } => errors,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn setup(count: i64) -> (common::TestBackend, odm::Collection<Stock>) {
    setup_on(common::memory(), count).await
}

async fn setup_on(
    tb: common::TestBackend,
    count: i64,
) -> (common::TestBackend, odm::Collection<Stock>) {
    let db = Database::with_backend(tb.backend.clone(), tb.db.as_str());
    let coll = db.collection::<Stock>();
    coll.insert_one(&mut stock(1, count)).await.unwrap();
    (tb, coll)
}

async fn count_of(coll: &odm::Collection<Stock>, id: i64) -> i64 {
    coll.find_by_id(&id).await.unwrap().unwrap().count
}

#[tokio::test]
async fn a_set_out_of_range_fails_before_anything_is_sent() {
    let (tb, coll) = setup(5).await;
    let f = Stock::fields();
    tb.backend.command_log().start();
    let e = coll
        .update_one(f.id.eq(1), f.count.set(-5) & f.name.set("x".to_owned()))
        .await
        .unwrap_err();
    assert!(
        tb.backend.command_log().take().is_empty(),
        "nothing was sent"
    );
    let errors = validation(e);
    let count = errors.for_path("count").next().expect("count reported");
    assert_eq!(count.code, "range");
    assert!(count.message.contains("at least 0"), "{}", count.message);
    assert_eq!(errors.for_path("name").next().unwrap().code, "length");
    assert_eq!(count_of(&coll, 1).await, 5);

    let e = coll
        .update_one(f.id.eq(1), f.contact.set(Some("nope".to_owned())))
        .await
        .unwrap_err();
    assert_eq!(validation(e).fields[0].code, "email");
    coll.update_one(f.id.eq(1), f.contact.set(Some("a@b.example".to_owned())))
        .await
        .unwrap();
}

#[tokio::test]
async fn pushed_elements_are_validated_as_elements() {
    let (_tb, coll) = setup(5).await;
    let f = Stock::fields();
    let bad = Line {
        sku: String::new(),
        qty: 0,
    };
    let e = coll
        .update_one(f.id.eq(1), f.lines.push(bad))
        .await
        .unwrap_err();
    let mut got: Vec<_> = validation(e).fields.into_iter().map(|e| e.path).collect();
    got.sort();
    assert_eq!(got, ["lines.$.qty", "lines.$.sku"]);

    let good = Line {
        sku: "N-2".into(),
        qty: 3,
    };
    coll.update_one(f.id.eq(1), f.lines.push(good))
        .await
        .unwrap();
    // A positional set of an element's field is checked at that field.
    let e = coll
        .update_one(
            f.lines.elem_match(|l| l.qty.eq(3)),
            f.lines.matched().qty.set(100),
        )
        .await
        .unwrap_err();
    assert_eq!(validation(e).fields[0].path, "lines.$.qty");
}

#[tokio::test]
async fn a_decrement_that_would_cross_the_minimum_is_refused() {
    for tb in common::backends().await {
        let (tb, coll) = setup_on(tb, 15).await;
        let name = tb.name;
        let f = Stock::fields();
        let r = coll.update_one(f.id.eq(1), f.count.inc(-10)).await.unwrap();
        assert_eq!(r.modified_count, 1, "[{name}]");
        assert_eq!(count_of(&coll, 1).await, 5);

        let e = coll
            .update_one(f.id.eq(1), f.count.inc(-10))
            .await
            .unwrap_err();
        let errors = validation(e);
        assert_eq!(errors.fields[0].path, "count", "[{name}]");
        assert!(
            errors.fields[0].message.contains("below 0"),
            "[{name}] {errors}"
        );
        assert_eq!(
            count_of(&coll, 1).await,
            5,
            "[{name}] the refused update changed nothing"
        );

        // A filter that matches nothing is not a refusal.
        let r = coll.update_one(f.id.eq(2), f.count.inc(-10)).await.unwrap();
        assert_eq!(r.matched_count, 0, "[{name}]");

        // Increments are guarded by the maximum.
        assert!(
            coll.update_one(f.id.eq(1), f.count.inc(96)).await.is_err(),
            "[{name}]"
        );
        coll.update_one(f.id.eq(1), f.count.inc(95)).await.unwrap();
        assert_eq!(count_of(&coll, 1).await, 100, "[{name}]");
        tb.finish().await;
    }
}

#[tokio::test]
async fn concurrent_decrements_never_cross_the_bound() {
    let (_tb, coll) = setup(10).await;
    let tasks: Vec<_> = (0..25)
        .map(|_| {
            let coll = coll.clone();
            tokio::spawn(async move {
                let f = Stock::fields();
                coll.update_one(f.id.eq(1), f.count.inc(-1)).await
            })
        })
        .collect();
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => {
                assert_eq!(r.modified_count, 1);
                ok += 1;
            }
            Err(Error::Validation { .. }) => refused += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!((ok, refused), (10, 15));
    assert_eq!(count_of(&coll, 1).await, 0);
}

#[tokio::test]
async fn multiplication_is_guarded() {
    let (_tb, coll) = setup(30).await;
    let f = Stock::fields();
    assert!(coll.update_one(f.id.eq(1), f.count.mul(4)).await.is_err());
    coll.update_one(f.id.eq(1), f.count.mul(3)).await.unwrap();
    assert_eq!(count_of(&coll, 1).await, 90);
    // Floats: 1.0 * 0.25 would go below 0.5.
    let e = coll
        .update_one(f.id.eq(1), f.ratio.mul(0.25))
        .await
        .unwrap_err();
    assert_eq!(validation(e).fields[0].path, "ratio");
    // By zero: checked at once, nothing stored could make it valid.
    let e = coll
        .update_one(f.id.eq(1), f.ratio.mul(0.0))
        .await
        .unwrap_err();
    assert_eq!(validation(e).fields[0].code, "range");
}

#[tokio::test]
async fn update_many_reports_the_documents_it_refused() {
    let (_tb, coll) = setup(3).await;
    coll.insert_one(&mut stock(2, 50)).await.unwrap();
    coll.insert_one(&mut stock(3, 60)).await.unwrap();
    let f = Stock::fields();
    let e = coll
        .update_many(Filter::all(), f.count.inc(-10))
        .await
        .unwrap_err();
    let message = validation(e).to_string();
    assert!(message.contains("refused for 1"), "{message}");
    assert!(message.contains("2 updated"), "{message}");
    assert_eq!(count_of(&coll, 1).await, 3);
    assert_eq!(count_of(&coll, 2).await, 40);
    assert_eq!(count_of(&coll, 3).await, 50);
}

#[tokio::test]
async fn find_one_and_update_is_guarded() {
    let (_tb, coll) = setup(4).await;
    let f = Stock::fields();
    let e = coll
        .find_one_and_update(f.id.eq(1), f.count.inc(-5))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Validation { .. }), "{e:?}");
    let before = coll
        .find_one_and_update(f.id.eq(1), f.count.inc(-4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.count, 4);
    assert_eq!(count_of(&coll, 1).await, 0);
    assert!(coll
        .find_one_and_update(f.id.eq(9), f.count.inc(-4))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn array_lengths_are_guarded() {
    let (_tb, coll) = setup(4).await;
    let f = Stock::fields();
    coll.update_one(f.id.eq(1), f.tags.push("a".to_owned()))
        .await
        .unwrap();
    coll.update_one(f.id.eq(1), f.tags.push("b".to_owned()))
        .await
        .unwrap();
    let e = coll
        .update_one(f.id.eq(1), f.tags.push("c".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(validation(e).fields[0].path, "tags");
    // Adding an element already there changes nothing, so it passes.
    coll.update_one(f.id.eq(1), f.tags.add_to_set("a".to_owned()))
        .await
        .unwrap();
    assert!(coll
        .update_one(f.id.eq(1), f.tags.add_to_set("z".to_owned()))
        .await
        .is_err());
    // Popping down to the minimum is fine, below it is refused.
    coll.update_one(f.id.eq(1), f.tags.pop_last())
        .await
        .unwrap();
    coll.update_one(f.id.eq(1), f.tags.pop_last())
        .await
        .unwrap();
    assert!(coll
        .update_one(f.id.eq(1), f.tags.pop_last())
        .await
        .is_err());
    let tags = coll.find_by_id(&1).await.unwrap().unwrap().tags;
    assert_eq!(tags, ["metal"]);
}

#[tokio::test]
async fn bulk_updates_are_checked_and_guarded() {
    let (_tb, coll) = setup(5).await;
    let f = Stock::fields();
    let e = coll
        .bulk_write(vec![
            BulkOp::update_one(f.id.eq(1), f.count.inc(1)),
            BulkOp::update_one(f.id.eq(1), f.count.set(500)),
        ])
        .await
        .unwrap_err();
    assert_eq!(validation(e).fields[0].path, "count");
    assert_eq!(count_of(&coll, 1).await, 5, "the batch was refused whole");

    let r = coll
        .bulk_write(vec![
            BulkOp::update_one(f.id.eq(1), f.count.inc(-3)),
            BulkOp::update_one(f.id.eq(1), f.count.inc(-3)),
        ])
        .await
        .unwrap();
    assert_eq!(r.modified_count, 1, "the second decrement was kept out");
    assert_eq!(count_of(&coll, 1).await, 2);
}

#[tokio::test]
async fn raw_updates_are_not_checked() {
    let (tb, coll) = setup(5).await;
    let f = Stock::fields();
    coll.update_one(f.id.eq(1), Update::raw(doc! {"$set": {"count": -5}}))
        .await
        .unwrap();
    assert_eq!(count_of(&coll, 1).await, -5);
    drop(tb);
}

#[tokio::test]
async fn models_without_validate_have_no_rules() {
    assert!(Loose::field_rules().is_empty());
    assert!(!Stock::field_rules().is_empty());
    let paths: Vec<_> = Stock::field_rules()
        .iter()
        .map(|r| r.path.as_str())
        .collect();
    assert!(paths.contains(&"lines.$[].qty"), "{paths:?}");
    let (tb, _coll) = setup(5).await;
    let db = Database::with_backend(tb.backend.clone(), tb.db.as_str());
    let loose = db.collection::<Loose>();
    let l = Loose::fields();
    loose.update_one(l.id.eq(1), l.count.set(-7)).await.unwrap();
    loose
        .update_one(l.id.eq(1), l.count.inc(-100))
        .await
        .unwrap();
    assert_eq!(loose.find_by_id(&1).await.unwrap().unwrap().count, -107);
}

#[tokio::test]
async fn every_element_decrement_is_guarded_for_each_element() {
    let (_tb, coll) = setup(5).await;
    let f = Stock::fields();
    let more = Line {
        sku: "N-3".into(),
        qty: 3,
    };
    coll.update_one(f.id.eq(1), f.lines.push(more))
        .await
        .unwrap();
    // Quantities 2 and 3: one step down is fine, a second would take the
    // first line to 0.
    coll.update_one(f.id.eq(1), f.lines.each().qty.inc(-1))
        .await
        .unwrap();
    let e = coll
        .update_one(f.id.eq(1), f.lines.each().qty.inc(-1))
        .await
        .unwrap_err();
    assert_eq!(validation(e).fields[0].path, "lines.$[].qty");
    let lines = coll.find_by_id(&1).await.unwrap().unwrap().lines;
    let qty: Vec<i32> = lines.iter().map(|l| l.qty).collect();
    assert_eq!(qty, [1, 2]);
}

//! `#[odm(validate)]`: `validator` runs through `Document::validate`, and
//! nested failures come out with full dotted paths.

use odm::error::ValidationErrors;
use odm::{Document, Embedded};
use validator::Validate;

#[derive(Debug, Embedded, Validate)]
struct Address {
    #[validate(length(min = 5, max = 5))]
    zip: String,
}

#[derive(Debug, Embedded, Validate)]
struct Item {
    #[validate(range(min = 1))]
    qty: i32,
}

#[derive(Debug, Document, Validate)]
#[odm(validate)]
struct Customer {
    id: i64,
    #[validate(email)]
    email: String,
    #[validate(nested)]
    address: Address,
    #[validate(nested)]
    items: Vec<Item>,
}

#[derive(Debug, Document, Validate)]
struct Unchecked {
    id: i64,
    #[validate(email)]
    email: String,
}

fn customer() -> Customer {
    Customer {
        id: 1,
        email: "ann@example.com".into(),
        address: Address {
            zip: "12345".into(),
        },
        items: vec![Item { qty: 1 }, Item { qty: 2 }],
    }
}

fn paths(errors: &ValidationErrors) -> Vec<&str> {
    errors.fields.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn a_valid_document_passes() {
    assert_eq!(Document::validate(&customer()), Ok(()));
}

#[test]
fn nested_failures_have_full_paths() {
    let mut c = customer();
    c.email = "not an email".into();
    c.address.zip = "1".into();
    c.items[1].qty = 0;
    let errors = Document::validate(&c).unwrap_err();
    let mut got = paths(&errors);
    got.sort_unstable();
    assert_eq!(got, ["address.zip", "email", "items.1.qty"]);
    let zip = errors.for_path("address.zip").next().unwrap();
    assert_eq!(zip.code, "length");
    let qty = errors.for_path("items.1.qty").next().unwrap();
    assert_eq!(qty.code, "range");
    assert!(qty.message.contains("min = 1"), "{}", qty.message);
}

#[test]
fn without_the_attribute_validation_does_not_run() {
    let u = Unchecked {
        id: 1,
        email: "nope".into(),
    };
    assert_eq!(Document::validate(&u), Ok(()));
    assert!(Validate::validate(&u).is_err(), "the rule itself does fail");
}

#[derive(Debug, Embedded, Validate)]
#[serde(rename_all = "camelCase")]
struct Line {
    #[validate(range(min = 1))]
    unit_count: i32,
}

#[derive(Debug, Embedded, Validate)]
struct Shipping {
    #[odm(rename = "postcode")]
    #[validate(length(min = 3))]
    zip_code: String,
}

#[derive(Debug, Document, Validate)]
#[odm(validate)]
#[serde(rename_all = "camelCase")]
struct Order {
    #[validate(range(min = 1))]
    id: i64,
    #[validate(nested)]
    ship_to: Shipping,
    #[validate(nested)]
    order_lines: Vec<Line>,
    #[validate(nested)]
    gift_to: Option<Shipping>,
    #[validate(length(min = 1))]
    tags: Vec<String>,
}

#[test]
fn paths_are_stored_paths_under_renames() {
    let order = Order {
        id: 0,
        ship_to: Shipping {
            zip_code: "1".into(),
        },
        order_lines: vec![Line { unit_count: 1 }, Line { unit_count: 0 }],
        gift_to: Some(Shipping {
            zip_code: "2".into(),
        }),
        tags: vec![],
    };
    let errors = Document::validate(&order).unwrap_err();
    let mut got = paths(&errors);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "_id",
            "giftTo.postcode",
            "orderLines.1.unitCount",
            "shipTo.postcode",
            "tags"
        ]
    );
}

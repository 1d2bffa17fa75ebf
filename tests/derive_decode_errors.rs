//! Documents that drifted from the model: every decode error names the full
//! path of the culprit, what the model expected and what was found.

use odm::bson::{self, rawdoc};
use odm::error::DecodeErrorKind;
use odm::{Document, Embedded};

#[derive(Debug, PartialEq, Embedded)]
struct Address {
    street: String,
    zip: i32,
}

#[derive(Debug, PartialEq, Embedded)]
struct Line {
    sku: String,
    qty: u32,
}

#[derive(Debug, PartialEq, Embedded)]
struct Shipping {
    to: Address,
    lines: Vec<Line>,
}

#[derive(Debug, PartialEq, Document)]
struct Order {
    id: i64,
    customer: String,
    address: Address,
    items: Vec<Line>,
    shipping: Option<Shipping>,
}

fn good() -> bson::RawDocumentBuf {
    rawdoc! {
        "_id": 1_i64,
        "customer": "ann",
        "address": { "street": "Main", "zip": 12345 },
        "items": [ { "sku": "a", "qty": 1 }, { "sku": "b", "qty": 2 }, { "sku": "c", "qty": 3 } ],
    }
}

#[test]
fn the_good_document_decodes() {
    let order = Order::from_document(&good()).unwrap();
    assert_eq!(order.items.len(), 3);
    assert_eq!(order.shipping, None);
}

#[test]
fn wrong_type_in_a_sub_document() {
    let mut doc = bson::Document::try_from(good().as_ref()).unwrap();
    doc.insert("address", bson::doc! { "street": "Main", "zip": "12345" });
    let raw = bson::RawDocumentBuf::try_from(&doc).unwrap();
    let err = Order::from_document(&raw).unwrap_err();
    assert_eq!(err.path, "address.zip");
    assert_eq!(
        err.kind,
        DecodeErrorKind::WrongType {
            expected: "int",
            found: "string"
        }
    );
    assert_eq!(
        err.to_string(),
        "field `address.zip`: expected int, found string"
    );
}

#[test]
fn a_sub_document_that_is_not_a_document() {
    let mut doc = bson::Document::try_from(good().as_ref()).unwrap();
    doc.insert("address", "Main street");
    let raw = bson::RawDocumentBuf::try_from(&doc).unwrap();
    let err = Order::from_document(&raw).unwrap_err();
    assert_eq!(err.path, "address");
    assert_eq!(
        err.kind,
        DecodeErrorKind::WrongType {
            expected: "object",
            found: "string"
        }
    );
}

#[test]
fn missing_required_fields() {
    let doc = rawdoc! { "_id": 1_i64, "address": { "street": "Main", "zip": 1 }, "items": [] };
    let err = Order::from_document(&doc).unwrap_err();
    assert_eq!(err.path, "customer");
    assert_eq!(err.kind, DecodeErrorKind::Missing { expected: "string" });

    let doc =
        rawdoc! { "_id": 1_i64, "customer": "c", "address": { "street": "Main" }, "items": [] };
    let err = Order::from_document(&doc).unwrap_err();
    assert_eq!(err.path, "address.zip");
    assert_eq!(err.kind, DecodeErrorKind::Missing { expected: "int" });
}

#[test]
fn wrong_type_in_an_array_element() {
    let mut doc = bson::Document::try_from(good().as_ref()).unwrap();
    doc.insert(
        "items",
        bson::bson!([ { "sku": "a", "qty": 1 }, { "sku": "b", "qty": 2 }, { "sku": "c", "qty": true } ]),
    );
    let raw = bson::RawDocumentBuf::try_from(&doc).unwrap();
    let err = Order::from_document(&raw).unwrap_err();
    assert_eq!(err.path, "items.2.qty");
    assert_eq!(
        err.kind,
        DecodeErrorKind::WrongType {
            expected: "long",
            found: "bool"
        }
    );
}

#[test]
fn out_of_range_value() {
    let mut doc = bson::Document::try_from(good().as_ref()).unwrap();
    doc.insert("items", bson::bson!([ { "sku": "a", "qty": -1 } ]));
    let raw = bson::RawDocumentBuf::try_from(&doc).unwrap();
    let err = Order::from_document(&raw).unwrap_err();
    assert_eq!(err.path, "items.0.qty");
    assert!(matches!(err.kind, DecodeErrorKind::Invalid(_)), "{err:?}");
}

#[test]
fn deep_paths() {
    let mut doc = bson::Document::try_from(good().as_ref()).unwrap();
    doc.insert(
        "shipping",
        bson::doc! {
            "to": { "street": "Elm", "zip": 2 },
            "lines": [ { "sku": "x", "qty": 1 }, { "sku": 5, "qty": 1 } ],
        },
    );
    let raw = bson::RawDocumentBuf::try_from(&doc).unwrap();
    let err = Order::from_document(&raw).unwrap_err();
    assert_eq!(err.path, "shipping.lines.1.sku");
    assert_eq!(
        err.kind,
        DecodeErrorKind::WrongType {
            expected: "string",
            found: "int"
        }
    );

    // null is `None` for an optional sub-document.
    doc.insert("shipping", bson::Bson::Null);
    let raw = bson::RawDocumentBuf::try_from(&doc).unwrap();
    assert_eq!(Order::from_document(&raw).unwrap().shipping, None);
}

#[test]
fn wrong_id_type() {
    let mut doc = bson::Document::try_from(good().as_ref()).unwrap();
    doc.insert("_id", "one");
    let raw = bson::RawDocumentBuf::try_from(&doc).unwrap();
    let err = Order::from_document(&raw).unwrap_err();
    assert_eq!(err.path, "_id");
    assert_eq!(
        err.kind,
        DecodeErrorKind::WrongType {
            expected: "long",
            found: "string"
        }
    );
}

#[derive(Debug, Embedded)]
struct Counter {
    hits: u64,
}

#[derive(Debug, Document)]
struct Stats {
    id: i64,
    counters: Vec<Counter>,
}

#[test]
fn encode_errors_carry_the_path_too() {
    let stats = Stats {
        id: 1,
        counters: vec![Counter { hits: 1 }, Counter { hits: u64::MAX }],
    };
    let err = stats.to_document().unwrap_err();
    assert_eq!(err.path, "counters.1.hits");
    assert!(err.message.contains("does not fit"), "{}", err.message);
}

//! Random bytes decoded into a derived model with every kind of field.
//!
//! Never panics; whatever decodes encodes again, and that encoding decodes
//! to the same bytes (encode ∘ decode is stable).
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use odm::bson::oid::ObjectId;
use odm::bson::RawDocument;
use odm::chrono::{DateTime, NaiveDate, Utc};
use odm::{Document, Embedded};

#[derive(Debug, Clone, Copy, PartialEq, Embedded)]
enum Status {
    Active,
    #[odm(rename = "gone")]
    Gone,
}

#[derive(Debug, Clone, PartialEq, Embedded)]
struct Item {
    sku: String,
    qty: u32,
    tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Embedded)]
#[odm(deny_unknown_fields)]
struct Address {
    city: String,
    zip: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Document)]
struct Model {
    id: ObjectId,
    name: String,
    age: i32,
    big: u64,
    score: Option<f64>,
    flags: Vec<bool>,
    items: Vec<Item>,
    address: Option<Address>,
    // A `BTreeMap`: a `HashMap` re-encodes in a random order, so the
    // byte-for-byte property below would fail without a bug.
    attrs: BTreeMap<String, i64>,
    born: NaiveDate,
    at: DateTime<Utc>,
    status: Status,
    blob: Vec<u8>,
    extra: odm::bson::Document,
    any: odm::bson::Bson,
    #[odm(default)]
    nested: Vec<Vec<Option<i16>>>,
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = RawDocument::from_bytes(data) else {
        return;
    };
    let Ok(model) = Model::from_document(raw) else {
        return;
    };
    let encoded = model.to_document().expect("a decoded model encodes again");
    let again = Model::from_document(&encoded).expect("an encoded model decodes");
    let reencoded = again.to_document().expect("encodes");
    assert_eq!(encoded.as_bytes(), reencoded.as_bytes());
});

//! `Model::json_schema()` from field types and `validator` attributes, and
//! `sync_schema` installing it so the server (the engine, or the driver
//! over the wire server) refuses raw writes that break it.

mod common;

use std::sync::LazyLock;

use odm::bson::{doc, oid::ObjectId, Bson, Document as BsonDocument};
use odm::collection::{ValidationAction, ValidationLevel};
use odm::{Database, Document, Embedded, Ref};
use validator::Validate;

static SKU: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new("^[A-Z]{3}-[0-9]+$").unwrap());

const MAX_TAGS: u64 = 4;

#[derive(Debug, Clone, PartialEq, Embedded, Validate)]
#[odm(deny_unknown_fields)]
struct Address {
    #[validate(length(equal = 5))]
    zip: String,
    city: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Embedded)]
#[serde(rename_all = "snake_case")]
enum Tier {
    Free,
    PaidPlus,
}

#[derive(Debug, Clone, Document, Validate)]
#[odm(collection = "schema_owners")]
struct Owner {
    id: i64,
}

#[derive(Debug, Clone, Document, Validate)]
#[odm(collection = "schema_products", validate)]
struct Product {
    id: Option<ObjectId>,
    #[validate(length(min = 2, max = 40))]
    name: String,
    #[validate(range(min = 0, max = 1000))]
    stock: i32,
    #[validate(range(exclusive_min = 0.0))]
    price: f64,
    #[validate(regex(path = *SKU))]
    #[serde(rename = "sku")]
    code: String,
    #[validate(email)]
    contact: Option<String>,
    #[validate(length(max = MAX_TAGS))]
    tags: Vec<String>,
    #[validate(nested)]
    address: Address,
    tier: Tier,
    owner: Option<Ref<Owner>>,
    born: chrono::NaiveDate,
    #[serde(default)]
    views: u64,
    raw: Vec<u8>,
}

fn schema() -> BsonDocument {
    Product::json_schema()
}

fn property(name: &str) -> BsonDocument {
    schema()
        .get_document("properties")
        .unwrap()
        .get_document(name)
        .unwrap()
        .clone()
}

fn required() -> Vec<String> {
    schema()
        .get_array("required")
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn types_follow_the_fields() {
    let s = schema();
    assert_eq!(s.get_str("bsonType").unwrap(), "object");
    assert!(
        !s.contains_key("additionalProperties"),
        "the model ignores unknown fields"
    );
    assert_eq!(property("_id"), doc! {"bsonType": "objectId"});
    assert_eq!(property("born"), doc! {"bsonType": "date"});
    assert_eq!(property("raw"), doc! {"bsonType": "binData"});
    assert_eq!(property("views"), doc! {"bsonType": ["int", "long"]});
    assert_eq!(
        property("owner"),
        doc! {"bsonType": ["int", "long", "null"]}
    );
    assert_eq!(
        property("tier"),
        doc! {"bsonType": "string", "enum": ["free", "paid_plus"]}
    );
}

#[test]
fn required_means_not_optional_and_no_default() {
    let got = required();
    for key in [
        "_id", "name", "stock", "price", "sku", "tags", "address", "tier", "born", "raw",
    ] {
        assert!(
            got.contains(&key.to_owned()),
            "{key} should be required: {got:?}"
        );
    }
    for key in ["contact", "owner", "views", "code"] {
        assert!(
            !got.contains(&key.to_owned()),
            "{key} should not be required: {got:?}"
        );
    }
}

#[test]
fn validator_attributes_become_keywords() {
    assert_eq!(
        property("name"),
        doc! {"bsonType": "string", "minLength": 2_i64, "maxLength": 40_i64}
    );
    assert_eq!(
        property("stock"),
        doc! {"bsonType": "int", "minimum": 0_i64, "maximum": 1000_i64}
    );
    let price = property("price");
    assert_eq!(price.get_f64("minimum").unwrap(), 0.0);
    assert!(price.get_bool("exclusiveMinimum").unwrap());
    assert_eq!(
        property("sku").get_str("pattern").unwrap(),
        "^[A-Z]{3}-[0-9]+$"
    );
    assert_eq!(property("tags").get_i64("maxItems").unwrap(), 4);
    // `email` is enforced client-side only.
    assert_eq!(property("contact"), doc! {"bsonType": ["string", "null"]});
}

#[test]
fn embedded_structs_nest_with_their_own_rules() {
    let address = property("address");
    assert_eq!(address.get_str("bsonType").unwrap(), "object");
    assert_eq!(
        address.get_array("required").unwrap(),
        &vec![Bson::from("zip")]
    );
    assert!(!address.get_bool("additionalProperties").unwrap());
    let zip = address
        .get_document("properties")
        .unwrap()
        .get_document("zip")
        .unwrap();
    assert_eq!(
        zip,
        &doc! {"bsonType": "string", "minLength": 5_i64, "maxLength": 5_i64}
    );
}

/// The server's code for a raw write: a one-write bulk failure carries it
/// in its write error.
fn code(e: &odm::Error) -> Option<i32> {
    match e {
        odm::Error::BulkWrite { failure, .. } => failure.write_errors.first().map(|w| w.code),
        other => other.code(),
    }
}

fn product() -> Product {
    Product {
        id: None,
        name: "Lamp".into(),
        stock: 3,
        price: 9.5,
        code: "LMP-1".into(),
        contact: None,
        tags: vec!["home".into()],
        address: Address {
            zip: "75001".into(),
            city: Some("Paris".into()),
        },
        tier: Tier::Free,
        owner: None,
        born: chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
        views: 0,
        raw: vec![1, 2],
    }
}

#[tokio::test]
async fn sync_schema_makes_the_server_refuse_bad_raw_writes() {
    for tb in common::backends().await {
        let db = Database::with_backend(tb.backend.clone(), tb.db.as_str());
        let products = db.collection::<Product>();
        // First `create`, then (the collection exists) `collMod`.
        products.sync_schema().await.unwrap();
        products
            .sync_schema()
            .level(ValidationLevel::Strict)
            .action(ValidationAction::Error)
            .await
            .unwrap();
        let mut good = product();
        products.insert_one(&mut good).await.unwrap();

        let ns = tb.ns(Product::COLLECTION);
        let mut raw = doc! {
            "name": "Desk", "stock": -1, "price": 5.0, "sku": "DSK-2", "tags": [],
            "address": {"zip": "12345"}, "tier": "free", "born": odm::bson::DateTime::now(),
            "raw": odm::bson::Binary { subtype: odm::bson::spec::BinarySubtype::Generic, bytes: vec![] },
        };
        let err = tb
            .backend
            .insert(
                ns.clone(),
                vec![odm::bson::RawDocumentBuf::try_from(&raw).unwrap()],
                Default::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(code(&err), Some(121), "[{}] {err:?}", tb.name);
        assert!(
            format!("{err:?}").contains("DocumentValidationFailure"),
            "[{}] {err:?}",
            tb.name
        );

        // The same document within the bounds is accepted.
        raw.insert("stock", 1);
        tb.backend
            .insert(
                ns.clone(),
                vec![odm::bson::RawDocumentBuf::try_from(&raw).unwrap()],
                Default::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("[{}] {e:?}", tb.name));

        // An unknown key inside the embedded struct is refused.
        raw.insert("address", doc! {"zip": "12345", "floor": 2});
        raw.insert("sku", "DSK-3");
        let err = tb
            .backend
            .insert(
                ns.clone(),
                vec![odm::bson::RawDocumentBuf::try_from(&raw).unwrap()],
                Default::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(code(&err), Some(121), "[{}] {err:?}", tb.name);

        // A raw update breaking the pattern is refused too.
        let err = tb
            .backend
            .update(
                ns.clone(),
                doc! {},
                odm::backend::UpdateModification::Document(doc! {"$set": {"sku": "lower-1"}}),
                Default::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(code(&err), Some(121), "[{}] {err:?}", tb.name);
        tb.finish().await;
    }
}

#[tokio::test]
async fn warn_lets_invalid_writes_through() {
    let tb = common::memory();
    let db = Database::with_backend(tb.backend.clone(), tb.db.as_str());
    let products = db.collection::<Product>();
    products
        .sync_schema()
        .action(ValidationAction::Warn)
        .level(ValidationLevel::Moderate)
        .await
        .unwrap();
    let ns = tb.ns(Product::COLLECTION);
    tb.backend
        .insert(
            ns,
            vec![odm::bson::RawDocumentBuf::try_from(&doc! {"stock": -5}).unwrap()],
            Default::default(),
        )
        .await
        .unwrap();
    let info = tb.backend.list_collections(tb.db.clone()).await.unwrap();
    let options = &info
        .iter()
        .find(|c| c.name == Product::COLLECTION)
        .unwrap()
        .options;
    assert_eq!(options.validation_action.as_deref(), Some("warn"));
    assert_eq!(options.validation_level.as_deref(), Some("moderate"));
}

#[allow(dead_code)]
#[derive(Debug, Document)]
#[odm(collection = "schema_containers", deny_unknown_fields)]
struct Containers {
    id: String,
    home: Option<Address>,
    scores: std::collections::BTreeMap<String, i32>,
    tiers: Vec<Tier>,
    #[odm(serde)]
    extra: Option<Vec<(i32, i32)>>,
    #[odm(skip)]
    cache: u8,
}

#[test]
fn containers_optional_objects_and_opaque_fields() {
    let s = Containers::json_schema();
    assert!(!s.get_bool("additionalProperties").unwrap());
    let props = s.get_document("properties").unwrap();
    assert_eq!(
        props.get_document("_id").unwrap(),
        &doc! {"bsonType": "string"}
    );
    let home = props.get_document("home").unwrap();
    assert_eq!(
        home.get_array("bsonType").unwrap(),
        &vec![Bson::from("object"), Bson::from("null")]
    );
    assert!(home.get_document("properties").unwrap().contains_key("zip"));
    assert_eq!(
        props.get_document("scores").unwrap(),
        &doc! {"bsonType": "object", "additionalProperties": {"bsonType": "int"}}
    );
    assert_eq!(
        props.get_document("tiers").unwrap(),
        &doc! {"bsonType": "array", "items": {"bsonType": "string", "enum": ["free", "paid_plus"]}}
    );
    // Stored through serde: odm cannot tell its shape.
    assert_eq!(props.get_document("extra").unwrap(), &doc! {});
    assert!(
        !props.contains_key("cache"),
        "skipped fields are not stored"
    );
    let required: Vec<&str> = s
        .get_array("required")
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    assert_eq!(required, ["_id", "scores", "tiers"]);
}

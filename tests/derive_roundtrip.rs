//! `#[derive(Document)]` / `#[derive(Embedded)]`: every supported field type
//! survives encode → decode, and the stored BSON has the documented shape.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use odm::bson::oid::ObjectId;
use odm::bson::raw::{RawBsonRef, RawDocument};
use odm::bson::spec::BinarySubtype;
use odm::bson::{self, Binary, Decimal128};
use odm::error::DecodeErrorKind;
use odm::{Document, Embedded};

#[derive(Debug, Clone, PartialEq, Embedded)]
pub struct Geo {
    lat: f64,
    lng: f64,
}

#[derive(Debug, Clone, PartialEq, Embedded)]
pub struct City {
    name: String,
    geo: Geo,
}

#[derive(Debug, Clone, PartialEq, Embedded)]
pub struct Address {
    street: String,
    city: City,
    zip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Embedded)]
pub struct Item {
    sku: String,
    qty: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Embedded, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    InStock,
    SoldOut,
    #[serde(rename = "gone-for-good", alias = "discontinued")]
    Gone,
}

#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "everything")]
pub struct Everything {
    i8_: i8,
    i16_: i16,
    i32_: i32,
    i64_: i64,
    u8_: u8,
    u16_: u16,
    u32_: u32,
    u64_: u64,
    usize_: usize,
    f32_: f32,
    f64_: f64,
    flag: bool,
    text: String,
    oid: ObjectId,
    bdate: bson::DateTime,
    dec: Decimal128,
    bin: Binary,
    uuid: uuid::Uuid,
    bytes: Vec<u8>,
    day: NaiveDate,
    maybe_day: Option<NaiveDate>,
    no_day: Option<NaiveDate>,
    local: NaiveDateTime,
    utc: DateTime<Utc>,
    fixed: DateTime<FixedOffset>,
    stamps: Vec<DateTime<Utc>>,
    counts: HashMap<String, i32>,
    labels: BTreeMap<String, String>,
    boxed: Box<i64>,
    any: bson::Bson,
    raw_doc: bson::Document,
    address: Address,
    previous: Option<Address>,
    items: Vec<Item>,
    status: Status,
    statuses: Vec<Status>,
    nested: Vec<Vec<i64>>,
    // Declared last on purpose: `_id` is still written first.
    #[odm(id)]
    key: uuid::Uuid,
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn everything() -> Everything {
    let fixed = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
    Everything {
        i8_: -8,
        i16_: -1600,
        i32_: i32::MIN,
        i64_: i64::MAX,
        u8_: 255,
        u16_: 65535,
        u32_: u32::MAX,
        u64_: i64::MAX as u64,
        usize_: 12,
        f32_: 1.5,
        f64_: -0.25,
        flag: true,
        text: "héllo".into(),
        oid: ObjectId::parse_str("64b7f0c2a1b2c3d4e5f60718").unwrap(),
        bdate: bson::DateTime::from_millis(1_700_000_000_123),
        dec: "12.50".parse().unwrap(),
        bin: Binary {
            subtype: BinarySubtype::UserDefined(0x80),
            bytes: vec![1, 2, 3],
        },
        uuid: uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
        bytes: vec![0, 1, 254, 255],
        day: day(1969, 7, 20),
        maybe_day: Some(day(2000, 2, 29)),
        no_day: None,
        local: day(2024, 3, 1).and_hms_milli_opt(13, 14, 15, 16).unwrap(),
        utc: Utc.timestamp_millis_opt(-1_234_567).unwrap(),
        fixed: fixed.with_ymd_and_hms(2021, 6, 1, 8, 0, 0).unwrap(),
        stamps: vec![
            Utc.timestamp_millis_opt(0).unwrap(),
            Utc.timestamp_millis_opt(86_400_001).unwrap(),
        ],
        counts: HashMap::from([("a".to_string(), 1), ("b".to_string(), -2)]),
        labels: BTreeMap::from([("k".to_string(), "v".to_string())]),
        boxed: Box::new(-5),
        any: bson::Bson::Array(vec![1.into(), "two".into()]),
        raw_doc: bson::doc! { "free": { "form": [1, 2] } },
        address: Address {
            street: "1 Main St".into(),
            city: City {
                name: "Springfield".into(),
                geo: Geo {
                    lat: 39.8,
                    lng: -89.6,
                },
            },
            zip: Some("62701".into()),
        },
        previous: None,
        items: vec![
            Item {
                sku: "a".into(),
                qty: 1,
            },
            Item {
                sku: "b".into(),
                qty: 20,
            },
        ],
        status: Status::InStock,
        statuses: vec![Status::SoldOut, Status::Gone],
        nested: vec![vec![1, 2], vec![], vec![3]],
        key: uuid::Uuid::from_u128(7),
    }
}

fn get<'a>(doc: &'a RawDocument, key: &str) -> RawBsonRef<'a> {
    doc.get(key)
        .unwrap()
        .unwrap_or_else(|| panic!("no `{key}` in {doc:?}"))
}

#[test]
fn every_supported_type_round_trips() {
    let value = everything();
    let doc = value.to_document().unwrap();
    let back = Everything::from_document(&doc).unwrap();
    assert_eq!(back, value);
}

#[test]
fn id_is_written_first_even_when_declared_last() {
    let doc = everything().to_document().unwrap();
    let (first, value) = doc.iter().next().unwrap().unwrap();
    assert_eq!(first.as_str(), "_id");
    let RawBsonRef::Binary(id) = value else {
        panic!("{value:?}")
    };
    assert_eq!(
        uuid::Uuid::from_slice(id.bytes).unwrap(),
        uuid::Uuid::from_u128(7)
    );
    assert!(
        doc.get("key").unwrap().is_none(),
        "the id is stored only as `_id`"
    );
    let keys: Vec<_> = doc
        .iter()
        .map(|e| e.unwrap().0.as_str().to_owned())
        .collect();
    assert_eq!(
        &keys[1..4],
        ["i8_", "i16_", "i32_"],
        "then declaration order"
    );
}

#[test]
fn naive_date_is_a_bson_date_at_midnight_utc() {
    let doc = everything().to_document().unwrap();
    let RawBsonRef::DateTime(d) = get(&doc, "day") else {
        panic!("not a date")
    };
    let expected = Utc
        .with_ymd_and_hms(1969, 7, 20, 0, 0, 0)
        .unwrap()
        .timestamp_millis();
    assert_eq!(d.timestamp_millis(), expected);
    assert_eq!(d.timestamp_millis() % 86_400_000, 0);
    let RawBsonRef::DateTime(leap) = get(&doc, "maybe_day") else {
        panic!("Option<NaiveDate> is a date too")
    };
    assert_eq!(
        leap.timestamp_millis(),
        Utc.with_ymd_and_hms(2000, 2, 29, 0, 0, 0)
            .unwrap()
            .timestamp_millis()
    );
}

#[test]
fn stored_bson_types() {
    let doc = everything().to_document().unwrap();
    assert!(
        matches!(get(&doc, "no_day"), RawBsonRef::Null),
        "None is null"
    );
    assert!(matches!(get(&doc, "i8_"), RawBsonRef::Int32(-8)));
    assert!(matches!(
        get(&doc, "u32_"),
        RawBsonRef::Int64(4_294_967_295)
    ));
    match get(&doc, "bytes") {
        RawBsonRef::Binary(b) => {
            assert_eq!(b.subtype, BinarySubtype::Generic);
            assert_eq!(b.bytes, [0, 1, 254, 255]);
        }
        other => panic!("Vec<u8> should be a binary, got {other:?}"),
    }
    match get(&doc, "uuid") {
        RawBsonRef::Binary(b) => assert_eq!(b.subtype, BinarySubtype::Uuid),
        other => panic!("Uuid should be a binary, got {other:?}"),
    }
    assert!(matches!(
        get(&doc, "status"),
        RawBsonRef::String("in_stock")
    ));
    let statuses = get(&doc, "statuses").as_array().unwrap();
    let names: Vec<_> = statuses
        .into_iter()
        .map(|v| v.unwrap().as_str().unwrap())
        .collect();
    assert_eq!(names, ["sold_out", "gone-for-good"]);
    let stamps = get(&doc, "stamps").as_array().unwrap();
    assert!(stamps
        .into_iter()
        .all(|v| matches!(v.unwrap(), RawBsonRef::DateTime(_))));
    let geo = get(&doc, "address").as_document().unwrap();
    let geo = get(geo, "city").as_document().unwrap();
    let geo = get(geo, "geo").as_document().unwrap();
    assert!(matches!(get(geo, "lng"), RawBsonRef::Double(v) if v == -89.6));
    let items = get(&doc, "items").as_array().unwrap();
    let second = items.get(1).unwrap().unwrap().as_document().unwrap();
    assert!(matches!(get(second, "qty"), RawBsonRef::Int64(20)));
    assert!(matches!(get(&doc, "counts"), RawBsonRef::Document(_)));
}

#[test]
fn enum_aliases_and_unknown_names() {
    let doc = bson::rawdoc! { "v": "discontinued" };
    let value = odm::value::field::<Status>(&doc, "v").unwrap();
    assert_eq!(value, Status::Gone);

    let doc = bson::rawdoc! { "v": "InStock" };
    let err = odm::value::field::<Status>(&doc, "v").unwrap_err();
    assert_eq!(err.path, "v");
    let DecodeErrorKind::Invalid(message) = &err.kind else {
        panic!("{err:?}")
    };
    assert!(message.contains("\"InStock\""), "{message}");
    assert!(
        message.contains("\"in_stock\", \"sold_out\", \"gone-for-good\""),
        "{message}"
    );

    let doc = bson::rawdoc! { "v": 1 };
    let err = odm::value::field::<Status>(&doc, "v").unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::WrongType {
            expected: "string",
            found: "int"
        }
    );
}

#[test]
fn serde_and_odm_agree_on_enum_names() {
    for status in [Status::InStock, Status::SoldOut, Status::Gone] {
        let ours = odm::value::IntoBson::to_bson(&status).unwrap();
        let serde_says = bson::serialize_to_bson(&status).unwrap();
        assert_eq!(ours, serde_says);
    }
}

// ---- names ----------------------------------------------------------------

#[derive(Debug, PartialEq, Document, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlogPost {
    #[serde(rename = "postId")] // serde's wire name; odm stores the id as `_id`
    id: i64,
    first_line: String,
    #[serde(rename = "by")]
    author_name: String,
    #[odm(rename = "n_views")]
    view_count: i32,
    #[serde(alias = "legacyTag")]
    tag_line: String,
}

#[test]
fn serde_renames_choose_stored_keys() {
    let post = BlogPost {
        id: 3,
        first_line: "once".into(),
        author_name: "ann".into(),
        view_count: 9,
        tag_line: "t".into(),
    };
    let doc = post.to_document().unwrap();
    let keys: Vec<_> = doc
        .iter()
        .map(|e| e.unwrap().0.as_str().to_owned())
        .collect();
    assert_eq!(keys, ["_id", "firstLine", "by", "n_views", "tagLine"]);
    assert_eq!(BlogPost::from_document(&doc).unwrap(), post);

    let fields = BlogPost::fields();
    assert_eq!(fields.id.path(), "_id");
    assert_eq!(fields.first_line.path(), "firstLine");
    assert_eq!(fields.author_name.path(), "by");
    assert_eq!(fields.view_count.path(), "n_views");
    assert_eq!(BlogPost::COLLECTION, "blog_post");
    assert_eq!(Everything::COLLECTION, "everything");
}

#[test]
fn aliases_are_read() {
    let doc = bson::rawdoc! { "_id": 1_i64, "firstLine": "f", "by": "b", "n_views": 0, "legacyTag": "old" };
    let post = BlogPost::from_document(&doc).unwrap();
    assert_eq!(post.tag_line, "old");
}

#[test]
fn typed_paths_nest() {
    let f = Everything::fields();
    assert_eq!(f.key.path(), "_id");
    assert_eq!(f.address.path(), "address");
    assert_eq!(f.address.city.path(), "address.city");
    assert_eq!(f.address.city.geo.lat.path(), "address.city.geo.lat");
    assert_eq!(f.previous.city.name.path(), "previous.city.name");
    assert_eq!(f.items.path(), "items");
    assert_eq!(f.status.path(), "status");
    // Built once.
    assert!(std::ptr::eq(
        Everything::fields(),
        <Everything as Document>::fields()
    ));
}

// ---- ids ------------------------------------------------------------------

#[derive(Debug, PartialEq, Document)]
pub struct Auto {
    id: Option<ObjectId>,
    n: i32,
}

#[test]
fn optional_object_id() {
    let mut a = Auto { id: None, n: 1 };
    assert_eq!(a.id(), None);
    let doc = a.to_document().unwrap();
    assert!(
        doc.get("_id").unwrap().is_none(),
        "a None id is not written"
    );
    assert_eq!(Auto::from_document(&doc).unwrap(), a);

    let oid = ObjectId::new();
    a.set_id(oid);
    assert_eq!(a.id(), Some(&oid));
    let doc = a.to_document().unwrap();
    assert!(matches!(get(&doc, "_id"), RawBsonRef::ObjectId(o) if o == oid));
    assert_eq!(Auto::from_document(&doc).unwrap().id, Some(oid));
}

#[derive(Debug, PartialEq, Document)]
pub struct Named {
    id: String,
}

#[test]
fn plain_ids() {
    let mut n = Named { id: "x".into() };
    assert_eq!(n.id(), Some(&"x".to_string()));
    n.set_id("y".into());
    assert_eq!(n.id, "y");
    let err = Named::from_document(&bson::rawdoc! {}).unwrap_err();
    assert_eq!(err.path, "_id");
    assert_eq!(err.kind, DecodeErrorKind::Missing { expected: "string" });
}

// ---- skip, default, with, serde -------------------------------------------

fn forty_two() -> i32 {
    42
}

#[derive(Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Blob {
    a: u8,
    b: Vec<String>,
}

#[derive(Debug, PartialEq, Document, serde::Serialize, serde::Deserialize)]
pub struct Options {
    id: i32,
    #[serde(skip)]
    cache: Vec<u8>,
    #[odm(skip, default = "forty_two")]
    #[serde(skip)]
    answer: i32,
    #[serde(default)]
    retries: u32,
    #[odm(default = "forty_two")]
    limit: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    maybe: Option<String>,
    #[odm(serde)]
    blob: Blob,
    #[odm(serde)]
    extra: Option<Blob>,
}

#[derive(Debug, PartialEq, Document)]
pub struct WithLocal {
    id: i32,
    #[odm(with = "odm::value::local_time")]
    at: DateTime<chrono::Local>,
}

#[test]
fn skip_default_and_skip_if() {
    let o = Options {
        id: 1,
        cache: vec![1],
        answer: 0,
        retries: 3,
        limit: 7,
        note: None,
        maybe: None,
        blob: Blob {
            a: 5,
            b: vec!["x".into()],
        },
        extra: None,
    };
    let doc = o.to_document().unwrap();
    assert!(doc.get("cache").unwrap().is_none());
    assert!(doc.get("answer").unwrap().is_none());
    assert!(doc.get("note").unwrap().is_none(), "skip_serializing_if");
    assert!(
        matches!(get(&doc, "maybe"), RawBsonRef::Null),
        "a None without skip_if is null"
    );
    let blob = get(&doc, "blob").as_document().unwrap();
    assert!(matches!(get(blob, "a"), RawBsonRef::Int32(5)));

    let back = Options::from_document(&doc).unwrap();
    assert_eq!(back.cache, Vec::<u8>::new(), "skipped: Default::default()");
    assert_eq!(back.answer, 42, "skipped with a default fn");
    assert_eq!(back.retries, 3);
    assert_eq!(back.limit, 7);
    assert_eq!(back.blob, o.blob);

    let sparse = bson::rawdoc! { "_id": 2, "blob": { "a": 1, "b": [] } };
    let back = Options::from_document(&sparse).unwrap();
    assert_eq!(back.retries, 0, "#[serde(default)]");
    assert_eq!(back.limit, 42, "#[odm(default = ..)]");
    assert_eq!(back.note, None);
    assert_eq!(back.extra, None, "a missing serde Option is None");

    let missing_blob = bson::rawdoc! { "_id": 2 };
    let err = Options::from_document(&missing_blob).unwrap_err();
    assert_eq!(err.path, "blob");
    assert!(matches!(err.kind, DecodeErrorKind::Missing { .. }));
    let bad_blob = bson::rawdoc! { "_id": 2, "blob": { "a": "x", "b": [] } };
    let err = Options::from_document(&bad_blob).unwrap_err();
    assert_eq!(err.path, "blob");
    assert!(matches!(err.kind, DecodeErrorKind::Invalid(_)), "{err:?}");
}

#[test]
fn with_module() {
    let at = chrono::Local
        .timestamp_millis_opt(1_600_000_000_000)
        .unwrap();
    let w = WithLocal { id: 1, at };
    let doc = w.to_document().unwrap();
    assert!(
        matches!(get(&doc, "at"), RawBsonRef::DateTime(d) if d.timestamp_millis() == 1_600_000_000_000)
    );
    assert_eq!(WithLocal::from_document(&doc).unwrap(), w);
    assert_eq!(WithLocal::fields().at.path(), "at");
    let err = WithLocal::from_document(&bson::rawdoc! { "_id": 1, "at": "noon" }).unwrap_err();
    assert_eq!(err.path, "at");
}

#[derive(Debug, PartialEq, Default, Document, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    id: i32,
    theme: String,
    width: u32,
}

#[test]
fn container_default() {
    let s = Settings::from_document(&bson::rawdoc! { "width": 80 }).unwrap();
    assert_eq!(
        s,
        Settings {
            id: 0,
            theme: String::new(),
            width: 80
        }
    );
}

#[derive(Debug, PartialEq, Document)]
#[odm(deny_unknown_fields)]
pub struct Strict {
    id: i32,
    inner: StrictInner,
}

#[derive(Debug, PartialEq, Embedded)]
#[odm(deny_unknown_fields)]
pub struct StrictInner {
    a: i32,
}

#[test]
fn unknown_fields() {
    let ok = bson::rawdoc! { "_id": 1, "inner": { "a": 1 } };
    assert!(Strict::from_document(&ok).is_ok());
    let extra = bson::rawdoc! { "_id": 1, "inner": { "a": 1, "b": 2 } };
    let err = Strict::from_document(&extra).unwrap_err();
    assert_eq!(err.path, "inner.b");
    assert_eq!(err.kind, DecodeErrorKind::UnknownField);
    // Lenient by default.
    let extra = bson::rawdoc! { "n": 1, "extra": true };
    assert_eq!(Auto::from_document(&extra).unwrap().n, 1);
}

// ---- more ids and container attributes -------------------------------------

/// An application's own id type: a newtype over a string.
#[derive(Debug, Clone, PartialEq)]
pub struct Sku(String);

impl odm::value::IntoBson for Sku {
    fn to_raw(&self) -> Result<odm::value::RawValue<'_>, odm::error::EncodeError> {
        self.0.to_raw()
    }
}

impl odm::value::FromBson for Sku {
    const EXPECTED: &'static str = "string";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, odm::error::DecodeError> {
        String::from_raw(value).map(Sku)
    }
}

impl odm::value::IdValue for Sku {}

#[derive(Debug, PartialEq, Document)]
pub struct Product {
    #[odm(id)]
    sku: Sku,
    id: i32, // an ordinary field once another is the id
}

#[derive(Debug, PartialEq, Document)]
pub struct Session {
    id: Option<uuid::Uuid>,
}

#[test]
fn custom_and_optional_ids() {
    use odm::value::IntoBson as _;
    let p = Product {
        sku: Sku("A-1".into()),
        id: 5,
    };
    let doc = p.to_document().unwrap();
    assert!(matches!(get(&doc, "_id"), RawBsonRef::String("A-1")));
    assert!(matches!(get(&doc, "id"), RawBsonRef::Int32(5)));
    assert_eq!(Product::from_document(&doc).unwrap(), p);
    assert_eq!(Product::fields().id.path(), "id");
    assert_eq!(Product::fields().sku.path(), "_id");

    let mut s = Session { id: None };
    let fresh = <uuid::Uuid as odm::value::IdValue>::generate().unwrap();
    s.set_id(fresh);
    assert_eq!(s.id(), Some(&fresh));
    let doc = s.to_document().unwrap();
    assert_eq!(Session::from_document(&doc).unwrap(), s);
    assert!(Sku("x".into()).to_bson().is_ok());
}

#[derive(Debug, PartialEq, Document, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default = "Limits::sensible")]
pub struct Limits {
    id: i32,
    max: u32,
    min: u32,
}

impl Limits {
    fn sensible() -> Self {
        Limits {
            id: -1,
            max: 100,
            min: 1,
        }
    }
}

#[test]
fn serde_container_attributes() {
    let l = Limits::from_document(&bson::rawdoc! { "_id": 3, "min": 5 }).unwrap();
    assert_eq!(
        l,
        Limits {
            id: 3,
            max: 100,
            min: 5
        },
        "default = \"path\" fills the gaps"
    );
    let err = Limits::from_document(&bson::rawdoc! { "_id": 3, "mx": 5 }).unwrap_err();
    assert_eq!(err.path, "mx");
    assert_eq!(err.kind, DecodeErrorKind::UnknownField);
}

/// No serde derive: odm still reads `#[serde(..)]`, its helper attribute.
#[derive(Debug, PartialEq, Document)]
#[serde(rename_all = "camelCase")]
pub struct NoSerde {
    id: i32,
    long_name: String,
    #[serde(skip)]
    scratch: Vec<i32>,
}

#[test]
fn serde_attributes_without_serde() {
    let v = NoSerde {
        id: 1,
        long_name: "x".into(),
        scratch: vec![1],
    };
    let doc = v.to_document().unwrap();
    let keys: Vec<_> = doc
        .iter()
        .map(|e| e.unwrap().0.as_str().to_owned())
        .collect();
    assert_eq!(keys, ["_id", "longName"]);
    assert_eq!(
        NoSerde::from_document(&doc).unwrap().scratch,
        Vec::<i32>::new()
    );
}

#[derive(Debug, PartialEq, Document)]
pub struct Raw {
    id: i32,
    r#type: String,
}

#[test]
fn raw_identifiers_are_stored_without_the_prefix() {
    let v = Raw {
        id: 1,
        r#type: "t".into(),
    };
    let doc = v.to_document().unwrap();
    assert!(matches!(get(&doc, "type"), RawBsonRef::String("t")));
    assert_eq!(Raw::fields().r#type.path(), "type");
    assert_eq!(Raw::from_document(&doc).unwrap(), v);
}

use std::collections::{BTreeMap, HashMap};

use bson::raw::{RawBsonRef, RawDocumentBuf};
use bson::spec::ElementType;
use bson::{cstr, doc, Bson};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::*;
use crate::error::DecodeErrorKind;

fn roundtrip<T: IntoBson + FromBson + PartialEq + std::fmt::Debug>(value: T) -> T {
    let mut doc = RawDocumentBuf::new();
    append(&mut doc, cstr!("v"), &value).unwrap();
    let back: T = field(&doc, "v").unwrap();
    assert_eq!(back, value);
    back
}

fn stored_type<T: IntoBson>(value: &T) -> ElementType {
    value.to_raw().unwrap().as_ref().element_type()
}

#[test]
fn scalars_round_trip_with_their_bson_types() {
    roundtrip(42i32);
    roundtrip(-7i64);
    roundtrip(3.5f64);
    roundtrip(true);
    roundtrip(String::from("héllo"));
    roundtrip(bson::oid::ObjectId::new());
    roundtrip(uuid::Uuid::new_v4());
    roundtrip(vec![1u8, 2, 255]);
    roundtrip(vec![1i32, 2, 3]);
    assert_eq!(stored_type(&1u8), ElementType::Int32);
    assert_eq!(stored_type(&1u32), ElementType::Int64);
    assert_eq!(stored_type(&vec![1u8]), ElementType::Binary);
    assert_eq!(stored_type(&vec![1i32]), ElementType::Array);
    assert_eq!(stored_type(&uuid::Uuid::nil()), ElementType::Binary);
}

#[test]
fn integers_are_range_checked_both_ways() {
    assert!(u64::MAX.to_raw().is_err());
    let err = i8::from_raw(RawBsonRef::Int32(300)).unwrap_err();
    assert!(matches!(err.kind, DecodeErrorKind::Invalid(_)), "{err}");
    assert_eq!(i64::from_raw(RawBsonRef::Double(4.0)).unwrap(), 4);
    assert!(i64::from_raw(RawBsonRef::Double(4.5)).is_err());
    let err = i32::from_raw(RawBsonRef::String("4")).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::WrongType {
            expected: "int",
            found: "string"
        }
    );
}

#[test]
fn naive_date_is_a_bson_date_at_midnight_utc() {
    let date = NaiveDate::from_ymd_opt(2000, 7, 20).unwrap();
    match date.to_raw().unwrap().as_ref() {
        RawBsonRef::DateTime(d) => assert_eq!(d.timestamp_millis(), 964_051_200_000),
        other => panic!("stored as {other:?}"),
    }
    roundtrip(date);
    roundtrip(NaiveDate::from_ymd_opt(-4000, 1, 1).unwrap());
    roundtrip(Some(date));
    roundtrip(vec![date, date.succ_opt().unwrap()]);
}

#[test]
fn a_non_midnight_date_is_not_silently_truncated() {
    let noon = bson::DateTime::from_millis(964_051_200_000 + 12 * 3_600_000);
    let err = NaiveDate::from_raw(RawBsonRef::DateTime(noon)).unwrap_err();
    assert!(
        matches!(err.kind, DecodeErrorKind::Invalid(ref m) if m.contains("not midnight")),
        "{err}"
    );
}

#[test]
fn datetimes_keep_milliseconds_and_truncate_below() {
    let precise = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
    let mut doc = RawDocumentBuf::new();
    append(&mut doc, cstr!("t"), &precise).unwrap();
    let back: DateTime<Utc> = field(&doc, "t").unwrap();
    assert_eq!(back, Utc.timestamp_opt(1_700_000_000, 123_000_000).unwrap());
    // Before 1970 truncation still goes towards the past.
    let early = Utc.timestamp_opt(-1, 999_999_999).unwrap();
    let back = DateTime::<Utc>::from_raw(early.to_raw().unwrap().as_ref()).unwrap();
    assert_eq!(back.timestamp_millis(), -1);

    let naive: NaiveDateTime = precise.naive_utc();
    assert_eq!(
        NaiveDateTime::from_raw(naive.to_raw().unwrap().as_ref()).unwrap(),
        back_ms(precise).naive_utc()
    );

    let paris = FixedOffset::east_opt(3600).unwrap();
    let local = paris.with_ymd_and_hms(2024, 3, 1, 9, 30, 0).unwrap();
    let back = DateTime::<FixedOffset>::from_raw(local.to_raw().unwrap().as_ref()).unwrap();
    assert_eq!(back, local, "the same instant");
    assert_eq!(back.offset().local_minus_utc(), 0, "read back at UTC");
}

fn back_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(t.timestamp_millis()).unwrap()
}

#[test]
fn options_read_null_and_absent_as_none() {
    let doc = RawDocumentBuf::try_from(&doc! { "a": Bson::Null }).unwrap();
    assert_eq!(field::<Option<i32>>(&doc, "a").unwrap(), None);
    assert_eq!(field::<Option<i32>>(&doc, "missing").unwrap(), None);
    let err = field::<i32>(&doc, "missing").unwrap_err();
    assert_eq!(err.path, "missing");
    assert_eq!(err.kind, DecodeErrorKind::Missing { expected: "int" });
}

#[test]
fn maps_are_documents_and_errors_carry_paths() {
    let mut m = BTreeMap::new();
    m.insert("x".to_string(), vec![1i64, 2]);
    roundtrip(m);
    let mut h: HashMap<String, f64> = HashMap::new();
    h.insert("half".into(), 0.5);
    roundtrip(h);

    let doc = RawDocumentBuf::try_from(&doc! { "m": { "a": [1, "two"] } }).unwrap();
    let err = field::<BTreeMap<String, Vec<i32>>>(&doc, "m").unwrap_err();
    assert_eq!(err.path, "m.a.1");

    let mut bad = BTreeMap::new();
    bad.insert("nul\0key".to_string(), 1);
    assert!(bad.to_raw().is_err());
}

/// The scalar decoders read their own type in place (`from_element`'s fast
/// path); every value, of every type, must decode as `from_raw` decodes it,
/// to the same value or the same error.
#[test]
fn elements_decode_as_their_parsed_values_do() {
    fn agree<T: FromBson + PartialEq + std::fmt::Debug>(doc: &RawDocumentBuf) {
        for element in Elements::of(doc) {
            let element = element.unwrap();
            let direct = T::from_element(element);
            let parsed = element.value().and_then(T::from_raw);
            assert_eq!(direct, parsed, "{:?} as {}", element.value(), T::EXPECTED);
        }
    }
    let mut not_utf8 = bson::rawdoc! {"s": "zz"}.into_bytes();
    let at = not_utf8.windows(3).position(|w| w == b"zz\0").unwrap();
    not_utf8[at..at + 2].copy_from_slice(&[0xFF, 0xFE]);
    let samples = bson::rawdoc! {
        "i32": 7, "neg": -300, "big32": i32::MAX, "i64": 9_000_000_000i64, "small64": 5i64,
        "f": 2.5, "whole": 4.0, "t": true, "f0": false, "s": "text", "empty": "",
        "oid": bson::oid::ObjectId::from_bytes([7; 12]), "null": null, "arr": [1],
        "d": {"a": 1},
    };
    let not_utf8 = RawDocumentBuf::from_bytes(not_utf8).unwrap();
    for doc in [&samples, &not_utf8] {
        agree::<i8>(doc);
        agree::<i16>(doc);
        agree::<i32>(doc);
        agree::<u16>(doc);
        agree::<i64>(doc);
        agree::<u32>(doc);
        agree::<u64>(doc);
        agree::<f64>(doc);
        agree::<bool>(doc);
        agree::<String>(doc);
        agree::<bson::oid::ObjectId>(doc);
    }
}

//! chrono values through a derived model, swept over chrono's whole range
//! with a deterministic PRNG (splitmix64): every date a `NaiveDate` can hold
//! is a BSON date at midnight UTC and reads back equal; date-times keep
//! milliseconds and truncate finer precision towards the past.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use odm::bson::raw::RawBsonRef;
use odm::bson::{self, rawdoc};
use odm::error::DecodeErrorKind;
use odm::Document;

#[derive(Debug, Clone, PartialEq, Document)]
struct Times {
    id: i32,
    day: NaiveDate,
    local: NaiveDateTime,
    utc: DateTime<Utc>,
    fixed: DateTime<FixedOffset>,
}

/// splitmix64: small, deterministic, good enough to spread samples.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo) as u64 + 1;
        lo + (self.next() % span) as i64
    }
}

const SAMPLES: usize = 5_000;

fn days_ce(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce())
}

fn date_from_days(days: i64) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(days).unwrap()).unwrap()
}

fn stored_millis(doc: &bson::RawDocument, key: &str) -> i64 {
    match doc.get(key).unwrap().unwrap() {
        RawBsonRef::DateTime(d) => d.timestamp_millis(),
        other => panic!("`{key}` is not a BSON date: {other:?}"),
    }
}

/// Milliseconds, truncated towards the past (what BSON keeps).
fn truncate_to_millis(t: NaiveDateTime) -> NaiveDateTime {
    let millis = t.and_utc().timestamp_millis();
    DateTime::from_timestamp_millis(millis).unwrap().naive_utc()
}

#[test]
fn sweep_whole_range() {
    let mut rng = Rng(0x0D0C_0DE5);
    // Keep a day of margin so a fixed offset cannot push a value out of range.
    let lo = days_ce(NaiveDate::MIN) + 1;
    let hi = days_ce(NaiveDate::MAX) - 1;
    let mut samples: Vec<i64> = (0..SAMPLES).map(|_| rng.range(lo, hi)).collect();
    samples.extend([
        lo,
        hi,
        days_ce(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()),
        0,
        1,
    ]);
    for days in samples {
        let day = date_from_days(days);
        let ms_of_day = rng.range(0, 86_399_999);
        let local = day.and_time(NaiveTime::MIN) + Duration::milliseconds(ms_of_day);
        let utc = local.and_utc();
        let offset = FixedOffset::east_opt(rng.range(-86_399, 86_399) as i32).unwrap();
        let fixed = utc.with_timezone(&offset);
        let value = Times {
            id: 1,
            day,
            local,
            utc,
            fixed,
        };

        let doc = value.to_document().unwrap();
        let day_ms = stored_millis(&doc, "day");
        assert_eq!(
            day_ms.rem_euclid(86_400_000),
            0,
            "{day} is not stored at midnight UTC"
        );
        assert_eq!(
            day_ms,
            day.and_time(NaiveTime::MIN).and_utc().timestamp_millis()
        );
        assert_eq!(stored_millis(&doc, "local"), utc.timestamp_millis());
        assert_eq!(
            stored_millis(&doc, "fixed"),
            utc.timestamp_millis(),
            "the instant, not the wall clock"
        );

        let back = Times::from_document(&doc).unwrap();
        assert_eq!(back, value, "{value:?}");
        assert_eq!(
            back.fixed.offset().local_minus_utc(),
            0,
            "offsets read back as UTC"
        );
    }
}

#[test]
fn the_extreme_dates_round_trip() {
    for day in [NaiveDate::MIN, NaiveDate::MAX] {
        let value = Times {
            id: 1,
            day,
            local: day.and_time(NaiveTime::MIN),
            utc: day.and_time(NaiveTime::MIN).and_utc(),
            fixed: day.and_time(NaiveTime::MIN).and_utc().fixed_offset(),
        };
        let back = Times::from_document(&value.to_document().unwrap()).unwrap();
        assert_eq!(back, value);
        assert_eq!(back.day.year(), day.year());
    }
}

#[test]
fn sub_millisecond_precision_is_truncated_towards_the_past() {
    let mut rng = Rng(42);
    for _ in 0..SAMPLES {
        let secs = rng.range(-62_000_000_000, 250_000_000_000);
        let nanos = rng.range(0, 999_999_999) as u32;
        let utc = Utc.timestamp_opt(secs, nanos).unwrap();
        let offset = FixedOffset::west_opt(rng.range(0, 50_000) as i32).unwrap();
        let value = Times {
            id: 1,
            day: utc.date_naive(),
            local: utc.naive_utc(),
            utc,
            fixed: utc.with_timezone(&offset),
        };
        let back = Times::from_document(&value.to_document().unwrap()).unwrap();
        let expected = truncate_to_millis(utc.naive_utc());
        assert_eq!(back.local, expected);
        assert_eq!(back.utc.naive_utc(), expected);
        assert_eq!(back.fixed.naive_utc(), expected);
        assert!(back.utc <= utc, "never rounded up");
        assert!(utc - back.utc < Duration::milliseconds(1));
        assert_eq!(back.utc.timestamp_subsec_nanos() % 1_000_000, 0);
    }
    // Before 1970 the truncation still goes to the past, not towards zero.
    let just_before_epoch = Utc.timestamp_opt(-1, 999_999_999).unwrap();
    let value = Times {
        id: 1,
        day: NaiveDate::from_ymd_opt(1969, 12, 31).unwrap(),
        local: just_before_epoch.naive_utc(),
        utc: just_before_epoch,
        fixed: just_before_epoch.fixed_offset(),
    };
    let doc = value.to_document().unwrap();
    assert_eq!(stored_millis(&doc, "utc"), -1);
}

#[test]
fn a_date_that_is_not_midnight_is_not_a_naive_date() {
    let noon = Utc.with_ymd_and_hms(2024, 5, 17, 12, 0, 0).unwrap();
    let doc = rawdoc! {
        "_id": 1,
        "day": bson::DateTime::from_chrono(noon),
        "local": bson::DateTime::from_chrono(noon),
        "utc": bson::DateTime::from_chrono(noon),
        "fixed": bson::DateTime::from_chrono(noon),
    };
    let err = Times::from_document(&doc).unwrap_err();
    assert_eq!(err.path, "day");
    let DecodeErrorKind::Invalid(message) = &err.kind else {
        panic!("expected Invalid, got {err:?}")
    };
    assert!(message.contains("2024-05-17T12:00:00.000Z"), "{message}");

    // One millisecond off midnight is just as wrong.
    let mut rng = Rng(7);
    for _ in 0..200 {
        let days = rng.range(-100_000, 100_000);
        let off = rng.range(1, 86_399_999);
        let millis = days * 86_400_000 + off;
        let doc = rawdoc! {
            "_id": 1,
            "day": bson::DateTime::from_millis(millis),
            "local": bson::DateTime::from_millis(0),
            "utc": bson::DateTime::from_millis(0),
            "fixed": bson::DateTime::from_millis(0),
        };
        let err = Times::from_document(&doc).unwrap_err();
        assert!(
            matches!(err.kind, DecodeErrorKind::Invalid(_)),
            "{millis}: {err:?}"
        );
    }
}

#[test]
fn a_bson_date_beyond_chrono_is_an_error_not_a_panic() {
    let doc = rawdoc! {
        "_id": 1,
        "day": bson::DateTime::MAX,
        "local": bson::DateTime::MAX,
        "utc": bson::DateTime::MAX,
        "fixed": bson::DateTime::MAX,
    };
    let err = Times::from_document(&doc).unwrap_err();
    assert_eq!(err.path, "day");
    assert!(matches!(err.kind, DecodeErrorKind::Invalid(_)));
}

//! chrono's dates and times as BSON dates: the `datetime.date` pitfall, fixed.
//!
//! A `NaiveDate` is stored as midnight UTC, a `NaiveDateTime` is read as UTC,
//! a `DateTime<FixedOffset>` as its instant. Reading a date that is not at
//! midnight UTC into a `NaiveDate` is an error, never a silent truncation.
//! BSON keeps milliseconds: finer precision is truncated towards the past.

use bson::raw::RawBsonRef;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::{FromBson, IntoBson, RawValue};
use crate::error::{DecodeError, EncodeError};

const MILLIS_PER_DAY: i64 = 86_400_000;

fn bson_date(value: RawBsonRef<'_>) -> Result<bson::DateTime, DecodeError> {
    match value {
        RawBsonRef::DateTime(d) => Ok(d),
        other => Err(DecodeError::wrong_type("date", other.element_type())),
    }
}

fn utc_from_millis(millis: i64) -> Result<DateTime<Utc>, DecodeError> {
    Utc.timestamp_millis_opt(millis).single().ok_or_else(|| {
        DecodeError::invalid(format!(
            "BSON date {millis} ms is outside the range of chrono's DateTime"
        ))
    })
}

fn date_value(millis: i64) -> Result<RawValue<'static>, EncodeError> {
    Ok(RawValue::Borrowed(RawBsonRef::DateTime(
        bson::DateTime::from_millis(millis),
    )))
}

impl IntoBson for NaiveDate {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        date_value(
            self.and_time(chrono::NaiveTime::MIN)
                .and_utc()
                .timestamp_millis(),
        )
    }
}

impl FromBson for NaiveDate {
    const EXPECTED: &'static str = "date";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        let millis = bson_date(value)?.timestamp_millis();
        if millis.rem_euclid(MILLIS_PER_DAY) != 0 {
            let at = utc_from_millis(millis)?;
            return Err(DecodeError::invalid(format!(
                "{} is not midnight UTC, so it is not a date (NaiveDate); \
                 read it as a NaiveDateTime or DateTime<Utc>",
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            )));
        }
        Ok(utc_from_millis(millis)?.date_naive())
    }
}

impl IntoBson for NaiveDateTime {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        date_value(self.and_utc().timestamp_millis())
    }
}

impl FromBson for NaiveDateTime {
    const EXPECTED: &'static str = "date";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        Ok(utc_from_millis(bson_date(value)?.timestamp_millis())?.naive_utc())
    }
}

impl IntoBson for DateTime<Utc> {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        date_value(self.timestamp_millis())
    }
}

impl FromBson for DateTime<Utc> {
    const EXPECTED: &'static str = "date";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        utc_from_millis(bson_date(value)?.timestamp_millis())
    }
}

impl IntoBson for DateTime<FixedOffset> {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        date_value(self.timestamp_millis())
    }
}

/// BSON keeps the instant, not the offset: the value reads back at `+00:00`
/// (and compares equal, since chrono compares instants).
impl FromBson for DateTime<FixedOffset> {
    const EXPECTED: &'static str = "date";
    fn from_raw(value: RawBsonRef<'_>) -> Result<Self, DecodeError> {
        Ok(utc_from_millis(bson_date(value)?.timestamp_millis())?.fixed_offset())
    }
}

/// Store a `DateTime<Local>` as its instant; use with `#[odm(with = "odm::value::local_time")]`.
///
/// Local times are not storable by default because the zone is lost: the value
/// reads back in the zone of whichever machine reads it.
pub mod local_time {
    use super::*;
    use chrono::Local;

    /// Encode as a BSON date.
    pub fn to_raw(value: &DateTime<Local>) -> Result<RawValue<'static>, EncodeError> {
        date_value(value.timestamp_millis())
    }

    /// Decode a BSON date into this machine's local zone.
    pub fn from_raw(value: RawBsonRef<'_>) -> Result<DateTime<Local>, DecodeError> {
        Ok(utc_from_millis(bson_date(value)?.timestamp_millis())?.with_timezone(&Local))
    }
}

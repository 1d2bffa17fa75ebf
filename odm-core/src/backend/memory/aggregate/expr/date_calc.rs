//! Date arithmetic: `$dateAdd`/`$dateSubtract`, `$dateDiff` (boundaries
//! crossed, in the given time zone), `$dateTrunc` (bins counted from
//! 2000-01-01) and `$dateFromParts` (out-of-range parts carry over).

use bson::Bson;
use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, Weekday};

use super::compile::{Node, Op};
use super::date::{date_of, err, timezone};
use super::number::as_num;
use super::{nullish, type_name, Env};
use crate::error::CommandError;

fn unit_of(v: Option<&Option<Bson>>) -> Result<&'static str, CommandError> {
    const UNITS: [&str; 9] = [
        "year",
        "quarter",
        "month",
        "week",
        "day",
        "hour",
        "minute",
        "second",
        "millisecond",
    ];
    let v = v.cloned().flatten();
    match &v {
        Some(Bson::String(u)) if UNITS.contains(&u.as_str()) => Ok(UNITS
            .iter()
            .find(|x| **x == u.as_str())
            .copied()
            .unwrap_or("day")),
        other => Err(err(
            5439014,
            format!(
                "unit must be a valid time unit, found {}",
                other.as_ref().map_or(Bson::Null, Clone::clone)
            ),
        )),
    }
}

fn add_units(t: NaiveDateTime, unit: &str, amount: i64) -> Option<NaiveDateTime> {
    let months = |n: i64| -> Option<NaiveDateTime> {
        let m = Months::new(u32::try_from(n.unsigned_abs()).ok()?);
        if n >= 0 {
            t.checked_add_months(m)
        } else {
            t.checked_sub_months(m)
        }
    };
    match unit {
        "year" => months(amount.checked_mul(12)?),
        "quarter" => months(amount.checked_mul(3)?),
        "month" => months(amount),
        "week" => t.checked_add_signed(Duration::try_weeks(amount)?),
        "day" => t.checked_add_signed(Duration::try_days(amount)?),
        "hour" => t.checked_add_signed(Duration::try_hours(amount)?),
        "minute" => t.checked_add_signed(Duration::try_minutes(amount)?),
        "second" => t.checked_add_signed(Duration::try_seconds(amount)?),
        _ => t.checked_add_signed(Duration::try_milliseconds(amount)?),
    }
}

/// `d` plus `amount` units in UTC, months and years by the calendar
/// (`$densify`'s step); `None` when out of range.
pub(crate) fn add_to_date(d: bson::DateTime, unit: &str, amount: i64) -> Option<bson::DateTime> {
    let t = chrono::DateTime::from_timestamp_millis(d.timestamp_millis())?.naive_utc();
    let r = add_units(t, unit, amount)?;
    Some(bson::DateTime::from_millis(r.and_utc().timestamp_millis()))
}

pub(super) fn date_add(op: Op, vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    if vals.iter().take(3).any(nullish) {
        return Ok(Some(Bson::Null));
    }
    let d = date_of(op, value_at(vals, 0))?;
    let unit = unit_of(vals.get(1))?;
    let amount = vals.get(2).cloned().flatten();
    let mut n = amount
        .as_ref()
        .and_then(as_num)
        .and_then(|n| n.exact_i64())
        .ok_or_else(|| {
            err(
                5166403,
                format!(
                    "{} requires an integer 'amount', found {}",
                    op.name(),
                    amount.as_ref().map_or("missing", type_name)
                ),
            )
        })?;
    if op == Op::DateSubtract {
        n = n.checked_neg().unwrap_or(i64::MAX);
    }
    let Some(tz) = timezone(vals.get(3).unwrap_or(&None))? else {
        return Ok(Some(Bson::Null));
    };
    let out = tz
        .wall_clock(d)
        .and_then(|t| add_units(t, unit, n))
        .ok_or_else(|| err(5166406, format!("{} overflowed", op.name())))?;
    Ok(Some(Bson::DateTime(tz.instant(out))))
}

fn start_of_week(v: &Option<Bson>) -> Result<Weekday, CommandError> {
    match v {
        None => Ok(Weekday::Sun),
        Some(Bson::String(s)) => match s.to_ascii_lowercase().as_str() {
            "monday" | "mon" => Ok(Weekday::Mon),
            "tuesday" | "tue" => Ok(Weekday::Tue),
            "wednesday" | "wed" => Ok(Weekday::Wed),
            "thursday" | "thu" => Ok(Weekday::Thu),
            "friday" | "fri" => Ok(Weekday::Fri),
            "saturday" | "sat" => Ok(Weekday::Sat),
            "sunday" | "sun" => Ok(Weekday::Sun),
            _ => Err(err(
                5439015,
                format!("startOfWeek must be a valid day of the week, found {s}"),
            )),
        },
        Some(other) => Err(err(
            5439015,
            format!("startOfWeek must be a string, found {}", type_name(other)),
        )),
    }
}

/// Days since the epoch of the start of `t`'s week.
fn week_start_days(t: &NaiveDateTime, sow: Weekday) -> i64 {
    let days = i64::from(t.date().num_days_from_ce());
    let back = (i64::from(t.weekday().num_days_from_monday())
        - i64::from(sow.num_days_from_monday()))
    .rem_euclid(7);
    days - back
}

pub(super) fn date_diff(vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    if vals.iter().take(3).any(nullish) {
        return Ok(Some(Bson::Null));
    }
    let a = date_of(Op::DateDiff, value_at(vals, 0))?;
    let b = date_of(Op::DateDiff, value_at(vals, 1))?;
    let unit = unit_of(vals.get(2))?;
    let Some(tz) = timezone(vals.get(3).unwrap_or(&None))? else {
        return Ok(Some(Bson::Null));
    };
    let sow = start_of_week(vals.get(4).unwrap_or(&None))?;
    let (Some(x), Some(y)) = (tz.wall_clock(a), tz.wall_clock(b)) else {
        return Ok(Some(Bson::Null));
    };
    let ms = |t: &NaiveDateTime| t.and_utc().timestamp_millis();
    let months = |t: &NaiveDateTime| i64::from(t.year()) * 12 + i64::from(t.month0());
    let floor_diff = |unit_ms: i64| ms(&y).div_euclid(unit_ms) - ms(&x).div_euclid(unit_ms);
    let n = match unit {
        "year" => i64::from(y.year()) - i64::from(x.year()),
        "quarter" => months(&y).div_euclid(3) - months(&x).div_euclid(3),
        "month" => months(&y) - months(&x),
        "week" => (week_start_days(&y, sow) - week_start_days(&x, sow)) / 7,
        "day" => floor_diff(86_400_000),
        "hour" => floor_diff(3_600_000),
        "minute" => floor_diff(60_000),
        "second" => floor_diff(1000),
        _ => ms(&y) - ms(&x),
    };
    Ok(Some(Bson::Int64(n)))
}

pub(super) fn date_trunc(vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    if vals.iter().take(2).any(nullish) {
        return Ok(Some(Bson::Null));
    }
    let d = date_of(Op::DateTrunc, value_at(vals, 0))?;
    let unit = unit_of(vals.get(1))?;
    let bin = match vals.get(2).cloned().flatten() {
        None => 1,
        Some(Bson::Null) => return Ok(Some(Bson::Null)),
        Some(v) => match as_num(&v).and_then(|n| n.exact_i64()) {
            Some(n) if n > 0 => n,
            _ => {
                return Err(err(
                    5439017,
                    format!("$dateTrunc requires 'binSize' to be a positive integer, found {v}"),
                ))
            }
        },
    };
    let Some(tz) = timezone(vals.get(3).unwrap_or(&None))? else {
        return Ok(Some(Bson::Null));
    };
    let sow = start_of_week(vals.get(4).unwrap_or(&None))?;
    let Some(t) = tz.wall_clock(d) else {
        return Ok(Some(Bson::Null));
    };
    // Bins are counted from 2000-01-01 (a Saturday), in local time.
    let Some(reference) = NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|r| r.and_hms_opt(0, 0, 0))
    else {
        return Ok(Some(Bson::Null));
    };
    let fixed = |unit_ms: i64, origin: NaiveDateTime| -> Option<NaiveDateTime> {
        let span = unit_ms.checked_mul(bin)?;
        let delta = (t - origin).num_milliseconds();
        origin.checked_add_signed(Duration::try_milliseconds(delta.div_euclid(span) * span)?)
    };
    let out = match unit {
        "year" | "quarter" | "month" => {
            let per = match unit {
                "year" => 12,
                "quarter" => 3,
                _ => 1,
            };
            let months = (i64::from(t.year()) - 2000) * 12 + i64::from(t.month0());
            let span = i64::checked_mul(per, bin).unwrap_or(i64::MAX);
            let m = months.div_euclid(span) * span;
            add_units(reference, "month", m)
        }
        "week" => {
            let back = (i64::from(Weekday::Sat.num_days_from_monday())
                - i64::from(sow.num_days_from_monday()))
            .rem_euclid(7);
            let origin = reference - Duration::days(back);
            fixed(7 * 86_400_000, origin)
        }
        "day" => fixed(86_400_000, reference),
        "hour" => fixed(3_600_000, reference),
        "minute" => fixed(60_000, reference),
        "second" => fixed(1000, reference),
        _ => fixed(1, reference),
    };
    Ok(out.map(|o| Bson::DateTime(tz.instant(o))))
}

pub(super) fn date_from_parts(
    env: &mut Env<'_>,
    args: &[Node],
) -> Result<Option<Bson>, CommandError> {
    let vals = env.eval_all(args)?;
    let iso = vals
        .get(7..10)
        .is_some_and(|v| v.iter().any(Option::is_some));
    if iso && vals.get(..3).is_some_and(|v| v.iter().any(Option::is_some)) {
        return Err(err(
            40489,
            "$dateFromParts does not allow mixing natural dates with ISO dates".into(),
        ));
    }
    let mut nums = [0i64; 10];
    for (i, slot) in nums.iter_mut().enumerate() {
        let default = match i {
            0 => 1970,
            1 | 2 | 8 | 9 => 1,
            _ => 0,
        };
        *slot = match vals.get(i).cloned().flatten() {
            None => default,
            Some(Bson::Null | Bson::Undefined) => return Ok(Some(Bson::Null)),
            Some(v) => as_num(&v).and_then(|n| n.exact_i64()).ok_or_else(|| {
                err(
                    40515,
                    format!(
                        "'{}' must evaluate to an integer, found {} with value {v}",
                        PARTS.get(i).unwrap_or(&"part"),
                        type_name(&v)
                    ),
                )
            })?,
        };
    }
    let Some(tz) = timezone(vals.get(10).unwrap_or(&None))? else {
        return Ok(Some(Bson::Null));
    };
    let year_field = if iso { nums[7] } else { nums[0] };
    if !(1..=9999).contains(&year_field) {
        let name = if iso { "isoWeekYear" } else { "year" };
        return Err(err(
            40523,
            format!(
                "'{name}' must evaluate to an integer in the range 1 to 9999, found {year_field}"
            ),
        ));
    }
    let base = if iso {
        NaiveDate::from_isoywd_opt(year_field as i32, 1, Weekday::Mon).and_then(|d| {
            d.checked_add_signed(Duration::try_weeks(nums[8].saturating_sub(1))?)?
                .checked_add_signed(Duration::try_days(nums[9].saturating_sub(1))?)
        })
    } else {
        NaiveDate::from_ymd_opt(year_field as i32, 1, 1).and_then(|d| {
            let d = d.and_hms_opt(0, 0, 0)?;
            let d = add_units(d, "month", nums[1].saturating_sub(1))?;
            d.date()
                .checked_add_signed(Duration::try_days(nums[2].saturating_sub(1))?)
        })
    };
    let local = base.and_then(|d| d.and_hms_opt(0, 0, 0)).and_then(|d| {
        d.checked_add_signed(Duration::try_hours(nums[3])?)?
            .checked_add_signed(Duration::try_minutes(nums[4])?)?
            .checked_add_signed(Duration::try_seconds(nums[5])?)?
            .checked_add_signed(Duration::try_milliseconds(nums[6])?)
    });
    match local {
        Some(l) => Ok(Some(Bson::DateTime(tz.instant(l)))),
        None => Err(err(40523, "$dateFromParts: date out of range".into())),
    }
}

const PARTS: [&str; 10] = [
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "isoWeekYear",
    "isoWeek",
    "isoDayOfWeek",
];

/// Argument `i` of an evaluated argument list; missing reads as null.
fn value_at(vals: &[Option<Bson>], i: usize) -> &Bson {
    vals.get(i).and_then(Option::as_ref).unwrap_or(&Bson::Null)
}

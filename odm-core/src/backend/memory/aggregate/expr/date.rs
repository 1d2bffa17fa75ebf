//! Date operators: parts, formatting and parsing, arithmetic, differences
//! and truncation, in UTC or a fixed offset (`"+05:30"`). Olson names
//! (`"Europe/Paris"`) need a time zone database, which odm does not ship:
//! they fail with a clear error rather than silently using UTC.

use bson::Bson;
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, NaiveDateTime, TimeZone,
    Timelike, Utc, Weekday,
};

use super::arith::as_num;
use super::compile::{arg, Node, Op};
use super::{nullish, type_name, Env};
use crate::error::CommandError;

fn err(code: i32, msg: String) -> CommandError {
    CommandError::new(code, format!("Location{code}"), msg)
}

/// A BSON date as MongoDB prints it: `2021-03-15T10:20:30.400Z`.
pub(crate) fn iso(d: bson::DateTime) -> String {
    match Utc.timestamp_millis_opt(d.timestamp_millis()).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => d.timestamp_millis().to_string(),
    }
}

/// Parse the date strings `$toDate`/`$dateFromString` accept without a format.
pub(crate) fn parse_iso(s: &str) -> Option<bson::DateTime> {
    parse_with_tz(s, FixedOffset::east_opt(0)?)
}

fn parse_with_tz(s: &str, tz: FixedOffset) -> Option<bson::DateTime> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(bson::DateTime::from_millis(t.timestamp_millis()));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(bson::DateTime::from_millis(t.timestamp_millis()));
        }
    }
    let (body, utc) = match s.strip_suffix('Z') {
        Some(b) => (b, true),
        None => (s, false),
    };
    let local = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(body, f).ok())
    .or_else(|| {
        ["%Y-%m-%d", "%Y/%m/%d", "%B %d, %Y", "%b %d, %Y"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(body, f).ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    let tz = if utc { FixedOffset::east_opt(0)? } else { tz };
    Some(from_local(local, tz))
}

fn from_local(local: NaiveDateTime, tz: FixedOffset) -> bson::DateTime {
    let utc = local - Duration::seconds(i64::from(tz.local_minus_utc()));
    bson::DateTime::from_millis(utc.and_utc().timestamp_millis())
}

fn to_local(d: bson::DateTime, tz: FixedOffset) -> Option<NaiveDateTime> {
    let t = Utc.timestamp_millis_opt(d.timestamp_millis()).single()?;
    Some(t.with_timezone(&tz).naive_local())
}

/// A `timezone` argument: UTC/GMT, `Z`, or an offset `+hh`, `+hhmm`, `+hh:mm`.
fn timezone(v: &Option<Bson>) -> Result<Option<FixedOffset>, CommandError> {
    let s = match v {
        None => return Ok(FixedOffset::east_opt(0)),
        Some(Bson::Null | Bson::Undefined) => return Ok(None),
        Some(Bson::String(s)) => s.as_str(),
        Some(other) => {
            return Err(err(
                40517,
                format!(
                    "timezone must evaluate to a string, found {}",
                    type_name(other)
                ),
            ))
        }
    };
    if matches!(s, "UTC" | "GMT" | "Z" | "Etc/UTC" | "Etc/GMT") {
        return Ok(FixedOffset::east_opt(0));
    }
    let parsed = (|| {
        let sign = match s.as_bytes().first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let digits: String = s.get(1..)?.chars().filter(|c| *c != ':').collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (h, m) = match digits.len() {
            2 => (digits.parse::<i32>().ok()?, 0),
            4 => (
                digits.get(..2)?.parse::<i32>().ok()?,
                digits.get(2..)?.parse::<i32>().ok()?,
            ),
            _ => return None,
        };
        FixedOffset::east_opt(sign * (h * 3600 + m * 60))
    })();
    match parsed {
        Some(tz) => Ok(Some(tz)),
        None => Err(err(
            40485,
            format!("unrecognized time zone identifier: \"{s}\" (only UTC and fixed offsets such as \"+05:30\" are supported by the in-memory engine)"),
        )),
    }
}

/// A date argument: dates, ObjectIds (their timestamp) and timestamps.
fn date_of(op: Op, v: &Bson) -> Result<bson::DateTime, CommandError> {
    match v {
        Bson::DateTime(d) => Ok(*d),
        Bson::ObjectId(o) => Ok(bson::DateTime::from_millis(
            o.timestamp().timestamp_millis(),
        )),
        Bson::Timestamp(t) => Ok(bson::DateTime::from_millis(i64::from(t.time) * 1000)),
        other => Err(err(
            16006,
            format!(
                "can't convert from BSON type {} to Date ({})",
                type_name(other),
                op.name()
            ),
        )),
    }
}

fn int32(v: i64) -> Bson {
    i32::try_from(v).map(Bson::Int32).unwrap_or(Bson::Int64(v))
}

/// `%U`: week of the year, weeks starting on Sunday, days before the first Sunday in week 0.
fn week_sunday(t: &NaiveDateTime) -> i64 {
    let yday = i64::from(t.ordinal0());
    let wday = i64::from(t.weekday().num_days_from_sunday());
    (yday + 7 - wday) / 7
}

fn part(op: Op, t: &NaiveDateTime) -> Bson {
    int32(match op {
        Op::Year => i64::from(t.year()),
        Op::Month => i64::from(t.month()),
        Op::DayOfMonth => i64::from(t.day()),
        Op::DayOfWeek => i64::from(t.weekday().number_from_sunday()),
        Op::DayOfYear => i64::from(t.ordinal()),
        Op::Hour => i64::from(t.hour()),
        Op::Minute => i64::from(t.minute()),
        Op::Second => i64::from(t.second()),
        Op::Millisecond => i64::from(t.and_utc().timestamp_subsec_millis()),
        Op::Week => week_sunday(t),
        Op::IsoWeek => i64::from(t.iso_week().week()),
        Op::IsoWeekYear => i64::from(t.iso_week().year()),
        _ => i64::from(t.weekday().number_from_monday()),
    })
}

pub(super) fn eval(env: &mut Env<'_>, op: Op, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    match op {
        Op::DateToString => return date_to_string(env, args),
        Op::DateFromString => return date_from_string(env, args),
        Op::DateFromParts => return date_from_parts(env, args),
        _ => {}
    }
    let vals = env.eval_all(args)?;
    let v0 = vals.first().cloned().flatten();
    match op {
        Op::DateAdd | Op::DateSubtract => date_add(op, &vals),
        Op::DateDiff => date_diff(&vals),
        Op::DateTrunc => date_trunc(&vals),
        _ => {
            if nullish(&v0) {
                return Ok(Some(Bson::Null));
            }
            let d = date_of(op, v0.as_ref().unwrap_or(&Bson::Null))?;
            let tz_arg = vals.get(1);
            let Some(tz) = timezone(tz_arg.unwrap_or(&None))? else {
                return Ok(Some(Bson::Null));
            };
            let Some(t) = to_local(d, tz) else {
                return Ok(Some(Bson::Null));
            };
            if op == Op::DateToParts {
                let iso8601 = matches!(vals.get(2), Some(Some(Bson::Boolean(true))));
                let ms = int32(i64::from(t.and_utc().timestamp_subsec_millis()));
                let doc = if iso8601 {
                    bson::doc! {"isoWeekYear": t.iso_week().year(), "isoWeek": t.iso_week().week() as i32,
                    "isoDayOfWeek": t.weekday().number_from_monday() as i32,
                    "hour": t.hour() as i32, "minute": t.minute() as i32, "second": t.second() as i32, "millisecond": ms}
                } else {
                    bson::doc! {"year": t.year(), "month": t.month() as i32, "day": t.day() as i32,
                    "hour": t.hour() as i32, "minute": t.minute() as i32, "second": t.second() as i32, "millisecond": ms}
                };
                return Ok(Some(Bson::Document(doc)));
            }
            Ok(Some(part(op, &t)))
        }
    }
}

fn format_date(t: &NaiveDateTime, tz: FixedOffset, format: &str) -> Result<String, CommandError> {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(spec) = chars.next() else {
            return Err(err(18535, "Unmatched '%' at end of format string".into()));
        };
        let off = tz.local_minus_utc() / 60;
        let s = match spec {
            'Y' => format!("{:04}", t.year()),
            'm' => format!("{:02}", t.month()),
            'd' => format!("{:02}", t.day()),
            'H' => format!("{:02}", t.hour()),
            'M' => format!("{:02}", t.minute()),
            'S' => format!("{:02}", t.second()),
            'L' => format!("{:03}", t.and_utc().timestamp_subsec_millis()),
            'j' => format!("{:03}", t.ordinal()),
            'w' => t.weekday().number_from_sunday().to_string(),
            'u' => t.weekday().number_from_monday().to_string(),
            'U' => format!("{:02}", week_sunday(t)),
            'V' => format!("{:02}", t.iso_week().week()),
            'G' => format!("{:04}", t.iso_week().year()),
            'b' => t.format("%b").to_string(),
            'B' => t.format("%B").to_string(),
            'z' => format!(
                "{}{:02}{:02}",
                if off < 0 { '-' } else { '+' },
                off.abs() / 60,
                off.abs() % 60
            ),
            'Z' => off.to_string(),
            '%' => "%".into(),
            other => {
                return Err(err(
                    18536,
                    format!("Invalid format character '%{other}' in format string"),
                ))
            }
        };
        out.push_str(&s);
    }
    Ok(out)
}

fn date_to_string(env: &mut Env<'_>, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    let date = env.eval(arg(args, 0))?;
    let format = env.eval(arg(args, 1))?;
    let tz = env.eval(arg(args, 2))?;
    if nullish(&date) {
        return match arg(args, 3) {
            Node::Absent => Ok(Some(Bson::Null)),
            n => env.eval(n),
        };
    }
    let d = date_of(Op::DateToString, date.as_ref().unwrap_or(&Bson::Null))?;
    let Some(tz) = timezone(&tz)? else {
        return Ok(Some(Bson::Null));
    };
    let format = match format {
        None => {
            if tz.local_minus_utc() == 0 {
                "%Y-%m-%dT%H:%M:%S.%LZ".to_owned()
            } else {
                "%Y-%m-%dT%H:%M:%S.%L".to_owned()
            }
        }
        Some(Bson::String(f)) => f,
        Some(Bson::Null | Bson::Undefined) => return Ok(Some(Bson::Null)),
        Some(other) => {
            return Err(err(
                18533,
                format!(
                    "$dateToString requires that 'format' be a string, found: {}",
                    type_name(&other)
                ),
            ))
        }
    };
    let Some(t) = to_local(d, tz) else {
        return Ok(Some(Bson::Null));
    };
    Ok(Some(Bson::String(format_date(&t, tz, &format)?)))
}

fn date_from_string(env: &mut Env<'_>, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    let s = env.eval(arg(args, 0))?;
    let format = env.eval(arg(args, 1))?;
    let tz = env.eval(arg(args, 2))?;
    if nullish(&s) {
        return match arg(args, 4) {
            Node::Absent => Ok(Some(Bson::Null)),
            n => env.eval(n),
        };
    }
    let result = (|| {
        let Some(Bson::String(text)) = &s else {
            return Err(err(
                241,
                format!(
                    "$dateFromString requires that 'dateString' be a string, found: {}",
                    s.as_ref().map_or("missing", type_name)
                ),
            ));
        };
        let Some(tz) = timezone(&tz)? else {
            return Ok(Bson::Null);
        };
        let parsed = match &format {
            None | Some(Bson::Null) => parse_with_tz(text, tz),
            Some(Bson::String(f)) => {
                let f = f.replace("%L", "%3f");
                NaiveDateTime::parse_from_str(text, &f)
                    .ok()
                    .map(|t| from_local(t, tz))
                    .or_else(|| {
                        DateTime::parse_from_str(text, &f)
                            .ok()
                            .map(|t| bson::DateTime::from_millis(t.timestamp_millis()))
                    })
                    .or_else(|| {
                        NaiveDate::parse_from_str(text, &f)
                            .ok()
                            .and_then(|d| d.and_hms_opt(0, 0, 0))
                            .map(|t| from_local(t, tz))
                    })
            }
            Some(other) => {
                return Err(err(
                    40684,
                    format!(
                        "$dateFromString requires that 'format' be a string, found: {}",
                        type_name(other)
                    ),
                ))
            }
        };
        parsed.map(Bson::DateTime).ok_or_else(|| {
            CommandError::new(
                241,
                "ConversionFailure",
                format!("Error parsing date string '{text}'"),
            )
        })
    })();
    match (result, arg(args, 3)) {
        (Ok(v), _) => Ok(Some(v)),
        (Err(e), Node::Absent) => Err(e),
        (Err(_), n) => env.eval(n),
    }
}

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

fn date_add(op: Op, vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    if vals.iter().take(3).any(nullish) {
        return Ok(Some(Bson::Null));
    }
    let d = date_of(
        op,
        vals.first()
            .cloned()
            .flatten()
            .as_ref()
            .unwrap_or(&Bson::Null),
    )?;
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
    let out = to_local(d, tz)
        .and_then(|t| add_units(t, unit, n))
        .ok_or_else(|| err(5166406, format!("{} overflowed", op.name())))?;
    Ok(Some(Bson::DateTime(from_local(out, tz))))
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

fn date_diff(vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    if vals.iter().take(3).any(nullish) {
        return Ok(Some(Bson::Null));
    }
    let a = date_of(
        Op::DateDiff,
        vals.first()
            .cloned()
            .flatten()
            .as_ref()
            .unwrap_or(&Bson::Null),
    )?;
    let b = date_of(
        Op::DateDiff,
        vals.get(1)
            .cloned()
            .flatten()
            .as_ref()
            .unwrap_or(&Bson::Null),
    )?;
    let unit = unit_of(vals.get(2))?;
    let Some(tz) = timezone(vals.get(3).unwrap_or(&None))? else {
        return Ok(Some(Bson::Null));
    };
    let sow = start_of_week(vals.get(4).unwrap_or(&None))?;
    let (Some(x), Some(y)) = (to_local(a, tz), to_local(b, tz)) else {
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

fn date_trunc(vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    if vals.iter().take(2).any(nullish) {
        return Ok(Some(Bson::Null));
    }
    let d = date_of(
        Op::DateTrunc,
        vals.first()
            .cloned()
            .flatten()
            .as_ref()
            .unwrap_or(&Bson::Null),
    )?;
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
    let Some(t) = to_local(d, tz) else {
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
            let span = per * bin;
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
    Ok(out.map(|o| Bson::DateTime(from_local(o, tz))))
}

fn date_from_parts(env: &mut Env<'_>, args: &[Node]) -> Result<Option<Bson>, CommandError> {
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
                        PARTS[i],
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
            d.checked_add_signed(Duration::try_weeks(nums[8] - 1)?)?
                .checked_add_signed(Duration::try_days(nums[9] - 1)?)
        })
    } else {
        NaiveDate::from_ymd_opt(year_field as i32, 1, 1).and_then(|d| {
            let d = d.and_hms_opt(0, 0, 0)?;
            let d = add_units(d, "month", nums[1] - 1)?;
            d.date()
                .checked_add_signed(Duration::try_days(nums[2] - 1)?)
        })
    };
    let local = base.and_then(|d| d.and_hms_opt(0, 0, 0)).and_then(|d| {
        d.checked_add_signed(Duration::try_hours(nums[3])?)?
            .checked_add_signed(Duration::try_minutes(nums[4])?)?
            .checked_add_signed(Duration::try_seconds(nums[5])?)?
            .checked_add_signed(Duration::try_milliseconds(nums[6])?)
    });
    match local {
        Some(l) => Ok(Some(Bson::DateTime(from_local(l, tz)))),
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

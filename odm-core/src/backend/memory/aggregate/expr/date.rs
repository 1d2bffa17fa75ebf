//! Date operators: parts, formatting and parsing, arithmetic, differences
//! and truncation, in UTC, a fixed offset (`"+05:30"`) or an Olson time zone
//! (`"Europe/Paris"`, through `chrono-tz`'s copy of the IANA database), as
//! MongoDB accepts in every `timezone` argument.

use bson::Bson;
use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;

use super::compile::{arg, Node, Op};
use super::{date_calc, nullish, type_name, Env};
use crate::error::CommandError;

pub(super) fn err(code: i32, msg: String) -> CommandError {
    CommandError::new(code, format!("Location{code}"), msg)
}

/// A BSON date as MongoDB prints it: `2021-03-15T10:20:30.400Z`.
pub(crate) fn iso(d: bson::DateTime) -> String {
    match Utc.timestamp_millis_opt(d.timestamp_millis()).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => d.timestamp_millis().to_string(),
    }
}

/// The time zone of a date operator: a fixed offset (UTC included) or an
/// Olson zone, whose offset depends on the instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Zone {
    /// UTC or `+hh:mm`.
    Fixed(FixedOffset),
    /// `Europe/Paris`.
    Named(Tz),
}

impl Zone {
    pub(crate) const UTC: Zone = match FixedOffset::east_opt(0) {
        Some(utc) => Zone::Fixed(utc),
        // Evaluated at compile time: a zero offset is always valid.
        None => panic!("a zero offset"),
    };

    /// The wall-clock time at instant `d`, and the offset in force then.
    fn local_at(self, d: bson::DateTime) -> Option<(NaiveDateTime, FixedOffset)> {
        let utc = Utc
            .timestamp_millis_opt(d.timestamp_millis())
            .single()?
            .naive_utc();
        let offset = match self {
            Zone::Fixed(off) => off,
            Zone::Named(tz) => tz.offset_from_utc_datetime(&utc).fix(),
        };
        Some((utc + offset, offset))
    }

    /// The wall-clock time at instant `d`.
    pub(crate) fn wall_clock(self, d: bson::DateTime) -> Option<NaiveDateTime> {
        self.local_at(d).map(|(local, _)| local)
    }

    /// The instant of wall-clock time `local`. A time that occurs twice (the
    /// hour repeated when clocks go back) is its first occurrence; a time
    /// that never occurs (skipped when clocks go forward) is read with the
    /// offset in force before the change, so it lands after the gap, as
    /// MongoDB's date library does.
    pub(crate) fn instant(self, local: NaiveDateTime) -> bson::DateTime {
        let offset = match self {
            Zone::Fixed(off) => off,
            Zone::Named(tz) => match tz.offset_from_local_datetime(&local) {
                LocalResult::Single(off) | LocalResult::Ambiguous(off, _) => off.fix(),
                LocalResult::None => {
                    // No zone skips more than a day, and none changes twice
                    // within one, so a day earlier is before the gap.
                    let before = local - chrono::Duration::days(1);
                    match tz.offset_from_local_datetime(&before) {
                        LocalResult::Single(off) | LocalResult::Ambiguous(_, off) => off.fix(),
                        LocalResult::None => tz.offset_from_utc_datetime(&local).fix(),
                    }
                }
            },
        };
        bson::DateTime::from_millis((local - offset).and_utc().timestamp_millis())
    }
}

/// Parse the date strings `$toDate`/`$dateFromString` accept without a format.
pub(crate) fn parse_iso(s: &str) -> Option<bson::DateTime> {
    parse_with_tz(s, Zone::UTC)
}

fn parse_with_tz(s: &str, tz: Zone) -> Option<bson::DateTime> {
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
    let tz = if utc { Zone::UTC } else { tz };
    Some(tz.instant(local))
}

/// A `timezone` argument: UTC/GMT, `Z`, an offset `+hh`, `+hhmm`, `+hh:mm`,
/// or an Olson identifier such as `America/New_York`.
pub(super) fn timezone(v: &Option<Bson>) -> Result<Option<Zone>, CommandError> {
    let s = match v {
        None => return Ok(Some(Zone::UTC)),
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
        return Ok(Some(Zone::UTC));
    }
    if let Ok(tz) = s.parse::<Tz>() {
        return Ok(Some(Zone::Named(tz)));
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
        Some(tz) => Ok(Some(Zone::Fixed(tz))),
        None => Err(err(
            40485,
            format!("unrecognized time zone identifier: \"{s}\""),
        )),
    }
}

/// A date argument: dates, ObjectIds (their timestamp) and timestamps.
pub(super) fn date_of(op: Op, v: &Bson) -> Result<bson::DateTime, CommandError> {
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
        Op::DateFromParts => return date_calc::date_from_parts(env, args),
        _ => {}
    }
    let vals = env.eval_all(args)?;
    let v0 = vals.first().cloned().flatten();
    match op {
        Op::DateAdd | Op::DateSubtract => date_calc::date_add(op, &vals),
        Op::DateDiff => date_calc::date_diff(&vals),
        Op::DateTrunc => date_calc::date_trunc(&vals),
        _ => {
            if nullish(&v0) {
                return Ok(Some(Bson::Null));
            }
            let d = date_of(op, v0.as_ref().unwrap_or(&Bson::Null))?;
            let tz_arg = vals.get(1);
            let Some(tz) = timezone(tz_arg.unwrap_or(&None))? else {
                return Ok(Some(Bson::Null));
            };
            let Some(t) = tz.wall_clock(d) else {
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

/// Format wall-clock time `t`, whose offset from UTC is `offset`.
fn format_date(
    t: &NaiveDateTime,
    offset: FixedOffset,
    format: &str,
) -> Result<String, CommandError> {
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
        let off = offset.local_minus_utc() / 60;
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
            if tz == Zone::UTC {
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
    let Some((t, offset)) = tz.local_at(d) else {
        return Ok(Some(Bson::Null));
    };
    Ok(Some(Bson::String(format_date(&t, offset, &format)?)))
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
                    .map(|t| tz.instant(t))
                    .or_else(|| {
                        DateTime::parse_from_str(text, &f)
                            .ok()
                            .map(|t| bson::DateTime::from_millis(t.timestamp_millis()))
                    })
                    .or_else(|| {
                        NaiveDate::parse_from_str(text, &f)
                            .ok()
                            .and_then(|d| d.and_hms_opt(0, 0, 0))
                            .map(|t| tz.instant(t))
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

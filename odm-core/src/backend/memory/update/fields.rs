//! Field modifiers: `$set`, `$unset`, `$inc`, `$mul`, `$min`, `$max`,
//! `$currentDate` and `$rename`, with MongoDB's numeric promotion rules.

use std::cmp::Ordering;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use bson::{Bson, Decimal128, Document, Timestamp};

use super::compile::{Kind, Op};
use super::path::{walk, Part, Trail, UpdatePath, Walk};
use super::ApplyContext;
use crate::backend::memory::compare::compare_bson;
use crate::error::CommandError;
use crate::value::{display_bson, element_type_name};

/// Binary identity, as MongoDB decides whether an update is a no-op: `1` and
/// `1.0` differ, and documents compare field order.
pub(super) fn identical(a: &Bson, b: &Bson) -> bool {
    match (a, b) {
        (Bson::Document(x), Bson::Document(y)) => identical_docs(x, y),
        (Bson::Array(x), Bson::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| identical(p, q))
        }
        (Bson::Double(x), Bson::Double(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// [`identical`] for documents.
pub(super) fn identical_docs(x: &Document, y: &Document) -> bool {
    x.len() == y.len()
        && x.iter()
            .zip(y)
            .all(|((ka, va), (kb, vb))| ka == kb && identical(va, vb))
}

/// `$set`: replace unless identical.
pub(super) fn set(value: &mut Bson, new: &Bson) -> bool {
    if identical(value, new) {
        return false;
    }
    *value = new.clone();
    true
}

/// `$min` (`want == Less`) and `$max` (`Greater`): replace when `new` orders that way.
pub(super) fn min_max(value: &mut Bson, new: &Bson, want: Ordering) -> bool {
    if compare_bson(new, value) != want {
        return false;
    }
    *value = new.clone();
    true
}

/// `$inc` or `$mul`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Arith {
    Inc,
    Mul,
}

impl Arith {
    fn name(self) -> &'static str {
        match self {
            Arith::Inc => "$inc",
            Arith::Mul => "$mul",
        }
    }

    /// A missing field gets the increment itself, or a zero of the multiplier's type.
    pub fn on_missing(self, operand: &Bson) -> Bson {
        match (self, operand) {
            (Arith::Inc, v) => v.clone(),
            (Arith::Mul, Bson::Int64(_)) => Bson::Int64(0),
            (Arith::Mul, Bson::Double(_)) => Bson::Double(0.0),
            (Arith::Mul, Bson::Decimal128(_)) => decimal("0").map_or(Bson::Int32(0), Bson::from),
            (Arith::Mul, _) => Bson::Int32(0),
        }
    }
}

fn is_number(v: &Bson) -> bool {
    matches!(
        v,
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_)
    )
}

fn decimal(s: &str) -> Option<Decimal128> {
    s.parse().ok()
}

/// Check the argument of `$inc`/`$mul` is a number.
pub(super) fn numeric_arg(a: Arith, field: &str, arg: &Bson) -> Result<Bson, CommandError> {
    if is_number(arg) {
        return Ok(arg.clone());
    }
    let verb = match a {
        Arith::Inc => "increment",
        Arith::Mul => "multiply",
    };
    Err(CommandError::type_mismatch(format!(
        "Cannot {verb} with non-numeric argument: {{{field}: {}}}",
        display_bson(arg)
    )))
}

/// Apply `$inc`/`$mul` to an existing value.
pub(super) fn arith(
    a: Arith,
    value: &mut Bson,
    operand: &Bson,
    field: &str,
    w: &Walk<'_>,
) -> Result<bool, CommandError> {
    if !is_number(value) {
        return Err(CommandError::type_mismatch(format!(
            "Cannot apply {} to a value of non-numeric type. {} has the field '{field}' of \
             non-numeric type {}",
            a.name(),
            w.id_text(),
            element_type_name(value.element_type())
        )));
    }
    let result = compute(a, value, operand).ok_or_else(|| {
        CommandError::bad_value(format!(
            "Failed to apply {} operations to current value ({}) for document {}",
            a.name(),
            display_bson(value),
            w.id_text()
        ))
    })?;
    Ok(set(value, &result))
}

/// MongoDB's arithmetic: int32 widens to int64 on overflow, int64 overflow
/// fails (`None`), any decimal makes an exact decimal, else any double a double.
fn compute(a: Arith, x: &Bson, y: &Bson) -> Option<Bson> {
    let int = |v: &Bson| match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        _ => None,
    };
    match (x, y) {
        (Bson::Int32(p), Bson::Int32(q)) => {
            let (p, q) = (i64::from(*p), i64::from(*q));
            // Two int32 never overflow an int64.
            let r = match a {
                Arith::Inc => p + q,
                Arith::Mul => p * q,
            };
            Some(i32::try_from(r).map_or(Bson::Int64(r), Bson::Int32))
        }
        (Bson::Decimal128(_), _) | (_, Bson::Decimal128(_)) => match a {
            Arith::Inc => super::decimal::inc(x, y),
            Arith::Mul => super::decimal::times(x, y),
        },
        _ => match (int(x), int(y)) {
            (Some(p), Some(q)) => match a {
                Arith::Inc => p.checked_add(q),
                Arith::Mul => p.checked_mul(q),
            }
            .map(Bson::Int64),
            _ => Some(Bson::Double(match a {
                Arith::Inc => as_f64(x)? + as_f64(y)?,
                Arith::Mul => as_f64(x)? * as_f64(y)?,
            })),
        },
    }
}

fn as_f64(v: &Bson) -> Option<f64> {
    match v {
        Bson::Int32(i) => Some(f64::from(*i)),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(d) => Some(*d),
        _ => None,
    }
}

/// What `$currentDate` stores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum DateKind {
    Date,
    Timestamp,
}

impl DateKind {
    /// `true`/`false`, `{$type: "date"}` or `{$type: "timestamp"}`.
    pub fn parse(field: &str, arg: &Bson) -> Result<Self, CommandError> {
        match arg {
            Bson::Boolean(_) => Ok(DateKind::Date),
            Bson::Document(d) => match (d.len(), d.get("$type")) {
                (1, Some(Bson::String(t))) if t == "date" => Ok(DateKind::Date),
                (1, Some(Bson::String(t))) if t == "timestamp" => Ok(DateKind::Timestamp),
                _ => Err(CommandError::bad_value(
                    "The '$type' string field is required to be 'date' or 'timestamp': \
                     {$currentDate: {field : {$type: 'date'}}}",
                )),
            },
            _ => Err(CommandError::bad_value(format!(
                "{{{field}: {}}} is not valid type for $currentDate. Please use a boolean \
                 ('true') or a $type expression ({{$type: 'timestamp/date'}}).",
                display_bson(arg)
            ))),
        }
    }

    /// The current time in this form.
    pub fn now(self, ctx: &ApplyContext) -> Bson {
        let now = ctx.now.unwrap_or_else(bson::DateTime::now);
        match self {
            DateKind::Date => Bson::DateTime(now),
            DateKind::Timestamp => Bson::Timestamp(next_timestamp(
                u32::try_from(now.timestamp_millis() / 1000).unwrap_or(u32::MAX),
            )),
        }
    }
}

/// The last timestamp handed out, as `time << 32 | increment`.
static LAST_TIMESTAMP: AtomicU64 = AtomicU64::new(0);

/// A timestamp for `secs`, after every one handed out before: like the
/// server's, timestamps within a second count up their increment, and a
/// clock set back does not make them go back.
fn next_timestamp(secs: u32) -> Timestamp {
    let mut last = LAST_TIMESTAMP.load(AtomicOrdering::Relaxed);
    loop {
        let (time, increment) = ((last >> 32) as u32, last as u32);
        let next = if secs > time {
            Timestamp {
                time: secs,
                increment: 1,
            }
        } else {
            Timestamp {
                time,
                increment: increment.wrapping_add(1),
            }
        };
        let packed = (u64::from(next.time) << 32) | u64::from(next.increment);
        match LAST_TIMESTAMP.compare_exchange_weak(
            last,
            packed,
            AtomicOrdering::Relaxed,
            AtomicOrdering::Relaxed,
        ) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// Check and parse the target of `$rename: {source: target}`.
pub(super) fn rename_target(from: &UpdatePath, arg: &Bson) -> Result<UpdatePath, CommandError> {
    let Bson::String(to) = arg else {
        return Err(CommandError::bad_value(format!(
            "The 'to' field for $rename must be a string: {}: {}",
            from.text,
            display_bson(arg)
        )));
    };
    let to = UpdatePath::parse(to)?;
    if from.is_dynamic() {
        return Err(CommandError::bad_value(format!(
            "The source field for $rename may not be dynamic: {}",
            from.text
        )));
    }
    if to.is_dynamic() {
        return Err(CommandError::bad_value(format!(
            "The destination field for $rename may not be dynamic: {}",
            to.text
        )));
    }
    if from.text == to.text {
        return Err(CommandError::bad_value(format!(
            "The source and target field for $rename must differ: {}",
            from.text
        )));
    }
    if from.conflict_with(&to).is_some() {
        return Err(CommandError::bad_value(format!(
            "The source and target field for $rename must not be on the same path: {}: \"{}\"",
            from.text, to.text
        )));
    }
    Ok(to)
}

/// Apply `$rename` of `from` to `to` on the whole document: the value leaves
/// its place and is set at `to` (keeping `to`'s position if it exists).
pub(super) fn rename(
    root: &mut Bson,
    from: &UpdatePath,
    to: &UpdatePath,
    w: &Walk<'_>,
) -> Result<bool, CommandError> {
    let names = |p: &UpdatePath| -> Vec<String> {
        p.parts
            .iter()
            .map(|part| match part {
                Part::Field(f) => f.clone(),
                _ => String::new(),
            })
            .collect()
    };
    let (src, dst) = (names(from), names(to));
    check_no_array(root, &src, &from.text, "source")?;
    check_no_array(root, &dst, &to.text, "destination")?;
    let Some(value) = take(root, &src) else {
        return Ok(false);
    };
    let setter = Op {
        path: to.clone(),
        kind: Kind::Set(value),
    };
    walk(root, &setter, 0, w, &mut Trail::new(false))?;
    Ok(true)
}

/// `$rename` refuses to read or write through arrays.
fn check_no_array(
    root: &Bson,
    names: &[String],
    text: &str,
    which: &str,
) -> Result<(), CommandError> {
    let mut cur = root;
    for (i, name) in names.iter().enumerate() {
        let Bson::Document(d) = cur else {
            return Ok(());
        };
        match d.get(name) {
            Some(v @ Bson::Array(_)) if i + 1 < names.len() => {
                return Err(CommandError::bad_value(format!(
                    "The {which} field cannot be an array element, '{text}' in doc with \
                     {name}: {} has an array field called '{name}'",
                    display_bson(v)
                )));
            }
            Some(v) => cur = v,
            None => return Ok(()),
        }
    }
    Ok(())
}

/// Remove and return the value at a path of field names, through documents only.
fn take(root: &mut Bson, names: &[String]) -> Option<Bson> {
    let (last, parents) = names.split_last()?;
    let mut cur = root;
    for name in parents {
        cur = match cur {
            Bson::Document(d) => d.get_mut(name)?,
            _ => return None,
        };
    }
    match cur {
        Bson::Document(d) => d.remove(last),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn identity_is_type_and_order_sensitive() {
        assert!(!identical(&Bson::Int32(1), &Bson::Double(1.0)));
        assert!(!identical(
            &Bson::Document(doc! {"a": 1, "b": 2}),
            &Bson::Document(doc! {"b": 2, "a": 1})
        ));
        assert!(identical(
            &Bson::Array(vec![Bson::Double(f64::NAN)]),
            &Bson::Array(vec![Bson::Double(f64::NAN)])
        ));
    }

    #[test]
    fn arithmetic_promotes_like_mongodb() {
        let inc = |x: Bson, y: Bson| compute(Arith::Inc, &x, &y);
        let mul = |x: Bson, y: Bson| compute(Arith::Mul, &x, &y);
        assert_eq!(inc(Bson::Int32(2), Bson::Int32(3)), Some(Bson::Int32(5)));
        assert_eq!(
            inc(Bson::Int32(i32::MAX), Bson::Int32(1)),
            Some(Bson::Int64(i64::from(i32::MAX) + 1))
        );
        assert_eq!(inc(Bson::Int32(2), Bson::Int64(3)), Some(Bson::Int64(5)));
        assert_eq!(inc(Bson::Int64(i64::MAX), Bson::Int32(1)), None);
        assert_eq!(mul(Bson::Int64(i64::MAX), Bson::Int32(2)), None);
        assert_eq!(
            mul(Bson::Int32(3), Bson::Double(0.5)),
            Some(Bson::Double(1.5))
        );
        assert_eq!(
            mul(Bson::Int32(70_000), Bson::Int32(70_000)),
            Some(Bson::Int64(4_900_000_000))
        );
        assert_eq!(
            inc(Bson::Decimal128("1.5".parse().unwrap()), Bson::Int32(1)),
            Some(Bson::Decimal128("2.5".parse().unwrap()))
        );
        assert_eq!(
            mul(Bson::Double(2.0), Bson::Decimal128("0.1".parse().unwrap())),
            Some(Bson::Decimal128("0.200000000000000".parse().unwrap()))
        );
    }

    #[test]
    fn multiply_missing_is_typed_zero() {
        assert_eq!(Arith::Mul.on_missing(&Bson::Int64(7)), Bson::Int64(0));
        assert_eq!(Arith::Mul.on_missing(&Bson::Double(7.5)), Bson::Double(0.0));
        assert_eq!(Arith::Mul.on_missing(&Bson::Int32(7)), Bson::Int32(0));
        assert_eq!(Arith::Inc.on_missing(&Bson::Int64(7)), Bson::Int64(7));
    }

    #[test]
    fn timestamps_increase() {
        let a = next_timestamp(100);
        let b = next_timestamp(100);
        assert!((b.time, b.increment) > (a.time, a.increment));
    }

    #[test]
    fn current_date_arguments() {
        assert_eq!(
            DateKind::parse("d", &Bson::Boolean(true)).unwrap(),
            DateKind::Date
        );
        assert_eq!(
            DateKind::parse("d", &Bson::Document(doc! {"$type": "timestamp"})).unwrap(),
            DateKind::Timestamp
        );
        assert_eq!(DateKind::parse("d", &Bson::Int32(1)).unwrap_err().code, 2);
        assert_eq!(
            DateKind::parse("d", &Bson::Document(doc! {"$type": "string"}))
                .unwrap_err()
                .code,
            2
        );
    }
}

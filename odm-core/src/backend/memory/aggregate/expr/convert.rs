//! Type conversions (`$convert` and its `$toX` shorthands) and type
//! inspection (`$type`, `$isNumber`). Failed conversions are MongoDB's
//! `241 ConversionFailure` unless `onError` is given.

use bson::oid::ObjectId;
use bson::{Bson, Decimal128};

use super::compile::{arg, Node, Op};
use super::number::{as_num, dec_to_f64, f64_to_dec, Num};
use super::{nullish, Env};
use crate::error::CommandError;

/// MongoDB's name of a BSON type, as `$type` returns it.
pub fn type_name(v: &Bson) -> &'static str {
    match v {
        Bson::Double(_) => "double",
        Bson::String(_) => "string",
        Bson::Document(_) => "object",
        Bson::Array(_) => "array",
        Bson::Binary(_) => "binData",
        Bson::Undefined => "undefined",
        Bson::ObjectId(_) => "objectId",
        Bson::Boolean(_) => "bool",
        Bson::DateTime(_) => "date",
        Bson::Null => "null",
        Bson::RegularExpression(_) => "regex",
        Bson::DbPointer(_) => "dbPointer",
        Bson::JavaScriptCode(_) => "javascript",
        Bson::Symbol(_) => "symbol",
        Bson::JavaScriptCodeWithScope(_) => "javascriptWithScope",
        Bson::Int32(_) => "int",
        Bson::Timestamp(_) => "timestamp",
        Bson::Int64(_) => "long",
        Bson::Decimal128(_) => "decimal",
        Bson::MinKey => "minKey",
        Bson::MaxKey => "maxKey",
    }
}

/// A double printed as MongoDB prints it in `$toString` (`1`, `7.8`, `1e+21`).
pub(crate) fn double_to_string(d: f64) -> String {
    if d.is_nan() {
        "NaN".into()
    } else if d.is_infinite() {
        if d > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if d != 0.0 && (d.abs() >= 1e21 || d.abs() < 1e-6) {
        let s = format!("{d:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        format!("{d}")
    }
}

/// Conversion targets.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Double,
    String,
    ObjectId,
    Bool,
    Date,
    Int,
    Long,
    Decimal,
}

fn target(v: &Bson) -> Option<Target> {
    Some(match v {
        Bson::String(s) => match s.as_str() {
            "double" => Target::Double,
            "string" => Target::String,
            "objectId" => Target::ObjectId,
            "bool" => Target::Bool,
            "date" => Target::Date,
            "int" => Target::Int,
            "long" => Target::Long,
            "decimal" => Target::Decimal,
            _ => return None,
        },
        other => match as_num(other).and_then(|n| n.exact_i64())? {
            1 => Target::Double,
            2 => Target::String,
            7 => Target::ObjectId,
            8 => Target::Bool,
            9 => Target::Date,
            16 => Target::Int,
            18 => Target::Long,
            19 => Target::Decimal,
            _ => return None,
        },
    })
}

fn target_name(t: Target) -> &'static str {
    match t {
        Target::Double => "double",
        Target::String => "string",
        Target::ObjectId => "objectId",
        Target::Bool => "bool",
        Target::Date => "date",
        Target::Int => "int",
        Target::Long => "long",
        Target::Decimal => "decimal",
    }
}

fn failure(msg: String) -> CommandError {
    CommandError::new(241, "ConversionFailure", msg)
}

fn unsupported(v: &Bson, t: Target) -> CommandError {
    failure(format!(
        "Unsupported conversion from {} to {} in $convert with no onError value",
        type_name(v),
        target_name(t)
    ))
}

fn parse_failed(s: &str, t: Target) -> CommandError {
    let what = if t == Target::Date { "date" } else { "number" };
    failure(format!(
        "Failed to parse {what} '{s}' in $convert with no onError value"
    ))
}

fn f64_to_i64(f: f64, v: &Bson, t: Target) -> Result<i64, CommandError> {
    if f.is_nan()
        || f.is_infinite()
        || !(-super::number::TWO_63..super::number::TWO_63).contains(&f)
    {
        return Err(failure(format!(
            "Conversion would overflow target type in $convert with no onError value: {v} to {}",
            target_name(t)
        )));
    }
    Ok(f.trunc() as i64)
}

fn convert(v: &Bson, t: Target) -> Result<Bson, CommandError> {
    let num = as_num(v);
    Ok(match t {
        Target::String => Bson::String(match v {
            Bson::String(s) => s.clone(),
            Bson::Boolean(b) => b.to_string(),
            Bson::Int32(i) => i.to_string(),
            Bson::Int64(i) => i.to_string(),
            Bson::Double(d) => double_to_string(*d),
            Bson::Decimal128(d) => d.to_string(),
            Bson::ObjectId(o) => o.to_hex(),
            Bson::DateTime(d) => super::date::iso(*d),
            other => return Err(unsupported(other, t)),
        }),
        Target::Bool => Bson::Boolean(match v {
            Bson::Boolean(b) => *b,
            _ if num.is_some() => num.is_some_and(|n| n.f64() != 0.0),
            Bson::String(_) | Bson::ObjectId(_) | Bson::DateTime(_) => true,
            Bson::Document(_) | Bson::Array(_) | Bson::Binary(_) | Bson::RegularExpression(_)
            | Bson::Timestamp(_) | Bson::MinKey | Bson::MaxKey | Bson::JavaScriptCode(_) => true,
            other => return Err(unsupported(other, t)),
        }),
        Target::ObjectId => match v {
            Bson::ObjectId(o) => Bson::ObjectId(*o),
            Bson::String(s) => Bson::ObjectId(ObjectId::parse_str(s).map_err(|_| {
                failure(format!(
                    "Failed to parse objectId '{s}' in $convert with no onError value: Invalid string length for parsing to OID, expected 24 but found {}",
                    s.len()
                ))
            })?),
            other => return Err(unsupported(other, t)),
        },
        Target::Date => match v {
            Bson::DateTime(d) => Bson::DateTime(*d),
            Bson::Int64(i) => Bson::DateTime(bson::DateTime::from_millis(*i)),
            Bson::Double(_) | Bson::Decimal128(_) => {
                let f = num.map_or(0.0, Num::f64);
                Bson::DateTime(bson::DateTime::from_millis(f64_to_i64(f, v, t)?))
            }
            Bson::String(s) => Bson::DateTime(
                super::date::parse_iso(s).ok_or_else(|| parse_failed(s, t))?,
            ),
            Bson::ObjectId(o) => Bson::DateTime(bson::DateTime::from_millis(
                o.timestamp().timestamp_millis(),
            )),
            Bson::Timestamp(ts) => {
                Bson::DateTime(bson::DateTime::from_millis(i64::from(ts.time) * 1000))
            }
            other => return Err(unsupported(other, t)),
        },
        Target::Double => Bson::Double(match v {
            Bson::Boolean(b) => f64::from(u8::from(*b)),
            Bson::DateTime(d) => d.timestamp_millis() as f64,
            Bson::String(s) => parse_double(s).ok_or_else(|| parse_failed(s, t))?,
            _ => match num {
                Some(n) => n.f64(),
                None => return Err(unsupported(v, t)),
            },
        }),
        Target::Decimal => Bson::Decimal128(match v {
            Bson::Decimal128(d) => *d,
            Bson::Boolean(b) => f64_to_dec(f64::from(u8::from(*b))),
            Bson::Int32(i) => int_dec(i64::from(*i)),
            Bson::Int64(i) => int_dec(*i),
            Bson::Double(d) => f64_to_dec(*d),
            Bson::DateTime(d) => int_dec(d.timestamp_millis()),
            Bson::String(s) => s.trim().parse::<Decimal128>().map_err(|_| parse_failed(s, t))?,
            other => return Err(unsupported(other, t)),
        }),
        Target::Int | Target::Long => {
            let i = match v {
                Bson::Boolean(b) => i64::from(*b),
                Bson::DateTime(d) if t == Target::Long => d.timestamp_millis(),
                Bson::String(s) => s.trim_start_matches('+').parse::<i64>().ok().filter(|_| !s.starts_with("+-")).ok_or_else(|| parse_failed(s, t))?,
                Bson::Int32(i) => i64::from(*i),
                Bson::Int64(i) => *i,
                Bson::Double(d) => f64_to_i64(*d, v, t)?,
                Bson::Decimal128(d) => f64_to_i64(dec_to_f64(*d), v, t)?,
                other => return Err(unsupported(other, t)),
            };
            if t == Target::Long {
                Bson::Int64(i)
            } else {
                Bson::Int32(i32::try_from(i).map_err(|_| {
                    match v {
                        Bson::String(s) => parse_failed(s, t),
                        _ => failure(format!(
                            "Conversion would overflow target type in $convert with no onError value: {v} to int"
                        )),
                    }
                })?)
            }
        }
    })
}

fn int_dec(i: i64) -> Decimal128 {
    i.to_string()
        .parse()
        .unwrap_or_else(|_| Decimal128::from_bytes([0; 16]))
}

fn parse_double(s: &str) -> Option<f64> {
    match s {
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "inf" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ if s.is_empty() || s.chars().any(|c| c.is_whitespace()) => None,
        _ if s.to_ascii_lowercase().contains("inf") || s.to_ascii_lowercase().contains("nan") => {
            None
        }
        _ => s.parse().ok(),
    }
}

pub(super) fn eval(env: &mut Env<'_>, op: Op, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    let input = env.eval(arg(args, 0))?;
    let t = match op {
        Op::Type => {
            return Ok(Some(Bson::String(
                input.as_ref().map_or("missing", type_name).to_owned(),
            )))
        }
        Op::IsNumber => {
            return Ok(Some(Bson::Boolean(
                input.as_ref().and_then(as_num).is_some(),
            )))
        }
        Op::ToString => Target::String,
        Op::ToInt => Target::Int,
        Op::ToLong => Target::Long,
        Op::ToDouble => Target::Double,
        Op::ToDecimal => Target::Decimal,
        Op::ToBool => Target::Bool,
        Op::ToDate => Target::Date,
        Op::ToObjectId => Target::ObjectId,
        _ => return convert_op(env, input, args),
    };
    match input {
        None | Some(Bson::Null | Bson::Undefined) => Ok(Some(Bson::Null)),
        Some(v) => convert(&v, t).map(Some),
    }
}

fn convert_op(
    env: &mut Env<'_>,
    input: Option<Bson>,
    args: &[Node],
) -> Result<Option<Bson>, CommandError> {
    let to = env.eval(arg(args, 1))?;
    if nullish(&input) {
        return match arg(args, 3) {
            Node::Absent => Ok(Some(Bson::Null)),
            n => env.eval(n),
        };
    }
    let t = match &to {
        None | Some(Bson::Null) => return Ok(Some(Bson::Null)),
        Some(v) => {
            target(v).ok_or_else(|| CommandError::bad_value(format!("Unknown type name: {v}")))?
        }
    };
    match convert(input.as_ref().unwrap_or(&Bson::Null), t) {
        Ok(v) => Ok(Some(v)),
        Err(e) => match arg(args, 2) {
            Node::Absent => Err(e),
            n => env.eval(n),
        },
    }
}

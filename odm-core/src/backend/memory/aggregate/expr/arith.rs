//! Arithmetic: `$add` (numbers and a date), `$subtract`, `$multiply`,
//! `$divide`, `$mod`, rounding, powers and logarithms, and the expression
//! forms of `$sum`/`$avg`/`$min`/`$max`/`$stdDev*`.
//!
//! Widths follow MongoDB: int32 results that overflow become int64, int64
//! results that overflow become double, any double makes a double. Decimal128
//! arithmetic is approximated through `f64` (the `bson` crate has no decimal
//! arithmetic); results involving a decimal are decimals.

use std::cmp::Ordering;

use bson::Bson;

use super::compile::{Node, Op};
use super::number::{
    add_nums, as_num, binop, dec_to_f64, f64_to_dec, int_result, mul_nums, sub_nums, Num, Summer,
    Variance,
};
use super::{nullish, type_name, Env};
use crate::error::CommandError;

fn numeric(op: &str, v: &Bson) -> Result<Num, CommandError> {
    as_num(v).ok_or_else(|| {
        CommandError::new(
            28765,
            "Location28765",
            format!("{op} only supports numeric types, not {}", type_name(v)),
        )
    })
}

pub(super) fn eval(env: &mut Env<'_>, op: Op, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    let vals = env.eval_all(args)?;
    match op {
        Op::Rand => Ok(Some(Bson::Double(random_unit()))),
        Op::Add => add(&vals),
        Op::Subtract => subtract(&vals),
        Op::Multiply => {
            let mut acc = Num::Int(1);
            for v in &vals {
                if nullish(v) {
                    return Ok(Some(Bson::Null));
                }
                let n = as_num(v.as_ref().unwrap_or(&Bson::Null)).ok_or_else(|| {
                    CommandError::type_mismatch(format!(
                        "$multiply only supports numeric types, not {}",
                        v.as_ref().map_or("missing", type_name)
                    ))
                })?;
                acc = mul_nums(acc, n);
            }
            Ok(Some(acc.bson()))
        }
        Op::Divide | Op::Mod => divide(op, &vals),
        Op::Sum | Op::Avg | Op::Max | Op::Min | Op::StdDevPop | Op::StdDevSamp => {
            Ok(Some(group_like(op, &vals)))
        }
        Op::Pow => pow(&vals),
        Op::Log => {
            let (Some(x), Some(b)) = (num_arg(op, &vals, 0)?, num_arg(op, &vals, 1)?) else {
                return Ok(Some(Bson::Null));
            };
            let (x, b) = (x.f64(), b.f64());
            if x <= 0.0 || b <= 0.0 || b == 1.0 {
                return Err(CommandError::new(
                    28758,
                    "Location28758",
                    "$log's argument must be a positive number and its base a positive number other than 1",
                ));
            }
            Ok(Some(Bson::Double(x.ln() / b.ln())))
        }
        Op::Round | Op::Trunc => round(op, &vals),
        _ => unary(op, vals.into_iter().next().flatten()),
    }
}

/// A uniform double in `[0, 1)` for `$rand`: SplitMix64 over a process-wide
/// counter seeded from the clock (no cryptographic quality is promised).
fn random_unit() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut seed = STATE.load(AtomicOrdering::Relaxed);
    if seed == 0 {
        seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
    }
    let next = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    STATE.store(next, AtomicOrdering::Relaxed);
    let mut z = next;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn num_arg(op: Op, vals: &[Option<Bson>], i: usize) -> Result<Option<Num>, CommandError> {
    match vals.get(i) {
        Some(Some(v)) if !matches!(v, Bson::Null | Bson::Undefined) => {
            numeric(op.name(), v).map(Some)
        }
        _ => Ok(None),
    }
}

fn add(vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let mut acc = Num::Int(0);
    let mut date: Option<i64> = None;
    for v in vals {
        let v = match v {
            None | Some(Bson::Null | Bson::Undefined) => return Ok(Some(Bson::Null)),
            Some(v) => v,
        };
        match v {
            Bson::DateTime(d) => {
                if date.is_some() {
                    return Err(CommandError::new(
                        16612,
                        "Location16612",
                        "only one date allowed in an $add expression",
                    ));
                }
                date = Some(d.timestamp_millis());
            }
            other => {
                let n = as_num(other).ok_or_else(|| {
                    CommandError::type_mismatch(format!(
                        "$add only supports numeric or date types, not {}",
                        type_name(other)
                    ))
                })?;
                acc = add_nums(acc, n);
            }
        }
    }
    Ok(Some(match date {
        Some(ms) => {
            let delta = match acc {
                Num::Int(i) => i64::from(i),
                Num::Long(i) => i,
                other => other.f64().round() as i64,
            };
            Bson::DateTime(bson::DateTime::from_millis(ms.wrapping_add(delta)))
        }
        None => acc.bson(),
    }))
}

fn subtract(vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let (a, b) = match (vals.first(), vals.get(1)) {
        (Some(Some(a)), Some(Some(b))) => (a, b),
        _ => return Ok(Some(Bson::Null)),
    };
    match (a, b) {
        (Bson::Null | Bson::Undefined, _) | (_, Bson::Null | Bson::Undefined) => {
            Ok(Some(Bson::Null))
        }
        (Bson::DateTime(x), Bson::DateTime(y)) => Ok(Some(Bson::Int64(
            x.timestamp_millis().wrapping_sub(y.timestamp_millis()),
        ))),
        (Bson::DateTime(x), other) if as_num(other).is_some() => {
            let n = as_num(other).map(|n| n.exact_i64().unwrap_or(n.f64().round() as i64));
            Ok(Some(Bson::DateTime(bson::DateTime::from_millis(
                x.timestamp_millis().wrapping_sub(n.unwrap_or(0)),
            ))))
        }
        (x, y) => match (as_num(x), as_num(y)) {
            (Some(x), Some(y)) => Ok(Some(sub_nums(x, y).bson())),
            _ => Err(CommandError::new(
                16556,
                "Location16556",
                format!("can't $subtract {} from {}", type_name(y), type_name(x)),
            )),
        },
    }
}

fn divide(op: Op, vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let (a, b) = match (vals.first(), vals.get(1)) {
        (Some(Some(a)), Some(Some(b))) => (a, b),
        _ => return Ok(Some(Bson::Null)),
    };
    if matches!(a, Bson::Null | Bson::Undefined) || matches!(b, Bson::Null | Bson::Undefined) {
        return Ok(Some(Bson::Null));
    }
    let (Some(x), Some(y)) = (as_num(a), as_num(b)) else {
        let (code, verb) = if op == Op::Divide {
            (16609, "$divide")
        } else {
            (16611, "$mod")
        };
        return Err(CommandError::type_mismatch(format!(
            "{verb} only supports numeric types, not {} and {}",
            type_name(a),
            type_name(b)
        ))
        .with_code(code));
    };
    if y.f64() == 0.0 {
        return Err(if op == Op::Divide {
            CommandError::bad_value("can't $divide by zero")
        } else {
            CommandError::new(16610, "Location16610", "can't $mod by 0")
        });
    }
    Ok(Some(if op == Op::Divide {
        if x.rank().max(y.rank()) == 3 {
            Bson::Decimal128(f64_to_dec(x.f64() / y.f64()))
        } else {
            Bson::Double(x.f64() / y.f64())
        }
    } else {
        binop(x, y, i64::checked_rem, |a, b| a % b).bson()
    }))
}

trait WithCode {
    fn with_code(self, code: i32) -> Self;
}

impl WithCode for CommandError {
    fn with_code(mut self, code: i32) -> Self {
        self.code = code;
        self.code_name = format!("Location{code}");
        self
    }
}

fn pow(vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let (Some(b), Some(e)) = (num_arg(Op::Pow, vals, 0)?, num_arg(Op::Pow, vals, 1)?) else {
        return Ok(Some(Bson::Null));
    };
    if b.f64() == 0.0 && e.f64() < 0.0 {
        return Err(CommandError::new(
            28764,
            "Location28764",
            "$pow cannot take a base of 0 and a negative exponent",
        ));
    }
    let rank = b.rank().max(e.rank());
    if let (Some(x), Some(y), true) = (b.int(), e.int(), rank <= 1) {
        if y >= 0 {
            if let Some(v) = u32::try_from(y).ok().and_then(|y| x.checked_pow(y)) {
                return Ok(Some(int_result(v, rank).bson()));
            }
        }
        return Ok(Some(Bson::Double((x as f64).powf(y as f64))));
    }
    let r = b.f64().powf(e.f64());
    Ok(Some(if rank == 3 {
        Bson::Decimal128(f64_to_dec(r))
    } else {
        Bson::Double(r)
    }))
}

fn round(op: Op, vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let Some(x) = num_arg(op, vals, 0)? else {
        return Ok(Some(Bson::Null));
    };
    let place = match num_arg(op, vals, 1)? {
        None if vals.get(1).is_some_and(|v| v.is_some()) => return Ok(Some(Bson::Null)),
        None => 0,
        Some(p) => match p.exact_i64() {
            Some(p) if (-20..100).contains(&p) => p,
            _ => {
                return Err(CommandError::new(
                    51155,
                    "Location51155",
                    format!(
                        "{} requires \"place\" argument to be an integer between -20 and 100",
                        op.name()
                    ),
                ))
            }
        },
    };
    let f: fn(f64) -> f64 = if op == Op::Round {
        f64::round_ties_even
    } else {
        f64::trunc
    };
    let scaled = |v: f64| -> f64 {
        if place >= 0 {
            let m = 10f64.powi(place as i32);
            let r = f(v * m) / m;
            if r.is_finite() {
                r
            } else {
                v
            }
        } else {
            let m = 10f64.powi((-place) as i32);
            f(v / m) * m
        }
    };
    Ok(Some(match x {
        Num::Int(_) | Num::Long(_) if place >= 0 => x.bson(),
        Num::Int(i) => int_result(scaled(i.into()) as i64, 0).bson(),
        Num::Long(i) => Bson::Int64(scaled(i as f64) as i64),
        Num::Double(d) => Bson::Double(scaled(d)),
        Num::Dec(d) => Bson::Decimal128(f64_to_dec(scaled(dec_to_f64(d)))),
    }))
}

fn unary(op: Op, v: Option<Bson>) -> Result<Option<Bson>, CommandError> {
    let Some(v) = v.filter(|v| !matches!(v, Bson::Null | Bson::Undefined)) else {
        return Ok(Some(Bson::Null));
    };
    let n = numeric(op.name(), &v)?;
    let float = |f: f64| -> Bson {
        if let Num::Dec(_) = n {
            Bson::Decimal128(f64_to_dec(f))
        } else {
            Bson::Double(f)
        }
    };
    Ok(Some(match op {
        Op::Abs => match n {
            Num::Int(i) => int_result(i64::from(i).abs(), 0).bson(),
            Num::Long(i) => match i.checked_abs() {
                Some(a) => Bson::Int64(a),
                None => {
                    return Err(CommandError::new(
                        28680,
                        "Location28680",
                        "can't take $abs of long long min",
                    ))
                }
            },
            other => float(other.f64().abs()),
        },
        Op::Ceil | Op::Floor => match n {
            Num::Int(_) | Num::Long(_) => n.bson(),
            other if op == Op::Ceil => float(other.f64().ceil()),
            other => float(other.f64().floor()),
        },
        Op::Exp => float(n.f64().exp()),
        Op::Sqrt => {
            if n.f64() < 0.0 {
                return Err(CommandError::new(
                    28714,
                    "Location28714",
                    "$sqrt's argument must be greater than or equal to 0",
                ));
            }
            float(n.f64().sqrt())
        }
        Op::Ln | Op::Log10 => {
            if n.f64() <= 0.0 {
                let code = if op == Op::Ln { 28766 } else { 28761 };
                return Err(CommandError::new(
                    code,
                    format!("Location{code}"),
                    format!(
                        "{}'s argument must be a positive number, but is {v}",
                        op.name()
                    ),
                ));
            }
            float(if op == Op::Ln {
                n.f64().ln()
            } else {
                n.f64().log10()
            })
        }
        _ => Bson::Null,
    }))
}

/// `$sum`, `$avg`, `$max`, `$min` and `$stdDev*` as expressions: over the
/// elements of a single array argument, or over the arguments.
fn group_like(op: Op, vals: &[Option<Bson>]) -> Bson {
    let items: Vec<&Bson> = match vals {
        [Some(Bson::Array(a))] => a.iter().collect(),
        _ => vals.iter().flatten().collect(),
    };
    match op {
        Op::Sum | Op::Avg => {
            let mut s = Summer::default();
            items
                .iter()
                .filter_map(|v| as_num(v))
                .for_each(|n| s.add(n));
            if op == Op::Sum {
                s.total()
            } else {
                s.mean()
            }
        }
        Op::StdDevPop | Op::StdDevSamp => {
            let mut v = Variance::default();
            items
                .iter()
                .filter_map(|x| as_num(x))
                .for_each(|n| v.add(n.f64()));
            v.result(op == Op::StdDevSamp)
        }
        _ => {
            let want = if op == Op::Max {
                Ordering::Greater
            } else {
                Ordering::Less
            };
            items
                .into_iter()
                .filter(|v| !matches!(v, Bson::Null | Bson::Undefined))
                .fold(None::<&Bson>, |best, v| match best {
                    Some(b) if super::compare::cmp(v, b) != want => Some(b),
                    _ => Some(v),
                })
                .cloned()
                .unwrap_or(Bson::Null)
        }
    }
}

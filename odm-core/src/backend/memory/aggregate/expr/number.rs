//! Numbers of every BSON width: widening rules shared by the arithmetic
//! operators, and the running sums and variances of `$sum`/`$avg`/`$stdDev*`
//! (as expressions and as `$group` accumulators).
//!
//! Decimal128 sums, differences and products are exact (through the
//! updater's decimal arithmetic, rounded to 34 digits as MongoDB does);
//! quotients, roots and logarithms of decimals go through `f64`.

use bson::{Bson, Decimal128};

use crate::backend::memory::update::decimal;

/// 2^63, exactly representable: the bound of `i64` as a double.
pub(crate) const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// A number of any BSON width.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i32),
    Long(i64),
    Double(f64),
    Dec(Decimal128),
}

/// The number in `v`, if it is one.
pub(crate) fn as_num(v: &Bson) -> Option<Num> {
    match v {
        Bson::Int32(i) => Some(Num::Int(*i)),
        Bson::Int64(i) => Some(Num::Long(*i)),
        Bson::Double(d) => Some(Num::Double(*d)),
        Bson::Decimal128(d) => Some(Num::Dec(*d)),
        _ => None,
    }
}

pub(crate) fn dec_to_f64(d: Decimal128) -> f64 {
    match d.to_string().as_str() {
        "NaN" | "-NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        s => s.parse().unwrap_or(f64::NAN),
    }
}

pub(crate) fn f64_to_dec(f: f64) -> Decimal128 {
    let s = if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        format!("{f}")
    };
    s.parse()
        .unwrap_or_else(|_| Decimal128::from_bytes([0; 16]))
}

impl Num {
    pub(crate) fn f64(self) -> f64 {
        match self {
            Num::Int(i) => i.into(),
            Num::Long(i) => i as f64,
            Num::Double(d) => d,
            Num::Dec(d) => dec_to_f64(d),
        }
    }

    /// The width rank: int < long < double < decimal.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Num::Int(_) => 0,
            Num::Long(_) => 1,
            Num::Double(_) => 2,
            Num::Dec(_) => 3,
        }
    }

    pub(crate) fn int(self) -> Option<i64> {
        match self {
            Num::Int(i) => Some(i.into()),
            Num::Long(i) => Some(i),
            _ => None,
        }
    }

    pub(crate) fn bson(self) -> Bson {
        match self {
            Num::Int(i) => Bson::Int32(i),
            Num::Long(i) => Bson::Int64(i),
            Num::Double(d) => Bson::Double(d),
            Num::Dec(d) => Bson::Decimal128(d),
        }
    }

    /// The integer value when the number is integral and fits an `i64`.
    pub(crate) fn exact_i64(self) -> Option<i64> {
        match self {
            Num::Int(i) => Some(i.into()),
            Num::Long(i) => Some(i),
            other => {
                let f = other.f64();
                (f.fract() == 0.0 && (-TWO_63..TWO_63).contains(&f)).then_some(f as i64)
            }
        }
    }
}

/// An integer result of the given width rank, widened on overflow.
pub(crate) fn int_result(v: i64, rank: u8) -> Num {
    match (rank, i32::try_from(v)) {
        (0, Ok(i)) => Num::Int(i),
        _ => Num::Long(v),
    }
}

/// Apply a binary operation with MongoDB's width rules.
pub(crate) fn binop(
    a: Num,
    b: Num,
    int_op: fn(i64, i64) -> Option<i64>,
    float_op: fn(f64, f64) -> f64,
) -> Num {
    let rank = a.rank().max(b.rank());
    match (rank, a.int(), b.int()) {
        (3, _, _) => Num::Dec(f64_to_dec(float_op(a.f64(), b.f64()))),
        (0 | 1, Some(x), Some(y)) => match int_op(x, y) {
            Some(v) => int_result(v, rank),
            None => Num::Double(float_op(x as f64, y as f64)),
        },
        _ => Num::Double(float_op(a.f64(), b.f64())),
    }
}

fn exact(v: Option<Bson>) -> Option<Num> {
    v.as_ref().and_then(as_num)
}

/// `a + b`; exact when either is a decimal.
pub(crate) fn add_nums(a: Num, b: Num) -> Num {
    if a.rank().max(b.rank()) == 3 {
        if let Some(n) = exact(decimal::inc(&a.bson(), &b.bson())) {
            return n;
        }
    }
    binop(a, b, i64::checked_add, |x, y| x + y)
}

/// `a - b`; exact when either is a decimal.
pub(crate) fn sub_nums(a: Num, b: Num) -> Num {
    if a.rank().max(b.rank()) == 3 {
        let neg = exact(decimal::times(&b.bson(), &Bson::Int32(-1)));
        if let Some(n) = neg.and_then(|nb| exact(decimal::inc(&a.bson(), &nb.bson()))) {
            return n;
        }
    }
    binop(a, b, i64::checked_sub, |x, y| x - y)
}

/// `a * b`; exact when either is a decimal.
pub(crate) fn mul_nums(a: Num, b: Num) -> Num {
    if a.rank().max(b.rank()) == 3 {
        if let Some(n) = exact(decimal::times(&a.bson(), &b.bson())) {
            return n;
        }
    }
    binop(a, b, i64::checked_mul, |x, y| x * y)
}

/// A running sum with MongoDB's result width (also the `$sum`/`$avg` accumulators).
#[derive(Debug, Clone, Default)]
pub(crate) struct Summer {
    int: i64,
    float: f64,
    /// Kahan compensation for `float`.
    comp: f64,
    rank: u8,
    /// The decimals added, summed exactly.
    dec: Option<Num>,
    /// How many numbers were added.
    pub(crate) count: u64,
}

impl Summer {
    pub(crate) fn add(&mut self, n: Num) {
        self.count += 1;
        self.rank = self.rank.max(n.rank());
        if let Num::Dec(_) = n {
            self.dec = Some(match self.dec {
                Some(d) => add_nums(d, n),
                None => n,
            });
            return;
        }
        match n.int() {
            Some(i) => match self.int.checked_add(i) {
                Some(v) => self.int = v,
                None => {
                    self.add_float(self.int as f64);
                    self.add_float(i as f64);
                    self.int = 0;
                    self.rank = self.rank.max(2);
                }
            },
            None => self.add_float(n.f64()),
        }
    }

    fn add_float(&mut self, f: f64) {
        let y = f - self.comp;
        let t = self.float + y;
        self.comp = (t - self.float) - y;
        self.float = t;
    }

    /// The total as a BSON number.
    pub(crate) fn total(&self) -> Bson {
        match self.rank {
            0 | 1 => int_result(self.int, self.rank).bson(),
            2 => Bson::Double(self.int as f64 + self.float),
            _ => {
                // Integers join the decimal sum exactly; doubles only when present.
                let mut total = self.dec.unwrap_or(Num::Dec(f64_to_dec(0.0)));
                if self.int != 0 {
                    total = add_nums(total, Num::Long(self.int));
                }
                if self.float != 0.0 {
                    total = add_nums(total, Num::Double(self.float));
                }
                total.bson()
            }
        }
    }

    /// The mean, or null when nothing was added.
    pub(crate) fn mean(&self) -> Bson {
        if self.count == 0 {
            return Bson::Null;
        }
        let dec = self.dec.map_or(0.0, Num::f64);
        let m = (self.int as f64 + self.float + dec) / self.count as f64;
        if self.rank == 3 {
            Bson::Decimal128(f64_to_dec(m))
        } else {
            Bson::Double(m)
        }
    }
}

/// Welford's running variance for `$stdDevPop`/`$stdDevSamp`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Variance {
    count: u64,
    mean: f64,
    m2: f64,
}

impl Variance {
    pub(crate) fn add(&mut self, x: f64) {
        self.count += 1;
        let d = x - self.mean;
        self.mean += d / self.count as f64;
        self.m2 += d * (x - self.mean);
    }

    pub(crate) fn result(&self, sample: bool) -> Bson {
        let n = self.count as f64;
        match (sample, self.count) {
            (false, 0) | (true, 0 | 1) => Bson::Null,
            (false, _) => Bson::Double((self.m2 / n).sqrt()),
            (true, _) => Bson::Double((self.m2 / (n - 1.0)).sqrt()),
        }
    }
}

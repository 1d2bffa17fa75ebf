//! Decimal128 arithmetic for `$inc` and `$mul`.
//!
//! `bson` only stores decimals, so the sum and product are computed here:
//! exactly, then rounded half-to-even to 34 digits as IEEE 754 decimal128
//! (and MongoDB) do. Integers convert exactly; a double converts through 15
//! significant digits, as MongoDB converts doubles to decimals.

use bson::{Bson, Decimal128};

/// The largest coefficient: 34 nines.
const MAX_COEFF: u128 = 9_999_999_999_999_999_999_999_999_999_999_999;
const EXP_MIN: i32 = -6176;
const EXP_MAX: i32 = 6111;
const BIAS: i32 = 6176;

/// A decimal128 value, unpacked.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Dec {
    Finite { neg: bool, coeff: u128, exp: i32 },
    Inf { neg: bool },
    NaN,
}

fn unpack(d: Decimal128) -> Dec {
    let bits = u128::from_le_bytes(d.bytes());
    let neg = bits >> 127 == 1;
    match (bits >> 122) & 0x1f {
        0x1f => return Dec::NaN,
        0x1e => return Dec::Inf { neg },
        _ => {}
    }
    if (bits >> 125) & 0b11 == 0b11 {
        // The large-coefficient form only encodes coefficients above 34
        // digits, which are non-canonical: they read as zero.
        let exp = ((bits >> 111) & 0x3fff) as i32 - BIAS;
        return Dec::Finite { neg, coeff: 0, exp };
    }
    let exp = ((bits >> 113) & 0x3fff) as i32 - BIAS;
    let coeff = bits & ((1u128 << 113) - 1);
    Dec::Finite {
        neg,
        coeff: if coeff > MAX_COEFF { 0 } else { coeff },
        exp,
    }
}

fn pack(v: Dec) -> Decimal128 {
    let sign = |neg: bool| if neg { 1u128 << 127 } else { 0 };
    let bits = match v {
        Dec::NaN => 0x1fu128 << 122,
        Dec::Inf { neg } => sign(neg) | (0x1eu128 << 122),
        Dec::Finite { neg, coeff, exp } => {
            let (mut coeff, mut exp) = (coeff, exp);
            // Clamp into the exponent range: pad with zeros, or round away digits.
            while exp > EXP_MAX && coeff != 0 && coeff <= MAX_COEFF / 10 {
                coeff *= 10;
                exp -= 1;
            }
            if exp > EXP_MAX {
                if coeff != 0 {
                    return pack(Dec::Inf { neg });
                }
                exp = EXP_MAX;
            }
            if exp < EXP_MIN {
                let mut digits = Digits::new(coeff);
                while exp < EXP_MIN {
                    digits.drop_digit();
                    exp += 1;
                }
                coeff = digits.rounded();
            }
            // `exp` is now within range, so the biased exponent is non-negative.
            let biased = u128::try_from(exp + BIAS).unwrap_or(0);
            sign(neg) | (biased << 113) | coeff
        }
    };
    Decimal128::from_bytes(bits.to_le_bytes())
}

/// A coefficient losing low digits, remembering what rounding needs.
struct Digits {
    value: u128,
    round: u8,
    sticky: bool,
}

impl Digits {
    fn new(value: u128) -> Self {
        Digits {
            value,
            round: 0,
            sticky: false,
        }
    }

    fn drop_digit(&mut self) {
        self.sticky |= self.round != 0;
        self.round = (self.value % 10) as u8;
        self.value /= 10;
    }

    /// Round half to even.
    fn rounded(&self) -> u128 {
        let up = self.round > 5 || (self.round == 5 && (self.sticky || self.value % 2 == 1));
        self.value + u128::from(up)
    }
}

/// Round a finite result to 34 digits.
fn finite(neg: bool, coeff: u128, exp: i32) -> Dec {
    if coeff <= MAX_COEFF {
        return Dec::Finite { neg, coeff, exp };
    }
    let mut digits = Digits::new(coeff);
    let mut exp = exp;
    while digits.value > MAX_COEFF {
        digits.drop_digit();
        exp += 1;
    }
    let mut coeff = digits.rounded();
    if coeff > MAX_COEFF {
        // Rounding carried into a 35th digit: 10^34 is exactly 10^33 · 10.
        coeff /= 10;
        exp += 1;
    }
    Dec::Finite { neg, coeff, exp }
}

fn from_bson(v: &Bson) -> Option<Dec> {
    match v {
        Bson::Decimal128(d) => Some(unpack(*d)),
        Bson::Int32(i) => Some(Dec::Finite {
            neg: *i < 0,
            coeff: u128::from(i.unsigned_abs()),
            exp: 0,
        }),
        Bson::Int64(i) => Some(Dec::Finite {
            neg: *i < 0,
            coeff: u128::from(i.unsigned_abs()),
            exp: 0,
        }),
        Bson::Double(d) => Some(from_f64(*d)),
        _ => None,
    }
}

/// A double through its 15 significant digits (`0.1` → `0.100000000000000`).
fn from_f64(d: f64) -> Dec {
    if d.is_nan() {
        return Dec::NaN;
    }
    if d.is_infinite() {
        return Dec::Inf { neg: d < 0.0 };
    }
    let text = format!("{:.14e}", d.abs());
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let coeff = mantissa.replace('.', "").parse::<u128>().unwrap_or(0);
    let exp = exp.parse::<i32>().unwrap_or(0) - 14;
    Dec::Finite {
        neg: d.is_sign_negative() && d != 0.0,
        coeff,
        exp,
    }
}

fn add(a: Dec, b: Dec) -> Dec {
    let (x, y) = match (a, b) {
        (Dec::NaN, _) | (_, Dec::NaN) => return Dec::NaN,
        (Dec::Inf { neg: p }, Dec::Inf { neg: q }) => {
            return if p == q { a } else { Dec::NaN };
        }
        (Dec::Inf { .. }, _) => return a,
        (_, Dec::Inf { .. }) => return b,
        (
            Dec::Finite {
                neg: n1,
                coeff: c1,
                exp: e1,
            },
            Dec::Finite {
                neg: n2,
                coeff: c2,
                exp: e2,
            },
        ) => {
            if e1 >= e2 {
                ((n1, c1, e1), (n2, c2, e2))
            } else {
                ((n2, c2, e2), (n1, c1, e1))
            }
        }
    };
    let ((xn, mut xc, mut xe), (yn, yc, ye)) = (x, y);
    // Bring the larger exponent down while the coefficient has headroom...
    if xc == 0 {
        xe = ye;
    }
    while xe > ye && xc <= u128::MAX / 1000 {
        xc *= 10;
        xe -= 1;
    }
    // ...and, past that, the smaller operand only affects rounding.
    let mut yd = Digits::new(yc);
    let mut ye = ye;
    while ye < xe {
        yd.drop_digit();
        ye += 1;
    }
    let yc = yd.rounded();
    let (neg, coeff) = if xn == yn {
        (xn, xc + yc)
    } else if xc >= yc {
        (xn && xc != yc, xc - yc)
    } else {
        (yn, yc - xc)
    };
    finite(neg, coeff, xe)
}

fn mul(a: Dec, b: Dec) -> Dec {
    match (a, b) {
        (Dec::NaN, _) | (_, Dec::NaN) => Dec::NaN,
        (Dec::Inf { neg: p }, Dec::Inf { neg: q }) => Dec::Inf { neg: p != q },
        (Dec::Inf { neg: p }, Dec::Finite { neg: q, coeff, .. })
        | (Dec::Finite { neg: q, coeff, .. }, Dec::Inf { neg: p }) => {
            if coeff == 0 {
                Dec::NaN
            } else {
                Dec::Inf { neg: p != q }
            }
        }
        (
            Dec::Finite {
                neg: n1,
                coeff: c1,
                exp: e1,
            },
            Dec::Finite {
                neg: n2,
                coeff: c2,
                exp: e2,
            },
        ) => {
            let neg = n1 != n2;
            let exp = e1 + e2;
            match c1.checked_mul(c2) {
                Some(c) => finite(neg, c, exp),
                None => wide_product(neg, c1, c2, exp),
            }
        }
    }
}

/// A product above 128 bits, reduced digit by digit to 34 digits.
fn wide_product(neg: bool, a: u128, b: u128, exp: i32) -> Dec {
    let mut limbs = mul_wide(a, b);
    let mut exp = exp;
    let mut round = 0u8;
    let mut sticky = false;
    while limbs[2] != 0 || limbs[3] != 0 {
        sticky |= round != 0;
        round = divrem10(&mut limbs);
        exp += 1;
    }
    let value = (u128::from(limbs[1]) << 64) | u128::from(limbs[0]);
    let mut digits = Digits {
        value,
        round,
        sticky,
    };
    while digits.value > MAX_COEFF {
        digits.drop_digit();
        exp += 1;
    }
    let mut coeff = digits.rounded();
    if coeff > MAX_COEFF {
        coeff /= 10;
        exp += 1;
    }
    Dec::Finite { neg, coeff, exp }
}

/// The 256-bit product of two `u128`, as little-endian 64-bit limbs.
fn mul_wide(a: u128, b: u128) -> [u64; 4] {
    let split = |v: u128| [v as u64, (v >> 64) as u64];
    let (x, y) = (split(a), split(b));
    let mut out = [0u64; 4];
    for (i, &xi) in x.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &yj) in y.iter().enumerate() {
            let k = i + j;
            let cur = u128::from(xi) * u128::from(yj) + u128::from(out[k]) + carry;
            out[k] = cur as u64;
            carry = cur >> 64;
        }
        out[i + 2] = carry as u64;
    }
    out
}

/// Divide in place by ten, returning the remainder.
fn divrem10(limbs: &mut [u64; 4]) -> u8 {
    let mut rem = 0u128;
    for limb in limbs.iter_mut().rev() {
        let cur = (rem << 64) | u128::from(*limb);
        *limb = (cur / 10) as u64;
        rem = cur % 10;
    }
    rem as u8
}

/// `x + y` where either is a decimal; `None` for a non-number.
pub(crate) fn inc(x: &Bson, y: &Bson) -> Option<Bson> {
    Some(Bson::Decimal128(pack(add(from_bson(x)?, from_bson(y)?))))
}

/// `x * y` where either is a decimal; `None` for a non-number.
pub(crate) fn times(x: &Bson, y: &Bson) -> Option<Bson> {
    Some(Bson::Decimal128(pack(mul(from_bson(x)?, from_bson(y)?))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Bson {
        Bson::Decimal128(s.parse().unwrap())
    }

    fn text(v: Option<Bson>) -> String {
        match v {
            Some(Bson::Decimal128(x)) => x.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn unpack_and_pack_round_trip() {
        assert_eq!(MAX_COEFF.to_string(), "9".repeat(34));
        for s in [
            "0",
            "-0",
            "1.5",
            "-123.456",
            "1E+30",
            "9.999999999999999999999999999999999E+6144",
            "NaN",
            "Infinity",
            "-Infinity",
            "1E-6176",
        ] {
            let x: Decimal128 = s.parse().unwrap();
            assert_eq!(pack(unpack(x)).to_string(), x.to_string(), "{s}");
        }
        assert_eq!(
            unpack("12.5".parse().unwrap()),
            Dec::Finite {
                neg: false,
                coeff: 125,
                exp: -1
            }
        );
    }

    #[test]
    fn sums_are_exact() {
        assert_eq!(text(inc(&d("0.1"), &d("0.2"))), "0.3");
        assert_eq!(text(inc(&d("1.50"), &Bson::Int32(-2))), "-0.50");
        assert_eq!(text(inc(&d("5"), &d("-5"))), "0");
        assert_eq!(text(inc(&d("1E+3"), &d("1"))), "1001");
        assert_eq!(text(inc(&d("2"), &Bson::Double(0.1))), "2.100000000000000");
        assert_eq!(
            text(inc(&Bson::Int64(i64::MIN), &d("-1"))),
            "-9223372036854775809"
        );
    }

    #[test]
    fn results_round_half_even_to_34_digits() {
        let nines = "9999999999999999999999999999999999";
        assert_eq!(
            text(inc(&d(nines), &d("1"))),
            "1.000000000000000000000000000000000E+34"
        );
        // 10^34 + 5 rounds to even (down); + 15 rounds up.
        assert_eq!(
            text(inc(&d("1E+34"), &d("5"))),
            "1.000000000000000000000000000000000E+34"
        );
        assert_eq!(
            text(inc(&d("1E+34"), &d("15"))),
            "1.000000000000000000000000000000002E+34"
        );
        // A tiny addend far below the last digit leaves the sum as it was.
        assert_eq!(
            text(inc(&d("1E+40"), &d("1E-40"))),
            "1.000000000000000000000000000000000E+40"
        );
    }

    #[test]
    fn products_are_exact_then_rounded() {
        assert_eq!(text(times(&d("1.5"), &Bson::Int32(2))), "3.0");
        assert_eq!(text(times(&d("-0.1"), &d("0.1"))), "-0.01");
        let nines = "9999999999999999999999999999999999";
        // (10^34 - 1)^2 = 10^68 - 2·10^34 + 1 → 9.999999999999999999999999999999998E+67
        assert_eq!(
            text(times(&d(nines), &d(nines))),
            "9.999999999999999999999999999999998E+67"
        );
        assert_eq!(text(times(&d("Infinity"), &d("0"))), "NaN");
        assert_eq!(text(times(&d("-Infinity"), &d("-2"))), "Infinity");
        assert_eq!(text(inc(&d("Infinity"), &d("-Infinity"))), "NaN");
        assert_eq!(inc(&d("1"), &Bson::String("x".into())), None);
    }
}

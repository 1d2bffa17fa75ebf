//! MongoDB's total order over BSON values, used by comparisons, sorts,
//! `$min`/`$max`, `distinct` and indexes.
//!
//! Types order as MongoDB documents them (MinKey < null < numbers < symbol,
//! string < object < array < binData < objectId < bool < date < timestamp <
//! regex < maxKey); numbers of every width compare by value, so `1`, `1i64`,
//! `1.0` and `Decimal128("1")` are equal.

use std::cmp::Ordering;

use bson::raw::{RawArray, RawBsonRef, RawDocument};
use bson::spec::ElementType;
use bson::{Bson, Decimal128};

use super::collation::Collation;

/// The rank of a BSON type in MongoDB's comparison order. Types of one rank
/// compare by value; `undefined` ranks with null.
pub fn type_rank(t: ElementType) -> u8 {
    match t {
        ElementType::MinKey => 0,
        ElementType::Undefined | ElementType::Null => 1,
        ElementType::Double | ElementType::Int32 | ElementType::Int64 | ElementType::Decimal128 => {
            2
        }
        ElementType::Symbol | ElementType::String => 3,
        ElementType::EmbeddedDocument => 4,
        ElementType::Array => 5,
        ElementType::Binary => 6,
        ElementType::ObjectId => 7,
        ElementType::Boolean => 8,
        ElementType::DateTime => 9,
        ElementType::Timestamp => 10,
        ElementType::RegularExpression => 11,
        ElementType::DbPointer => 12,
        ElementType::JavaScriptCode => 13,
        ElementType::JavaScriptCodeWithScope => 14,
        ElementType::MaxKey => 15,
    }
}

/// A number widened for comparison: integers and finite decimals exactly,
/// doubles (and decimal infinities and NaN) as doubles.
#[derive(Clone, Copy, Debug)]
enum Num {
    Int(i64),
    Float(f64),
    /// `(-1)^neg * coef * 10^exp`, decoded from Decimal128's bits.
    Dec {
        neg: bool,
        coef: u128,
        exp: i32,
    },
}

fn num(v: RawBsonRef<'_>) -> Option<Num> {
    match v {
        RawBsonRef::Int32(i) => Some(Num::Int(i.into())),
        RawBsonRef::Int64(i) => Some(Num::Int(i)),
        RawBsonRef::Double(d) => Some(Num::Float(d)),
        RawBsonRef::Decimal128(d) => Some(decimal_num(d)),
        _ => None,
    }
}

/// The largest coefficient IEEE 754 allows a Decimal128 (34 digits); larger
/// encodings are non-canonical and read as zero.
const MAX_DECIMAL_COEFFICIENT: u128 = 9_999_999_999_999_999_999_999_999_999_999;

/// Decode Decimal128's BID encoding without going through its string form.
fn decimal_num(d: Decimal128) -> Num {
    let bits = u128::from_le_bytes(d.bytes());
    let neg = bits >> 127 == 1;
    match (bits >> 122) & 0x1f {
        0x1f => return Num::Float(f64::NAN),
        0x1e => {
            return Num::Float(if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        _ => {}
    }
    let (exp_bits, coef) = if (bits >> 125) & 0b11 == 0b11 {
        // The "large coefficient" form always exceeds 34 digits.
        ((bits >> 111) & 0x3fff, 0)
    } else {
        ((bits >> 113) & 0x3fff, bits & ((1u128 << 113) - 1))
    };
    let coef = if coef > MAX_DECIMAL_COEFFICIENT {
        0
    } else {
        coef
    };
    // 14 bits always fit; the bias is 6176.
    let exp = i32::try_from(exp_bits).unwrap_or(0) - 6176;
    Num::Dec { neg, coef, exp }
}

fn digits(c: u128) -> i32 {
    c.checked_ilog10().map_or(0, |l| l as i32 + 1)
}

/// Compare two non-zero decimal magnitudes exactly.
fn cmp_decimal_magnitude(ac: u128, ae: i32, bc: u128, be: i32) -> Ordering {
    let (aa, ba) = (ae + digits(ac), be + digits(bc));
    if aa != ba {
        return aa.cmp(&ba);
    }
    // Same order of magnitude: the one with the larger exponent has fewer
    // digits, and scaling it to the other's exponent stays within 34 digits.
    let scale = |c: u128, by: i32| {
        10u128
            .checked_pow(by.unsigned_abs())
            .and_then(|p| c.checked_mul(p))
    };
    let (x, y) = if ae >= be {
        (scale(ac, ae - be), Some(bc))
    } else {
        (Some(ac), scale(bc, be - ae))
    };
    match (x, y) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => Ordering::Equal,
    }
}

fn cmp_decimal(a: (bool, u128, i32), b: (bool, u128, i32)) -> Ordering {
    let sign = |neg: bool, c: u128| match (c == 0, neg) {
        (true, _) => 0,
        (false, true) => -1,
        (false, false) => 1,
    };
    let (sa, sb) = (sign(a.0, a.1), sign(b.0, b.1));
    if sa != sb || sa == 0 {
        return sa.cmp(&sb);
    }
    let o = cmp_decimal_magnitude(a.1, a.2, b.1, b.2);
    if sa < 0 {
        o.reverse()
    } else {
        o
    }
}

/// A decimal against a double: exact when the double is an integer; otherwise
/// through the decimal's correctly rounded double, which can only call two
/// values equal when they are within one rounding step.
fn cmp_decimal_float(neg: bool, coef: u128, exp: i32, f: f64) -> Ordering {
    if f.is_nan() {
        return Ordering::Greater;
    }
    if f.is_infinite() {
        // Finite decimals lie strictly between the infinities, even 1E+6000.
        return if f > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    if f.fract() == 0.0 && f > i64::MIN as f64 && f < i64::MAX as f64 {
        let i = f as i64;
        return cmp_decimal((neg, coef, exp), (i < 0, u128::from(i.unsigned_abs()), 0));
    }
    let sign = if neg { "-" } else { "" };
    let approx = format!("{sign}{coef}e{exp}")
        .parse::<f64>()
        .unwrap_or(f64::NAN);
    cmp_f64(approx, f)
}

/// MongoDB orders NaN below every other number, and equal to itself.
fn cmp_f64(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

fn cmp_int_float(i: i64, f: f64) -> Ordering {
    if f.is_nan() {
        return Ordering::Greater;
    }
    // Beyond 2^63 the double decides; within, compare exactly without rounding i.
    if f >= i64::MAX as f64 {
        return Ordering::Less;
    }
    if f < i64::MIN as f64 {
        return Ordering::Greater;
    }
    let t = f.trunc();
    match i.cmp(&(t as i64)) {
        Ordering::Equal => {
            let frac = f - t;
            if frac > 0.0 {
                Ordering::Less
            } else if frac < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        o => o,
    }
}

fn cmp_num(a: Num, b: Num) -> Ordering {
    let int_dec = |i: i64| (i < 0, u128::from(i.unsigned_abs()), 0);
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (Num::Float(x), Num::Float(y)) => cmp_f64(x, y),
        (Num::Int(x), Num::Float(y)) => cmp_int_float(x, y),
        (Num::Float(x), Num::Int(y)) => cmp_int_float(y, x).reverse(),
        (
            Num::Dec { neg, coef, exp },
            Num::Dec {
                neg: n2,
                coef: c2,
                exp: e2,
            },
        ) => cmp_decimal((neg, coef, exp), (n2, c2, e2)),
        (Num::Dec { neg, coef, exp }, Num::Int(i)) => cmp_decimal((neg, coef, exp), int_dec(i)),
        (Num::Int(i), Num::Dec { neg, coef, exp }) => {
            cmp_decimal((neg, coef, exp), int_dec(i)).reverse()
        }
        (Num::Dec { neg, coef, exp }, Num::Float(f)) => cmp_decimal_float(neg, coef, exp, f),
        (Num::Float(f), Num::Dec { neg, coef, exp }) => {
            cmp_decimal_float(neg, coef, exp, f).reverse()
        }
    }
}

/// Compare two BSON values in MongoDB's order.
pub fn compare(a: RawBsonRef<'_>, b: RawBsonRef<'_>) -> Ordering {
    compare_collated(a, b, None)
}

/// [`compare`] with strings (also inside documents and arrays, but not field
/// names) compared under `collation`; `None` is binary order.
pub fn compare_collated(
    a: RawBsonRef<'_>,
    b: RawBsonRef<'_>,
    collation: Option<&Collation>,
) -> Ordering {
    let (ra, rb) = (type_rank(a.element_type()), type_rank(b.element_type()));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (RawBsonRef::Null | RawBsonRef::Undefined, _) => Ordering::Equal,
        (RawBsonRef::MinKey, _) | (RawBsonRef::MaxKey, _) => Ordering::Equal,
        _ if ra == 2 => match (num(a), num(b)) {
            (Some(x), Some(y)) => cmp_num(x, y),
            _ => Ordering::Equal,
        },
        _ if ra == 3 => match collation {
            None => string_of(a).cmp(string_of(b)),
            Some(c) => c.compare(string_of(a), string_of(b)),
        },
        (RawBsonRef::Document(x), RawBsonRef::Document(y)) => documents(x, y, collation),
        (RawBsonRef::Array(x), RawBsonRef::Array(y)) => arrays(x, y, collation),
        (RawBsonRef::Binary(x), RawBsonRef::Binary(y)) => x
            .bytes
            .len()
            .cmp(&y.bytes.len())
            .then_with(|| u8::from(x.subtype).cmp(&u8::from(y.subtype)))
            .then_with(|| x.bytes.cmp(y.bytes)),
        (RawBsonRef::ObjectId(x), RawBsonRef::ObjectId(y)) => x.bytes().cmp(&y.bytes()),
        (RawBsonRef::Boolean(x), RawBsonRef::Boolean(y)) => x.cmp(&y),
        (RawBsonRef::DateTime(x), RawBsonRef::DateTime(y)) => {
            x.timestamp_millis().cmp(&y.timestamp_millis())
        }
        (RawBsonRef::Timestamp(x), RawBsonRef::Timestamp(y)) => {
            (x.time, x.increment).cmp(&(y.time, y.increment))
        }
        (RawBsonRef::RegularExpression(x), RawBsonRef::RegularExpression(y)) => x
            .pattern
            .as_str()
            .cmp(y.pattern.as_str())
            .then_with(|| x.options.as_str().cmp(y.options.as_str())),
        (RawBsonRef::JavaScriptCode(x), RawBsonRef::JavaScriptCode(y)) => x.cmp(y),
        (RawBsonRef::JavaScriptCodeWithScope(x), RawBsonRef::JavaScriptCodeWithScope(y)) => x
            .code
            .cmp(y.code)
            .then_with(|| compare_documents(x.scope, y.scope)),
        (RawBsonRef::DbPointer(_), RawBsonRef::DbPointer(_)) => Ordering::Equal,
        _ => Ordering::Equal,
    }
}

fn string_of<'a>(v: RawBsonRef<'a>) -> &'a str {
    match v {
        RawBsonRef::String(s) | RawBsonRef::Symbol(s) => s,
        _ => "",
    }
}

/// Documents compare field by field: type rank, then key, then value; the
/// shorter document is smaller when one is a prefix of the other.
pub fn compare_documents(a: &RawDocument, b: &RawDocument) -> Ordering {
    documents(a, b, None)
}

fn documents(a: &RawDocument, b: &RawDocument, collation: Option<&Collation>) -> Ordering {
    let mut ia = a.iter();
    let mut ib = b.iter();
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(Ok((ka, va))), Some(Ok((kb, vb)))) => {
                let o = type_rank(va.element_type())
                    .cmp(&type_rank(vb.element_type()))
                    .then_with(|| ka.as_str().cmp(kb.as_str()))
                    .then_with(|| compare_collated(va, vb, collation));
                if o != Ordering::Equal {
                    return o;
                }
            }
            // Malformed bytes cannot come from the engine's own storage.
            _ => return Ordering::Equal,
        }
    }
}

/// Arrays compare element by element, the shorter first when a prefix.
pub fn compare_arrays(a: &RawArray, b: &RawArray) -> Ordering {
    arrays(a, b, None)
}

fn arrays(a: &RawArray, b: &RawArray, collation: Option<&Collation>) -> Ordering {
    let mut ia = a.into_iter();
    let mut ib = b.into_iter();
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(Ok(va)), Some(Ok(vb))) => {
                let o = compare_collated(va, vb, collation);
                if o != Ordering::Equal {
                    return o;
                }
            }
            _ => return Ordering::Equal,
        }
    }
}

/// MongoDB equality: same order position, so `1 == 1.0` but `1 != "1"`.
pub fn equal(a: RawBsonRef<'_>, b: RawBsonRef<'_>) -> bool {
    compare(a, b) == Ordering::Equal
}

/// [`compare`] for owned values.
pub fn compare_bson(a: &Bson, b: &Bson) -> Ordering {
    // Small values convert without allocation; documents and arrays are
    // encoded once, which is what every caller of this function would do.
    match (
        bson::RawBson::try_from(a.clone()),
        bson::RawBson::try_from(b.clone()),
    ) {
        (Ok(x), Ok(y)) => compare(x.as_raw_bson_ref(), y.as_raw_bson_ref()),
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{doc, RawBson};

    fn cmp(a: Bson, b: Bson) -> Ordering {
        compare_bson(&a, &b)
    }

    #[test]
    fn numbers_compare_across_widths() {
        assert_eq!(cmp(Bson::Int32(1), Bson::Double(1.0)), Ordering::Equal);
        assert_eq!(cmp(Bson::Int64(2), Bson::Double(1.5)), Ordering::Greater);
        assert_eq!(
            cmp(Bson::Int64(i64::MAX), Bson::Double(9.3e18)),
            Ordering::Less
        );
        assert_eq!(
            cmp(Bson::Decimal128("1".parse().unwrap()), Bson::Int32(1)),
            Ordering::Equal
        );
        assert_eq!(
            cmp(Bson::Double(f64::NAN), Bson::Int32(i32::MIN)),
            Ordering::Less
        );
    }

    #[test]
    fn decimals_compare_exactly() {
        let dec = |s: &str| Bson::Decimal128(s.parse().unwrap());
        assert_eq!(cmp(dec("1.0"), Bson::Int32(1)), Ordering::Equal);
        assert_eq!(cmp(dec("0.10"), dec("0.1")), Ordering::Equal);
        assert_eq!(cmp(dec("-0"), Bson::Int32(0)), Ordering::Equal);
        assert_eq!(cmp(dec("1E+2"), Bson::Int64(100)), Ordering::Equal);
        assert_eq!(cmp(dec("12.345"), dec("12.35")), Ordering::Less);
        assert_eq!(cmp(dec("-12.345"), dec("-12.35")), Ordering::Greater);
        assert_eq!(cmp(dec("99.99"), dec("100")), Ordering::Less);
        assert_eq!(
            cmp(dec("9223372036854775807"), Bson::Int64(i64::MAX)),
            Ordering::Equal
        );
        assert_eq!(
            cmp(dec("9223372036854775808"), Bson::Int64(i64::MAX)),
            Ordering::Greater
        );
        assert_eq!(cmp(dec("2.5"), Bson::Double(2.5)), Ordering::Equal);
        assert_eq!(cmp(dec("2.4"), Bson::Double(2.5)), Ordering::Less);
        assert_eq!(cmp(dec("3"), Bson::Double(2.0)), Ordering::Greater);
        assert_eq!(cmp(dec("NaN"), Bson::Double(f64::NAN)), Ordering::Equal);
        assert_eq!(cmp(dec("NaN"), dec("-Infinity")), Ordering::Less);
        assert_eq!(cmp(dec("Infinity"), dec("1E+6000")), Ordering::Greater);
        assert_eq!(cmp(dec("1E-6000"), Bson::Int32(0)), Ordering::Greater);
        assert_eq!(cmp(dec("-1E-6000"), Bson::Double(0.0)), Ordering::Less);
    }

    #[test]
    fn types_follow_mongodb_order() {
        let ordered = [
            Bson::MinKey,
            Bson::Null,
            Bson::Int32(5),
            Bson::String("a".into()),
            Bson::Document(doc! {}),
            Bson::Array(vec![]),
            Bson::ObjectId(bson::oid::ObjectId::new()),
            Bson::Boolean(false),
            Bson::DateTime(bson::DateTime::from_millis(0)),
            Bson::MaxKey,
        ];
        for w in ordered.windows(2) {
            assert_eq!(
                cmp(w[0].clone(), w[1].clone()),
                Ordering::Less,
                "{:?} < {:?}",
                w[0],
                w[1]
            );
        }
    }

    #[test]
    fn documents_and_arrays() {
        assert_eq!(
            cmp(
                Bson::Document(doc! {"a": 1}),
                Bson::Document(doc! {"a": 1, "b": 1})
            ),
            Ordering::Less
        );
        assert_eq!(
            cmp(
                Bson::Array(vec![1.into(), 2.into()]),
                Bson::Array(vec![1.into(), 3.into()])
            ),
            Ordering::Less
        );
        let raw = RawBson::String("x".into());
        assert!(equal(raw.as_raw_bson_ref(), RawBsonRef::String("x")));
    }
}

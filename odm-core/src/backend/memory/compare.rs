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

/// A number widened for comparison: integers exactly, doubles as doubles.
#[derive(Clone, Copy, Debug)]
enum Num {
    Int(i64),
    Float(f64),
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

/// Decimal128 compared through its decimal string: exact for integers, and a
/// double for the rest. Good enough to order mixed numbers; Decimal128
/// arithmetic is not attempted here.
fn decimal_num(d: Decimal128) -> Num {
    let s = d.to_string();
    if let Ok(i) = s.parse::<i64>() {
        return Num::Int(i);
    }
    match s.as_str() {
        "NaN" | "-NaN" => Num::Float(f64::NAN),
        "Infinity" => Num::Float(f64::INFINITY),
        "-Infinity" => Num::Float(f64::NEG_INFINITY),
        _ => Num::Float(s.parse::<f64>().unwrap_or(f64::NAN)),
    }
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
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (Num::Float(x), Num::Float(y)) => cmp_f64(x, y),
        (Num::Int(x), Num::Float(y)) => cmp_int_float(x, y),
        (Num::Float(x), Num::Int(y)) => cmp_int_float(y, x).reverse(),
    }
}

/// Compare two BSON values in MongoDB's order.
pub fn compare(a: RawBsonRef<'_>, b: RawBsonRef<'_>) -> Ordering {
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
        _ if ra == 3 => string_of(a).cmp(string_of(b)),
        (RawBsonRef::Document(x), RawBsonRef::Document(y)) => compare_documents(x, y),
        (RawBsonRef::Array(x), RawBsonRef::Array(y)) => compare_arrays(x, y),
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
                    .then_with(|| compare(va, vb));
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
    let mut ia = a.into_iter();
    let mut ib = b.into_iter();
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(Ok(va)), Some(Ok(vb))) => {
                let o = compare(va, vb);
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

//! Index keys as bytes whose lexicographic order is MongoDB's order of the
//! values they encode (the idea of MongoDB's KeyString).
//!
//! Each value starts with its type rank ([`type_rank`]), so type brackets are
//! contiguous byte ranges. Numbers of every width compare by value: `1`,
//! `1i64` and `1.0` have the same bytes, so byte equality is MongoDB
//! equality. The encoding is prefix-free, so the keys of a compound index
//! are the concatenation of its fields' keys, and a descending field is its
//! ascending bytes inverted.
//!
//! Decimal128 values are placed at their nearest double: they sort correctly
//! against values more than one double apart, and an index holding any
//! decimal widens its numeric bounds by one double on each side (see
//! [`number_bounds`]) so a scan never misses one.

use bson::raw::{RawArray, RawBsonRef, RawDocument};

use super::compare::type_rank;
use crate::value::element::nul_position;

/// The rank byte of numbers.
pub(crate) const NUMBER_RANK: u8 = 2;

/// Ends a document or an array; an element starts with [`MORE`].
const END: u8 = 0;
const MORE: u8 = 1;

/// Append the key of `value` to `out`.
pub(crate) fn encode(value: RawBsonRef<'_>, out: &mut Vec<u8>) {
    let rank = type_rank(value.element_type());
    out.push(rank);
    encode_body(value, out);
}

/// The key of `value`, inverted when `descending`.
pub(crate) fn encode_dir(value: RawBsonRef<'_>, descending: bool, out: &mut Vec<u8>) {
    let start = out.len();
    encode(value, out);
    if descending {
        invert(&mut out[start..]);
    }
}

/// Invert bytes: the order of prefix-free keys reverses.
pub(crate) fn invert(bytes: &mut [u8]) {
    for b in bytes {
        *b = !*b;
    }
}

fn encode_body(value: RawBsonRef<'_>, out: &mut Vec<u8>) {
    match value {
        RawBsonRef::Int32(i) => encode_int(i.into(), out),
        RawBsonRef::Int64(i) => encode_int(i, out),
        RawBsonRef::Double(d) => encode_double(d, out),
        RawBsonRef::Decimal128(d) => {
            let approx = d.to_string().parse::<f64>().unwrap_or(f64::NAN);
            encode_double(approx, out)
        }
        RawBsonRef::String(s) | RawBsonRef::Symbol(s) => encode_str(s, out),
        RawBsonRef::Document(d) => encode_document(d, out),
        RawBsonRef::Array(a) => encode_array(a, out),
        RawBsonRef::Binary(b) => {
            // MongoDB orders binaries by length, then subtype, then bytes.
            out.extend_from_slice(&(b.bytes.len() as u64).to_be_bytes());
            out.push(u8::from(b.subtype));
            out.extend_from_slice(b.bytes);
        }
        RawBsonRef::ObjectId(o) => out.extend_from_slice(&o.bytes()),
        RawBsonRef::Boolean(b) => out.push(u8::from(b)),
        RawBsonRef::DateTime(d) => {
            out.extend_from_slice(&sortable_i64(d.timestamp_millis()).to_be_bytes())
        }
        RawBsonRef::Timestamp(t) => {
            out.extend_from_slice(&t.time.to_be_bytes());
            out.extend_from_slice(&t.increment.to_be_bytes());
        }
        RawBsonRef::RegularExpression(r) => {
            encode_str(r.pattern.as_str(), out);
            encode_str(r.options.as_str(), out);
        }
        RawBsonRef::JavaScriptCode(c) => encode_str(c, out),
        RawBsonRef::JavaScriptCodeWithScope(c) => {
            encode_str(c.code, out);
            encode_document(c.scope, out);
        }
        // Null, undefined, MinKey, MaxKey and DbPointer (which MongoDB
        // compares as equal among themselves here): the rank is the value.
        _ => {}
    }
}

/// Documents order by each field's type rank, then name, then value.
fn encode_document(d: &RawDocument, out: &mut Vec<u8>) {
    for (k, v) in d.iter().flatten() {
        out.push(MORE);
        out.push(type_rank(v.element_type()));
        encode_str(k.as_str(), out);
        encode_body(v, out);
    }
    out.push(END);
}

fn encode_array(a: &RawArray, out: &mut Vec<u8>) {
    for v in a.into_iter().flatten() {
        out.push(MORE);
        encode(v, out);
    }
    out.push(END);
}

/// Bytes with `0` escaped as `0 0xFF`, terminated by `0 0`: order-preserving
/// and prefix-free.
fn encode_str(s: &str, out: &mut Vec<u8>) {
    // Copied a run at a time: a point read encodes its string on every
    // query, and byte-wise pushes were most of that cost.
    let mut rest = s.as_bytes();
    while let Some(nul) = nul_position(rest) {
        let (run, tail) = rest.split_at(nul + 1);
        out.extend_from_slice(run);
        out.push(0xFF);
        rest = tail;
    }
    out.extend_from_slice(rest);
    out.extend_from_slice(&[0, 0]);
}

fn sortable_i64(i: i64) -> u64 {
    (i as u64) ^ (1 << 63)
}

fn sortable_f64(d: f64) -> u64 {
    let bits = d.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    }
}

/// A number as `(double, tail)`: the largest double not above it, and the
/// integer distance from that double (non-zero only for large `i64`s).
fn encode_number(approx: f64, tail: u16, out: &mut Vec<u8>) {
    if approx.is_nan() {
        // NaN sorts below every other number.
        out.push(0);
        return;
    }
    out.push(1);
    // -0.0 == 0.0.
    let approx = if approx == 0.0 { 0.0 } else { approx };
    out.extend_from_slice(&sortable_f64(approx).to_be_bytes());
    out.extend_from_slice(&tail.to_be_bytes());
}

fn encode_double(d: f64, out: &mut Vec<u8>) {
    encode_number(d, 0, out)
}

fn encode_int(i: i64, out: &mut Vec<u8>) {
    let (approx, tail) = split_int(i);
    encode_number(approx, tail, out)
}

/// The largest double `<= i` and the (small) remainder.
fn split_int(i: i64) -> (f64, u16) {
    let mut approx = i as f64;
    if approx as i128 > i128::from(i) {
        approx = approx.next_down();
    }
    // Doubles near 2^63 are 2^11 apart, so the remainder fits 16 bits.
    let tail = (i128::from(i) - approx as i128).clamp(0, i128::from(u16::MAX)) as u16;
    (approx, tail)
}

/// The byte range holding every number within one double of `value` (a
/// number): how an index holding decimals is searched for it.
pub(crate) fn number_bounds(value: RawBsonRef<'_>) -> (Vec<u8>, Vec<u8>) {
    let approx = match value {
        RawBsonRef::Int32(i) => f64::from(i),
        RawBsonRef::Int64(i) => split_int(i).0,
        RawBsonRef::Double(d) => d,
        RawBsonRef::Decimal128(d) => d.to_string().parse::<f64>().unwrap_or(f64::NAN),
        _ => f64::NAN,
    };
    if approx.is_nan() {
        return (vec![NUMBER_RANK, 0], vec![NUMBER_RANK, 1]);
    }
    let mut lo = vec![NUMBER_RANK];
    encode_number(approx.next_down(), 0, &mut lo);
    let mut hi = vec![NUMBER_RANK];
    encode_number(approx.next_up(), u16::MAX, &mut hi);
    (lo, hi)
}

/// The smallest byte string greater than every string starting with `key`
/// (`None`: there is none, the range is unbounded above).
pub(crate) fn prefix_end(key: &[u8]) -> Option<Vec<u8>> {
    let mut out = key.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xFF {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::super::compare::compare;
    use super::*;
    use bson::{doc, Bson, RawBson};

    fn key(v: &Bson) -> Vec<u8> {
        let raw = RawBson::try_from(v.clone()).unwrap();
        let mut out = Vec::new();
        encode(raw.as_raw_bson_ref(), &mut out);
        out
    }

    fn samples() -> Vec<Bson> {
        vec![
            Bson::MinKey,
            Bson::Null,
            Bson::Double(f64::NAN),
            Bson::Double(f64::NEG_INFINITY),
            Bson::Int64(i64::MIN),
            Bson::Int32(-5),
            Bson::Double(-0.5),
            Bson::Int32(0),
            Bson::Double(-0.0),
            Bson::Double(0.5),
            Bson::Int32(1),
            Bson::Int64(1),
            Bson::Double(1.0),
            Bson::Decimal128("2.5".parse().unwrap()),
            Bson::Int64((1 << 53) + 1),
            Bson::Double((1u64 << 53) as f64),
            Bson::Int64(i64::MAX),
            Bson::Double(f64::INFINITY),
            Bson::String(String::new()),
            Bson::String("a".into()),
            Bson::String("a\0".into()),
            Bson::String("a\0b".into()),
            Bson::String("a\0b\0\0long enough for a word".into()),
            Bson::String("a\0ba".into()),
            Bson::String("ab".into()),
            Bson::String("b".into()),
            Bson::Document(doc! {}),
            Bson::Document(doc! {"a": 1}),
            Bson::Document(doc! {"a": 1, "b": 1}),
            Bson::Document(doc! {"a": "x"}),
            Bson::Document(doc! {"b": 0}),
            Bson::Array(vec![]),
            Bson::Array(vec![1.into()]),
            Bson::Array(vec![1.into(), 2.into()]),
            Bson::Array(vec![2.into()]),
            Bson::Binary(bson::Binary {
                subtype: bson::spec::BinarySubtype::Generic,
                bytes: vec![9],
            }),
            Bson::Binary(bson::Binary {
                subtype: bson::spec::BinarySubtype::Generic,
                bytes: vec![1, 2],
            }),
            Bson::ObjectId(bson::oid::ObjectId::from_bytes([1; 12])),
            Bson::Boolean(false),
            Bson::Boolean(true),
            Bson::DateTime(bson::DateTime::from_millis(-10)),
            Bson::DateTime(bson::DateTime::from_millis(10)),
            Bson::Timestamp(bson::Timestamp {
                time: 1,
                increment: 2,
            }),
            Bson::MaxKey,
        ]
    }

    #[test]
    fn byte_order_is_mongodb_order() {
        let values = samples();
        for a in &values {
            for b in &values {
                let (ra, rb) = (RawBson::try_from(a.clone()).unwrap(), {
                    RawBson::try_from(b.clone()).unwrap()
                });
                let expected = compare(ra.as_raw_bson_ref(), rb.as_raw_bson_ref());
                assert_eq!(key(a).cmp(&key(b)), expected, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn nuls_in_strings_are_escaped() {
        let mut out = Vec::new();
        encode_str("ab\0\0cdefghij\0", &mut out);
        let mut expected = b"ab\0\xFF\0\xFFcdefghij\0\xFF".to_vec();
        expected.extend_from_slice(&[0, 0]);
        assert_eq!(out, expected);
    }

    #[test]
    fn descending_keys_reverse_the_order() {
        let values = samples();
        let inv = |v: &Bson| {
            let raw = RawBson::try_from(v.clone()).unwrap();
            let mut out = Vec::new();
            encode_dir(raw.as_raw_bson_ref(), true, &mut out);
            out
        };
        for pair in values.windows(2) {
            let o = key(&pair[0]).cmp(&key(&pair[1]));
            assert_eq!(inv(&pair[0]).cmp(&inv(&pair[1])), o.reverse());
        }
        // Compound keys: the first field decides, then the second.
        let mut k1 = key(&Bson::String("a".into()));
        k1.extend(key(&Bson::Int32(9)));
        let mut k2 = key(&Bson::String("ab".into()));
        k2.extend(key(&Bson::Int32(1)));
        assert_eq!(k1.cmp(&k2), Ordering::Less);
    }

    #[test]
    fn large_integers_keep_their_order_and_identity() {
        let big = 1i64 << 60;
        assert!(key(&Bson::Int64(big)) < key(&Bson::Int64(big + 1)));
        assert_eq!(key(&Bson::Int64(big)), key(&Bson::Double(big as f64)));
        assert!(key(&Bson::Double(big as f64)) < key(&Bson::Int64(big + 1)));
    }

    #[test]
    fn number_bounds_hold_nearby_decimals() {
        let (lo, hi) = number_bounds(RawBsonRef::Double(0.1));
        let d = key(&Bson::Decimal128("0.1".parse().unwrap()));
        assert!(lo <= d && d < hi);
        assert!(key(&Bson::Double(0.2)) > hi);
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF]), None);
    }
}

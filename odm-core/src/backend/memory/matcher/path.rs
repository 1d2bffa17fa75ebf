//! Dotted field paths and their traversal over raw BSON, shared by the
//! matcher, sorting and projection.
//!
//! A path is walked the way MongoDB walks it: through embedded documents,
//! through every document element of an intermediate array, and, for a
//! numeric part, also to the array element at that index. Only the values at
//! the end of the path are handed to a visitor; nothing else is decoded.

use bson::raw::{RawBsonRef, RawDocument};

use crate::value::element::nul_position;

/// One part of a dotted path, with its array index when it is all digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) key: Box<str>,
    pub(crate) index: Option<usize>,
}

/// A parsed dotted path such as `items.0.qty`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPath {
    parts: Box<[Part]>,
}

/// What a walk hands to the visitor when the path ends on an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeafArrays {
    /// Each element, then the array itself (equality, comparisons, `$in`...).
    ElementsAndWhole,
    /// Only the array itself (`$size`, `$elemMatch`, `$exists`).
    WholeOnly,
    /// Each element; an empty array is handed over whole (sort keys).
    Elements,
}

impl FieldPath {
    /// Parse `a.b.0`. (`""` is the field named "", as in MongoDB.)
    pub(crate) fn parse(dotted: &str) -> Self {
        let parts = dotted
            .split('.')
            .map(|p| Part {
                key: p.into(),
                index: parse_index(p),
            })
            .collect();
        FieldPath { parts }
    }

    /// The empty path: the value itself, for `$elemMatch`'s value form.
    pub(crate) fn value_itself() -> Self {
        FieldPath {
            parts: Box::new([]),
        }
    }

    /// The key, when the path is one top-level key.
    pub(crate) fn single(&self) -> Option<&str> {
        match &*self.parts {
            [part] => Some(&part.key),
            _ => None,
        }
    }

    /// The parts of the path.
    pub(crate) fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Whether this is the empty path (the value itself, in `$elemMatch`).
    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Visit every value the path reaches in `doc` (`None` where it reaches
    /// nothing), with the index of the first array element traversed. Stops
    /// and returns `true` as soon as the visitor does.
    pub(crate) fn walk<'a, F>(&self, doc: &'a RawDocument, leaf: LeafArrays, f: &mut F) -> bool
    where
        F: FnMut(Option<RawBsonRef<'a>>, Option<usize>) -> bool,
    {
        walk_doc(doc, &self.parts, leaf, None, f)
    }
}

/// MongoDB treats a path part as an array index when it is all ASCII digits.
fn parse_index(p: &str) -> Option<usize> {
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok()
}

/// Look up a top-level key without decoding the values it skips over.
///
/// This is the matcher's hot path, so it scans the element headers itself
/// (no UTF-8 validation of keys it passes, no error values) and decodes only
/// the value it finds. Values the scan does not decode itself (arrays and the
/// rarer types) are read through `bson` again; malformed bytes read as missing.
pub(crate) fn get<'a>(doc: &'a RawDocument, key: &str) -> Option<RawBsonRef<'a>> {
    let (tag, value) = get_raw(doc, key)?;
    match decode(tag, value) {
        Decoded::Value(v) => Some(v),
        Decoded::Slow => doc.get(key).ok().flatten(),
        Decoded::Malformed => None,
    }
}

/// The type tag and the undecoded bytes of a top-level key's value.
pub(crate) fn get_raw<'a>(doc: &'a RawDocument, key: &str) -> Option<(u8, &'a [u8])> {
    let bytes = doc.as_bytes();
    let key = key.as_bytes();
    let mut pos = 4;
    loop {
        let tag = *bytes.get(pos)?;
        if tag == 0 {
            return None;
        }
        let name_start = pos + 1;
        let name_len = nul_position(bytes.get(name_start..)?)?;
        let start = name_start + name_len + 1;
        let size = match FIXED_SIZE[usize::from(tag)] {
            VARIABLE => value_size(tag, bytes, start)?,
            INVALID => return None,
            n => usize::from(n),
        };
        let end = start.checked_add(size)?;
        // Lengths first, then the first byte: most names are rejected without `memcmp`.
        if name_len == key.len()
            && key.first().is_none_or(|k| bytes.get(name_start) == Some(k))
            && bytes.get(name_start..name_start + name_len)? == key
        {
            return Some((tag, bytes.get(start..end)?));
        }
        pos = end;
    }
}

/// A string value's bytes (without its length and final NUL), unchecked
/// for UTF-8: compared with a `&str`, equal bytes are an equal string.
pub(crate) fn string_bytes(value: &[u8]) -> Option<&[u8]> {
    value.get(4..value.len().saturating_sub(1))
}

const VARIABLE: u8 = 0xFE;
const INVALID: u8 = 0xFF;

/// Value sizes of the fixed-size BSON types by tag, so the scan skips them
/// without a branch per type.
static FIXED_SIZE: [u8; 256] = {
    let mut t = [INVALID; 256];
    t[0x01] = 8;
    t[0x02] = VARIABLE;
    t[0x03] = VARIABLE;
    t[0x04] = VARIABLE;
    t[0x05] = VARIABLE;
    t[0x06] = 0;
    t[0x07] = 12;
    t[0x08] = 1;
    t[0x09] = 8;
    t[0x0A] = 0;
    t[0x0B] = VARIABLE;
    t[0x0C] = VARIABLE;
    t[0x0D] = VARIABLE;
    t[0x0E] = VARIABLE;
    t[0x0F] = VARIABLE;
    t[0x10] = 4;
    t[0x11] = 8;
    t[0x12] = 8;
    t[0x13] = 16;
    t[0x7F] = 0;
    t[0xFF] = 0;
    t
};

fn read_i32(bytes: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn read_len(bytes: &[u8], at: usize) -> Option<usize> {
    usize::try_from(read_i32(bytes, at)?).ok()
}

/// The size of a value of type `tag` starting at `at`, from its header.
fn value_size(tag: u8, bytes: &[u8], at: usize) -> Option<usize> {
    Some(match tag {
        0x01 | 0x09 | 0x11 | 0x12 => 8,
        0x10 => 4,
        0x13 => 16,
        0x07 => 12,
        0x08 => 1,
        0x06 | 0x0A | 0xFF | 0x7F => 0,
        0x02 | 0x0D | 0x0E => 4 + read_len(bytes, at)?,
        0x03 | 0x04 | 0x0F => read_len(bytes, at)?,
        0x05 => 5 + read_len(bytes, at)?,
        0x0C => 4 + read_len(bytes, at)? + 12,
        0x0B => {
            let rest = bytes.get(at..)?;
            let p = rest.iter().position(|&b| b == 0)?;
            let o = rest.get(p + 1..)?.iter().position(|&b| b == 0)?;
            p + 1 + o + 1
        }
        _ => return None,
    })
}

enum Decoded<'a> {
    Value(RawBsonRef<'a>),
    /// A type read through `bson` instead.
    Slow,
    Malformed,
}

fn decode(tag: u8, v: &[u8]) -> Decoded<'_> {
    let fixed = |n: usize| v.get(..n);
    let value = match tag {
        0x01 => fixed(8)
            .and_then(|b| b.try_into().ok())
            .map(|b| RawBsonRef::Double(f64::from_le_bytes(b))),
        0x02 => string_bytes(v)
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(RawBsonRef::String),
        0x03 => RawDocument::from_bytes(v).ok().map(RawBsonRef::Document),
        0x06 => Some(RawBsonRef::Undefined),
        0x07 => fixed(12)
            .and_then(|b| b.try_into().ok())
            .map(|b| RawBsonRef::ObjectId(bson::oid::ObjectId::from_bytes(b))),
        0x08 => match v.first() {
            Some(0) => Some(RawBsonRef::Boolean(false)),
            Some(1) => Some(RawBsonRef::Boolean(true)),
            _ => None,
        },
        0x09 => fixed(8)
            .and_then(|b| b.try_into().ok())
            .map(|b| RawBsonRef::DateTime(bson::DateTime::from_millis(i64::from_le_bytes(b)))),
        0x0A => Some(RawBsonRef::Null),
        0x10 => fixed(4)
            .and_then(|b| b.try_into().ok())
            .map(|b| RawBsonRef::Int32(i32::from_le_bytes(b))),
        0x12 => fixed(8)
            .and_then(|b| b.try_into().ok())
            .map(|b| RawBsonRef::Int64(i64::from_le_bytes(b))),
        0xFF => Some(RawBsonRef::MinKey),
        0x7F => Some(RawBsonRef::MaxKey),
        _ => return Decoded::Slow,
    };
    match value {
        Some(v) => Decoded::Value(v),
        None => Decoded::Malformed,
    }
}

fn walk_doc<'a, F>(
    doc: &'a RawDocument,
    parts: &[Part],
    leaf: LeafArrays,
    pos: Option<usize>,
    f: &mut F,
) -> bool
where
    F: FnMut(Option<RawBsonRef<'a>>, Option<usize>) -> bool,
{
    match parts.split_first() {
        None => f(Some(RawBsonRef::Document(doc)), pos),
        Some((first, rest)) => walk_value(get(doc, &first.key), rest, leaf, pos, f),
    }
}

fn walk_value<'a, F>(
    v: Option<RawBsonRef<'a>>,
    rest: &[Part],
    leaf: LeafArrays,
    pos: Option<usize>,
    f: &mut F,
) -> bool
where
    F: FnMut(Option<RawBsonRef<'a>>, Option<usize>) -> bool,
{
    match (v, rest.split_first()) {
        (Some(RawBsonRef::Array(arr)), None) => match leaf {
            LeafArrays::WholeOnly => f(v, pos),
            LeafArrays::ElementsAndWhole => {
                for (i, e) in arr.into_iter().flatten().enumerate() {
                    if f(Some(e), pos.or(Some(i))) {
                        return true;
                    }
                }
                f(v, pos)
            }
            LeafArrays::Elements => {
                let mut empty = true;
                for (i, e) in arr.into_iter().flatten().enumerate() {
                    empty = false;
                    if f(Some(e), pos.or(Some(i))) {
                        return true;
                    }
                }
                empty && f(v, pos)
            }
        },
        (_, None) => f(v, pos),
        (Some(RawBsonRef::Document(d)), Some(_)) => walk_doc(d, rest, leaf, pos, f),
        (Some(RawBsonRef::Array(arr)), Some((next, after))) => {
            if let Some(idx) = next.index {
                if let Ok(Some(e)) = arr.get(idx) {
                    if walk_value(Some(e), after, leaf, pos.or(Some(idx)), f) {
                        return true;
                    }
                }
            }
            // Nested arrays are not entered: `a.b` does not reach into `a: [[{b: 1}]]`.
            for (i, e) in arr.into_iter().flatten().enumerate() {
                if let RawBsonRef::Document(d) = e {
                    if walk_doc(d, rest, leaf, pos.or(Some(i)), f) {
                        return true;
                    }
                }
            }
            false
        }
        (_, Some(_)) => f(None, pos),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{rawdoc, RawBson};

    fn collect(
        doc: &RawDocument,
        path: &str,
        leaf: LeafArrays,
    ) -> Vec<(Option<RawBson>, Option<usize>)> {
        let mut out = Vec::new();
        FieldPath::parse(path).walk(doc, leaf, &mut |v, i| {
            out.push((v.map(RawBson::from), i));
            false
        });
        out
    }

    #[test]
    fn raw_lookup_agrees_with_bson_for_every_type() {
        let d = rawdoc! {
            "f": 1.5, "s": "héllo", "d": {"x": 1}, "a": [1, [2]], "bin": bson::Binary {
                subtype: bson::spec::BinarySubtype::Generic, bytes: vec![1, 2] },
            "u": RawBson::Undefined, "o": bson::oid::ObjectId::new(), "t": true, "dt": bson::DateTime::now(),
            "n": RawBson::Null, "re": bson::Regex { pattern: "a+".to_string().try_into().unwrap(),
                options: "i".to_string().try_into().unwrap() },
            "js": RawBson::JavaScriptCode("f()".into()), "sym": RawBson::Symbol("y".into()),
            "i": 7, "ts": bson::Timestamp { time: 3, increment: 4 }, "l": 8_i64,
            "dec": bson::Decimal128::from_bytes([1; 16]), "min": RawBson::MinKey, "max": RawBson::MaxKey,
        };
        for (k, v) in d.iter().map(Result::unwrap) {
            assert_eq!(get(&d, k.as_str()), Some(v), "{k}");
        }
        assert_eq!(get(&d, "missing"), None);
        assert_eq!(get(&d, "ma"), None);
    }

    #[test]
    fn dotted_paths_reach_through_arrays_of_documents() {
        let d = rawdoc! {"items": [{"qty": 1}, {"sku": "x"}, 7, {"qty": [2, 3]}]};
        let got = collect(&d, "items.qty", LeafArrays::ElementsAndWhole);
        assert_eq!(got.len(), 5);
        assert_eq!(got[0], (Some(RawBson::Int32(1)), Some(0)));
        assert_eq!(got[1], (None, Some(1)));
        assert_eq!(got[2], (Some(RawBson::Int32(2)), Some(3)));
        assert_eq!(got[3], (Some(RawBson::Int32(3)), Some(3)));
    }

    #[test]
    fn numeric_parts_index_arrays_and_name_keys() {
        let d = rawdoc! {"a": [{"b": 1}, {"b": 2}], "m": {"0": "zero"}};
        // The element at index 1 first; then each element document, which has no key "1".
        let got = collect(&d, "a.1.b", LeafArrays::WholeOnly);
        assert_eq!(got[0], (Some(RawBson::Int32(2)), Some(1)));
        assert!(got[1..].iter().all(|(v, _)| v.is_none()));
        let got = collect(&d, "m.0", LeafArrays::WholeOnly);
        assert_eq!(got, vec![(Some(RawBson::String("zero".into())), None)]);
    }

    #[test]
    fn nested_arrays_are_not_entered_midway() {
        let d = rawdoc! {"a": [[{"b": 1}]]};
        assert!(collect(&d, "a.b", LeafArrays::ElementsAndWhole).is_empty());
    }

    #[test]
    fn sort_leaves_hand_over_empty_arrays() {
        let d = rawdoc! {"a": [], "b": [1]};
        assert_eq!(collect(&d, "a", LeafArrays::Elements).len(), 1);
        assert_eq!(
            collect(&d, "b", LeafArrays::Elements),
            vec![(Some(RawBson::Int32(1)), Some(0))]
        );
    }
}

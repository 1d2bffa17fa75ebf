//! A validating, allocation-free reader of a BSON document's elements: the
//! decoders' inner loop.
//!
//! `bson`'s raw iterator builds a `RawBsonRef` for every element (scanning
//! each key twice, once for UTF-8 and once for a NUL) before the decoder
//! looks at it; reading the ten fields of a typical model that way costs
//! about four times what the bytes themselves take. [`Elements`] walks the
//! same bytes once, checks every length against its container as `bson`
//! does, and leaves the value unparsed until a decoder asks for it: a
//! scalar is read in place, an array is walked without ever becoming a
//! `RawArray`.

use bson::raw::{RawBsonRef, RawDocument};
use bson::spec::{BinarySubtype, ElementType};
use bson::{Decimal128, Timestamp};

use crate::error::{DecodeError, DecodeErrorKind};

/// One element of a BSON document or array, its value still unparsed.
#[derive(Debug, Clone, Copy)]
pub struct Element<'a> {
    kind: ElementType,
    key: &'a [u8],
    value: &'a [u8],
    parent: &'a [u8],
    index: usize,
}

impl<'a> Element<'a> {
    /// The element's key (an array's keys are its indexes, `"0"`, `"1"`, ...).
    pub fn key(&self) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(self.key).map_err(|_| malformed("key is not valid UTF-8"))
    }

    /// The key's bytes, not checked for UTF-8: what a decoder compares with
    /// the keys it knows (which are UTF-8), sparing the check on every key.
    #[inline]
    pub fn raw_key(&self) -> &'a [u8] {
        self.key
    }

    /// The element's BSON type.
    #[inline]
    pub fn element_type(&self) -> ElementType {
        self.kind
    }

    /// The elements of an embedded document or array value.
    #[inline]
    pub fn elements(&self) -> Option<Elements<'a>> {
        matches!(
            self.kind,
            ElementType::EmbeddedDocument | ElementType::Array
        )
        .then(|| Elements::in_container(self.value))
    }

    /// The value when it is a valid string: the decoders' most common
    /// case, answered without building a [`RawBsonRef`] or an error.
    #[inline]
    pub fn as_str(&self) -> Option<&'a str> {
        match self.kind {
            ElementType::String => text(self.value).ok(),
            _ => None,
        }
    }

    /// The bytes of a fixed-size value of type `kind`; `None` for any other
    /// type. (The scalar decoders' fast path, as [`Element::as_str`].)
    #[inline]
    pub(crate) fn fixed_of<const N: usize>(&self, kind: ElementType) -> Option<[u8; N]> {
        if self.kind == kind {
            self.value.get(..N)?.try_into().ok()
        } else {
            None
        }
    }

    /// The value, parsed (strings checked for UTF-8).
    #[inline]
    pub fn value(&self) -> Result<RawBsonRef<'a>, DecodeError> {
        let v = self.value;
        Ok(match self.kind {
            ElementType::Double => RawBsonRef::Double(f64::from_le_bytes(fixed(v))),
            ElementType::String => RawBsonRef::String(text(v)?),
            ElementType::EmbeddedDocument => RawBsonRef::Document(RawDocument::from_bytes(v)?),
            ElementType::ObjectId => {
                RawBsonRef::ObjectId(bson::oid::ObjectId::from_bytes(fixed(v)))
            }
            ElementType::Boolean => RawBsonRef::Boolean(v == [1]),
            ElementType::DateTime => {
                RawBsonRef::DateTime(bson::DateTime::from_millis(i64::from_le_bytes(fixed(v))))
            }
            ElementType::Null => RawBsonRef::Null,
            ElementType::Int32 => RawBsonRef::Int32(i32::from_le_bytes(fixed(v))),
            ElementType::Timestamp => {
                let [i0, i1, i2, i3, t0, t1, t2, t3] = fixed(v);
                RawBsonRef::Timestamp(Timestamp {
                    increment: u32::from_le_bytes([i0, i1, i2, i3]),
                    time: u32::from_le_bytes([t0, t1, t2, t3]),
                })
            }
            ElementType::Int64 => RawBsonRef::Int64(i64::from_le_bytes(fixed(v))),
            ElementType::Decimal128 => RawBsonRef::Decimal128(Decimal128::from_bytes(fixed(v))),
            ElementType::Undefined => RawBsonRef::Undefined,
            ElementType::MinKey => RawBsonRef::MinKey,
            ElementType::MaxKey => RawBsonRef::MaxKey,
            ElementType::JavaScriptCode => RawBsonRef::JavaScriptCode(text(v)?),
            ElementType::Symbol => RawBsonRef::Symbol(text(v)?),
            ElementType::Binary if v[4] != 2 => RawBsonRef::Binary(bson::RawBinaryRef {
                subtype: BinarySubtype::from(v[4]),
                bytes: &v[5..],
            }),
            // No public constructor makes a `&RawArray` (nor the rarer kinds)
            // from bytes: ask `bson` for the element it already validated.
            _ => RawDocument::from_bytes(self.parent)?
                .iter_elements()
                .nth(self.index)
                .ok_or_else(|| malformed("element vanished"))??
                .value()?,
        })
    }
}

/// The elements of a BSON document or array, in order.
///
/// Yields an error (and then nothing) at the first malformed element;
/// lengths are checked as `bson` checks them, so a value can never reach
/// past its container.
///
/// ```
/// use bson::{doc, RawDocumentBuf};
/// use odm_core::value::Elements;
///
/// let raw = RawDocumentBuf::try_from(&doc! { "a": 1, "b": "two" }).unwrap();
/// let keys: Vec<&[u8]> = Elements::of(&raw).map(|e| e.unwrap().raw_key()).collect();
/// assert_eq!(keys, [b"a", b"b"]);
/// ```
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    bytes: &'a [u8],
    at: usize,
    index: usize,
}

impl<'a> Elements<'a> {
    /// The elements of `doc`.
    #[inline]
    pub fn of(doc: &'a RawDocument) -> Self {
        Self::in_container(doc.as_bytes())
    }

    /// `bytes` is a whole document whose length prefix and final NUL were
    /// checked, as every `RawDocument` and every container [`Elements`]
    /// yields is.
    #[inline]
    fn in_container(bytes: &'a [u8]) -> Self {
        Elements {
            bytes,
            at: 4,
            index: 0,
        }
    }

    #[inline(always)]
    fn read(&mut self) -> Result<Option<Element<'a>>, DecodeError> {
        let b = self.bytes;
        let end = b.len().saturating_sub(1);
        // Past the end only after an error: nothing after a malformed
        // element can be trusted.
        let Some(&tag) = b.get(self.at) else {
            return Ok(None);
        };
        if self.at == end {
            return match tag {
                0 => Ok(None),
                _ => Err(malformed("document not null terminated")),
            };
        }
        if tag == 0 {
            return Err(malformed("document ends before its declared length"));
        }
        let key_start = self.at + 1;
        let key_len =
            nul_position(&b[key_start..end]).ok_or_else(|| malformed("key not null terminated"))?;
        let key = &b[key_start..key_start + key_len];
        let start = key_start + key_len + 1;
        let at_key = |e: DecodeError| e.at(String::from_utf8_lossy(key));
        let kind = ElementType::from(tag)
            .ok_or_else(|| at_key(malformed(format!("invalid tag: {tag}"))))?;
        let size = value_size(kind, &b[start..end]).map_err(at_key)?;
        if size > end - start {
            return Err(at_key(malformed(
                "length exceeds remaining length of buffer",
            )));
        }
        let value = &b[start..start + size];
        self.at = start + size;
        let index = self.index;
        self.index += 1;
        Ok(Some(Element {
            kind,
            key,
            value,
            parent: b,
            index,
        }))
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<Element<'a>, DecodeError>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        match self.read() {
            Ok(element) => element.map(Ok),
            Err(e) => {
                self.at = self.bytes.len();
                Some(Err(e))
            }
        }
    }
}

/// The size of a `kind` value at the start of `rest` (the bytes left before
/// the container's final NUL), checked as far as its own framing goes.
#[inline]
fn value_size(kind: ElementType, rest: &[u8]) -> Result<usize, DecodeError> {
    Ok(match kind {
        ElementType::Double
        | ElementType::DateTime
        | ElementType::Int64
        | ElementType::Timestamp => 8,
        ElementType::Int32 => 4,
        ElementType::Boolean => match rest.first() {
            Some(0 | 1) | None => 1,
            Some(b) => {
                return Err(malformed(format!(
                    "boolean must be stored as 0 or 1, got {b}"
                )))
            }
        },
        ElementType::ObjectId => 12,
        ElementType::Decimal128 => 16,
        ElementType::Null | ElementType::Undefined | ElementType::MinKey | ElementType::MaxKey => 0,
        ElementType::String | ElementType::JavaScriptCode | ElementType::Symbol => {
            string_size(rest)?
        }
        ElementType::DbPointer => string_size(rest)? + 12,
        ElementType::EmbeddedDocument | ElementType::Array => {
            let len = length(rest)?;
            if len < 5 {
                return Err(malformed(format!("document too small: {len} bytes")));
            }
            if rest.get(len - 1) != Some(&0) {
                return Err(malformed("not null terminated"));
            }
            len
        }
        ElementType::Binary => {
            let len = length(rest)?;
            if len >= i32::MAX as usize - 5 {
                return Err(malformed(format!("binary length exceeds maximum: {len}")));
            }
            len + 5
        }
        ElementType::RegularExpression => {
            let cstr = |from: usize| {
                rest.get(from..)
                    .and_then(nul_position)
                    .ok_or_else(|| malformed("regex not null terminated"))
            };
            let pattern = cstr(0)?;
            pattern + 1 + cstr(pattern + 1)? + 1
        }
        ElementType::JavaScriptCodeWithScope => {
            let len = length(rest)?;
            if len < 14 {
                return Err(malformed("code with scope length too small"));
            }
            len
        }
    })
}

/// The index of the first NUL byte (a key's end), eight bytes at a time:
/// keys are short, so one word usually holds the whole key and its
/// terminator. The matcher's key scan shares it.
#[inline]
pub(crate) fn nul_position(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(word) = b.get(i..i + 8) {
        let x = u64::from_le_bytes(word.try_into().ok()?);
        // The lowest flagged byte is always a real zero (borrows only move up).
        let zeros = x.wrapping_sub(LO) & !x & HI;
        if zeros != 0 {
            return Some(i + (zeros.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?.iter().position(|&c| c == 0).map(|p| i + p)
}

/// A string's size: its length prefix, which counts the final NUL.
#[inline]
fn string_size(rest: &[u8]) -> Result<usize, DecodeError> {
    let len = length(rest)?;
    if len == 0 {
        return Err(malformed("string length must be at least 1"));
    }
    if rest.get(4 + len - 1) != Some(&0) {
        return Err(malformed("string not null terminated"));
    }
    Ok(4 + len)
}

/// A non-negative little-endian `i32` length at the start of `rest`.
#[inline]
fn length(rest: &[u8]) -> Result<usize, DecodeError> {
    let bytes = rest
        .get(..4)
        .ok_or_else(|| malformed("length exceeds remaining length of buffer"))?;
    usize::try_from(i32::from_le_bytes(fixed(bytes)))
        .map_err(|_| malformed("lengths can't be negative"))
}

/// The string of a string value (its length prefix and NUL stripped).
#[inline]
fn text(v: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(&v[4..v.len() - 1]).map_err(|e| malformed(format!("invalid UTF-8: {e}")))
}

/// A fixed-size value; `value_size` gave it exactly `N` bytes.
#[inline]
fn fixed<const N: usize>(v: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&v[..N]);
    out
}

#[cold]
#[inline(never)]
fn malformed(message: impl Into<String>) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Malformed(message.into()))
}

#[cfg(test)]
mod tests {
    use bson::raw::RawDocumentBuf;
    use bson::spec::BinarySubtype;
    use bson::{cstr, doc, Binary, Bson, JavaScriptCodeWithScope, Regex};

    use super::*;
    use crate::error::DecodeErrorKind;

    /// Every BSON type, nested, as `bson` writes it.
    fn every_type() -> RawDocumentBuf {
        let old_binary = Binary {
            subtype: BinarySubtype::BinaryOld,
            bytes: vec![1, 2, 3],
        };
        // bson has no public constructor for a DBPointer: {"p": DBPointer("ns", oid)}.
        let mut pointer_doc = vec![0, 0, 0, 0, 0x0c, b'p', 0, 3, 0, 0, 0, b'n', b's', 0];
        pointer_doc.extend([1; 12]);
        pointer_doc.push(0);
        pointer_doc[0] = pointer_doc.len() as u8;
        let pointer = RawDocument::from_bytes(&pointer_doc)
            .ok()
            .and_then(|d| d.get("p").ok().flatten())
            .and_then(|p| Bson::try_from(p).ok())
            .expect("a DBPointer");
        RawDocumentBuf::try_from(&doc! {
            "double": 1.5,
            "string": "héllo",
            "doc": { "a": 1, "b": [1, "two", { "c": null }] },
            "array": [[1, 2], [], { "x": true }],
            "binary": Binary { subtype: BinarySubtype::Generic, bytes: vec![0, 255] },
            "old": old_binary,
            "undefined": Bson::Undefined,
            "oid": bson::oid::ObjectId::from_bytes([7; 12]),
            "false": false,
            "true": true,
            "date": bson::DateTime::from_millis(-1),
            "null": null,
            "regex": Regex { pattern: cstr!("^a.*").into(), options: cstr!("i").into() },
            "pointer": pointer,
            "code": Bson::JavaScriptCode("f()".into()),
            "symbol": Bson::Symbol("s".into()),
            "scope": JavaScriptCodeWithScope { code: "g()".into(), scope: doc! { "v": 1 } },
            "int32": -5,
            "ts": bson::Timestamp { time: 7, increment: 9 },
            "int64": 1i64 << 40,
            "decimal": "1.25".parse::<bson::Decimal128>().expect("decimal"),
            "min": Bson::MinKey,
            "max": Bson::MaxKey,
            "": "empty key",
        })
        .expect("encodable")
    }

    /// Every element of `bytes`, parsed, descending into containers; the
    /// first error ends the walk.
    fn walk_ours(bytes: &[u8]) -> Result<Vec<(String, Bson)>, DecodeError> {
        let doc = RawDocument::from_bytes(bytes)?;
        let mut out = Vec::new();
        walk_elements(Elements::of(doc), "", &mut out)?;
        Ok(out)
    }

    fn walk_elements(
        elements: Elements<'_>,
        prefix: &str,
        out: &mut Vec<(String, Bson)>,
    ) -> Result<(), DecodeError> {
        for e in elements {
            let e = e?;
            let path = format!("{prefix}{}", e.key()?);
            match e.elements() {
                Some(inner) => walk_elements(inner, &format!("{path}."), out)?,
                None => out.push((path, Bson::try_from(e.value()?)?)),
            }
        }
        Ok(())
    }

    /// The same walk through `bson`'s own iterator.
    fn walk_bson(bytes: &[u8]) -> Result<Vec<(String, Bson)>, bson::error::Error> {
        fn walk(
            doc: &RawDocument,
            prefix: &str,
            out: &mut Vec<(String, Bson)>,
        ) -> Result<(), bson::error::Error> {
            for e in doc {
                let (key, value) = e?;
                let path = format!("{prefix}{}", key.as_str());
                match value {
                    RawBsonRef::Document(d) => walk(d, &format!("{path}."), out)?,
                    RawBsonRef::Array(a) => walk(
                        RawDocument::from_bytes(a.as_bytes())?,
                        &format!("{path}."),
                        out,
                    )?,
                    v => out.push((path, Bson::try_from(v)?)),
                }
            }
            Ok(())
        }
        let mut out = Vec::new();
        walk(RawDocument::from_bytes(bytes)?, "", &mut out)?;
        Ok(out)
    }

    #[test]
    fn reads_every_type_as_bson_does() {
        let raw = every_type();
        let ours = walk_ours(raw.as_bytes()).expect("valid");
        assert_eq!(ours, walk_bson(raw.as_bytes()).expect("valid"));
        assert!(ours.iter().any(|(k, _)| k == "array.0.1"));
        assert!(ours.iter().any(|(k, _)| k == "old"));
    }

    /// Every byte of a valid document replaced by a few telling values:
    /// never a panic, and whatever `bson` reads whole, we read the same.
    #[test]
    fn corrupt_bytes_are_errors_never_panics_and_never_misread() {
        let raw = every_type();
        let mut agreed = 0;
        for at in 0..raw.as_bytes().len() {
            for byte in [0x00, 0x01, 0x02, 0x05, 0x0d, 0x7f, 0x80, 0xc3, 0xff] {
                let mut bytes = raw.as_bytes().to_vec();
                bytes[at] = byte;
                let ours = walk_ours(&bytes);
                if let Ok(theirs) = walk_bson(&bytes) {
                    // Compared as printed: a corrupt double may be NaN.
                    let ours = ours.map(|o| format!("{o:?}"));
                    assert_eq!(
                        ours.ok(),
                        Some(format!("{theirs:?}")),
                        "byte {at} = {byte:#x}"
                    );
                    agreed += 1;
                }
            }
        }
        assert!(
            agreed > 100,
            "the mutations left too few readable documents"
        );
    }

    /// A deterministic fuzzing pass: 20,000 documents with one to four
    /// random bytes replaced, held to the same two rules.
    #[test]
    fn random_corruptions_agree_with_bson() {
        let raw = every_type();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut agreed = 0;
        for _ in 0..20_000 {
            let mut bytes = raw.as_bytes().to_vec();
            for _ in 0..=next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            let ours = walk_ours(&bytes).map(|o| format!("{o:?}"));
            if let Ok(theirs) = walk_bson(&bytes) {
                assert_eq!(ours.ok(), Some(format!("{theirs:?}")), "{bytes:?}");
                agreed += 1;
            }
        }
        assert!(
            agreed > 2_000,
            "only {agreed} corrupted documents were readable"
        );
    }

    #[test]
    fn a_malformed_element_is_named_and_ends_the_walk() {
        let raw = RawDocumentBuf::try_from(&doc! { "a": 1, "name": "x", "z": 2 }).expect("doc");
        let mut bytes = raw.as_bytes().to_vec();
        // The string's length prefix, made to reach past the document.
        let at = bytes.windows(5).position(|w| w == b"name\0").expect("key") + 5;
        bytes[at] = 100;
        let doc = RawDocument::from_bytes(&bytes).expect("framing intact");
        let all: Vec<_> = Elements::of(doc).collect();
        assert_eq!(all.len(), 2, "one good element, one error, then nothing");
        let err = all[1].as_ref().expect_err("malformed");
        assert_eq!(err.path, "name");
        assert!(matches!(err.kind, DecodeErrorKind::Malformed(_)));
    }

    #[test]
    fn nul_search_finds_the_first_terminator() {
        for n in 0..20 {
            let mut v = vec![b'k'; n];
            v.push(0);
            v.extend_from_slice(&[7, 0, 0x80, 1]);
            assert_eq!(nul_position(&v), Some(n), "{n}");
        }
        assert_eq!(nul_position(&[0x80, 0x01, 0x00]), Some(2));
        assert_eq!(nul_position(b"no terminator here"), None);
    }

    #[test]
    fn a_key_is_checked_for_utf8_only_when_asked() {
        let raw = RawDocumentBuf::try_from(&doc! { "ké": 1 }).expect("doc");
        let mut bytes = raw.as_bytes().to_vec();
        let at = bytes.iter().position(|&b| b == 0xc3).expect("é");
        bytes[at] = 0xff;
        let doc = RawDocument::from_bytes(&bytes).expect("framing intact");
        let e = Elements::of(doc).next().expect("one").expect("framed");
        assert_eq!(e.raw_key(), b"k\xff\xa9");
        assert!(e.key().is_err());
        assert_eq!(e.value().expect("int"), RawBsonRef::Int32(1));
    }
}

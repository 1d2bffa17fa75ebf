//! Bitwise query operators: `$bitsAllSet`, `$bitsAllClear`, `$bitsAnySet`,
//! `$bitsAnyClear`.
//!
//! A mask is a non-negative integer, an array of bit positions or BinData
//! (bytes, least significant first). Numbers are tested as 64-bit two's
//! complement (so bits above 63 of a negative number are set); BinData by its
//! bytes. Non-integral numbers and other types never match.

use bson::raw::RawBsonRef;
use bson::Bson;

use super::pred::f64_to_i64;
use crate::error::CommandError;

/// Which bitwise test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BitTest {
    AllSet,
    AllClear,
    AnySet,
    AnyClear,
}

/// A compiled bitwise predicate: the test and the bit positions of its mask.
#[derive(Debug, Clone)]
pub(crate) struct Bits {
    test: BitTest,
    positions: Vec<u32>,
}

fn bad_value(msg: impl Into<String>) -> CommandError {
    CommandError::new(2, "BadValue", msg)
}

fn whole(v: &Bson) -> Option<i64> {
    match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        Bson::Double(d) if d.fract() == 0.0 => f64_to_i64(*d),
        _ => None,
    }
}

impl Bits {
    /// Parse the operator `op` (for messages) and its mask.
    pub(crate) fn parse(op: &str, test: BitTest, arg: &Bson) -> Result<Self, CommandError> {
        let mut positions = Vec::new();
        match arg {
            Bson::Array(items) => {
                for item in items {
                    let p = whole(item).ok_or_else(|| {
                        bad_value(format!("bit positions must be an integer but got: {item}"))
                    })?;
                    let p = u32::try_from(p).map_err(|_| {
                        bad_value(format!("bit positions must be >= 0 but got: {item}"))
                    })?;
                    positions.push(p);
                }
            }
            Bson::Binary(b) => {
                for (i, byte) in b.bytes.iter().enumerate() {
                    for bit in 0..8u32 {
                        if byte & (1 << bit) != 0 {
                            positions.push(u32::try_from(i).unwrap_or(u32::MAX / 8) * 8 + bit);
                        }
                    }
                }
            }
            other => {
                let mask = whole(other).ok_or_else(|| {
                    bad_value(format!(
                        "{op} takes an Array, a number, or a BinData but received: {other}"
                    ))
                })?;
                if mask < 0 {
                    return Err(bad_value(format!(
                        "{op} bitmask must be a non-negative number but got: {other}"
                    )));
                }
                positions.extend((0..63).filter(|b| mask & (1 << b) != 0));
            }
        }
        Ok(Bits { test, positions })
    }

    /// Test one value.
    pub(crate) fn test(&self, v: Option<RawBsonRef<'_>>) -> bool {
        let source = match v {
            Some(RawBsonRef::Int32(i)) => Source::Number(i64::from(i)),
            Some(RawBsonRef::Int64(i)) => Source::Number(i),
            Some(RawBsonRef::Double(d)) if d.fract() == 0.0 => match f64_to_i64(d) {
                Some(i) => Source::Number(i),
                None => return false,
            },
            Some(RawBsonRef::Binary(b)) => Source::Bytes(b.bytes),
            _ => return false,
        };
        let mut set = self.positions.iter().map(|p| source.bit(*p));
        match self.test {
            BitTest::AllSet => set.all(|b| b),
            BitTest::AllClear => set.all(|b| !b),
            BitTest::AnySet => set.any(|b| b),
            BitTest::AnyClear => set.any(|b| !b),
        }
    }
}

/// The bits of a field value.
enum Source<'a> {
    Number(i64),
    Bytes(&'a [u8]),
}

impl Source<'_> {
    fn bit(&self, p: u32) -> bool {
        match self {
            Source::Number(i) => number_bit(*i, p),
            Source::Bytes(b) => b
                .get((p / 8) as usize)
                .is_some_and(|byte| byte & (1 << (p % 8)) != 0),
        }
    }
}

/// Bit `p` of a 64-bit two's-complement number, sign-extended beyond bit 63.
fn number_bit(i: i64, p: u32) -> bool {
    if p >= 64 {
        i < 0
    } else {
        i & (1 << p) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::spec::BinarySubtype;
    use bson::{Binary, RawBson};

    fn check(test: BitTest, mask: Bson, v: RawBson) -> bool {
        Bits::parse("$bits", test, &mask)
            .unwrap()
            .test(Some(v.as_raw_bson_ref()))
    }

    #[test]
    fn masks_as_numbers_positions_and_bindata() {
        // 54 = 0b110110
        let v = || RawBson::Int32(54);
        assert!(check(BitTest::AllSet, Bson::Int32(0b110), v()));
        assert!(!check(BitTest::AllSet, Bson::Int32(0b111), v()));
        assert!(check(
            BitTest::AllSet,
            Bson::Array(vec![1.into(), 5.into()]),
            v()
        ));
        assert!(check(
            BitTest::AllClear,
            Bson::Array(vec![0.into(), 3.into()]),
            v()
        ));
        assert!(check(BitTest::AnySet, Bson::Int32(0b1010), v()));
        assert!(!check(BitTest::AnySet, Bson::Int32(0b1001), v()));
        assert!(check(BitTest::AnyClear, Bson::Int32(0b11), v()));
        let bin = Bson::Binary(Binary {
            subtype: BinarySubtype::Generic,
            bytes: vec![0b0000_0110],
        });
        assert!(check(BitTest::AllSet, bin, v()));
    }

    #[test]
    fn negative_numbers_are_sign_extended_and_fractions_never_match() {
        assert!(check(
            BitTest::AllSet,
            Bson::Array(vec![63.into(), 200.into()]),
            RawBson::Int64(-1)
        ));
        assert!(check(
            BitTest::AllClear,
            Bson::Array(vec![200.into()]),
            RawBson::Int32(5)
        ));
        assert!(!check(
            BitTest::AnySet,
            Bson::Int32(1),
            RawBson::Double(1.5)
        ));
        assert!(check(BitTest::AnySet, Bson::Int32(1), RawBson::Double(3.0)));
        assert!(!check(
            BitTest::AnySet,
            Bson::Int32(1),
            RawBson::String("1".into())
        ));
    }

    #[test]
    fn bindata_fields_test_their_bytes() {
        let field = RawBson::Binary(Binary {
            subtype: BinarySubtype::Generic,
            bytes: vec![0, 0b1000_0000],
        });
        assert!(check(
            BitTest::AllSet,
            Bson::Array(vec![15.into()]),
            field.clone()
        ));
        assert!(check(
            BitTest::AllClear,
            Bson::Array(vec![16.into(), 0.into()]),
            field
        ));
    }

    #[test]
    fn bad_masks_are_errors() {
        for bad in [
            Bson::Int32(-1),
            Bson::String("x".into()),
            Bson::Array(vec![(-2).into()]),
            Bson::Double(1.5),
        ] {
            assert_eq!(
                Bits::parse("$bitsAllSet", BitTest::AllSet, &bad)
                    .unwrap_err()
                    .code,
                2
            );
        }
    }
}

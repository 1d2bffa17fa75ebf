//! Generators shared by the fuzz targets.
//!
//! Random bytes almost never form a filter or an update the engine would
//! accept, so the targets draw documents, filters and updates from a small
//! vocabulary of keys, operators and edge-case values: most inputs then
//! compile and reach the matcher's and the applier's deep paths.

use arbitrary::{Result, Unstructured};
use odm::bson::oid::ObjectId;
use odm::bson::spec::BinarySubtype;
use odm::bson::{Binary, Bson, DateTime, Decimal128, Document, Regex, Timestamp};

const KEYS: &[&str] = &[
    "a", "b", "c", "_id", "a.b", "a.0", "a.0.b", "b.c.d", "0", "1", "", "x.", ".x", "$", "a.$",
    "a.$[]", "a.$[i]", "a.$[i].b", "$a",
];
const STRINGS: &[&str] = &["", "a", "b", "ab", "$a", "$$ROOT", "ÿ", "\u{1F600}", "a.b"];
const QUERY_OPS: &[&str] = &[
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$type",
    "$size",
    "$all",
    "$elemMatch",
    "$not",
    "$mod",
    "$regex",
    "$options",
    "$bitsAllSet",
    "$bitsAnyClear",
    "$comment",
];
const LOGICAL: &[&str] = &["$and", "$or", "$nor"];
const UPDATE_OPS: &[&str] = &[
    "$set",
    "$unset",
    "$inc",
    "$mul",
    "$min",
    "$max",
    "$rename",
    "$push",
    "$pull",
    "$pullAll",
    "$addToSet",
    "$pop",
    "$currentDate",
    "$bit",
    "$setOnInsert",
];
const MODIFIERS: &[&str] = &["$each", "$position", "$slice", "$sort"];

/// Pick one of `items`.
pub fn pick<'a>(u: &mut Unstructured<'_>, items: &[&'a str]) -> Result<&'a str> {
    Ok(*u.choose(items)?)
}

/// A key: mostly from the vocabulary, sometimes arbitrary (NUL bytes removed).
pub fn key(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 8)? {
        let s: String = u.arbitrary()?;
        Ok(s.replace('\0', "").chars().take(8).collect())
    } else {
        Ok(pick(u, KEYS)?.to_owned())
    }
}

/// A BSON value of any type, favouring edge cases, nested up to `depth`.
pub fn value(u: &mut Unstructured<'_>, depth: u32) -> Result<Bson> {
    let nested = depth > 0;
    Ok(match u.int_in_range(0..=21)? {
        0 => Bson::Null,
        1 => Bson::Boolean(u.arbitrary()?),
        2 => Bson::Int32(*u.choose(&[0, 1, -1, 2, 7, i32::MAX, i32::MIN])?),
        3 => Bson::Int32(u.arbitrary()?),
        4 => Bson::Int64(*u.choose(&[0, 1, -1, 3, i64::MAX, i64::MIN, 1 << 53])?),
        5 => Bson::Double(*u.choose(&[
            0.0,
            -0.0,
            1.0,
            1.5,
            -2.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            9.007_199_254_740_993e15,
            1e308,
        ])?),
        6 => Bson::Double(u.arbitrary()?),
        7 | 8 => Bson::String(pick(u, STRINGS)?.to_owned()),
        9 | 10 if nested => {
            let n = u.int_in_range(0..=4)?;
            Bson::Array((0..n).map(|_| value(u, depth - 1)).collect::<Result<_>>()?)
        }
        11 | 12 if nested => Bson::Document(document(u, depth - 1)?),
        13 => Bson::ObjectId(ObjectId::from_bytes(u.arbitrary()?)),
        14 => Bson::DateTime(DateTime::from_millis(*u.choose(&[
            0,
            -1,
            1_700_000_000_000,
            i64::MAX,
            i64::MIN,
        ])?)),
        15 => Bson::Decimal128(Decimal128::from_bytes(u.arbitrary()?)),
        16 => Bson::Binary(Binary {
            subtype: *u.choose(&[BinarySubtype::Generic, BinarySubtype::Uuid])?,
            bytes: u.arbitrary::<Vec<u8>>()?.into_iter().take(16).collect(),
        }),
        17 => Bson::RegularExpression(Regex {
            pattern: pick(u, &["a", "^a", "b$", "(", ".*", "[", "a{2,}"])?
                .try_into()
                .map_err(|_| arbitrary::Error::IncorrectFormat)?,
            options: pick(u, &["", "i", "m", "x", "s", "imsx"])?
                .try_into()
                .map_err(|_| arbitrary::Error::IncorrectFormat)?,
        }),
        18 => Bson::MinKey,
        19 => Bson::MaxKey,
        20 => Bson::Timestamp(Timestamp {
            time: u.arbitrary()?,
            increment: u.arbitrary()?,
        }),
        _ => Bson::Int32(u.int_in_range(-3..=3)?),
    })
}

/// A document of up to five fields.
pub fn document(u: &mut Unstructured<'_>, depth: u32) -> Result<Document> {
    let mut d = Document::new();
    for _ in 0..u.int_in_range(0..=5)? {
        d.insert(key(u)?, value(u, depth)?);
    }
    Ok(d)
}

/// An operand for a query operator: usually what the operator expects.
fn operand(u: &mut Unstructured<'_>, op: &str, depth: u32) -> Result<Bson> {
    if u.ratio(1, 6)? {
        return value(u, depth);
    }
    Ok(match op {
        "$in" | "$nin" | "$all" => {
            let n = u.int_in_range(0..=3)?;
            Bson::Array((0..n).map(|_| value(u, depth)).collect::<Result<_>>()?)
        }
        "$exists" => Bson::Boolean(u.arbitrary()?),
        "$type" => Bson::String(pick(u, &["string", "number", "array", "double", "null"])?.into()),
        "$size" => Bson::Int32(u.int_in_range(-1..=3)?),
        "$mod" => Bson::Array(vec![value(u, 0)?, value(u, 0)?]),
        "$elemMatch" => Bson::Document(filter(u, depth.saturating_sub(1))?),
        "$not" => Bson::Document(operators(u, depth.saturating_sub(1))?),
        "$regex" => Bson::String(pick(u, &["a", "^b", "(", "x|y", ".*"])?.into()),
        "$options" => Bson::String(pick(u, &["", "i", "q"])?.into()),
        _ => value(u, depth)?,
    })
}

fn operators(u: &mut Unstructured<'_>, depth: u32) -> Result<Document> {
    let mut d = Document::new();
    for _ in 0..u.int_in_range(1..=3)? {
        let op = pick(u, QUERY_OPS)?;
        d.insert(op, operand(u, op, depth)?);
    }
    Ok(d)
}

/// A filter: fields tested by value or by operators, and logical clauses.
pub fn filter(u: &mut Unstructured<'_>, depth: u32) -> Result<Document> {
    let mut d = Document::new();
    for _ in 0..u.int_in_range(0..=3)? {
        match u.int_in_range(0..=5)? {
            0 | 1 => {
                d.insert(key(u)?, value(u, depth.min(2))?);
            }
            2 | 3 => {
                d.insert(key(u)?, operators(u, depth)?);
            }
            4 if depth > 0 => {
                let n = u.int_in_range(0..=3)?;
                let clauses = (0..n)
                    .map(|_| filter(u, depth - 1).map(Bson::Document))
                    .collect::<Result<Vec<_>>>()?;
                d.insert(pick(u, LOGICAL)?, clauses);
            }
            _ => {
                let path = format!("${}", pick(u, &["a", "b", "a.b", "_id"])?);
                let op = pick(u, &["$eq", "$lt", "$gt", "$ne"])?;
                d.insert(
                    "$expr",
                    Bson::Document(
                        [(op.to_owned(), Bson::Array(vec![path.into(), value(u, 1)?]))]
                            .into_iter()
                            .collect(),
                    ),
                );
            }
        }
    }
    Ok(d)
}

/// An update document: operators each over a few paths.
pub fn update(u: &mut Unstructured<'_>, depth: u32) -> Result<Document> {
    let mut d = Document::new();
    for _ in 0..u.int_in_range(1..=3)? {
        let op = pick(u, UPDATE_OPS)?;
        let mut fields = Document::new();
        for _ in 0..u.int_in_range(1..=3)? {
            let k = key(u)?;
            let v = match op {
                "$rename" => Bson::String(key(u)?),
                "$push" | "$addToSet" if u.ratio(1, 2)? => {
                    let mut m = Document::new();
                    for _ in 0..u.int_in_range(1..=3)? {
                        let modifier = pick(u, MODIFIERS)?;
                        let arg = match modifier {
                            "$each" => {
                                let n = u.int_in_range(0..=3)?;
                                Bson::Array((0..n).map(|_| value(u, depth)).collect::<Result<_>>()?)
                            }
                            "$sort" if u.ratio(1, 2)? => Bson::Document(
                                [(key(u)?, Bson::Int32(*u.choose(&[1, -1])?))]
                                    .into_iter()
                                    .collect(),
                            ),
                            _ => Bson::Int32(u.int_in_range(-3..=3)?),
                        };
                        m.insert(modifier, arg);
                    }
                    Bson::Document(m)
                }
                "$pull" if u.ratio(1, 2)? => Bson::Document(operators(u, 1)?),
                "$bit" => Bson::Document(
                    [(
                        pick(u, &["and", "or", "xor", "nand"])?.to_owned(),
                        value(u, 0)?,
                    )]
                    .into_iter()
                    .collect(),
                ),
                "$currentDate" => {
                    if u.ratio(1, 2)? {
                        Bson::Boolean(true)
                    } else {
                        Bson::Document(
                            [(
                                "$type".to_owned(),
                                Bson::String(pick(u, &["date", "timestamp", "x"])?.into()),
                            )]
                            .into_iter()
                            .collect(),
                        )
                    }
                }
                _ => value(u, depth)?,
            };
            fields.insert(k, v);
        }
        d.insert(op, fields);
    }
    Ok(d)
}

/// The document's bytes, for comparing documents that may hold NaN.
pub fn bytes(d: &Document) -> Vec<u8> {
    match odm::bson::RawDocumentBuf::try_from(d) {
        Ok(raw) => raw.into_bytes(),
        Err(_) => format!("{d:?}").into_bytes(),
    }
}

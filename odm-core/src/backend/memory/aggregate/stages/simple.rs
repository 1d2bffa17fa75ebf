//! The small stages: `$match`, `$sort`, `$skip`/`$limit` arguments,
//! `$count`, `$replaceRoot`, `$sample` and `$documents`.

use bson::{Bson, Document, RawDocumentBuf};

use super::err;
use crate::backend::memory::aggregate::expr::{type_name, Expr, Vars};
use crate::backend::memory::matcher::Matcher;
use crate::backend::memory::sort::SortSpec;
use crate::error::CommandError;

fn to_raw(d: &Document) -> Result<RawDocumentBuf, CommandError> {
    RawDocumentBuf::try_from(d)
        .map_err(|e| CommandError::bad_value(format!("cannot encode document: {e}")))
}

/// A non-negative (`allow_zero`) or positive integer argument.
pub(super) fn count_arg(
    stage: &str,
    v: &Bson,
    code: i32,
    allow_zero: bool,
) -> Result<usize, CommandError> {
    let n = match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        Bson::Double(d) if d.fract() == 0.0 && d.abs() < 9.0e18 => Some(*d as i64),
        Bson::Decimal128(d) => d.to_string().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n > 0 || (allow_zero && n == 0) => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        Some(n) => Err(err(
            code,
            if allow_zero {
                format!("invalid argument to {stage} stage: Expected a non-negative number in: {stage}: {n}")
            } else {
                format!("invalid argument to {stage} stage: the limit must be positive")
            },
        )),
        None => Err(err(
            code,
            format!("invalid argument to {stage} stage: Expected an integer: {stage}: {v}"),
        )),
    }
}

/// `$count`'s output field name.
pub(super) fn count_name(v: &Bson) -> Result<String, CommandError> {
    match v {
        Bson::String(s) if s.is_empty() => {
            Err(err(40157, "the count field must be a non-empty string"))
        }
        Bson::String(s) if s.starts_with('$') => {
            Err(err(40158, "the count field cannot be a $-prefixed path"))
        }
        Bson::String(s) if s.contains('.') => Err(err(40160, "the count field cannot contain '.'")),
        Bson::String(s) => Ok(s.clone()),
        _ => Err(err(40156, "the count field must be a non-empty string")),
    }
}

/// A sub-pipeline given as an array of stage documents.
pub(super) fn stage_docs(items: &[Bson]) -> Result<Vec<Document>, CommandError> {
    items
        .iter()
        .map(|s| match s {
            Bson::Document(d) => Ok(d.clone()),
            other => Err(err(
                40323,
                format!(
                    "Each element of the 'pipeline' array must be an object, found {}",
                    type_name(other)
                ),
            )),
        })
        .collect()
}

pub(super) fn filter(m: &Matcher, docs: Vec<Document>) -> Result<Vec<Document>, CommandError> {
    if m.is_match_all() {
        return Ok(docs);
    }
    let mut out = Vec::with_capacity(docs.len());
    for d in docs {
        if m.matches(&to_raw(&d)?)? {
            out.push(d);
        }
    }
    Ok(out)
}

pub(super) fn sort(s: &SortSpec, docs: Vec<Document>) -> Result<Vec<Document>, CommandError> {
    let mut keyed = docs
        .into_iter()
        .map(|d| Ok((to_raw(&d)?, d)))
        .collect::<Result<Vec<_>, CommandError>>()?;
    keyed.sort_by(|a, b| s.compare(&a.0, &b.0));
    Ok(keyed.into_iter().map(|(_, d)| d).collect())
}

pub(super) fn replace_root(e: &Expr, d: &Document, vars: &Vars) -> Result<Document, CommandError> {
    match e.eval(d, vars)? {
        Some(Bson::Document(root)) => Ok(root),
        other => Err(CommandError::new(
            40228,
            "Location40228",
            format!(
                "'replacement document' must evaluate to an object, but resulting value was: {}. Type of resulting value: '{}'. Input document: {d}",
                other.as_ref().map_or_else(|| "MISSING".to_owned(), |v| v.to_string()),
                other.as_ref().map_or("missing", type_name)
            ),
        )),
    }
}

/// SplitMix64: small, seedable and good enough to pick a sample.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `$sample`: `n` documents in random order (all of them when fewer).
pub(super) fn sample(mut docs: Vec<Document>, n: usize, seed: Option<u64>) -> Vec<Document> {
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let mut rng = Rng(seed);
    let take = n.min(docs.len());
    for i in 0..take {
        let span = (docs.len() - i) as u64;
        let j = i + (rng.next() % span) as usize;
        docs.swap(i, j);
    }
    docs.truncate(take);
    docs
}

/// `$documents`: the expression must give an array of documents.
pub(super) fn documents(e: &Expr, vars: &Vars) -> Result<Vec<Document>, CommandError> {
    let empty = Document::new();
    match e.eval(&empty, vars)? {
        Some(Bson::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Bson::Document(d) => Ok(d),
                other => Err(err(
                    40228,
                    format!(
                        "$documents requires an array of objects, found {}",
                        type_name(&other)
                    ),
                )),
            })
            .collect(),
        other => Err(err(
            5858203,
            format!(
                "error during $documents: the expression must evaluate to an array, found {}",
                other.as_ref().map_or("missing", type_name)
            ),
        )),
    }
}

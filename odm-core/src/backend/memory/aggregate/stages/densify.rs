//! `$densify`: documents created for the missing steps of a numeric or date
//! field, over the whole input (`"full"`), each partition's own range
//! (`"partition"`) or explicit `[lower, upper)` bounds.
//!
//! Like MongoDB, the input is sorted (by the partition fields, unless the
//! bounds are `"full"`, then the field) and streamed: each document is
//! preceded by the steps of its partition that fall before it, counted from
//! the range's lower bound (the smallest value for `"full"`, the partition's
//! smallest for `"partition"`); a document on a step stands for it. Steps
//! after a partition's last document (up to the largest value for `"full"`,
//! up to `upper` for explicit bounds) come after all the input, partitions
//! in first-seen order. Documents whose field is null or missing pass
//! through. A created document holds the field and the partition fields.
//!
//! Difference from MongoDB: with explicit bounds, a partition whose first
//! document lies below `lower` still counts its steps from `lower`.

use std::cmp::Ordering;
use std::collections::HashMap;

use bson::{Bson, Document};

use super::err;
use super::group::key_bytes;
use super::unwind::set;
use crate::backend::memory::aggregate::expr::arith_support::{add_nums, as_num};
use crate::backend::memory::aggregate::expr::sort_support::{compare_keys, key_values};
use crate::backend::memory::aggregate::expr::{add_to_date, compare_values, doc_path, type_name};
use crate::error::CommandError;

/// Most documents one `$densify` may create (MongoDB's
/// `internalQueryMaxAllowedDensifyDocs`).
const MAX_CREATED: usize = 500_000;

const UNITS: [&str; 9] = [
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
];

#[derive(Debug, Clone)]
enum Bounds {
    Full,
    Partition,
    /// `[lower, upper)`.
    Explicit(Box<(Bson, Bson)>),
}

/// A compiled `$densify`.
#[derive(Debug, Clone)]
pub(crate) struct Densify {
    field: Vec<String>,
    partitions: Vec<Vec<String>>,
    step: Bson,
    unit: Option<&'static str>,
    bounds: Bounds,
}

fn unknown(path: &str) -> CommandError {
    CommandError::new(
        40415,
        "Location40415",
        format!("BSON field '{path}' is an unknown field."),
    )
}

fn missing(path: &str) -> CommandError {
    CommandError::new(
        40414,
        "Location40414",
        format!("BSON field '{path}' is missing but a required field"),
    )
}

fn wrong_type(path: &str, want: &str) -> CommandError {
    CommandError::new(
        14,
        "TypeMismatch",
        format!("BSON field '{path}' is the wrong type, expected type '{want}'"),
    )
}

fn path_of(s: &str) -> Vec<String> {
    s.split('.').map(str::to_owned).collect()
}

impl Densify {
    pub(crate) fn compile(spec: &Bson) -> Result<Self, CommandError> {
        let Bson::Document(spec) = spec else {
            return Err(CommandError::new(
                9,
                "FailedToParse",
                format!(
                    "The $densify stage specification must be an object, found {}",
                    type_name(spec)
                ),
            ));
        };
        if let Some(k) = spec
            .keys()
            .find(|k| !matches!(k.as_str(), "field" | "partitionByFields" | "range"))
        {
            return Err(unknown(&format!("$densify.{k}")));
        }
        let field = match spec.get("field") {
            Some(Bson::String(f)) => path_of(f),
            Some(_) => return Err(wrong_type("$densify.field", "string")),
            None => return Err(missing("$densify.field")),
        };
        let partitions = match spec.get("partitionByFields") {
            None => Vec::new(),
            Some(Bson::Array(a)) => a
                .iter()
                .map(|p| match p {
                    Bson::String(s) => Ok(path_of(s)),
                    _ => Err(wrong_type("$densify.partitionByFields", "string")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(wrong_type("$densify.partitionByFields", "array")),
        };
        let range = match spec.get("range") {
            Some(Bson::Document(r)) => r,
            Some(_) => return Err(wrong_type("$densify.range", "object")),
            None => return Err(missing("$densify.range")),
        };
        if let Some(k) = range
            .keys()
            .find(|k| !matches!(k.as_str(), "step" | "unit" | "bounds"))
        {
            return Err(unknown(&format!("$densify.range.{k}")));
        }
        let step = range
            .get("step")
            .cloned()
            .ok_or_else(|| missing("$densify.range.step"))?;
        if as_num(&step).is_none_or(|n| n.f64().is_nan() || n.f64() <= 0.0) {
            return Err(err(
                5733401,
                "The step parameter in a range statement must be a strictly positive numeric value",
            ));
        }
        let unit = match range.get("unit") {
            None => None,
            Some(Bson::String(u)) => {
                let Some(unit) = UNITS.iter().find(|x| **x == u.as_str()) else {
                    return Err(CommandError::new(
                        9,
                        "FailedToParse",
                        format!("unknown time unit value: {u}"),
                    ));
                };
                if crate::backend::memory::aggregate::expr::as_exact_int(&step).is_none() {
                    return Err(err(6586400, "The step parameter in a range statement must be a whole number when densifying a date range"));
                }
                Some(*unit)
            }
            Some(_) => return Err(wrong_type("$densify.range.unit", "string")),
        };
        let bounds = match range.get("bounds") {
            Some(Bson::String(s)) if s == "full" => Bounds::Full,
            Some(Bson::String(s)) if s == "partition" => Bounds::Partition,
            Some(Bson::String(_)) => {
                return Err(err(
                    5946802,
                    "Bounds string must either be 'full' or 'partition'",
                ))
            }
            Some(Bson::Array(a)) => explicit(a, &step, unit)?,
            Some(_) => return Err(err(5733404, "The bounds in a range statement must be the string 'full', 'partition', or an ascending array of two numbers or two dates")),
            None => return Err(missing("$densify.range.bounds")),
        };
        if matches!(bounds, Bounds::Partition) && partitions.is_empty() {
            return Err(err(5733408, "One cannot specify the bounds as 'partition' without specifying a non-empty array of partitionByFields. You may have meant to specify 'full' bounds."));
        }
        Ok(Densify {
            field,
            partitions,
            step,
            unit,
            bounds,
        })
    }

    /// The next step after `v`.
    fn next(&self, v: &Bson) -> Result<Bson, CommandError> {
        let overflow = || err(5733401, "$densify step overflowed the value's range");
        match (v, self.unit) {
            (Bson::DateTime(d), Some(unit)) => {
                let n = crate::backend::memory::aggregate::expr::as_exact_int(&self.step)
                    .ok_or_else(overflow)?;
                add_to_date(*d, unit, n)
                    .map(Bson::DateTime)
                    .ok_or_else(overflow)
            }
            _ => match (as_num(v), as_num(&self.step)) {
                (Some(a), Some(b)) => Ok(add_nums(a, b).bson()),
                _ => Err(overflow()),
            },
        }
    }

    /// The field's value, checked to be a number (no unit) or a date (unit).
    fn value_of(&self, d: &Document) -> Result<Option<Bson>, CommandError> {
        let v = match doc_path(d, &self.field) {
            None | Some(Bson::Null | Bson::Undefined) => return Ok(None),
            Some(v) => v,
        };
        match (&v, self.unit) {
            (Bson::DateTime(_), Some(_)) => Ok(Some(v)),
            (Bson::DateTime(_), None) => Err(err(
                6053600,
                "Encountered date densify value in collection when step does not have a date unit.",
            )),
            (_, None) if as_num(&v).is_some() => Ok(Some(v)),
            (_, Some(_)) if as_num(&v).is_some() => Err(err(
                6053600,
                "Encountered numeric densify value in collection when step has a date unit.",
            )),
            _ => Err(err(5733201, "Densify field type must be numeric or a date")),
        }
    }

    /// The partition fields of `d`, as a created document carries them.
    fn partition_of(&self, d: &Document) -> Document {
        let mut out = Document::new();
        for p in &self.partitions {
            if let Some(v) = doc_path(d, p) {
                set(&mut out, p, v);
            }
        }
        out
    }

    pub(crate) fn run(&self, docs: Vec<Document>) -> Result<Vec<Document>, CommandError> {
        // The sort MongoDB puts in front of the stage.
        let mut keys: Vec<(Vec<String>, bool)> = Vec::new();
        if !matches!(self.bounds, Bounds::Full) {
            keys.extend(self.partitions.iter().map(|p| (p.clone(), false)));
        }
        keys.push((self.field.clone(), false));
        let mut keyed: Vec<(Vec<Bson>, Document)> = docs
            .into_iter()
            .map(|d| (key_values(&keys, &d), d))
            .collect();
        keyed.sort_by(|a, b| compare_keys(&keys, &a.0, &b.0));

        let mut run = Run {
            densify: self,
            out: Vec::with_capacity(keyed.len()),
            created: 0,
            index: HashMap::new(),
            parts: Vec::new(),
        };
        // The input is sorted by the field for "full": the first value is the smallest.
        let (mut lowest, mut highest): (Option<Bson>, Option<Bson>) = (None, None);
        if let Bounds::Explicit(b) = &self.bounds {
            let lo = &b.0;
            if self.partitions.is_empty() {
                // Without partitions the explicit range is filled even with no input.
                run.partition(Document::new(), lo.clone());
            }
        }
        for (_, d) in keyed {
            let Some(v) = self.value_of(&d)? else {
                run.out.push(d);
                continue;
            };
            let anchor = match &self.bounds {
                Bounds::Full => lowest.get_or_insert_with(|| v.clone()).clone(),
                Bounds::Partition => v.clone(),
                Bounds::Explicit(b) => b.0.clone(),
            };
            highest = Some(v.clone());
            let p = run.partition(self.partition_of(&d), anchor);
            let upper = match &self.bounds {
                Bounds::Explicit(b) if compare_values(&b.1, &v) == Ordering::Less => b.1.clone(),
                _ => v.clone(),
            };
            run.fill(p, &upper, Some(&v))?;
            run.out.push(d);
        }
        // Steps after each partition's last document.
        let tail = match (&self.bounds, highest) {
            (Bounds::Explicit(b), _) => Some((b.1.clone(), false)),
            (Bounds::Full, Some(max)) => Some((max, true)),
            _ => None,
        };
        if let Some((upper, inclusive)) = tail {
            for p in 0..run.parts.len() {
                if inclusive {
                    run.fill_through(p, &upper)?;
                } else {
                    run.fill(p, &upper, None)?;
                }
            }
        }
        Ok(run.out)
    }
}

fn explicit(a: &[Bson], step: &Bson, unit: Option<&str>) -> Result<Bounds, CommandError> {
    let [lo, hi] = a else {
        return Err(err(
            5733403,
            "A bounding array in a range statement must have exactly two elements",
        ));
    };
    if compare_values(lo, hi) == Ordering::Greater {
        return Err(err(
            5733402,
            "A bounding array must be an ascending array of either two dates or two numbers",
        ));
    }
    match lo {
        Bson::DateTime(_) => {
            if !matches!(hi, Bson::DateTime(_)) {
                return Err(err(
                    5733405,
                    "A bounding array must contain either both dates or both numeric types",
                ));
            }
            if unit.is_none() {
                return Err(err(
                    5733410,
                    "A bounding array of dates must specify a unit",
                ));
            }
        }
        _ if as_num(lo).is_some() => {
            if unit.is_some() {
                return Err(err(5733409, "Numeric bounds may not have unit parameter"));
            }
            if as_num(hi).is_none() {
                return Err(err(
                    5733406,
                    "A bounding array must contain either both dates or both numeric types",
                ));
            }
            if lo.element_type() != hi.element_type() || lo.element_type() != step.element_type() {
                return Err(err(
                    5876900,
                    "Upper bound, lower bound, and step must all have the same type",
                ));
            }
        }
        _ => return Err(err(5946800, "Explicit bounds must be numeric or dates")),
    }
    Ok(Bounds::Explicit(Box::new((lo.clone(), hi.clone()))))
}

/// The streaming state: per partition, the next step to create.
struct Run<'a> {
    densify: &'a Densify,
    out: Vec<Document>,
    created: usize,
    index: HashMap<Vec<u8>, usize>,
    parts: Vec<(Document, Bson)>,
}

impl Run<'_> {
    /// The index of partition `key`, created with its first step `anchor`.
    fn partition(&mut self, key: Document, anchor: Bson) -> usize {
        let mut bytes = Vec::new();
        key_bytes(&Bson::Document(key.clone()), &mut bytes);
        *self.index.entry(bytes).or_insert_with(|| {
            self.parts.push((key, anchor));
            self.parts.len() - 1
        })
    }

    fn create(&mut self, p: usize, v: Bson) -> Result<(), CommandError> {
        self.created += 1;
        if self.created > MAX_CREATED {
            return Err(err(
                5897900,
                format!(
                    "Generated {} documents in $densify, which is over the limit of {MAX_CREATED}",
                    self.created
                ),
            ));
        }
        let mut d = self
            .parts
            .get(p)
            .map(|(k, _)| k.clone())
            .unwrap_or_default();
        set(&mut d, &self.densify.field, v);
        self.out.push(d);
        Ok(())
    }

    /// Create partition `p`'s steps below `upper`; a document at `at` on a
    /// step stands for that step.
    fn fill(&mut self, p: usize, upper: &Bson, at: Option<&Bson>) -> Result<(), CommandError> {
        let Some(mut next) = self.parts.get(p).map(|(_, n)| n.clone()) else {
            return Ok(());
        };
        while compare_values(&next, upper) == Ordering::Less {
            self.create(p, next.clone())?;
            next = self.densify.next(&next)?;
        }
        if at.is_some_and(|v| compare_values(&next, v) == Ordering::Equal) {
            next = self.densify.next(&next)?;
        }
        if let Some((_, n)) = self.parts.get_mut(p) {
            *n = next;
        }
        Ok(())
    }

    /// Create partition `p`'s steps up to and including `upper`.
    fn fill_through(&mut self, p: usize, upper: &Bson) -> Result<(), CommandError> {
        self.fill(p, upper, None)?;
        let at = self.parts.get(p).map(|(_, n)| n.clone());
        if let Some(n) = at.filter(|n| compare_values(n, upper) == Ordering::Equal) {
            self.create(p, n.clone())?;
            let next = self.densify.next(&n)?;
            if let Some((_, slot)) = self.parts.get_mut(p) {
                *slot = next;
            }
        }
        Ok(())
    }
}

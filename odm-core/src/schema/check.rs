//! The report of [`Collection::check_schema`](crate::Collection::check_schema):
//! every stored document the model could not read, with every problem of
//! each (not only the first), so data written by other programs can be
//! fixed in one pass.

use std::fmt;
use std::marker::PhantomData;

use bson::raw::RawBsonRef;
use bson::Bson;

use crate::error::{DecodeError, DecodeErrorKind};
use crate::value::FromBson;

/// What is wrong at one path of one document: missing, of the wrong type,
/// an unrepresentable value, or unknown (on a model that denies unknown
/// fields).
pub type SchemaProblemKind = DecodeErrorKind;

/// One problem of one stored document.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaProblem {
    /// The document's `_id` (`Null` when it has none).
    pub id: Bson,
    /// The dotted path of the field (`address.zip`, `items.2.qty`).
    pub path: String,
    /// What is wrong there: `Missing { expected }`, `WrongType { expected,
    /// found }`, `Invalid(..)`, `UnknownField` or `Malformed(..)`.
    pub kind: SchemaProblemKind,
}

impl SchemaProblem {
    /// The problem `error` found in the document `id`.
    pub fn new(id: Bson, error: DecodeError) -> Self {
        SchemaProblem {
            id,
            path: error.path,
            kind: error.kind,
        }
    }
}

impl fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "_id {}: `{}` {}", self.id, self.path, self.kind)
    }
}

/// What [`Collection::check_schema`](crate::Collection::check_schema) found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaReport {
    /// How many documents were read.
    pub checked: u64,
    /// Every problem, in scan order, grouped by document.
    pub problems: Vec<SchemaProblem>,
}

impl SchemaReport {
    /// Whether every document can be read into the model.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// How many distinct documents have problems.
    pub fn bad_documents(&self) -> usize {
        let mut count = 0;
        let mut last: Option<&Bson> = None;
        for p in &self.problems {
            if last != Some(&p.id) {
                count += 1;
                last = Some(&p.id);
            }
        }
        count
    }
}

impl fmt::Display for SchemaReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} document(s) checked, {} with problems",
            self.checked,
            self.bad_documents()
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// Every problem of a stored value, not only the first: implemented by
/// `#[derive(Embedded)]` for structs (each field on its own), and for the
/// containers that hold them. Other types are checked by decoding them.
#[doc(hidden)]
pub trait DeepCheck {
    /// Push every problem of `value` to `out`, with paths relative to it.
    fn deep_check(value: RawBsonRef<'_>, out: &mut Vec<DecodeError>);
}

impl<T: DeepCheck> DeepCheck for Option<T> {
    fn deep_check(value: RawBsonRef<'_>, out: &mut Vec<DecodeError>) {
        if !matches!(value, RawBsonRef::Null) {
            T::deep_check(value, out);
        }
    }
}

impl<T: DeepCheck> DeepCheck for Box<T> {
    fn deep_check(value: RawBsonRef<'_>, out: &mut Vec<DecodeError>) {
        T::deep_check(value, out);
    }
}

impl<T: DeepCheck> DeepCheck for Vec<T> {
    fn deep_check(value: RawBsonRef<'_>, out: &mut Vec<DecodeError>) {
        let RawBsonRef::Array(items) = value else {
            out.push(DecodeError::wrong_type("array", value.element_type()));
            return;
        };
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Ok(item) => {
                    let from = out.len();
                    T::deep_check(item, out);
                    for e in out.iter_mut().skip(from) {
                        prefix(e, i);
                    }
                }
                Err(e) => {
                    out.push(DecodeError::from(e).at(i));
                    return;
                }
            }
        }
    }
}

fn prefix(e: &mut DecodeError, key: impl fmt::Display) {
    e.path = if e.path.is_empty() {
        key.to_string()
    } else {
        format!("{key}.{}", e.path)
    };
}

/// Checks a field in generated code, by autoderef specialization:
/// `(&&&CheckProbe::<T>::new()).check_field(key, value, out)` reports every
/// problem when `T: DeepCheck`, else the first (decoding it), else nothing
/// (an unstorable type, already reported at compile time).
#[doc(hidden)]
pub struct CheckProbe<T>(PhantomData<fn() -> T>);

impl<T> CheckProbe<T> {
    /// The probe of `T`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        CheckProbe(PhantomData)
    }
}

/// Every problem.
#[doc(hidden)]
pub trait CheckDeep {
    /// Push the problems of the field `key`.
    fn check_field(&self, key: &str, value: RawBsonRef<'_>, out: &mut Vec<DecodeError>);
}

impl<T: DeepCheck> CheckDeep for &&CheckProbe<T> {
    fn check_field(&self, key: &str, value: RawBsonRef<'_>, out: &mut Vec<DecodeError>) {
        let from = out.len();
        T::deep_check(value, out);
        for e in out.iter_mut().skip(from) {
            prefix(e, key);
        }
    }
}

/// The first problem.
#[doc(hidden)]
pub trait CheckDecode {
    /// Push the problem of the field `key`, if any.
    fn check_field(&self, key: &str, value: RawBsonRef<'_>, out: &mut Vec<DecodeError>);
}

impl<T: FromBson> CheckDecode for &CheckProbe<T> {
    fn check_field(&self, key: &str, value: RawBsonRef<'_>, out: &mut Vec<DecodeError>) {
        if let Err(e) = T::from_raw(value) {
            out.push(e.at(key));
        }
    }
}

/// Nothing to check.
#[doc(hidden)]
pub trait CheckNothing {
    /// Does nothing.
    fn check_field(&self, key: &str, value: RawBsonRef<'_>, out: &mut Vec<DecodeError>);
}

impl<T> CheckNothing for CheckProbe<T> {
    fn check_field(&self, _: &str, _: RawBsonRef<'_>, _: &mut Vec<DecodeError>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_counted_by_document() {
        let p = |id: i32, path: &str| SchemaProblem {
            id: Bson::Int32(id),
            path: path.into(),
            kind: DecodeErrorKind::UnknownField,
        };
        let report = SchemaReport {
            checked: 5,
            problems: vec![p(1, "a"), p(1, "b"), p(3, "a")],
        };
        assert_eq!(report.bad_documents(), 2);
        assert!(!report.is_clean());
        let text = report.to_string();
        assert!(
            text.starts_with("5 document(s) checked, 2 with problems"),
            "{text}"
        );
        assert!(text.contains("_id 1: `b` unknown field"), "{text}");
    }
}

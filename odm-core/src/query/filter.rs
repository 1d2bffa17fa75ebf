//! `Filter<M>`: a query document over model `M`, and how filters combine.
//!
//! `&` merges conditions on different fields into one document (and operators
//! on the same field into one operator document) when that is equivalent,
//! and otherwise flattens into a single `$and`; `|` flattens into one `$or`;
//! `!` negates a field condition with `$not` (or `$ne`) and anything else
//! with `$nor`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{BitAnd, BitOr, Not};

use bson::{Bson, Document};

use crate::error::EncodeError;

/// A query filter over model `M`.
///
/// Build one from typed paths (`User::fields().age.gte(18)`), combine with
/// `&`, `|`, `!`. Building never fails: a value that cannot be encoded (a
/// `u64` above `i64::MAX`) is kept and reported by [`Filter::check`], which
/// the collection calls before it runs the query.
pub struct Filter<M> {
    doc: Document,
    error: Option<EncodeError>,
    _model: PhantomData<fn() -> M>,
}

impl<M> Filter<M> {
    /// Every document (`{}`).
    pub fn all() -> Self {
        Self::raw(Document::new())
    }

    /// An unchecked filter document: the escape hatch. Field names and value
    /// types are not checked; prefer `M::fields()`.
    pub fn raw(doc: Document) -> Self {
        Filter {
            doc,
            error: None,
            _model: PhantomData,
        }
    }

    /// The filter document.
    ///
    /// If a value failed to encode, the offending condition is missing from
    /// it: call [`check`](Self::check) first (or use
    /// [`try_into_document`](Self::try_into_document)).
    pub fn as_document(&self) -> &Document {
        &self.doc
    }

    /// The filter document, by value (see [`as_document`](Self::as_document)).
    pub fn into_document(self) -> Document {
        self.doc
    }

    /// The first value that could not be encoded while building, if any.
    pub fn check(&self) -> Result<(), EncodeError> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// The filter document, or the first value that could not be encoded.
    pub fn try_into_document(self) -> Result<Document, EncodeError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.doc),
        }
    }

    /// Both filters (`&`).
    #[must_use]
    pub fn and(self, other: Filter<M>) -> Self {
        let error = self.error.or(other.error);
        let doc = if other.doc.is_empty() {
            self.doc
        } else if self.doc.is_empty() {
            other.doc
        } else {
            and_docs(self.doc, other.doc)
        };
        Self::with(doc, error)
    }

    /// Either filter (`|`).
    #[must_use]
    pub fn or(self, other: Filter<M>) -> Self {
        let error = self.error.or(other.error);
        let mut clauses = Vec::new();
        push_flattened(&mut clauses, "$or", self.doc);
        push_flattened(&mut clauses, "$or", other.doc);
        let mut doc = Document::new();
        doc.insert("$or", clauses);
        Self::with(doc, error)
    }

    /// Every one of `filters` (`{}` when there are none).
    pub fn and_all(filters: impl IntoIterator<Item = Filter<M>>) -> Self {
        filters.into_iter().fold(Self::all(), Self::and)
    }

    /// The negation (`!`): `$not` (or `$ne`) over one field's condition,
    /// `$nor` over anything else.
    #[must_use]
    pub fn negate(self) -> Self {
        Self::with(negate_doc(self.doc), self.error)
    }

    pub(crate) fn with(doc: Document, error: Option<EncodeError>) -> Self {
        Filter {
            doc,
            error,
            _model: PhantomData,
        }
    }

    /// `{path: condition}`, or a filter holding the encode error.
    pub(crate) fn field(path: &str, condition: Result<Bson, EncodeError>) -> Self {
        match condition {
            Ok(c) => {
                let mut doc = Document::new();
                doc.insert(path, c);
                Self::raw(doc)
            }
            Err(e) => Self::with(Document::new(), Some(e.at(path))),
        }
    }

    pub(crate) fn into_parts(self) -> (Document, Option<EncodeError>) {
        (self.doc, self.error)
    }
}

/// Is `value` an operator document (`{$gt: 1, $lt: 5}`)?
fn operators(value: &Bson) -> Option<&Document> {
    match value {
        Bson::Document(d) if is_operators(d) => Some(d),
        _ => None,
    }
}

fn is_operators(d: &Document) -> bool {
    !d.is_empty() && d.keys().all(|k| k.starts_with('$'))
}

/// Can `b`'s conditions be moved into `a` without changing the meaning?
/// Conditions on different keys are implicitly ANDed; operator documents on
/// the same key with no operator in common are too (MongoDB evaluates each
/// operator of a field on its own, even over arrays).
fn mergeable(a: &Document, b: &Document) -> bool {
    b.iter().all(|(k, vb)| match a.get(k) {
        None => true,
        Some(va) => match (operators(va), operators(vb)) {
            (Some(oa), Some(ob)) => ob.keys().all(|op| !oa.contains_key(op)),
            _ => false,
        },
    })
}

/// Is `doc` exactly `{op: [...]}`?
fn is_only(doc: &Document, op: &str) -> bool {
    doc.len() == 1 && matches!(doc.get(op), Some(Bson::Array(_)))
}

fn and_docs(mut a: Document, b: Document) -> Document {
    // Once a chain has become an `$and`, later clauses join it, so a chain
    // reads as one flat list.
    let chained = is_only(&a, "$and") || is_only(&b, "$and");
    if !chained && mergeable(&a, &b) {
        for (k, vb) in b {
            match (a.get_mut(&k), vb) {
                (Some(Bson::Document(oa)), Bson::Document(ob)) => oa.extend(ob),
                (_, vb) => {
                    a.insert(k, vb);
                }
            }
        }
        return a;
    }
    let mut clauses = Vec::new();
    push_flattened(&mut clauses, "$and", a);
    push_flattened(&mut clauses, "$and", b);
    let mut doc = Document::new();
    doc.insert("$and", clauses);
    doc
}

/// The clauses of `doc` under `op` if `doc` is exactly `{op: [...]}`, else `doc`.
fn push_flattened(out: &mut Vec<Bson>, op: &str, mut doc: Document) {
    if doc.len() == 1 {
        if let Some(Bson::Array(clauses)) = doc.remove(op) {
            out.extend(clauses);
            return;
        }
    }
    out.push(Bson::Document(doc));
}

/// A condition `{path: value}` matching exactly `value`: implicit when that is
/// unambiguous, `$eq` for documents and regexes (which would otherwise read as
/// operators or patterns).
pub(crate) fn eq_condition(value: Bson) -> Bson {
    match value {
        Bson::Document(_) | Bson::RegularExpression(_) => {
            let mut d = Document::new();
            d.insert("$eq", value);
            Bson::Document(d)
        }
        v => v,
    }
}

fn negate_doc(doc: Document) -> Document {
    if doc.len() != 1 {
        return nor(doc);
    }
    let Some((key, value)) = doc.into_iter().next() else {
        return nor(Document::new());
    };
    let negated = match key.as_str() {
        "$or" => Ok(("$nor", value)),
        "$nor" => match value {
            Bson::Array(mut clauses) if clauses.len() == 1 => match clauses.pop() {
                Some(Bson::Document(d)) => return d,
                Some(other) => Err(Bson::Array(vec![other])),
                None => Err(Bson::Array(clauses)),
            },
            other => Ok(("$or", other)),
        },
        k if k.starts_with('$') => Err(value),
        _ => {
            let mut d = Document::new();
            d.insert(key, negate_condition(value));
            return d;
        }
    };
    match negated {
        Ok((op, clauses)) => {
            let mut d = Document::new();
            d.insert(op, clauses);
            d
        }
        Err(value) => {
            let mut d = Document::new();
            d.insert(key, value);
            nor(d)
        }
    }
}

fn negate_condition(value: Bson) -> Bson {
    let single = |op: &str, v: Bson| {
        let mut d = Document::new();
        d.insert(op, v);
        Bson::Document(d)
    };
    match value {
        Bson::Document(mut ops) if is_operators(&ops) => {
            if ops.len() == 1 {
                if let Some(inner) = ops.remove("$not") {
                    return inner;
                }
                if let Some(v) = ops.remove("$eq") {
                    return single("$ne", v);
                }
                if let Some(v) = ops.remove("$ne") {
                    return eq_condition(v);
                }
            }
            single("$not", Bson::Document(ops))
        }
        re @ Bson::RegularExpression(_) => single("$not", re),
        v => single("$ne", v),
    }
}

fn nor(doc: Document) -> Document {
    let mut d = Document::new();
    d.insert("$nor", vec![Bson::Document(doc)]);
    d
}

impl<M> BitAnd for Filter<M> {
    type Output = Filter<M>;
    fn bitand(self, rhs: Filter<M>) -> Filter<M> {
        self.and(rhs)
    }
}

impl<M> BitOr for Filter<M> {
    type Output = Filter<M>;
    fn bitor(self, rhs: Filter<M>) -> Filter<M> {
        self.or(rhs)
    }
}

impl<M> Not for Filter<M> {
    type Output = Filter<M>;
    fn not(self) -> Filter<M> {
        self.negate()
    }
}

impl<M> Clone for Filter<M> {
    fn clone(&self) -> Self {
        Self::with(self.doc.clone(), self.error.clone())
    }
}

impl<M> PartialEq for Filter<M> {
    fn eq(&self, other: &Self) -> bool {
        self.doc == other.doc && self.error == other.error
    }
}

impl<M> fmt::Debug for Filter<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error {
            None => write!(f, "Filter({})", self.doc),
            Some(e) => write!(f, "Filter({}, error: {e})", self.doc),
        }
    }
}

impl<M> Default for Filter<M> {
    fn default() -> Self {
        Self::all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    type F = Filter<()>;

    fn f(d: Document) -> F {
        F::raw(d)
    }

    #[test]
    fn and_merges_disjoint_fields_and_operators() {
        let got = f(doc! {"a": {"$gte": 1}}) & f(doc! {"b": "x"}) & f(doc! {"a": {"$lt": 5}});
        assert_eq!(
            got.into_document(),
            doc! {"a": {"$gte": 1, "$lt": 5}, "b": "x"}
        );
    }

    #[test]
    fn and_flattens_overlapping_conditions_into_one_and() {
        let got = f(doc! {"a": 1}) & f(doc! {"a": {"$gt": 0}}) & f(doc! {"a": {"$gt": 2}});
        assert_eq!(
            got.into_document(),
            doc! {"$and": [{"a": 1}, {"a": {"$gt": 0}}, {"a": {"$gt": 2}}]}
        );
    }

    #[test]
    fn and_with_all_is_identity() {
        assert_eq!((F::all() & f(doc! {"a": 1})).into_document(), doc! {"a": 1});
        assert_eq!((f(doc! {"a": 1}) & F::all()).into_document(), doc! {"a": 1});
    }

    #[test]
    fn or_flattens() {
        let got = f(doc! {"a": 1}) | f(doc! {"b": 2}) | f(doc! {"c": 3});
        assert_eq!(
            got.into_document(),
            doc! {"$or": [{"a": 1}, {"b": 2}, {"c": 3}]}
        );
    }

    #[test]
    fn not_over_field_conditions() {
        assert_eq!(
            (!f(doc! {"a": {"$gt": 1}})).into_document(),
            doc! {"a": {"$not": {"$gt": 1}}}
        );
        assert_eq!((!f(doc! {"a": 1})).into_document(), doc! {"a": {"$ne": 1}});
        assert_eq!((!f(doc! {"a": {"$ne": 1}})).into_document(), doc! {"a": 1});
        assert_eq!(
            (!!f(doc! {"a": {"$gt": 1}})).into_document(),
            doc! {"a": {"$gt": 1}}
        );
    }

    #[test]
    fn not_over_compounds_is_nor() {
        let got = !(f(doc! {"a": 1}) | f(doc! {"b": 2}));
        assert_eq!(got.into_document(), doc! {"$nor": [{"a": 1}, {"b": 2}]});
        let got = !f(doc! {"a": 1, "b": 2});
        assert_eq!(
            got.clone().into_document(),
            doc! {"$nor": [{"a": 1, "b": 2}]}
        );
        assert_eq!((!got).into_document(), doc! {"a": 1, "b": 2});
    }

    #[test]
    fn errors_survive_combination() {
        let bad = F::field("n", Err(EncodeError::new("too big")));
        let got = f(doc! {"a": 1}) & (bad | f(doc! {"b": 1}));
        let err = got.check().unwrap_err();
        assert_eq!(err.path, "n");
        assert!(got.try_into_document().is_err());
    }
}

//! `Update<M>`: update operators over model `M`, grouped by operator
//! (`{$set: {a, b}, $inc: {c}}`), with the array filters its `$[<id>]` paths
//! need.

use std::fmt;
use std::marker::PhantomData;
use std::ops::BitAnd;

use bson::{Bson, Document};

use crate::error::EncodeError;

/// An update over model `M` (`{$set: .., $inc: ..}`), and its array filters.
///
/// Build one from typed paths (`User::fields().age.inc(1)`) and combine with
/// `&` (or [`and`](Self::and)). Building never fails: a value that cannot be
/// encoded, or a path updated twice by the same operator, is kept and
/// reported by [`Update::check`], which the collection calls before it runs
/// the update.
pub struct Update<M> {
    doc: Document,
    array_filters: Vec<Document>,
    error: Option<EncodeError>,
    /// Built from typed paths (not only [`Update::raw`]): checked against
    /// the model's field rules.
    typed: bool,
    _model: PhantomData<fn() -> M>,
}

impl<M> Update<M> {
    /// An unchecked update document: the escape hatch. Operators, field names
    /// and value types are not checked and update validation does not apply;
    /// prefer `M::fields()`.
    pub fn raw(doc: Document) -> Self {
        Self::with(doc, Vec::new(), None)
    }

    /// The update document.
    ///
    /// If building failed, the offending operation is missing from it: call
    /// [`check`](Self::check) first.
    pub fn as_document(&self) -> &Document {
        &self.doc
    }

    /// The update document, by value (see [`as_document`](Self::as_document)).
    pub fn into_document(self) -> Document {
        self.doc
    }

    /// The filters for the `$[<identifier>]` paths of this update, to pass
    /// as the operation's `arrayFilters`.
    pub fn array_filters(&self) -> &[Document] {
        &self.array_filters
    }

    /// The first error met while building (a value that could not be
    /// encoded, a path set twice by the same operator), if any.
    pub fn check(&self) -> Result<(), EncodeError> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// The update document and its array filters, or the first error met
    /// while building.
    pub fn try_into_parts(self) -> Result<(Document, Vec<Document>), EncodeError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok((self.doc, self.array_filters)),
        }
    }

    /// Both updates (`&`): operators are grouped, array filters collected.
    #[must_use]
    pub fn and(mut self, other: impl IntoUpdate<M>) -> Self {
        let other = other.into_update();
        self.typed |= other.typed;
        if self.error.is_none() {
            self.error = other.error;
        }
        for (op, fields) in other.doc {
            match (self.doc.get_mut(&op), fields) {
                (Some(Bson::Document(mine)), Bson::Document(theirs)) => {
                    for (path, value) in theirs {
                        if mine.contains_key(&path) {
                            self.error.get_or_insert_with(|| {
                                EncodeError::new(format!(
                                    "`{path}` is updated twice by `{op}`: MongoDB would refuse the update"
                                ))
                            });
                        } else {
                            mine.insert(path, value);
                        }
                    }
                }
                (_, fields) => {
                    self.doc.insert(op, fields);
                }
            }
        }
        for filter in other.array_filters {
            if !self.array_filters.contains(&filter) {
                self.array_filters.push(filter);
            }
        }
        self
    }

    /// Attach an array filter for a `$[<identifier>]` path (the same as `&`).
    #[must_use]
    pub fn array_filter(self, filter: ArrayFilter<M>) -> Self {
        self.and(filter)
    }

    /// Whether the update was built from typed paths, and so is checked
    /// against the model's [field rules](crate::Document::field_rules)
    /// ([`Update::raw`] is not).
    pub fn is_typed(&self) -> bool {
        self.typed
    }

    pub(crate) fn doc_mut(&mut self) -> &mut Document {
        &mut self.doc
    }

    pub(crate) fn with(
        doc: Document,
        array_filters: Vec<Document>,
        error: Option<EncodeError>,
    ) -> Self {
        Update {
            doc,
            array_filters,
            error,
            typed: false,
            _model: PhantomData,
        }
    }

    /// `{op: {path: value}}`, or an empty update holding the error.
    pub(crate) fn op(op: &str, path: &str, value: Result<Bson, EncodeError>) -> Self {
        match value {
            Ok(v) => {
                let mut fields = Document::new();
                fields.insert(path, v);
                let mut doc = Document::new();
                doc.insert(op, fields);
                let mut update = Self::raw(doc);
                update.typed = true;
                update
            }
            Err(e) => Self::with(Document::new(), Vec::new(), Some(e.at(path))),
        }
    }
}

/// What combines into an [`Update<M>`] with `&`: another update of the same
/// model, a `push_each(..)` with its modifiers, an [`ArrayFilter`]. A
/// collection's update methods take it too.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of an `Update<{M}>`",
    label = "not an update of `{M}`",
    note = "updates combine only with updates, `push_each(..)` and array filters of the same model"
)]
pub trait IntoUpdate<M> {
    /// The update.
    fn into_update(self) -> Update<M>;
}

impl<M> IntoUpdate<M> for Update<M> {
    fn into_update(self) -> Update<M> {
        self
    }
}

impl<M> IntoUpdate<M> for ArrayFilter<M> {
    fn into_update(self) -> Update<M> {
        self.into()
    }
}

/// A filter for the `$[<identifier>]` elements of an array field, made by
/// `f.items.array_filter("big", |i| i.qty.gt(5))`. It becomes part of an
/// update with `&` or [`Update::array_filter`].
pub struct ArrayFilter<M> {
    doc: Document,
    error: Option<EncodeError>,
    _model: PhantomData<fn() -> M>,
}

impl<M> ArrayFilter<M> {
    pub(crate) fn new(identifier: &str, doc: Document, error: Option<EncodeError>) -> Self {
        let error = error.or_else(|| check_identifier(identifier).err());
        ArrayFilter {
            doc,
            error,
            _model: PhantomData,
        }
    }

    /// The filter document (`{"big.qty": {$gt: 5}}`).
    pub fn as_document(&self) -> &Document {
        &self.doc
    }
}

/// MongoDB's rule: an identifier starts with a lowercase letter and is
/// alphanumeric.
fn check_identifier(id: &str) -> Result<(), EncodeError> {
    let mut chars = id.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(EncodeError::new(format!(
            "the array filter identifier `{id}` must begin with a lowercase ASCII letter and contain only ASCII letters and digits"
        )))
    }
}

impl<M> From<ArrayFilter<M>> for Update<M> {
    fn from(filter: ArrayFilter<M>) -> Self {
        Update::with(Document::new(), vec![filter.doc], filter.error)
    }
}

impl<M> Clone for ArrayFilter<M> {
    fn clone(&self) -> Self {
        ArrayFilter {
            doc: self.doc.clone(),
            error: self.error.clone(),
            _model: PhantomData,
        }
    }
}

impl<M> fmt::Debug for ArrayFilter<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArrayFilter({})", self.doc)
    }
}

impl<M, R: IntoUpdate<M>> BitAnd<R> for Update<M> {
    type Output = Update<M>;
    fn bitand(self, rhs: R) -> Update<M> {
        self.and(rhs)
    }
}

impl<M> Clone for Update<M> {
    fn clone(&self) -> Self {
        let mut update = Self::with(
            self.doc.clone(),
            self.array_filters.clone(),
            self.error.clone(),
        );
        update.typed = self.typed;
        update
    }
}

impl<M> PartialEq for Update<M> {
    fn eq(&self, other: &Self) -> bool {
        self.doc == other.doc
            && self.array_filters == other.array_filters
            && self.error == other.error
    }
}

impl<M> fmt::Debug for Update<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Update({}", self.doc)?;
        if !self.array_filters.is_empty() {
            write!(f, ", array filters: [")?;
            for (i, af) in self.array_filters.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                write!(f, "{sep}{af}")?;
            }
            write!(f, "]")?;
        }
        if let Some(e) = &self.error {
            write!(f, ", error: {e}")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    type U = Update<()>;

    #[test]
    fn operators_are_grouped() {
        let got = U::op("$set", "a", Ok(1.into()))
            & U::op("$inc", "c", Ok(2.into()))
            & U::op("$set", "b", Ok(3.into()));
        assert_eq!(
            got.into_document(),
            doc! {"$set": {"a": 1, "b": 3}, "$inc": {"c": 2}}
        );
    }

    #[test]
    fn the_same_path_twice_is_an_error() {
        let got = U::op("$set", "a", Ok(1.into())) & U::op("$set", "a", Ok(2.into()));
        assert!(got.check().unwrap_err().message.contains("`a`"));
    }

    #[test]
    fn array_filters_are_collected_once() {
        let af = || ArrayFilter::<()>::new("big", doc! {"big.qty": {"$gt": 5}}, None);
        let got = U::op("$inc", "items.$[big].qty", Ok(1.into())) & af() & af();
        assert_eq!(got.array_filters(), &[doc! {"big.qty": {"$gt": 5}}]);
        got.check().unwrap();
    }

    #[test]
    fn bad_identifiers_are_reported() {
        for bad in ["", "Big", "1a", "a-b"] {
            let got = U::raw(doc! {}) & ArrayFilter::<()>::new(bad, doc! {}, None);
            assert!(got.check().is_err(), "{bad:?} accepted");
        }
    }
}

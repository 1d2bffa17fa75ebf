//! Secondary indexes: their definitions (`createIndexes`, `listIndexes`,
//! `dropIndexes`) and the enforcement of unique ones (compound, sparse and
//! partial included) on every write.
//!
//! Unique checks scan the collection; index-backed lookups come later.

use bson::raw::{RawBsonRef, RawDocument};
use bson::{doc, Bson, Document};

use super::matcher::Matcher;
use super::path::values_at;
use super::store::{Store, ValueKey};
use crate::backend::{IndexModel, Namespace, WriteError};
use crate::error::CommandError;

/// An index and its compiled partial filter.
#[derive(Debug, Clone)]
struct Index {
    model: IndexModel,
    name: String,
    partial: Option<Matcher>,
}

/// The secondary indexes of a collection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Indexes {
    list: Vec<Index>,
}

/// `_id_`, which every collection has.
fn id_index() -> IndexModel {
    let mut m = IndexModel::new(doc! {"_id": 1});
    m.name = Some("_id_".into());
    m
}

fn same_options(a: &IndexModel, b: &IndexModel) -> bool {
    a.unique == b.unique
        && a.sparse == b.sparse
        && a.partial_filter == b.partial_filter
        && a.expire_after_secs == b.expire_after_secs
}

impl Indexes {
    /// Every index, `_id_` first.
    pub fn models(&self) -> Vec<IndexModel> {
        std::iter::once(id_index())
            .chain(self.list.iter().map(|i| {
                let mut m = i.model.clone();
                m.name = Some(i.name.clone());
                m
            }))
            .collect()
    }

    /// Add indexes; one equal to an existing index is a no-op. A unique
    /// index over existing duplicates is refused with 11000.
    pub fn create(
        &mut self,
        ns: &Namespace,
        store: &Store,
        models: Vec<IndexModel>,
    ) -> Result<Vec<String>, CommandError> {
        let mut names = Vec::with_capacity(models.len());
        for model in models {
            if model.keys.is_empty() {
                return Err(CommandError::new(
                    67,
                    "CannotCreateIndex",
                    "Index keys cannot be empty.",
                ));
            }
            let name = model.effective_name();
            let by_name = self.list.iter().find(|i| i.name == name);
            let by_keys = self.list.iter().find(|i| i.model.keys == model.keys);
            if name == "_id_" || (model.keys == doc! {"_id": 1} && !model.unique) {
                names.push(name);
                continue;
            }
            if let Some(existing) = by_name {
                if existing.model.keys != model.keys {
                    return Err(CommandError::new(
                        86,
                        "IndexKeySpecsConflict",
                        format!(
                            "An existing index has the same name as the requested index. \
                             Requested index: {}, existing index: {}",
                            model.keys, existing.model.keys
                        ),
                    ));
                }
                if !same_options(&existing.model, &model) {
                    return Err(CommandError::new(
                        85,
                        "IndexOptionsConflict",
                        format!(
                            "An equivalent index already exists with the same name but \
                             different options. Requested index: {}, existing index: {}",
                            model.keys, existing.model.keys
                        ),
                    ));
                }
                names.push(name);
                continue;
            }
            if let Some(existing) = by_keys {
                return Err(CommandError::new(
                    85,
                    "IndexOptionsConflict",
                    format!(
                        "Index already exists with a different name: {}",
                        existing.name
                    ),
                ));
            }
            let partial = model
                .partial_filter
                .as_ref()
                .map(Matcher::compile)
                .transpose()?;
            let index = Index {
                model,
                name: name.clone(),
                partial,
            };
            if index.model.unique {
                let mut seen = std::collections::HashSet::new();
                for (_, d) in store.iter() {
                    for key in index.keys_of(d)? {
                        if !seen.insert(key.0) {
                            let e = index.duplicate(ns, &key.1);
                            return Err(CommandError::new(e.code, e.code_name, e.message));
                        }
                    }
                }
            }
            self.list.push(index);
            names.push(name);
        }
        Ok(names)
    }

    /// Drop an index by name; `"*"` drops all but `_id_`.
    pub fn drop(&mut self, ns: &Namespace, name: &str) -> Result<(), CommandError> {
        if name == "*" {
            self.list.clear();
            return Ok(());
        }
        if name == "_id_" {
            return Err(CommandError::new(
                72,
                "InvalidOptions",
                "cannot drop _id index",
            ));
        }
        let before = self.list.len();
        self.list.retain(|i| i.name != name);
        if self.list.len() == before {
            return Err(CommandError::new(
                27,
                "IndexNotFound",
                format!("index not found with name [{name}] in {ns}"),
            ));
        }
        Ok(())
    }

    /// Refuse `doc` if a unique index already holds one of its keys in a
    /// document other than the one in slot `own` (the document being updated).
    pub fn check_unique(
        &self,
        ns: &Namespace,
        store: &Store,
        doc: &RawDocument,
        own: Option<usize>,
    ) -> Result<(), WriteError> {
        for index in self.list.iter().filter(|i| i.model.unique) {
            let keys = index.keys_of(doc).map_err(super::validate::from_command)?;
            if keys.is_empty() {
                continue;
            }
            for (slot, other) in store.iter() {
                if Some(slot) == own {
                    continue;
                }
                let theirs = index
                    .keys_of(other)
                    .map_err(super::validate::from_command)?;
                if let Some((_, value)) = keys
                    .iter()
                    .find(|(k, _)| theirs.iter().any(|(t, _)| t == k))
                {
                    return Err(index.duplicate(ns, value));
                }
            }
        }
        Ok(())
    }
}

impl Index {
    /// The keys `doc` has in this index, each with its `keyValue` document;
    /// none when the index leaves the document out (sparse, partial).
    fn keys_of(&self, doc: &RawDocument) -> Result<Vec<(ValueKey, Document)>, CommandError> {
        if let Some(partial) = &self.partial {
            if !partial.matches(doc)? {
                return Ok(Vec::new());
            }
        }
        // One list of values per key field; a missing field indexes as null.
        let mut per_field: Vec<(&str, Vec<RawBsonRef<'_>>)> = Vec::new();
        let mut any_present = false;
        for (field, _) in &self.model.keys {
            let mut values = values_at(doc, field);
            if values.is_empty() {
                values.push(RawBsonRef::Null);
            } else {
                any_present = true;
            }
            per_field.push((field, values));
        }
        if self.model.sparse && !any_present {
            return Ok(Vec::new());
        }
        // The cartesian product (MongoDB allows at most one array field).
        let mut combos: Vec<Vec<RawBsonRef<'_>>> = vec![Vec::new()];
        for (_, values) in &per_field {
            let mut next = Vec::with_capacity(combos.len() * values.len());
            for c in &combos {
                for v in values {
                    let mut c = c.clone();
                    c.push(*v);
                    next.push(c);
                }
            }
            combos = next;
        }
        Ok(combos
            .into_iter()
            .map(|values| {
                let key = ValueKey::of_all(values.iter().copied());
                let mut shown = Document::new();
                for ((field, _), v) in per_field.iter().zip(values) {
                    shown.insert(*field, Bson::try_from(v).unwrap_or(Bson::Null));
                }
                (key, shown)
            })
            .collect())
    }

    fn duplicate(&self, ns: &Namespace, key_value: &Document) -> WriteError {
        duplicate_key_error(ns, &self.name, &self.model.keys, key_value)
    }
}

/// MongoDB's duplicate key write error (`E11000 ...`) with `keyPattern` and `keyValue`.
pub(crate) fn duplicate_key_error(
    ns: &Namespace,
    index: &str,
    key_pattern: &Document,
    key_value: &Document,
) -> WriteError {
    let shown: Vec<String> = key_value
        .iter()
        .map(|(k, v)| format!("{k}: {}", show(v)))
        .collect();
    let message = format!(
        "E11000 duplicate key error collection: {ns} index: {index} dup key: {{ {} }}",
        shown.join(", ")
    );
    WriteError::new(
        0,
        11000,
        "DuplicateKey",
        message,
        doc! {"keyPattern": key_pattern.clone(), "keyValue": key_value.clone()},
    )
}

/// A value as the server's duplicate key message prints it.
fn show(v: &Bson) -> String {
    match v {
        Bson::String(s) => format!("\"{s}\""),
        Bson::ObjectId(o) => format!("ObjectId('{o}')"),
        Bson::Document(d) => {
            let inner: Vec<String> = d.iter().map(|(k, v)| format!("{k}: {}", show(v))).collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Bson::Array(a) => {
            let inner: Vec<String> = a.iter().map(show).collect();
            format!("[ {} ]", inner.join(", "))
        }
        Bson::Int64(i) => i.to_string(),
        Bson::Double(d) if d.is_finite() && d.fract() == 0.0 => format!("{d:.1}"),
        Bson::Double(d) => d.to_string(),
        other => other.to_string(),
    }
}

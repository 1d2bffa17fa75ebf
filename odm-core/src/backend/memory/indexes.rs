//! Secondary indexes: their definitions (`createIndexes`, `listIndexes`,
//! `dropIndexes`) and the enforcement of unique ones (compound, sparse and
//! partial included) on every write.
//!
//! A unique index keeps a hash map from each key to the `_id` of the
//! document holding it, so a write checks its keys in O(1) each; the engine
//! calls [`Indexes::add`] and [`Indexes::remove`] around every store change.
//! Index-backed query plans come later.

use bson::raw::{RawBsonRef, RawDocument};
use bson::{doc, Bson, Document};

use super::matcher::Matcher;
use super::path::values_at;
use std::collections::HashMap;

use super::store::{Store, ValueKey};
use crate::backend::{IndexModel, Namespace, WriteError};
use crate::error::CommandError;

/// An index, its compiled partial filter and, when unique, its keys.
#[derive(Debug, Clone)]
struct Index {
    model: IndexModel,
    name: String,
    partial: Option<Matcher>,
    /// Unique indexes only: each key, with the `_id` key of its document.
    owners: HashMap<ValueKey, ValueKey>,
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
        // All or nothing: build on a copy, keep it only if every index builds.
        let mut built = self.clone();
        let names = built.build(ns, store, models)?;
        *self = built;
        Ok(names)
    }

    fn build(
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
            let mut index = Index {
                model,
                name: name.clone(),
                partial,
                owners: HashMap::new(),
            };
            if index.model.unique {
                for (_, d) in store.iter() {
                    let id = id_key(d);
                    for (key, values) in index.keys_of(d)? {
                        match index.owners.get(&key) {
                            Some(owner) if *owner != id => {
                                let e = index.duplicate(ns, &values);
                                return Err(CommandError::new(e.code, e.code_name, e.message));
                            }
                            _ => {
                                index.owners.insert(key, id.clone());
                            }
                        }
                    }
                }
            }
            self.list.push(index);
            names.push(name);
        }
        Ok(names)
    }

    /// Refuse a `hint` naming no index (by name or key pattern); `$natural`
    /// is always accepted.
    pub fn check_hint(&self, hint: Option<&Bson>) -> Result<(), CommandError> {
        let known = match hint {
            None => true,
            Some(Bson::String(name)) => name == "_id_" || self.list.iter().any(|i| &i.name == name),
            Some(Bson::Document(keys)) => {
                keys.is_empty()
                    || keys.contains_key("$natural")
                    || *keys == doc! {"_id": 1}
                    || self.list.iter().any(|i| &i.model.keys == keys)
            }
            Some(_) => false,
        };
        if known {
            return Ok(());
        }
        Err(CommandError::bad_value(
            "hint provided does not correspond to an existing index",
        ))
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

    /// Refuse `doc` if a unique index already holds one of its keys for
    /// another document (the document's own keys, when it is updated, are fine).
    pub fn check_unique(&self, ns: &Namespace, doc: &RawDocument) -> Result<(), WriteError> {
        let id = id_key(doc);
        for index in self.list.iter().filter(|i| i.model.unique) {
            for (key, values) in index.keys_of(doc).map_err(super::validate::from_command)? {
                if index.owners.get(&key).is_some_and(|owner| *owner != id) {
                    return Err(index.duplicate(ns, &values));
                }
            }
        }
        Ok(())
    }

    /// Record the keys of a document just stored.
    pub fn add(&mut self, doc: &RawDocument) {
        let id = id_key(doc);
        for index in self.list.iter_mut().filter(|i| i.model.unique) {
            // A partial filter that errors leaves the document out, as a
            // failed check would already have refused the write.
            let keys = index.keys_of(doc).unwrap_or_default();
            for (key, _) in keys {
                index.owners.insert(key, id.clone());
            }
        }
    }

    /// Forget the keys of a document just removed (or about to be replaced).
    pub fn remove(&mut self, doc: &RawDocument) {
        let id = id_key(doc);
        for index in self.list.iter_mut().filter(|i| i.model.unique) {
            let keys = index.keys_of(doc).unwrap_or_default();
            for (key, _) in keys {
                if index.owners.get(&key) == Some(&id) {
                    index.owners.remove(&key);
                }
            }
        }
    }

    /// The same definitions with no keys (for a collection about to be refilled).
    pub fn emptied(&self) -> Self {
        let mut out = self.clone();
        for index in &mut out.list {
            index.owners.clear();
        }
        out
    }
}

fn id_key(doc: &RawDocument) -> ValueKey {
    ValueKey::of(doc.get("_id").ok().flatten().unwrap_or(RawBsonRef::Null))
}

impl Index {
    /// The keys `doc` has in this index, each with its values in key-pattern
    /// order; none when the index leaves the document out (sparse, partial).
    fn keys_of<'a>(
        &self,
        doc: &'a RawDocument,
    ) -> Result<Vec<(ValueKey, Vec<RawBsonRef<'a>>)>, CommandError> {
        if let Some(partial) = &self.partial {
            if !partial.matches(doc)? {
                return Ok(Vec::new());
            }
        }
        // One list of values per key field; a missing field indexes as null.
        let mut per_field: Vec<Vec<RawBsonRef<'a>>> = Vec::with_capacity(self.model.keys.len());
        let mut any_present = false;
        for field in self.model.keys.keys() {
            let mut values = values_at(doc, field);
            if values.is_empty() {
                values.push(RawBsonRef::Null);
            } else {
                any_present = true;
            }
            per_field.push(values);
        }
        if self.model.sparse && !any_present {
            return Ok(Vec::new());
        }
        // The cartesian product (MongoDB allows at most one array field).
        let mut combos: Vec<Vec<RawBsonRef<'a>>> = vec![Vec::new()];
        for values in &per_field {
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
            .map(|values| (ValueKey::of_all(values.iter().copied()), values))
            .collect())
    }

    fn duplicate(&self, ns: &Namespace, values: &[RawBsonRef<'_>]) -> WriteError {
        let mut key_value = Document::new();
        for (field, v) in self.model.keys.keys().zip(values) {
            key_value.insert(field.clone(), Bson::try_from(*v).unwrap_or(Bson::Null));
        }
        duplicate_key_error(ns, &self.name, &self.model.keys, &key_value)
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

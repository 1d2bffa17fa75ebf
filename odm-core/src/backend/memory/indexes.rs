//! Secondary indexes: their definitions (`createIndexes`, `listIndexes`,
//! `dropIndexes`, `hint`), their entries, kept current on every store change,
//! and the enforcement of unique ones (compound, sparse and partial included).
//!
//! Every index keeps each key's postings (see [`super::postings`]); the
//! engine calls [`Indexes::add`] and [`Indexes::remove`] around every store
//! change and [`CollState::compact`] instead of compacting the store alone,
//! so slot numbers in postings never go stale. The planner
//! ([`super::plan`]) reads the entries.

use bson::raw::{RawBsonRef, RawDocument};
use bson::{doc, Bson, Document};

use super::catalog::CollState;
use super::compare;
use super::matcher::path::FieldPath;
use super::matcher::Matcher;
use super::postings::{encode_key, path_values, Entries};
use super::store::Store;
use super::ttl::TtlClock;
use crate::backend::{IndexModel, Namespace, WriteError};
use crate::error::CommandError;

/// An index: its definition, its compiled partial filter and its entries.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    /// The definition as created.
    pub model: IndexModel,
    /// Its name.
    pub name: String,
    partial: Option<Matcher>,
    /// The key paths, in pattern order.
    pub paths: Vec<String>,
    /// The same paths parsed, for the matcher's walk (the point read).
    pub fields: Vec<FieldPath>,
    /// Per path: descending (`-1`).
    pub descending: Vec<bool>,
    /// Every key is `1` or `-1` (not `text`, `hashed`, `2dsphere`): the
    /// entries are in the pattern's order and can serve queries.
    pub ordered: bool,
    /// The keys with their documents.
    pub entries: Entries,
}

/// The secondary indexes of a collection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Indexes {
    list: Vec<Index>,
    /// When TTL indexes last expired documents.
    pub(crate) ttl: TtlClock,
}

/// Which index a `hint` forces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hint {
    /// No hint: the planner chooses.
    Auto,
    /// `{$natural: 1}` (or `-1`): a collection scan.
    Natural,
    /// `_id_`.
    Id,
    /// The secondary index at this position.
    Index(usize),
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

fn direction(v: &Bson) -> Option<bool> {
    let n = match v {
        Bson::Int32(i) => f64::from(*i),
        Bson::Int64(i) => *i as f64,
        Bson::Double(d) => *d,
        _ => return None,
    };
    (n != 0.0).then_some(n < 0.0)
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

    /// The secondary indexes.
    pub fn list(&self) -> &[Index] {
        &self.list
    }

    /// Add indexes; one equal to an existing index is a no-op. A unique
    /// index over existing duplicates is refused with 11000.
    pub fn create(
        &mut self,
        ns: &Namespace,
        store: &Store,
        models: Vec<IndexModel>,
    ) -> Result<Vec<String>, CommandError> {
        // All or nothing: `build` only appends, so a failure truncates back
        // (no copy of the existing indexes' entries).
        let before = self.list.len();
        let built = self.build(ns, store, models);
        if built.is_err() {
            self.list.truncate(before);
        }
        built
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
            let mut index = Index::new(model, name.clone())?;
            for (slot, d) in store.iter() {
                let keys = index.keys_of(d)?;
                if index.model.unique {
                    for (key, values) in &keys.keys {
                        let taken = index
                            .entries
                            .get(key)
                            .is_some_and(|p| p.iter().any(|s| s != slot));
                        if taken {
                            let e = index.duplicate(ns, values);
                            return Err(CommandError::new(e.code, e.code_name, e.message));
                        }
                    }
                }
                index.record(keys, slot);
            }
            self.list.push(index);
            names.push(name);
        }
        Ok(names)
    }

    /// Which index `hint` names: by name or key pattern; `$natural` forces a
    /// scan. A hint naming no index is MongoDB's `BadValue`.
    pub fn resolve_hint(&self, hint: Option<&Bson>) -> Result<Hint, CommandError> {
        let found = match hint {
            None => Some(Hint::Auto),
            Some(Bson::String(name)) if name == "_id_" => Some(Hint::Id),
            Some(Bson::String(name)) => self
                .list
                .iter()
                .position(|i| &i.name == name)
                .map(Hint::Index),
            Some(Bson::Document(keys)) if keys.is_empty() => Some(Hint::Auto),
            Some(Bson::Document(keys)) if keys.contains_key("$natural") => Some(Hint::Natural),
            Some(Bson::Document(keys)) if *keys == doc! {"_id": 1} => Some(Hint::Id),
            Some(Bson::Document(keys)) => self
                .list
                .iter()
                .position(|i| &i.model.keys == keys)
                .map(Hint::Index),
            Some(_) => None,
        };
        found.ok_or_else(|| {
            CommandError::bad_value("hint provided does not correspond to an existing index")
        })
    }

    /// Refuse a `hint` naming no index (by name or key pattern); `$natural`
    /// is always accepted.
    pub fn check_hint(&self, hint: Option<&Bson>) -> Result<(), CommandError> {
        self.resolve_hint(hint).map(|_| ())
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
    pub fn check_unique(
        &self,
        ns: &Namespace,
        doc: &RawDocument,
        store: &Store,
    ) -> Result<(), WriteError> {
        let id = doc.get("_id").ok().flatten().unwrap_or(RawBsonRef::Null);
        for index in self.list.iter().filter(|i| i.model.unique) {
            let keys = index.keys_of(doc).map_err(super::validate::from_command)?;
            for (key, values) in &keys.keys {
                let Some(postings) = index.entries.get(key) else {
                    continue;
                };
                let other = postings.iter().any(|slot| {
                    let owner = store
                        .get(slot)
                        .and_then(|d| d.get("_id").ok().flatten())
                        .unwrap_or(RawBsonRef::Null);
                    !compare::equal(owner, id)
                });
                if other {
                    return Err(index.duplicate(ns, values));
                }
            }
        }
        Ok(())
    }

    /// Record the keys of the document just stored in `slot`.
    pub fn add(&mut self, slot: usize, doc: &RawDocument) {
        for index in &mut self.list {
            // A partial filter that errors leaves the document out, as a
            // failed check would already have refused the write.
            if let Ok(keys) = index.keys_of(doc) {
                index.record(keys, slot);
            }
        }
    }

    /// Forget the keys of the document in `slot` (just removed, or about to
    /// be replaced).
    pub fn remove(&mut self, slot: usize, doc: &RawDocument) {
        for index in &mut self.list {
            if let Ok(keys) = index.keys_of(doc) {
                for (key, _) in &keys.keys {
                    index.entries.remove(key, slot);
                }
            }
        }
    }

    /// Move the keys of the document in `slot` from `old` to `new` (an
    /// update): indexes whose keys did not change are left alone.
    /// `changed`: when known, the only top-level fields that differ; an
    /// index without a partial filter whose keys lie elsewhere keeps its
    /// entries without computing them.
    pub fn replace(
        &mut self,
        slot: usize,
        old: &RawDocument,
        new: &RawDocument,
        changed: Option<&[String]>,
    ) {
        for index in &mut self.list {
            if let Some(changed) = changed {
                let untouched = index.partial.is_none()
                    && index.paths.iter().all(|path| {
                        let head = path.split('.').next().unwrap_or(path);
                        !changed.iter().any(|f| f == head)
                    });
                if untouched {
                    continue;
                }
            }
            // A partial filter that errors leaves that side out, as in
            // `add` and `remove`.
            let before = index.keys_of(old).ok();
            let after = index.keys_of(new).ok();
            if let (Some(b), Some(a)) = (&before, &after) {
                let same = b.keys.len() == a.keys.len()
                    && b.keys.iter().zip(&a.keys).all(|(x, y)| x.0 == y.0);
                if same {
                    continue;
                }
            }
            for (key, _) in before.iter().flat_map(|b| &b.keys) {
                index.entries.remove(key, slot);
            }
            if let Some(after) = after {
                index.record(after, slot);
            }
        }
    }

    /// Renumber slots after the store compacted.
    pub fn remap(&mut self, map: &[usize]) {
        for index in &mut self.list {
            index.entries.remap(map);
        }
    }

    /// The same definitions with no keys (for a collection about to be refilled).
    pub fn emptied(&self) -> Self {
        let mut out = self.clone();
        for index in &mut out.list {
            index.entries.clear();
        }
        out
    }
}

impl CollState {
    /// Drop the store's empty slots when they are the majority, renumbering
    /// the indexes' postings with it. Call only when no slot number is held.
    pub(crate) fn compact(&mut self) {
        if let Some(map) = self.store.compact() {
            self.indexes.remap(&map);
        }
    }
}

/// The keys one document has in one index.
pub(crate) struct DocKeys<'a> {
    /// Each distinct key with its values in pattern order.
    pub keys: Vec<(Vec<u8>, Vec<RawBsonRef<'a>>)>,
    multikey: bool,
    approximate: bool,
}

impl Index {
    fn new(model: IndexModel, name: String) -> Result<Self, CommandError> {
        let partial = model
            .partial_filter
            .as_ref()
            .map(Matcher::compile)
            .transpose()?;
        let mut paths = Vec::with_capacity(model.keys.len());
        let mut descending = Vec::with_capacity(model.keys.len());
        let mut ordered = true;
        for (path, dir) in &model.keys {
            paths.push(path.clone());
            match direction(dir) {
                Some(d) => descending.push(d),
                None => {
                    ordered = false;
                    descending.push(false);
                }
            }
        }
        Ok(Index {
            model,
            name,
            partial,
            fields: paths.iter().map(|p| FieldPath::parse(p)).collect(),
            paths,
            descending,
            ordered,
            entries: Entries::default(),
        })
    }

    /// Whether the index holds every document (not sparse, not partial).
    pub fn is_complete(&self) -> bool {
        !self.model.sparse && self.partial.is_none()
    }

    /// Whether the index has a partial filter.
    pub fn is_partial(&self) -> bool {
        self.partial.is_some()
    }

    fn record(&mut self, keys: DocKeys<'_>, slot: usize) {
        self.entries.multikey |= keys.multikey;
        self.entries.approximate |= keys.approximate;
        for (key, _) in keys.keys {
            self.entries.insert(key, slot);
        }
    }

    /// The keys `doc` has in this index, each with its values in key-pattern
    /// order; none when the index leaves the document out (sparse, partial).
    pub(crate) fn keys_of<'a>(&self, doc: &'a RawDocument) -> Result<DocKeys<'a>, CommandError> {
        let mut out = DocKeys {
            keys: Vec::new(),
            multikey: false,
            approximate: false,
        };
        if let Some(partial) = &self.partial {
            if !partial.matches(doc)? {
                return Ok(out);
            }
        }
        // One list of values per key field; a missing field indexes as null.
        let mut per_field: Vec<Vec<RawBsonRef<'a>>> = Vec::with_capacity(self.paths.len());
        let mut any_present = false;
        for path in &self.paths {
            let (mut values, arrays) = path_values(doc, path);
            out.multikey |= arrays;
            out.approximate |= values
                .iter()
                .any(|v| matches!(v, RawBsonRef::Decimal128(_)));
            if values.is_empty() {
                values.push(RawBsonRef::Null);
            } else {
                any_present = true;
            }
            per_field.push(values);
        }
        if self.model.sparse && !any_present {
            return Ok(out);
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
        out.keys = combos
            .into_iter()
            .map(|values| (encode_key(&values, &self.descending), values))
            .collect();
        if out.keys.len() > 1 {
            // An array repeating a value has the key once.
            out.keys.sort_by(|a, b| a.0.cmp(&b.0));
            out.keys.dedup_by(|a, b| a.0 == b.0);
        }
        Ok(out)
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

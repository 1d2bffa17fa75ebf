//! Population without N+1: one `$in` query per referenced model, whatever the
//! number of documents, and one more per nested level.
//!
//! The referenced models are loaded first (as raw documents, decoded once);
//! then the referencing documents are decoded while a per-thread table of the
//! loaded models is installed, so each `Ref<T>` decoder picks its model up by
//! id. Decoding is synchronous, so the table never outlives the decode that
//! installed it.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::Arc;

use bson::raw::{RawBson, RawBsonRef, RawDocument, RawDocumentBuf};
use bson::{doc, Bson};
use futures::TryStreamExt;

use super::Ref;
use crate::backend::{BoxFuture, FindOptions};
use crate::collection::Find;
use crate::database::Database;
use crate::document::Document;
use crate::error::Result;
use crate::field::Field;

/// How many ids one `$in` query carries; larger sets are split.
const CHUNK: usize = 10_000;

/// A field that references documents: `Ref<T>`, `Option<Ref<T>>`, `Vec<Ref<T>>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a reference field",
    label = "`populate` needs a field of type `Ref<T>`, `Option<Ref<T>>` or `Vec<Ref<T>>`"
)]
pub trait RefField {
    /// The referenced model.
    type Target: Document;
}

impl<T: Document> RefField for Ref<T> {
    type Target = T;
}
impl<T: Document> RefField for Option<Ref<T>> {
    type Target = T;
}
impl<T: Document> RefField for Vec<Ref<T>> {
    type Target = T;
}

type Table = HashMap<TypeId, Box<dyn Any + Send>>;

thread_local! {
    static LOADED: RefCell<Table> = RefCell::new(HashMap::new());
}

/// The key of an id in the table: its BSON type and bytes.
///
/// Built once per referencing document, so the usual id types are written
/// directly; a rarer type goes through a one-field document.
fn key(id: RawBsonRef<'_>) -> Option<Key> {
    let bytes = match id {
        RawBsonRef::ObjectId(o) => o.bytes().to_vec(),
        RawBsonRef::String(s) => s.as_bytes().to_vec(),
        RawBsonRef::Int32(i) => i.to_le_bytes().to_vec(),
        RawBsonRef::Int64(i) => i.to_le_bytes().to_vec(),
        other => {
            let mut doc = RawDocumentBuf::new();
            doc.append(bson::raw::cstr!("k"), other);
            doc.into_bytes()
        }
    };
    Some((id.element_type() as u8, bytes))
}

/// An id's BSON type and bytes (see [`key`]).
type Key = (u8, Vec<u8>);

/// foldhash rather than SipHash: a table is looked up once per referencing
/// document, and its keys are ids already stored, not chosen by a caller.
type IdMap<V> = HashMap<Key, V, foldhash::fast::RandomState>;

pub(super) fn lookup<T: Document>(id: RawBsonRef<'_>) -> Option<Arc<T>> {
    LOADED.with(|t| {
        let t = t.borrow();
        if t.is_empty() {
            return None;
        }
        let map = t.get(&TypeId::of::<T>())?.downcast_ref::<Loaded<T>>()?;
        map.get(&key(id)?).cloned()
    })
}

type Loaded<T> = IdMap<Arc<T>>;

/// Installs loaded tables for the duration of a decode.
struct Installed {
    types: Vec<TypeId>,
}

impl Installed {
    fn new(tables: Vec<(TypeId, Box<dyn Any + Send>)>) -> Self {
        let types = tables.iter().map(|(t, _)| *t).collect();
        LOADED.with(|t| t.borrow_mut().extend(tables));
        Installed { types }
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        LOADED.with(|t| {
            let mut t = t.borrow_mut();
            for ty in &self.types {
                t.remove(ty);
            }
        });
    }
}

/// Every value at a dotted path of a raw document, arrays flattened.
fn values_at(doc: &RawDocument, path: &str, out: &mut Vec<RawBson>) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let Ok(Some(value)) = doc.get(head) else {
        return;
    };
    collect(value, rest, out);
}

fn collect(value: RawBsonRef<'_>, rest: Option<&str>, out: &mut Vec<RawBson>) {
    match (value, rest) {
        (RawBsonRef::Array(items), _) => {
            for item in items.into_iter().flatten() {
                collect(item, rest, out);
            }
        }
        (RawBsonRef::Document(d), Some(rest)) => values_at(d, rest, out),
        (RawBsonRef::Null, _) => {}
        (v, None) => out.push(v.into()),
        _ => {}
    }
}

/// The models loaded for one relation path, keyed by id, and how many ids
/// found no document.
struct LoadedTable {
    ty: TypeId,
    table: Box<dyn Any + Send>,
    missing: usize,
}

/// The relation paths that reference one model, and what to populate inside
/// that model's documents. Paths to the same model share one query, so the
/// loaded documents (and what was populated inside them) are the same
/// whichever path reached them.
trait Populator: Send + Sync {
    fn target(&self) -> TypeId;
    fn paths(&self) -> &[String];
    fn add_path(&mut self, path: String);
    fn nested_mut(&mut self) -> &mut Vec<Box<dyn Populator>>;
    /// Load the referenced models for these ids: one query per `CHUNK` ids,
    /// plus the nested populators' queries.
    fn load<'a>(
        &'a self,
        db: &'a Database,
        ids: Vec<RawBson>,
    ) -> BoxFuture<'a, Result<LoadedTable>>;
}

struct RefPopulator<T> {
    paths: Vec<String>,
    nested: Vec<Box<dyn Populator>>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Document> RefPopulator<T> {
    fn boxed(path: &str) -> Box<dyn Populator> {
        Box::new(RefPopulator::<T> {
            paths: vec![path.to_owned()],
            nested: Vec::new(),
            _t: std::marker::PhantomData,
        })
    }
}

/// Add `new` to `list`, merged into the populator of the same model if any.
fn add_populator(list: &mut Vec<Box<dyn Populator>>, mut new: Box<dyn Populator>) {
    match list.iter_mut().find(|p| p.target() == new.target()) {
        Some(existing) => {
            for path in new.paths() {
                if !existing.paths().contains(path) {
                    existing.add_path(path.clone());
                }
            }
            for nested in std::mem::take(new.nested_mut()) {
                add_populator(existing.nested_mut(), nested);
            }
        }
        None => list.push(new),
    }
}

impl<T: Document> Populator for RefPopulator<T> {
    fn target(&self) -> TypeId {
        TypeId::of::<T>()
    }

    fn paths(&self) -> &[String] {
        &self.paths
    }

    fn add_path(&mut self, path: String) {
        self.paths.push(path);
    }

    fn nested_mut(&mut self) -> &mut Vec<Box<dyn Populator>> {
        &mut self.nested
    }

    fn load<'a>(
        &'a self,
        db: &'a Database,
        ids: Vec<RawBson>,
    ) -> BoxFuture<'a, Result<LoadedTable>> {
        Box::pin(async move {
            let mut unique: IdMap<Bson> = IdMap::default();
            for id in &ids {
                let Some(k) = key(id.as_raw_bson_ref()) else {
                    continue;
                };
                if let std::collections::hash_map::Entry::Vacant(slot) = unique.entry(k) {
                    if let Ok(b) = Bson::try_from(id.clone()) {
                        slot.insert(b);
                    }
                }
            }
            let wanted: Vec<Bson> = unique.into_values().collect();
            let coll = db.collection::<T>();
            let mut raws = Vec::new();
            for chunk in wanted.chunks(CHUNK) {
                let filter = doc! { "_id": { "$in": chunk.to_vec() } };
                let stream = db
                    .backend()
                    .find(coll.namespace().clone(), filter, FindOptions::default())
                    .await?;
                raws.extend(stream.try_collect::<Vec<_>>().await?);
            }
            let tables = load_nested(db, &self.nested, &raws).await?;
            let _installed = Installed::new(tables);
            let mut map: Loaded<T> =
                IdMap::with_capacity_and_hasher(raws.len(), Default::default());
            for raw in &raws {
                let model = crate::collection::decode::<T>(coll.namespace(), raw)?;
                if let Some(k) = raw.get("_id").ok().flatten().and_then(key) {
                    map.insert(k, Arc::new(model));
                }
            }
            let missing = wanted.len().saturating_sub(map.len());
            Ok(LoadedTable {
                ty: TypeId::of::<T>(),
                table: Box::new(map),
                missing,
            })
        })
    }
}

/// Load every populator's models for the ids found in `docs`.
async fn load_nested(
    db: &Database,
    populators: &[Box<dyn Populator>],
    docs: &[RawDocumentBuf],
) -> Result<Vec<(TypeId, Box<dyn Any + Send>)>> {
    let mut tables = Vec::with_capacity(populators.len());
    for p in populators {
        let mut ids = Vec::new();
        for d in docs {
            for path in p.paths() {
                values_at(d, path, &mut ids);
            }
        }
        let LoadedTable { ty, table, missing } = p.load(db, ids).await?;
        if missing > 0 {
            tracing::warn!(
                paths = ?p.paths(),
                missing,
                "population left dangling references unloaded"
            );
        }
        tables.push((ty, table));
    }
    Ok(tables)
}

impl<'a, M: Document> Find<'a, M> {
    /// Load the documents referenced by `field` along with the results: one
    /// query for the whole relation path, whatever the number of results
    /// (paths to the same model share it).
    ///
    /// Loading is by referenced document: once an author is loaded, every
    /// `Ref<Author>` to it in the results carries it, on whichever path. A
    /// reference whose document is gone stays unloaded (`get()` is `None`)
    /// and is reported through `tracing`; nothing is ever fetched later.
    pub fn populate<R: RefField>(self, field: &Field<M, R>) -> FindPopulated<'a, M> {
        FindPopulated {
            find: self,
            populators: Vec::new(),
        }
        .populate(field)
    }

    /// [`FindPopulated::populate_nested`] as the first population.
    pub fn populate_nested<R: RefField, S: RefField>(
        self,
        field: &Field<M, R>,
        then: &Field<R::Target, S>,
    ) -> FindPopulated<'a, M> {
        FindPopulated {
            find: self,
            populators: Vec::new(),
        }
        .populate_nested(field, then)
    }
}

/// A `find` that also loads referenced documents; awaits to a `Vec`.
#[must_use = "operations do nothing unless awaited"]
pub struct FindPopulated<'a, M> {
    find: Find<'a, M>,
    populators: Vec<Box<dyn Populator>>,
}

impl<'a, M: Document> FindPopulated<'a, M> {
    /// Also populate `field`.
    pub fn populate<R: RefField>(mut self, field: &Field<M, R>) -> Self {
        add_populator(
            &mut self.populators,
            RefPopulator::<R::Target>::boxed(field.path()),
        );
        self
    }

    /// Populate `field`, and inside each referenced document, `then` (post →
    /// author → company): one more query per level.
    pub fn populate_nested<R: RefField, S: RefField>(
        mut self,
        field: &Field<M, R>,
        then: &Field<R::Target, S>,
    ) -> Self {
        let mut outer = RefPopulator::<R::Target>::boxed(field.path());
        outer
            .nested_mut()
            .push(RefPopulator::<S::Target>::boxed(then.path()));
        add_populator(&mut self.populators, outer);
        self
    }
}

impl<'a, M: Document> IntoFuture for FindPopulated<'a, M> {
    type Output = Result<Vec<M>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let (db, ns, raws) = self.find.into_raw().await?;
            let tables = load_nested(&db, &self.populators, &raws).await?;
            let _installed = Installed::new(tables);
            raws.iter()
                .map(|raw| crate::collection::decode::<M>(&ns, raw))
                .collect::<Result<Vec<M>>>()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_at_flattens_arrays_and_skips_nulls() {
        let d = RawDocumentBuf::try_from(&doc! {
            "author": 1,
            "tags": [2, 3, null],
            "comments": [{ "by": 4 }, { "by": 5 }, { "other": 6 }],
            "none": null,
        })
        .unwrap();
        let got = |p: &str| {
            let mut out = Vec::new();
            values_at(&d, p, &mut out);
            out.into_iter()
                .map(|v| Bson::try_from(v).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(got("author"), vec![Bson::Int32(1)]);
        assert_eq!(got("tags"), vec![Bson::Int32(2), Bson::Int32(3)]);
        assert_eq!(got("comments.by"), vec![Bson::Int32(4), Bson::Int32(5)]);
        assert!(got("none").is_empty());
        assert!(got("missing").is_empty());
    }

    #[test]
    fn keys_distinguish_types_and_values() {
        let a = key(RawBsonRef::Int32(1)).unwrap();
        assert_eq!(a, key(RawBsonRef::Int32(1)).unwrap());
        assert_ne!(a, key(RawBsonRef::Int64(1)).unwrap());
        assert_ne!(a, key(RawBsonRef::Int32(2)).unwrap());
        let oid = bson::oid::ObjectId::from_bytes([1; 12]);
        assert_ne!(
            key(RawBsonRef::ObjectId(oid)).unwrap(),
            key(RawBsonRef::Binary(bson::RawBinaryRef {
                subtype: bson::spec::BinarySubtype::Generic,
                bytes: &[1; 12],
            }))
            .unwrap()
        );
        assert_eq!(
            key(RawBsonRef::Double(1.5)),
            key(RawBsonRef::Double(1.5)),
            "a rarer type keys by its document"
        );
    }
}

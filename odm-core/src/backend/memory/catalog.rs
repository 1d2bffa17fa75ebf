//! The engine's catalog: databases, their collections and views, and each
//! collection's state behind its own lock.
//!
//! Lock order: the catalog lock is taken briefly to find (or create) a
//! collection and released before the collection's lock is taken, so a
//! long scan of one collection never blocks the catalog.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bson::Document;

use super::indexes::Indexes;
use super::store::Store;
use super::txn::{MemTxn, TxnTable};
use super::validate::Validator;
use crate::backend::{CollectionInfo, CreateCollectionOptions, Namespace};
use crate::error::CommandError;

/// The state of one collection, guarded by one lock.
#[derive(Debug, Default, Clone)]
pub(crate) struct CollState {
    /// The documents.
    pub store: Store,
    /// Options as given to `create`/`collMod` (reported by `listCollections`).
    pub options: CreateCollectionOptions,
    /// The compiled validator, if any.
    pub validator: Option<Validator>,
    /// Secondary indexes (`_id_` is implied by the store).
    pub indexes: Indexes,
}

/// A collection: its state behind a `RwLock`, and a version that every
/// write lock bumps, so a transaction can tell at commit whether anything
/// changed since its snapshot.
#[derive(Debug, Default)]
pub(crate) struct Collection {
    state: RwLock<CollState>,
    version: AtomicU64,
}

impl Collection {
    /// A collection holding `state` (a transaction's private copy).
    pub fn from_state(state: CollState) -> Self {
        Collection {
            state: RwLock::new(state),
            version: AtomicU64::new(0),
        }
    }

    /// The version; read it under a lock to pair it with the state.
    pub fn version(&self) -> u64 {
        // Relaxed: writers bump it while holding the write lock, and readers
        // read it under the lock, which orders both.
        self.version.load(Ordering::Relaxed)
    }

    /// Write access that does not count as a change by itself (a commit
    /// compares the version first, then bumps it if it installs anything).
    pub fn write_unversioned(&self) -> RwLockWriteGuard<'_, CollState> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Count one change (under the write lock).
    pub fn bump(&self) {
        self.version.fetch_add(1, Ordering::Relaxed);
    }

    /// Read access. A poisoned lock is recovered: every write leaves the
    /// state consistent before it can panic. Documents a TTL index says
    /// have expired are deleted first (see [`super::ttl`]).
    pub fn read(&self) -> RwLockReadGuard<'_, CollState> {
        let guard = self.state.read().unwrap_or_else(|e| e.into_inner());
        if !guard.ttl_due() {
            return guard;
        }
        drop(guard);
        // A pass that deletes nothing is no change for transactions.
        if self.write_unversioned().expire_ttl_if_due() > 0 {
            self.bump();
        }
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Write access (bumps the version; expired documents deleted first,
    /// as for reads).
    pub fn write(&self) -> RwLockWriteGuard<'_, CollState> {
        let mut guard = self.write_unversioned();
        self.bump();
        guard.expire_ttl_if_due();
        guard
    }
}

/// A view: a pipeline over another collection (or view) of the same database.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct View {
    /// The source's name.
    pub view_on: String,
    /// The view's pipeline.
    pub pipeline: Vec<Document>,
}

/// What a name in a database refers to.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    /// A collection.
    Collection(Arc<Collection>),
    /// A view.
    View(View),
}

type Databases = BTreeMap<String, BTreeMap<String, Entry>>;

/// Every database of the engine: the committed state, shared by every
/// clone, and (for a clone bound to a transaction) that transaction, whose
/// private copies [`Catalog::entry`] and [`Catalog::collection_or_create`]
/// return instead of the committed collections.
#[derive(Debug, Default, Clone)]
pub(crate) struct Catalog {
    dbs: Arc<RwLock<Databases>>,
    txns: Arc<TxnTable>,
    txn: Option<Arc<MemTxn>>,
}

/// `166 CommandNotSupportedOnView`.
pub(crate) fn not_on_view(ns: &Namespace) -> CommandError {
    CommandError::new(
        166,
        "CommandNotSupportedOnView",
        format!("Namespace {ns} is a view, not a collection"),
    )
}

impl Catalog {
    fn read(&self) -> RwLockReadGuard<'_, Databases> {
        self.dbs.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Databases> {
        self.dbs.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The transactions of this engine (their row locks).
    pub fn txns(&self) -> &Arc<TxnTable> {
        &self.txns
    }

    /// The transaction this clone is bound to.
    pub fn txn(&self) -> Option<&Arc<MemTxn>> {
        self.txn.as_ref()
    }

    /// The same engine seen from inside `txn`.
    pub fn bound(&self, txn: Arc<MemTxn>) -> Catalog {
        Catalog {
            dbs: Arc::clone(&self.dbs),
            txns: Arc::clone(&self.txns),
            txn: Some(txn),
        }
    }

    /// The same engine, outside any transaction.
    pub fn committed(&self) -> Catalog {
        Catalog {
            dbs: Arc::clone(&self.dbs),
            txns: Arc::clone(&self.txns),
            txn: None,
        }
    }

    /// What `ns` names, if anything (in a transaction: as of its snapshot,
    /// with its own writes).
    pub fn entry(&self, ns: &Namespace) -> Option<Entry> {
        match &self.txn {
            None => self.committed_entry(ns),
            Some(txn) => txn.entry(self, ns),
        }
    }

    /// What `ns` names in the committed state.
    pub fn committed_entry(&self, ns: &Namespace) -> Option<Entry> {
        self.read().get(&*ns.db)?.get(&*ns.coll).cloned()
    }

    /// The collection `ns`, created when missing; a view is refused (writes).
    pub fn collection_or_create(&self, ns: &Namespace) -> Result<Arc<Collection>, CommandError> {
        match &self.txn {
            None => self.committed_or_create(ns),
            Some(txn) => txn.collection_or_create(self, ns),
        }
    }

    /// [`collection_or_create`](Self::collection_or_create) in the committed state.
    pub fn committed_or_create(&self, ns: &Namespace) -> Result<Arc<Collection>, CommandError> {
        if let Some(entry) = self.committed_entry(ns) {
            return match entry {
                Entry::Collection(c) => Ok(c),
                Entry::View(_) => Err(not_on_view(ns)),
            };
        }
        let mut dbs = self.write();
        let entry = dbs
            .entry(ns.db.to_string())
            .or_default()
            .entry(ns.coll.to_string())
            .or_insert_with(|| Entry::Collection(Arc::default()));
        match entry {
            Entry::Collection(c) => Ok(Arc::clone(c)),
            Entry::View(_) => Err(not_on_view(ns)),
        }
    }

    /// `create`: a collection (with a validator) or a view.
    pub fn create(
        &self,
        ns: &Namespace,
        options: CreateCollectionOptions,
    ) -> Result<(), CommandError> {
        let entry = match &options.view_on {
            Some(view_on) => Entry::View(View {
                view_on: view_on.clone(),
                pipeline: options.pipeline.clone().unwrap_or_default(),
            }),
            None => {
                let validator = Validator::from_options(&options)?;
                let state = CollState {
                    options,
                    validator,
                    ..CollState::default()
                };
                Entry::Collection(Arc::new(Collection::from_state(state)))
            }
        };
        let mut dbs = self.write();
        let db = dbs.entry(ns.db.to_string()).or_default();
        if db.contains_key(&*ns.coll) {
            return Err(CommandError::new(
                48,
                "NamespaceExists",
                format!("Collection {ns} already exists."),
            ));
        }
        db.insert(ns.coll.to_string(), entry);
        Ok(())
    }

    /// `collMod`: change a collection's validator or a view's pipeline.
    pub fn modify(
        &self,
        ns: &Namespace,
        options: CreateCollectionOptions,
    ) -> Result<(), CommandError> {
        let not_found =
            || CommandError::new(26, "NamespaceNotFound", format!("ns does not exist: {ns}"));
        let mut dbs = self.write();
        let entry = dbs
            .get_mut(&*ns.db)
            .and_then(|db| db.get_mut(&*ns.coll))
            .ok_or_else(not_found)?;
        match entry {
            Entry::View(view) => {
                if let Some(p) = options.pipeline {
                    view.pipeline = p;
                }
                if let Some(v) = options.view_on {
                    view.view_on = v;
                }
                Ok(())
            }
            Entry::Collection(c) => {
                let c = Arc::clone(c);
                drop(dbs);
                let mut state = c.write();
                let mut merged = state.options.clone();
                if options.validator.is_some() {
                    merged.validator = options.validator;
                }
                if options.validation_level.is_some() {
                    merged.validation_level = options.validation_level;
                }
                if options.validation_action.is_some() {
                    merged.validation_action = options.validation_action;
                }
                state.validator = Validator::from_options(&merged)?;
                state.options = merged;
                Ok(())
            }
        }
    }

    /// Drop a collection or view; `false` if there was none.
    pub fn drop(&self, ns: &Namespace) -> bool {
        let mut dbs = self.write();
        let Some(db) = dbs.get_mut(&*ns.db) else {
            return false;
        };
        let removed = db.remove(&*ns.coll).is_some();
        if db.is_empty() {
            dbs.remove(&*ns.db);
        }
        removed
    }

    /// The collections and views of `db`, by name.
    pub fn list(&self, db: &str) -> Vec<CollectionInfo> {
        let entries: Vec<(String, Entry)> = match self.read().get(db) {
            Some(colls) => colls.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            None => return Vec::new(),
        };
        entries
            .into_iter()
            .map(|(name, entry)| match entry {
                Entry::Collection(c) => {
                    CollectionInfo::new(name, "collection", c.read().options.clone())
                }
                Entry::View(v) => CollectionInfo::new(
                    name,
                    "view",
                    CreateCollectionOptions {
                        view_on: Some(v.view_on),
                        pipeline: Some(v.pipeline),
                        ..CreateCollectionOptions::default()
                    },
                ),
            })
            .collect()
    }

    /// Drop a database and everything in it.
    pub fn drop_database(&self, db: &str) {
        self.write().remove(db);
    }

    /// The databases holding at least one collection or view.
    pub fn databases(&self) -> Vec<String> {
        self.read()
            .iter()
            .filter(|(_, colls)| !colls.is_empty())
            .map(|(name, _)| name.clone())
            .collect()
    }
}

//! Transactions of the in-memory engine: snapshot isolation with
//! all-or-nothing commits.
//!
//! A transaction copies each collection it touches when it first touches it
//! (cheap-ish: the documents are `Arc`s) and runs every operation on that
//! private copy with the engine's ordinary code, so it reads its snapshot
//! plus its own writes with exactly the semantics of plain operations. The
//! copy's store keeps a journal of the documents it changed, each with the
//! version it had in the snapshot.
//!
//! Conflicts are MongoDB's `112 WriteConflict`, labelled
//! `TransientTransactionError`:
//! - at write time, when the document is being written by another open
//!   transaction (a row lock, held until commit or abort) or was changed in
//!   the committed state since the snapshot;
//! - at commit, when the committed version of a written document is no
//!   longer the snapshot's (a plain write raced the transaction), or a
//!   unique index key was taken meanwhile.
//!
//! Commit locks the committed collections (in namespace order, so two
//! commits cannot deadlock) and installs either the private copy itself,
//! when nothing changed since the snapshot, or the committed state with the
//! journal's documents merged in. Every collection is checked before any is
//! installed, so a commit applies all of its writes or none.
//!
//! Deviations from MongoDB: each collection's snapshot is taken when the
//! transaction first touches that collection, not at its first operation;
//! a plain write to a document an open transaction has written does not
//! wait for it (the transaction then fails at commit instead); and the
//! copy costs O(documents) of the collection (pointers and `_id` keys, not
//! the documents), which is fine for tests and small collections.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, RwLockWriteGuard};

use super::catalog::{Catalog, CollState, Collection, Entry, View};
use super::store::{Doc, ValueKey};
use crate::backend::Namespace;
use crate::error::CommandError;

/// The row locks of every open transaction of one engine: which
/// transaction is writing each document.
#[derive(Debug, Default)]
pub(crate) struct TxnTable {
    next_id: std::sync::atomic::AtomicU64,
    locks: Mutex<HashMap<(Namespace, ValueKey), u64>>,
}

impl TxnTable {
    fn locks(&self) -> MutexGuard<'_, HashMap<(Namespace, ValueKey), u64>> {
        self.locks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new transaction of this engine.
    pub fn begin(self: &Arc<Self>) -> MemTxn {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        MemTxn {
            id,
            table: Arc::clone(self),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// How many documents open transactions are writing (for tests).
    #[cfg(test)]
    pub fn locked(&self) -> usize {
        self.locks().len()
    }
}

/// One transaction of the in-memory engine (the state behind its
/// [`TxnHandle`](crate::backend::TxnHandle)).
#[derive(Debug)]
pub(crate) struct MemTxn {
    id: u64,
    table: Arc<TxnTable>,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    state: State,
    /// What each namespace the transaction touched was at its snapshot.
    colls: BTreeMap<Namespace, Snap>,
    /// The row locks it holds.
    held: Vec<(Namespace, ValueKey)>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Active,
    Committed,
    Aborted,
}

#[derive(Debug)]
enum Snap {
    /// Nothing by that name.
    Absent,
    /// A view (read through the transaction's copies of its sources).
    View(View),
    /// A collection: the transaction's private copy.
    Coll(Private),
}

#[derive(Debug)]
struct Private {
    /// The committed collection it copies (`None`: created by the transaction).
    base: Option<Arc<Collection>>,
    /// The committed collection's version when copied.
    version: u64,
    /// The copy, its store journaled.
    copy: Arc<Collection>,
    /// Journal entries already checked for conflicts (and row-locked).
    checked: usize,
}

impl Private {
    fn of(base: Option<Arc<Collection>>) -> Private {
        let (mut state, version) = match &base {
            Some(b) => {
                let guard = b.read();
                (guard.clone(), b.version())
            }
            None => (CollState::default(), 0),
        };
        state.store.start_journal();
        Private {
            base,
            version,
            copy: Arc::new(Collection::from_state(state)),
            checked: 0,
        }
    }
}

fn no_longer_active(state: State) -> CommandError {
    match state {
        State::Committed => CommandError::new(
            256,
            "TransactionCommitted",
            "Transaction has been committed; no more operations may run in it",
        ),
        _ => CommandError::no_such_transaction("Transaction has been aborted."),
    }
}

impl MemTxn {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Refuse operations once the transaction is over.
    pub fn check_active(&self) -> Result<(), CommandError> {
        let inner = self.lock();
        match inner.state {
            State::Active => Ok(()),
            other => Err(no_longer_active(other)),
        }
    }

    /// What `ns` names as the transaction sees it.
    pub fn entry(&self, catalog: &Catalog, ns: &Namespace) -> Option<Entry> {
        let mut inner = self.lock();
        let snap =
            inner
                .colls
                .entry(ns.clone())
                .or_insert_with(|| match catalog.committed_entry(ns) {
                    None => Snap::Absent,
                    Some(Entry::View(v)) => Snap::View(v),
                    Some(Entry::Collection(c)) => Snap::Coll(Private::of(Some(c))),
                });
        match snap {
            Snap::Absent => None,
            Snap::View(v) => Some(Entry::View(v.clone())),
            Snap::Coll(p) => Some(Entry::Collection(Arc::clone(&p.copy))),
        }
    }

    /// The private copy of collection `ns`, created when missing.
    pub fn collection_or_create(
        &self,
        catalog: &Catalog,
        ns: &Namespace,
    ) -> Result<Arc<Collection>, CommandError> {
        let mut inner = self.lock();
        if !inner.colls.contains_key(ns) {
            let snap = match catalog.committed_entry(ns) {
                Some(Entry::View(_)) => return Err(super::catalog::not_on_view(ns)),
                Some(Entry::Collection(c)) => Snap::Coll(Private::of(Some(c))),
                None => Snap::Coll(Private::of(None)),
            };
            inner.colls.insert(ns.clone(), snap);
        }
        let snap = inner.colls.get_mut(ns);
        match snap {
            Some(Snap::Coll(p)) => Ok(Arc::clone(&p.copy)),
            Some(Snap::View(_)) => Err(super::catalog::not_on_view(ns)),
            Some(s @ Snap::Absent) => {
                let p = Private::of(None);
                let copy = Arc::clone(&p.copy);
                *s = Snap::Coll(p);
                Ok(copy)
            }
            None => Err(CommandError::new(1, "InternalError", "lost a snapshot")),
        }
    }

    /// After a write to `ns`: row-lock the documents it changed and check
    /// that nobody changed them since the snapshot. A conflict aborts the
    /// transaction (as MongoDB does) and is returned.
    pub fn after_write(&self, catalog: &Catalog, ns: &Namespace) -> Result<(), CommandError> {
        let mut inner = self.lock();
        let result = self.check_new_writes(&mut inner, catalog, ns);
        if result.is_err() {
            self.end(&mut inner, State::Aborted);
        }
        result
    }

    fn check_new_writes(
        &self,
        inner: &mut Inner,
        catalog: &Catalog,
        ns: &Namespace,
    ) -> Result<(), CommandError> {
        let Some(Snap::Coll(p)) = inner.colls.get_mut(ns) else {
            return Ok(());
        };
        let fresh: Vec<(ValueKey, Option<Doc>)> = {
            let copy = p.copy.read();
            let entries = copy.store.journal().map(|j| j.entries()).unwrap_or(&[]);
            entries.get(p.checked..).unwrap_or(&[]).to_vec()
        };
        if fresh.is_empty() {
            return Ok(());
        }
        p.checked += fresh.len();
        let base = p
            .base
            .clone()
            .or_else(|| match catalog.committed_entry(ns) {
                Some(Entry::Collection(c)) => Some(c),
                _ => None,
            });
        {
            let mut locks = self.table.locks();
            for (key, _) in &fresh {
                let row = (ns.clone(), key.clone());
                match locks.get(&row) {
                    Some(owner) if *owner != self.id => return Err(CommandError::write_conflict()),
                    Some(_) => {}
                    None => {
                        locks.insert(row.clone(), self.id);
                        inner.held.push(row);
                    }
                }
            }
        }
        if let Some(base) = base {
            let state = base.read();
            for (key, before) in &fresh {
                if !unchanged(&state, key, before.as_ref()) {
                    return Err(CommandError::write_conflict());
                }
            }
        }
        Ok(())
    }

    /// Release the row locks and end the transaction.
    fn end(&self, inner: &mut Inner, state: State) {
        if !inner.held.is_empty() {
            let mut locks = self.table.locks();
            for row in inner.held.drain(..) {
                if locks.get(&row) == Some(&self.id) {
                    locks.remove(&row);
                }
            }
        }
        inner.colls.clear();
        inner.state = state;
    }

    /// Discard everything. Aborting twice is fine; aborting a committed
    /// transaction is refused, as MongoDB does.
    pub fn abort(&self) -> Result<(), CommandError> {
        let mut inner = self.lock();
        if inner.state == State::Committed {
            return Err(CommandError::new(
                256,
                "TransactionCommitted",
                "Cannot call abortTransaction after calling commitTransaction.",
            ));
        }
        self.end(&mut inner, State::Aborted);
        Ok(())
    }

    /// Install every write, or none. Committing twice is fine.
    pub fn commit(&self, catalog: &Catalog) -> Result<(), CommandError> {
        let mut inner = self.lock();
        match inner.state {
            State::Active => {}
            State::Committed => return Ok(()),
            State::Aborted => return Err(no_longer_active(State::Aborted)),
        }
        let result = self.install(&mut inner, catalog);
        let end = if result.is_ok() {
            State::Committed
        } else {
            State::Aborted
        };
        self.end(&mut inner, end);
        result
    }

    fn install(&self, inner: &mut Inner, catalog: &Catalog) -> Result<(), CommandError> {
        let written: Vec<Namespace> = inner
            .colls
            .iter()
            .filter_map(|(ns, snap)| match snap {
                Snap::Coll(p)
                    if !p
                        .copy
                        .read()
                        .store
                        .journal()
                        .is_none_or(|j| j.entries().is_empty()) =>
                {
                    Some(ns.clone())
                }
                _ => None,
            })
            .collect();
        for ns in &written {
            self.check_new_writes(inner, catalog, ns)?;
        }
        // The committed collections, created for the transaction's new ones.
        let mut targets = Vec::with_capacity(written.len());
        for ns in &written {
            let Some(Snap::Coll(p)) = inner.colls.get(ns) else {
                continue;
            };
            let base = catalog.committed_or_create(ns)?;
            if p.base.as_ref().is_some_and(|b| !Arc::ptr_eq(b, &base)) {
                // Dropped (and maybe recreated) since the snapshot.
                return Err(CommandError::write_conflict());
            }
            targets.push((ns, p, base));
        }
        // `written` is in namespace order: commits lock in the same order.
        let mut guards: Vec<RwLockWriteGuard<'_, CollState>> = targets
            .iter()
            .map(|(_, _, b)| b.write_unversioned())
            .collect();
        let mut next = Vec::with_capacity(targets.len());
        for ((ns, p, base), guard) in targets.iter().zip(&guards) {
            let mut copy = p.copy.write_unversioned();
            if p.base.is_some() && base.version() == p.version {
                // Nothing changed since the snapshot: the copy is the result.
                let mut state = std::mem::take(&mut *copy);
                state.store.take_journal();
                next.push(state);
            } else {
                next.push(merge(ns, guard, &copy)?);
            }
        }
        for ((guard, state), (_, _, base)) in guards.iter_mut().zip(next).zip(&targets) {
            **guard = state;
            base.bump();
        }
        Ok(())
    }
}

impl Drop for MemTxn {
    /// A transaction dropped without commit or abort releases its row locks.
    fn drop(&mut self) {
        let mut inner = self.lock();
        if inner.state == State::Active {
            self.end(&mut inner, State::Aborted);
        }
    }
}

/// Whether the committed document with `_id` key `key` is still the
/// snapshot's `before` (the same allocation: every write stores a new one).
fn unchanged(state: &CollState, key: &ValueKey, before: Option<&Doc>) -> bool {
    let current = state
        .store
        .slot_of_key(key)
        .and_then(|slot| state.store.get(slot));
    match (before, current) {
        (None, None) => true,
        (Some(b), Some(c)) => Doc::ptr_eq(b, c),
        _ => false,
    }
}

/// The committed state with the copy's changed documents merged in, or a
/// conflict: a document changed since the snapshot, or a unique key taken.
fn merge(
    ns: &Namespace,
    committed: &CollState,
    copy: &CollState,
) -> Result<CollState, CommandError> {
    let entries = copy.store.journal().map(|j| j.entries()).unwrap_or(&[]);
    let mut next = committed.clone();
    let mut changes = Vec::with_capacity(entries.len());
    for (key, before) in entries {
        if !unchanged(&next, key, before.as_ref()) {
            return Err(CommandError::write_conflict());
        }
        let after = copy
            .store
            .slot_of_key(key)
            .and_then(|slot| copy.store.get(slot))
            .cloned();
        let slot = next.store.slot_of_key(key);
        // Drop every old key first, so documents that swap unique keys
        // within the transaction do not collide with each other.
        if let Some(s) = slot {
            if let Some(old) = next.store.get(s).cloned() {
                next.indexes.remove(s, &old);
            }
        }
        changes.push((slot, after));
    }
    for (slot, after) in changes {
        match (slot, after) {
            (Some(slot), None) => {
                next.store.remove(slot);
            }
            (slot, Some(doc)) => {
                next.indexes
                    .check_unique(ns, &doc, &next.store)
                    .map_err(|_| CommandError::write_conflict())?;
                let stored = match slot {
                    Some(slot) => next.store.replace(slot, doc).map(|()| slot),
                    None => next.store.insert(doc),
                }
                .map_err(|_| CommandError::write_conflict())?;
                if let Some(doc) = next.store.get(stored).cloned() {
                    next.indexes.add(stored, &doc);
                }
            }
            (None, None) => {}
        }
    }
    // The indexes' postings follow the renumbering.
    next.compact();
    Ok(next)
}

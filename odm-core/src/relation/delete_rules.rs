//! Delete rules: what deleting a document does to the documents that
//! reference it, as mongoengine's `reverse_delete_rule`, declared on the
//! referencing field with `#[odm(on_delete = "...")]`:
//!
//! - `cascade`: delete the referencing documents too (applying their own
//!   rules, once per document even through a cycle);
//! - `nullify` (`Option<Ref<T>>` only): set the reference to null;
//! - `pull` (`Vec<Ref<T>>` only): remove the id from the list;
//! - `deny`: refuse the delete ([`Error::DeleteDenied`]) while any document
//!   references it; nothing is deleted.
//!
//! The rules are known statically: the derive of the referencing model
//! registers them at link time (through `inventory`), so they apply whatever
//! modules the program happened to import, unlike mongoengine's, which exist
//! only once the referencing class was imported. One caveat remains: a model
//! in a crate that is linked but from which nothing is ever referenced may be
//! dropped by the linker with its rules; reference the crate (use any item of
//! it) to keep them.
//!
//! Rules apply to deletes through [`Collection::delete_one`],
//! [`Collection::delete_many`] and [`Collection::find_one_and_delete`], on
//! the referencing model's own collection (`M::COLLECTION`); bulk writes and
//! raw backend commands delete without them. Every deny rule of the whole cascade is checked before
//! anything is written; then references are nullified or pulled, cascaded
//! documents deleted, and the documents themselves last. A model no rule
//! targets is deleted exactly as without rules: one command.
//!
//! [`Collection::delete_one`]: crate::Collection::delete_one
//! [`Collection::delete_many`]: crate::Collection::delete_many
//! [`Collection::find_one_and_delete`]: crate::Collection::find_one_and_delete

use std::any::TypeId;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::OnceLock;

use bson::{doc, Bson, Document as BsonDocument, RawDocumentBuf};
use futures::TryStreamExt;

use crate::backend::{
    CountOptions, DeleteOptions, DeleteResult, FindAndModifyAction, FindAndModifyOptions,
    FindOptions, Namespace, UpdateModification, UpdateOptions,
};
use crate::database::Database;
use crate::document::Document;
use crate::error::{Error, Result};

use super::Ref;

/// What deleting a referenced document does to a document referencing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnDelete {
    /// Delete the referencing document too.
    Cascade,
    /// Set the reference to null (`Option<Ref<T>>`).
    Nullify,
    /// Remove the id from the list of references (`Vec<Ref<T>>`).
    Pull,
    /// Refuse the delete while any document references it.
    Deny,
}

/// One registered rule: the field `field` of `source` references `target`.
/// Submitted by `#[derive(Document)]` for each `#[odm(on_delete)]` field.
#[derive(Debug)]
pub struct DeleteRule {
    target: fn() -> TypeId,
    source: fn() -> TypeId,
    source_collection: &'static str,
    field: &'static str,
    kind: OnDelete,
}

inventory::collect!(DeleteRule);

impl DeleteRule {
    /// The rule that field `field` (stored name) of model `S` follows when a
    /// referenced `T` is deleted. Called by generated code.
    pub const fn new<S: Document, T: Document>(field: &'static str, kind: OnDelete) -> Self {
        DeleteRule {
            target: TypeId::of::<T>,
            source: TypeId::of::<S>,
            source_collection: S::COLLECTION,
            field,
            kind,
        }
    }

    /// The referencing collection.
    pub fn source_collection(&self) -> &'static str {
        self.source_collection
    }

    /// The referencing field's stored name.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What the rule does.
    pub fn kind(&self) -> OnDelete {
        self.kind
    }
}

/// The registered rules that apply when a document of `M` is deleted.
pub fn rules_for<M: Document>() -> impl Iterator<Item = &'static DeleteRule> {
    rules_for_type(TypeId::of::<M>())
}

fn rules_for_type(target: TypeId) -> impl Iterator<Item = &'static DeleteRule> {
    // The registry is fixed once the program runs: index it by target once,
    // so a delete of a model without rules pays one hash lookup.
    static BY_TARGET: OnceLock<HashMap<TypeId, Vec<&'static DeleteRule>>> = OnceLock::new();
    BY_TARGET
        .get_or_init(|| {
            let mut index: HashMap<TypeId, Vec<&'static DeleteRule>> = HashMap::new();
            for rule in inventory::iter::<DeleteRule> {
                index.entry((rule.target)()).or_default().push(rule);
            }
            index
        })
        .get(&target)
        .into_iter()
        .flatten()
        .copied()
}

/// Whether any rule applies when a document of `M` is deleted.
pub(crate) fn has_rules<M: Document>() -> bool {
    rules_for::<M>().next().is_some()
}

/// A field type a rule can be declared on: `Ref<T>`, `Option<Ref<T>>`,
/// `Vec<Ref<T>>` (what `cascade` and `deny` accept).
#[diagnostic::on_unimplemented(
    message = "`#[odm(on_delete)]` needs a reference field, not `{Self}`",
    label = "not `Ref<T>`, `Option<Ref<T>>` or `Vec<Ref<T>>`"
)]
pub trait RuleField {
    /// The referenced model.
    type Target: Document;
}

impl<T: Document> RuleField for Ref<T> {
    type Target = T;
}
impl<T: Document> RuleField for Option<Ref<T>> {
    type Target = T;
}
impl<T: Document> RuleField for Vec<Ref<T>> {
    type Target = T;
}

/// A reference that can be set to null: `Option<Ref<T>>`.
#[diagnostic::on_unimplemented(
    message = "`on_delete = \"nullify\"` needs an `Option<Ref<T>>` field, not `{Self}`",
    label = "a required reference cannot be nullified",
    note = "declare the field `Option<Ref<T>>`, or use `cascade` or `deny`"
)]
pub trait NullableRef: RuleField {}
impl<T: Document> NullableRef for Option<Ref<T>> {}

/// A list of references an id can be pulled from: `Vec<Ref<T>>`.
#[diagnostic::on_unimplemented(
    message = "`on_delete = \"pull\"` needs a `Vec<Ref<T>>` field, not `{Self}`",
    label = "only a list of references can have an id pulled from it",
    note = "use `pull` on a `Vec<Ref<T>>`, `nullify` on an `Option<Ref<T>>`"
)]
pub trait RefList: RuleField {}
impl<T: Document> RefList for Vec<Ref<T>> {}

/// The documents of one collection to delete, found by one level of the cascade.
struct Level {
    model: TypeId,
    ns: Namespace,
    ids: Vec<Bson>,
}

/// Delete the documents of `M` matching `filter` (the first only unless
/// `multi`), applying every rule registered for `M` and, through cascades,
/// the rules of the models it cascades to.
///
/// It all runs in one transaction where the backend offers one (the
/// in-memory engine, a replica set, a sharded cluster), so a concurrent
/// writer sees every change or none; on a backend without transactions (a
/// standalone server) it runs in the order of [`apply_rules`], which never
/// writes anything when a rule refuses.
pub(crate) async fn delete_with_rules<M: Document>(
    db: &Database,
    ns: &Namespace,
    filter: BsonDocument,
    multi: bool,
) -> Result<DeleteResult> {
    let ns = ns.clone();
    atomically(db, move |db| {
        let (ns, filter) = (ns.clone(), filter.clone());
        async move { apply_rules::<M>(&db, &ns, filter, multi).await }
    })
    .await
}

/// `find_one_and_delete` of a model with rules: the document the
/// find-and-modify would pick (same filter, sort, collation, hint) has its
/// rules applied, then is removed and returned, all in one transaction
/// where the backend offers one (as [`delete_with_rules`]).
pub(crate) async fn find_and_delete_with_rules<M: Document>(
    db: &Database,
    ns: &Namespace,
    filter: BsonDocument,
    options: FindAndModifyOptions,
) -> Result<Option<RawDocumentBuf>> {
    let ns = ns.clone();
    atomically(db, move |db| {
        let (ns, filter, options) = (ns.clone(), filter.clone(), options.clone());
        async move {
            let pick = FindOptions {
                projection: Some(doc! { "_id": 1 }),
                limit: 1,
                sort: options.sort.clone(),
                collation: options.collation.clone().map(Box::new),
                let_vars: options.let_vars.clone().map(Box::new),
                hint: options.hint.clone().map(Box::new),
                ..Default::default()
            };
            let Some(id) = ids_found(&db, &ns, filter.clone(), pick).await?.pop() else {
                return Ok(None);
            };
            prepare::<M>(&db, &ns, vec![id.clone()]).await?;
            let this_one = doc! { "$and": [filter, { "_id": id }] };
            db.backend()
                .find_and_modify(ns, this_one, FindAndModifyAction::Remove, options)
                .await
        }
    })
    .await
}

/// Run `op` in one transaction where `db`'s backend offers one (or in the
/// transaction `db` is already bound to); on a backend without transactions,
/// run it directly, in an order where a refusal writes nothing.
async fn atomically<T, F, Fut>(db: &Database, op: F) -> Result<T>
where
    F: FnMut(Database) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut direct = op.clone();
    if db.in_transaction() {
        return direct(db.clone()).await;
    }
    match db.transaction(op).await {
        Err(e) if no_transactions(&e) => direct(db.clone()).await,
        other => other,
    }
}

/// Whether `e` says the deployment has no transactions: a backend without
/// them, or a standalone server refusing a transaction number (`20
/// IllegalOperation`). Either way nothing ran, so running again outside a
/// transaction is safe.
fn no_transactions(e: &Error) -> bool {
    match e {
        Error::Unsupported { .. } => true,
        Error::Command(c) => c.code == 20 && c.message.contains("Transaction numbers"),
        _ => false,
    }
}

/// Order, so that a refusal writes nothing: find the ids, walk the whole
/// cascade checking every deny rule, then nullify and pull, then delete the
/// cascaded documents, then the documents themselves.
async fn apply_rules<M: Document>(
    db: &Database,
    ns: &Namespace,
    filter: BsonDocument,
    multi: bool,
) -> Result<DeleteResult> {
    let roots = ids_matching(db, ns, filter, if multi { 0 } else { 1 }).await?;
    if roots.is_empty() {
        return Ok(DeleteResult::default());
    }
    prepare::<M>(db, ns, roots.clone()).await?;
    delete_ids(db, ns, &roots).await
}

/// Everything a delete of `roots` needs before the roots themselves go:
/// every deny rule of the whole cascade checked, references detached,
/// cascaded documents deleted.
async fn prepare<M: Document>(db: &Database, ns: &Namespace, roots: Vec<Bson>) -> Result<()> {
    let mut seen: HashSet<(String, Vec<u8>)> = HashSet::new();
    for id in &roots {
        seen.insert((ns.coll.to_string(), id_key(id)));
    }
    let mut levels = vec![Level {
        model: TypeId::of::<M>(),
        ns: ns.clone(),
        ids: roots,
    }];
    // Plan the cascade level by level, refusing before anything is written.
    let mut next = 0;
    while let Some(level) = levels.get(next) {
        let mut found = Vec::new();
        for rule in rules_for_type(level.model) {
            let source = db.namespace(rule.source_collection);
            let referencing = doc! { rule.field: { "$in": level.ids.clone() } };
            match rule.kind {
                OnDelete::Deny => {
                    let count = db
                        .backend()
                        .count(source.clone(), referencing, CountOptions::default())
                        .await?;
                    if count > 0 {
                        return Err(Error::DeleteDenied {
                            collection: level.ns.coll.to_string(),
                            referencing_collection: rule.source_collection.to_owned(),
                            field: rule.field.to_owned(),
                            count,
                        });
                    }
                }
                OnDelete::Cascade => {
                    let ids = ids_matching(db, &source, referencing, 0).await?;
                    let fresh: Vec<Bson> = ids
                        .into_iter()
                        .filter(|id| seen.insert((source.coll.to_string(), id_key(id))))
                        .collect();
                    if !fresh.is_empty() {
                        found.push(Level {
                            model: (rule.source)(),
                            ns: source,
                            ids: fresh,
                        });
                    }
                }
                OnDelete::Nullify | OnDelete::Pull => {}
            }
        }
        levels.extend(found);
        next += 1;
    }
    // Every level is now allowed: detach the references, then delete.
    for level in &levels {
        for rule in rules_for_type(level.model) {
            let source = db.namespace(rule.source_collection);
            let referencing = doc! { rule.field: { "$in": level.ids.clone() } };
            let update = match rule.kind {
                OnDelete::Nullify => doc! { "$set": { rule.field: Bson::Null } },
                OnDelete::Pull => {
                    doc! { "$pull": { rule.field: { "$in": level.ids.clone() } } }
                }
                OnDelete::Cascade | OnDelete::Deny => continue,
            };
            let options = UpdateOptions {
                multi: true,
                ..Default::default()
            };
            db.backend()
                .update(
                    source,
                    referencing,
                    UpdateModification::Document(update),
                    options,
                )
                .await?;
        }
    }
    // Cascaded documents, deepest first; the caller deletes the roots last,
    // so an interrupted delete leaves them in place to be deleted again.
    for level in levels.iter().skip(1).rev() {
        delete_ids(db, &level.ns, &level.ids).await?;
    }
    Ok(())
}

/// The `_id`s of the documents matching `filter` (at most `limit`, 0 = all).
async fn ids_matching(
    db: &Database,
    ns: &Namespace,
    filter: BsonDocument,
    limit: u64,
) -> Result<Vec<Bson>> {
    let options = FindOptions {
        projection: Some(doc! { "_id": 1 }),
        limit,
        ..Default::default()
    };
    ids_found(db, ns, filter, options).await
}

/// The `_id`s of what `find` returns with these options.
async fn ids_found(
    db: &Database,
    ns: &Namespace,
    filter: BsonDocument,
    options: FindOptions,
) -> Result<Vec<Bson>> {
    let raws: Vec<RawDocumentBuf> = db
        .backend()
        .find(ns.clone(), filter, options)
        .await?
        .try_collect()
        .await?;
    Ok(raws
        .iter()
        .filter_map(|raw| raw.get("_id").ok().flatten())
        .filter_map(|id| Bson::try_from(id).ok())
        .collect())
}

async fn delete_ids(db: &Database, ns: &Namespace, ids: &[Bson]) -> Result<DeleteResult> {
    let options = DeleteOptions {
        multi: true,
        ..Default::default()
    };
    db.backend()
        .delete(ns.clone(), doc! { "_id": { "$in": ids } }, options)
        .await
}

/// An id as a hashable key: its BSON bytes, type included.
fn id_key(id: &Bson) -> Vec<u8> {
    RawDocumentBuf::try_from(&doc! { "k": id.clone() })
        .map(RawDocumentBuf::into_bytes)
        .unwrap_or_default()
}

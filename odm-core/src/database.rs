//! `Database`: a backend and a database name, the entry point of the typed API.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::backend::memory::MemoryBackend;
use crate::backend::{Backend, CommandLog, Namespace, TxnHandle};
use crate::collection::Collection;
use crate::document::Document;
use crate::error::Result;
use crate::transaction::{InTxn, Transaction};

/// The database name used when none is given (`Database::memory()`, a URI without one).
pub const DEFAULT_DATABASE: &str = "odm";

/// A database on some backend. Cheap to clone (an `Arc` inside); share it
/// across tasks.
///
/// ```
/// # async fn demo() -> odm_core::Result<()> {
/// let db = odm_core::Database::memory();
/// assert_eq!(db.name(), "odm");
/// assert_eq!(db.backend().name(), "memory");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Database {
    backend: Arc<dyn Backend>,
    name: Arc<str>,
    /// The transaction this handle is bound to (its backend is then an
    /// [`InTxn`] wrapping the real one).
    txn: Option<TxnHandle>,
}

impl Database {
    /// A database named `odm` on a fresh in-memory engine: nothing to install,
    /// MongoDB's semantics, gone when the last clone is dropped.
    pub fn memory() -> Self {
        Self::with_backend(Arc::new(MemoryBackend::new()), DEFAULT_DATABASE)
    }

    /// The database `name` on any backend (your own included).
    pub fn with_backend(backend: Arc<dyn Backend>, name: impl Into<Arc<str>>) -> Self {
        Database {
            backend,
            name: name.into(),
            txn: None,
        }
    }

    /// The same backend, another database (in the same transaction, if any).
    pub fn sibling(&self, name: impl Into<Arc<str>>) -> Self {
        Database {
            backend: self.backend.clone(),
            name: name.into(),
            txn: self.txn.clone(),
        }
    }

    /// Run `body` in a multi-document transaction and commit it: all of its
    /// writes become visible at once, or none. `body` gets a `Database`
    /// bound to the transaction; everything obtained from it runs inside.
    /// It returns a `Send` future: `|tx| async move { .. }`, or a boxed one
    /// (`|tx| Box::pin(async move { .. })`) when it must name its type.
    ///
    /// Like the drivers' `with_transaction`, the whole `body` runs again
    /// after an error labelled `TransientTransactionError` (a `112
    /// WriteConflict` with a concurrent writer, say) and the commit again
    /// after `UnknownTransactionCommitResult`, for up to 120 s
    /// ([`Transaction::max_time`]); any other error aborts the transaction
    /// and is returned. So `body` must be safe to run more than once.
    ///
    /// Called on a `Database` already in a transaction, `body` simply runs
    /// in that transaction (the outermost call commits). A backend without
    /// transactions returns [`Error::Unsupported`](crate::Error::Unsupported).
    ///
    /// ```
    /// # async fn demo() -> odm_core::Result<()> {
    /// use odm_core::bson::doc;
    /// let db = odm_core::Database::memory();
    /// use odm_core::backend::UpdateModification::Document as Update;
    /// let moved = db
    ///     .transaction(|tx| async move {
    ///         let (ns, b) = (tx.namespace("accounts"), tx.backend());
    ///         let debit = Update(doc! {"$inc": {"balance": -10}});
    ///         let credit = Update(doc! {"$inc": {"balance": 10}});
    ///         b.update(ns.clone(), doc! {"_id": 1}, debit, Default::default()).await?;
    ///         b.update(ns, doc! {"_id": 2}, credit, Default::default()).await?;
    ///         Ok(10)
    ///     })
    ///     .await?;
    /// assert_eq!(moved, 10);
    /// # Ok(()) }
    /// ```
    pub fn transaction<T, F, Fut>(&self, body: F) -> Transaction<F, T>
    where
        F: FnMut(Database) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        Transaction::new(self.clone(), body)
    }

    /// Whether this handle is bound to a transaction (it is the `Database`
    /// a [`transaction`](Self::transaction) body was given, or obtained from it).
    pub fn in_transaction(&self) -> bool {
        self.txn.is_some()
    }

    /// The transaction this handle is bound to, for calling a backend
    /// directly (`options.txn`).
    pub fn txn(&self) -> Option<&TxnHandle> {
        self.txn.as_ref()
    }

    /// This database bound to `txn`: its operations carry the handle.
    pub(crate) fn bound(&self, txn: TxnHandle) -> Database {
        Database {
            backend: Arc::new(InTxn::new(self.backend.clone(), txn.clone())),
            name: self.name.clone(),
            txn: Some(txn),
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The backend underneath.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// The commands the backend ran (counted always; listed while recording).
    pub fn command_log(&self) -> &CommandLog {
        self.backend.command_log()
    }

    /// The typed collection of model `M`.
    pub fn collection<M: Document>(&self) -> Collection<M> {
        Collection::new(self.clone(), M::COLLECTION)
    }

    /// The typed collection of model `M` under another name.
    pub fn collection_named<M: Document>(&self, name: &str) -> Collection<M> {
        Collection::new(self.clone(), name)
    }

    /// Sync the indexes of `M`'s collection with its declarations
    /// ([`Collection::sync_indexes`]).
    pub fn sync_indexes<M: Document>(&self) -> crate::collection::SyncIndexes<M> {
        self.collection::<M>().sync_indexes()
    }

    /// The namespace of a collection of this database.
    pub fn namespace(&self, collection: &str) -> Namespace {
        Namespace::new(self.name.clone(), collection)
    }

    /// The names of this database's collections, sorted.
    pub async fn list_collection_names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .backend
            .list_collections(self.name.to_string())
            .await?
            .into_iter()
            .map(|c| c.name)
            .collect();
        names.sort();
        Ok(names)
    }

    /// Drop the whole database.
    pub async fn drop(&self) -> Result<()> {
        self.backend.drop_database(self.name.to_string()).await
    }
}

#[cfg(feature = "mongodb")]
impl Database {
    /// Connect to a MongoDB server (a local mongod, a replica set, Atlas) with
    /// the official driver. The database is the URI's default database
    /// (`mongodb://host/shop` → `shop`), or `odm`.
    pub async fn connect(uri: &str) -> Result<Self> {
        let backend = crate::backend::mongo::MongoBackend::connect(uri).await?;
        let name = backend
            .client()
            .default_database()
            .map(|d| d.name().to_owned())
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
        Ok(Self::with_backend(Arc::new(backend), name))
    }
}

impl Database {
    /// `MONGODB_URI` from the environment, or from a `.env` file in the
    /// working directory or above: connect to it when set, otherwise use a
    /// fresh in-memory engine (and say so once through `tracing`).
    ///
    /// Without the `mongodb` feature a set `MONGODB_URI` is an
    /// [`Error::Unsupported`](crate::Error::Unsupported), never silently ignored.
    pub async fn from_env() -> Result<Self> {
        match env_uri() {
            Some(uri) => Self::connect_uri(&uri).await,
            None => {
                static ONCE: std::sync::Once = std::sync::Once::new();
                ONCE.call_once(|| {
                    tracing::info!(
                        "MONGODB_URI is not set: using odm's in-memory engine (data is not persisted)"
                    )
                });
                Ok(Self::memory())
            }
        }
    }

    #[cfg(feature = "mongodb")]
    async fn connect_uri(uri: &str) -> Result<Self> {
        Self::connect(uri).await
    }

    #[cfg(not(feature = "mongodb"))]
    async fn connect_uri(uri: &str) -> Result<Self> {
        Err(crate::Error::unsupported(
            "memory",
            format!("MONGODB_URI is set ({uri}) but odm was built without its `mongodb` feature"),
        ))
    }
}

/// `MONGODB_URI`, from the environment or a `.env` file, if set and not blank.
fn env_uri() -> Option<String> {
    #[cfg(feature = "mongodb")]
    {
        // A missing .env file is the normal case, not an error.
        let _ = dotenvy::dotenv();
    }
    std::env::var("MONGODB_URI")
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("name", &self.name)
            .field("backend", &self.backend.name())
            .field("in_transaction", &self.txn.is_some())
            .finish()
    }
}

//! Transactions over the driver: each is a `ClientSession` with a
//! transaction started on it, shared by the operations given its handle
//! (they take turns: a session runs one command at a time).
//!
//! Operations in a transaction read their cursors to the end before
//! returning, because a session's cursor can only advance with the session
//! in hand; reads inside a transaction are expected to be small.

use futures::lock::{Mutex, MutexGuard};
use mongodb::ClientSession;

use crate::backend::TxnHandle;
use crate::error::{Error, Result};

/// The state behind a driver transaction's [`TxnHandle`].
#[derive(Debug)]
pub(crate) struct MongoTxn {
    session: Mutex<ClientSession>,
}

impl MongoTxn {
    pub(crate) fn new(session: ClientSession) -> Self {
        MongoTxn {
            session: Mutex::new(session),
        }
    }

    /// The session, once the operations before have finished with it.
    pub(crate) async fn session(&self) -> MutexGuard<'_, ClientSession> {
        self.session.lock().await
    }
}

/// The driver transaction behind `txn`, if any; a handle of another
/// backend is refused.
pub(crate) fn txn_of(txn: Option<&TxnHandle>) -> Result<Option<&MongoTxn>> {
    match txn {
        None => Ok(None),
        Some(handle) => handle.downcast::<MongoTxn>().map(Some).ok_or_else(|| {
            Error::unsupported("mongodb", "a transaction handle of another backend")
        }),
    }
}

/// Await a driver action, with the transaction's session when there is one.
macro_rules! in_session {
    ($txn:expr, $action:expr) => {
        match $txn {
            None => $action.await,
            Some(t) => {
                let mut session = t.session().await;
                $action.session(&mut *session).await
            }
        }
    };
}
pub(crate) use in_session;

//! Transactions over the driver: each is a `ClientSession` with a
//! transaction started on it, shared by the operations given its handle
//! (they take turns: a session runs one command at a time).
//!
//! Operations in a transaction read their cursors to the end before
//! returning, because a session's cursor can only advance with the session
//! in hand; reads inside a transaction are expected to be small.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::lock::{Mutex, MutexGuard};
use mongodb::ClientSession;

use crate::backend::TxnHandle;
use crate::error::{CommandError, Error, Result};

/// The state behind a driver transaction's [`TxnHandle`].
#[derive(Debug)]
pub(crate) struct MongoTxn {
    session: Mutex<ClientSession>,
    /// Committed or aborted: the driver would run later operations with
    /// the session outside any transaction, so they are refused here.
    finished: AtomicBool,
}

impl MongoTxn {
    pub(crate) fn new(session: ClientSession) -> Self {
        MongoTxn {
            session: Mutex::new(session),
            finished: AtomicBool::new(false),
        }
    }

    /// The transaction is over (committed or aborted).
    pub(crate) fn finish(&self) {
        self.finished.store(true, Ordering::Release);
    }

    /// The session, once the operations before have finished with it.
    pub(crate) async fn session(&self) -> MutexGuard<'_, ClientSession> {
        self.session.lock().await
    }
}

/// The driver transaction behind a handle; a handle of another backend is
/// refused.
pub(crate) fn own(handle: &TxnHandle) -> Result<&MongoTxn> {
    handle
        .downcast::<MongoTxn>()
        .ok_or_else(|| Error::unsupported("mongodb", "a transaction handle of another backend"))
}

/// The open driver transaction an operation runs in, if any.
pub(crate) fn txn_of(txn: Option<&TxnHandle>) -> Result<Option<&MongoTxn>> {
    let Some(t) = txn.map(own).transpose()? else {
        return Ok(None);
    };
    if t.finished.load(Ordering::Acquire) {
        return Err(Error::Command(CommandError::no_such_transaction(
            "the transaction has been committed or aborted; start a new one",
        )));
    }
    Ok(Some(t))
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

//! Transactions on the wire: the fields a driver adds to the commands of a
//! transaction (`lsid`, `txnNumber`, `autocommit: false`, `startTransaction`
//! on the first) mapped onto the backend's transactions, keyed by session
//! and transaction number, plus `commitTransaction` and `abortTransaction`.
//!
//! A session holds at most one transaction, its latest: a higher
//! `txnNumber` replaces (and aborts) the previous one, as on a server.
//! Sessions without a transaction cost nothing here (the server keeps no
//! other session state), so `endSessions` only aborts open transactions.
//! A transaction still open after [`LIFETIME`] (MongoDB's
//! `transactionLifetimeLimitSeconds`) is aborted when the next one starts,
//! so a client that vanished mid-transaction does not hold its documents
//! locked forever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bson::{Bson, Document};

use crate::backend::{Backend, TxnHandle};
use crate::error::{CommandError, Error, Result};

/// The transactions of every session of a server.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    open: Mutex<HashMap<Vec<u8>, Txn>>,
}

/// How long a transaction may stay open (MongoDB's default, 60 s).
pub(crate) const LIFETIME: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
struct Txn {
    number: i64,
    handle: TxnHandle,
    started: Instant,
}

/// What a command's session fields ask for.
#[derive(Debug)]
pub(crate) enum Role {
    /// No transaction: run the command on its own.
    Plain,
    /// Run it in this transaction.
    In(TxnHandle),
}

/// A session's identity: the bytes of its `lsid.id` (a UUID).
fn session_key(body: &Document) -> Option<Vec<u8>> {
    let lsid = body.get_document("lsid").ok()?;
    match lsid.get("id") {
        Some(Bson::Binary(b)) => Some(b.bytes.clone()),
        Some(other) => Some(other.to_string().into_bytes()),
        None => None,
    }
}

fn txn_number(body: &Document) -> Option<i64> {
    match body.get("txnNumber") {
        Some(Bson::Int64(n)) => Some(*n),
        Some(Bson::Int32(n)) => Some(i64::from(*n)),
        _ => None,
    }
}

fn no_such(number: i64) -> Error {
    Error::Command(CommandError::no_such_transaction(format!(
        "Transaction with {{ txnNumber: {number} }} has been aborted."
    )))
}

impl Sessions {
    fn open(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Txn>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The transaction a command runs in, started when it says
    /// `startTransaction: true`. Commands without `autocommit: false` (plain
    /// ones, retryable writes) run on their own.
    pub async fn role(&self, backend: &Arc<dyn Backend>, body: &Document) -> Result<Role> {
        if body.get("autocommit") != Some(&Bson::Boolean(false)) {
            return Ok(Role::Plain);
        }
        let (Some(key), Some(number)) = (session_key(body), txn_number(body)) else {
            return Err(Error::Command(CommandError::new(
                50768,
                "Location50768",
                "'autocommit' field requires a transaction number and a session id",
            )));
        };
        if body.get("startTransaction") == Some(&Bson::Boolean(true)) {
            let handle = backend.start_transaction().await?;
            let now = Instant::now();
            let abandoned: Vec<Txn> = {
                let mut open = self.open();
                let mut out: Vec<Txn> = open
                    .extract_if(|_, t| now.duration_since(t.started) > LIFETIME)
                    .map(|(_, t)| t)
                    .collect();
                let txn = Txn {
                    number,
                    handle: handle.clone(),
                    started: now,
                };
                // The session's previous transaction is over.
                out.extend(open.insert(key, txn));
                out
            };
            for old in abandoned {
                // Committed ones refuse the abort: nothing to undo.
                let _ = backend.abort_transaction(old.handle).await;
            }
            return Ok(Role::In(handle));
        }
        let current = self.open().get(&key).cloned();
        match current {
            Some(txn) if txn.number == number => Ok(Role::In(txn.handle)),
            _ => Err(no_such(number)),
        }
    }

    /// `commitTransaction` / `abortTransaction` (`commit` false).
    pub async fn finish(
        &self,
        backend: &Arc<dyn Backend>,
        body: &Document,
        commit: bool,
    ) -> Result<()> {
        let (Some(key), Some(number)) = (session_key(body), txn_number(body)) else {
            return Err(Error::Command(CommandError::new(
                50768,
                "Location50768",
                "commitTransaction and abortTransaction need a transaction number and a session id",
            )));
        };
        let current = self.open().get(&key).cloned();
        let Some(txn) = current.filter(|t| t.number == number) else {
            return Err(no_such(number));
        };
        if commit {
            // Kept after the commit: a driver retries a commit whose reply
            // it lost, and a committed transaction commits again as a no-op.
            backend.commit_transaction(txn.handle).await
        } else {
            let result = backend.abort_transaction(txn.handle).await;
            let mut open = self.open();
            if open.get(&key).is_some_and(|t| t.number == number) {
                open.remove(&key);
            }
            result
        }
    }

    /// `endSessions`: abort the transactions still open in these sessions.
    pub async fn end(&self, backend: &Arc<dyn Backend>, body: &Document) {
        let Ok(ids) = body.get_array("endSessions") else {
            return;
        };
        let keys: Vec<Vec<u8>> = ids
            .iter()
            .filter_map(|lsid| match lsid {
                Bson::Document(d) => session_key(&bson::doc! {"lsid": d.clone()}),
                _ => None,
            })
            .collect();
        let ended: Vec<Txn> = {
            let mut open = self.open();
            keys.iter().filter_map(|k| open.remove(k)).collect()
        };
        for txn in ended {
            // A committed transaction refuses the abort: nothing to undo.
            let _ = backend.abort_transaction(txn.handle).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::memory::MemoryBackend;
    use bson::{doc, spec::BinarySubtype, Binary};

    fn lsid(n: u8) -> Document {
        doc! {"id": Binary { subtype: BinarySubtype::Uuid, bytes: vec![n; 16] }}
    }

    #[tokio::test]
    async fn commands_join_the_transaction_their_session_started() {
        let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
        let sessions = Sessions::default();
        let plain = doc! {"find": "c", "lsid": lsid(1)};
        assert!(matches!(
            sessions.role(&backend, &plain).await.unwrap(),
            Role::Plain
        ));
        // A transaction that was never started.
        let orphan = doc! {"find": "c", "lsid": lsid(1), "txnNumber": 1_i64, "autocommit": false};
        let e = sessions.role(&backend, &orphan).await.unwrap_err();
        assert_eq!(e.code(), Some(251));
        assert!(e.has_error_label(crate::error::TRANSIENT_TRANSACTION_ERROR));

        let first = doc! {"insert": "c", "lsid": lsid(1), "txnNumber": 1_i64,
        "autocommit": false, "startTransaction": true};
        let Role::In(started) = sessions.role(&backend, &first).await.unwrap() else {
            panic!("not in a transaction")
        };
        let Role::In(joined) = sessions.role(&backend, &orphan).await.unwrap() else {
            panic!("not in a transaction")
        };
        assert!(started.same(&joined));
        // Another session does not see it.
        let other = doc! {"find": "c", "lsid": lsid(2), "txnNumber": 1_i64, "autocommit": false};
        assert!(sessions.role(&backend, &other).await.is_err());

        let commit = doc! {"commitTransaction": 1, "lsid": lsid(1), "txnNumber": 1_i64};
        sessions.finish(&backend, &commit, true).await.unwrap();
        // Retried commit: still fine.
        sessions.finish(&backend, &commit, true).await.unwrap();
        let stale = doc! {"commitTransaction": 1, "lsid": lsid(1), "txnNumber": 0_i64};
        assert_eq!(
            sessions
                .finish(&backend, &stale, true)
                .await
                .unwrap_err()
                .code(),
            Some(251)
        );
    }

    #[tokio::test]
    async fn a_transaction_past_its_lifetime_is_aborted_when_another_starts() {
        let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
        let sessions = Sessions::default();
        let start = |n: u8| {
            doc! {"insert": "c", "lsid": lsid(n), "txnNumber": 1_i64,
            "autocommit": false, "startTransaction": true}
        };
        let Role::In(old) = sessions.role(&backend, &start(1)).await.unwrap() else {
            panic!("not in a transaction")
        };
        for txn in sessions.open().values_mut() {
            txn.started -= LIFETIME + Duration::from_secs(1);
        }
        sessions.role(&backend, &start(2)).await.unwrap();
        assert_eq!(sessions.open().len(), 1);
        let e = backend.commit_transaction(old).await.unwrap_err();
        assert_eq!(e.code(), Some(251));
    }
}

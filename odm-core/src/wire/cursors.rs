//! Server-side cursors: the rest of a `find`/`aggregate`/`list*` result,
//! handed out batch by batch through `getMore`.
//!
//! A cursor is taken out of the registry while a batch is being filled, so
//! the lock is never held across an await; a cursor idle for ten minutes is
//! dropped, as MongoDB's `cursorTimeoutMillis` does.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bson::RawDocumentBuf;
use futures::StreamExt;

use super::frame::MAX_BSON_SIZE;
use crate::backend::DocStream;
use crate::error::Result;

/// MongoDB's default `cursorTimeoutMillis`.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Room for the batch in a 16 MiB reply, less the reply's own fields.
const MAX_BATCH_BYTES: usize = MAX_BSON_SIZE - 16 * 1024;

/// An open cursor.
pub struct Cursor {
    /// `db.coll` it reads (getMore must name the same collection).
    pub ns: String,
    stream: DocStream,
    /// A document read but not sent: it did not fit the last batch.
    pending: Option<RawDocumentBuf>,
    last_used: Instant,
}

impl Cursor {
    /// A cursor over `stream`.
    pub fn new(ns: String, stream: DocStream) -> Self {
        Cursor {
            ns,
            stream,
            pending: None,
            last_used: Instant::now(),
        }
    }

    /// Up to `limit` documents (all that fit 16 MiB when `None`), and
    /// whether the cursor is exhausted.
    pub async fn next_batch(
        &mut self,
        limit: Option<usize>,
    ) -> Result<(Vec<RawDocumentBuf>, bool)> {
        self.last_used = Instant::now();
        let mut batch = Vec::new();
        let mut bytes = 0;
        let limit = limit.unwrap_or(usize::MAX);
        while batch.len() < limit {
            let doc = match self.pending.take() {
                Some(d) => d,
                None => match self.stream.next().await {
                    Some(d) => d?,
                    None => return Ok((batch, true)),
                },
            };
            let len = doc.as_bytes().len();
            if bytes + len > MAX_BATCH_BYTES && !batch.is_empty() {
                self.pending = Some(doc);
                return Ok((batch, false));
            }
            bytes += len;
            batch.push(doc);
        }
        // Full: look one document ahead so an exhausted cursor reports id 0
        // rather than costing the client a getMore that returns nothing.
        if self.pending.is_none() {
            match self.stream.next().await {
                Some(d) => self.pending = Some(d?),
                None => return Ok((batch, true)),
            }
        }
        Ok((batch, false))
    }
}

/// The open cursors of a server.
#[derive(Default)]
pub struct Cursors {
    open: Mutex<HashMap<i64, Cursor>>,
}

impl std::fmt::Debug for Cursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.open.lock().map(|m| m.len()).unwrap_or(0);
        write!(f, "Cursors({n} open)")
    }
}

impl Cursors {
    /// Keep a cursor; returns its id (positive, never 0).
    pub fn insert(&self, cursor: Cursor) -> i64 {
        let Ok(mut open) = self.open.lock() else {
            return 0;
        };
        expire(&mut open);
        loop {
            let id = (uuid::Uuid::new_v4().as_u64_pair().0 >> 1) as i64;
            if id != 0 && !open.contains_key(&id) {
                open.insert(id, cursor);
                return id;
            }
        }
    }

    /// Take a cursor out to fill a batch (put it back with [`insert_at`](Self::insert_at)).
    pub fn take(&self, id: i64) -> Option<Cursor> {
        let mut open = self.open.lock().ok()?;
        expire(&mut open);
        open.remove(&id)
    }

    /// Put a cursor back under its id.
    pub fn insert_at(&self, id: i64, cursor: Cursor) {
        if let Ok(mut open) = self.open.lock() {
            open.insert(id, cursor);
        }
    }

    /// Close a cursor; whether it was open.
    pub fn kill(&self, id: i64) -> bool {
        self.open
            .lock()
            .map(|mut open| open.remove(&id).is_some())
            .unwrap_or(false)
    }

    /// Drop the cursors idle for longer than [`IDLE_TIMEOUT`].
    pub fn expire_idle(&self) {
        if let Ok(mut open) = self.open.lock() {
            expire(&mut open);
        }
    }

    /// How many cursors are open.
    pub fn len(&self) -> usize {
        self.open.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether no cursor is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn expire(open: &mut HashMap<i64, Cursor>) {
    let now = Instant::now();
    open.retain(|_, c| now.duration_since(c.last_used) < IDLE_TIMEOUT);
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn stream(n: i32) -> DocStream {
        let docs: Vec<Result<RawDocumentBuf>> = (0..n)
            .map(|i| Ok(RawDocumentBuf::try_from(&doc! { "i": i }).unwrap()))
            .collect();
        futures::stream::iter(docs).boxed()
    }

    #[tokio::test]
    async fn batches_report_exhaustion_without_an_empty_getmore() {
        let mut c = Cursor::new("d.c".into(), stream(4));
        let (b, done) = c.next_batch(Some(2)).await.unwrap();
        assert_eq!((b.len(), done), (2, false));
        let (b, done) = c.next_batch(Some(2)).await.unwrap();
        assert_eq!((b.len(), done), (2, true));
        let mut c = Cursor::new("d.c".into(), stream(3));
        let (b, done) = c.next_batch(None).await.unwrap();
        assert_eq!((b.len(), done), (3, true));
    }

    #[tokio::test]
    async fn a_batch_stops_before_16_mib() {
        let big = "x".repeat(3 * 1024 * 1024);
        let docs: Vec<Result<RawDocumentBuf>> = (0..8)
            .map(|i| Ok(RawDocumentBuf::try_from(&doc! { "i": i, "s": big.clone() }).unwrap()))
            .collect();
        let mut c = Cursor::new("d.c".into(), futures::stream::iter(docs).boxed());
        let (b, done) = c.next_batch(None).await.unwrap();
        assert_eq!(
            (b.len(), done),
            (5, false),
            "five 3 MiB documents fit, six do not"
        );
        let (b, done) = c.next_batch(None).await.unwrap();
        assert_eq!((b.len(), done), (3, true));
    }

    #[tokio::test]
    async fn registry_hands_out_distinct_ids_and_kills() {
        let cursors = Cursors::default();
        let a = cursors.insert(Cursor::new("d.c".into(), stream(1)));
        let b = cursors.insert(Cursor::new("d.c".into(), stream(1)));
        assert!(a > 0 && b > 0 && a != b);
        let c = cursors.take(a).unwrap();
        assert!(cursors.take(a).is_none(), "taken cursors are not shared");
        cursors.insert_at(a, c);
        assert!(cursors.kill(a));
        assert!(!cursors.kill(a));
        assert_eq!(cursors.len(), 1);
    }

    #[test]
    fn idle_cursors_expire() {
        let mut open = HashMap::new();
        let mut c = Cursor::new("d.c".into(), stream(1));
        match Instant::now().checked_sub(IDLE_TIMEOUT + Duration::from_secs(1)) {
            Some(old) => c.last_used = old,
            None => return, // a clock too young to go back 10 minutes
        }
        open.insert(1, c);
        open.insert(2, Cursor::new("d.c".into(), stream(1)));
        expire(&mut open);
        assert_eq!(open.keys().copied().collect::<Vec<_>>(), [2]);
    }
}

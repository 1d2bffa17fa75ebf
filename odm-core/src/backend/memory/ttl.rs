//! TTL indexes: documents whose indexed date (the earliest, for an array)
//! is older than `expireAfterSeconds` are deleted.
//!
//! MongoDB's monitor runs every 60 seconds; the engine expires lazily
//! instead, when a collection holding a TTL index is locked and its last
//! pass is at least a second old ([`TtlClock::due`]), and on demand with
//! [`MemoryBackend::expire_ttl_now`] for deterministic tests. Values that
//! are not dates never expire.

use std::sync::atomic::{AtomicI64, Ordering};

use bson::raw::{RawBsonRef, RawDocument};

use bson::spec::ElementType;

use super::catalog::{CollState, Entry};
use super::compare::type_rank;
use super::keys;
use super::postings::path_values;
use super::MemoryBackend;
use crate::backend::Namespace;

/// The least time between two lazy passes over one collection.
const PERIOD_MS: i64 = 1000;

/// When a collection's TTL indexes last expired documents (ms since the
/// epoch; shared by readers, so atomic).
#[derive(Debug, Default)]
pub(crate) struct TtlClock {
    last_run: AtomicI64,
}

impl Clone for TtlClock {
    fn clone(&self) -> Self {
        TtlClock {
            last_run: AtomicI64::new(self.last_run.load(Ordering::Relaxed)),
        }
    }
}

fn now_ms() -> i64 {
    bson::DateTime::now().timestamp_millis()
}

impl CollState {
    /// Whether a lazy TTL pass is due (cheap: no TTL index, no clock read).
    pub(crate) fn ttl_due(&self) -> bool {
        let has_ttl = self
            .indexes
            .list()
            .iter()
            .any(|i| i.model.expire_after_secs.is_some());
        has_ttl && now_ms() - self.indexes.ttl.last_run.load(Ordering::Relaxed) >= PERIOD_MS
    }

    /// Run a TTL pass if one is due; returns how many documents expired.
    pub(crate) fn expire_ttl_if_due(&mut self) -> u64 {
        if self.ttl_due() {
            self.expire_ttl(now_ms())
        } else {
            0
        }
    }

    /// Delete every document a TTL index says has expired at `now_ms`;
    /// returns how many.
    pub(crate) fn expire_ttl(&mut self, now_ms: i64) -> u64 {
        self.indexes.ttl.last_run.store(now_ms, Ordering::Relaxed);
        let mut doomed = Vec::new();
        for index in self.indexes.list() {
            let (Some(secs), [path]) = (index.model.expire_after_secs, index.paths.as_slice())
            else {
                continue;
            };
            let secs = i64::try_from(secs).unwrap_or(i64::MAX);
            let cutoff = now_ms.saturating_sub(secs.saturating_mul(1000));
            // The dates of the index, up to the cutoff: a range of its keys.
            let date_rank = [type_rank(ElementType::DateTime)];
            let mut limit = Vec::new();
            keys::encode(
                RawBsonRef::DateTime(bson::DateTime::from_millis(cutoff)),
                &mut limit,
            );
            let descending = index.descending.first().copied().unwrap_or(false);
            let postings: Vec<usize> = if descending {
                keys::invert(&mut limit);
                let mut start = date_rank;
                keys::invert(&mut start);
                let end = keys::prefix_end(&start);
                index
                    .entries
                    .range(&limit, end.as_deref())
                    .flat_map(|p| p.iter())
                    .collect()
            } else {
                index
                    .entries
                    .range(&date_rank, Some(&limit))
                    .flat_map(|p| p.iter())
                    .collect()
            };
            for slot in postings {
                let expired = self
                    .store
                    .get(slot)
                    .is_some_and(|d| expired(d, path, cutoff));
                if expired {
                    doomed.push(slot);
                }
            }
        }
        doomed.sort_unstable();
        doomed.dedup();
        let mut n = 0;
        for slot in doomed {
            if let Some(old) = self.store.remove(slot) {
                self.indexes.remove(slot, &old);
                n += 1;
            }
        }
        self.compact();
        n
    }
}

/// Whether the earliest date at `path` is before `cutoff`.
fn expired(doc: &RawDocument, path: &str, cutoff: i64) -> bool {
    path_values(doc, path)
        .0
        .into_iter()
        .filter_map(|v| match v {
            RawBsonRef::DateTime(d) => Some(d.timestamp_millis()),
            _ => None,
        })
        .min()
        .is_some_and(|earliest| earliest < cutoff)
}

impl MemoryBackend {
    /// Run every TTL index now: delete the documents whose indexed date is
    /// older than the index's `expireAfterSeconds`; returns how many were
    /// deleted.
    ///
    /// The engine also expires lazily (at most once a second per collection,
    /// when the collection is next used), as MongoDB's TTL monitor does every
    /// 60 seconds; call this in tests for a deterministic point of expiry.
    pub fn expire_ttl_now(&self) -> u64 {
        let now = now_ms();
        let mut n = 0;
        for db in self.catalog.databases() {
            for info in self.catalog.list(&db) {
                let ns = Namespace::new(db.as_str(), info.name.as_str());
                if let Some(Entry::Collection(c)) = self.catalog.entry(&ns) {
                    n += c.write().expire_ttl(now);
                }
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use bson::{doc, Bson, Document, RawDocumentBuf};

    use super::*;
    use crate::backend::IndexModel;

    fn state_with(docs: Vec<Document>, model: IndexModel) -> CollState {
        let ns = Namespace::new("db", "c");
        let mut s = CollState::default();
        for d in docs {
            s.insert_one(&ns, RawDocumentBuf::try_from(&d).unwrap(), false)
                .unwrap();
        }
        let s_ref = &mut s;
        s_ref
            .indexes
            .create(&ns, &s_ref.store, vec![model])
            .unwrap();
        s
    }

    fn ids(s: &CollState) -> Vec<i32> {
        s.store
            .iter()
            .map(|(_, d)| d.get_i32("_id").unwrap())
            .collect()
    }

    fn at(ms: i64) -> Bson {
        Bson::DateTime(bson::DateTime::from_millis(ms))
    }

    #[test]
    fn expires_old_dates_only() {
        for dir in [1, -1] {
            let mut model = IndexModel::new(doc! {"at": dir});
            model.expire_after_secs = Some(10);
            let mut s = state_with(
                vec![
                    doc! {"_id": 1, "at": at(1_000)},
                    doc! {"_id": 2, "at": at(95_000)},
                    doc! {"_id": 3, "at": "old"},
                    doc! {"_id": 4},
                    doc! {"_id": 5, "at": [at(99_000), at(2_000)]},
                    doc! {"_id": 6, "at": at(89_999)},
                ],
                model,
            );
            // now = 100 s: anything before 90 s has expired.
            assert_eq!(s.expire_ttl(100_000), 3);
            assert_eq!(ids(&s), [2, 3, 4]);
            // The index follows the deletes.
            assert_eq!(s.expire_ttl(100_000), 0);
        }
    }

    #[test]
    fn lazy_passes_are_rate_limited() {
        let mut model = IndexModel::new(doc! {"at": 1});
        model.expire_after_secs = Some(0);
        let mut s = state_with(vec![doc! {"_id": 1, "at": at(0)}], model);
        assert!(s.ttl_due());
        s.expire_ttl_if_due();
        assert!(ids(&s).is_empty());
        assert!(!s.ttl_due(), "a pass just ran");
        let plain = state_with(vec![], IndexModel::new(doc! {"at": 1}));
        assert!(!plain.ttl_due());
    }
}

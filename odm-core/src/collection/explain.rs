//! `find(..).explain()`: how the backend runs a query, read from MongoDB's
//! `explain` output (the in-memory engine answers in the same shape).

use std::future::IntoFuture;

use bson::{Bson, Document as BsonDocument};

use crate::backend::BoxFuture;
use crate::document::Document;
use crate::error::Result;

use super::read::Find;

/// What `explain` says of a query: the access stage chosen, the index (if
/// any) and what running it examined.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Explain {
    /// The index the plan reads, if any (`"_id_"` for `_id` lookups).
    pub index_name: Option<String>,
    /// The stage reading the collection: `"IXSCAN"`, `"COLLSCAN"`,
    /// `"IDHACK"`, `"EOF"` (no collection) or the server's own variant
    /// (`"EXPRESS_IXSCAN"`...).
    pub stage: String,
    /// Index entries examined (`totalKeysExamined`).
    pub keys_examined: u64,
    /// Documents examined (`totalDocsExamined`).
    pub docs_examined: u64,
    /// Documents returned (`nReturned`).
    pub returned: u64,
    /// The whole `explain` reply.
    pub raw: BsonDocument,
}

impl Explain {
    /// Read the fields of an `explain` reply (`executionStats` verbosity).
    pub fn from_document(raw: BsonDocument) -> Self {
        let planner = raw.get_document("queryPlanner").ok();
        // Classic plans are `winningPlan`; SBE nests them in `queryPlan`.
        let winning = planner
            .and_then(|p| p.get_document("winningPlan").ok())
            .map(|w| w.get_document("queryPlan").unwrap_or(w));
        let mut stage = String::new();
        let mut index_name = None;
        let mut node = winning;
        while let Some(n) = node {
            if let Ok(s) = n.get_str("stage") {
                stage = s.to_owned();
            }
            if let Ok(name) = n.get_str("indexName") {
                index_name.get_or_insert_with(|| name.to_owned());
            }
            node = n.get_document("inputStage").ok().or_else(|| {
                n.get_array("inputStages")
                    .ok()
                    .and_then(|a| a.first())
                    .and_then(Bson::as_document)
            });
        }
        let stats = raw.get_document("executionStats").ok();
        let number = |key: &str| {
            stats
                .and_then(|s| s.get(key))
                .and_then(|v| match v {
                    Bson::Int32(i) => u64::try_from(*i).ok(),
                    Bson::Int64(i) => u64::try_from(*i).ok(),
                    Bson::Double(d) if *d >= 0.0 => Some(*d as u64),
                    _ => None,
                })
                .unwrap_or(0)
        };
        Explain {
            index_name,
            stage,
            keys_examined: number("totalKeysExamined"),
            docs_examined: number("totalDocsExamined"),
            returned: number("nReturned"),
            raw,
        }
    }
}

/// [`Find::explain`]: awaits to an [`Explain`].
#[must_use = "operations do nothing unless awaited"]
pub struct ExplainFind<'a, M> {
    pub(super) find: Find<'a, M>,
}

impl<'a, M: Document> IntoFuture for ExplainFind<'a, M> {
    type Output = Result<Explain>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let backend = self.find.backend().clone();
            let (ns, filter, options) = self.find.into_parts()?;
            let raw = backend.explain(ns, filter, options).await?;
            Ok(Explain::from_document(raw))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn reads_the_access_stage_under_fetch_and_sort() {
        let raw = doc! {
            "queryPlanner": {"winningPlan": {
                "stage": "SORT",
                "inputStage": {"stage": "FETCH", "inputStage": {"stage": "IXSCAN", "indexName": "age_1"}},
            }},
            "executionStats": {"nReturned": 3, "totalKeysExamined": 4i64, "totalDocsExamined": 4.0},
        };
        let e = Explain::from_document(raw);
        assert_eq!(e.stage, "IXSCAN");
        assert_eq!(e.index_name.as_deref(), Some("age_1"));
        assert_eq!((e.keys_examined, e.docs_examined, e.returned), (4, 4, 3));
    }

    #[test]
    fn reads_sbe_plans_and_collection_scans() {
        let raw = doc! {
            "queryPlanner": {"winningPlan": {"queryPlan": {"stage": "COLLSCAN"}}},
            "executionStats": {"nReturned": 0, "totalDocsExamined": 10},
        };
        let e = Explain::from_document(raw);
        assert_eq!(e.stage, "COLLSCAN");
        assert_eq!(e.index_name, None);
        assert_eq!(e.docs_examined, 10);
    }
}

//! `explain` for `find`: the plan the planner chose, shaped as MongoDB's
//! `queryPlanner.winningPlan`, and the statistics of running it
//! (`executionStats`).

use bson::{doc, Document};

use super::catalog::{CollState, Entry};
use super::collation::Collation;
use super::plan::{self, Access, Plan, Stats};
use super::read::{Order, Selector};
use super::sort::SortSpec;
use super::MemoryBackend;
use crate::backend::{FindOptions, Namespace};
use crate::error::Result;

impl MemoryBackend {
    /// Plan and run `find`, answering as `explain` with `executionStats`.
    pub(crate) fn explain_find(
        &self,
        ns: &Namespace,
        filter: Document,
        options: &FindOptions,
    ) -> Result<Document> {
        let collation = Collation::from_option(options.collation.as_deref())?;
        let selector =
            Selector::with_collation(&filter, options.let_vars.as_deref(), collation.as_ref())?;
        let sort_doc = options.sort.as_ref().filter(|s| !s.is_empty());
        let spec = sort_doc
            .map(|s| SortSpec::compile_with_collation(s, collation.as_ref()))
            .transpose()?;
        let fields = sort_doc.and_then(plan::sort_fields);
        let order = match (&spec, &fields) {
            (Some(spec), Some(fields)) => Some(Order { fields, spec }),
            _ => None,
        };
        let (winning, stats, returned) = match self.catalog.entry(ns) {
            Some(Entry::Collection(c)) => {
                let state = c.read();
                let hint = state.indexes.resolve_hint(options.hint.as_deref())?;
                let plan = selector.plan(&state, fields.as_deref(), hint);
                let (hits, stats) =
                    selector.select_planned(&state, &plan, order, options.skip, options.limit)?;
                (describe(&state, &plan, sort_doc), stats, hits.len())
            }
            Some(Entry::View(_)) => {
                let returned = self.find_docs(ns, &filter, options)?.len();
                let stats = Stats::default();
                (
                    doc! {"stage": "COLLSCAN", "direction": "forward"},
                    stats,
                    returned,
                )
            }
            None => (doc! {"stage": "EOF"}, Stats::default(), 0),
        };
        let mut stages = winning.clone();
        stages.insert("nReturned", returned as i64);
        Ok(doc! {
            "explainVersion": "1",
            "queryPlanner": {
                "namespace": ns.to_string(),
                "parsedQuery": filter,
                "winningPlan": winning,
                "rejectedPlans": [],
            },
            "executionStats": {
                "executionSuccess": true,
                "nReturned": returned as i64,
                "executionTimeMillis": 0i64,
                "totalKeysExamined": stats.keys_examined as i64,
                "totalDocsExamined": stats.docs_examined as i64,
                "executionStages": stages,
            },
            "ok": 1.0,
        })
    }
}

/// `explain`'s `winningPlan` for a plan over `state`.
pub(crate) fn describe(state: &CollState, plan: &Plan, sort: Option<&Document>) -> Document {
    let access = match &plan.access {
        Access::Scan => doc! {"stage": "COLLSCAN", "direction": "forward"},
        Access::Ids(_) if plan.id_only => doc! {"stage": "IDHACK"},
        Access::Ids(_) => doc! {
            "stage": "FETCH",
            "inputStage": {
                "stage": "IXSCAN",
                "keyPattern": {"_id": 1},
                "indexName": "_id_",
                "isMultiKey": false,
                "isUnique": true,
                "direction": "forward",
            },
        },
        Access::Index { pos, reverse, .. } => match state.indexes.list().get(*pos) {
            Some(index) => doc! {
                "stage": "FETCH",
                "inputStage": {
                    "stage": "IXSCAN",
                    "keyPattern": index.model.keys.clone(),
                    "indexName": index.name.clone(),
                    "isMultiKey": index.entries.multikey,
                    "isUnique": index.model.unique,
                    "isSparse": index.model.sparse,
                    "isPartial": index.is_partial(),
                    "direction": if *reverse { "backward" } else { "forward" },
                },
            },
            None => doc! {"stage": "COLLSCAN", "direction": "forward"},
        },
    };
    match sort.filter(|s| !s.is_empty()) {
        Some(s) if !plan.sorted => doc! {
            "stage": "SORT",
            "sortPattern": s.clone(),
            "inputStage": access,
        },
        _ => access,
    }
}

#[cfg(test)]
mod tests {
    use bson::{doc, rawdoc, Bson, Document};

    use super::super::MemoryBackend;
    use crate::backend::{Backend, FindOptions, IndexModel, InsertOptions, Namespace};

    fn ns() -> Namespace {
        Namespace::new("db", "c")
    }

    async fn backend() -> MemoryBackend {
        let b = MemoryBackend::new();
        let docs = (0..20)
            .map(|i| rawdoc! {"_id": i, "n": i % 5, "s": i})
            .collect();
        b.insert(ns(), docs, InsertOptions::default())
            .await
            .unwrap();
        b.create_indexes(ns(), vec![IndexModel::new(doc! {"n": 1})])
            .await
            .unwrap();
        b
    }

    fn leaf(plan: &Document) -> &Document {
        match plan.get_document("inputStage") {
            Ok(inner) => leaf(inner),
            Err(_) => plan,
        }
    }

    async fn explain(b: &MemoryBackend, filter: Document, options: FindOptions) -> Document {
        b.explain(ns(), filter, options).await.unwrap()
    }

    #[tokio::test]
    async fn names_the_index_and_counts_what_it_read() {
        let b = backend().await;
        let e = explain(&b, doc! {"n": 3}, FindOptions::default()).await;
        let winning = e
            .get_document("queryPlanner")
            .unwrap()
            .get_document("winningPlan")
            .unwrap();
        assert_eq!(winning.get_str("stage").unwrap(), "FETCH");
        let scan = leaf(winning);
        assert_eq!(scan.get_str("stage").unwrap(), "IXSCAN");
        assert_eq!(scan.get_str("indexName").unwrap(), "n_1");
        assert_eq!(scan.get_document("keyPattern").unwrap(), &doc! {"n": 1});
        let stats = e.get_document("executionStats").unwrap();
        assert_eq!(stats.get_i64("nReturned").unwrap(), 4);
        assert_eq!(stats.get_i64("totalKeysExamined").unwrap(), 4);
        assert_eq!(stats.get_i64("totalDocsExamined").unwrap(), 4);
    }

    #[tokio::test]
    async fn id_lookups_scans_and_sorts() {
        let b = backend().await;
        let e = explain(&b, doc! {"_id": 7}, FindOptions::default()).await;
        let winning = e
            .get_document("queryPlanner")
            .unwrap()
            .get_document("winningPlan")
            .unwrap();
        assert_eq!(winning.get_str("stage").unwrap(), "IDHACK");

        let sorted = FindOptions {
            sort: Some(doc! {"s": -1}),
            ..FindOptions::default()
        };
        let e = explain(&b, doc! {"s": {"$gt": 15}}, sorted).await;
        let winning = e
            .get_document("queryPlanner")
            .unwrap()
            .get_document("winningPlan")
            .unwrap();
        assert_eq!(winning.get_str("stage").unwrap(), "SORT");
        assert_eq!(leaf(winning).get_str("stage").unwrap(), "COLLSCAN");
        let stats = e.get_document("executionStats").unwrap();
        assert_eq!(stats.get_i64("totalDocsExamined").unwrap(), 20);
        assert_eq!(stats.get_i64("nReturned").unwrap(), 4);

        let walk = FindOptions {
            sort: Some(doc! {"n": -1}),
            limit: 2,
            ..FindOptions::default()
        };
        let e = explain(&b, doc! {}, walk).await;
        let winning = e
            .get_document("queryPlanner")
            .unwrap()
            .get_document("winningPlan")
            .unwrap();
        assert_eq!(winning.get_str("stage").unwrap(), "FETCH");
        assert_eq!(leaf(winning).get_str("direction").unwrap(), "backward");
        let stats = e.get_document("executionStats").unwrap();
        assert_eq!(
            stats.get_i64("totalDocsExamined").unwrap(),
            2,
            "the walk stops at the limit"
        );
    }

    #[tokio::test]
    async fn a_hint_naming_no_index_is_bad_value() {
        let b = backend().await;
        let options = FindOptions {
            hint: Some(Box::new(Bson::String("missing_1".into()))),
            ..FindOptions::default()
        };
        let err = b.explain(ns(), doc! {}, options).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("hint provided does not correspond"),
            "{err}"
        );
    }
}

//! The start of a pipeline over a collection's stored raw documents: the
//! leading `$match` stages test the raw bytes (as `find` does), so a
//! document that does not match is never decoded; a `$group` right after
//! them reads its key and arguments in place ([`super::raw`]); otherwise
//! each document is decoded to the top-level fields the pipeline can read
//! ([`super::deps`]) before the remaining stages run.

use bson::raw::RawDocument;
use bson::Document;

use super::deps;
use super::stages::{self, Ctx, Stage};
use crate::error::CommandError;

/// Run compiled `stages` over stored documents.
pub(crate) fn run<'r>(
    input: impl IntoIterator<Item = &'r RawDocument>,
    stages: &[Stage],
    ctx: &Ctx<'_>,
) -> Result<Vec<Document>, CommandError> {
    let leading = stages
        .iter()
        .take_while(|s| matches!(s, Stage::Match(_)))
        .count();
    let (matches, rest) = stages.split_at(leading);
    let matchers: Vec<_> = matches
        .iter()
        .filter_map(|s| match s {
            Stage::Match(m) if !m.is_match_all() => Some(m),
            _ => None,
        })
        .collect();
    let selected = input.into_iter().filter_map(move |d| {
        for m in &matchers {
            match m.matches(d) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(d))
    });
    match rest.split_first() {
        Some((Stage::Group(g), after)) if g.raw_capable() => {
            let grouped = g.run_raw(selected, ctx.vars)?;
            stages::run(after, grouped, ctx)
        }
        _ => {
            let needs = deps::of_stages(rest);
            let docs = selected
                .map(|d| needs.decode(d?))
                .collect::<Result<Vec<_>, _>>()?;
            stages::run(rest, docs, ctx)
        }
    }
}

#[cfg(test)]
mod tests {
    use bson::{doc, Bson, RawDocumentBuf};

    use super::*;
    use crate::backend::memory::aggregate::expr::Vars;

    fn docs() -> Vec<Document> {
        vec![
            doc! {"_id": 1, "city": "Oslo", "age": 30, "w": 1.5, "tags": ["a", "b"]},
            doc! {"_id": 2, "city": "Bergen", "age": 40_i64, "w": 2},
            doc! {"_id": 3, "city": "Oslo", "age": 50, "w": null, "tags": []},
            doc! {"_id": 4, "age": "old"},
            doc! {"_id": 5, "city": null, "age": 2.5, "nested": {"city": "Oslo"}},
        ]
    }

    /// The pipeline's result from raw input and from decoded input.
    fn both(pipeline: &[Document]) -> (Vec<Document>, Vec<Document>) {
        let vars = Vars::default();
        let lookup = |_: &str| Ok(Vec::new());
        let ctx = Ctx {
            vars: &vars,
            lookup: &lookup,
            collation: None,
        };
        let compiled = stages::compile(pipeline, &ctx, true).unwrap();
        let raw: Vec<RawDocumentBuf> = docs()
            .iter()
            .map(|d| RawDocumentBuf::try_from(d).unwrap())
            .collect();
        let from_raw = run(raw.iter().map(|d| &**d), &compiled, &ctx).unwrap();
        let decoded = stages::run(&compiled, docs(), &ctx).unwrap();
        (from_raw, decoded)
    }

    fn agree(pipeline: &[Document]) -> Vec<Document> {
        let (a, b) = both(pipeline);
        assert_eq!(a, b, "{pipeline:?}");
        a
    }

    #[test]
    fn raw_group_agrees_with_the_decoded_group() {
        let out = agree(&[doc! {"$group": {
            "_id": "$city",
            "avg": {"$avg": "$age"},
            "sum": {"$sum": "$age"},
            "n": {"$sum": 1},
            "c": {"$count": {}},
            "sd": {"$stdDevPop": "$age"},
            "first": {"$first": "$w"},
            "last": {"$last": "$w"},
            "max": {"$max": "$age"},
            "tags": {"$push": "$tags"},
            "set": {"$addToSet": "$city"},
        }}]);
        // Missing and null cities are one group; int + long sums to a long.
        assert_eq!(out.len(), 3);
        let oslo = out
            .iter()
            .find(|d| d.get_str("_id").ok() == Some("Oslo"))
            .unwrap();
        assert_eq!(oslo.get("sum"), Some(&Bson::Int32(80)));
        assert_eq!(oslo.get("avg"), Some(&Bson::Double(40.0)));
        let null = out
            .iter()
            .find(|d| d.get("_id") == Some(&Bson::Null))
            .unwrap();
        assert_eq!(null.get("n"), Some(&Bson::Int32(2)));
        assert_eq!(null.get("avg"), Some(&Bson::Double(2.5)));
    }

    #[test]
    fn leading_matches_then_group_on_compound_and_nested_keys() {
        let out = agree(&[
            doc! {"$match": {"age": {"$type": "number"}}},
            doc! {"$match": {"_id": {"$ne": 2}}},
            doc! {"$group": {"_id": {"c": "$city", "n": "$nested.city"}, "ids": {"$push": "$_id"}}},
            doc! {"$sort": {"ids": 1}},
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], doc! {"_id": {"c": "Oslo"}, "ids": [1, 3]});
        assert_eq!(out[1], doc! {"_id": {"c": null, "n": "Oslo"}, "ids": [5]});
    }

    #[test]
    fn partial_decoding_keeps_every_stage_exact() {
        agree(&[
            doc! {"$match": {"city": "Oslo"}},
            doc! {"$project": {"age": 1, "double": {"$multiply": ["$age", 2]}}},
        ]);
        agree(&[
            doc! {"$sort": {"age": -1}},
            doc! {"$group": {"_id": {"$toUpper": "$city"}, "top": {"$top": {"output": "$_id", "sortBy": {"w": 1}}}}},
        ]);
        agree(&[doc! {"$unwind": "$tags"}, doc! {"$count": "n"}]);
        agree(&[
            doc! {"$match": {"$expr": {"$gt": ["$age", 35]}}},
            doc! {"$addFields": {"x": "$w"}},
        ]);
        let out = agree(&[
            doc! {"$match": {"city": {"$exists": false}}},
            doc! {"$replaceRoot": {"newRoot": {"a": "$age"}}},
        ]);
        assert_eq!(out, vec![doc! {"a": "old"}]);
    }

    #[test]
    fn match_errors_surface() {
        let vars = Vars::default();
        let lookup = |_: &str| Ok(Vec::new());
        let ctx = Ctx {
            vars: &vars,
            lookup: &lookup,
            collation: None,
        };
        let pipeline = [
            doc! {"$match": {"$expr": {"$divide": [1, 0]}}},
            doc! {"$group": {"_id": null}},
        ];
        let compiled = stages::compile(&pipeline, &ctx, true).unwrap();
        let raw = RawDocumentBuf::try_from(&doc! {"a": 1}).unwrap();
        let e = run([&*raw], &compiled, &ctx).unwrap_err();
        assert_eq!(e.code, 2);
    }

    /// Through the engine: the stored documents go in raw, a `$lookup` may
    /// read the same collection (the snapshot released its lock), and
    /// `$out` may replace it.
    #[tokio::test]
    async fn engine_aggregate_over_stored_documents() {
        use futures::TryStreamExt;

        use crate::backend::memory::MemoryBackend;
        use crate::backend::{AggregateOptions, Backend, InsertOptions, Namespace};

        let b = MemoryBackend::new();
        let ns = Namespace::new("db", "people");
        let raw = docs()
            .iter()
            .map(|d| RawDocumentBuf::try_from(d).unwrap())
            .collect();
        b.insert(ns.clone(), raw, InsertOptions::default())
            .await
            .unwrap();
        let run = |pipeline: Vec<Document>| {
            let b = &b;
            let ns = ns.clone();
            async move {
                let out: Vec<RawDocumentBuf> = b
                    .aggregate(ns, pipeline, AggregateOptions::default())
                    .await
                    .unwrap()
                    .try_collect()
                    .await
                    .unwrap();
                out.iter()
                    .map(|d| Document::try_from(&**d).unwrap())
                    .collect::<Vec<_>>()
            }
        };
        let out = run(vec![
            doc! {"$match": {"city": "Oslo"}},
            doc! {"$lookup": {"from": "people", "localField": "city", "foreignField": "city", "as": "same"}},
            doc! {"$group": {"_id": "$city", "n": {"$sum": {"$size": "$same"}}}},
        ])
        .await;
        assert_eq!(out, vec![doc! {"_id": "Oslo", "n": 4}]);
        let out = run(vec![
            doc! {"$group": {"_id": "$city", "ages": {"$sum": "$age"}}},
            doc! {"$sort": {"ages": -1}},
            doc! {"$limit": 1},
        ])
        .await;
        assert_eq!(out, vec![doc! {"_id": "Oslo", "ages": 80}]);
        run(vec![
            doc! {"$match": {"_id": {"$lt": 3}}},
            doc! {"$out": "people"},
        ])
        .await;
        let left = run(vec![doc! {"$project": {"_id": 1}}]).await;
        assert_eq!(left, vec![doc! {"_id": 1}, doc! {"_id": 2}]);
    }
}

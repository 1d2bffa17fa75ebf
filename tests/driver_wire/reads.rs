//! Reads: find, count, distinct, aggregate.

use super::*;

#[tokio::test]
async fn find_applies_filter_sort_skip_limit_projection_across_batches() {
    for b in common::backends().await {
        let ns = seed(&b, "people", people()).await;
        let options = opts!(FindOptions {
            sort: Some(doc! { "age": -1, "_id": 1 }),
            skip: 1,
            limit: 3,
            projection: Some(doc! { "name": 1, "_id": 0 }),
            batch_size: Some(1)
        });
        let docs = all(b
            .backend
            .find(ns.clone(), doc! { "age": { "$gte": 25 } }, options)
            .await
            .unwrap())
        .await;
        assert_eq!(
            docs,
            vec![
                doc! { "name": "ada" },
                doc! { "name": "ed" },
                doc! { "name": "bob" }
            ],
            "{}",
            b.name
        );

        // Many small batches: every document arrives once, in order.
        let options = opts!(FindOptions {
            sort: Some(doc! { "_id": 1 }),
            batch_size: Some(2)
        });
        let ids: Vec<i32> = all(b.backend.find(ns.clone(), doc! {}, options).await.unwrap())
            .await
            .iter()
            .map(|d| d.get_i32("_id").unwrap())
            .collect();
        assert_eq!(ids, [1, 2, 3, 4, 5], "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn count_and_distinct() {
    for b in common::backends().await {
        let ns = seed(&b, "people", people()).await;
        let count = |f: Document, skip, limit| {
            let o = opts!(CountOptions {
                skip: skip,
                limit: limit
            });
            b.backend.count(ns.clone(), f, o)
        };
        assert_eq!(
            count(doc! { "age": 25 }, 0, 0).await.unwrap(),
            2,
            "{}",
            b.name
        );
        assert_eq!(count(doc! {}, 1, 3).await.unwrap(), 3, "{}", b.name);
        // In ascending BSON order, not in the order first seen ("math" first).
        let tags = b
            .backend
            .distinct(
                ns.clone(),
                "tags".into(),
                doc! {},
                DistinctOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            tags,
            vec![Bson::from("code"), Bson::from("math")],
            "{}",
            b.name
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn aggregate_groups_and_writes_with_out() {
    for b in common::backends().await {
        let ns = seed(&b, "people", people()).await;
        let pipeline = vec![
            doc! { "$match": { "age": { "$lt": 40 } } },
            doc! { "$group": { "_id": "$age", "n": { "$sum": 1 } } },
            doc! { "$sort": { "_id": 1 } },
        ];
        let options = opts!(AggregateOptions {
            batch_size: Some(1)
        });
        let docs = all(b
            .backend
            .aggregate(ns.clone(), pipeline, options)
            .await
            .unwrap())
        .await;
        assert_eq!(
            docs,
            vec![
                doc! { "_id": 25, "n": 2 },
                doc! { "_id": 30, "n": 1 },
                doc! { "_id": 36, "n": 1 }
            ],
            "{}",
            b.name
        );
        let out = vec![doc! { "$match": { "age": 25 } }, doc! { "$out": "young" }];
        let docs = all(b
            .backend
            .aggregate(ns.clone(), out, AggregateOptions::default())
            .await
            .unwrap())
        .await;
        assert!(docs.is_empty(), "{}", b.name);
        let n = b
            .backend
            .count(b.ns("young"), doc! {}, CountOptions::default())
            .await
            .unwrap();
        assert_eq!(n, 2, "{}", b.name);
        b.finish().await;
    }
}

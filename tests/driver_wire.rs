//! Every backend operation, run on each backend of `tests/common`: the
//! in-memory engine directly, the official driver through the wire server,
//! and a real MongoDB when `MONGODB_URI` is set. The same assertions hold
//! on all of them.

mod common;

use futures::TryStreamExt;
use odm::backend::*;
use odm::bson::{doc, Bson, Document, RawDocumentBuf};
use odm::Error;

/// Options are `#[non_exhaustive]`: set fields on a default value.
macro_rules! opts {
    ($t:ident { $($field:ident : $value:expr),* $(,)? }) => {{
        let mut o = $t::default();
        $(o.$field = $value;)*
        o
    }};
}

fn raw(d: Document) -> RawDocumentBuf {
    RawDocumentBuf::try_from(&d).unwrap()
}

async fn all(stream: DocStream) -> Vec<Document> {
    let docs: Vec<RawDocumentBuf> = stream.try_collect().await.unwrap();
    docs.into_iter()
        .map(|d| Document::try_from(d).unwrap())
        .collect()
}

async fn seed(b: &common::TestBackend, coll: &str, docs: Vec<Document>) -> Namespace {
    let ns = b.ns(coll);
    b.backend
        .insert(
            ns.clone(),
            docs.into_iter().map(raw).collect(),
            InsertOptions::default(),
        )
        .await
        .unwrap();
    ns
}

fn people() -> Vec<Document> {
    vec![
        doc! { "_id": 1, "name": "ada", "age": 36, "tags": ["math", "code"] },
        doc! { "_id": 2, "name": "bob", "age": 25, "tags": ["code"] },
        doc! { "_id": 3, "name": "cy", "age": 41 },
        doc! { "_id": 4, "name": "di", "age": 25, "tags": [] },
        doc! { "_id": 5, "name": "ed", "age": 30 },
    ]
}

#[tokio::test]
async fn insert_assigns_ids_and_reports_duplicates_by_index() {
    for b in common::backends().await {
        let ns = b.ns("people");
        let r = b
            .backend
            .insert(
                ns.clone(),
                vec![raw(doc! { "name": "x" }), raw(doc! { "_id": 7 })],
                InsertOptions::default(),
            )
            .await
            .unwrap();
        assert!(
            matches!(r.inserted_ids.get(&0), Some(Bson::ObjectId(_))),
            "{}",
            b.name
        );
        assert_eq!(r.inserted_ids.get(&1), Some(&Bson::Int32(7)), "{}", b.name);

        let e = b
            .backend
            .insert(
                ns.clone(),
                vec![
                    raw(doc! { "_id": 8 }),
                    raw(doc! { "_id": 7 }),
                    raw(doc! { "_id": 9 }),
                ],
                InsertOptions::default(),
            )
            .await
            .unwrap_err();
        match e {
            Error::BulkWrite { failure, .. } => {
                assert_eq!(failure.write_errors.len(), 1, "{}", b.name);
                let w = &failure.write_errors[0];
                assert_eq!((w.index, w.code), (1, 11000), "{}", b.name);
                assert_eq!(
                    w.details.get_document("keyValue").unwrap(),
                    &doc! { "_id": 7 },
                    "{}",
                    b.name
                );
                assert_eq!(
                    failure
                        .partial
                        .inserted_ids
                        .keys()
                        .copied()
                        .collect::<Vec<_>>(),
                    [0],
                    "{}",
                    b.name
                );
            }
            other => panic!("{}: {other:?}", b.name),
        }
        let n = b
            .backend
            .count(ns.clone(), doc! {}, CountOptions::default())
            .await
            .unwrap();
        assert_eq!(n, 3, "{}: ordered insert stopped at the duplicate", b.name);
        b.finish().await;
    }
}

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
async fn update_replace_and_delete_report_counts() {
    for b in common::backends().await {
        let ns = seed(&b, "people", people()).await;
        let many = opts!(UpdateOptions { multi: true });
        let r = b
            .backend
            .update(
                ns.clone(),
                doc! { "age": 25 },
                UpdateModification::Document(doc! { "$inc": { "age": 1 } }),
                many,
            )
            .await
            .unwrap();
        assert_eq!(
            (r.matched_count, r.modified_count, r.upserted_id),
            (2, 2, None),
            "{}",
            b.name
        );

        let upsert = opts!(UpdateOptions { upsert: true });
        let r = b
            .backend
            .update(
                ns.clone(),
                doc! { "_id": 42 },
                UpdateModification::Document(doc! { "$set": { "name": "new" } }),
                upsert,
            )
            .await
            .unwrap();
        assert_eq!(
            (r.matched_count, r.upserted_id),
            (0, Some(Bson::Int32(42))),
            "{}",
            b.name
        );

        let pipeline = UpdateModification::Pipeline(vec![
            doc! { "$set": { "double": { "$multiply": ["$age", 2] } } },
        ]);
        let r = b
            .backend
            .update(
                ns.clone(),
                doc! { "_id": 3 },
                pipeline,
                UpdateOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(r.modified_count, 1, "{}", b.name);

        let r = b
            .backend
            .replace(
                ns.clone(),
                doc! { "_id": 5 },
                raw(doc! { "name": "eddie" }),
                ReplaceOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!((r.matched_count, r.modified_count), (1, 1), "{}", b.name);
        let docs = all(b
            .backend
            .find(
                ns.clone(),
                doc! { "_id": { "$in": [3, 5] } },
                opts!(FindOptions {
                    sort: Some(doc! { "_id": 1 })
                }),
            )
            .await
            .unwrap())
        .await;
        assert_eq!(docs[0].get_i32("double").unwrap(), 82, "{}", b.name);
        assert_eq!(docs[1], doc! { "_id": 5, "name": "eddie" }, "{}", b.name);

        let one = b
            .backend
            .delete(ns.clone(), doc! { "age": 26 }, DeleteOptions::default())
            .await
            .unwrap();
        assert_eq!(one.deleted_count, 1, "{}", b.name);
        let rest = opts!(DeleteOptions { multi: true });
        let r = b.backend.delete(ns.clone(), doc! {}, rest).await.unwrap();
        assert_eq!(r.deleted_count, 5, "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_unique_index_refuses_an_update_with_duplicate_key() {
    for b in common::backends().await {
        let ns = seed(&b, "people", people()).await;
        let mut index = IndexModel::new(doc! { "name": 1 });
        index.unique = true;
        let names = b
            .backend
            .create_indexes(ns.clone(), vec![index])
            .await
            .unwrap();
        assert_eq!(names, ["name_1"], "{}", b.name);
        let e = b
            .backend
            .update(
                ns.clone(),
                doc! { "_id": 2 },
                UpdateModification::Document(doc! { "$set": { "name": "ada" } }),
                UpdateOptions::default(),
            )
            .await
            .unwrap_err();
        match e {
            Error::DuplicateKey { index, key, .. } => {
                assert_eq!(index, "name_1", "{}", b.name);
                assert_eq!(*key, doc! { "name": "ada" }, "{}", b.name);
            }
            other => panic!("{}: {other:?}", b.name),
        }
        let listed: Vec<String> = b
            .backend
            .list_indexes(ns.clone())
            .await
            .unwrap()
            .iter()
            .map(|i| i.effective_name())
            .collect();
        assert_eq!(listed, ["_id_", "name_1"], "{}", b.name);
        b.backend
            .drop_index(ns.clone(), "name_1".into())
            .await
            .unwrap();
        assert_eq!(
            b.backend.list_indexes(ns.clone()).await.unwrap().len(),
            1,
            "{}",
            b.name
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn find_and_modify_updates_replaces_and_removes() {
    for b in common::backends().await {
        let ns = seed(&b, "people", people()).await;
        let after = opts!(FindAndModifyOptions {
            return_new: true,
            sort: Some(doc! { "age": 1, "_id": -1 })
        });
        let doc = b
            .backend
            .find_and_modify(
                ns.clone(),
                doc! {},
                FindAndModifyAction::Update(UpdateModification::Document(
                    doc! { "$set": { "seen": true } },
                )),
                after,
            )
            .await
            .unwrap()
            .map(|d| Document::try_from(d).unwrap());
        assert_eq!(
            doc,
            Some(doc! { "_id": 4, "name": "di", "age": 25, "tags": [], "seen": true }),
            "{}",
            b.name
        );

        let before = b
            .backend
            .find_and_modify(
                ns.clone(),
                doc! { "_id": 1 },
                FindAndModifyAction::Replace(raw(doc! { "name": "lovelace" })),
                FindAndModifyOptions::default(),
            )
            .await
            .unwrap()
            .map(|d| Document::try_from(d).unwrap());
        assert_eq!(
            before.unwrap().get_str("name").unwrap(),
            "ada",
            "{}",
            b.name
        );

        let removed = b
            .backend
            .find_and_modify(
                ns.clone(),
                doc! { "_id": 1 },
                FindAndModifyAction::Remove,
                FindAndModifyOptions::default(),
            )
            .await
            .unwrap()
            .map(|d| Document::try_from(d).unwrap());
        assert_eq!(
            removed,
            Some(doc! { "_id": 1, "name": "lovelace" }),
            "{}",
            b.name
        );
        let none = b
            .backend
            .find_and_modify(
                ns.clone(),
                doc! { "_id": 1 },
                FindAndModifyAction::Remove,
                FindAndModifyOptions::default(),
            )
            .await
            .unwrap();
        assert!(none.is_none(), "{}", b.name);

        let upsert = opts!(FindAndModifyOptions {
            upsert: true,
            return_new: true
        });
        let created = b
            .backend
            .find_and_modify(
                ns.clone(),
                doc! { "_id": 99 },
                FindAndModifyAction::Update(UpdateModification::Document(
                    doc! { "$set": { "n": 1 } },
                )),
                upsert,
            )
            .await
            .unwrap()
            .map(|d| Document::try_from(d).unwrap());
        assert_eq!(created, Some(doc! { "_id": 99, "n": 1 }), "{}", b.name);
        b.finish().await;
    }
}

fn models() -> Vec<WriteModel> {
    vec![
        WriteModel::InsertOne {
            document: raw(doc! { "_id": 10, "k": 1 }),
        },
        WriteModel::InsertOne {
            document: raw(doc! { "_id": 1 }),
        }, // duplicate
        WriteModel::UpdateMany {
            filter: doc! { "age": 25 },
            update: UpdateModification::Document(doc! { "$set": { "young": true } }),
            options: UpdateOptions::default(),
        },
        WriteModel::UpdateOne {
            filter: doc! { "_id": 77 },
            update: UpdateModification::Document(doc! { "$set": { "k": 2 } }),
            options: opts!(UpdateOptions { upsert: true }),
        },
        WriteModel::DeleteOne {
            filter: doc! { "_id": 3 },
            options: DeleteOptions::default(),
        },
    ]
}

#[tokio::test]
async fn ordered_bulk_write_stops_at_the_first_error_with_partial_results() {
    for b in common::backends().await {
        let ns = seed(&b, "people", people()).await;
        let e = b
            .backend
            .bulk_write(ns.clone(), models(), BulkWriteOptions::default())
            .await
            .unwrap_err();
        match e {
            Error::BulkWrite { failure, .. } => {
                assert_eq!(
                    failure
                        .write_errors
                        .iter()
                        .map(|w| (w.index, w.code))
                        .collect::<Vec<_>>(),
                    [(1, 11000)],
                    "{}",
                    b.name
                );
                assert_eq!(failure.partial.inserted_count, 1, "{}", b.name);
                assert_eq!(failure.partial.matched_count, 0, "{}", b.name);
            }
            other => panic!("{}: {other:?}", b.name),
        }
        assert_eq!(
            b.backend
                .count(ns.clone(), doc! {}, CountOptions::default())
                .await
                .unwrap(),
            6,
            "{}",
            b.name
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn unordered_bulk_write_applies_everything_else() {
    for b in common::backends().await {
        let ns = seed(&b, "people", people()).await;
        let options = opts!(BulkWriteOptions { ordered: false });
        let e = b
            .backend
            .bulk_write(ns.clone(), models(), options)
            .await
            .unwrap_err();
        match e {
            Error::BulkWrite { failure, .. } => {
                assert_eq!(
                    failure
                        .write_errors
                        .iter()
                        .map(|w| w.index)
                        .collect::<Vec<_>>(),
                    [1],
                    "{}",
                    b.name
                );
                let p = &failure.partial;
                assert_eq!(
                    (
                        p.inserted_count,
                        p.matched_count,
                        p.modified_count,
                        p.upserted_count,
                        p.deleted_count
                    ),
                    (1, 2, 2, 1, 1),
                    "{}",
                    b.name
                );
                assert_eq!(p.upserted_ids.get(&3), Some(&Bson::Int32(77)), "{}", b.name);
            }
            other => panic!("{}: {other:?}", b.name),
        }
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

#[tokio::test]
async fn collections_views_and_databases() {
    for b in common::backends().await {
        let ns = b.ns("checked");
        let options = opts!(CreateCollectionOptions {
            validator: Some(doc! { "age": { "$gte": 0 } })
        });
        b.backend
            .create_collection(ns.clone(), options)
            .await
            .unwrap();
        let refused = b
            .backend
            .insert(
                ns.clone(),
                vec![raw(doc! { "age": -1 })],
                InsertOptions::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            None,
            "{}: a bulk failure has no single code",
            b.name
        );
        match refused {
            Error::BulkWrite { failure, .. } => {
                assert_eq!(failure.write_errors[0].code, 121, "{}", b.name)
            }
            other => panic!("{}: {other:?}", b.name),
        }
        let loosen = opts!(CreateCollectionOptions {
            validation_level: Some("off".into())
        });
        b.backend
            .modify_collection(ns.clone(), loosen)
            .await
            .unwrap();
        b.backend
            .insert(
                ns.clone(),
                vec![raw(doc! { "age": -1 })],
                InsertOptions::default(),
            )
            .await
            .unwrap();

        let view = opts!(CreateCollectionOptions {
            view_on: Some("checked".into()),
            pipeline: Some(vec![doc! { "$project": { "_id": 0, "age": 1 } }])
        });
        b.backend
            .create_collection(b.ns("ages"), view)
            .await
            .unwrap();
        let mut infos = b.backend.list_collections(b.db.clone()).await.unwrap();
        infos.sort_by(|a, c| a.name.cmp(&c.name));
        let kinds: Vec<_> = infos
            .iter()
            .map(|i| (i.name.as_str(), i.kind.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [("ages", "view"), ("checked", "collection")],
            "{}",
            b.name
        );
        assert_eq!(
            infos[0].options.view_on.as_deref(),
            Some("checked"),
            "{}",
            b.name
        );
        let docs = all(b
            .backend
            .find(b.ns("ages"), doc! {}, FindOptions::default())
            .await
            .unwrap())
        .await;
        assert_eq!(docs, vec![doc! { "age": -1 }], "{}", b.name);

        assert!(
            b.backend.list_databases().await.unwrap().contains(&b.db),
            "{}",
            b.name
        );
        b.backend.drop_collection(ns.clone()).await.unwrap();
        b.backend.drop_collection(ns.clone()).await.unwrap(); // twice is fine
        b.backend.drop_database(b.db.clone()).await.unwrap();
        assert!(
            !b.backend.list_databases().await.unwrap().contains(&b.db),
            "{}",
            b.name
        );
        b.finish().await;
    }
}

#[cfg(all(feature = "wire", feature = "mongodb"))]
#[tokio::test]
async fn the_driver_log_counts_what_went_on_the_wire() {
    let b = common::driver_over_wire().await;
    let ns = seed(&b, "people", people()).await;
    let log = b.backend.command_log();
    log.start();
    let options = opts!(FindOptions {
        batch_size: Some(2)
    });
    let docs = all(b
        .backend
        .find(ns.clone(), doc! { "age": { "$gt": 0 } }, options)
        .await
        .unwrap())
    .await;
    assert_eq!(docs.len(), 5);
    let events = log.take();
    let names: Vec<_> = events.iter().map(|e| e.command.as_str()).collect();
    assert_eq!(names, ["find", "getMore", "getMore"]);
    assert_eq!(events[0].namespace, ns.to_string());
    assert_eq!(events[0].filter, Some(doc! { "age": { "$gt": 0 } }));
    b.finish().await;
}

#[cfg(feature = "mongodb")]
#[tokio::test]
async fn an_unreachable_server_says_what_to_check() {
    let uri = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200&connectTimeoutMS=200";
    let e = odm::backend::mongo::MongoBackend::connect(uri)
        .await
        .unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, Error::Connection { .. }), "{e:?}");
    assert!(message.contains("mongod is running"), "{message}");
    assert!(message.contains("IP access list"), "{message}");
    assert!(std::error::Error::source(&e).is_some());
}

#[tokio::test]
async fn find_and_modify_reports_the_duplicate_key_value() {
    for b in common::backends().await {
        let ns = seed(&b, "people", people()).await;
        let mut index = IndexModel::new(doc! { "name": 1 });
        index.unique = true;
        b.backend
            .create_indexes(ns.clone(), vec![index])
            .await
            .unwrap();
        let e = b
            .backend
            .find_and_modify(
                ns.clone(),
                doc! { "_id": 2 },
                FindAndModifyAction::Update(UpdateModification::Document(
                    doc! { "$set": { "name": "cy" } },
                )),
                FindAndModifyOptions::default(),
            )
            .await
            .unwrap_err();
        match e {
            Error::DuplicateKey { index, key, .. } => {
                assert_eq!(index, "name_1", "{}", b.name);
                assert_eq!(*key, doc! { "name": "cy" }, "{}", b.name);
            }
            other => panic!("{}: {other:?}", b.name),
        }
        b.finish().await;
    }
}

#[cfg(all(feature = "wire", feature = "mongodb"))]
#[tokio::test]
async fn dropping_a_cursor_early_kills_it_on_the_server() {
    use futures::StreamExt;
    let b = common::driver_over_wire().await;
    let ns = seed(&b, "people", people()).await;
    let log = b.backend.command_log();
    log.start();
    let options = opts!(FindOptions {
        batch_size: Some(2)
    });
    let mut stream = b.backend.find(ns.clone(), doc! {}, options).await.unwrap();
    assert!(stream.next().await.is_some());
    drop(stream);
    // The driver kills the cursor from a background task.
    let mut names = Vec::new();
    for _ in 0..50 {
        names = log.snapshot().iter().map(|e| e.command.clone()).collect();
        if names.iter().any(|n| n == "killCursors") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(names, ["find", "killCursors"]);
    b.finish().await;
}

#[cfg(all(feature = "wire", feature = "mongodb"))]
#[tokio::test]
async fn large_inserts_are_split_below_the_bson_limit() {
    let b = common::driver_over_wire().await;
    let ns = b.ns("blobs");
    let blob = "x".repeat(1024 * 1024);
    let docs: Vec<_> = (0..40)
        .map(|i| raw(doc! { "_id": i, "blob": blob.as_str() }))
        .collect();
    let log = b.backend.command_log();
    log.start();
    let r = b
        .backend
        .insert(ns.clone(), docs, InsertOptions::default())
        .await
        .unwrap();
    assert_eq!(r.inserted_ids.len(), 40);
    let inserts = log.take().iter().filter(|e| e.command == "insert").count();
    assert_eq!(inserts, 3, "40 MiB in commands of at most 16 MiB");
    let n = b
        .backend
        .count(ns, doc! {}, CountOptions::default())
        .await
        .unwrap();
    assert_eq!(n, 40);
    b.finish().await;
}

#[cfg(all(feature = "wire", feature = "mongodb"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_at_once() {
    let b = common::driver_over_wire().await;
    let uri = format!("mongodb://{}", b.server_addr().unwrap());
    let mut tasks = Vec::new();
    for client in 0..8 {
        let ns = b.ns("shared");
        let uri = uri.clone();
        tasks.push(tokio::spawn(async move {
            let backend = odm::backend::mongo::MongoBackend::connect(&uri)
                .await
                .unwrap();
            for i in 0..25 {
                let d = raw(doc! { "client": client, "i": i });
                backend
                    .insert(ns.clone(), vec![d], InsertOptions::default())
                    .await
                    .unwrap();
            }
            backend
                .count(ns, doc! { "client": client }, CountOptions::default())
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 25);
    }
    let total = b
        .backend
        .count(b.ns("shared"), doc! {}, CountOptions::default())
        .await
        .unwrap();
    assert_eq!(total, 200);
    b.finish().await;
}

#[tokio::test]
async fn let_variables_reach_updates_and_deletes() {
    for b in common::backends().await {
        let ns = seed(&b, "people", people()).await;
        let filter = doc! { "$expr": { "$eq": ["$name", "$$who"] } };
        let options = opts!(UpdateOptions {
            let_vars: Some(doc! { "who": "bob" })
        });
        let update = UpdateModification::Document(doc! { "$set": { "found": true } });
        let r = b
            .backend
            .update(ns.clone(), filter.clone(), update, options)
            .await
            .unwrap();
        assert_eq!(r.modified_count, 1, "{}", b.name);
        let options = opts!(DeleteOptions {
            let_vars: Some(doc! { "who": "bob" })
        });
        let r = b.backend.delete(ns.clone(), filter, options).await.unwrap();
        assert_eq!(r.deleted_count, 1, "{}", b.name);
        b.finish().await;
    }
}

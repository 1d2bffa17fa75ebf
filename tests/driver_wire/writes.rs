//! Writes: insert, update, replace, delete, findAndModify, bulk writes.

use super::*;

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

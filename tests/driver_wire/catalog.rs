//! Indexes, collections, views and databases.

use super::*;

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

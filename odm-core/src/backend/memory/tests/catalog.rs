//! Collections, views, validators, indexes and `$out`/`$merge`.

use bson::{doc, rawdoc, Bson, RawDocumentBuf};
use futures::TryStreamExt;

use super::{all, ns, set};
use crate::backend::memory::MemoryBackend;
use crate::backend::*;
use crate::error::Error;

#[tokio::test]
async fn catalog_create_list_drop() {
    let b = MemoryBackend::new();
    b.create_collection(ns(), CreateCollectionOptions::default())
        .await
        .unwrap();
    let err = b
        .create_collection(ns(), CreateCollectionOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(48));
    let view = CreateCollectionOptions {
        view_on: Some("coll".into()),
        pipeline: Some(vec![]),
        ..CreateCollectionOptions::default()
    };
    b.create_collection(Namespace::new("db", "v"), view)
        .await
        .unwrap();
    let err = b
        .insert(
            Namespace::new("db", "v"),
            vec![rawdoc! {}],
            InsertOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(166));
    let names: Vec<(String, String)> = b
        .list_collections("db".into())
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("coll".into(), "collection".into()),
            ("v".into(), "view".into())
        ]
    );
    assert_eq!(b.list_databases().await.unwrap(), ["db"]);
    b.drop_collection(ns()).await.unwrap();
    b.drop_collection(ns()).await.unwrap();
    b.drop_database("db".into()).await.unwrap();
    assert!(b.list_databases().await.unwrap().is_empty());
}

#[tokio::test]
async fn unique_index_is_enforced_with_its_name() {
    let b = MemoryBackend::new();
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 1, "email": "a@x"}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    let mut model = IndexModel::new(doc! {"email": 1});
    model.unique = true;
    let names = b.create_indexes(ns(), vec![model.clone()]).await.unwrap();
    assert_eq!(names, ["email_1"]);
    // The same index again is a no-op; the same keys under another name are not.
    b.create_indexes(ns(), vec![model.clone()]).await.unwrap();
    let mut renamed = model.clone();
    renamed.name = Some("other".into());
    assert_eq!(
        b.create_indexes(ns(), vec![renamed])
            .await
            .unwrap_err()
            .code(),
        Some(85)
    );
    let listed: Vec<String> = b
        .list_indexes(ns())
        .await
        .unwrap()
        .iter()
        .map(IndexModel::effective_name)
        .collect();
    assert_eq!(listed, ["_id_", "email_1"]);
    let err = b
        .insert(
            ns(),
            vec![rawdoc! {"_id": 2, "email": "a@x"}],
            InsertOptions::default(),
        )
        .await
        .unwrap_err();
    let Error::BulkWrite { failure, .. } = err else {
        panic!("expected a bulk write error");
    };
    let e = &failure.write_errors[0];
    assert_eq!(
        e.message,
        "E11000 duplicate key error collection: db.coll index: email_1 dup key: { email: \"a@x\" }"
    );
    assert_eq!(
        e.details.get_document("keyValue").unwrap(),
        &doc! {"email": "a@x"}
    );
    // Replacing the owner of the key with itself is fine; another document is not.
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 2, "email": "b@x"}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    b.replace(
        ns(),
        doc! {"_id": 1},
        rawdoc! {"email": "a@x", "n": 1},
        ReplaceOptions::default(),
    )
    .await
    .unwrap();
    let err = b
        .replace(
            ns(),
            doc! {"_id": 2},
            rawdoc! {"email": "a@x"},
            ReplaceOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::DuplicateKey { ref index, .. } if index == "email_1"),
        "{err:?}"
    );
    b.drop_index(ns(), "email_1".into()).await.unwrap();
    assert_eq!(
        b.drop_index(ns(), "email_1".into())
            .await
            .unwrap_err()
            .code(),
        Some(27)
    );
}

#[tokio::test]
async fn views_run_their_pipeline_and_refuse_writes() {
    let b = MemoryBackend::new();
    let docs = (1..=4).map(|i| rawdoc! {"_id": i, "n": i * 10}).collect();
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let view = CreateCollectionOptions {
        view_on: Some("coll".into()),
        pipeline: Some(vec![
            doc! {"$match": {"n": {"$gte": 20}}},
            doc! {"$project": {"n": 1}},
        ]),
        ..CreateCollectionOptions::default()
    };
    let v = Namespace::new("db", "big");
    b.create_collection(v.clone(), view).await.unwrap();
    let options = FindOptions {
        sort: Some(doc! {"n": -1}),
        limit: 2,
        ..FindOptions::default()
    };
    let got: Vec<RawDocumentBuf> = b
        .find(v.clone(), doc! {"n": {"$lt": 40}}, options)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<i32> = got.iter().map(|d| d.get_i32("_id").unwrap()).collect();
    assert_eq!(ids, [3, 2]);
    assert_eq!(
        b.count(v.clone(), doc! {}, CountOptions::default())
            .await
            .unwrap(),
        3
    );
    let err = b
        .delete(v.clone(), doc! {}, DeleteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(166));
}

#[tokio::test]
async fn out_replaces_and_merge_combines() {
    let b = MemoryBackend::new();
    let docs = (1..=3).map(|i| rawdoc! {"_id": i, "n": i}).collect();
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let target = Namespace::new("db", "target");
    b.insert(
        target.clone(),
        vec![rawdoc! {"_id": 99}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    let pipeline = vec![doc! {"$match": {"n": {"$gte": 2}}}, doc! {"$out": "target"}];
    let out: Vec<RawDocumentBuf> = b
        .aggregate(ns(), pipeline, AggregateOptions::default())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(out.is_empty());
    assert_eq!(
        all(&b, target.clone()).await,
        [doc! {"_id": 2, "n": 2}, doc! {"_id": 3, "n": 3}]
    );
    // Collectionless `$documents` merged into the target: _id 3 merges, 7 inserts.
    let pipeline = vec![
        doc! {"$documents": [{"_id": 3, "m": 1}, {"_id": 7, "m": 2}]},
        doc! {"$merge": {"into": "target"}},
    ];
    let merged = b
        .aggregate(
            Namespace::new("db", "1"),
            pipeline,
            AggregateOptions::default(),
        )
        .await
        .unwrap();
    assert!(merged.try_collect::<Vec<_>>().await.unwrap().is_empty());
    assert_eq!(
        all(&b, target.clone()).await,
        [
            doc! {"_id": 2, "n": 2},
            doc! {"_id": 3, "n": 3, "m": 1},
            doc! {"_id": 7, "m": 2}
        ]
    );
    let pipeline = vec![
        doc! {"$documents": [{"_id": 2}]},
        doc! {"$merge": {"into": "target", "whenMatched": "fail"}},
    ];
    let Err(err) = b
        .aggregate(
            Namespace::new("db", "1"),
            pipeline,
            AggregateOptions::default(),
        )
        .await
    else {
        panic!("whenMatched: fail must refuse an existing _id");
    };
    assert_eq!(err.code(), Some(11000));
}

#[tokio::test]
async fn validator_levels_and_bypass() {
    let b = MemoryBackend::new();
    let options = CreateCollectionOptions {
        validator: Some(doc! {"age": {"$gte": 0}}),
        ..CreateCollectionOptions::default()
    };
    b.create_collection(ns(), options).await.unwrap();
    let err = b
        .insert(
            ns(),
            vec![rawdoc! {"_id": 1, "age": -1}],
            InsertOptions::default(),
        )
        .await
        .unwrap_err();
    let Error::BulkWrite { failure, .. } = err else {
        panic!("expected a bulk write error");
    };
    let e = &failure.write_errors[0];
    assert_eq!(
        (e.code, e.message.as_str()),
        (121, "Document failed validation")
    );
    assert_eq!(
        e.details
            .get_document("errInfo")
            .unwrap()
            .get("failingDocumentId"),
        Some(&Bson::Int32(1))
    );
    let bypass = InsertOptions {
        bypass_document_validation: true,
        ..InsertOptions::default()
    };
    b.insert(ns(), vec![rawdoc! {"_id": 1, "age": -1}], bypass)
        .await
        .unwrap();
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 2, "age": 5}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    // Strict: an update of the invalid document must make it valid.
    let err = b
        .update(
            ns(),
            doc! {"_id": 1},
            set(doc! {"x": 1}),
            UpdateOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(121));
    // Moderate: updates of already-invalid documents are not checked.
    let moderate = CreateCollectionOptions {
        validation_level: Some("moderate".into()),
        ..CreateCollectionOptions::default()
    };
    b.modify_collection(ns(), moderate).await.unwrap();
    b.update(
        ns(),
        doc! {"_id": 1},
        set(doc! {"x": 1}),
        UpdateOptions::default(),
    )
    .await
    .unwrap();
    let err = b
        .update(
            ns(),
            doc! {"_id": 2},
            set(doc! {"age": -3}),
            UpdateOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(121));
}

#[tokio::test]
async fn unique_keys_follow_updates_deletes_and_options() {
    let b = MemoryBackend::new();
    let mut email = IndexModel::new(doc! {"email": 1});
    email.unique = true;
    let mut pair = IndexModel::new(doc! {"a": 1, "b": 1});
    pair.unique = true;
    pair.sparse = true;
    let mut partial = IndexModel::new(doc! {"code": 1});
    partial.unique = true;
    partial.partial_filter = Some(doc! {"active": true});
    b.create_indexes(ns(), vec![email, pair, partial])
        .await
        .unwrap();
    let insert = |d: RawDocumentBuf| b.insert(ns(), vec![d], InsertOptions::default());
    insert(rawdoc! {"_id": 1, "email": "x", "a": 1, "b": 1})
        .await
        .unwrap();
    // Compound: only the pair must be unique.
    insert(rawdoc! {"_id": 2, "email": "y", "a": 1, "b": 2})
        .await
        .unwrap();
    assert!(insert(rawdoc! {"_id": 3, "email": "z", "a": 1, "b": 1})
        .await
        .is_err());
    // A missing email indexes as null once; sparse leaves the pair out.
    insert(rawdoc! {"_id": 4}).await.unwrap();
    assert!(insert(rawdoc! {"_id": 5}).await.is_err());
    // Partial: inactive documents are not indexed.
    insert(rawdoc! {"_id": 6, "email": "p", "code": 7, "active": false})
        .await
        .unwrap();
    insert(rawdoc! {"_id": 7, "email": "q", "code": 7, "active": true})
        .await
        .unwrap();
    assert!(
        insert(rawdoc! {"_id": 8, "email": "r", "code": 7, "active": true})
            .await
            .is_err()
    );
    // Multikey: each array element is a key.
    assert!(insert(rawdoc! {"_id": 9, "email": ["w", "y"]})
        .await
        .is_err());
    // An update frees the old key and takes the new one.
    b.update(
        ns(),
        doc! {"_id": 1},
        set(doc! {"email": "x2"}),
        UpdateOptions::default(),
    )
    .await
    .unwrap();
    insert(rawdoc! {"_id": 10, "email": "x"}).await.unwrap();
    let err = b
        .update(
            ns(),
            doc! {"_id": 2},
            set(doc! {"email": "x2"}),
            UpdateOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::DuplicateKey { ref index, .. } if index == "email_1"),
        "{err:?}"
    );
    // A delete frees its keys.
    b.delete(ns(), doc! {"_id": 10}, DeleteOptions::default())
        .await
        .unwrap();
    insert(rawdoc! {"_id": 11, "email": "x"}).await.unwrap();
    // Building a unique index over existing duplicates fails.
    let mut dup = IndexModel::new(doc! {"active": 1});
    dup.unique = true;
    assert_eq!(
        b.create_indexes(ns(), vec![dup]).await.unwrap_err().code(),
        Some(11000)
    );
}

#[tokio::test]
async fn hints_must_name_an_existing_index() {
    let b = MemoryBackend::new();
    b.insert(
        ns(),
        vec![rawdoc! {"_id": 1, "a": 1}],
        InsertOptions::default(),
    )
    .await
    .unwrap();
    b.create_indexes(ns(), vec![IndexModel::new(doc! {"a": 1})])
        .await
        .unwrap();
    for hint in [
        Bson::String("_id_".into()),
        Bson::String("a_1".into()),
        Bson::Document(doc! {"a": 1}),
        Bson::Document(doc! {"$natural": -1}),
    ] {
        let options = CountOptions {
            hint: Some(hint),
            ..CountOptions::default()
        };
        assert_eq!(b.count(ns(), doc! {}, options).await.unwrap(), 1);
    }
    let options = DeleteOptions {
        hint: Some(Bson::Document(doc! {"b": 1})),
        ..DeleteOptions::default()
    };
    let err = b.delete(ns(), doc! {}, options).await.unwrap_err();
    assert_eq!(err.code(), Some(2));
    assert_eq!(all(&b, ns()).await.len(), 1);
}

#[tokio::test]
async fn create_indexes_is_all_or_nothing() {
    let b = MemoryBackend::new();
    let docs = vec![
        rawdoc! {"_id": 1, "a": 1, "b": 1},
        rawdoc! {"_id": 2, "a": 2, "b": 1},
    ];
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    let mut unique_b = IndexModel::new(doc! {"b": 1});
    unique_b.unique = true;
    let err = b
        .create_indexes(ns(), vec![IndexModel::new(doc! {"a": 1}), unique_b])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(11000));
    let names: Vec<String> = b
        .list_indexes(ns())
        .await
        .unwrap()
        .iter()
        .map(IndexModel::effective_name)
        .collect();
    assert_eq!(names, ["_id_"]);
}

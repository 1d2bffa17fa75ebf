//! Collations through the `Backend` trait: every read and write path hands
//! the operation's collation to its filter and sort.

use bson::{doc, rawdoc, Bson, Document, RawDocumentBuf};
use futures::TryStreamExt;

use super::{ns, set};
use crate::backend::memory::MemoryBackend;
use crate::backend::*;
use crate::error::Error;

fn ci() -> Option<Document> {
    Some(doc! {"locale": "en", "strength": 2})
}

async fn seeded() -> MemoryBackend {
    let b = MemoryBackend::new();
    let docs = vec![
        rawdoc! {"_id": "Ada", "name": "ada", "n": 1},
        rawdoc! {"_id": "bob", "name": "Bob", "n": 2},
        rawdoc! {"_id": "cy", "name": "ADA", "n": 3},
        rawdoc! {"_id": "dee", "name": "Åsa", "n": 4},
    ];
    b.insert(ns(), docs, InsertOptions::default())
        .await
        .unwrap();
    b
}

async fn ns_of(b: &MemoryBackend, filter: Document, options: FindOptions) -> Vec<i32> {
    let raw: Vec<RawDocumentBuf> = b
        .find(ns(), filter, options)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    raw.iter().map(|d| d.get_i32("n").unwrap()).collect()
}

#[tokio::test]
async fn find_filters_and_sorts_under_the_collation() {
    let b = seeded().await;
    let options = FindOptions {
        collation: ci().map(Box::new),
        sort: Some(doc! {"name": -1, "n": 1}),
        ..FindOptions::default()
    };
    assert_eq!(
        ns_of(&b, doc! {"name": "Ada"}, options.clone()).await,
        [1, 3]
    );
    // "Åsa" sorts with the a's (below "Bob"); "ada" and "ADA" tie.
    assert_eq!(ns_of(&b, doc! {}, options).await, [2, 4, 1, 3]);
    // Binary order: uppercase before lowercase, "Å" after every ASCII letter.
    let binary = FindOptions {
        sort: Some(doc! {"name": 1}),
        ..FindOptions::default()
    };
    assert_eq!(ns_of(&b, doc! {}, binary).await, [3, 2, 1, 4]);
    // A string `_id` is matched by the collation too, not by hash lookup.
    let by_id = FindOptions {
        collation: ci().map(Box::new),
        ..FindOptions::default()
    };
    assert_eq!(ns_of(&b, doc! {"_id": "BOB"}, by_id).await, [2]);
}

#[tokio::test]
async fn count_distinct_and_delete_use_the_collation() {
    let b = seeded().await;
    let count = CountOptions {
        collation: ci(),
        ..CountOptions::default()
    };
    assert_eq!(b.count(ns(), doc! {"name": "ADA"}, count).await.unwrap(), 2);
    let distinct = DistinctOptions {
        collation: ci(),
        ..DistinctOptions::default()
    };
    let names = b
        .distinct(ns(), "name".into(), doc! {}, distinct)
        .await
        .unwrap();
    assert_eq!(names.len(), 3);
    assert!(names.contains(&Bson::String("Åsa".into())));
    let delete = DeleteOptions {
        multi: true,
        collation: ci(),
        ..DeleteOptions::default()
    };
    let r = b.delete(ns(), doc! {"name": "ada"}, delete).await.unwrap();
    assert_eq!(r.deleted_count, 2);
}

#[tokio::test]
async fn bulk_statements_each_use_their_own_collation() {
    let b = seeded().await;
    let models = vec![
        WriteModel::UpdateMany {
            filter: doc! {"name": "ADA"},
            update: set(doc! {"hit": true}),
            options: UpdateOptions {
                multi: true,
                collation: ci(),
                ..UpdateOptions::default()
            },
        },
        WriteModel::DeleteOne {
            filter: doc! {"name": "BOB"},
            options: DeleteOptions::default(),
        },
    ];
    let r = b
        .bulk_write(ns(), models, BulkWriteOptions::default())
        .await
        .unwrap();
    assert_eq!((r.modified_count, r.deleted_count), (2, 0));
}

#[tokio::test]
async fn a_malformed_collation_is_refused_before_anything_runs() {
    let b = seeded().await;
    let options = FindOptions {
        collation: Some(Box::new(doc! {"locale": "en", "strenght": 2})),
        ..FindOptions::default()
    };
    match b.find(ns(), doc! {}, options).await {
        Err(Error::Command(e)) => assert_eq!(e.code, 40415),
        other => panic!(
            "expected an unknown-field error, got {:?}",
            other.map(|_| ())
        ),
    }
}

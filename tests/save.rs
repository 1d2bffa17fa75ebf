//! `save` of a tracked model sends only what changed, never resurrects a
//! deleted document and never clobbers another writer's fields, on every
//! backend.

mod common;

use odm::bson::doc;
use odm::{Database, Error, Filter, Update};

#[derive(odm::Embedded, Debug, Clone, PartialEq)]
struct Address {
    city: String,
    zip: String,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Profile {
    id: i64,
    name: String,
    visits: i64,
    address: Address,
    nickname: Option<String>,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Ledger {
    id: i64,
    balance: i64,
    note: String,
    #[odm(version)]
    v: i64,
}

fn db_of(b: &common::TestBackend) -> Database {
    Database::with_backend(b.backend.clone(), b.db.as_str())
}

fn profile(id: i64) -> Profile {
    Profile {
        id,
        name: format!("p{id}"),
        visits: 0,
        address: Address {
            city: "Oslo".into(),
            zip: "0150".into(),
        },
        nickname: Some("nick".into()),
    }
}

#[tokio::test]
async fn save_sends_the_changed_paths_and_keeps_other_writers_changes() {
    for b in common::backends().await {
        let db = db_of(&b);
        let profiles = db.collection::<Profile>();
        let f = Profile::fields();
        profiles.insert_one(&mut profile(1)).await.unwrap();

        let mut mine = profiles.find_by_id(&1).tracked().await.unwrap().unwrap();
        assert_eq!(*mine, profile(1));
        // Another writer changes a field this model does not touch.
        profiles
            .update_one(f.id.eq(1), f.name.set("theirs".to_string()))
            .await
            .unwrap();

        mine.visits = 5;
        mine.address.zip = "0151".into();
        assert_eq!(
            mine.changes().unwrap(),
            doc! { "$set": { "visits": 5_i64, "address.zip": "0151" } },
            "{}",
            b.name
        );
        assert!(profiles.save(&mut mine).await.unwrap(), "{}", b.name);

        let stored = profiles.find_by_id(&1).await.unwrap().unwrap();
        assert_eq!(stored.name, "theirs", "{}: clobbered", b.name);
        assert_eq!((stored.visits, stored.address.zip.as_str()), (5, "0151"));

        // The snapshot moved: the next change is sent alone.
        mine.nickname = None;
        assert_eq!(
            mine.changes().unwrap(),
            doc! { "$set": { "nickname": null } }
        );
        profiles.save(&mut mine).await.unwrap();
        let stored = profiles.find_by_id(&1).await.unwrap().unwrap();
        assert_eq!(stored.nickname, None, "{}", b.name);
        assert_eq!(stored.visits, 5);
        b.finish().await;
    }
}

#[tokio::test]
async fn saving_an_unchanged_model_sends_no_command() {
    for b in common::backends().await {
        let db = db_of(&b);
        let profiles = db.collection::<Profile>();
        profiles.insert_one(&mut profile(2)).await.unwrap();
        let mut p = profiles.find_by_id(&2).tracked().await.unwrap().unwrap();

        db.command_log().start();
        assert!(!profiles.save(&mut p).await.unwrap());
        // A change made and undone is no change either.
        p.visits += 1;
        p.visits -= 1;
        assert!(!profiles.save(&mut p).await.unwrap());
        let log = db.command_log().take();
        assert!(log.is_empty(), "{}: {log:?}", b.name);

        p.visits += 1;
        db.command_log().start();
        assert!(profiles.save(&mut p).await.unwrap());
        let log = db.command_log().take();
        assert_eq!(log.len(), 1, "{}: {log:?}", b.name);
        assert_eq!(log[0].command, "update", "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn saving_a_deleted_document_is_not_found_and_does_not_resurrect_it() {
    for b in common::backends().await {
        let db = db_of(&b);
        let profiles = db.collection::<Profile>();
        profiles.insert_one(&mut profile(3)).await.unwrap();
        let mut p = profiles.find_by_id(&3).tracked().await.unwrap().unwrap();
        profiles
            .delete_one(Profile::fields().id.eq(3))
            .await
            .unwrap();

        p.visits = 9;
        let e = profiles.save(&mut p).await.unwrap_err();
        assert!(matches!(e, Error::NotFound { .. }), "{}: {e:?}", b.name);
        assert_eq!(
            profiles.count(Filter::all()).await.unwrap(),
            0,
            "{}",
            b.name
        );

        let missing = profiles.find_by_id(&3).tracked().await.unwrap();
        assert!(missing.is_none());
        b.finish().await;
    }
}

#[tokio::test]
async fn saving_a_versioned_model_detects_any_concurrent_write() {
    for b in common::backends().await {
        let db = db_of(&b);
        let ledgers = db.collection::<Ledger>();
        let f = Ledger::fields();
        let mut l = Ledger {
            id: 1,
            balance: 10,
            note: String::new(),
            v: 0,
        };
        ledgers.insert_one(&mut l).await.unwrap();

        let mut mine = ledgers.find_by_id(&1).tracked().await.unwrap().unwrap();
        mine.balance += 5;
        ledgers.save(&mut mine).await.unwrap();
        assert_eq!(mine.v, 1, "{}", b.name);
        assert_eq!(
            mine.snapshot().get_i64("v").unwrap(),
            1,
            "{}: the snapshot follows",
            b.name
        );

        // Another writer, even on another field, bumps the version.
        ledgers
            .update_one(f.id.eq(1), f.note.set("audit".to_string()))
            .await
            .unwrap();
        mine.balance += 5;
        let e = ledgers.save(&mut mine).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Conflict {
                    expected_version: 1,
                    ..
                }
            ),
            "{}: {e:?}",
            b.name
        );
        let stored = ledgers.find_by_id(&1).await.unwrap().unwrap();
        assert_eq!(
            (stored.balance, stored.note.as_str(), stored.v),
            (15, "audit", 2)
        );

        // Reload and retry.
        let mut mine = ledgers.find_by_id(&1).tracked().await.unwrap().unwrap();
        mine.balance += 5;
        ledgers.save(&mut mine).await.unwrap();
        let stored = ledgers.find_by_id(&1).await.unwrap().unwrap();
        assert_eq!((stored.balance, stored.v), (20, 3), "{}", b.name);

        // A raw update through odm still counts as a write to guard against.
        ledgers
            .update_one(f.id.eq(1), Update::raw(doc! { "$set": { "note": "raw" } }))
            .await
            .unwrap();
        mine.balance = 0;
        assert!(ledgers.save(&mut mine).await.is_err(), "{}", b.name);
        b.finish().await;
    }
}

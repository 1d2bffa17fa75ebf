//! Indexes declared on the model (`#[odm(index ..)]`, `#[odm(unique)]`) and
//! `plan_indexes` / `sync_indexes`, on every backend of `tests/common`.

mod common;

use std::sync::Arc;

use odm::backend::IndexModel;
use odm::bson::{doc, oid::ObjectId};
use odm::chrono::{DateTime, Utc};
use odm::{Database, Document, Embedded, Error};

#[derive(Debug, Clone, PartialEq, Embedded)]
struct Address {
    city: String,
    #[serde(rename = "zip_code")]
    zip: String,
}

#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "accounts")]
#[odm(index(keys(address.city, -age), name = "city_age"))]
#[odm(index(keys(address.zip), partial_filter = |f| f.age.gte(18)))]
#[odm(index(text(bio = 5, tags), default_language = "french"))]
struct Account {
    id: i64,
    #[odm(unique)]
    email: String,
    #[serde(rename = "years")]
    age: i32,
    address: Address,
    #[odm(index(sparse, desc))]
    nickname: Option<String>,
    #[odm(index(expire_after = 24 * 3600))]
    seen: DateTime<Utc>,
    bio: String,
    tags: Vec<String>,
    #[odm(index(collation(locale = "fr", strength = 2)))]
    name: String,
}

/// The first version of a model...
#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "people")]
struct PersonV1 {
    id: Option<ObjectId>,
    #[odm(index)]
    email: String,
    #[odm(index)]
    city: String,
}

/// ... and the next, whose email index became unique and whose city index went away.
#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "people")]
struct PersonV2 {
    id: Option<ObjectId>,
    #[odm(index, unique)]
    email: String,
    city: String,
}

/// Every date and text type the markers accept, and keys through an
/// optional embedded struct and a renamed one (`rename_all`).
#[derive(Debug, Clone, PartialEq, Document)]
#[serde(rename_all = "camelCase")]
#[odm(index(keys(home.city, -home.zip, signed_up)))]
struct Shapes {
    id: i64,
    home: Option<Address>,
    signed_up: bool,
    #[odm(index(expire_after = 60))]
    bson_date: Option<odm::bson::DateTime>,
    #[odm(index(expire_after = 60))]
    naive_dates: Vec<odm::chrono::NaiveDate>,
    #[odm(index(expire_after = 60))]
    naive_time: odm::chrono::NaiveDateTime,
    #[odm(index(expire_after = 60))]
    offset_time: Option<DateTime<odm::chrono::FixedOffset>>,
    #[odm(index(text))]
    note: Option<String>,
}

/// The generated `indexes()` names everything by absolute path.
#[allow(dead_code, non_camel_case_types)]
mod shadowing {
    struct u64;
    struct i32;
    struct Vec;
    struct String;
    struct Some;
    mod std {}
    mod bson {}

    #[derive(::odm::Document)]
    #[odm(index(keys(name, -n), unique, name = "both", collation(locale = "fr")))]
    #[odm(index(text(name = 3), default_language = "french"))]
    pub struct Model {
        pub id: ::std::primitive::i64,
        pub name: ::std::string::String,
        #[odm(index(expire_after = 60, partial_filter = |f| f.n.gt(1)))]
        pub at: ::odm::bson::DateTime,
        pub n: ::std::primitive::i32,
    }
}

#[test]
fn the_generated_indexes_compile_beside_shadowing_items() {
    let ix = shadowing::Model::indexes();
    assert_eq!(names(&ix), ["at_1", "both", "name_text"]);
    assert_eq!(ix[0].partial_filter, Some(doc! {"n": {"$gt": 1}}));
    assert_eq!(ix[2].weights, Some(doc! {"name": 3}));
}

fn db_of(b: &common::TestBackend) -> Database {
    Database::with_backend(Arc::clone(&b.backend), b.db.as_str())
}

fn account(id: i64, email: &str) -> Account {
    Account {
        id,
        email: email.into(),
        age: 30,
        address: Address {
            city: "Lyon".into(),
            zip: "69001".into(),
        },
        nickname: None,
        seen: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        bio: "likes hiking".into(),
        tags: vec!["outdoor".into()],
        name: "Zoé".into(),
    }
}

fn names(indexes: &[IndexModel]) -> Vec<String> {
    indexes.iter().map(IndexModel::effective_name).collect()
}

#[test]
fn the_declarations_become_index_models_with_stored_names() {
    let ix = Account::indexes();
    assert_eq!(
        names(&ix),
        [
            "email_1",
            "nickname_-1",
            "seen_1",
            "name_1",
            "city_age",
            "address.zip_code_1",
            "bio_text_tags_text"
        ]
    );
    let by = |n: &str| ix.iter().find(|i| i.effective_name() == n).unwrap();
    assert!(by("email_1").unique && !by("email_1").sparse);
    assert!(by("nickname_-1").sparse && !by("nickname_-1").unique);
    assert_eq!(by("seen_1").expire_after_secs, Some(86_400));
    assert_eq!(
        by("name_1").collation,
        Some(doc! {"locale": "fr", "strength": 2})
    );
    assert_eq!(by("city_age").keys, doc! {"address.city": 1, "years": -1});
    assert_eq!(
        by("address.zip_code_1").partial_filter,
        Some(doc! {"years": {"$gte": 18}})
    );
    let text = by("bio_text_tags_text");
    assert_eq!(text.keys, doc! {"bio": "text", "tags": "text"});
    assert_eq!(text.weights, Some(doc! {"bio": 5}));
    assert_eq!(text.default_language.as_deref(), Some("french"));
    let shapes = Shapes::indexes();
    assert_eq!(
        names(&shapes),
        [
            "bsonDate_1",
            "naiveDates_1",
            "naiveTime_1",
            "offsetTime_1",
            "note_text",
            "home.city_1_home.zip_code_-1_signedUp_1"
        ]
    );
    assert!(shapes[..4].iter().all(|i| i.expire_after_secs == Some(60)));
    // A model without declarations has none.
    #[derive(Document)]
    struct Plain {
        id: i64,
    }
    assert!(Plain::indexes().is_empty());
}

#[tokio::test]
async fn sync_creates_the_declared_indexes_and_a_second_sync_plans_nothing() {
    for b in common::backends().await {
        let db = db_of(&b);
        let accounts = db.collection::<Account>();
        let before = accounts.plan_indexes().await.unwrap();
        assert_eq!(before.create.len(), 7, "{}", b.name);
        let done = accounts.sync_indexes().await.unwrap();
        assert_eq!(done.created.len(), 7, "{}: {done:?}", b.name);
        let listed = b.backend.list_indexes(b.ns("accounts")).await.unwrap();
        for declared in Account::indexes() {
            let name = declared.effective_name();
            let found = listed
                .iter()
                .find(|i| i.effective_name() == name)
                .unwrap_or_else(|| panic!("{}: no index {name}", b.name));
            assert_eq!(found.unique, declared.unique, "{}: {name}", b.name);
            assert_eq!(found.sparse, declared.sparse, "{}: {name}", b.name);
            assert_eq!(
                found.partial_filter, declared.partial_filter,
                "{}: {name}",
                b.name
            );
            assert_eq!(
                found.expire_after_secs, declared.expire_after_secs,
                "{}: {name}",
                b.name
            );
        }
        let again = accounts.plan_indexes().await.unwrap();
        assert!(again.is_empty(), "{}: {again}", b.name);
        assert_eq!(again.unchanged.len(), 7, "{}", b.name);
        let second = db.sync_indexes::<Account>().await.unwrap();
        assert!(second.created.is_empty() && second.recreated.is_empty());
        b.finish().await;
    }
}

#[tokio::test]
async fn a_declared_unique_index_refuses_duplicates_naming_itself() {
    for b in common::backends().await {
        let db = db_of(&b);
        let accounts = db.collection::<Account>();
        accounts.sync_indexes().await.unwrap();
        accounts
            .insert_one(&mut account(1, "a@x.org"))
            .await
            .unwrap();
        let err = accounts
            .insert_one(&mut account(2, "a@x.org"))
            .await
            .unwrap_err();
        match err {
            Error::DuplicateKey { index, key, .. } => {
                assert_eq!(index, "email_1", "{}", b.name);
                assert_eq!(*key, doc! {"email": "a@x.org"}, "{}", b.name);
            }
            other => panic!("{}: {other:?}", b.name),
        }
        b.finish().await;
    }
}

#[tokio::test]
async fn an_existing_index_with_the_same_keys_and_options_is_kept_under_its_name() {
    for b in common::backends().await {
        let db = db_of(&b);
        let mut by_email = IndexModel::new(doc! {"email": 1});
        by_email.name = Some("by_email".into());
        b.backend
            .create_indexes(b.ns("people"), vec![by_email])
            .await
            .unwrap();
        let plan = db.collection::<PersonV1>().plan_indexes().await.unwrap();
        assert_eq!(plan.unchanged, ["by_email"], "{}", b.name);
        assert_eq!(names(&plan.create), ["city_1"], "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_changed_declaration_is_reported_and_recreated_only_with_the_flag() {
    for b in common::backends().await {
        let db = db_of(&b);
        db.sync_indexes::<PersonV1>().await.unwrap();
        let people = db.collection::<PersonV2>();

        let plan = people.plan_indexes().await.unwrap();
        assert!(plan.create.is_empty(), "{}: {plan:?}", b.name);
        assert_eq!(plan.drop, ["city_1"], "{}", b.name);
        assert_eq!(plan.changed.len(), 1, "{}", b.name);
        assert_eq!(plan.changed[0].name, "email_1");
        assert_eq!(
            plan.changed[0].differences,
            ["unique: declared true, existing false"]
        );

        let err = people.sync_indexes().await.unwrap_err();
        match &err {
            Error::Command(e) => {
                assert_eq!((e.code, e.code_name.as_str()), (85, "IndexOptionsConflict"));
                assert!(e.message.contains("email_1"), "{}", e.message);
                assert!(e.message.contains("unique"), "{}", e.message);
                assert!(e.message.contains("drop_extra(true)"), "{}", e.message);
            }
            other => panic!("{}: {other:?}", b.name),
        }
        // Nothing was touched.
        let listed = b.backend.list_indexes(b.ns("people")).await.unwrap();
        assert_eq!(names(&listed), ["_id_", "email_1", "city_1"], "{}", b.name);

        let done = people.sync_indexes().drop_extra(true).await.unwrap();
        assert_eq!(done.recreated, ["email_1"], "{}", b.name);
        assert_eq!(done.dropped, ["city_1"], "{}", b.name);
        let listed = b.backend.list_indexes(b.ns("people")).await.unwrap();
        assert_eq!(names(&listed), ["_id_", "email_1"], "{}", b.name);
        assert!(listed[1].unique, "{}", b.name);
        assert!(people.plan_indexes().await.unwrap().is_empty());
        b.finish().await;
    }
}

#[tokio::test]
async fn undeclared_indexes_are_dropped_only_with_the_flag() {
    for b in common::backends().await {
        let db = db_of(&b);
        let mut legacy = IndexModel::new(doc! {"legacy": -1});
        legacy.sparse = true;
        b.backend
            .create_indexes(b.ns("people"), vec![legacy])
            .await
            .unwrap();
        let done = db.sync_indexes::<PersonV1>().await.unwrap();
        assert_eq!(done.created, ["email_1", "city_1"], "{}", b.name);
        assert_eq!(done.kept, ["legacy_-1"], "{}", b.name);
        assert!(done.dropped.is_empty());
        let plan = db.collection::<PersonV1>().plan_indexes().await.unwrap();
        assert_eq!(plan.drop, ["legacy_-1"], "{}", b.name);

        let done = db
            .sync_indexes::<PersonV1>()
            .drop_extra(true)
            .await
            .unwrap();
        assert_eq!(done.dropped, ["legacy_-1"], "{}", b.name);
        assert!(done.created.is_empty());
        let listed = b.backend.list_indexes(b.ns("people")).await.unwrap();
        assert_eq!(names(&listed), ["_id_", "email_1", "city_1"], "{}", b.name);
        b.finish().await;
    }
}

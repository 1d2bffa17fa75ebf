//! Index-backed queries through odm's typed API, on every backend available
//! (the engine alone, and the driver through the wire server when the
//! features are on): an index changes how a query runs, never what it
//! returns. `explain` names the index; `hint` forces one; TTL indexes expire.

mod common;
mod query_fixture;

use odm::backend::{Backend, IndexModel};
use odm::bson::{doc, oid::ObjectId, Bson, Document};
use odm::chrono::NaiveDate;
use odm::{Collection, Database, Filter};
use query_fixture::{Address, Item, Kind, User};

fn user(i: i32) -> User {
    let cities = ["Paris", "Lyon", "Oslo", "Rome"];
    User {
        id: ObjectId::new(),
        name: format!("user{i:03}"),
        age: 18 + (i * 7) % 50,
        nickname: (i % 3 == 0).then(|| format!("n{i}")),
        tags: (0..(i % 4)).map(|t| format!("t{}", (i + t) % 5)).collect(),
        scores: vec![i % 10, (i * 3) % 10],
        address: Address {
            city: cities[(i % 4) as usize].into(),
            zip: format!("{:05}", 75000 + i % 7),
        },
        items: vec![Item {
            sku: format!("sku{}", i % 6),
            qty: i % 9,
        }],
        born: NaiveDate::from_ymd_opt(1960 + i % 40, 1 + (i % 12) as u32, 1).unwrap(),
        kind: if i % 10 == 0 {
            Kind::Admin
        } else {
            Kind::Member
        },
        active: i % 2 == 0,
    }
}

async fn populated(db: &Database) -> Collection<User> {
    let users = db.collection::<User>();
    let mut all: Vec<User> = (0..120).map(user).collect();
    users.insert_many(&mut all).await.unwrap();
    users
}

async fn create(db: &Database, coll: &str, models: Vec<IndexModel>) {
    db.backend()
        .create_indexes(db.namespace(coll), models)
        .await
        .unwrap();
}

fn names(users: &[User]) -> Vec<String> {
    users.iter().map(|u| u.name.clone()).collect()
}

/// Queries whose results must not depend on indexes, with their sorts.
fn queries() -> Vec<(Filter<User>, Option<odm::Sort<User>>)> {
    let f = User::fields();
    vec![
        (f.age.eq(25), None),
        (f.age.in_([20, 41, 67]), Some(f.name.desc())),
        (f.age.gte(30) & f.age.lt(45), Some(f.age.asc())),
        (f.age.gt(60), Some(f.age.desc())),
        (f.address.city.eq("Oslo") & f.age.lte(40), None),
        (f.address.city.eq("Rome"), Some(f.age.asc())),
        (f.tags.contains("t3"), Some(f.name.asc())),
        (f.scores.contains(7), None),
        (f.name.gt("user100"), None),
        (Filter::all(), Some(f.age.asc().then(f.name.asc()))),
        (Filter::all(), Some(f.name.desc())),
        (f.nickname.is_none(), None),
    ]
}

async fn run_all(users: &Collection<User>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (filter, sort) in queries() {
        let mut find = users.find(filter);
        if let Some(sort) = sort {
            find = find.sort(sort);
        }
        out.push(names(&find.all().await.unwrap()));
    }
    out
}

#[tokio::test]
async fn results_are_the_same_with_and_without_indexes() {
    for b in common::backends().await {
        let db = Database::with_backend(b.backend.clone(), b.db.as_str());
        let users = populated(&db).await;
        let before = run_all(&users).await;
        create(
            &db,
            "user",
            vec![
                IndexModel::new(doc! {"age": 1}),
                IndexModel::new(doc! {"address.city": 1, "age": -1}),
                IndexModel::new(doc! {"tags": 1}),
                IndexModel::new(doc! {"scores": -1}),
                IndexModel::new(doc! {"name": 1}),
                IndexModel::new(doc! {"age": 1, "name": 1}),
            ],
        )
        .await;
        let after = run_all(&users).await;
        assert_eq!(before, after, "{}", b.name);
        assert!(
            after.iter().any(|r| r.len() > 1),
            "queries select something"
        );
        // Counts and writes go through the planner too.
        let f = User::fields();
        assert_eq!(users.count(f.age.gte(60)).await.unwrap(), 19, "{}", b.name);
        let r = users
            .update_many(f.address.city.eq("Lyon"), f.active.set(false))
            .await
            .unwrap();
        assert_eq!(r.matched_count, 30, "{}", b.name);
        let r = users.delete_many(f.age.lt(25)).await.unwrap();
        assert_eq!(r.deleted_count, 17, "{}", b.name);
        assert_eq!(users.count(f.age.lt(25)).await.unwrap(), 0);
        assert_eq!(users.count(Filter::all()).await.unwrap(), 103);
        b.finish().await;
    }
}

#[tokio::test]
async fn explain_names_the_index_and_what_it_read() {
    for b in common::backends().await {
        let db = Database::with_backend(b.backend.clone(), b.db.as_str());
        let users = populated(&db).await;
        let f = User::fields();
        let scan = users.find(f.age.eq(25)).explain().await.unwrap();
        assert_eq!(scan.stage, "COLLSCAN", "{}", b.name);
        assert_eq!(scan.docs_examined, 120);
        create(
            &db,
            "user",
            vec![
                IndexModel::new(doc! {"age": 1}),
                IndexModel::new(doc! {"address.city": 1, "age": -1}),
            ],
        )
        .await;
        let e = users.find(f.age.eq(25)).explain().await.unwrap();
        assert_eq!(e.stage, "IXSCAN", "{}", b.name);
        assert_eq!(e.index_name.as_deref(), Some("age_1"));
        assert_eq!(e.returned, scan.returned);
        assert_eq!(e.docs_examined, e.returned, "only the matches are fetched");
        // A compound index by its prefix.
        let e = users
            .find(f.address.city.eq("Oslo") & f.age.gt(50))
            .explain()
            .await
            .unwrap();
        assert_eq!(e.index_name.as_deref(), Some("address.city_1_age_-1"));
        // A sort walked in index order stops at the limit.
        let e = users
            .find(Filter::all())
            .sort(f.age.desc())
            .limit(3)
            .explain()
            .await
            .unwrap();
        assert_eq!(e.index_name.as_deref(), Some("age_1"), "{}", b.name);
        assert_eq!(e.docs_examined, 3);
        b.finish().await;
    }
}

#[tokio::test]
async fn hints_force_an_index_and_unknown_hints_fail() {
    for b in common::backends().await {
        let db = Database::with_backend(b.backend.clone(), b.db.as_str());
        let users = populated(&db).await;
        create(
            &db,
            "user",
            vec![
                IndexModel::new(doc! {"age": 1}),
                IndexModel::new(doc! {"name": 1}),
            ],
        )
        .await;
        let f = User::fields();
        let q = || f.age.gte(40) & f.name.lt("user050");
        let plain = names(&users.find(q()).all().await.unwrap());
        let hinted = names(&users.find(q()).hint("name_1").all().await.unwrap());
        assert_eq!(plain, hinted);
        let e = users.find(q()).hint("name_1").explain().await.unwrap();
        assert_eq!(e.index_name.as_deref(), Some("name_1"), "{}", b.name);
        let e = users
            .find(q())
            .hint_keys(f.age.asc())
            .explain()
            .await
            .unwrap();
        assert_eq!(e.index_name.as_deref(), Some("age_1"));
        let err = users.find(q()).hint("nope_1").all().await.unwrap_err();
        assert!(
            err.to_string()
                .contains("hint provided does not correspond to an existing index"),
            "{}: {err}",
            b.name
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn multikey_and_unique_indexes() {
    let db = Database::memory();
    let users = populated(&db).await;
    let mut unique = IndexModel::new(doc! {"name": 1});
    unique.unique = true;
    create(&db, "user", vec![unique, IndexModel::new(doc! {"tags": 1})]).await;
    let f = User::fields();
    let e = users.find(f.tags.contains("t2")).explain().await.unwrap();
    assert_eq!(e.index_name.as_deref(), Some("tags_1"));
    let found = users.find(f.tags.contains("t2")).all().await.unwrap();
    assert!(found.iter().all(|u| u.tags.contains(&"t2".to_string())));
    assert_eq!(found.len() as u64, e.returned);
    // Uniqueness is still enforced, through the same entries.
    let mut dup = vec![user(5)];
    assert!(users.insert_many(&mut dup).await.is_err());
    let one = users.find_one(f.name.eq("user042")).await.unwrap().unwrap();
    assert_eq!(one.age, user(42).age);
}

#[tokio::test]
async fn ttl_indexes_expire_old_documents() {
    let engine = std::sync::Arc::new(odm::backend::memory::MemoryBackend::new());
    let backend: std::sync::Arc<dyn Backend> = engine.clone();
    let ns = odm::backend::Namespace::new("db", "sessions");
    let now = odm::bson::DateTime::now().timestamp_millis();
    let at = |ms: i64| Bson::DateTime(odm::bson::DateTime::from_millis(ms));
    let docs: Vec<Document> = vec![
        doc! {"_id": 1, "seen": at(now - 3_600_000)},
        doc! {"_id": 2, "seen": at(now)},
        doc! {"_id": 3, "seen": "yesterday"},
        doc! {"_id": 4, "seen": [at(now), at(now - 7_200_000)]},
    ];
    let raw = docs
        .iter()
        .map(|d| odm::bson::RawDocumentBuf::try_from(d).unwrap())
        .collect();
    backend
        .insert(ns.clone(), raw, Default::default())
        .await
        .unwrap();
    let mut ttl = IndexModel::new(doc! {"seen": 1});
    ttl.expire_after_secs = Some(60);
    backend.create_indexes(ns.clone(), vec![ttl]).await.unwrap();
    engine.expire_ttl_now();
    let left = backend
        .count(ns, doc! {}, Default::default())
        .await
        .unwrap();
    assert_eq!(left, 2);
}

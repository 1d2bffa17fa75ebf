//! Typed filters and updates run against the in-memory engine: the BSON the
//! builders produce is what MongoDB's semantics expect (each case names the
//! documents it must select).

mod query_fixture;

use odm::bson::oid::ObjectId;
use odm::chrono::NaiveDate;
use odm::{Collection, Database, Filter};
use query_fixture::{Address, Item, Kind, User};

fn user(
    name: &str,
    age: i32,
    city: &str,
    tags: &[&str],
    scores: &[i32],
    items: &[(&str, i32)],
) -> User {
    User {
        id: ObjectId::new(),
        name: name.into(),
        age,
        nickname: (age > 30).then(|| format!("{name}-nick")),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        scores: scores.to_vec(),
        address: Address {
            city: city.into(),
            zip: "00000".into(),
        },
        items: items
            .iter()
            .map(|(sku, qty)| Item {
                sku: sku.to_string(),
                qty: *qty,
            })
            .collect(),
        born: NaiveDate::from_ymd_opt(2026 - age, 6, 1).unwrap(),
        kind: if age > 60 { Kind::Admin } else { Kind::Member },
        active: true,
    }
}

async fn users() -> Collection<User> {
    let db = Database::memory();
    let users = db.collection::<User>();
    let mut all = vec![
        user(
            "ann",
            34,
            "Paris",
            &["vip"],
            &[1, 2, 3],
            &[("x", 6), ("y", 1)],
        ),
        user("Bob", 17, "Paris", &[], &[82], &[("x", 2)]),
        user("cid", 70, "Lyon", &["vip", "old"], &[1, 9], &[]),
        user("Dan", 28, "Oslo", &["new"], &[90, 2, 1], &[("y", 9)]),
    ];
    users.insert_many(&mut all).await.unwrap();
    users
}

async fn names(users: &Collection<User>, filter: Filter<User>) -> Vec<String> {
    let f = User::fields();
    let found = users.find(filter).sort(f.name.asc()).all().await.unwrap();
    found.into_iter().map(|u| u.name).collect()
}

#[tokio::test]
async fn filters_select_what_mongodb_would() {
    let users = users().await;
    let f = User::fields();
    let cases: Vec<(Filter<User>, &[&str])> = vec![
        (f.age.gte(30) & f.address.city.eq("Paris"), &["ann"]),
        (f.age.lt(18) | f.age.gt(65), &["Bob", "cid"]),
        (!f.name.regex("^[a-c]", ""), &["Bob", "Dan"]),
        (!(f.age.lt(18) | f.age.gt(65)), &["Dan", "ann"]),
        // `None` is stored as null, which exists.
        (f.nickname.exists(false), &[]),
        (f.nickname.exists(true), &["Bob", "Dan", "ann", "cid"]),
        (f.nickname.eq(None), &["Bob", "Dan"]),
        (f.nickname.eq("cid-nick"), &["cid"]),
        (f.tags.contains("vip"), &["ann", "cid"]),
        (f.tags.contains_any(["old", "new"]), &["Dan", "cid"]),
        (f.scores.all([1, 2]), &["Dan", "ann"]),
        (f.scores.size(3), &["Dan", "ann"]),
        (f.scores.elem_match(|s| s.gte(80) & s.lt(85)), &["Bob"]),
        (!f.scores.elem_match(|s| s.gt(5)), &["ann"]),
        (
            f.items.elem_match(|i| i.qty.gt(5) & i.sku.eq("x")),
            &["ann"],
        ),
        (f.items.size(0), &["cid"]),
        (f.kind.eq(Kind::Admin), &["cid"]),
        (f.kind.in_([Kind::Member]), &["Bob", "Dan", "ann"]),
        (
            f.born.lt(NaiveDate::from_ymd_opt(1980, 1, 1).unwrap()),
            &["cid"],
        ),
        (f.age.modulo(17, 0), &["Bob", "ann"]),
        (f.age.ne(34) & f.age.nin([17, 70]), &["Dan"]),
    ];
    for (i, (filter, want)) in cases.into_iter().enumerate() {
        let shown = format!("{filter:?}");
        assert_eq!(names(&users, filter).await, want, "case {i}: {shown}");
    }
}

#[tokio::test]
async fn updates_change_what_mongodb_would() {
    let users = users().await;
    let f = User::fields();
    let ann = f.name.eq("ann");

    users
        .update_one(
            ann.clone(),
            f.age.inc(1)
                & f.nickname.unset()
                & f.tags.push("x")
                & f.scores.pull_matching(|s| s.lt(2))
                & f.items.filtered("big").qty.mul(10)
                & f.items.array_filter("big", |i| i.qty.gt(5)),
        )
        .await
        .unwrap();
    let got = users.find_one(ann.clone()).await.unwrap().unwrap();
    assert_eq!(got.age, 35);
    assert_eq!(got.nickname, None);
    assert_eq!(names(&users, f.nickname.exists(false)).await, ["ann"]);
    assert_eq!(got.tags, ["vip", "x"]);
    assert_eq!(got.scores, [2, 3]);
    assert_eq!(got.items.iter().map(|i| i.qty).collect::<Vec<_>>(), [60, 1]);

    users
        .update_one(
            ann.clone(),
            f.scores.push_each([7, 0]).sort_desc().slice(3).into(),
        )
        .await
        .unwrap();
    users
        .update_one(
            ann.clone()
                & f.items.contains_any([Item {
                    sku: "y".into(),
                    qty: 1,
                }]),
            f.items.matched().sku.set("z"),
        )
        .await
        .unwrap();
    let got = users.find_one(ann.clone()).await.unwrap().unwrap();
    assert_eq!(got.scores, [7, 3, 2]);
    assert_eq!(got.items[1].sku, "z");

    let res = users
        .update_many(
            f.tags.contains("vip"),
            f.scores.each().inc(100) & f.tags.add_to_set("vip"),
        )
        .await
        .unwrap();
    assert_eq!(res.matched_count, 2);
    let cid = users.find_one(f.name.eq("cid")).await.unwrap().unwrap();
    assert_eq!(cid.scores, [101, 109]);
    assert_eq!(cid.tags, ["vip", "old"]);
}

#[tokio::test]
async fn encode_errors_surface_when_the_operation_runs() {
    let users = users().await;
    let f = User::fields();
    // An array filter identifier MongoDB would refuse is reported before
    // anything is sent.
    let bad = f.items.filtered("Big").qty.inc(1) & f.items.array_filter("Big", |i| i.qty.gt(1));
    let err = users.update_many(Filter::all(), bad).await.unwrap_err();
    assert!(matches!(err, odm::Error::Encode { .. }), "{err:?}");
}

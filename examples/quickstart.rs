//! The seeds' workflow, step by step: connect, insert a document with a
//! `NaiveDate`, find, `update_many` with `$set`, `replace_one`,
//! `delete_many`, count, close.
//!
//! Runs on the in-memory engine by default; set `MONGODB_URI` (or put it in
//! `.env`) to run the same code against a real MongoDB.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use chrono::NaiveDate;
use odm::bson::oid::ObjectId;
use odm::prelude::*;
use odm::{Database, Filter};

/// A user, stored in the `users` collection.
#[derive(Document, Debug, Clone, PartialEq, validator::Validate)]
#[odm(collection = "users", validate)]
struct User {
    /// Stored as `_id`; `None` until the first insert assigns one.
    id: Option<ObjectId>,
    #[validate(length(min = 1, message = "a user needs a name"))]
    name: String,
    email: String,
    /// A date without a time: a BSON date at midnight UTC, not a string.
    born: NaiveDate,
    #[validate(range(min = 0, max = 150))]
    age: i32,
    city: String,
    tags: Vec<String>,
}

fn user(name: &str, born: (i32, u32, u32), age: i32, city: &str) -> User {
    User {
        id: None,
        name: name.into(),
        email: format!("{}@example.com", name.to_lowercase()),
        born: NaiveDate::from_ymd_opt(born.0, born.1, born.2).expect("a valid date"),
        age,
        city: city.into(),
        tags: vec![],
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> odm::Result<()> {
    // 1. Connect: MONGODB_URI when set, else the in-memory engine.
    let db = Database::from_env().await?;
    println!(
        "1. connected: database `{}` on the {} backend",
        db.name(),
        db.backend().name()
    );
    let users = db.collection::<User>();
    users.drop().await?;

    // 2. Insert documents; a NaiveDate is stored as a BSON date.
    let mut alice = user("Alice", (2000, 7, 20), 25, "Paris");
    let id = users.insert_one(&mut alice).await?;
    println!("2. inserted Alice with _id {id} (born {})", alice.born);
    let mut others = vec![
        user("Bob", (1990, 1, 5), 35, "Lyon"),
        user("Carol", (2010, 12, 1), 15, "Paris"),
        user("Dave", (1985, 3, 30), 40, "Berlin"),
    ];
    let ids = users.insert_many(&mut others).await?;
    println!("   inserted {} more users", ids.len());

    // Invalid documents are rejected before anything is written.
    let mut nobody = user("", (1999, 1, 1), 200, "Nowhere");
    match users.insert_one(&mut nobody).await {
        Err(odm::Error::Validation { errors, .. }) => {
            println!("   refused an invalid user: {errors}")
        }
        other => println!("   unexpected: {other:?}"),
    }

    // 3. Find, with a typed date range query: the NaiveDate in the filter
    //    goes through the same conversion as the stored one.
    let f = User::fields();
    let since_1995 = NaiveDate::from_ymd_opt(1995, 1, 1).expect("a valid date");
    let young = users
        .find(f.born.gte(since_1995))
        .sort(f.born.asc())
        .all()
        .await?;
    println!(
        "3. born since 1995: {:?}",
        young.iter().map(|u| u.name.as_str()).collect::<Vec<_>>()
    );
    let found = users.find_by_id(&id).await?;
    println!("   found by id: {:?}", found.as_ref().map(|u| &u.name));

    // 4. update_many with $set.
    let in_paris = f.city.eq("Paris");
    let tagged = users
        .update_many(in_paris.clone(), f.tags.set(vec!["parisian".to_string()]))
        .await?;
    println!(
        "4. update_many $set: matched {}, modified {}",
        tagged.matched_count, tagged.modified_count
    );

    // 5. replace_one keeps the _id.
    alice.email = "alice@odm.dev".into();
    alice.age += 1;
    users.replace_one(&mut alice).await?;
    let reread = users.find_by_id(&id).await?;
    println!(
        "5. replaced Alice: {:?}",
        reread.map(|u| (u.id == Some(id), u.email, u.age))
    );

    // 6. delete_many.
    let deleted = users.delete_many(f.age.lt(18)).await?;
    println!("6. deleted {} minor(s)", deleted.deleted_count);

    // 7. count.
    let total = users.count(Filter::all()).await?;
    let parisians = users.count(in_paris).await?;
    println!("7. {total} users left, {parisians} in Paris");

    // 8. close: dropping the last handle closes the connection (or frees the memory).
    println!("8. {} commands ran; closing", db.command_log().total());
    drop(users);
    drop(db);
    Ok(())
}

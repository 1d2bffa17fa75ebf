//! A small blog: users, posts that EMBED their comments (`Vec<Comment>`, a
//! `#[derive(Embedded)]` struct) and REFERENCE their author (`Ref<User>`).
//!
//! Walks through: connect, insert, a typed `$push`, a positional update
//! (`comments.$`), typed filters on tags, populating authors (two commands,
//! however many posts), an aggregation, and deleting a user whose posts then
//! hold a dangling reference.
//!
//! Runs on the in-memory engine by default; set `MONGODB_URI` (or put it in
//! `.env`) to run the same code against a real MongoDB.
//!
//! ```sh
//! cargo run --example blog
//! ```

use odm::aggregate::{expr, Pipeline};
use odm::bson::oid::ObjectId;
use odm::prelude::*;
use odm::{Database, Filter, Ref};

/// One row of the comments-per-commenter aggregation (`$sortByCount` output).
#[derive(Embedded, Debug)]
struct CommentCount {
    #[serde(rename = "_id")]
    commenter: ObjectId,
    count: i32,
}

/// A user, stored in `users`.
#[derive(Document, Debug, Clone)]
#[odm(collection = "users")]
struct User {
    id: Option<ObjectId>,
    name: String,
    email: String,
}

/// A comment, stored inside its post: reading a post reads its comments.
#[derive(Embedded, Debug, Clone)]
struct Comment {
    author: Ref<User>,
    text: String,
    likes: i32,
}

/// A post, stored in `posts`; the author is stored as the user's `_id`.
#[derive(Document, Debug, Clone)]
#[odm(collection = "posts")]
struct Post {
    id: Option<ObjectId>,
    title: String,
    author: Ref<User>,
    tags: Vec<String>,
    comments: Vec<Comment>,
}

fn user(name: &str) -> User {
    User {
        id: None,
        name: name.into(),
        email: format!("{}@example.com", name.to_lowercase()),
    }
}

/// A reference to an inserted user. Every user below is inserted before it
/// is referenced, so a missing id is a bug in this example, not user input.
fn to(user: &User) -> Ref<User> {
    Ref::to(user).expect("the user was inserted")
}

fn post(title: &str, author: &User, tags: &[&str]) -> Post {
    Post {
        id: None,
        title: title.into(),
        author: to(author),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        comments: vec![],
    }
}

fn comment(author: &User, text: &str) -> Comment {
    Comment {
        author: to(author),
        text: text.into(),
        likes: 0,
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
    let posts = db.collection::<Post>();
    users.drop().await?;
    posts.drop().await?;

    // 2. Insert users, then posts that reference them.
    let mut people = vec![user("Ada"), user("Grace"), user("Linus")];
    users.insert_many(&mut people).await?;
    let [ada, grace, linus] = [&people[0], &people[1], &people[2]];
    let mut all = vec![
        post("Typed queries in Rust", ada, &["rust", "mongodb"]),
        post(
            "Embedding versus referencing",
            grace,
            &["mongodb", "design"],
        ),
        post("Borrowing without tears", ada, &["rust"]),
        post("Patches by mail", linus, &["git"]),
    ];
    posts.insert_many(&mut all).await?;
    println!("2. inserted {} users and {} posts", people.len(), all.len());
    let first = all[0].id.expect("insert_many assigns ids");

    // 3. Typed `$push`: the value must be a `Comment`, checked at compile
    //    time; `push_each` appends several in one update.
    let f = Post::fields();
    posts
        .update_one(
            f.id.eq(first),
            f.comments
                .push_each([
                    comment(grace, "Compile errors beat runtime surprises."),
                    comment(linus, "Show me the benchmarks."),
                ])
                .into_update(),
        )
        .await?;
    posts
        .update_one(
            f.title.eq("Borrowing without tears"),
            f.comments
                .push(comment(grace, "The borrow checker is a reviewer.")),
        )
        .await?;
    println!("3. pushed 3 comments with typed $push");

    // 4. A positional update: like the comment the filter matched (`comments.$`).
    let liked = posts
        .update_one(
            f.id.eq(first)
                & f.comments
                    .elem_match(|c| c.text.eq("Show me the benchmarks.")),
            f.comments.matched().likes.inc(2),
        )
        .await?;
    let reread = posts.find_by_id(&first).await?.expect("the post exists");
    println!(
        "4. positional $inc: modified {}; likes now {:?}",
        liked.modified_count,
        reread
            .comments
            .iter()
            .map(|c| (c.text.as_str(), c.likes))
            .collect::<Vec<_>>()
    );

    // 5. Typed filters on an array of strings.
    let rust = posts
        .find(f.tags.contains("rust"))
        .sort(f.title.asc())
        .all()
        .await?;
    println!(
        "5. tagged rust: {:?}",
        rust.iter().map(|p| p.title.as_str()).collect::<Vec<_>>()
    );
    let quiet = posts
        .count(f.tags.contains("mongodb") & f.comments.size(0))
        .await?;
    println!("   tagged mongodb without comments yet: {quiet}");

    // 6. Populate authors: one query for the posts, one for all their authors.
    db.command_log().start();
    let loaded = posts.find(Filter::all()).populate(&f.author).await?;
    let log = db.command_log().take();
    println!(
        "6. populated {} posts in {} commands ({})",
        loaded.len(),
        log.len(),
        log.iter()
            .map(|e| format!("{} {}", e.command, e.namespace))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for p in &loaded {
        let by = p.author.get().map_or("?", |u| u.name.as_str());
        println!("   {:<30} by {by}", p.title);
    }

    // 7. Aggregation: comments per commenter, read as a typed row. After
    //    `$unwind` each document holds one comment, so the commenter is the
    //    path `comments.author`, named as an expression.
    let pipeline = Pipeline::<Post>::new()
        .unwind(&f.comments)
        .sort_by_count(expr::raw("$comments.author"));
    let rows: Vec<CommentCount> = posts.aggregate(pipeline).await?;
    println!("7. comments per commenter ($unwind + $sortByCount):");
    for row in &rows {
        let name = people
            .iter()
            .find(|u| u.id == Some(row.commenter))
            .map_or("?", |u| u.name.as_str());
        println!("   {name:<6} {}", row.count);
    }

    // 8. Delete a user: their posts keep the id, and the reference dangles.
    let gone = linus.id.expect("inserted");
    users.delete_one(User::fields().id.eq(gone)).await?;
    let loaded = posts
        .find(f.author.eq(Ref::<User>::new(gone)))
        .populate(&f.author)
        .await?;
    for p in &loaded {
        println!(
            "8. deleted Linus; \"{}\" still references {:?}, loaded: {}",
            p.title,
            p.author,
            p.author.is_loaded()
        );
        match p.author.fetch(&db).await {
            Err(e) => println!("   fetching it reports: {e}"),
            Ok(u) => println!("   unexpected: {u:?}"),
        }
    }

    println!("9. {} commands ran; closing", db.command_log().total());
    Ok(())
}

//! Delete rules (`#[odm(on_delete = "...")]`) on every backend: cascade
//! (two levels, and through a cycle), nullify, pull, deny (which deletes
//! nothing, even when the refusing reference is deep in a cascade), many
//! deletes, `find_one_and_delete`, and no extra cost for a model no rule
//! targets.

mod common;

use odm::relation::delete_rules::rules_for;
use odm::relation::OnDelete;
use odm::{Database, Error, Filter, Ref};

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Author {
    id: i64,
    name: String,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Post {
    id: i64,
    #[odm(on_delete = "cascade")]
    author: Ref<Author>,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Comment {
    id: i64,
    #[odm(on_delete = "cascade")]
    post: Ref<Post>,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Profile {
    id: i64,
    #[odm(on_delete = "nullify")]
    owner: Option<Ref<Author>>,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Team {
    id: i64,
    #[odm(on_delete = "pull")]
    members: Vec<Ref<Author>>,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Publisher {
    id: i64,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Book {
    id: i64,
    #[odm(on_delete = "cascade")]
    publisher: Ref<Publisher>,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Loan {
    id: i64,
    #[odm(on_delete = "deny", rename = "item")]
    book: Ref<Book>,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Node {
    id: i64,
    #[odm(on_delete = "cascade")]
    next: Option<Ref<Node>>,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Tag {
    id: i64,
}

fn db_of(b: &common::TestBackend) -> Database {
    Database::with_backend(b.backend.clone(), b.db.as_str())
}

fn author_ref(id: i64) -> Ref<Author> {
    Ref::new(id)
}

async fn count<M: odm::Document>(db: &Database) -> u64 {
    db.collection::<M>().count(Filter::all()).await.unwrap()
}

#[test]
fn rules_are_registered_by_the_derive_for_their_target() {
    let mut on_author: Vec<_> = rules_for::<Author>()
        .map(|r| (r.source_collection(), r.field(), r.kind()))
        .collect();
    on_author.sort_by_key(|r| r.0);
    assert_eq!(
        on_author,
        [
            ("post", "author", OnDelete::Cascade),
            ("profile", "owner", OnDelete::Nullify),
            ("team", "members", OnDelete::Pull),
        ]
    );
    let on_book: Vec<_> = rules_for::<Book>().map(|r| r.field()).collect();
    assert_eq!(on_book, ["item"], "the stored name");
    assert_eq!(rules_for::<Tag>().count(), 0);
}

async fn seed_authors(db: &Database) {
    let mut authors: Vec<Author> = (1..=3)
        .map(|id| Author {
            id,
            name: format!("a{id}"),
        })
        .collect();
    db.collection::<Author>()
        .insert_many(&mut authors)
        .await
        .unwrap();
    let mut posts: Vec<Post> = (1..=4)
        .map(|id| Post {
            id,
            author: author_ref(if id <= 2 { 1 } else { id - 1 }),
        })
        .collect();
    db.collection::<Post>()
        .insert_many(&mut posts)
        .await
        .unwrap();
    // Comments on posts 1 and 3 (authors 1 and 2).
    let mut comments = vec![
        Comment {
            id: 10,
            post: Ref::new(1),
        },
        Comment {
            id: 11,
            post: Ref::new(1),
        },
        Comment {
            id: 12,
            post: Ref::new(3),
        },
    ];
    db.collection::<Comment>()
        .insert_many(&mut comments)
        .await
        .unwrap();
    let mut profiles = vec![
        Profile {
            id: 1,
            owner: Some(author_ref(1)),
        },
        Profile {
            id: 2,
            owner: Some(author_ref(2)),
        },
    ];
    db.collection::<Profile>()
        .insert_many(&mut profiles)
        .await
        .unwrap();
    let mut teams = vec![Team {
        id: 1,
        members: vec![author_ref(1), author_ref(2), author_ref(3)],
    }];
    db.collection::<Team>()
        .insert_many(&mut teams)
        .await
        .unwrap();
}

/// Books 1 and 2 of publisher 1, book 3 of publisher 2; a loan of book 2.
async fn seed_loaned_books(db: &Database) {
    let books = [(1, 1), (2, 1), (3, 2)].map(|(id, publisher)| Book {
        id,
        publisher: Ref::new(publisher),
    });
    db.collection::<Book>()
        .insert_many(&mut books.to_vec())
        .await
        .unwrap();
    db.collection::<Loan>()
        .insert_one(&mut Loan {
            id: 1,
            book: Ref::new(2),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn cascade_nullify_and_pull_apply_on_delete_one() {
    for b in common::backends().await {
        let db = db_of(&b);
        seed_authors(&db).await;
        let r = db
            .collection::<Author>()
            .delete_one(Author::fields().id.eq(1))
            .await
            .unwrap();
        assert_eq!(r.deleted_count, 1, "{}", b.name);

        // Posts 1 and 2 went, and the comments of post 1 with them (two levels).
        let posts = db
            .collection::<Post>()
            .find(Filter::all())
            .all()
            .await
            .unwrap();
        let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
        assert_eq!(ids, [3, 4], "{}", b.name);
        let comments = db
            .collection::<Comment>()
            .find(Filter::all())
            .all()
            .await
            .unwrap();
        let ids: Vec<i64> = comments.iter().map(|c| c.id).collect();
        assert_eq!(ids, [12], "{}", b.name);

        let profiles = db.collection::<Profile>();
        let p1 = profiles.find_by_id(&1).await.unwrap().unwrap();
        assert_eq!(p1.owner, None, "{}: nullified", b.name);
        let p2 = profiles.find_by_id(&2).await.unwrap().unwrap();
        assert_eq!(p2.owner, Some(author_ref(2)), "{}: untouched", b.name);

        let team = db
            .collection::<Team>()
            .find_by_id(&1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            team.members,
            [author_ref(2), author_ref(3)],
            "{}: pulled",
            b.name
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn find_one_and_delete_applies_the_rules_to_the_document_it_picks() {
    for b in common::backends().await {
        let db = db_of(&b);
        seed_authors(&db).await;
        let f = Author::fields();
        let authors = db.collection::<Author>();
        // Of authors 1 and 2, the sort picks 2: post 3 and its comment go,
        // profile 2 loses its owner, the team loses a member.
        let gone = authors
            .find_one_and_delete(f.id.lte(2))
            .sort(f.id.desc())
            .await
            .unwrap();
        let expected = Author {
            id: 2,
            name: "a2".into(),
        };
        assert_eq!(gone, Some(expected), "{}", b.name);
        let left = authors.find(Filter::all()).all().await.unwrap();
        assert_eq!(left.iter().map(|a| a.id).collect::<Vec<_>>(), [1, 3]);
        let posts = db.collection::<Post>().find(Filter::all()).all().await;
        let ids: Vec<i64> = posts.unwrap().iter().map(|p| p.id).collect();
        assert_eq!(ids, [1, 2, 4], "{}", b.name);
        let comments = db.collection::<Comment>().find(Filter::all()).all().await;
        let ids: Vec<i64> = comments.unwrap().iter().map(|c| c.id).collect();
        assert_eq!(ids, [10, 11], "{}", b.name);
        let profiles = db.collection::<Profile>();
        let p2 = profiles.find_by_id(&2).await.unwrap().unwrap();
        assert_eq!(p2.owner, None, "{}: nullified", b.name);
        let team = db.collection::<Team>().find_by_id(&1).await.unwrap();
        assert_eq!(team.unwrap().members, [author_ref(1), author_ref(3)]);

        // Nothing matching is nothing deleted.
        let none = authors.find_one_and_delete(f.id.eq(9)).await.unwrap();
        assert_eq!(none, None, "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn find_one_and_delete_is_refused_by_deny_and_deletes_nothing() {
    for b in common::backends().await {
        let db = db_of(&b);
        seed_loaned_books(&db).await;
        let books = db.collection::<Book>();
        let e = books
            .find_one_and_delete(Book::fields().id.eq(2))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::DeleteDenied { .. }), "{}: {e:?}", b.name);
        assert_eq!(count::<Book>(&db).await, 3, "{}", b.name);
        let first = books.find_one_and_delete(Filter::all()).await.unwrap();
        assert_eq!(first.map(|b| b.id), Some(1), "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn rules_apply_to_every_document_of_a_delete_many() {
    for b in common::backends().await {
        let db = db_of(&b);
        seed_authors(&db).await;
        let r = db
            .collection::<Author>()
            .delete_many(Author::fields().id.lte(2))
            .await
            .unwrap();
        assert_eq!(r.deleted_count, 2, "{}", b.name);
        assert_eq!(count::<Author>(&db).await, 1, "{}", b.name);
        let posts = db
            .collection::<Post>()
            .find(Filter::all())
            .all()
            .await
            .unwrap();
        assert_eq!(posts.iter().map(|p| p.id).collect::<Vec<_>>(), [4]);
        assert_eq!(count::<Comment>(&db).await, 0, "{}", b.name);
        let profiles = db
            .collection::<Profile>()
            .find(Filter::all())
            .all()
            .await
            .unwrap();
        assert!(profiles.iter().all(|p| p.owner.is_none()), "{}", b.name);
        let team = db
            .collection::<Team>()
            .find_by_id(&1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(team.members, [author_ref(3)], "{}", b.name);

        // Nothing matches: nothing happens.
        let r = db
            .collection::<Author>()
            .delete_many(Author::fields().id.gt(100))
            .await
            .unwrap();
        assert_eq!(r.deleted_count, 0);
        b.finish().await;
    }
}

#[tokio::test]
async fn deny_anywhere_in_the_cascade_deletes_nothing() {
    for b in common::backends().await {
        let db = db_of(&b);
        db.collection::<Publisher>()
            .insert_many(&mut [Publisher { id: 1 }, Publisher { id: 2 }])
            .await
            .unwrap();
        seed_loaned_books(&db).await;

        // Publisher 1 cascades to book 2, which a loan still references.
        let e = db
            .collection::<Publisher>()
            .delete_one(Publisher::fields().id.eq(1))
            .await
            .unwrap_err();
        match &e {
            Error::DeleteDenied {
                collection,
                referencing_collection,
                field,
                count,
            } => {
                assert_eq!(collection, "book", "{}", b.name);
                assert_eq!(referencing_collection, "loan");
                assert_eq!(field, "item");
                assert_eq!(*count, 1);
            }
            other => panic!("{}: {other:?}", b.name),
        }
        assert_eq!(count::<Publisher>(&db).await, 2, "{}", b.name);
        assert_eq!(count::<Book>(&db).await, 3, "{}", b.name);

        // Deleting the book directly is refused too; an unreferenced one is not.
        let books = db.collection::<Book>();
        let e = books.delete_many(Filter::all()).await.unwrap_err();
        assert!(matches!(e, Error::DeleteDenied { .. }), "{e:?}");
        assert_eq!(count::<Book>(&db).await, 3, "{}", b.name);
        books.delete_one(Book::fields().id.eq(1)).await.unwrap();
        assert_eq!(count::<Book>(&db).await, 2);

        // Once the loan is gone the cascade goes through.
        db.collection::<Loan>()
            .delete_many(Filter::all())
            .await
            .unwrap();
        db.collection::<Publisher>()
            .delete_one(Publisher::fields().id.eq(1))
            .await
            .unwrap();
        let left = books.find(Filter::all()).all().await.unwrap();
        assert_eq!(left.iter().map(|b| b.id).collect::<Vec<_>>(), [3]);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_cascade_cycle_deletes_each_document_once() {
    for b in common::backends().await {
        let db = db_of(&b);
        let nodes = db.collection::<Node>();
        // 1 -> 2 -> 3 -> 1, and 4 alone.
        let mut all: Vec<Node> = (1..=4)
            .map(|id| Node {
                id,
                next: (id < 4).then(|| Ref::new(id % 3 + 1)),
            })
            .collect();
        nodes.insert_many(&mut all).await.unwrap();
        let r = nodes.delete_one(Node::fields().id.eq(3)).await.unwrap();
        assert_eq!(r.deleted_count, 1, "{}", b.name);
        let left = nodes.find(Filter::all()).all().await.unwrap();
        assert_eq!(
            left.iter().map(|n| n.id).collect::<Vec<_>>(),
            [4],
            "{}",
            b.name
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn deleting_a_model_without_rules_costs_one_command() {
    for b in common::backends().await {
        let db = db_of(&b);
        let tags = db.collection::<Tag>();
        tags.insert_many(&mut [Tag { id: 1 }, Tag { id: 2 }])
            .await
            .unwrap();
        db.command_log().start();
        tags.delete_one(Tag::fields().id.eq(1)).await.unwrap();
        tags.delete_many(Filter::all()).await.unwrap();
        let log = db.command_log().take();
        let names: Vec<&str> = log.iter().map(|e| e.command.as_str()).collect();
        assert_eq!(names, ["delete", "delete"], "{}", b.name);
        b.finish().await;
    }
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Song {
    id: i64,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Playlist {
    id: i64,
    #[odm(on_delete = "cascade")]
    songs: Vec<Ref<Song>>,
}

#[tokio::test]
async fn cascade_through_a_list_of_references() {
    for b in common::backends().await {
        let db = db_of(&b);
        db.collection::<Song>()
            .insert_many(&mut [Song { id: 1 }, Song { id: 2 }])
            .await
            .unwrap();
        db.collection::<Playlist>()
            .insert_many(&mut [
                Playlist {
                    id: 1,
                    songs: vec![Ref::new(1), Ref::new(2)],
                },
                Playlist {
                    id: 2,
                    songs: vec![Ref::new(2)],
                },
            ])
            .await
            .unwrap();
        db.collection::<Song>()
            .delete_one(Song::fields().id.eq(1))
            .await
            .unwrap();
        let left = db
            .collection::<Playlist>()
            .find(Filter::all())
            .all()
            .await
            .unwrap();
        assert_eq!(
            left.iter().map(|p| p.id).collect::<Vec<_>>(),
            [2],
            "{}",
            b.name
        );
        b.finish().await;
    }
}

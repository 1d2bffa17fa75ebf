//! Hostile and bad input, on every backend of `tests/common`: injection
//! attempts, keys and sizes MongoDB refuses, documents that drifted from the
//! schema, and (feature `wire`) garbage sent straight to the wire server.
//!
//! What MongoDB (5.0+) allows in stored field names, and so what these
//! tests expect:
//! - `$`-prefixed and dotted names are data, at the top level and nested,
//!   in inserted and replacing documents (a replacement may not *start*
//!   with `$`, which would make it an update);
//! - `_id` may not hold `$`-prefixed names (code 52);
//! - update operators refuse a `$`-prefixed path (`$set: {"$a": 1}`) and
//!   an empty one; `$setField` in a pipeline is the way to write such names;
//! - a NUL byte cannot be in a BSON key at all: odm refuses it while
//!   encoding, before anything is sent.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use futures::TryStreamExt;
use odm::backend::{InsertOptions, UpdateModification, UpdateOptions};
use odm::bson::{doc, Document as BsonDocument, RawDocumentBuf};
use odm::error::DecodeErrorKind;
use odm::{Database, Document, Embedded, Error, Filter, Update};

#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "people")]
struct Person {
    id: i64,
    name: String,
    attrs: HashMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Embedded)]
struct Address {
    city: String,
    zip: String,
}

/// The shape "our" program expects; other programs wrote the data.
#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "drift")]
struct Customer {
    id: i64,
    name: String,
    age: i32,
    address: Address,
    #[odm(default)]
    vip: bool,
    #[odm(default = "default_tags")]
    tags: Vec<String>,
}

fn default_tags() -> Vec<String> {
    vec!["new".into()]
}

#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "drift", deny_unknown_fields)]
struct StrictCustomer {
    id: i64,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "blobs")]
struct Blob {
    id: i64,
    body: String,
}

#[derive(Debug, Clone, PartialEq, Document)]
#[odm(collection = "trees")]
struct Tree {
    id: i64,
    root: BsonDocument,
}

fn raw(d: BsonDocument) -> RawDocumentBuf {
    RawDocumentBuf::try_from(&d).unwrap()
}

fn db_of(b: &common::TestBackend) -> Database {
    Database::with_backend(Arc::clone(&b.backend), b.db.as_str())
}

async fn raw_find(b: &common::TestBackend, coll: &str, filter: BsonDocument) -> Vec<BsonDocument> {
    let stream = b
        .backend
        .find(b.ns(coll), filter, Default::default())
        .await
        .unwrap();
    let docs: Vec<RawDocumentBuf> = stream.try_collect().await.unwrap();
    docs.into_iter()
        .map(|d| BsonDocument::try_from(d).unwrap())
        .collect()
}

async fn raw_insert(
    b: &common::TestBackend,
    coll: &str,
    docs: Vec<BsonDocument>,
) -> odm::Result<()> {
    b.backend
        .insert(
            b.ns(coll),
            docs.into_iter().map(raw).collect(),
            InsertOptions::default(),
        )
        .await
        .map(|_| ())
}

/// The MongoDB error code of a failed single write, however it was wrapped.
fn code(e: &Error) -> Option<i32> {
    match e {
        Error::BulkWrite { failure, .. } => failure.write_errors.first().map(|w| w.code),
        other => other.code(),
    }
}

// ---------------------------------------------------------------- injection

#[tokio::test]
async fn user_input_in_a_typed_filter_is_only_ever_a_value() {
    for b in common::backends().await {
        let db = db_of(&b);
        let people = db.collection::<Person>();
        let f = Person::fields();
        let hostile = r#"{"$ne": null}"#;
        for (id, name) in [(1, "alice"), (2, hostile), (3, "$name"), (4, "bob")] {
            let mut p = Person {
                id,
                name: name.into(),
                attrs: HashMap::new(),
            };
            people.insert_one(&mut p).await.unwrap();
        }
        // The string that would be an operator in a hand-built JSON query
        // matches only itself.
        let hits = people.find(f.name.eq(hostile)).all().await.unwrap();
        assert_eq!(
            hits.iter().map(|p| p.id).collect::<Vec<_>>(),
            [2],
            "{}",
            b.name
        );
        // A `$`-string is a literal in filters and in `$set`, not a field reference.
        let hits = people.find(f.name.eq("$name")).all().await.unwrap();
        assert_eq!(
            hits.iter().map(|p| p.id).collect::<Vec<_>>(),
            [3],
            "{}",
            b.name
        );
        people
            .update_one(f.id.eq(4), f.name.set("$name"))
            .await
            .unwrap();
        let bob = people.find_by_id(&4).await.unwrap().unwrap();
        assert_eq!(bob.name, "$name", "{}", b.name);
        // `in` with hostile strings is still a list of literals.
        let hits = people
            .find(f.name.in_([hostile.to_string(), "{}".to_string()]))
            .all()
            .await
            .unwrap();
        assert_eq!(hits.len(), 1, "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn the_raw_filter_is_the_explicit_unsafe_path() {
    for b in common::backends().await {
        let db = db_of(&b);
        let people = db.collection::<Person>();
        for (id, name) in [(1, "alice"), (2, "bob")] {
            let mut p = Person {
                id,
                name: name.into(),
                attrs: HashMap::new(),
            };
            people.insert_one(&mut p).await.unwrap();
        }
        // A caller that parses user JSON into a document and hands it to
        // `Filter::raw` gets an operator: this is what the typed API prevents.
        let user_json = doc! { "$ne": "nobody" };
        let leaked = people
            .find(Filter::raw(doc! { "name": user_json }))
            .all()
            .await
            .unwrap();
        assert_eq!(leaked.len(), 2, "{}: raw filters are not escaped", b.name);
        // A user-chosen key in a raw filter is a path too: `$`-keys are operators.
        let user_key = "$comment";
        let all = people
            .find(Filter::raw(doc! { user_key: "anything" }))
            .all()
            .await
            .unwrap();
        assert_eq!(all.len(), 2, "{}", b.name);
        let unknown = people
            .find(Filter::raw(doc! { "$bogus": 1 }))
            .all()
            .await
            .expect_err(b.name);
        assert_eq!(unknown.code(), Some(2), "{}: {unknown}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn dollar_and_dotted_map_keys_are_stored_as_data() {
    for b in common::backends().await {
        let db = db_of(&b);
        let people = db.collection::<Person>();
        let attrs: HashMap<String, String> = [
            ("$gt", "1"),
            ("$where", "sleep(1000)"),
            ("a.b", "dotted"),
            ("", "empty"),
            ("ünï", "code"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut p = Person {
            id: 1,
            name: "m".into(),
            attrs: attrs.clone(),
        };
        people.insert_one(&mut p).await.unwrap();
        let back = people.find_by_id(&1).await.unwrap().unwrap();
        assert_eq!(back.attrs, attrs, "{}", b.name);
        // Replacing keeps them too (only the top level may not start with `$`).
        p.attrs.insert("$new".into(), "x".into());
        people.replace_one(&mut p).await.unwrap();
        let back = people.find_by_id(&1).await.unwrap().unwrap();
        assert_eq!(back.attrs, p.attrs, "{}", b.name);
        b.finish().await;
    }
}

// ------------------------------------------------------------ refused keys

#[tokio::test]
async fn a_nul_byte_in_a_key_is_refused_before_sending() {
    for b in common::backends().await {
        let db = db_of(&b);
        let people = db.collection::<Person>();
        let before = b.backend.command_log().total();
        let mut p = Person {
            id: 1,
            name: "n".into(),
            attrs: [("a\0b".to_string(), "x".to_string())]
                .into_iter()
                .collect(),
        };
        let e = people.insert_one(&mut p).await.unwrap_err();
        match &e {
            Error::Encode { collection, error } => {
                assert_eq!(collection, "people");
                assert_eq!(error.path, "attrs", "{}", b.name);
                assert!(error.message.contains("NUL"), "{e}");
            }
            other => panic!("{}: {other:?}", b.name),
        }
        // Also as an update value.
        let f = Person::fields();
        let e = people
            .update_one(f.id.eq(1), f.attrs.set(p.attrs.clone()))
            .await
            .expect_err(b.name);
        assert!(matches!(e, Error::Encode { .. }), "{}: {e:?}", b.name);
        assert_eq!(
            b.backend.command_log().total(),
            before,
            "{}: something was sent",
            b.name
        );
        assert_eq!(people.count(Filter::all()).await.unwrap(), 0);
        b.finish().await;
    }
}

#[tokio::test]
async fn dollar_keys_through_the_raw_backend_follow_mongodb() {
    for b in common::backends().await {
        // Top-level `$` names are data in an insert (MongoDB 5.0+).
        raw_insert(&b, "keys", vec![doc! { "_id": 1, "$a": 1, "a.b": 2 }])
            .await
            .unwrap();
        let back = raw_find(&b, "keys", doc! { "_id": 1 }).await;
        assert_eq!(back, [doc! { "_id": 1, "$a": 1, "a.b": 2 }], "{}", b.name);

        // ... but never inside `_id`.
        let e = raw_insert(&b, "keys", vec![doc! { "_id": { "$a": 1 } }])
            .await
            .expect_err(b.name);
        assert_eq!(code(&e), Some(52), "{}: {e}", b.name);

        // An update operator refuses an empty path.
        let e = b
            .backend
            .update(
                b.ns("keys"),
                doc! { "_id": 1 },
                UpdateModification::Document(doc! { "$set": { "": 5 } }),
                UpdateOptions::default(),
            )
            .await
            .expect_err(b.name);
        assert_eq!(code(&e), Some(56), "{}: {e:?}", b.name);
        // An update without operators is refused (before sending, by the driver).
        let e = b
            .backend
            .update(
                b.ns("keys"),
                doc! { "_id": 1 },
                UpdateModification::Document(doc! { "x": 1 }),
                UpdateOptions::default(),
            )
            .await
            .expect_err(b.name);
        assert!(!e.to_string().is_empty(), "{}", b.name);
        // A replacement starting with `$` is refused.
        let e = b
            .backend
            .replace(
                b.ns("keys"),
                doc! { "_id": 1 },
                raw(doc! { "$set": { "x": 1 } }),
                Default::default(),
            )
            .await
            .expect_err(b.name);
        assert!(!e.to_string().is_empty(), "{}", b.name);
        // None of that changed the document.
        let back = raw_find(&b, "keys", doc! {}).await;
        assert_eq!(back, [doc! { "_id": 1, "$a": 1, "a.b": 2 }], "{}", b.name);
        b.finish().await;
    }
}

/// MongoDB 5.0+ refuses an update operator that creates a `$`-prefixed
/// field (`$set: {"$where": ..}`, code 52 `DollarPrefixedFieldName`: "not
/// allowed in the context of an update's replacement document"); only a
/// pipeline with `$setField` may write one.
#[tokio::test]
async fn typed_update_raw_with_a_dollar_path_is_a_server_error() {
    for b in common::backends().await {
        let db = db_of(&b);
        let people = db.collection::<Person>();
        let mut p = Person {
            id: 1,
            name: "a".into(),
            attrs: HashMap::new(),
        };
        people.insert_one(&mut p).await.unwrap();
        let e = people
            .update_one(
                Person::fields().id.eq(1),
                Update::raw(doc! { "$set": { "$where": "1" } }),
            )
            .await
            .expect_err(b.name);
        assert_eq!(e.code(), Some(52), "{}: {e:?}", b.name);
        assert_eq!(
            people.find_by_id(&1).await.unwrap().unwrap(),
            p,
            "{}",
            b.name
        );
        b.finish().await;
    }
}

// ------------------------------------------------------------- size limits

#[tokio::test]
async fn a_document_over_16_mib_is_refused_and_nothing_is_written() {
    for b in common::backends().await {
        let db = db_of(&b);
        let blobs = db.collection::<Blob>();
        let mut big = Blob {
            id: 1,
            body: "x".repeat(17 * 1024 * 1024),
        };
        let e = blobs.insert_one(&mut big).await.unwrap_err();
        // MongoDB's `BSONObjectTooLarge` on every backend: the engine checks
        // the document, the wire server the message before the engine sees it.
        assert_eq!(e.code(), Some(10334), "{}: {e}", b.name);
        assert_eq!(blobs.count(Filter::all()).await.unwrap(), 0, "{}", b.name);

        // Growing a stored document past the limit fails and leaves it as it was.
        let mut half = Blob {
            id: 2,
            body: "y".repeat(9 * 1024 * 1024),
        };
        blobs.insert_one(&mut half).await.unwrap();
        let e = blobs
            .update_one(
                Blob::fields().id.eq(2),
                Update::raw(doc! { "$set": { "more": "z".repeat(9 * 1024 * 1024) } }),
            )
            .await
            .expect_err(b.name);
        assert!(e.code().is_some(), "{}: {e}", b.name);
        let back = raw_find(&b, "blobs", doc! { "_id": 2 }).await;
        assert_eq!(back.len(), 1);
        assert!(!back[0].contains_key("more"), "{}: half-applied", b.name);
        b.finish().await;
    }
}

fn nested(levels: usize) -> BsonDocument {
    let mut d = doc! { "leaf": true };
    for _ in 1..levels {
        d = doc! { "n": d };
    }
    d
}

#[tokio::test]
async fn nesting_deeper_than_100_levels_is_refused() {
    for b in common::backends().await {
        let db = db_of(&b);
        let trees = db.collection::<Tree>();
        // The stored document is one level, `root` another.
        let mut ok = Tree {
            id: 1,
            root: nested(90),
        };
        trees.insert_one(&mut ok).await.unwrap();
        assert_eq!(
            trees.find_by_id(&1).await.unwrap().unwrap(),
            ok,
            "{}",
            b.name
        );

        let mut deep = Tree {
            id: 2,
            root: nested(120),
        };
        let e = trees.insert_one(&mut deep).await.unwrap_err();
        assert!(
            e.code().is_some() || code(&e).is_some(),
            "{}: {e:?}",
            b.name
        );
        assert_eq!(trees.count(Filter::all()).await.unwrap(), 1, "{}", b.name);
        b.finish().await;
    }
}

// ------------------------------------------------------------ schema drift

#[tokio::test]
async fn drifted_documents_give_precise_decode_errors() {
    for b in common::backends().await {
        let db = db_of(&b);
        let addr = doc! { "city": "Oslo", "zip": "0150" };
        raw_insert(
            &b,
            "drift",
            vec![
                doc! { "_id": 1, "name": "ok", "age": 30, "address": addr.clone() },
                doc! { "_id": 2, "age": 30, "address": addr.clone() },
                doc! { "_id": 3, "name": "t", "age": "thirty", "address": addr.clone() },
                doc! { "_id": 4, "name": "z", "age": 1, "address": { "city": "Oslo", "zip": 150 } },
                doc! { "_id": 5, "name": "big", "age": 1_i64 << 40, "address": addr.clone() },
                doc! { "_id": 6, "name": "x", "age": 2, "address": addr.clone(), "extra": [1, 2] },
            ],
        )
        .await
        .unwrap();
        let customers = db.collection::<Customer>();
        let f = Customer::fields();

        // Defaults fill what the other program never wrote.
        let one = customers.find_by_id(&1).await.unwrap().unwrap();
        assert!(!one.vip && one.tags == ["new"], "{}", b.name);
        // Extra fields are ignored by default.
        assert_eq!(customers.find_by_id(&6).await.unwrap().unwrap().age, 2);

        let expect = |id: i64, path: &str, kind: fn(&DecodeErrorKind) -> bool, e: Error| match e {
            Error::Decode {
                collection,
                id: got,
                error,
            } => {
                assert_eq!(collection, "drift", "{}", b.name);
                assert_eq!(got.as_deref(), Some(id.to_string().as_str()), "{}", b.name);
                assert_eq!(error.path, path, "{}", b.name);
                assert!(kind(&error.kind), "{}: {:?}", b.name, error.kind);
            }
            other => panic!("{}: {other:?}", b.name),
        };
        let e = customers.find_one(f.id.eq(2)).await.unwrap_err();
        expect(
            2,
            "name",
            |k| matches!(k, DecodeErrorKind::Missing { .. }),
            e,
        );
        let e = customers.find_one(f.id.eq(3)).await.unwrap_err();
        expect(
            3,
            "age",
            |k| {
                matches!(
                    k,
                    DecodeErrorKind::WrongType {
                        found: "string",
                        ..
                    }
                )
            },
            e,
        );
        let e = customers.find_one(f.id.eq(4)).await.unwrap_err();
        expect(
            4,
            "address.zip",
            |k| matches!(k, DecodeErrorKind::WrongType { .. }),
            e,
        );
        let e = customers.find_one(f.id.eq(5)).await.unwrap_err();
        expect(
            5,
            "age",
            |k| {
                matches!(
                    k,
                    DecodeErrorKind::Invalid(_) | DecodeErrorKind::WrongType { .. }
                )
            },
            e,
        );
        // A bulk read stops at the first bad document with the same error.
        let e = customers.find(Filter::all()).all().await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{}", b.name);

        // A strict model refuses the unknown field, by path.
        let strict = db.collection::<StrictCustomer>();
        let e = strict
            .find_one(StrictCustomer::fields().id.eq(6))
            .await
            .expect_err(b.name);
        expect(6, "age", |k| matches!(k, DecodeErrorKind::UnknownField), e);
        b.finish().await;
    }
}

// -------------------------------------------------------------- wire server

#[cfg(all(feature = "wire", feature = "mongodb"))]
#[path = "hostile_input/wire.rs"]
mod wire;

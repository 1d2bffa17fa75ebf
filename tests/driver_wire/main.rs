//! Every backend operation, run on each backend of `tests/common`: the
//! in-memory engine directly, the official driver through the wire server,
//! and a real MongoDB when `MONGODB_URI` is set. The same assertions hold
//! on all of them.

#[path = "../common/mod.rs"]
mod common;
use futures::TryStreamExt;
use odm::backend::*;
use odm::bson::{doc, Bson, Document, RawDocumentBuf};
use odm::Error;

/// Options are `#[non_exhaustive]`: set fields on a default value.
macro_rules! opts {
    ($t:ident { $($field:ident : $value:expr),* $(,)? }) => {{
        let mut o = $t::default();
        $(o.$field = $value;)*
        o
    }};
}

fn raw(d: Document) -> RawDocumentBuf {
    RawDocumentBuf::try_from(&d).unwrap()
}

async fn all(stream: DocStream) -> Vec<Document> {
    let docs: Vec<RawDocumentBuf> = stream.try_collect().await.unwrap();
    docs.into_iter()
        .map(|d| Document::try_from(d).unwrap())
        .collect()
}

async fn seed(b: &common::TestBackend, coll: &str, docs: Vec<Document>) -> Namespace {
    let ns = b.ns(coll);
    b.backend
        .insert(
            ns.clone(),
            docs.into_iter().map(raw).collect(),
            InsertOptions::default(),
        )
        .await
        .unwrap();
    ns
}

fn people() -> Vec<Document> {
    vec![
        doc! { "_id": 1, "name": "ada", "age": 36, "tags": ["math", "code"] },
        doc! { "_id": 2, "name": "bob", "age": 25, "tags": ["code"] },
        doc! { "_id": 3, "name": "cy", "age": 41 },
        doc! { "_id": 4, "name": "di", "age": 25, "tags": [] },
        doc! { "_id": 5, "name": "ed", "age": 30 },
    ]
}

mod catalog;
mod driver;
mod reads;
mod writes;

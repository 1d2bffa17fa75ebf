//! Engine-level tests through the `Backend` trait. Filters here are `{}` or
//! `{_id: v}`, which the engine resolves itself, so these tests exercise
//! storage and the write paths independently of the matcher.

mod catalog;
mod collation;
mod storage;
mod txn;
mod writes;

use bson::{doc, Document, RawDocumentBuf};
use futures::TryStreamExt;

use super::MemoryBackend;
use crate::backend::*;

fn ns() -> Namespace {
    Namespace::new("db", "coll")
}

async fn all(b: &MemoryBackend, ns: Namespace) -> Vec<Document> {
    let stream = b.find(ns, doc! {}, FindOptions::default()).await.unwrap();
    let raw: Vec<RawDocumentBuf> = stream.try_collect().await.unwrap();
    raw.iter().map(|d| Document::try_from(d).unwrap()).collect()
}

pub(super) fn set(d: Document) -> UpdateModification {
    UpdateModification::Document(doc! {"$set": d})
}

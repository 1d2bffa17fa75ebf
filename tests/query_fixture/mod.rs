//! The models the query builder tests run against:
//!
//! `User` is the brief's example model (scalars, an optional field, arrays of
//! scalars and of embedded documents, an embedded struct, a date, a string
//! enum); `Post` is a second model, with a `Ref<User>`, to check that
//! filters, updates and references do not cross models.
#![allow(dead_code)]

use odm::bson::oid::ObjectId;
use odm::chrono::NaiveDate;
use odm::{Document, Embedded, Ref};

#[derive(Debug, Clone, PartialEq, Embedded)]
pub struct Address {
    pub city: String,
    pub zip: String,
}

#[derive(Debug, Clone, PartialEq, Embedded)]
pub struct Item {
    pub sku: String,
    pub qty: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Embedded)]
pub enum Kind {
    #[odm(rename = "admin")]
    Admin,
    #[odm(rename = "member")]
    Member,
}

#[derive(Debug, Document)]
pub struct User {
    pub id: ObjectId,
    pub name: String,
    pub age: i32,
    pub nickname: Option<String>,
    pub tags: Vec<String>,
    pub scores: Vec<i32>,
    pub address: Address,
    pub items: Vec<Item>,
    pub born: NaiveDate,
    pub kind: Kind,
    pub active: bool,
}

#[derive(Debug, Document)]
pub struct Post {
    pub id: ObjectId,
    pub title: String,
    pub likes: i32,
    pub author: Ref<User>,
}

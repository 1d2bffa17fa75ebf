//! A hand-expanded model: what `#[derive(Document)]` / `#[derive(Embedded)]`
//! generate for the typed paths of
//!
//! ```ignore
//! struct User {
//!     id: ObjectId, name: String, age: i32, nickname: Option<String>,
//!     tags: Vec<String>, scores: Vec<i32>, address: Address, items: Vec<Item>,
//!     born: NaiveDate, kind: Kind, active: bool,
//! }
//! struct Address { city: String, zip: String }
//! struct Item { sku: String, qty: i32 }
//! enum Kind { Admin, Member } // stored as a string
//! ```
//!
//! plus a second model, `Post`, to check that filters do not cross models.
//! The query builder tests use it so they do not depend on the derive.
#![allow(dead_code)]

use std::ops::Deref;
use std::sync::OnceLock;

use odm::bson::oid::ObjectId;
use odm::bson::raw::{RawBson, RawBsonRef, RawDocumentBuf};
use odm::chrono::NaiveDate;
use odm::error::EncodeError;
use odm::field::{Field, Path, PathType};
use odm::value::{IntoBson, RawValue};

pub struct User;
pub struct Post;

#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub city: String,
    pub zip: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub sku: String,
    pub qty: i32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Admin,
    Member,
}

pub struct UserFields {
    pub id: Field<User, ObjectId>,
    pub name: Field<User, String>,
    pub age: Field<User, i32>,
    pub nickname: Field<User, Option<String>>,
    pub tags: Field<User, Vec<String>>,
    pub scores: Field<User, Vec<i32>>,
    pub address: AddressFields<User, Address>,
    pub items: Field<User, Vec<Item>>,
    pub born: Field<User, NaiveDate>,
    pub kind: Field<User, Kind>,
    pub active: Field<User, bool>,
}

impl User {
    pub fn fields() -> &'static UserFields {
        static FIELDS: OnceLock<UserFields> = OnceLock::new();
        FIELDS.get_or_init(|| UserFields {
            id: <ObjectId as PathType>::path_at(Path::from_static("_id")),
            name: <String as PathType>::path_at(Path::from_static("name")),
            age: <i32 as PathType>::path_at(Path::from_static("age")),
            nickname: <Option<String> as PathType>::path_at(Path::from_static("nickname")),
            tags: <Vec<String> as PathType>::path_at(Path::from_static("tags")),
            scores: <Vec<i32> as PathType>::path_at(Path::from_static("scores")),
            address: <Address as PathType>::path_at(Path::from_static("address")),
            items: <Vec<Item> as PathType>::path_at(Path::from_static("items")),
            born: <NaiveDate as PathType>::path_at(Path::from_static("born")),
            kind: <Kind as PathType>::path_at(Path::from_static("kind")),
            active: <bool as PathType>::path_at(Path::from_static("active")),
        })
    }
}

pub struct PostFields {
    pub title: Field<Post, String>,
    pub likes: Field<Post, i32>,
}

impl Post {
    pub fn fields() -> &'static PostFields {
        static FIELDS: OnceLock<PostFields> = OnceLock::new();
        FIELDS.get_or_init(|| PostFields {
            title: Field::new(Path::from_static("title")),
            likes: Field::new(Path::from_static("likes")),
        })
    }
}

pub struct AddressFields<R: 'static, S: 'static> {
    pub city: Field<R, String>,
    pub zip: Field<R, String>,
    __self: Field<R, S>,
}

impl<R: 'static, S: 'static> Deref for AddressFields<R, S> {
    type Target = Field<R, S>;
    fn deref(&self) -> &Field<R, S> {
        &self.__self
    }
}

impl PathType for Address {
    type Path<R: 'static, S: 'static> = AddressFields<R, S>;
    fn path_at<R: 'static, S: 'static>(path: Path) -> AddressFields<R, S> {
        AddressFields {
            city: <String as PathType>::path_at(path.join("city")),
            zip: <String as PathType>::path_at(path.join("zip")),
            __self: Field::new(path),
        }
    }
}

pub struct ItemFields<R: 'static, S: 'static> {
    pub sku: Field<R, String>,
    pub qty: Field<R, i32>,
    __self: Field<R, S>,
}

impl<R: 'static, S: 'static> Deref for ItemFields<R, S> {
    type Target = Field<R, S>;
    fn deref(&self) -> &Field<R, S> {
        &self.__self
    }
}

impl PathType for Item {
    type Path<R: 'static, S: 'static> = ItemFields<R, S>;
    fn path_at<R: 'static, S: 'static>(path: Path) -> ItemFields<R, S> {
        ItemFields {
            sku: <String as PathType>::path_at(path.join("sku")),
            qty: <i32 as PathType>::path_at(path.join("qty")),
            __self: Field::new(path),
        }
    }
}

impl PathType for Kind {
    type Path<R: 'static, S: 'static> = Field<R, S>;
    fn path_at<R: 'static, S: 'static>(path: Path) -> Field<R, S> {
        Field::new(path)
    }
}

fn document(entries: &[(&str, RawValue<'_>)]) -> Result<RawValue<'static>, EncodeError> {
    let mut doc = RawDocumentBuf::new();
    for (key, value) in entries {
        let key: &odm::bson::raw::CStr = (*key)
            .try_into()
            .map_err(|_| EncodeError::new("NUL in key"))?;
        doc.append(key, value.as_ref());
    }
    Ok(RawValue::Owned(RawBson::Document(doc)))
}

impl IntoBson for Address {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        document(&[("city", self.city.to_raw()?), ("zip", self.zip.to_raw()?)])
    }
}

impl IntoBson for Item {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        document(&[("sku", self.sku.to_raw()?), ("qty", self.qty.to_raw()?)])
    }
}

impl IntoBson for Kind {
    fn to_raw(&self) -> Result<RawValue<'_>, EncodeError> {
        let name = match self {
            Kind::Admin => "admin",
            Kind::Member => "member",
        };
        Ok(RawValue::Borrowed(RawBsonRef::String(name)))
    }
}

//! The benchmark model: 10 fields, about 365 bytes of BSON, deriving both
//! odm's `Document` and serde, so the two codecs are measured on one type.

use chrono::NaiveDate;
use odm::bson::oid::ObjectId;
use serde::{Deserialize, Serialize};

#[derive(odm::Embedded, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Address {
    pub street: String,
    pub city: String,
    pub zip: String,
}

#[derive(odm::Document, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[odm(collection = "people")]
pub struct Person {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub name: String,
    pub email: String,
    pub age: i32,
    pub score: f64,
    pub active: bool,
    pub tags: Vec<String>,
    pub address: Address,
    pub visits: i64,
    pub bio: String,
}

const CITIES: [&str; 8] = [
    "Paris", "Lyon", "Berlin", "Madrid", "Rome", "Vienna", "Prague", "Lisbon",
];

/// The `i`-th person of a deterministic population.
pub fn person(i: u64) -> Person {
    Person {
        id: ObjectId::new(),
        name: format!("Person Number {i:08}"),
        email: format!("person{i:08}@example.com"),
        age: (18 + (i * 7919) % 60) as i32,
        score: (i % 1000) as f64 / 10.0,
        active: !i.is_multiple_of(3),
        tags: vec!["alpha".into(), "beta".into(), format!("t{}", i % 10)],
        address: Address {
            street: format!("{} Rue de la Paix", i % 200),
            city: CITIES[(i % CITIES.len() as u64) as usize].into(),
            zip: format!("{:05}", 75000 + i % 20),
        },
        visits: (i * 31) as i64,
        bio: "Writes Rust, reads BSON, and has opinions about dates.".into(),
    }
}

#[allow(dead_code)]
pub fn birthday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 7, 20).unwrap_or_default()
}

use std::collections::HashMap;

use odm::Document;

#[derive(Document, serde::Serialize, serde::Deserialize)]
struct Post {
    id: i64,
    #[serde(flatten)]
    extra: HashMap<String, String>,
}

fn main() {}

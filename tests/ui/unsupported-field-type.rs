use std::collections::HashSet;

use odm::Document;

struct Money {
    cents: i64,
}

#[derive(Document)]
struct Order {
    id: i64,
    tags: HashSet<String>,
    total: Money,
}

fn main() {}

use chrono::{DateTime, Local};
use odm::Document;

#[derive(Document)]
struct Meeting {
    id: i64,
    starts: DateTime<Local>,
}

fn main() {}

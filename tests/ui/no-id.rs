use odm::Document;

#[derive(Document)]
struct Event {
    name: String,
    at: i64,
}

fn main() {}

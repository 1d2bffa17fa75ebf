use odm::Document;

#[derive(Document)]
struct Reading {
    id: f64,
    value: f64,
}

fn main() {}

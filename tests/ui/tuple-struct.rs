use odm::Document;

#[derive(Document)]
struct User(String, u32);

fn main() {}

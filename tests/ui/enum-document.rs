use odm::Document;

#[derive(Document)]
enum Status {
    Active,
    Gone,
}

fn main() {}

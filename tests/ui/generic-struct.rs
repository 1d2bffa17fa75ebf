use odm::Document;

#[derive(Document)]
struct Wrapper<T> {
    id: i64,
    value: T,
}

fn main() {}

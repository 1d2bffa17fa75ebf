use odm::Document;

#[derive(Document)]
struct Post {
    #[odm(skip)]
    id: i64,
    title: String,
}

fn main() {}

use odm::Document;

#[derive(Document)]
#[odm(index(text(title, views)))]
struct Article {
    id: i64,
    title: String,
    views: u32,
}

fn main() {}

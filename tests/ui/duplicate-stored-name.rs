use odm::Document;

#[derive(Document)]
struct Post {
    id: i64,
    #[odm(rename = "title")]
    headline: String,
    title: String,
}

fn main() {}

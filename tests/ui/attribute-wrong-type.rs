use odm::Document;

#[derive(Document)]
#[odm(collection = people, validate = true)]
struct Person {
    id: i64,
    #[odm(rename = 5)]
    name: String,
}

fn main() {}

use odm::Document;

#[derive(Document)]
#[odm(colection = "people")]
struct Person {
    id: i64,
    #[odm(indexed)]
    name: String,
}

fn main() {}

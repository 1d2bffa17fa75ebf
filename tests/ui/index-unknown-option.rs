use odm::Document;

#[derive(Document)]
struct Account {
    id: i64,
    #[odm(index(unique, background))]
    email: String,
}

fn main() {}

use odm::Document;

#[derive(Document)]
struct Account {
    #[odm(id)]
    email: String,
    #[odm(id)]
    username: String,
}

fn main() {}

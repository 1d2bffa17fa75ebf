use odm::Document;

#[derive(Document)]
struct Session {
    id: i64,
    #[odm(index(expire_after = 3600))]
    last_seen: String,
}

fn main() {}

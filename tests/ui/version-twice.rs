use odm::bson::oid::ObjectId;

#[derive(odm::Document)]
struct Page {
    id: ObjectId,
    #[odm(version)]
    revision: i64,
    #[odm(version)]
    edits: i64,
}

fn main() {}

use odm::bson::oid::ObjectId;

#[derive(odm::Document)]
struct Page {
    id: ObjectId,
    #[odm(version)]
    revision: String,
}

fn main() {}

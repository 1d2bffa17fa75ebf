use odm::bson::oid::ObjectId;

#[derive(odm::Document)]
struct User {
    id: ObjectId,
    #[odm(frobnicate(fast, loud))]
    name: String,
}

fn main() {}

#[path = "../query_fixture/mod.rs"]
mod query_fixture;

use odm::bson::oid::ObjectId;
use odm::Ref;
use query_fixture::Post;

fn main() {
    let f = Post::fields();
    let _ = f.author.eq(Ref::<Post>::new(ObjectId::new()));
}

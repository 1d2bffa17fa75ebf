#[path = "../query_fixture/mod.rs"]
mod query_fixture;

fn takes(_: odm::Sort<User>) {}
use query_fixture::User;

fn main() {
    let f = User::fields();
    takes(query_fixture::Post::fields().likes.asc());
    let _ = f;
}

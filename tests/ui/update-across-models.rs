#[path = "../query_fixture/mod.rs"]
mod query_fixture;

use query_fixture::User;

fn main() {
    let f = User::fields();
    let _ = f.age.inc(1) & query_fixture::Post::fields().likes.inc(1);
}

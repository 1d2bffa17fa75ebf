#[path = "../query_fixture/mod.rs"]
mod query_fixture;

use query_fixture::User;

fn main() {
    let f = User::fields();
    let _ = f.address.key("city");
}

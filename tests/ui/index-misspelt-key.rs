use odm::{Document, Embedded};

#[derive(Embedded)]
struct Address {
    city: String,
}

#[derive(Document)]
#[odm(index(keys(address.cty, -age)))]
struct User {
    id: i64,
    age: i32,
    address: Address,
}

fn main() {}

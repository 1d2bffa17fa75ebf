use odm::bson::oid::ObjectId;
use odm::{Document, Embedded};

#[derive(Debug, PartialEq, Embedded)]
pub struct Address {
    city: String,
    zip: String,
}

#[derive(Debug, PartialEq, Embedded)]
pub enum Status {
    Active,
    Gone,
}

#[derive(Debug, PartialEq, Document)]
pub struct User {
    id: Option<ObjectId>,
    name: String,
    address: Address,
    status: Status,
    tags: Vec<String>,
}

#[test]
fn smoke() {
    let u = User {
        id: None,
        name: "a".into(),
        address: Address {
            city: "x".into(),
            zip: "1".into(),
        },
        status: Status::Gone,
        tags: vec!["t".into()],
    };
    let doc = u.to_document().unwrap();
    let back = User::from_document(&doc).unwrap();
    assert_eq!(u, back);
    assert_eq!(User::fields().address.city.path(), "address.city");
    assert_eq!(User::fields().address.path(), "address");
}

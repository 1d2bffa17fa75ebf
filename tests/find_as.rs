//! `find_as`: read a projection of the model into a summary type whose fields
//! are checked against the model.

use odm::bson::oid::ObjectId;
use odm::error::DecodeError;
use odm::query::{Projection, ProjectionOf};
use odm::{Database, Filter};

#[derive(odm::Embedded, Debug, Clone, PartialEq)]
struct Address {
    city: String,
    zip: String,
}

#[derive(odm::Document, Debug, Clone, PartialEq)]
struct Member {
    id: ObjectId,
    name: String,
    age: i32,
    address: Address,
    bio: String,
}

/// What a listing page needs: two fields, one of them nested.
#[derive(Debug, PartialEq)]
struct Card {
    name: String,
    city: String,
}

impl ProjectionOf<Member> for Card {
    fn projection() -> Projection<Member> {
        let f = Member::fields();
        f.name.include() & f.address.city.include()
    }

    fn from_projected(doc: &odm::bson::RawDocument) -> Result<Self, DecodeError> {
        let f = Member::fields();
        Ok(Card {
            name: f.name.read_from(doc)?,
            city: f.address.city.read_from(doc)?,
        })
    }
}

#[tokio::test]
async fn find_as_reads_only_the_projected_fields() {
    let db = Database::memory();
    let members = db.collection::<Member>();
    let mut all: Vec<Member> = ["Ada", "Bo"]
        .iter()
        .enumerate()
        .map(|(i, n)| Member {
            id: ObjectId::new(),
            name: (*n).into(),
            age: 30 + i as i32,
            address: Address {
                city: if i == 0 {
                    "Paris".into()
                } else {
                    "Lyon".into()
                },
                zip: "75001".into(),
            },
            bio: "long text".repeat(100),
        })
        .collect();
    members.insert_many(&mut all).await.unwrap();

    let f = Member::fields();
    let cards: Vec<Card> = members
        .find(Filter::all())
        .sort(f.name.asc())
        .find_as::<Card>()
        .await
        .unwrap();
    assert_eq!(
        cards,
        vec![
            Card {
                name: "Ada".into(),
                city: "Paris".into()
            },
            Card {
                name: "Bo".into(),
                city: "Lyon".into()
            },
        ]
    );

    // The full model cannot be read from that projection: the error names a
    // field the projection left out.
    let err = members
        .find(Filter::all())
        .projection(Card::projection())
        .all()
        .await
        .unwrap_err();
    assert!(
        matches!(err, odm::Error::Decode { ref error, .. }
            if ["address.zip", "age", "bio"].contains(&error.path.as_str())),
        "{err}"
    );
}

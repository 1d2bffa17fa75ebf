//! What a `find` takes, built from typed paths: filters, sorts, projections.
//! Every expected document is written out in full.

mod query_fixture;

use odm::bson::{doc, Bson, RawDocumentBuf};
use odm::chrono::NaiveDate;
use odm::error::DecodeError;
use odm::query::{BsonType, Projection, ProjectionOf};
use odm::{Filter, Ref};
use query_fixture::{Address, Kind, Post, User};

fn date(y: i32, m: u32, d: u32) -> Bson {
    let day = NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let millis = day
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis();
    Bson::DateTime(odm::bson::DateTime::from_millis(millis))
}

#[test]
fn comparisons_on_scalars_and_nested_paths() {
    let f = User::fields();
    let q = f.age.gte(30) & f.address.city.eq("Paris");
    assert_eq!(
        q.into_document(),
        doc! {"age": {"$gte": 30}, "address.city": "Paris"}
    );
    let q = f.age.gt(1) & f.age.lte(9) & f.name.ne("x") & f.name.lt("m");
    assert_eq!(
        q.into_document(),
        doc! {"age": {"$gt": 1, "$lte": 9}, "name": {"$ne": "x", "$lt": "m"}}
    );
}

#[test]
fn dates_are_bson_dates() {
    let f = User::fields();
    let born = NaiveDate::from_ymd_opt(1990, 5, 17).unwrap();
    assert_eq!(
        f.born.lt(born).into_document(),
        doc! {"born": {"$lt": date(1990, 5, 17)}}
    );
}

#[test]
fn membership_type_mod_and_regex() {
    let f = User::fields();
    assert_eq!(
        f.age.in_([1, 2]).into_document(),
        doc! {"age": {"$in": [1, 2]}}
    );
    assert_eq!(
        f.kind.nin([Kind::Admin]).into_document(),
        doc! {"kind": {"$nin": ["admin"]}}
    );
    assert_eq!(
        f.kind.type_is(BsonType::String).into_document(),
        doc! {"kind": {"$type": "string"}}
    );
    assert_eq!(
        f.age.modulo(4, 0).into_document(),
        doc! {"age": {"$mod": [4_i64, 0_i64]}}
    );
    assert_eq!(
        f.name.regex("^al", "i").into_document(),
        doc! {"name": {"$regex": "^al", "$options": "i"}}
    );
    assert_eq!(
        f.name.regex("x$", "").into_document(),
        doc! {"name": {"$regex": "x$"}}
    );
}

#[test]
fn optional_fields() {
    let f = User::fields();
    assert_eq!(
        f.nickname.exists(false).into_document(),
        doc! {"nickname": {"$exists": false}}
    );
    assert_eq!(f.nickname.eq("al").into_document(), doc! {"nickname": "al"});
    assert_eq!(f.nickname.eq(None).into_document(), doc! {"nickname": null});
}

#[test]
fn embedded_documents_compare_whole_with_eq() {
    let f = User::fields();
    let home = Address {
        city: "Oslo".into(),
        zip: "0150".into(),
    };
    assert_eq!(
        f.address.eq(&home).into_document(),
        doc! {"address": {"$eq": {"city": "Oslo", "zip": "0150"}}}
    );
}

#[test]
fn array_operators() {
    let f = User::fields();
    assert_eq!(f.tags.contains("vip").into_document(), doc! {"tags": "vip"});
    assert_eq!(
        f.scores.all([1, 2]).into_document(),
        doc! {"scores": {"$all": [1, 2]}}
    );
    assert_eq!(
        f.scores.size(3).into_document(),
        doc! {"scores": {"$size": 3}}
    );
    assert_eq!(
        f.items
            .elem_match(|i| i.qty.gt(5) & i.sku.eq("x"))
            .into_document(),
        doc! {"items": {"$elemMatch": {"qty": {"$gt": 5}, "sku": "x"}}}
    );
    assert_eq!(
        f.scores
            .elem_match(|s| s.gte(80) & s.lt(85))
            .into_document(),
        doc! {"scores": {"$elemMatch": {"$gte": 80, "$lt": 85}}}
    );
    assert_eq!(
        f.items.at(0).qty.gt(1).into_document(),
        doc! {"items.0.qty": {"$gt": 1}}
    );
}

#[test]
fn logical_combinations() {
    let f = User::fields();
    let q = (f.age.lt(18) | f.age.gt(65)) & !f.name.regex("^a", "");
    assert_eq!(
        q.into_document(),
        doc! {
            "$or": [{"age": {"$lt": 18}}, {"age": {"$gt": 65}}],
            "name": {"$not": {"$regex": "^a"}},
        }
    );
    let q = !(f.age.eq(1) & f.name.eq("a"));
    assert_eq!(q.into_document(), doc! {"$nor": [{"age": 1, "name": "a"}]});
    let q = f.age.gte(1) & f.age.gte(2) & f.name.eq("a");
    assert_eq!(
        q.into_document(),
        doc! {"$and": [{"age": {"$gte": 1}}, {"age": {"$gte": 2}}, {"name": "a"}]}
    );
}

#[test]
fn references_compare_by_id() {
    let id = odm::bson::oid::ObjectId::new();
    let by = Post::fields().author.eq(Ref::<User>::new(id));
    assert_eq!(by.into_document(), doc! {"author": id});
    let one_of = Post::fields()
        .author
        .in_([Ref::<User>::new(id), Ref::new(id)]);
    assert_eq!(one_of.into_document(), doc! {"author": {"$in": [id, id]}});
}

#[test]
fn raw_filters_mix_with_typed_ones() {
    let f = User::fields();
    let q = f.age.gt(1) & Filter::raw(doc! {"legacy": true});
    assert_eq!(q.into_document(), doc! {"age": {"$gt": 1}, "legacy": true});
}

#[test]
fn sorts() {
    let f = User::fields();
    assert_eq!(
        f.name.asc().then(f.age.desc()).into_document(),
        doc! {"name": 1, "age": -1}
    );
    assert_eq!(
        (f.address.city.desc() & f.id.asc()).into_document(),
        doc! {"address.city": -1, "_id": 1}
    );
}

#[test]
fn projections() {
    let f = User::fields();
    let p = f.name.include() & f.address.city.include() & f.id.exclude();
    assert_eq!(
        p.clone().into_document(),
        doc! {"name": 1, "address.city": 1, "_id": 0}
    );
    p.check().unwrap();
    let p = f.items.first_match(|i| i.qty.gte(2)) & f.tags.slice(-2);
    assert_eq!(
        p.into_document(),
        doc! {"items": {"$elemMatch": {"qty": {"$gte": 2}}}, "tags": {"$slice": -2}}
    );
    assert_eq!(
        f.items.matched().include().into_document(),
        doc! {"items.$": 1}
    );
    assert!((f.name.include() & f.age.exclude()).check().is_err());
}

struct Summary {
    name: String,
    city: String,
    nickname: Option<String>,
}

impl ProjectionOf<User> for Summary {
    fn projection() -> Projection<User> {
        let f = User::fields();
        f.name.include() & f.address.city.include() & f.nickname.include()
    }

    fn from_projected(doc: &odm::bson::RawDocument) -> Result<Self, DecodeError> {
        let f = User::fields();
        Ok(Summary {
            name: f.name.read_from(doc)?,
            city: f.address.city.read_from(doc)?,
            nickname: f.nickname.read_from(doc)?,
        })
    }
}

#[test]
fn projection_into_another_type() {
    assert_eq!(
        Summary::projection().into_document(),
        doc! {"name": 1, "address.city": 1, "nickname": 1}
    );
    let raw =
        RawDocumentBuf::try_from(&doc! {"_id": 1, "name": "Ann", "address": {"city": "Rome"}})
            .unwrap();
    let s = Summary::from_projected(&raw).unwrap();
    assert_eq!(
        (s.name.as_str(), s.city.as_str(), s.nickname),
        ("Ann", "Rome", None)
    );
    let raw = RawDocumentBuf::try_from(&doc! {"name": "Ann"}).unwrap();
    let err = Summary::from_projected(&raw).err().unwrap();
    assert_eq!(err.path, "address.city");
}

#[test]
fn filters_are_cheap_to_build() {
    // Paths are built once; a filter costs its documents and nothing else.
    let f = User::fields();
    let start = std::time::Instant::now();
    let n = 10_000u32;
    let mut sink = 0usize;
    for _ in 0..n {
        let q = f.age.gte(30) & f.address.city.eq("Paris");
        sink += q.as_document().len();
    }
    assert_eq!(sink, 2 * n as usize);
    // Generous: a debug build on a loaded machine; release builds take well
    // under a microsecond.
    let per = start.elapsed() / n;
    assert!(
        per < std::time::Duration::from_micros(50),
        "{per:?} per filter"
    );
}

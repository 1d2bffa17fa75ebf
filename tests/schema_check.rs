//! `check_schema` scans a collection written by other programs and reports
//! every document the model could not read, with every problem of each.

mod common;

use odm::bson::{doc, Bson, Document as BsonDocument, RawDocumentBuf};
use odm::error::DecodeErrorKind;
use odm::schema::SchemaReport;
use odm::{Database, Document, Embedded};

#[derive(Debug, Embedded)]
struct Address {
    city: String,
}

#[derive(Debug, Embedded)]
struct Home {
    city: String,
    floor: i32,
}

#[derive(Debug, Document)]
#[odm(collection = "people", deny_unknown_fields)]
struct Person {
    id: i64,
    name: String,
    age: i32,
    email: Option<String>,
    address: Address,
    #[serde(default)]
    score: i64,
    #[serde(alias = "nickname")]
    nick: Option<String>,
    #[serde(default)]
    homes: Vec<Home>,
}

/// The same collection, read by a model that ignores unknown fields.
#[derive(Debug, Document)]
#[odm(collection = "people")]
struct Lenient {
    id: i64,
    name: String,
}

fn stored() -> Vec<BsonDocument> {
    vec![
        doc! {"_id": 1_i64, "name": "Ann", "age": 30, "address": {"city": "Oslo"}},
        // Missing `name`, `age` of the wrong type, `address` missing.
        doc! {"_id": 2_i64, "age": "thirty"},
        // `age` does not fit an i32, `address.city` has the wrong type,
        // `extra` is unknown; the alias and the defaulted field are fine.
        doc! {"_id": 3_i64, "name": "Cy", "age": 5_000_000_000_i64,
        "address": {"city": 7}, "extra": true, "nickname": "c"},
        doc! {"_id": 4_i64, "name": "Di", "age": 41, "address": {"city": "Rome"}, "score": 3_i64},
        // Inside embedded values, every problem too.
        doc! {"_id": 5_i64, "name": "Ed", "age": 50, "address": {"town": "Bergen"},
        "homes": [{"city": 1, "floor": "x"}, {"city": "Oslo", "floor": 2}, {"city": "Oslo"}]},
    ]
}

async fn seeded(tb: &common::TestBackend) -> Database {
    let raw: Vec<RawDocumentBuf> = stored()
        .iter()
        .map(|d| RawDocumentBuf::try_from(d).unwrap())
        .collect();
    tb.backend
        .insert(tb.ns("people"), raw, Default::default())
        .await
        .unwrap();
    Database::with_backend(tb.backend.clone(), tb.db.as_str())
}

fn problems_of(report: &SchemaReport, id: i64) -> Vec<(&str, &DecodeErrorKind)> {
    report
        .problems
        .iter()
        .filter(|p| p.id == Bson::Int64(id))
        .map(|p| (p.path.as_str(), &p.kind))
        .collect()
}

#[tokio::test]
async fn every_problem_of_every_document_is_reported() {
    for tb in common::backends().await {
        let db = seeded(&tb).await;
        let report = db.collection::<Person>().check_schema().await.unwrap();
        assert_eq!(report.checked, 5, "[{}]", tb.name);
        assert_eq!(report.bad_documents(), 3, "[{}] {report}", tb.name);
        assert!(problems_of(&report, 1).is_empty());
        assert!(problems_of(&report, 4).is_empty());

        let two = problems_of(&report, 2);
        assert_eq!(two.len(), 3, "[{}] {two:?}", tb.name);
        assert!(two.contains(&(
            "age",
            &DecodeErrorKind::WrongType {
                expected: "int",
                found: "string"
            }
        )));
        assert!(two.contains(&("name", &DecodeErrorKind::Missing { expected: "string" })));
        assert!(two.contains(&("address", &DecodeErrorKind::Missing { expected: "object" })));

        let three = problems_of(&report, 3);
        let paths: Vec<&str> = three.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            paths,
            ["age", "address.city", "extra"],
            "[{}] {three:?}",
            tb.name
        );
        assert!(matches!(three[0].1, DecodeErrorKind::Invalid(_)));
        assert_eq!(three[2].1, &DecodeErrorKind::UnknownField);

        let five: Vec<&str> = problems_of(&report, 5).iter().map(|(p, _)| *p).collect();
        assert_eq!(
            five,
            [
                "address.city",
                "homes.0.city",
                "homes.0.floor",
                "homes.2.floor"
            ],
            "[{}]",
            tb.name
        );
        tb.finish().await;
    }
}

#[tokio::test]
async fn unknown_fields_count_only_when_the_model_denies_them() {
    let tb = common::memory();
    let db = seeded(&tb).await;
    let report = db.collection::<Lenient>().check_schema().await.unwrap();
    assert_eq!(report.checked, 5);
    let paths: Vec<_> = report
        .problems
        .iter()
        .map(|p| (p.id.clone(), p.path.as_str()))
        .collect();
    assert_eq!(paths, [(Bson::Int64(2), "name")]);
}

#[tokio::test]
async fn an_empty_collection_is_clean() {
    let tb = common::memory();
    let db = Database::with_backend(tb.backend.clone(), tb.db.as_str());
    let report = db.collection::<Person>().check_schema().await.unwrap();
    assert!(report.is_clean());
    assert_eq!(report.checked, 0);
}

#[test]
fn the_derived_check_agrees_with_the_decoder_on_good_documents() {
    for d in stored() {
        let raw = RawDocumentBuf::try_from(&d).unwrap();
        let decoded = Person::from_document(&raw);
        let problems = Person::check_document(&raw);
        assert_eq!(decoded.is_ok(), problems.is_empty(), "{d}: {problems:?}");
        if let Err(first) = decoded {
            assert!(problems.contains(&first), "{first:?} not in {problems:?}");
        }
    }
}

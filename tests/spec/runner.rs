//! One Unified Test Format file: entities, `runOnRequirements` against the
//! advertised server (MongoDB 8.0, standalone), `initialData`, operations
//! with `expectResult`/`expectError`, and `outcome`.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use bson::{Bson, Document, RawDocumentBuf};
use futures::TryStreamExt;
use odm::backend::memory::compare::compare_bson;
use odm::backend::{Backend, FindOptions, InsertOptions, Namespace};
use odm::Error;

use crate::matching::check;
use crate::ops::{self, Failure, Outcome, Target};

/// The server version the runner advertises.
const SERVER_VERSION: [u32; 3] = [8, 0, 0];

/// Tests the README says to skip: they need fail points or unacknowledged writes.
const SKIPPED: &[(&str, &str)] = &[
    (
        "client-bulkWrite-errors.json",
        "a top-level failure occurs during a bulkWrite",
    ),
    (
        "client-bulkWrite-errors.json",
        "a write concern error occurs during a bulkWrite",
    ),
    (
        "client-bulkWrite-errors.json",
        "Requesting unacknowledged write with verboseResults is a client-side error",
    ),
    (
        "client-bulkWrite-errors.json",
        "Requesting unacknowledged write with ordered is a client-side error",
    ),
    (
        "estimatedDocumentCount.json",
        "estimatedDocumentCount errors correctly--command error",
    ),
    (
        "estimatedDocumentCount.json",
        "estimatedDocumentCount errors correctly--socket error",
    ),
];

/// How one case ended.
pub enum CaseResult {
    /// Every assertion held.
    Passed,
    /// The first failed assertion.
    Failed(String),
    /// Not run, and why.
    Skipped(String),
}

/// One case of a file.
pub struct Case {
    /// Its `description`.
    pub description: String,
    /// How it ended.
    pub result: CaseResult,
}

/// The cases of one file.
pub struct FileReport {
    /// The file name.
    pub file: String,
    /// Its cases, in order.
    pub cases: Vec<Case>,
}

fn version(s: &str) -> Vec<u32> {
    s.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

fn cmp_version(a: &[u32], b: &[u32]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Whether one requirement entry holds for the advertised server.
fn requirement_holds(r: &Document) -> bool {
    r.iter().all(|(k, v)| match (k.as_str(), v) {
        ("minServerVersion", Bson::String(s)) => {
            cmp_version(&SERVER_VERSION, &version(s)) != Ordering::Less
        }
        ("maxServerVersion", Bson::String(s)) => {
            cmp_version(&SERVER_VERSION, &version(s)) != Ordering::Greater
        }
        ("topologies", Bson::Array(t)) => t.iter().any(|t| t.as_str() == Some("single")),
        ("serverless", Bson::String(s)) => s != "require",
        ("auth", Bson::Boolean(b)) => !b,
        ("csfle", Bson::Boolean(b)) => !b,
        _ => false,
    })
}

/// A list of requirements holds when any entry does (an absent list holds).
fn requirements_hold(list: Option<&Bson>) -> bool {
    match list {
        Some(Bson::Array(entries)) => entries
            .iter()
            .filter_map(Bson::as_document)
            .any(requirement_holds),
        _ => true,
    }
}

fn load(path: &Path) -> Result<Document, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    match Bson::try_from(json).map_err(|e| e.to_string())? {
        Bson::Document(d) => Ok(d),
        _ => Err("not a JSON object".into()),
    }
}

/// The named entities of a file.
fn entities(file: &Document) -> HashMap<String, Target> {
    let mut databases: HashMap<String, String> = HashMap::new();
    let mut out = HashMap::new();
    let list = file
        .get_array("createEntities")
        .cloned()
        .unwrap_or_default();
    for entity in list.iter().filter_map(Bson::as_document) {
        if let Ok(c) = entity.get_document("client") {
            out.insert(
                c.get_str("id").unwrap_or_default().to_owned(),
                Target::Client,
            );
        }
        if let Ok(d) = entity.get_document("database") {
            let id = d.get_str("id").unwrap_or_default().to_owned();
            let name = d.get_str("databaseName").unwrap_or_default().to_owned();
            databases.insert(id.clone(), name.clone());
            out.insert(id, Target::Database(name));
        }
    }
    for entity in list.iter().filter_map(Bson::as_document) {
        if let Ok(c) = entity.get_document("collection") {
            let id = c.get_str("id").unwrap_or_default().to_owned();
            let db = databases
                .get(c.get_str("database").unwrap_or_default())
                .cloned()
                .unwrap_or_default();
            let name = c.get_str("collectionName").unwrap_or_default().to_owned();
            out.insert(id, Target::Collection(Namespace::new(db, name)));
        }
    }
    out
}

/// Run every case of one file, each on a fresh backend.
pub async fn run_file(path: &Path, new_backend: &dyn Fn() -> Arc<dyn Backend>) -> FileReport {
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = match load(path) {
        Ok(f) => f,
        Err(e) => {
            return FileReport {
                file: file_name,
                cases: vec![Case {
                    description: "(file)".into(),
                    result: CaseResult::Failed(format!("cannot load: {e}")),
                }],
            }
        }
    };
    let file_ok = requirements_hold(file.get("runOnRequirements"));
    let entities = entities(&file);
    let initial = file.get_array("initialData").cloned().unwrap_or_default();
    let mut cases = Vec::new();
    for test in file
        .get_array("tests")
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(Bson::as_document)
    {
        let description = test.get_str("description").unwrap_or_default().to_owned();
        let operations: Vec<Document> = test
            .get_array("operations")
            .map(|a| a.iter().filter_map(Bson::as_document).cloned().collect())
            .unwrap_or_default();
        let skip = if !file_ok || !requirements_hold(test.get("runOnRequirements")) {
            Some("runOnRequirements not met by MongoDB 8.0 standalone")
        } else if SKIPPED.contains(&(file_name.as_str(), description.as_str())) {
            Some("needs fail points or unacknowledged writes")
        } else if operations
            .iter()
            .any(|o| o.get_str("name").ok() == Some("clientBulkWrite"))
        {
            Some("clientBulkWrite is out of scope")
        } else if operations
            .iter()
            .any(|o| o.get_str("name").ok() == Some("failPoint"))
        {
            Some("needs fail points")
        } else {
            None
        };
        let result = match skip {
            Some(reason) => CaseResult::Skipped(reason.into()),
            None => {
                let backend = new_backend();
                match run_case(
                    &backend,
                    &entities,
                    &initial,
                    &operations,
                    test.get_array("outcome").ok(),
                )
                .await
                {
                    Ok(()) => CaseResult::Passed,
                    Err(e) => CaseResult::Failed(e),
                }
            }
        };
        cases.push(Case {
            description,
            result,
        });
    }
    FileReport {
        file: file_name,
        cases,
    }
}

async fn run_case(
    backend: &Arc<dyn Backend>,
    entities: &HashMap<String, Target>,
    initial: &[Bson],
    operations: &[Document],
    outcome: Option<&Vec<Bson>>,
) -> Result<(), String> {
    for data in initial.iter().filter_map(Bson::as_document) {
        let ns = data_ns(data);
        backend
            .drop_collection(ns.clone())
            .await
            .map_err(|e| format!("initialData: {e}"))?;
        let docs: Vec<RawDocumentBuf> = data
            .get_array("documents")
            .map(|a| {
                a.iter()
                    .filter_map(Bson::as_document)
                    .filter_map(|d| RawDocumentBuf::try_from(d).ok())
                    .collect()
            })
            .unwrap_or_default();
        if docs.is_empty() {
            backend
                .create_collection(ns, Default::default())
                .await
                .map_err(|e| format!("initialData: {e}"))?;
        } else {
            backend
                .insert(ns, docs, InsertOptions::default())
                .await
                .map_err(|e| format!("initialData: {e}"))?;
        }
    }
    for (i, op) in operations.iter().enumerate() {
        let name = op.get_str("name").unwrap_or_default();
        let object = op.get_str("object").unwrap_or_default();
        let target = entities
            .get(object)
            .cloned()
            .ok_or_else(|| format!("operation {i} ({name}): unknown entity {object}"))?;
        let args = op.get_document("arguments").cloned().unwrap_or_default();
        let result = ops::run(backend, name, &target, &args).await;
        expect(op, result).map_err(|e| format!("operation {i} ({name}): {e}"))?;
    }
    if let Some(outcome) = outcome {
        for data in outcome.iter().filter_map(Bson::as_document) {
            let ns = data_ns(data);
            let actual = read_sorted(backend, ns.clone())
                .await
                .map_err(|e| format!("outcome {ns}: {e}"))?;
            let expected = Bson::Array(data.get_array("documents").cloned().unwrap_or_default());
            check(&expected, Some(&actual), false, "").map_err(|e| format!("outcome {ns}: {e}"))?;
        }
    }
    Ok(())
}

fn data_ns(data: &Document) -> Namespace {
    Namespace::new(
        data.get_str("databaseName").unwrap_or_default(),
        data.get_str("collectionName").unwrap_or_default(),
    )
}

/// A collection's documents by ascending `_id` (sorted here, so the check
/// does not depend on the engine's sort).
async fn read_sorted(backend: &Arc<dyn Backend>, ns: Namespace) -> Result<Bson, Error> {
    let raw: Vec<RawDocumentBuf> = backend
        .find(ns, Document::new(), FindOptions::default())
        .await?
        .try_collect()
        .await?;
    let mut docs: Vec<Document> = raw
        .iter()
        .filter_map(|d| Document::try_from(d).ok())
        .collect();
    docs.sort_by(|a, b| {
        compare_bson(
            a.get("_id").unwrap_or(&Bson::Null),
            b.get("_id").unwrap_or(&Bson::Null),
        )
    });
    Ok(Bson::Array(docs.into_iter().map(Bson::Document).collect()))
}

/// Check an operation's result or error against its expectations.
fn expect(op: &Document, result: Result<Outcome, Failure>) -> Result<(), String> {
    let expected_error = op.get_document("expectError").ok();
    match (result, expected_error) {
        (Err(Failure::Unsupported(what)), _) => Err(format!("runner does not support {what}")),
        (Ok(outcome), None) => match (op.get("expectResult"), outcome) {
            (Some(expected), Outcome::Value(actual)) => check(expected, Some(&actual), true, ""),
            (Some(_), Outcome::Nothing) => Ok(()),
            (None, _) => Ok(()),
        },
        (Ok(Outcome::Value(v)), Some(_)) => Err(format!("expected an error, got {v}")),
        (Ok(Outcome::Nothing), Some(_)) => Err("expected an error, got success".into()),
        (Err(Failure::Client(msg)), None) => Err(format!("unexpected client error: {msg}")),
        (Err(Failure::Server(e)), None) => Err(format!("unexpected error: {e}")),
        (Err(failure), Some(expected)) => expect_error(expected, &failure),
    }
}

fn expect_error(expected: &Document, failure: &Failure) -> Result<(), String> {
    let server = match failure {
        Failure::Server(e) => Some(e),
        _ => None,
    };
    for (k, v) in expected {
        match k.as_str() {
            "isError" => {}
            "isClientError" => {
                let want = v.as_bool().unwrap_or(false);
                if want != server.is_none() {
                    return Err(format!(
                        "expected a {} error, got {}",
                        if want { "client" } else { "server" },
                        describe(failure)
                    ));
                }
            }
            "errorCode" => {
                let code = server.and_then(ops::error_code);
                let want = v.as_i32().or_else(|| v.as_i64().map(|i| i as i32));
                if code != want {
                    return Err(format!(
                        "expected error code {v}, got {code:?}: {}",
                        describe(failure)
                    ));
                }
            }
            "errorContains" => {
                let needle = v.as_str().unwrap_or_default().to_lowercase();
                let message = describe(failure).to_lowercase();
                if !message.contains(&needle) {
                    return Err(format!(
                        "expected the error to contain {v:?}, got {message}"
                    ));
                }
            }
            "errorResponse" => {
                let response = server.map(ops::error_response).unwrap_or_default();
                check(v, Some(&Bson::Document(response)), true, "errorResponse")?;
            }
            "expectResult" => {
                let partial = match server {
                    Some(Error::BulkWrite { failure, .. }) => ops::bulk_result(&failure.partial),
                    _ => {
                        return Err(format!(
                            "expected a partial result, got {}",
                            describe(failure)
                        ))
                    }
                };
                check(v, Some(&partial), true, "")?;
            }
            other => return Err(format!("runner does not support expectError.{other}")),
        }
    }
    Ok(())
}

fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Client(m) => format!("client error: {m}"),
        Failure::Server(e) => e.to_string(),
        Failure::Unsupported(m) => format!("unsupported: {m}"),
    }
}

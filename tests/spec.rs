//! MongoDB's CRUD specification tests and the operator semantics tests, in
//! the Unified Test Format, run through the `Backend` trait against the
//! in-memory engine, against the official driver talking to the wire server
//! in front of the engine (features `mongodb` + `wire`), and against a real
//! MongoDB when `MONGODB_URI` is set.
//!
//! The JSON files are read in place (their license forbids copying them):
//! `ODM_SPEC_DIRS` (colon-separated, relative to the repository) or, by
//! default, `../shared/mongo-spec/crud/tests/unified` and
//! `../shared/mongo-semantics` next to the repository (or further up). A failing case fails the test unless it is in
//! `tests/spec/allowlist.txt` (`file.json :: description :: reason`);
//! `ODM_SPEC_REPORT_ONLY=1` only reports.

#[path = "spec/matching.rs"]
mod matching;
#[path = "spec/ops.rs"]
mod ops;
#[path = "spec/runner.rs"]
mod runner;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use odm::backend::memory::MemoryBackend;
use odm::backend::Backend;

use runner::{CaseResult, FileReport};

fn spec_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match std::env::var("ODM_SPEC_DIRS") {
        Ok(dirs) if !dirs.is_empty() => dirs.split(':').map(|d| root.join(d)).collect(),
        _ => [
            "shared/mongo-spec/crud/tests/unified",
            "shared/mongo-semantics",
        ]
        .iter()
        .map(|sub| shared_dir(root, sub))
        .collect(),
    }
}

/// `../<sub>` next to the repository; a worktree nested one level deeper
/// (`wt/NAME`) finds it further up.
fn shared_dir(root: &Path, sub: &str) -> PathBuf {
    root.ancestors()
        .skip(1)
        .map(|a| a.join(sub))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| root.join("..").join(sub))
}

/// `file.json :: description` → reason.
fn allow_list() -> BTreeMap<(String, String), String> {
    let text = include_str!("spec/allowlist.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.splitn(3, " :: ");
            let file = parts.next()?.trim().to_owned();
            let description = parts.next()?.trim().to_owned();
            let reason = parts.next().unwrap_or("").trim().to_owned();
            Some(((file, description), reason))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unified_spec_tests() {
    let new_backend = || -> Arc<dyn Backend> { Arc::new(MemoryBackend::new()) };
    run_suite("memory", &new_backend).await;
}

/// The same cases through the driver and the wire server: one server and one
/// client for the whole run (each case drops and re-seeds its collections).
#[cfg(all(feature = "mongodb", feature = "wire"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unified_spec_tests_driver_over_wire() {
    let engine: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
    let server = odm::wire::Server::bind(([127, 0, 0, 1], 0).into(), engine)
        .expect("bind the wire server")
        .spawn()
        .expect("start the wire server");
    let uri = server.uri();
    let driver: Arc<dyn Backend> = Arc::new(
        odm::backend::mongo::MongoBackend::connect(&uri)
            .await
            .expect("connect the driver to the wire server"),
    );
    let new_backend = move || driver.clone();
    run_suite("driver+wire", &new_backend).await;
    server.shutdown().await;
}

/// The same cases against a real MongoDB, when `MONGODB_URI` names one.
#[cfg(feature = "mongodb")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unified_spec_tests_real_mongodb() {
    let Ok(uri) = std::env::var("MONGODB_URI") else {
        println!("MONGODB_URI is not set: the spec suite did not run against a real MongoDB");
        return;
    };
    let driver: Arc<dyn Backend> = Arc::new(
        odm::backend::mongo::MongoBackend::connect(&uri)
            .await
            .expect("connect to MONGODB_URI"),
    );
    let new_backend = move || driver.clone();
    run_suite("mongodb", &new_backend).await;
}

async fn run_suite(label: &str, new_backend: &dyn Fn() -> Arc<dyn Backend>) {
    println!("== the spec suite on the {label} backend");
    let allowed = allow_list();
    let report_only = std::env::var("ODM_SPEC_REPORT_ONLY").is_ok_and(|v| v == "1");
    let mut reports: Vec<FileReport> = Vec::new();
    for dir in spec_dirs() {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect(),
            Err(e) => panic!("cannot read spec folder {}: {e}", dir.display()),
        };
        files.sort();
        for file in files {
            reports.push(runner::run_file(&file, new_backend).await);
        }
    }

    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    let mut skip_reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seen_allowed = BTreeSet::new();
    for report in &reports {
        let (mut p, mut f, mut s) = (0, 0, 0);
        for case in &report.cases {
            match &case.result {
                CaseResult::Passed => p += 1,
                CaseResult::Failed(_) => f += 1,
                CaseResult::Skipped(_) => s += 1,
            }
        }
        println!("{}: {p} passed, {f} failed, {s} skipped", report.file);
        for case in &report.cases {
            let key = (report.file.clone(), case.description.clone());
            let is_allowed = allowed.contains_key(&key);
            if is_allowed {
                seen_allowed.insert(key.clone());
            }
            match &case.result {
                CaseResult::Passed if is_allowed => {
                    now_passing.push(format!("{} :: {}", key.0, key.1))
                }
                CaseResult::Passed => {}
                CaseResult::Failed(reason) => {
                    let tag = if is_allowed {
                        "FAIL (allow-listed)"
                    } else {
                        "FAIL"
                    };
                    println!("  {tag} {} :: {reason}", case.description);
                    if !is_allowed {
                        unexpected.push(format!("{} :: {}", key.0, key.1));
                    }
                }
                CaseResult::Skipped(reason) => skip_reasons
                    .entry(reason.clone())
                    .or_default()
                    .push(format!("{} :: {}", key.0, key.1)),
            }
        }
        passed += p;
        failed += f;
        skipped += s;
    }
    for (reason, cases) in &skip_reasons {
        println!("skipped ({reason}): {} case(s)", cases.len());
        for c in cases {
            println!("  SKIP {c}");
        }
    }
    for c in &now_passing {
        println!("allow-list entry now passes: remove it: {c}");
    }
    for key in allowed.keys().filter(|k| !seen_allowed.contains(*k)) {
        println!("allow-list entry matches no case: {} :: {}", key.0, key.1);
    }
    println!("{label}: {passed} passed, {failed} failed, {skipped} skipped");
    if !report_only && !unexpected.is_empty() {
        panic!(
            "{label}: {} failing case(s) not in tests/spec/allowlist.txt:\n{}",
            unexpected.len(),
            unexpected.join("\n")
        );
    }
}

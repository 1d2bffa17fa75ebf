//! Misuse of the derives and of the typed builders must not compile, and the
//! error must point at the culprit and say what to write instead. Each
//! `tests/ui/*.rs` is one misuse; its `.stderr` is the reviewed message:
//! re-bless with `TRYBUILD=overwrite cargo test --test compiletest` and read
//! the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

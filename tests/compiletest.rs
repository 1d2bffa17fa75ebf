//! Misuse of the derives (and of the typed builders) must not compile, and
//! the error must point at the culprit and say what to write instead. The
//! `.stderr` files are the reviewed messages: re-bless with
//! `TRYBUILD=overwrite cargo test --test compiletest` and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

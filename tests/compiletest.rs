//! Compile-fail tests: each `tests/ui/*.rs` is one misuse, and its `.stderr`
//! is the error the user reads. Bless with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

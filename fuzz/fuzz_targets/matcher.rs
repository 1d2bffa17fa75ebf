//! Random filters × random documents through the in-memory matcher.
//!
//! Never panics; and where both compile and evaluate, `{$nor: [f]}` is the
//! exact negation of `f` and `{$and: [f]}` agrees with it.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use odm::backend::memory::matcher::Matcher;
use odm::bson::{doc, RawDocumentBuf};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let (Ok(filter), Ok(docs)) = (
        odm_fuzz::filter(&mut u, 3),
        (0..3)
            .map(|_| odm_fuzz::document(&mut u, 3))
            .collect::<arbitrary::Result<Vec<_>>>(),
    ) else {
        return;
    };
    let Ok(matcher) = Matcher::compile(&filter) else {
        return;
    };
    let nor = Matcher::compile(&doc! { "$nor": [filter.clone()] });
    let and = Matcher::compile(&doc! { "$and": [filter.clone()] });
    for d in &docs {
        let Ok(raw) = RawDocumentBuf::try_from(d) else {
            continue;
        };
        let Ok(hit) = matcher.matches(&raw) else {
            continue;
        };
        if let Ok(Ok(negated)) = nor.as_ref().map(|m| m.matches(&raw)) {
            assert_ne!(hit, negated, "$nor is not the negation of {filter} on {d}");
        }
        if let Ok(Ok(same)) = and.as_ref().map(|m| m.matches(&raw)) {
            assert_eq!(hit, same, "$and disagrees with {filter} on {d}");
        }
    }
});

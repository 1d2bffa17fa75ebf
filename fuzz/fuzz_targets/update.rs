//! Random update documents applied to random documents.
//!
//! Never panics; a failed update leaves the document exactly as it was; an
//! update that reports "unchanged" did not change it.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use odm::backend::memory::update::{ApplyContext, UpdatePlan};
use odm::backend::UpdateModification;
use odm::bson::{doc, DateTime};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(update) = odm_fuzz::update(&mut u, 2) else {
        return;
    };
    let Ok(mut target) = odm_fuzz::document(&mut u, 3) else {
        return;
    };
    let with_filters = u.ratio(1, 3).unwrap_or(false);
    let filters = [doc! { "i": { "$gte": 0 } }];
    let array_filters = with_filters.then_some(&filters[..]);
    let Ok(plan) = UpdatePlan::compile(
        &UpdateModification::Document(update.clone()),
        array_filters,
        None,
    ) else {
        return;
    };
    let ctx = ApplyContext {
        positional: u.ratio(1, 2).unwrap_or(false).then_some(0),
        is_insert: u.arbitrary().unwrap_or(false),
        now: Some(DateTime::from_millis(1_700_000_000_000)),
    };
    let before = odm_fuzz::bytes(&target);
    match plan.apply(&mut target, &ctx) {
        Err(_) => assert_eq!(
            odm_fuzz::bytes(&target),
            before,
            "a failed {update} changed the document"
        ),
        Ok(false) => assert_eq!(
            odm_fuzz::bytes(&target),
            before,
            "{update} changed the document but reported no change"
        ),
        Ok(true) => {}
    }
});

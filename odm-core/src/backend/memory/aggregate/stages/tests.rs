use bson::{doc, Document};

use super::super::{expr::Vars, run_pipeline};
use crate::error::CommandError;

fn run(input: Vec<Document>, pipeline: Vec<Document>) -> Result<Vec<Document>, CommandError> {
    run_pipeline(input, &pipeline, &Vars::default(), &|_| Ok(Vec::new()))
}

#[test]
fn unknown_stage_is_an_error() {
    let e = run(vec![], vec![doc! {"$frobnicate": {}}]).unwrap_err();
    assert_eq!(e.code, 40324);
}

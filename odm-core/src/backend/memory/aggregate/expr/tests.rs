use bson::{doc, Bson, Document};

use super::*;

fn eval_on(doc: &Document, spec: Bson) -> Result<Option<Bson>, CommandError> {
    Expr::compile(&spec)?.eval(doc, &Vars::default())
}

fn ev(spec: Bson) -> Option<Bson> {
    eval_on(&doc! {}, spec).unwrap()
}

#[test]
fn literals_and_paths() {
    let d = doc! {"a": {"b": 5}, "items": [{"qty": 1}, {"qty": 2}, {"x": 0}]};
    assert_eq!(
        eval_on(&d, Bson::String("$a.b".into())).unwrap(),
        Some(Bson::Int32(5))
    );
    assert_eq!(
        eval_on(&d, Bson::String("$items.qty".into())).unwrap(),
        Some(Bson::Array(vec![1.into(), 2.into()]))
    );
    assert_eq!(eval_on(&d, Bson::String("$nope".into())).unwrap(), None);
    assert_eq!(
        ev(Bson::Document(doc! {"$literal": "$x"})),
        Some(Bson::String("$x".into()))
    );
}

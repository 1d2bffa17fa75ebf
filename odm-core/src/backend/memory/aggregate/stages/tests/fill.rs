//! `$fill`, `$locf` and `$linearFill`.

use bson::{doc, Bson, Document};

use super::run_with;
use crate::backend::memory::aggregate::expr::Vars;

fn readings() -> Vec<Document> {
    vec![
        doc! {"_id": 1, "t": 4, "temp": null, "site": "b"},
        doc! {"_id": 2, "t": 1, "temp": 10, "site": "a", "note": "x"},
        doc! {"_id": 3, "t": 3, "site": "a"},
        doc! {"_id": 4, "t": 5, "temp": 30.5, "site": "a"},
        doc! {"_id": 5, "t": 2, "temp": null, "site": "b", "note": null},
        doc! {"_id": 6, "t": 7, "temp": 16_i64, "site": "b"},
        doc! {"_id": 7, "t": 9, "temp": null, "site": "b"},
    ]
}

fn run(pipeline: Vec<Document>) -> Vec<Document> {
    run_with(readings(), pipeline, &Vars::default()).unwrap()
}

fn code(pipeline: Vec<Document>) -> i32 {
    run_with(readings(), pipeline, &Vars::default())
        .unwrap_err()
        .code
}

fn field(docs: &[Document], k: &str) -> Vec<Option<Bson>> {
    docs.iter().map(|d| d.get(k).cloned()).collect()
}

#[test]
fn value_fills_only_null_and_missing_in_place() {
    let out = run(vec![
        doc! {"$fill": {"output": {"note": {"value": {"$concat": ["n", "$site"]}}}}},
    ]);
    // No method: no sorting, input order kept.
    let notes: Vec<_> = field(&out, "note");
    assert_eq!(
        notes,
        ["nb", "x", "na", "na", "nb", "nb", "nb"]
            .map(|s| Some(Bson::String(s.into())))
            .to_vec()
    );
}

#[test]
fn locf_carries_the_last_value_within_partitions() {
    let out = run(vec![doc! {"$fill": {
        "sortBy": {"t": 1},
        "partitionByFields": ["site"],
        "output": {"temp": {"method": "locf"}},
    }}]);
    let ids: Vec<_> = out.iter().map(|d| d.get_i32("_id").unwrap()).collect();
    assert_eq!(ids, [2, 3, 4, 5, 1, 6, 7]);
    assert_eq!(
        field(&out, "temp"),
        [
            Some(Bson::Int32(10)),
            Some(Bson::Int32(10)),
            Some(Bson::Double(30.5)),
            // Nothing before it in partition "b": null.
            Some(Bson::Null),
            Some(Bson::Null),
            Some(Bson::Int64(16)),
            Some(Bson::Int64(16)),
        ]
        .to_vec()
    );
}

#[test]
fn linear_interpolates_between_known_values_only() {
    let out = run(vec![doc! {"$fill": {
        "sortBy": {"t": 1},
        "partitionBy": "$site",
        "output": {"temp": {"method": "linear"}, "note": {"value": "-"}},
    }}]);
    let temps = field(&out, "temp");
    // a: t=1 -> 10, t=3 -> halfway to 30.5 at t=5.
    assert_eq!(temps.get(1), Some(&Some(Bson::Double(20.25))));
    // b: t=2 and t=4 come before the first known value (t=7), t=9 after the last.
    assert_eq!(temps.get(3), Some(&Some(Bson::Null)));
    assert_eq!(temps.get(4), Some(&Some(Bson::Null)));
    assert_eq!(temps.get(6), Some(&Some(Bson::Null)));
    assert_eq!(
        field(&out, "note").first(),
        Some(&Some(Bson::String("x".into())))
    );
    assert_eq!(
        field(&out, "note").get(1),
        Some(&Some(Bson::String("-".into())))
    );
}

#[test]
fn linear_fill_over_dates() {
    let day = |d: i64| bson::DateTime::from_millis(d * 86_400_000);
    let input = vec![
        doc! {"d": day(0), "v": 0},
        doc! {"d": day(3), "v": null},
        doc! {"d": day(4), "v": 8},
    ];
    let out = run_with(
        input,
        vec![
            doc! {"$setWindowFields": {"sortBy": {"d": 1}, "output": {"v": {"$linearFill": "$v"}}}},
        ],
        &Vars::default(),
    )
    .unwrap();
    assert_eq!(field(&out, "v").get(1), Some(&Some(Bson::Double(6.0))));
}

#[test]
fn fill_errors() {
    assert_eq!(code(vec![doc! {"$fill": 1}]), 9);
    assert_eq!(code(vec![doc! {"$fill": {}}]), 40414);
    assert_eq!(code(vec![doc! {"$fill": {"output": {}}}]), 6050203);
    assert_eq!(code(vec![doc! {"$fill": {"output": {"a": 1}}}]), 6050200);
    assert_eq!(
        code(vec![
            doc! {"$fill": {"output": {"a": {"method": "locf", "value": 1}}}}
        ]),
        6050201
    );
    assert_eq!(
        code(vec![
            doc! {"$fill": {"output": {"a": {"method": "nearest"}}}}
        ]),
        6050202
    );
    assert_eq!(
        code(vec![
            doc! {"$fill": {"output": {"a": {"method": "locf"}}, "partitionBy": "$x", "partitionByFields": ["x"]}}
        ]),
        6050204
    );
    assert_eq!(
        code(vec![
            doc! {"$fill": {"output": {"a": {"value": 1}}, "extra": 1}}
        ]),
        40415
    );
    // $linearFill: one sort field, no repeated or non-numeric sort values,
    // numeric values only, no window.
    assert_eq!(
        code(vec![
            doc! {"$fill": {"sortBy": {"t": 1, "site": 1}, "output": {"temp": {"method": "linear"}}}}
        ]),
        605001
    );
    assert_eq!(
        code(vec![
            doc! {"$fill": {"sortBy": {"site": 1}, "output": {"temp": {"method": "linear"}}}}
        ]),
        14
    );
    assert_eq!(
        code(vec![
            doc! {"$fill": {"sortBy": {"t": 1}, "output": {"site": {"method": "linear"}}}}
        ]),
        14
    );
    assert_eq!(
        code(vec![
            doc! {"$set": {"t": 1}},
            doc! {"$fill": {"sortBy": {"t": 1}, "output": {"temp": {"method": "linear"}}}},
        ]),
        6050106
    );
    assert_eq!(
        code(vec![
            doc! {"$setWindowFields": {"sortBy": {"t": 1}, "output": {"v": {"$locf": "$v", "window": {"documents": [-1, 0]}}}}}
        ]),
        9
    );
}

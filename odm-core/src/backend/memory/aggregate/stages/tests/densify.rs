//! `$densify`.

use bson::{doc, Bson, DateTime, Document};

use super::run_with;
use crate::backend::memory::aggregate::expr::Vars;

fn densify(input: Vec<Document>, spec: Document) -> Result<Vec<Document>, i32> {
    run_with(input, vec![doc! {"$densify": spec}], &Vars::default()).map_err(|e| e.code)
}

fn vals(out: &[Document]) -> Vec<Option<Bson>> {
    out.iter().map(|d| d.get("v").cloned()).collect()
}

fn ints(xs: &[i32]) -> Vec<Option<Bson>> {
    xs.iter().map(|x| Some(Bson::Int32(*x))).collect()
}

#[test]
fn full_range_counts_steps_from_the_smallest_value() {
    let input = vec![
        doc! {"_id": "ten", "v": 10},
        doc! {"_id": "none"},
        doc! {"_id": "zero", "v": 0},
        doc! {"_id": "five", "v": 5},
    ];
    let out = densify(
        input,
        doc! {"field": "v", "range": {"step": 3, "bounds": "full"}},
    )
    .unwrap();
    assert_eq!(out.first(), Some(&doc! {"_id": "none"}));
    assert_eq!(
        vals(&out[1..]),
        ints(&[0, 3, 5, 6, 9, 10]),
        "off-step 5 does not move the steps"
    );
    // Created documents hold only the field.
    assert_eq!(out.get(2), Some(&doc! {"v": 3}));
    // A double step widens the created values.
    let out = densify(
        vec![doc! {"v": 1}, doc! {"v": 2}],
        doc! {"field": "v", "range": {"step": 0.5, "bounds": "full"}},
    )
    .unwrap();
    assert_eq!(out.get(1), Some(&doc! {"v": 1.5}));
}

#[test]
fn partition_range_fills_each_partition_on_its_own() {
    let input = vec![
        doc! {"g": "b", "v": 12},
        doc! {"g": "a", "v": 4},
        doc! {"g": "a", "v": 1},
        doc! {"g": "b", "v": 10},
    ];
    let out = densify(
        input,
        doc! {"field": "v", "partitionByFields": ["g"], "range": {"step": 1, "bounds": "partition"}},
    )
    .unwrap();
    let got: Vec<(String, i32)> = out
        .iter()
        .map(|d| (d.get_str("g").unwrap().to_owned(), d.get_i32("v").unwrap()))
        .collect();
    let want: Vec<(String, i32)> = [
        ("a", 1),
        ("a", 2),
        ("a", 3),
        ("a", 4),
        ("b", 10),
        ("b", 11),
        ("b", 12),
    ]
    .iter()
    .map(|(g, v)| ((*g).to_owned(), *v))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn full_range_with_partitions_reaches_the_global_bounds() {
    let input = vec![
        doc! {"g": {"k": "a"}, "v": 1},
        doc! {"g": {"k": "a"}, "v": 3},
        doc! {"g": {"k": "b"}, "v": 2},
        doc! {"g": {"k": "b"}, "v": 5},
    ];
    let out = densify(
        input,
        doc! {"field": "v", "partitionByFields": ["g.k"], "range": {"step": 1, "bounds": "full"}},
    )
    .unwrap();
    let mut got: Vec<(String, i32)> = out
        .iter()
        .map(|d| {
            let g = d
                .get_document("g")
                .unwrap()
                .get_str("k")
                .unwrap()
                .to_owned();
            (g, d.get_i32("v").unwrap())
        })
        .collect();
    got.sort();
    let want: Vec<(String, i32)> = ["a", "b"]
        .iter()
        .flat_map(|g| (1..=5).map(move |v| ((*g).to_owned(), v)))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn explicit_bounds_are_half_open_and_keep_outside_documents() {
    let input = vec![doc! {"v": 12}, doc! {"v": 2}, doc! {"v": null}];
    let out = densify(
        input,
        doc! {"field": "v", "range": {"step": 4, "bounds": [0, 10]}},
    )
    .unwrap();
    assert_eq!(
        vals(&out),
        [vec![Some(Bson::Null)], ints(&[0, 2, 4, 8, 12])].concat()
    );
    // No input: the range is still filled.
    let out = densify(
        Vec::new(),
        doc! {"field": "v", "range": {"step": 4, "bounds": [0, 10]}},
    )
    .unwrap();
    assert_eq!(vals(&out), ints(&[0, 4, 8]));
}

#[test]
fn months_step_by_the_calendar() {
    let day = |y: i32, m: u8, d: u8| DateTime::builder().year(y).month(m).day(d).build().unwrap();
    let input = vec![doc! {"v": day(2023, 4, 30)}, doc! {"v": day(2023, 1, 31)}];
    let out = densify(
        input,
        doc! {"field": "v", "range": {"step": 1, "unit": "month", "bounds": "full"}},
    )
    .unwrap();
    let want = [
        day(2023, 1, 31),
        day(2023, 2, 28),
        day(2023, 3, 28),
        day(2023, 4, 28),
        day(2023, 4, 30),
    ];
    assert_eq!(
        vals(&out),
        want.iter()
            .map(|d| Some(Bson::DateTime(*d)))
            .collect::<Vec<_>>()
    );
}

#[test]
fn densify_errors() {
    let spec = |range: Document| doc! {"field": "v", "range": range};
    let none = Vec::new;
    for (range, code) in [
        (doc! {"step": 0, "bounds": "full"}, 5733401),
        (doc! {"step": "1", "bounds": "full"}, 5733401),
        (doc! {"step": 1.5, "unit": "day", "bounds": "full"}, 6586400),
        (doc! {"step": 1, "unit": "fortnight", "bounds": "full"}, 9),
        (doc! {"step": 1, "bounds": [1]}, 5733403),
        (doc! {"step": 1, "bounds": [5, 1]}, 5733402),
        (doc! {"step": 1, "unit": "day", "bounds": [0, 1]}, 5733409),
        (doc! {"step": 1, "bounds": [0, 10.0]}, 5876900),
        (
            doc! {"step": 1, "bounds": [DateTime::from_millis(0), DateTime::from_millis(9)]},
            5733410,
        ),
        (doc! {"step": 1, "bounds": ["a", "b"]}, 5946800),
        (doc! {"step": 1, "bounds": "whole"}, 5946802),
        (doc! {"step": 1, "bounds": 5}, 5733404),
        (doc! {"step": 1, "bounds": "partition"}, 5733408),
        (doc! {"step": 1}, 40414),
        (doc! {"step": 1, "bounds": "full", "extra": 1}, 40415),
    ] {
        assert_eq!(densify(none(), spec(range.clone())), Err(code), "{range}");
    }
    assert_eq!(
        densify(none(), doc! {"range": {"step": 1, "bounds": "full"}}),
        Err(40414)
    );
    assert_eq!(
        run_with(none(), vec![doc! {"$densify": 1}], &Vars::default()).map_err(|e| e.code),
        Err(9)
    );
    let full = doc! {"step": 1, "bounds": "full"};
    assert_eq!(
        densify(vec![doc! {"v": "x"}], spec(full.clone())),
        Err(5733201)
    );
    assert_eq!(
        densify(vec![doc! {"v": DateTime::from_millis(0)}], spec(full)),
        Err(6053600)
    );
    assert_eq!(
        densify(
            vec![doc! {"v": 1}],
            spec(doc! {"step": 1, "unit": "day", "bounds": "full"})
        ),
        Err(6053600)
    );
    assert_eq!(
        densify(
            vec![doc! {"v": 0}, doc! {"v": 1e9}],
            spec(doc! {"step": 1, "bounds": "full"})
        ),
        Err(5897900)
    );
}

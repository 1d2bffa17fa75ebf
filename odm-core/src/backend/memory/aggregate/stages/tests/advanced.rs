//! Tests of the less common stages: `$graphLookup`, `$redact`,
//! `$setWindowFields`, `$bucketAuto`, and `$lookup` edge cases.

use bson::{bson, doc, Bson, Document};

use super::super::super::{expr::Vars, run_pipeline};
use super::{fails, run_with, shop};

#[test]
fn graph_lookup_walks_the_graph() {
    let staff = vec![
        doc! {"_id": 1, "name": "Dev", "boss": "Eli"},
        doc! {"_id": 2, "name": "Eli", "boss": "Ann"},
        doc! {"_id": 3, "name": "Ann"},
        doc! {"_id": 4, "name": "Bob", "boss": ["Dev", "Eli"]},
    ];
    let lookup = move |_: &str| Ok(staff.clone());
    let run_graph = |spec: Document| {
        run_pipeline(
            vec![doc! {"_id": "q", "reportsTo": "Dev"}],
            &[doc! {"$graphLookup": spec}],
            &Vars::default(),
            &lookup,
        )
        .unwrap()
    };
    let out = run_graph(
        doc! {"from": "staff", "startWith": "$reportsTo", "connectFromField": "boss",
        "connectToField": "name", "as": "chain", "depthField": "d"},
    );
    let chain = out[0].get_array("chain").unwrap();
    let names: Vec<(&str, i64)> = chain
        .iter()
        .map(|c| {
            let c = c.as_document().unwrap();
            (c.get_str("name").unwrap(), c.get_i64("d").unwrap())
        })
        .collect();
    assert_eq!(names, vec![("Dev", 0), ("Eli", 1), ("Ann", 2)]);
    let out = run_graph(
        doc! {"from": "staff", "startWith": "$reportsTo", "connectFromField": "boss",
        "connectToField": "name", "as": "chain", "maxDepth": 0},
    );
    assert_eq!(out[0].get_array("chain").unwrap().len(), 1);
    let out = run_graph(
        doc! {"from": "staff", "startWith": "Eli", "connectFromField": "name",
        "connectToField": "boss", "as": "reports", "restrictSearchWithMatch": {"_id": {"$ne": 1}}},
    );
    // Eli's reports, then theirs: Bob (boss includes Eli); Dev is filtered out.
    let ids: Vec<Bson> = out[0]
        .get_array("reports")
        .unwrap()
        .iter()
        .map(|r| r.as_document().unwrap().get("_id").cloned().unwrap())
        .collect();
    assert_eq!(ids, vec![bson!(4)]);
    let e = run_pipeline(
        vec![],
        &[doc! {"$graphLookup": {"from": "staff"}}],
        &Vars::default(),
        &|_| Ok(vec![]),
    );
    assert_eq!(e.unwrap_err().code, 40105);
}

#[test]
fn redact_prunes_by_level() {
    let input = vec![doc! {
        "_id": 1, "level": 1,
        "public": {"level": 1, "text": "ok"},
        "secret": {"level": 5, "text": "no"},
        "list": [{"level": 5}, {"level": 0, "x": 1}, 7],
    }];
    let out = run_with(
        input,
        vec![doc! {"$redact": {"$cond": [{"$gt": ["$level", 3]}, "$$PRUNE", "$$DESCEND"]}}],
        &Vars::default(),
    )
    .unwrap();
    assert_eq!(
        out,
        vec![
            doc! {"_id": 1, "level": 1, "public": {"level": 1, "text": "ok"},
            "list": [{"level": 0, "x": 1}, 7]}
        ]
    );
    let e = run_with(shop(), vec![doc! {"$redact": "$city"}], &Vars::default());
    assert_eq!(e.unwrap_err().code, 17053);
}

#[test]
fn set_window_fields() {
    let sales = vec![
        doc! {"_id": 1, "shop": "B", "day": 1, "amount": 5},
        doc! {"_id": 2, "shop": "A", "day": 2, "amount": 7},
        doc! {"_id": 3, "shop": "A", "day": 1, "amount": 3},
        doc! {"_id": 4, "shop": "A", "day": 3, "amount": 7},
        doc! {"_id": 5, "shop": "B", "day": 4, "amount": 1},
    ];
    let out = run_with(
        sales,
        vec![doc! {"$setWindowFields": {
            "partitionBy": "$shop",
            "sortBy": {"day": 1},
            "output": {
                "running": {"$sum": "$amount", "window": {"documents": ["unbounded", "current"]}},
                "total": {"$sum": "$amount"},
                "near": {"$push": "$_id", "window": {"range": [-1, 1]}},
                "n": {"$documentNumber": {}},
                "prev": {"$shift": {"output": "$amount", "by": -1, "default": 0}},
            },
        }}, doc! {"$project": {"shop": 0, "day": 0, "amount": 0}}],
        &Vars::default(),
    )
    .unwrap();
    assert_eq!(
        out,
        vec![
            doc! {"_id": 3, "running": 3, "total": 17, "near": [3, 2], "n": Bson::Int64(1), "prev": 0},
            doc! {"_id": 2, "running": 10, "total": 17, "near": [3, 2, 4], "n": Bson::Int64(2), "prev": 3},
            doc! {"_id": 4, "running": 17, "total": 17, "near": [2, 4], "n": Bson::Int64(3), "prev": 7},
            doc! {"_id": 1, "running": 5, "total": 6, "near": [1], "n": Bson::Int64(1), "prev": 0},
            doc! {"_id": 5, "running": 6, "total": 6, "near": [5], "n": Bson::Int64(2), "prev": 5},
        ]
    );
    let ranks = run_with(
        vec![doc! {"s": 9}, doc! {"s": 7}, doc! {"s": 9}, doc! {"s": 5}],
        vec![doc! {"$setWindowFields": {"sortBy": {"s": -1}, "output": {
        "r": {"$rank": {}}, "d": {"$denseRank": {}}}}}],
        &Vars::default(),
    )
    .unwrap();
    let pairs: Vec<(i64, i64)> = ranks
        .iter()
        .map(|d| (d.get_i64("r").unwrap(), d.get_i64("d").unwrap()))
        .collect();
    assert_eq!(pairs, vec![(1, 1), (1, 1), (3, 2), (4, 3)]);
    let e = run_with(
        shop(),
        vec![doc! {"$setWindowFields": {"output": {"r": {"$rank": {}}}}}],
        &Vars::default(),
    );
    assert_eq!(e.unwrap_err().code, 5371110);
}

#[test]
fn lookup_index_matches_across_number_widths_and_arrays() {
    let orders = vec![
        doc! {"_id": 1, "skus": [1, Bson::Int64(3)]},
        doc! {"_id": 2, "skus": 2.0},
    ];
    let items = vec![
        doc! {"_id": "a", "sku": 1.0},
        doc! {"_id": "b", "sku": [2, 3]},
        doc! {"_id": "c", "sku": Bson::Int64(3)},
    ];
    let out = run_pipeline(
        orders,
        &[
            doc! {"$lookup": {"from": "items", "localField": "skus", "foreignField": "sku", "as": "m"}},
            doc! {"$project": {"m": "$m._id"}},
        ],
        &Vars::default(),
        &move |_| Ok(items.clone()),
    )
    .unwrap();
    assert_eq!(
        out,
        vec![
            doc! {"_id": 1, "m": ["a", "b", "c"]},
            doc! {"_id": 2, "m": ["b"]}
        ]
    );
}

#[test]
fn bucket_auto_keeps_equal_values_together() {
    let input: Vec<Document> = [5, 1, 3, 3, 3, 9, 7, 2]
        .iter()
        .map(|v| doc! {"v": *v})
        .collect();
    let out = run_with(
        input,
        vec![doc! {"$bucketAuto": {"groupBy": "$v", "buckets": 3, "output": {"vs": {"$push": "$v"}}}}],
        &Vars::default(),
    )
    .unwrap();
    assert_eq!(
        out,
        // Buckets of round(8 / 3) = 3, the first grown to hold every 3.
        vec![
            doc! {"_id": {"min": 1, "max": 5}, "vs": [1, 2, 3, 3, 3]},
            doc! {"_id": {"min": 5, "max": 9}, "vs": [5, 7, 9]},
        ]
    );
    assert_eq!(
        fails(vec![doc! {"$bucketAuto": {"groupBy": "$v", "buckets": 0}}]),
        40243
    );
}

#[test]
fn lookup_let_values_reach_match_as_values() {
    // A local value that looks like a field path must not be read as one.
    let input = vec![doc! {"_id": 1, "k": "$home"}, doc! {"_id": 2, "k": "Lima"}];
    let out = run_with(
        input,
        vec![
            doc! {"$lookup": {"from": "people", "let": {"k": "$k"},
            "pipeline": [{"$match": {"$expr": {"$eq": ["$home", "$$k"]}}}], "as": "m"}},
            doc! {"$project": {"m": "$m._id"}},
        ],
        &Vars::default(),
    )
    .unwrap();
    assert_eq!(
        out,
        vec![doc! {"_id": 1, "m": []}, doc! {"_id": 2, "m": ["p2"]}]
    );
}

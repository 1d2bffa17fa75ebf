use bson::{bson, doc, Bson, Document};

use super::super::{expr::Vars, run_pipeline};
use crate::error::CommandError;

fn shop() -> Vec<Document> {
    vec![
        doc! {"_id": 1, "city": "Oslo", "age": 30, "tags": ["a", "b"], "n": {"x": 1}},
        doc! {"_id": 2, "city": "Lima", "age": 41, "tags": [], "n": {"x": 2}},
        doc! {"_id": 3, "city": "Oslo", "age": 25.0, "tags": "solo"},
        doc! {"_id": 4, "city": null, "age": Bson::Int64(50)},
        doc! {"_id": 5, "age": "n/a", "tags": null},
    ]
}

fn people() -> Vec<Document> {
    vec![
        doc! {"_id": "p1", "home": "Oslo", "likes": ["Lima", "Oslo"]},
        doc! {"_id": "p2", "home": "Lima"},
        doc! {"_id": "p3"},
    ]
}

fn run_with(
    input: Vec<Document>,
    pipeline: Vec<Document>,
    vars: &Vars,
) -> Result<Vec<Document>, CommandError> {
    run_pipeline(input, &pipeline, vars, &|name| match name {
        "people" => Ok(people()),
        "shop" => Ok(shop()),
        _ => Ok(Vec::new()),
    })
}

fn run(pipeline: Vec<Document>) -> Vec<Document> {
    run_with(shop(), pipeline, &Vars::default()).unwrap()
}

fn fails(pipeline: Vec<Document>) -> i32 {
    run_with(shop(), pipeline, &Vars::default())
        .unwrap_err()
        .code
}

fn ids(docs: &[Document]) -> Vec<Bson> {
    docs.iter()
        .map(|d| d.get("_id").cloned().unwrap_or(Bson::Null))
        .collect()
}

#[test]
fn stage_errors() {
    assert_eq!(fails(vec![doc! {"$frobnicate": {}}]), 40324);
    assert_eq!(fails(vec![doc! {"$limit": 1, "$skip": 1}]), 40323);
    assert_eq!(fails(vec![doc! {"$group": {"total": {"$sum": 1}}}]), 15955);
    assert_eq!(
        fails(vec![doc! {"$group": {"_id": null, "t": {"$median": 1}}}]),
        15952
    );
    assert_eq!(fails(vec![doc! {"$unwind": "tags"}]), 28818);
    assert_eq!(fails(vec![doc! {"$limit": 0}]), 15958);
    assert_eq!(fails(vec![doc! {"$skip": -1}]), 15956);
    assert_eq!(
        fails(vec![doc! {"$replaceRoot": {"newRoot": "$city"}}]),
        40228
    );
    assert_eq!(fails(vec![doc! {"$out": "x"}, doc! {"$limit": 1}]), 40601);
    assert_eq!(fails(vec![doc! {"$project": {"a": 1, "b": 0}}]), 31254);
    assert_eq!(fails(vec![doc! {"$project": {"a": 1, "a.b": 1}}]), 31250);
    assert_eq!(fails(vec![doc! {"$count": "$n"}]), 40158);
    assert_eq!(
        fails(vec![doc! {"$limit": 5}, doc! {"$documents": []}]),
        40602
    );
    // Compile errors surface even with no input documents.
    let e = run_with(
        vec![],
        vec![doc! {"$project": {"x": {"$bogus": 1}}}],
        &Vars::default(),
    );
    assert_eq!(e.unwrap_err().code, 168);
}

#[test]
fn project_add_fields_unset() {
    let out = run(vec![
        doc! {"$project": {"city": 1, "double": {"$multiply": [2, "$_id"]}}},
        doc! {"$limit": 2},
    ]);
    assert_eq!(
        out,
        vec![
            doc! {"_id": 1, "city": "Oslo", "double": 2},
            doc! {"_id": 2, "city": "Lima", "double": 4}
        ]
    );
    let out = run(vec![
        doc! {"$project": {"_id": 0, "n.x": 1}},
        doc! {"$limit": 3},
    ]);
    assert_eq!(
        out,
        vec![doc! {"n": {"x": 1}}, doc! {"n": {"x": 2}}, doc! {}]
    );
    let out = run(vec![
        doc! {"$project": {"tags": 0, "n": 0, "age": 0}},
        doc! {"$skip": 3},
    ]);
    assert_eq!(out, vec![doc! {"_id": 4, "city": null}, doc! {"_id": 5}]);
    let out = run(vec![
        doc! {"$addFields": {"n.y": "$_id", "city": "$$REMOVE", "k": {"$literal": 1}}},
        doc! {"$limit": 3},
    ]);
    assert_eq!(
        out[0],
        doc! {"_id": 1, "age": 30, "tags": ["a", "b"], "n": {"x": 1, "y": 1}, "k": 1}
    );
    assert_eq!(
        out[2],
        doc! {"_id": 3, "age": 25.0, "tags": "solo", "n": {"y": 3}, "k": 1}
    );
    let out = run(vec![doc! {"$set": {"tags.t": true}}, doc! {"$limit": 1}]);
    assert_eq!(out[0].get("tags"), Some(&bson!([{"t": true}, {"t": true}])));
    let out = run(vec![
        doc! {"$unset": ["age", "n.x", "tags"]},
        doc! {"$limit": 1},
    ]);
    assert_eq!(out, vec![doc! {"_id": 1, "city": "Oslo", "n": {}}]);
    let out = run(vec![
        doc! {"$replaceWith": {"$mergeObjects": [{"x": 0}, "$n"]}},
        doc! {"$limit": 3},
    ]);
    assert_eq!(out, vec![doc! {"x": 1}, doc! {"x": 2}, doc! {"x": 0}]);
}

#[test]
fn group_accumulators_and_key_equality() {
    let out = run(vec![doc! {"$group": {
        "_id": "$city",
        "n": {"$sum": 1},
        "total": {"$sum": "$age"},
        "avg": {"$avg": "$age"},
        "min": {"$min": "$age"},
        "max": {"$max": "$age"},
        "first": {"$first": "$_id"},
        "last": {"$last": "$_id"},
        "ids": {"$push": "$_id"},
        "count": {"$count": {}},
    }}]);
    // First-seen order; null and missing are one group.
    assert_eq!(ids(&out), vec![bson!("Oslo"), bson!("Lima"), Bson::Null]);
    assert_eq!(
        out[0],
        doc! {"_id": "Oslo", "n": 2, "total": 55.0, "avg": 27.5, "min": 25.0, "max": 30,
        "first": 1, "last": 3, "ids": [1, 3], "count": 2}
    );
    assert_eq!(out[2].get("total"), Some(&Bson::Int64(50)));
    assert_eq!(out[2].get("max"), Some(&bson!("n/a")));

    // 1, 1i64 and 1.0 are one group; its _id is the first value seen.
    let nums = vec![
        doc! {"k": 1},
        doc! {"k": Bson::Int64(1)},
        doc! {"k": 1.0},
        doc! {"k": "1"},
    ];
    let out = run_with(
        nums,
        vec![doc! {"$group": {"_id": "$k", "c": {"$sum": 1}, "s": {"$addToSet": "$k"}}}],
        &Vars::default(),
    )
    .unwrap();
    assert_eq!(
        out,
        vec![
            doc! {"_id": 1, "c": 3, "s": [1]},
            doc! {"_id": "1", "c": 1, "s": ["1"]}
        ]
    );

    let out = run(vec![doc! {"$group": {
        "_id": {"c": "$city", "young": {"$lt": ["$age", 35]}},
        "merged": {"$mergeObjects": "$n"},
    }}]);
    assert_eq!(
        out[0],
        doc! {"_id": {"c": "Oslo", "young": true}, "merged": {"x": 1}}
    );
    assert_eq!(out.len(), 4);

    let out = run(vec![doc! {"$group": {
        "_id": null,
        "top": {"$top": {"sortBy": {"_id": -1}, "output": "$_id"}},
        "bottom2": {"$bottomN": {"n": 2, "sortBy": {"_id": -1}, "output": "$_id"}},
        "first2": {"$firstN": {"n": 2, "input": "$_id"}},
        "last2": {"$lastN": {"n": 2, "input": "$_id"}},
        "max2": {"$maxN": {"n": 2, "input": "$_id"}},
        "sd": {"$stdDevPop": "$_id"},
        "sds": {"$stdDevSamp": "$nope"},
    }}]);
    assert_eq!(
        out,
        vec![
            doc! {"_id": null, "top": 5, "bottom2": [2, 1], "first2": [1, 2], "last2": [4, 5],
            "max2": [5, 4], "sd": 2.0_f64.sqrt(), "sds": null}
        ]
    );
    assert!(run_with(
        vec![],
        vec![doc! {"$group": {"_id": null, "n": {"$sum": 1}}}],
        &Vars::default()
    )
    .unwrap()
    .is_empty());
}

#[test]
fn unwind_forms() {
    let out = run(vec![doc! {"$unwind": "$tags"}]);
    assert_eq!(ids(&out), vec![bson!(1), bson!(1), bson!(3)]);
    assert_eq!(out[1].get("tags"), Some(&bson!("b")));
    let out = run(vec![
        doc! {"$unwind": {"path": "$tags", "includeArrayIndex": "i", "preserveNullAndEmptyArrays": true}},
    ]);
    assert_eq!(
        ids(&out),
        vec![bson!(1), bson!(1), bson!(2), bson!(3), bson!(4), bson!(5)]
    );
    assert_eq!(out[1].get("i"), Some(&Bson::Int64(1)));
    assert_eq!(
        out[2],
        doc! {"_id": 2, "city": "Lima", "age": 41, "n": {"x": 2}, "i": null}
    );
    assert_eq!(out[5].get("tags"), Some(&Bson::Null));
    let out = run(vec![doc! {"$unwind": "$n.x"}]);
    assert_eq!(ids(&out), vec![bson!(1), bson!(2)]);
}

#[test]
fn lookup_equality_and_pipeline() {
    let out = run(vec![
        doc! {"$lookup": {"from": "people", "localField": "city", "foreignField": "home", "as": "locals"}},
        doc! {"$project": {"ids": "$locals._id"}},
    ]);
    // A null or missing local value matches a missing foreign field.
    assert_eq!(
        out.iter()
            .map(|d| d.get("ids").cloned().unwrap())
            .collect::<Vec<_>>(),
        vec![
            bson!(["p1"]),
            bson!(["p2"]),
            bson!(["p1"]),
            bson!(["p3"]),
            bson!(["p3"])
        ]
    );
    // Array foreign fields match by element.
    let out = run(vec![
        doc! {"$lookup": {"from": "people", "localField": "city", "foreignField": "likes", "as": "fans"}},
        doc! {"$project": {"n": {"$size": "$fans"}}},
    ]);
    assert_eq!(out[0].get("n"), Some(&bson!(1)));
    let out = run(vec![
        doc! {"$lookup": {
            "from": "people",
            "let": {"c": "$city"},
            "pipeline": [{"$project": {"same": {"$eq": ["$home", "$$c"]}}}],
            "as": "cmp",
        }},
        doc! {"$limit": 1},
        doc! {"$project": {"_id": 0, "cmp": "$cmp.same"}},
    ]);
    assert_eq!(out, vec![doc! {"cmp": [true, false, false]}]);
    let out = run(vec![
        doc! {"$lookup": {"from": "people", "localField": "city", "foreignField": "home",
        "pipeline": [{"$project": {"_id": 0, "h": "$home"}}], "as": "j"}},
        doc! {"$limit": 2},
        doc! {"$project": {"_id": 0, "j": 1}},
    ]);
    assert_eq!(
        out,
        vec![doc! {"j": [{"h": "Oslo"}]}, doc! {"j": [{"h": "Lima"}]}]
    );
}

#[test]
fn counting_facets_and_sources() {
    assert_eq!(run(vec![doc! {"$count": "n"}]), vec![doc! {"n": 5}]);
    assert!(run(vec![doc! {"$skip": 9}, doc! {"$count": "n"}]).is_empty());
    let out = run(vec![doc! {"$sortByCount": "$city"}]);
    assert_eq!(out[0], doc! {"_id": "Oslo", "count": 2});
    assert_eq!(out.len(), 3);
    let out = run(vec![doc! {"$facet": {
        "few": [{"$limit": 1}, {"$project": {"_id": 1}}],
        "none": [{"$skip": 10}],
        "n": [{"$count": "n"}],
    }}]);
    assert_eq!(
        out,
        vec![doc! {"few": [{"_id": 1}], "none": [], "n": [{"n": 5}]}]
    );
    let docs = run_with(
        vec![],
        vec![doc! {"$documents": [{"a": 1}, {"a": 2}]}],
        &Vars::default(),
    )
    .unwrap();
    assert_eq!(docs, vec![doc! {"a": 1}, doc! {"a": 2}]);
    let out = run(vec![
        doc! {"$limit": 1},
        doc! {"$unionWith": {"coll": "people", "pipeline": [{"$limit": 1}]}},
    ]);
    assert_eq!(ids(&out), vec![bson!(1), bson!("p1")]);
    let out = run(vec![
        doc! {"$bucket": {"groupBy": "$_id", "boundaries": [0, 2, 4], "default": "other"}},
    ]);
    assert_eq!(
        out,
        vec![
            doc! {"_id": 0, "count": 1},
            doc! {"_id": 2, "count": 2},
            doc! {"_id": "other", "count": 2}
        ]
    );
}

#[test]
fn sample_is_seeded() {
    let vars = Vars {
        sample_seed: Some(42),
        ..Vars::default()
    };
    let a = run_with(shop(), vec![doc! {"$sample": {"size": 3}}], &vars).unwrap();
    let b = run_with(shop(), vec![doc! {"$sample": {"size": 3}}], &vars).unwrap();
    assert_eq!(a.len(), 3);
    assert_eq!(ids(&a), ids(&b));
    let mut all = ids(&run_with(shop(), vec![doc! {"$sample": {"size": 10}}], &vars).unwrap());
    all.sort_by(crate::backend::memory::aggregate::expr::compare_values);
    assert_eq!(all, ids(&shop()));
}

#[test]
fn match_and_sort() {
    let out = run(vec![
        doc! {"$match": {"age": {"$gte": 30}}},
        doc! {"$sort": {"age": -1}},
    ]);
    assert_eq!(ids(&out), vec![bson!(4), bson!(2), bson!(1)]);
    // `$expr` sees `let` variables.
    let vars = Vars::new(Some(&doc! {"town": "Oslo"})).unwrap();
    let out = run_with(
        shop(),
        vec![
            doc! {"$match": {"$expr": {"$eq": ["$city", "$$town"]}}},
            doc! {"$sort": {"_id": -1}},
        ],
        &vars,
    )
    .unwrap();
    assert_eq!(ids(&out), vec![bson!(3), bson!(1)]);
    // `$limit` before `$sort` sorts only what it kept.
    let out = run(vec![doc! {"$limit": 2}, doc! {"$sort": {"age": -1}}]);
    assert_eq!(ids(&out), vec![bson!(2), bson!(1)]);
    let out = run(vec![
        doc! {"$group": {"_id": "$city", "n": {"$sum": 1}}},
        doc! {"$match": {"n": {"$gt": 1}}},
    ]);
    assert_eq!(
        out,
        vec![doc! {"_id": "Oslo", "n": 2}, doc! {"_id": null, "n": 2}]
    );
}

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

use bson::{bson, doc, Bson, Document};

use super::super::{expr::Vars, run_pipeline};
use crate::error::CommandError;

pub(super) fn shop() -> Vec<Document> {
    vec![
        doc! {"_id": 1, "city": "Oslo", "age": 30, "tags": ["a", "b"], "n": {"x": 1}},
        doc! {"_id": 2, "city": "Lima", "age": 41, "tags": [], "n": {"x": 2}},
        doc! {"_id": 3, "city": "Oslo", "age": 25.0, "tags": "solo"},
        doc! {"_id": 4, "city": null, "age": Bson::Int64(50)},
        doc! {"_id": 5, "age": "n/a", "tags": null},
    ]
}

pub(super) fn people() -> Vec<Document> {
    vec![
        doc! {"_id": "p1", "home": "Oslo", "likes": ["Lima", "Oslo"]},
        doc! {"_id": "p2", "home": "Lima"},
        doc! {"_id": "p3"},
    ]
}

pub(super) fn run_with(
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

pub(super) fn run(pipeline: Vec<Document>) -> Vec<Document> {
    run_with(shop(), pipeline, &Vars::default()).unwrap()
}

pub(super) fn fails(pipeline: Vec<Document>) -> i32 {
    run_with(shop(), pipeline, &Vars::default())
        .unwrap_err()
        .code
}

pub(super) fn ids(docs: &[Document]) -> Vec<Bson> {
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

mod advanced;
mod densify;
mod fill;

#[test]
fn sort_descending_with_tie_breaker() {
    let input: Vec<Document> = [(1, 2), (2, 1), (3, 10), (4, 20), (5, 10)]
        .iter()
        .map(|(id, q)| doc! {"_id": *id, "q": *q})
        .collect();
    let out = run_with(
        input,
        vec![doc! {"$sort": {"q": -1, "_id": 1}}],
        &Vars::default(),
    )
    .unwrap();
    assert_eq!(
        ids(&out),
        vec![bson!(4), bson!(3), bson!(5), bson!(1), bson!(2)]
    );
}

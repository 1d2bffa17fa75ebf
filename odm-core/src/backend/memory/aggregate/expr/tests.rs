use bson::{bson, doc, Bson, Document};

use super::*;

fn sample() -> Document {
    doc! {
        "_id": 7,
        "qty": 4,
        "price": 2.5,
        "big": i32::MAX,
        "name": "Ada Lovelace",
        "tags": ["x", "y", "z"],
        "items": [{"sku": "a", "n": 1}, {"sku": "b", "n": 2}, {"other": true}],
        "when": bson::DateTime::from_millis(1_700_000_000_123), // 2023-11-14T22:13:20.123Z
        "nothing": null,
        "sub": {"a": 1, "b": {"c": "deep"}},
    }
}

fn eval_on(doc: &Document, spec: Bson) -> Result<Option<Bson>, CommandError> {
    Expr::compile(&spec)?.eval(doc, &Vars::default())
}

/// Evaluate against [`sample`]; missing is reported as the string "MISSING".
fn ev(spec: Bson) -> Bson {
    eval_on(&sample(), spec)
        .unwrap()
        .unwrap_or(Bson::String("MISSING".into()))
}

fn code(spec: Bson) -> i32 {
    eval_on(&sample(), spec).unwrap_err().code
}

#[test]
fn paths_variables_and_literals() {
    assert_eq!(ev(bson!("$sub.b.c")), bson!("deep"));
    assert_eq!(ev(bson!("$items.sku")), bson!(["a", "b"]));
    assert_eq!(ev(bson!("$nope")), bson!("MISSING"));
    assert_eq!(ev(bson!("$$ROOT._id")), bson!(7));
    assert_eq!(ev(bson!("$$CURRENT.qty")), bson!(4));
    assert_eq!(ev(bson!({"$literal": "$qty"})), bson!("$qty"));
    assert_eq!(ev(bson!({"k": "$qty", "gone": "$nope"})), bson!({"k": 4}));
    assert_eq!(ev(bson!(["$qty", "$nope"])), bson!([4, null]));
    assert_eq!(ev(bson!("$$REMOVE")), bson!("MISSING"));
    assert_eq!(code(bson!("$$undefinedVar")), 17276);
    assert_eq!(code(bson!({"$frob": 1})), 168);
    assert_eq!(code(bson!({"$add": 1, "$sub": 2})), 15983);
    let vars = Vars::new(Some(&doc! {"limit": {"$add": [1, 2]}})).unwrap();
    let e = Expr::compile(&bson!("$$limit")).unwrap();
    assert_eq!(e.eval(&doc! {}, &vars).unwrap(), Some(bson!(3)));
    assert!(matches!(
        Expr::compile(&bson!("$$NOW"))
            .unwrap()
            .eval(&doc! {}, &vars)
            .unwrap(),
        Some(Bson::DateTime(_))
    ));
}

#[test]
fn truthiness() {
    for falsy in [
        bson!(false),
        bson!(null),
        bson!(0),
        bson!(0.0),
        Bson::Undefined,
    ] {
        assert!(!truthy(&falsy), "{falsy:?}");
    }
    for t in [bson!([]), bson!(""), bson!({}), bson!(-1), bson!("false")] {
        assert!(truthy(&t), "{t:?}");
    }
}

#[test]
fn arithmetic_widths_and_errors() {
    assert_eq!(ev(bson!({"$add": ["$qty", 1]})), bson!(5));
    assert_eq!(
        ev(bson!({"$add": ["$big", 1]})),
        Bson::Int64(i64::from(i32::MAX) + 1)
    );
    assert_eq!(
        ev(bson!({"$add": [Bson::Int64(i64::MAX), 1]})),
        Bson::Double(i64::MAX as f64 + 1.0)
    );
    assert_eq!(ev(bson!({"$add": ["$qty", "$price"]})), bson!(6.5));
    assert_eq!(ev(bson!({"$add": ["$qty", "$nope"]})), bson!(null));
    assert_eq!(
        ev(bson!({"$add": ["$when", 877]})),
        Bson::DateTime(bson::DateTime::from_millis(1_700_000_001_000))
    );
    assert_eq!(code(bson!({"$add": ["$qty", "$name"]})), 14);
    assert_eq!(code(bson!({"$add": ["$when", "$when"]})), 16612);
    assert_eq!(ev(bson!({"$subtract": ["$when", "$when"]})), Bson::Int64(0));
    assert_eq!(
        ev(bson!({"$subtract": ["$when", 123]})),
        Bson::DateTime(bson::DateTime::from_millis(1_700_000_000_000))
    );
    assert_eq!(ev(bson!({"$multiply": ["$qty", "$price", 2]})), bson!(20.0));
    assert_eq!(ev(bson!({"$divide": ["$qty", 8]})), bson!(0.5));
    assert_eq!(code(bson!({"$divide": ["$qty", 0]})), 2);
    assert_eq!(ev(bson!({"$mod": [17, "$qty"]})), bson!(1));
    assert_eq!(code(bson!({"$mod": [17, 0]})), 16610);
    assert_eq!(ev(bson!({"$abs": -3})), bson!(3));
    assert_eq!(ev(bson!({"$abs": i32::MIN})), Bson::Int64(2_147_483_648));
    assert_eq!(ev(bson!({"$ceil": 1.2})), bson!(2.0));
    assert_eq!(ev(bson!({"$floor": -1.2})), bson!(-2.0));
    assert_eq!(ev(bson!({"$trunc": [-3.789, 1]})), bson!(-3.7));
    assert_eq!(ev(bson!({"$round": [2.5]})), bson!(2.0));
    assert_eq!(ev(bson!({"$round": [3.5]})), bson!(4.0));
    assert_eq!(ev(bson!({"$round": [1234, -2]})), bson!(1200));
    assert_eq!(ev(bson!({"$pow": [2, 10]})), bson!(1024));
    assert_eq!(ev(bson!({"$pow": [2, -1]})), bson!(0.5));
    assert_eq!(code(bson!({"$pow": [0, -1]})), 28764);
    assert_eq!(ev(bson!({"$sqrt": 16})), bson!(4.0));
    assert_eq!(code(bson!({"$sqrt": -1})), 28714);
    assert_eq!(ev(bson!({"$log10": 1000})), bson!(3.0));
    assert_eq!(ev(bson!({"$abs": null})), bson!(null));
    assert_eq!(code(bson!({"$abs": "x"})), 28765);
    assert_eq!(code(bson!({"$abs": [1, 2]})), 16020);
    assert_eq!(ev(bson!({"$sum": "$items.n"})), bson!(3));
    // Decimal arithmetic is exact, where a double would round.
    let dec = |s: &str| Bson::Decimal128(s.parse().unwrap());
    assert_eq!(ev(bson!({"$add": [dec("0.1"), dec("0.2")]})), dec("0.3"));
    assert_eq!(ev(bson!({"$subtract": [dec("1.00"), 1]})), dec("0.00"));
    assert_eq!(ev(bson!({"$multiply": [dec("1.5"), 2]})), dec("3.0"));
    assert_eq!(
        ev(bson!({"$sum": [[dec("0.1"), dec("0.2"), 1]]})),
        dec("1.3")
    );
    assert_eq!(ev(bson!({"$avg": [1, 2, "x"]})), bson!(1.5));
    assert_eq!(ev(bson!({"$max": [1, null, 5, 3]})), bson!(5));
    assert_eq!(ev(bson!({"$min": [null]})), bson!(null));
}

#[test]
fn comparisons_use_bson_order() {
    assert_eq!(ev(bson!({"$eq": [1, 1.0]})), bson!(true));
    assert_eq!(ev(bson!({"$eq": ["$tags", "x"]})), bson!(false));
    assert_eq!(ev(bson!({"$gt": ["a", 99]})), bson!(true));
    assert_eq!(ev(bson!({"$lt": [null, 0]})), bson!(true));
    assert_eq!(ev(bson!({"$lt": ["$nope", null]})), bson!(true));
    assert_eq!(ev(bson!({"$cmp": ["b", "a"]})), bson!(1));
    assert_eq!(ev(bson!({"$ne": ["$qty", 4]})), bson!(false));
    assert_eq!(ev(bson!({"$gte": ["$when", "$when"]})), bson!(true));
}

#[test]
fn boolean_and_conditionals() {
    assert_eq!(ev(bson!({"$and": [1, "x", []]})), bson!(true));
    assert_eq!(ev(bson!({"$and": [1, 0]})), bson!(false));
    assert_eq!(ev(bson!({"$or": [null, "$nope"]})), bson!(false));
    assert_eq!(ev(bson!({"$not": [[]]})), bson!(false));
    assert_eq!(
        ev(bson!({"$allElementsTrue": [[1, true, "a"]]})),
        bson!(true)
    );
    assert_eq!(ev(bson!({"$anyElementTrue": [[0, false]]})), bson!(false));
    assert_eq!(
        ev(bson!({"$cond": [{"$gt": ["$qty", 3]}, "many", "few"]})),
        bson!("many")
    );
    assert_eq!(
        ev(bson!({"$cond": {"if": "$nope", "then": 1, "else": 2}})),
        bson!(2)
    );
    assert_eq!(code(bson!({"$cond": {"if": true, "then": 1}})), 9);
    assert_eq!(
        ev(bson!({"$ifNull": ["$nope", "$nothing", "dflt"]})),
        bson!("dflt")
    );
    assert_eq!(ev(bson!({"$ifNull": ["$qty", 0]})), bson!(4));
    let sw = |n: i32| {
        bson!({"$switch": {"branches": [
        {"case": {"$lt": [n, 0]}, "then": "neg"},
        {"case": {"$eq": [n, 0]}, "then": "zero"}], "default": "pos"}})
    };
    assert_eq!(ev(sw(-1)), bson!("neg"));
    assert_eq!(ev(sw(0)), bson!("zero"));
    assert_eq!(ev(sw(9)), bson!("pos"));
    assert_eq!(
        code(bson!({"$switch": {"branches": [{"case": false, "then": 1}]}})),
        40066
    );
}

#[test]
fn strings() {
    assert_eq!(
        ev(bson!({"$concat": ["$name", "!"]})),
        bson!("Ada Lovelace!")
    );
    assert_eq!(ev(bson!({"$concat": ["a", "$nope"]})), bson!(null));
    assert_eq!(code(bson!({"$concat": ["a", 1]})), 16702);
    assert_eq!(ev(bson!({"$toUpper": "$name"})), bson!("ADA LOVELACE"));
    assert_eq!(ev(bson!({"$toLower": "$nope"})), bson!(""));
    assert_eq!(ev(bson!({"$substrBytes": ["$name", 4, 4]})), bson!("Love"));
    assert_eq!(ev(bson!({"$substrCP": ["héllo", 1, 3]})), bson!("éll"));
    assert_eq!(code(bson!({"$substrBytes": ["héllo", 2, 1]})), 28656);
    assert_eq!(ev(bson!({"$strLenCP": "héllo"})), bson!(5));
    assert_eq!(ev(bson!({"$strLenBytes": "héllo"})), bson!(6));
    assert_eq!(ev(bson!({"$split": ["a,,b", ","]})), bson!(["a", "", "b"]));
    assert_eq!(ev(bson!({"$split": ["a,b", "$nope"]})), bson!(null));
    assert_eq!(code(bson!({"$split": ["a,b", ""]})), 40087);
    assert_eq!(ev(bson!({"$substrBytes": ["abc", -1, 2]})), bson!(""));
    assert_eq!(ev(bson!({"$trim": {"input": "  hi \n"}})), bson!("hi"));
    assert_eq!(
        ev(bson!({"$ltrim": {"input": "xxhix", "chars": "x"}})),
        bson!("hix")
    );
    assert_eq!(
        ev(bson!({"$rtrim": {"input": "xxhix", "chars": "x"}})),
        bson!("xxhi")
    );
    assert_eq!(ev(bson!({"$indexOfCP": ["$name", "Love"]})), bson!(4));
    assert_eq!(ev(bson!({"$indexOfCP": ["$name", "zzz"]})), bson!(-1));
    assert_eq!(ev(bson!({"$indexOfBytes": ["héllo", "l"]})), bson!(3));
    assert_eq!(ev(bson!({"$strcasecmp": ["ABC", "abc"]})), bson!(0));
    assert_eq!(
        ev(bson!({"$replaceOne": {"input": "aXbXc", "find": "X", "replacement": "-"}})),
        bson!("a-bXc")
    );
    assert_eq!(
        ev(bson!({"$replaceAll": {"input": "aXbXc", "find": "X", "replacement": "-"}})),
        bson!("a-b-c")
    );
    assert_eq!(
        ev(bson!({"$regexMatch": {"input": "$name", "regex": "^ada", "options": "i"}})),
        bson!(true)
    );
    assert_eq!(
        ev(bson!({"$regexMatch": {"input": "$name", "regex": "^ada"}})),
        bson!(false)
    );
    assert_eq!(
        ev(bson!({"$regexFind": {"input": "héllo 42", "regex": "(\\d)(\\d)"}})),
        bson!({"match": "42", "idx": 6, "captures": ["4", "2"]})
    );
    assert_eq!(
        ev(bson!({"$regexFindAll": {"input": "a1b22", "regex": "\\d+"}})),
        bson!([{"match": "1", "idx": 1, "captures": []}, {"match": "22", "idx": 3, "captures": []}])
    );
}

#[test]
fn arrays() {
    assert_eq!(ev(bson!({"$size": "$tags"})), bson!(3));
    assert_eq!(code(bson!({"$size": "$name"})), 17124);
    assert_eq!(ev(bson!({"$arrayElemAt": ["$tags", -1]})), bson!("z"));
    assert_eq!(ev(bson!({"$arrayElemAt": ["$tags", 5]})), bson!("MISSING"));
    assert_eq!(ev(bson!({"$in": ["y", "$tags"]})), bson!(true));
    assert_eq!(code(bson!({"$in": ["y", "$name"]})), 40081);
    assert_eq!(
        ev(bson!({"$concatArrays": ["$tags", [1]]})),
        bson!(["x", "y", "z", 1])
    );
    assert_eq!(ev(bson!({"$slice": ["$tags", -2]})), bson!(["y", "z"]));
    assert_eq!(ev(bson!({"$slice": ["$tags", 1, 1]})), bson!(["y"]));
    assert_eq!(ev(bson!({"$first": "$tags"})), bson!("x"));
    assert_eq!(ev(bson!({"$last": "$tags"})), bson!("z"));
    assert_eq!(ev(bson!({"$isArray": ["$tags"]})), bson!(true));
    assert_eq!(
        ev(bson!({"$reverseArray": "$tags"})),
        bson!(["z", "y", "x"])
    );
    assert_eq!(ev(bson!({"$range": [10, 0, -4]})), bson!([10, 6, 2]));
    assert_eq!(ev(bson!({"$indexOfArray": ["$tags", "z"]})), bson!(2));
    assert_eq!(
        ev(
            bson!({"$zip": {"inputs": [[1, 2, 3], ["a"]], "useLongestLength": true, "defaults": [0, "?"]}})
        ),
        bson!([[1, "a"], [2, "?"], [3, "?"]])
    );
    assert_eq!(
        ev(bson!({"$sortArray": {"input": [3, 1, 2], "sortBy": -1}})),
        bson!([3, 2, 1])
    );
    assert_eq!(
        ev(bson!({"$sortArray": {"input": "$items", "sortBy": {"n": -1}}})),
        bson!([{"sku": "b", "n": 2}, {"sku": "a", "n": 1}, {"other": true}])
    );
    assert_eq!(
        ev(bson!({"$maxN": {"n": 2, "input": [4, null, 9, 1]}})),
        bson!([9, 4])
    );
    assert_eq!(
        ev(bson!({"$lastN": {"n": 2, "input": "$tags"}})),
        bson!(["y", "z"])
    );
    assert_eq!(
        ev(bson!({"$setUnion": [[1, 2], [2.0, 3]]})),
        bson!([1, 2, 3])
    );
    assert_eq!(ev(bson!({"$setIsSubset": [["x"], "$tags"]})), bson!(true));
    assert_eq!(
        ev(bson!({"$map": {"input": "$items", "as": "it", "in": {"$ifNull": ["$$it.n", 0]}}})),
        bson!([1, 2, 0])
    );
    assert_eq!(
        ev(bson!({"$filter": {"input": [1, 5, 2, 8], "cond": {"$gt": ["$$this", 1]}, "limit": 2}})),
        bson!([5, 2])
    );
    assert_eq!(
        ev(
            bson!({"$reduce": {"input": "$tags", "initialValue": "", "in": {"$concat": ["$$value", "$$this"]}}})
        ),
        bson!("xyz")
    );
    assert_eq!(
        code(bson!({"$map": {"input": "$tags", "as": "Bad", "in": 1}})),
        16870
    );
    assert_eq!(
        ev(bson!({"$let": {"vars": {"q": "$qty"}, "in": {"$multiply": ["$$q", "$$q"]}}})),
        bson!(16)
    );
}

#[test]
fn dates() {
    assert_eq!(ev(bson!({"$year": "$when"})), bson!(2023));
    assert_eq!(ev(bson!({"$month": "$when"})), bson!(11));
    assert_eq!(ev(bson!({"$dayOfMonth": "$when"})), bson!(14));
    assert_eq!(ev(bson!({"$dayOfWeek": "$when"})), bson!(3)); // a Tuesday
    assert_eq!(ev(bson!({"$isoDayOfWeek": "$when"})), bson!(2));
    assert_eq!(
        ev(bson!({"$hour": {"date": "$when", "timezone": "+02:00"}})),
        bson!(0)
    );
    assert_eq!(ev(bson!({"$millisecond": "$when"})), bson!(123));
    assert_eq!(ev(bson!({"$week": "$when"})), bson!(46));
    assert_eq!(ev(bson!({"$isoWeek": "$when"})), bson!(46));
    assert_eq!(ev(bson!({"$year": "$nope"})), bson!(null));
    assert_eq!(code(bson!({"$year": "$name"})), 16006);
    assert_eq!(
        code(bson!({"$year": {"date": "$when", "timezone": "Mars/Olympus_Mons"}})),
        40485
    );
    assert_eq!(
        ev(bson!({"$dateToString": {"date": "$when"}})),
        bson!("2023-11-14T22:13:20.123Z")
    );
    assert_eq!(
        ev(
            bson!({"$dateToString": {"date": "$when", "format": "%d/%m/%Y %H:%M %z", "timezone": "-0130"}})
        ),
        bson!("14/11/2023 20:43 -0130")
    );
    assert_eq!(
        ev(bson!({"$dateToString": {"date": "$nope", "onNull": "n/a"}})),
        bson!("n/a")
    );
    let d = |s: &str| Bson::DateTime(bson::DateTime::parse_rfc3339_str(s).unwrap());
    assert_eq!(
        ev(bson!({"$dateFromString": {"dateString": "2020-02-03T04:05:06Z"}})),
        d("2020-02-03T04:05:06Z")
    );
    assert_eq!(
        ev(bson!({"$dateFromString": {"dateString": "2020-02-03", "timezone": "+01:00"}})),
        d("2020-02-02T23:00:00Z")
    );
    assert_eq!(
        ev(bson!({"$dateFromString": {"dateString": "junk", "onError": 0}})),
        bson!(0)
    );
    assert_eq!(
        ev(
            bson!({"$dateAdd": {"startDate": d("2020-01-31T00:00:00Z"), "unit": "month", "amount": 1}})
        ),
        d("2020-02-29T00:00:00Z")
    );
    assert_eq!(
        ev(bson!({"$dateSubtract": {"startDate": "$when", "unit": "day", "amount": 14}})),
        d("2023-10-31T22:13:20.123Z")
    );
    assert_eq!(
        ev(
            bson!({"$dateDiff": {"startDate": d("2020-12-31T23:59:00Z"), "endDate": d("2021-01-01T00:01:00Z"), "unit": "year"}})
        ),
        Bson::Int64(1)
    );
    assert_eq!(
        ev(
            bson!({"$dateDiff": {"startDate": d("2024-01-06T00:00:00Z"), "endDate": d("2024-01-08T00:00:00Z"), "unit": "week", "startOfWeek": "monday"}})
        ),
        Bson::Int64(1)
    );
    assert_eq!(
        ev(bson!({"$dateTrunc": {"date": "$when", "unit": "hour"}})),
        d("2023-11-14T22:00:00Z")
    );
    assert_eq!(
        ev(bson!({"$dateTrunc": {"date": "$when", "unit": "month", "binSize": 4}})),
        d("2023-09-01T00:00:00Z")
    );
    assert_eq!(
        ev(bson!({"$dateTrunc": {"date": "$when", "unit": "week", "startOfWeek": "monday"}})),
        d("2023-11-13T00:00:00Z")
    );
    assert_eq!(
        ev(bson!({"$dateToParts": {"date": "$when"}})),
        bson!({"year": 2023, "month": 11, "day": 14, "hour": 22, "minute": 13, "second": 20, "millisecond": 123})
    );
    assert_eq!(
        ev(bson!({"$dateFromParts": {"year": 2021, "month": 14, "day": 1, "hour": -1}})),
        d("2022-01-31T23:00:00Z")
    );
    assert_eq!(
        ev(bson!({"$dateFromParts": {"isoWeekYear": 2021, "isoWeek": 1, "isoDayOfWeek": 1}})),
        d("2021-01-04T00:00:00Z")
    );
}

#[test]
fn olson_time_zones() {
    let d = |s: &str| Bson::DateTime(bson::DateTime::parse_rfc3339_str(s).unwrap());
    // 22:13Z in November is 23:13 in Paris (CET), and 14:00 in July (CEST).
    assert_eq!(
        ev(bson!({"$hour": {"date": "$when", "timezone": "Europe/Paris"}})),
        bson!(23)
    );
    assert_eq!(
        ev(bson!({"$hour": {"date": d("2023-07-01T12:00:00Z"), "timezone": "Europe/Paris"}})),
        bson!(14)
    );
    let in_new_york = |date: Bson| {
        ev(
            bson!({"$dateToString": {"date": date, "format": "%Y-%m-%d %H:%M %z", "timezone": "America/New_York"}}),
        )
    };
    assert_eq!(
        in_new_york(d("2023-01-10T17:00:00Z")),
        bson!("2023-01-10 12:00 -0500")
    );
    assert_eq!(
        in_new_york(d("2023-07-10T17:00:00Z")),
        bson!("2023-07-10 13:00 -0400")
    );
    // 02:30 on 14 March 2021 never happened in New York: read with the
    // offset before the change (EST), it lands after the gap.
    assert_eq!(
        ev(
            bson!({"$dateFromParts": {"year": 2021, "month": 3, "day": 14, "hour": 2, "minute": 30, "timezone": "America/New_York"}})
        ),
        d("2021-03-14T07:30:00Z")
    );
    // 01:30 on 7 November 2021 happened twice: the first one (EDT).
    assert_eq!(
        ev(
            bson!({"$dateFromParts": {"year": 2021, "month": 11, "day": 7, "hour": 1, "minute": 30, "timezone": "America/New_York"}})
        ),
        d("2021-11-07T05:30:00Z")
    );
    // Truncating to the day uses Tokyo's midnight.
    assert_eq!(
        ev(bson!({"$dateTrunc": {"date": "$when", "unit": "day", "timezone": "Asia/Tokyo"}})),
        d("2023-11-14T15:00:00Z")
    );
    // A day added across the spring change keeps the wall-clock time: 23
    // hours later in UTC.
    assert_eq!(
        ev(
            bson!({"$dateAdd": {"startDate": d("2023-03-25T11:00:00Z"), "unit": "day", "amount": 1, "timezone": "Europe/Paris"}})
        ),
        d("2023-03-26T10:00:00Z")
    );
    assert_eq!(
        ev(
            bson!({"$dateDiff": {"startDate": d("2023-03-25T22:30:00Z"), "endDate": d("2023-03-25T23:30:00Z"), "unit": "day", "timezone": "Europe/Paris"}})
        ),
        Bson::Int64(1)
    );
    assert_eq!(
        ev(
            bson!({"$dateFromString": {"dateString": "2023-07-01 09:00:00", "timezone": "Europe/London"}})
        ),
        d("2023-07-01T08:00:00Z")
    );
}

#[test]
fn conversions_and_types() {
    assert_eq!(ev(bson!({"$toString": "$price"})), bson!("2.5"));
    assert_eq!(ev(bson!({"$toString": 3.0})), bson!("3"));
    assert_eq!(
        ev(bson!({"$toString": "$when"})),
        bson!("2023-11-14T22:13:20.123Z")
    );
    assert_eq!(ev(bson!({"$toInt": "42"})), bson!(42));
    assert_eq!(ev(bson!({"$toInt": 2.9})), bson!(2));
    assert_eq!(code(bson!({"$toInt": "4.2"})), 241);
    assert_eq!(code(bson!({"$toInt": Bson::Int64(1 << 40)})), 241);
    assert_eq!(
        ev(bson!({"$toLong": "$when"})),
        Bson::Int64(1_700_000_000_123)
    );
    assert_eq!(ev(bson!({"$toDouble": "1e3"})), bson!(1000.0));
    assert_eq!(ev(bson!({"$toBool": 0})), bson!(false));
    assert_eq!(ev(bson!({"$toBool": ""})), bson!(true));
    assert_eq!(
        ev(bson!({"$toDate": Bson::Int64(0)})),
        Bson::DateTime(bson::DateTime::from_millis(0))
    );
    assert_eq!(code(bson!({"$toDate": 5})), 241);
    let oid = bson::oid::ObjectId::parse_str("65540c00aaaaaaaaaaaaaaaa").unwrap();
    assert_eq!(
        ev(bson!({"$toObjectId": "65540c00aaaaaaaaaaaaaaaa"})),
        Bson::ObjectId(oid)
    );
    assert_eq!(
        ev(bson!({"$toDecimal": 1})),
        Bson::Decimal128("1".parse().unwrap())
    );
    assert_eq!(
        ev(bson!({"$convert": {"input": "abc", "to": "int", "onError": -1}})),
        bson!(-1)
    );
    assert_eq!(
        ev(bson!({"$convert": {"input": "$nope", "to": 16, "onNull": "none"}})),
        bson!("none")
    );
    assert_eq!(
        code(bson!({"$convert": {"input": "abc", "to": "int"}})),
        241
    );
    assert_eq!(ev(bson!({"$type": "$nope"})), bson!("missing"));
    assert_eq!(ev(bson!({"$type": "$big"})), bson!("int"));
    assert_eq!(ev(bson!({"$type": "$sub"})), bson!("object"));
    assert_eq!(ev(bson!({"$isNumber": "$price"})), bson!(true));
    assert_eq!(ev(bson!({"$isNumber": "$name"})), bson!(false));
}

#[test]
fn objects() {
    assert_eq!(
        ev(bson!({"$mergeObjects": ["$sub", null, {"a": 2}]})),
        bson!({"a": 2, "b": {"c": "deep"}})
    );
    assert_eq!(code(bson!({"$mergeObjects": ["$sub", 1]})), 40400);
    assert_eq!(
        ev(bson!({"$objectToArray": {"p": 1}})),
        bson!([{"k": "p", "v": 1}])
    );
    assert_eq!(
        ev(bson!({"$arrayToObject": [[["a", 1], ["b", 2]]]})),
        bson!({"a": 1, "b": 2})
    );
    assert_eq!(
        ev(bson!({"$arrayToObject": [[{"k": "x", "v": true}]]})),
        bson!({"x": true})
    );
    assert_eq!(ev(bson!({"$getField": "qty"})), bson!(4));
    assert_eq!(
        ev(bson!({"$getField": {"field": "a.b", "input": {"a.b": 3}}})),
        bson!(3)
    );
    assert_eq!(
        ev(bson!({"$setField": {"field": {"$literal": "$x"}, "input": {"y": 1}, "value": 2}})),
        bson!({"y": 1, "$x": 2})
    );
    assert_eq!(
        ev(bson!({"$unsetField": {"field": "y", "input": {"y": 1, "z": 2}}})),
        bson!({"z": 2})
    );
}

#[test]
fn extreme_arguments_do_not_panic() {
    assert_eq!(
        ev(bson!({"$slice": ["$tags", i64::MIN]})),
        bson!(["x", "y", "z"])
    );
    assert_eq!(ev(bson!({"$slice": ["$tags", i64::MIN, 1]})), bson!(["x"]));
    assert_eq!(
        ev(bson!({"$range": [i64::MAX - 1, i64::MAX, 5]})),
        bson!([i64::MAX - 1])
    );
    assert!(eval_on(
        &sample(),
        bson!({"$dateFromParts": {"year": 2000, "month": i64::MIN}})
    )
    .is_err());
    assert_eq!(
        ev(bson!({"$substrBytes": ["abc", 1, i64::MAX]})),
        bson!("bc")
    );
}

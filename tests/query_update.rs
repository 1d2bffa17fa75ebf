//! Updates built from typed paths: operators grouped per operator, array
//! updates, positional paths and array filters.

mod query_fixture;

use odm::bson::{doc, Bson};
use odm::chrono::NaiveDate;
use odm::Update;
use query_fixture::{Address, Item, User};

#[test]
fn scalar_updates_are_grouped_by_operator() {
    let f = User::fields();
    let up = f.age.inc(1) & f.name.set("Bo") & f.nickname.unset() & f.address.city.set("Lyon");
    assert_eq!(
        up.into_document(),
        doc! {
            "$inc": {"age": 1},
            "$set": {"name": "Bo", "address.city": "Lyon"},
            "$unset": {"nickname": ""},
        }
    );
}

#[test]
fn every_scalar_operator() {
    let f = User::fields();
    let day = NaiveDate::from_ymd_opt(2001, 2, 3).unwrap();
    let up = f.age.mul(2)
        & f.age.min(0)
        & f.name.max("zz")
        & f.born.set_on_insert(day)
        & f.nickname.rename(&f.nickname);
    let millis = day
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis();
    assert_eq!(
        up.into_document(),
        doc! {
            "$mul": {"age": 2},
            "$min": {"age": 0},
            "$max": {"name": "zz"},
            "$setOnInsert": {"born": Bson::DateTime(odm::bson::DateTime::from_millis(millis))},
            "$rename": {"nickname": "nickname"},
        }
    );
}

#[test]
fn embedded_values_are_encoded_like_stored_ones() {
    let f = User::fields();
    let up = f.address.set(Address {
        city: "Bergen".into(),
        zip: "5003".into(),
    });
    assert_eq!(
        up.into_document(),
        doc! {"$set": {"address": {"city": "Bergen", "zip": "5003"}}}
    );
}

#[test]
fn array_updates() {
    let f = User::fields();
    let up = f.tags.push("new")
        & f.scores.add_to_set_each([1, 2])
        & f.items.pull_matching(|i| i.qty.lte(0))
        & f.tags.pull_all(["a", "b"])
        & f.scores.pop_last();
    assert_eq!(
        up.into_document(),
        doc! {
            "$push": {"tags": "new"},
            "$addToSet": {"scores": {"$each": [1, 2]}},
            "$pull": {"items": {"qty": {"$lte": 0}}},
            "$pullAll": {"tags": ["a", "b"]},
            "$pop": {"scores": 1},
        }
    );
    let item = Item {
        sku: "k".into(),
        qty: 1,
    };
    assert_eq!(
        (f.items.pull(&item) & f.tags.add_to_set("t") & f.scores.pop_first()).into_document(),
        doc! {"$pull": {"items": {"sku": "k", "qty": 1}}, "$addToSet": {"tags": "t"}, "$pop": {"scores": -1}}
    );
}

#[test]
fn push_each_with_modifiers() {
    let f = User::fields();
    let items = [Item {
        sku: "a".into(),
        qty: 3,
    }];
    let up: Update<User> = f
        .items
        .push_each(&items)
        .position(0)
        .sort_by(|i| i.qty.desc())
        .slice(-10)
        .into();
    assert_eq!(
        up.into_document(),
        doc! {"$push": {"items": {
            "$each": [{"sku": "a", "qty": 3}],
            "$position": 0,
            "$sort": {"qty": -1},
            "$slice": -10,
        }}}
    );
    let up = f.scores.push_each([5]).sort_asc() & f.age.inc(1);
    assert_eq!(
        up.into_document(),
        doc! {"$push": {"scores": {"$each": [5], "$sort": 1}}, "$inc": {"age": 1}}
    );
}

#[test]
fn positional_paths() {
    let f = User::fields();
    let up = f.items.matched().qty.inc(1) & f.items.each().sku.set("z") & f.scores.each().mul(2);
    assert_eq!(
        up.into_document(),
        doc! {"$inc": {"items.$.qty": 1}, "$set": {"items.$[].sku": "z"}, "$mul": {"scores.$[]": 2}}
    );
    assert!(up_has_no_filters(&(f.items.matched().qty.inc(1))));
}

fn up_has_no_filters(up: &Update<User>) -> bool {
    up.array_filters().is_empty()
}

#[test]
fn filtered_positional_paths_carry_their_array_filters() {
    let f = User::fields();
    let up = f.items.filtered("big").qty.inc(1)
        & f.items.array_filter("big", |i| i.qty.gt(5))
        & f.scores.filtered("low").set(0)
        & f.scores.array_filter("low", |s| s.lt(10));
    assert_eq!(
        up.as_document(),
        &doc! {"$inc": {"items.$[big].qty": 1}, "$set": {"scores.$[low]": 0}}
    );
    assert_eq!(
        up.array_filters(),
        &[doc! {"big.qty": {"$gt": 5}}, doc! {"low": {"$lt": 10}}]
    );
    let (doc, filters) = up.try_into_parts().unwrap();
    assert_eq!(doc.len(), 2);
    assert_eq!(filters.len(), 2);

    let with_method = f
        .items
        .filtered("x")
        .qty
        .set(1)
        .array_filter(f.items.array_filter("x", |i| i.sku.eq("k")));
    assert_eq!(with_method.array_filters(), &[doc! {"x.sku": "k"}]);
}

#[test]
fn building_errors_are_reported_by_check() {
    let f = User::fields();
    let up = f.age.set(1) & f.age.set(2);
    assert!(up.check().is_err());
    let up = f.items.filtered("Big").qty.inc(1) & f.items.array_filter("Big", |i| i.qty.gt(1));
    assert!(up.check().unwrap_err().message.contains("identifier"));
    let ok = f.age.set(1) & f.age.inc(1);
    // Conflicts across operators are the server's to report.
    ok.check().unwrap();
}

#[test]
fn raw_updates_combine_with_typed_ones() {
    let f = User::fields();
    let up = Update::raw(doc! {"$set": {"legacy": 1}}) & f.age.set(3);
    assert_eq!(up.into_document(), doc! {"$set": {"legacy": 1, "age": 3}});
}

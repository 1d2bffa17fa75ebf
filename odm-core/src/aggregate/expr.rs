//! Typed builders for aggregation expressions and `$group` accumulators.
//!
//! An [`Expr`] is the BSON of an expression; it is built from typed field
//! paths ([`field`]), literals ([`lit`]) and variables ([`var`]), and
//! combined with methods named after MongoDB's operators:
//!
//! ```
//! use odm_core::aggregate::expr;
//! use odm_core::bson::{bson, doc};
//! use odm_core::{Field, Path};
//!
//! struct User;
//! let age: Field<User, i32> = Field::new(Path::from_static("age"));
//! let next_year = expr::field(&age).add(1);
//! assert_eq!(next_year.into_bson(), bson!({"$add": ["$age", 1]}));
//!
//! let label = expr::cond(expr::field(&age).gte(18), "adult", "minor");
//! assert_eq!(
//!     label.into_bson(),
//!     bson!({"$cond": {"if": {"$gte": ["$age", 18]}, "then": "adult", "else": "minor"}})
//! );
//! ```

use bson::{doc, Bson, Document};

use crate::Field;

/// An aggregation expression, as the BSON MongoDB takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr(Bson);

/// Anything naming a stored path: a typed [`Field`] (or a reference to one).
pub trait FieldPath {
    /// The dotted path.
    fn dotted(&self) -> &str;
}

impl<M, T> FieldPath for Field<M, T> {
    fn dotted(&self) -> &str {
        self.path()
    }
}

impl<M, T> FieldPath for &Field<M, T> {
    fn dotted(&self) -> &str {
        self.path()
    }
}

/// The value of a field: `"$path"`.
pub fn field(f: impl FieldPath) -> Expr {
    Expr(Bson::String(format!("${}", f.dotted())))
}

/// A path inside a variable: `$$name.path` (`var("this")` is `$$this`).
pub fn var(name: &str) -> Expr {
    Expr(Bson::String(format!("$${name}")))
}

/// A constant. Strings starting with `$`, documents and arrays are wrapped
/// in `$literal`, so a value is never read as a field path or an operator.
pub fn lit(value: impl Into<Bson>) -> Expr {
    match value.into() {
        v @ (Bson::Document(_) | Bson::Array(_)) => Expr(Bson::Document(doc! {"$literal": v})),
        Bson::String(s) if s.starts_with('$') => Expr(Bson::Document(doc! {"$literal": s})),
        v => Expr(v),
    }
}

/// Any operator by name, the escape hatch: `op("$toUpper", [field(name)])`.
pub fn op(name: &str, args: impl IntoIterator<Item = Expr>) -> Expr {
    let args: Vec<Bson> = args.into_iter().map(Expr::into_bson).collect();
    let mut d = Document::new();
    d.insert(name, args);
    Expr(Bson::Document(d))
}

/// An unchecked expression document or value, as written.
pub fn raw(value: impl Into<Bson>) -> Expr {
    Expr(value.into())
}

/// `$cond`: `then` when `condition` is truthy, else `otherwise`.
pub fn cond(condition: impl Into<Expr>, then: impl Into<Expr>, otherwise: impl Into<Expr>) -> Expr {
    named(
        "$cond",
        [
            ("if", condition.into()),
            ("then", then.into()),
            ("else", otherwise.into()),
        ],
    )
}

/// `$map`: `body` applied to each element of `input`, bound to `$$<as_name>`.
pub fn map(input: impl Into<Expr>, as_name: &str, body: impl Into<Expr>) -> Expr {
    named(
        "$map",
        [
            ("input", input.into()),
            ("as", Expr(Bson::String(as_name.into()))),
            ("in", body.into()),
        ],
    )
}

/// `$filter`: the elements of `input` (bound to `$$<as_name>`) for which `condition` holds.
pub fn filter(input: impl Into<Expr>, as_name: &str, condition: impl Into<Expr>) -> Expr {
    named(
        "$filter",
        [
            ("input", input.into()),
            ("as", Expr(Bson::String(as_name.into()))),
            ("cond", condition.into()),
        ],
    )
}

/// `$reduce`: fold `input` from `initial` with `body` over `$$value` and `$$this`.
pub fn reduce(input: impl Into<Expr>, initial: impl Into<Expr>, body: impl Into<Expr>) -> Expr {
    named(
        "$reduce",
        [
            ("input", input.into()),
            ("initialValue", initial.into()),
            ("in", body.into()),
        ],
    )
}

/// `$concat` of string expressions.
pub fn concat(parts: impl IntoIterator<Item = Expr>) -> Expr {
    op("$concat", parts)
}

/// `$mergeObjects` of document expressions (later fields win).
pub fn merge_objects(parts: impl IntoIterator<Item = Expr>) -> Expr {
    op("$mergeObjects", parts)
}

fn named<const N: usize>(name: &str, args: [(&str, Expr); N]) -> Expr {
    let mut inner = Document::new();
    for (k, v) in args {
        inner.insert(k, v.0);
    }
    let mut d = Document::new();
    d.insert(name, inner);
    Expr(Bson::Document(d))
}

macro_rules! binary {
    ($($(#[$doc:meta])* $method:ident => $op:literal,)*) => {$(
        $(#[$doc])*
        pub fn $method(self, other: impl Into<Expr>) -> Expr {
            op($op, [self, other.into()])
        }
    )*};
}

macro_rules! unary {
    ($($(#[$doc:meta])* $method:ident => $op:literal,)*) => {$(
        $(#[$doc])*
        pub fn $method(self) -> Expr {
            let mut d = Document::new();
            d.insert($op, self.0);
            Expr(Bson::Document(d))
        }
    )*};
}

// The methods are named after MongoDB's operators (`$add`, `$not`); they
// build BSON and take any `Into<Expr>`, unlike the `std::ops` traits.
#[allow(clippy::should_implement_trait)]
impl Expr {
    /// The BSON of the expression.
    pub fn into_bson(self) -> Bson {
        self.0
    }

    /// The BSON of the expression, borrowed.
    pub fn as_bson(&self) -> &Bson {
        &self.0
    }

    binary! {
        /// `$add`.
        add => "$add",
        /// `$subtract`.
        subtract => "$subtract",
        /// `$multiply`.
        multiply => "$multiply",
        /// `$divide`.
        divide => "$divide",
        /// `$mod`.
        modulo => "$mod",
        /// `$pow`.
        pow => "$pow",
        /// `$eq`.
        eq => "$eq",
        /// `$ne`.
        ne => "$ne",
        /// `$gt`.
        gt => "$gt",
        /// `$gte`.
        gte => "$gte",
        /// `$lt`.
        lt => "$lt",
        /// `$lte`.
        lte => "$lte",
        /// `$cmp`.
        cmp => "$cmp",
        /// `$and`.
        and => "$and",
        /// `$or`.
        or => "$or",
        /// `$ifNull`: `other` when this is null or missing.
        if_null => "$ifNull",
        /// `$arrayElemAt`.
        at => "$arrayElemAt",
        /// `$in`: whether this value is in the array `other`.
        is_in => "$in",
        /// `$split`.
        split => "$split",
    }

    unary! {
        /// `$not`.
        not => "$not",
        /// `$size`.
        size => "$size",
        /// `$abs`.
        abs => "$abs",
        /// `$toString`.
        to_string => "$toString",
        /// `$toInt`.
        to_int => "$toInt",
        /// `$toLong`.
        to_long => "$toLong",
        /// `$toDouble`.
        to_double => "$toDouble",
        /// `$toLower`.
        to_lower => "$toLower",
        /// `$toUpper`.
        to_upper => "$toUpper",
        /// `$year`.
        year => "$year",
        /// `$month`.
        month => "$month",
        /// `$dayOfMonth`.
        day_of_month => "$dayOfMonth",
        /// `$type`.
        type_name => "$type",
        /// `$first` of an array.
        first => "$first",
        /// `$last` of an array.
        last => "$last",
    }
}

macro_rules! from_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Expr {
            fn from(v: $t) -> Expr {
                lit(v)
            }
        }
    )*};
}

from_value!(
    i32,
    i64,
    f64,
    bool,
    &str,
    String,
    bson::DateTime,
    bson::oid::ObjectId
);

impl<M, T> From<&Field<M, T>> for Expr {
    fn from(f: &Field<M, T>) -> Expr {
        field(f)
    }
}

impl<M, T> From<Field<M, T>> for Expr {
    fn from(f: Field<M, T>) -> Expr {
        field(f)
    }
}

impl From<Expr> for Bson {
    fn from(e: Expr) -> Bson {
        e.0
    }
}

/// A `$group` accumulator: `{$sum: expr}`, `{$count: {}}`, ...
#[derive(Debug, Clone, PartialEq)]
pub struct Acc(Document);

impl Acc {
    fn of(op: &str, e: impl Into<Expr>) -> Acc {
        let mut d = Document::new();
        d.insert(op, e.into().0);
        Acc(d)
    }

    /// The accumulator document.
    pub fn into_document(self) -> Document {
        self.0
    }
}

/// `$sum` (`sum(1)` counts).
pub fn sum(e: impl Into<Expr>) -> Acc {
    Acc::of("$sum", e)
}
/// `$avg`.
pub fn avg(e: impl Into<Expr>) -> Acc {
    Acc::of("$avg", e)
}
/// `$min`.
pub fn min(e: impl Into<Expr>) -> Acc {
    Acc::of("$min", e)
}
/// `$max`.
pub fn max(e: impl Into<Expr>) -> Acc {
    Acc::of("$max", e)
}
/// `$first`.
pub fn first(e: impl Into<Expr>) -> Acc {
    Acc::of("$first", e)
}
/// `$last`.
pub fn last(e: impl Into<Expr>) -> Acc {
    Acc::of("$last", e)
}
/// `$push`.
pub fn push(e: impl Into<Expr>) -> Acc {
    Acc::of("$push", e)
}
/// `$addToSet`.
pub fn add_to_set(e: impl Into<Expr>) -> Acc {
    Acc::of("$addToSet", e)
}
/// `$count`: the number of documents in the group.
pub fn count() -> Acc {
    Acc(doc! {"$count": {}})
}

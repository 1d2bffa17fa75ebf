//! Compiling expression specifications into [`Node`] trees: operator names
//! resolved once, argument counts and option documents checked up front, so
//! a malformed expression fails the pipeline before any document is read.

use bson::{Bson, Document};

use super::Env;
use crate::error::CommandError;

/// A compiled expression node.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A constant.
    Lit(Bson),
    /// An optional named argument that was not given.
    Absent,
    /// `"$a.b"`: a path into `$$CURRENT`.
    Path(Vec<String>),
    /// `"$$name.a.b"`.
    Var(String, Vec<String>),
    /// An object whose values are expressions.
    Doc(Vec<(String, Node)>),
    /// An array whose elements are expressions.
    Arr(Vec<Node>),
    /// An operator and its arguments (named arguments in the operator's fixed order).
    Op(Op, Vec<Node>),
}

macro_rules! ops {
    ($($variant:ident = $name:literal : $arity:expr,)*) => {
        /// Every expression operator.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Op { $($variant,)* }

        const OPS: &[(&str, Op, Arity)] = &[$(($name, Op::$variant, $arity),)*];
    };
}

/// How an operator takes its arguments.
#[derive(Debug, Clone, Copy)]
enum Arity {
    /// An argument list (a single non-array value is a list of one), with bounds.
    List(usize, usize),
    /// A document of named arguments: `(name, required)`, in evaluation order.
    Named(&'static [(&'static str, bool)]),
    /// A date part: a date, `[date]` or `{date, timezone}`.
    DatePart,
}

const ANY: usize = usize::MAX;
const fn n(min: usize, max: usize) -> Arity {
    Arity::List(min, max)
}

ops! {
    Add = "$add": n(0, ANY),
    Subtract = "$subtract": n(2, 2),
    Multiply = "$multiply": n(0, ANY),
    Divide = "$divide": n(2, 2),
    Mod = "$mod": n(2, 2),
    Abs = "$abs": n(1, 1),
    Ceil = "$ceil": n(1, 1),
    Floor = "$floor": n(1, 1),
    Exp = "$exp": n(1, 1),
    Ln = "$ln": n(1, 1),
    Log10 = "$log10": n(1, 1),
    Log = "$log": n(2, 2),
    Sqrt = "$sqrt": n(1, 1),
    Pow = "$pow": n(2, 2),
    Round = "$round": n(1, 2),
    Trunc = "$trunc": n(1, 2),
    Sum = "$sum": n(0, ANY),
    Avg = "$avg": n(0, ANY),
    Max = "$max": n(0, ANY),
    Min = "$min": n(0, ANY),
    StdDevPop = "$stdDevPop": n(0, ANY),
    StdDevSamp = "$stdDevSamp": n(0, ANY),
    Rand = "$rand": Arity::Named(&[]),
    Eq = "$eq": n(2, 2),
    Ne = "$ne": n(2, 2),
    Gt = "$gt": n(2, 2),
    Gte = "$gte": n(2, 2),
    Lt = "$lt": n(2, 2),
    Lte = "$lte": n(2, 2),
    Cmp = "$cmp": n(2, 2),
    And = "$and": n(0, ANY),
    Or = "$or": n(0, ANY),
    Not = "$not": n(1, 1),
    AllElementsTrue = "$allElementsTrue": n(1, 1),
    AnyElementTrue = "$anyElementTrue": n(1, 1),
    Cond = "$cond": Arity::Named(&[("if", true), ("then", true), ("else", true)]),
    IfNull = "$ifNull": n(2, ANY),
    Switch = "$switch": Arity::Named(&[("branches", true), ("default", false)]),
    Concat = "$concat": n(0, ANY),
    ToUpper = "$toUpper": n(1, 1),
    ToLower = "$toLower": n(1, 1),
    Substr = "$substr": n(3, 3),
    SubstrBytes = "$substrBytes": n(3, 3),
    SubstrCP = "$substrCP": n(3, 3),
    StrLenCP = "$strLenCP": n(1, 1),
    StrLenBytes = "$strLenBytes": n(1, 1),
    Split = "$split": n(2, 2),
    Trim = "$trim": Arity::Named(&[("input", true), ("chars", false)]),
    Ltrim = "$ltrim": Arity::Named(&[("input", true), ("chars", false)]),
    Rtrim = "$rtrim": Arity::Named(&[("input", true), ("chars", false)]),
    RegexMatch = "$regexMatch": Arity::Named(&[("input", true), ("regex", true), ("options", false)]),
    RegexFind = "$regexFind": Arity::Named(&[("input", true), ("regex", true), ("options", false)]),
    RegexFindAll = "$regexFindAll": Arity::Named(&[("input", true), ("regex", true), ("options", false)]),
    IndexOfCP = "$indexOfCP": n(2, 4),
    IndexOfBytes = "$indexOfBytes": n(2, 4),
    Strcasecmp = "$strcasecmp": n(2, 2),
    ReplaceOne = "$replaceOne": Arity::Named(&[("input", true), ("find", true), ("replacement", true)]),
    ReplaceAll = "$replaceAll": Arity::Named(&[("input", true), ("find", true), ("replacement", true)]),
    Map = "$map": Arity::Named(&[("input", true), ("as", false), ("in", true)]),
    Filter = "$filter": Arity::Named(&[("input", true), ("as", false), ("cond", true), ("limit", false)]),
    Reduce = "$reduce": Arity::Named(&[("input", true), ("initialValue", true), ("in", true)]),
    Size = "$size": n(1, 1),
    ArrayElemAt = "$arrayElemAt": n(2, 2),
    In = "$in": n(2, 2),
    ConcatArrays = "$concatArrays": n(0, ANY),
    Slice = "$slice": n(2, 3),
    First = "$first": n(1, 1),
    Last = "$last": n(1, 1),
    IsArray = "$isArray": n(1, 1),
    ReverseArray = "$reverseArray": n(1, 1),
    Range = "$range": n(2, 3),
    IndexOfArray = "$indexOfArray": n(2, 4),
    Zip = "$zip": Arity::Named(&[("inputs", true), ("useLongestLength", false), ("defaults", false)]),
    SortArray = "$sortArray": Arity::Named(&[("input", true), ("sortBy", true)]),
    FirstN = "$firstN": Arity::Named(&[("n", true), ("input", true)]),
    LastN = "$lastN": Arity::Named(&[("n", true), ("input", true)]),
    MaxN = "$maxN": Arity::Named(&[("n", true), ("input", true)]),
    MinN = "$minN": Arity::Named(&[("n", true), ("input", true)]),
    SetUnion = "$setUnion": n(0, ANY),
    SetIntersection = "$setIntersection": n(0, ANY),
    SetDifference = "$setDifference": n(2, 2),
    SetEquals = "$setEquals": n(2, ANY),
    SetIsSubset = "$setIsSubset": n(2, 2),
    Year = "$year": Arity::DatePart,
    Month = "$month": Arity::DatePart,
    DayOfMonth = "$dayOfMonth": Arity::DatePart,
    DayOfWeek = "$dayOfWeek": Arity::DatePart,
    DayOfYear = "$dayOfYear": Arity::DatePart,
    Hour = "$hour": Arity::DatePart,
    Minute = "$minute": Arity::DatePart,
    Second = "$second": Arity::DatePart,
    Millisecond = "$millisecond": Arity::DatePart,
    Week = "$week": Arity::DatePart,
    IsoWeek = "$isoWeek": Arity::DatePart,
    IsoWeekYear = "$isoWeekYear": Arity::DatePart,
    IsoDayOfWeek = "$isoDayOfWeek": Arity::DatePart,
    DateToString = "$dateToString": Arity::Named(&[("date", true), ("format", false), ("timezone", false), ("onNull", false)]),
    DateFromString = "$dateFromString": Arity::Named(&[("dateString", true), ("format", false), ("timezone", false), ("onError", false), ("onNull", false)]),
    DateAdd = "$dateAdd": Arity::Named(&[("startDate", true), ("unit", true), ("amount", true), ("timezone", false)]),
    DateSubtract = "$dateSubtract": Arity::Named(&[("startDate", true), ("unit", true), ("amount", true), ("timezone", false)]),
    DateDiff = "$dateDiff": Arity::Named(&[("startDate", true), ("endDate", true), ("unit", true), ("timezone", false), ("startOfWeek", false)]),
    DateTrunc = "$dateTrunc": Arity::Named(&[("date", true), ("unit", true), ("binSize", false), ("timezone", false), ("startOfWeek", false)]),
    DateToParts = "$dateToParts": Arity::Named(&[("date", true), ("timezone", false), ("iso8601", false)]),
    DateFromParts = "$dateFromParts": Arity::Named(&[("year", false), ("month", false), ("day", false), ("hour", false), ("minute", false), ("second", false), ("millisecond", false), ("isoWeekYear", false), ("isoWeek", false), ("isoDayOfWeek", false), ("timezone", false)]),
    ToString = "$toString": n(1, 1),
    ToInt = "$toInt": n(1, 1),
    ToLong = "$toLong": n(1, 1),
    ToDouble = "$toDouble": n(1, 1),
    ToDecimal = "$toDecimal": n(1, 1),
    ToBool = "$toBool": n(1, 1),
    ToDate = "$toDate": n(1, 1),
    ToObjectId = "$toObjectId": n(1, 1),
    Convert = "$convert": Arity::Named(&[("input", true), ("to", true), ("onError", false), ("onNull", false)]),
    Type = "$type": n(1, 1),
    IsNumber = "$isNumber": n(1, 1),
    MergeObjects = "$mergeObjects": n(0, ANY),
    ObjectToArray = "$objectToArray": n(1, 1),
    ArrayToObject = "$arrayToObject": n(1, 1),
    GetField = "$getField": Arity::Named(&[("field", true), ("input", false)]),
    SetField = "$setField": Arity::Named(&[("field", true), ("input", true), ("value", true)]),
    UnsetField = "$unsetField": Arity::Named(&[("field", true), ("input", true)]),
    Let = "$let": Arity::Named(&[("vars", true), ("in", true)]),
}

impl Op {
    /// The operator's name, `$add`.
    pub(crate) fn name(self) -> &'static str {
        OPS.iter()
            .find(|(_, op, _)| *op == self)
            .map(|(name, _, _)| *name)
            .unwrap_or("$unknown")
    }
}

/// Compile an expression specification.
pub(crate) fn compile(spec: &Bson) -> Result<Node, CommandError> {
    match spec {
        Bson::String(s) => compile_string(s),
        Bson::Array(items) => Ok(fold_array(
            items.iter().map(compile).collect::<Result<_, _>>()?,
        )),
        Bson::Document(d) => compile_document(d),
        other => Ok(Node::Lit(other.clone())),
    }
}

fn fold_array(nodes: Vec<Node>) -> Node {
    if nodes.iter().all(|n| matches!(n, Node::Lit(_))) {
        Node::Lit(Bson::Array(
            nodes
                .into_iter()
                .filter_map(|n| match n {
                    Node::Lit(v) => Some(v),
                    _ => None,
                })
                .collect(),
        ))
    } else {
        Node::Arr(nodes)
    }
}

fn compile_string(s: &str) -> Result<Node, CommandError> {
    if let Some(var) = s.strip_prefix("$$") {
        let mut parts = var.split('.');
        let name = parts.next().unwrap_or_default();
        if name.is_empty() {
            return Err(CommandError::new(
                16869,
                "Location16869",
                "empty variable names are not allowed",
            ));
        }
        let path = parts.map(str::to_owned).collect::<Vec<_>>();
        check_path(s, &path)?;
        return Ok(Node::Var(name.to_owned(), path));
    }
    if let Some(path) = s.strip_prefix('$') {
        if path.is_empty() {
            return Err(CommandError::new(
                16872,
                "Location16872",
                "'$' by itself is not a valid FieldPath",
            ));
        }
        let parts = path.split('.').map(str::to_owned).collect::<Vec<_>>();
        check_path(s, &parts)?;
        return Ok(Node::Path(parts));
    }
    Ok(Node::Lit(Bson::String(s.to_owned())))
}

fn check_path(s: &str, parts: &[String]) -> Result<(), CommandError> {
    if parts.iter().any(String::is_empty) {
        return Err(CommandError::new(
            15998,
            "Location15998",
            format!("FieldPath field names may not be empty strings: '{s}'"),
        ));
    }
    Ok(())
}

fn compile_document(d: &Document) -> Result<Node, CommandError> {
    let first_is_op = d.keys().next().is_some_and(|k| k.starts_with('$'));
    if !first_is_op {
        let mut fields = Vec::with_capacity(d.len());
        for (k, v) in d {
            if k.starts_with('$') {
                return Err(CommandError::new(
                    16404,
                    "Location16404",
                    format!("field name '{k}' may not start with '$' in an object expression"),
                ));
            }
            fields.push((k.clone(), compile(v)?));
        }
        return Ok(Node::Doc(fields));
    }
    if d.len() != 1 {
        return Err(CommandError::new(
            15983,
            "Location15983",
            format!(
                "an expression specification must contain exactly one field, the name of the expression. Found {} fields in {d}",
                d.len()
            ),
        ));
    }
    let Some((name, arg)) = d.iter().next() else {
        return Ok(Node::Doc(Vec::new()));
    };
    if name == "$literal" {
        return Ok(Node::Lit(arg.clone()));
    }
    let Some(&(_, op, arity)) = OPS.iter().find(|(n, _, _)| *n == name) else {
        return Err(CommandError::new(
            168,
            "InvalidPipelineOperator",
            format!("Unrecognized expression '{name}'"),
        ));
    };
    let args = match (op, arity, arg) {
        (Op::Cond, _, Bson::Array(items)) => list(name, items, 3, 3)?,
        (Op::GetField, _, Bson::String(s)) if !s.starts_with('$') => {
            vec![
                Node::Lit(arg.clone()),
                Node::Var("CURRENT".into(), Vec::new()),
            ]
        }
        (Op::Switch, _, Bson::Document(spec)) => compile_switch(spec)?,
        (Op::Let, _, Bson::Document(spec)) => compile_let(spec)?,
        (_, Arity::List(min, max), Bson::Array(items)) => list(name, items, min, max)?,
        (_, Arity::List(min, max), single) => list(name, std::slice::from_ref(single), min, max)?,
        (_, Arity::DatePart, Bson::Document(spec)) if spec.contains_key("date") => named(
            name,
            spec,
            &[("date", true), ("timezone", false), ("iso8601", false)],
        )?,
        (_, Arity::DatePart, Bson::Array(items)) => {
            let mut v = list(name, items, 1, 1)?;
            v.extend([Node::Absent, Node::Absent]);
            v
        }
        (_, Arity::DatePart, single) => vec![compile(single)?, Node::Absent, Node::Absent],
        (_, Arity::Named(params), Bson::Document(spec)) => named(name, spec, params)?,
        (_, Arity::Named(_), _) => {
            return Err(CommandError::failed_to_parse(format!(
                "{name} expects an object of named arguments"
            )))
        }
    };
    if matches!(op, Op::Map | Op::Filter | Op::Reduce) {
        vars::check_binding(op, &args)?;
    }
    Ok(Node::Op(op, args))
}

fn list(name: &str, items: &[Bson], min: usize, max: usize) -> Result<Vec<Node>, CommandError> {
    if items.len() < min || items.len() > max {
        let msg = if min == max {
            format!(
                "Expression {name} takes exactly {min} arguments. {} were passed in.",
                items.len()
            )
        } else if items.len() < min {
            format!(
                "Expression {name} takes at least {min} arguments, and {} were passed in.",
                items.len()
            )
        } else {
            format!(
                "Expression {name} takes at most {max} arguments, and {} were passed in.",
                items.len()
            )
        };
        return Err(CommandError::new(16020, "Location16020", msg));
    }
    items.iter().map(compile).collect()
}

fn named(
    name: &str,
    spec: &Document,
    params: &[(&'static str, bool)],
) -> Result<Vec<Node>, CommandError> {
    for key in spec.keys() {
        if !params.iter().any(|(p, _)| p == key) {
            return Err(CommandError::failed_to_parse(format!(
                "Unrecognized parameter to {name}: {key}"
            )));
        }
    }
    params
        .iter()
        .map(|(p, required)| match spec.get(*p) {
            // `as` names a variable: keep it as written.
            Some(Bson::String(s)) if *p == "as" => Ok(Node::Lit(Bson::String(s.clone()))),
            Some(v) => compile(v),
            None if *required => Err(CommandError::failed_to_parse(format!(
                "Missing '{p}' parameter to {name}"
            ))),
            None => Ok(Node::Absent),
        })
        .collect()
}

/// `$switch`: `[default, case1, then1, case2, then2, ...]`.
fn compile_switch(spec: &Document) -> Result<Vec<Node>, CommandError> {
    let mut out = vec![Node::Absent];
    for (k, v) in spec {
        match (k.as_str(), v) {
            ("default", v) => {
                let node = compile(v)?;
                if let Some(slot) = out.first_mut() {
                    *slot = node;
                }
            }
            ("branches", Bson::Array(branches)) => {
                for b in branches {
                    let Bson::Document(b) = b else {
                        return Err(CommandError::new(
                            40061,
                            "Location40061",
                            "$switch expected each branch to be an object",
                        ));
                    };
                    let (Some(case), Some(then)) = (b.get("case"), b.get("then")) else {
                        return Err(CommandError::new(
                            40064,
                            "Location40064",
                            "$switch requires each branch have a 'case' and a 'then' expression",
                        ));
                    };
                    out.push(compile(case)?);
                    out.push(compile(then)?);
                }
            }
            ("branches", _) => {
                return Err(CommandError::new(
                    40061,
                    "Location40061",
                    "$switch expected an array for 'branches'",
                ))
            }
            (other, _) => {
                return Err(CommandError::new(
                    40067,
                    "Location40067",
                    format!("$switch found an unknown argument: {other}"),
                ))
            }
        }
    }
    if out.len() == 1 {
        return Err(CommandError::new(
            40068,
            "Location40068",
            "$switch requires at least one branch",
        ));
    }
    Ok(out)
}

/// `$let`: `[Doc(vars), in]`.
fn compile_let(spec: &Document) -> Result<Vec<Node>, CommandError> {
    let vars = match spec.get("vars") {
        Some(Bson::Document(v)) => v,
        _ => {
            return Err(CommandError::new(
                16866,
                "Location16866",
                "invalid parameter: expected an object (vars)",
            ))
        }
    };
    let Some(body) = spec.get("in") else {
        return Err(CommandError::new(
            16865,
            "Location16865",
            "Missing 'in' parameter to $let",
        ));
    };
    let mut fields = Vec::new();
    for (k, v) in vars {
        super::vars::check_user_name(k)?;
        fields.push((k.clone(), compile(v)?));
    }
    Ok(vec![Node::Doc(fields), compile(body)?])
}

use super::vars;

/// Evaluate an operator by its family.
pub(crate) fn eval_op(
    env: &mut Env<'_>,
    op: Op,
    args: &[Node],
) -> Result<Option<Bson>, CommandError> {
    use Op::*;
    match op {
        Add | Subtract | Multiply | Divide | Mod | Abs | Ceil | Floor | Exp | Ln | Log10 | Log
        | Sqrt | Pow | Round | Trunc | Sum | Avg | Max | Min | StdDevPop | StdDevSamp | Rand => {
            super::arith::eval(env, op, args)
        }
        Eq | Ne | Gt | Gte | Lt | Lte | Cmp => super::compare::eval(env, op, args),
        And | Or | Not | AllElementsTrue | AnyElementTrue => super::boolean::eval(env, op, args),
        Cond | IfNull | Switch => super::cond::eval(env, op, args),
        Concat | ToUpper | ToLower | Substr | SubstrBytes | SubstrCP | StrLenCP | StrLenBytes
        | Split | Trim | Ltrim | Rtrim | RegexMatch | RegexFind | RegexFindAll | IndexOfCP
        | IndexOfBytes | Strcasecmp | ReplaceOne | ReplaceAll => super::string::eval(env, op, args),
        Map | Filter | Reduce | Let => super::vars::eval(env, op, args),
        Size | ArrayElemAt | In | ConcatArrays | Slice | First | Last | IsArray | ReverseArray
        | Range | IndexOfArray | Zip | SortArray | FirstN | LastN | MaxN | MinN | SetUnion
        | SetIntersection | SetDifference | SetEquals | SetIsSubset => {
            super::array::eval(env, op, args)
        }
        Year | Month | DayOfMonth | DayOfWeek | DayOfYear | Hour | Minute | Second
        | Millisecond | Week | IsoWeek | IsoWeekYear | IsoDayOfWeek | DateToString
        | DateFromString | DateAdd | DateSubtract | DateDiff | DateTrunc | DateToParts
        | DateFromParts => super::date::eval(env, op, args),
        ToString | ToInt | ToLong | ToDouble | ToDecimal | ToBool | ToDate | ToObjectId
        | Convert | Type | IsNumber => super::convert::eval(env, op, args),
        MergeObjects | ObjectToArray | ArrayToObject | GetField | SetField | UnsetField => {
            super::object::eval(env, op, args)
        }
    }
}

/// The `i`th argument (`Absent` past the end, which callers treat as missing).
pub(crate) fn arg(args: &[Node], i: usize) -> &Node {
    args.get(i).unwrap_or(&Node::Absent)
}

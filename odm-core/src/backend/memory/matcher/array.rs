//! Array operators: `$size`, `$all` and `$elemMatch`.

use bson::Bson;

use super::compile::{compile_filter, compile_ops, is_operator_doc, leaf, Ctx};
use super::path::FieldPath;
use super::pred::Pred;
use super::regex::RegexPred;
use super::Node;
use crate::error::CommandError;

fn bad_value(msg: impl Into<String>) -> CommandError {
    CommandError::new(2, "BadValue", msg)
}

/// `$size: n`: a non-negative whole number.
pub(super) fn parse_size(arg: &Bson) -> Result<Pred, CommandError> {
    let n = match arg {
        Bson::Int32(i) => i64::from(*i),
        Bson::Int64(i) => *i,
        Bson::Double(d) if d.fract() == 0.0 && d.is_finite() => *d as i64,
        Bson::Double(_) => return Err(bad_value("$size must be a whole number")),
        _ => return Err(bad_value("$size needs a number")),
    };
    if n < 0 {
        return Err(bad_value("$size may not be negative"));
    }
    Ok(Pred::Size(n))
}

/// Top-level operators allowed as the first key of an `$elemMatch` object
/// form; any other `$` key makes it the value form.
fn starts_object_form(key: &str) -> bool {
    !key.starts_with('$') || matches!(key, "$and" | "$or" | "$nor" | "$where" | "$expr")
}

/// `$elemMatch`: a filter on element documents, or operators on element values.
pub(super) fn parse_elem_match(arg: &Bson, ctx: &Ctx) -> Result<Pred, CommandError> {
    let Bson::Document(spec) = arg else {
        return Err(bad_value("$elemMatch needs an Object"));
    };
    let inner = Ctx {
        in_elem_match: true,
        ..*ctx
    };
    match spec.keys().next() {
        Some(k) if !starts_object_form(k) => Ok(Pred::ElemMatchValue(Box::new(compile_ops(
            &FieldPath::value_itself(),
            spec,
            &inner,
        )?))),
        _ => Ok(Pred::ElemMatchDoc(Box::new(compile_filter(spec, &inner)?))),
    }
}

/// `$all: [..]`: every value present (as `$eq`, or a regex match), or every
/// `$elemMatch` satisfied. An empty `$all` matches nothing.
pub(super) fn parse_all(path: &FieldPath, arg: &Bson, ctx: &Ctx) -> Result<Node, CommandError> {
    let Bson::Array(items) = arg else {
        return Err(bad_value("$all needs an array"));
    };
    if items.is_empty() {
        return Ok(Node::False);
    }
    let is_elem_match = |v: &Bson| matches!(v, Bson::Document(d) if d.keys().next().is_some_and(|k| k == "$elemMatch"));
    let elem_match_form = items.first().is_some_and(is_elem_match);
    let mut nodes = Vec::with_capacity(items.len());
    for item in items {
        if elem_match_form {
            let Some(em) = elem_match_arg(item) else {
                return Err(bad_value("$all/$elemMatch has to be consistent"));
            };
            nodes.push(leaf(path, parse_elem_match(em, ctx)?));
            continue;
        }
        let pred = match item {
            Bson::RegularExpression(r) => Pred::Regex(Box::new(RegexPred::new(
                r.pattern.as_str(),
                r.options.as_str(),
            )?)),
            Bson::Document(d) if is_operator_doc(d) => {
                return Err(bad_value("no $ expressions in $all"));
            }
            other => Pred::Eq(super::compile::to_raw(other)?),
        };
        nodes.push(leaf(path, pred));
    }
    Ok(Node::All(nodes))
}

fn elem_match_arg(item: &Bson) -> Option<&Bson> {
    match item {
        Bson::Document(d) if d.len() == 1 => d.get("$elemMatch"),
        _ => None,
    }
}

//! Compiling a filter document into a [`Node`] tree, with MongoDB's errors
//! for unknown operators and malformed arguments.

use bson::{Bson, Document, RawBson};

use super::array::{parse_all, parse_elem_match, parse_size};
use super::bits::{BitTest, Bits};
use super::element::{parse_mod, TypeSet};
use super::path::FieldPath;
use super::pred::{CmpOp, InSet, Pred};
use super::regex::RegexPred;
use super::schema::Schema;
use super::truthy;
use super::{ExprNode, Leaf, Node};
use crate::backend::memory::aggregate::expr::{Expr, Vars};
use crate::backend::memory::compare::compare;
use crate::error::CommandError;

/// What the compiler needs to know besides the filter itself.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ctx<'a> {
    /// `let` variables for `$expr`.
    pub(super) let_vars: Option<&'a Document>,
    /// Inside `$elemMatch`, where `$expr` and `$jsonSchema` are not allowed.
    pub(super) in_elem_match: bool,
}

fn bad_value(msg: impl Into<String>) -> CommandError {
    CommandError::new(2, "BadValue", msg)
}

fn not_supported(what: &str) -> CommandError {
    CommandError::new(
        238,
        "NotImplemented",
        format!("{what} is not supported by the in-memory engine"),
    )
}

/// A filter value as raw BSON, the form predicates compare against.
pub(super) fn to_raw(v: &Bson) -> Result<RawBson, CommandError> {
    RawBson::try_from(v.clone()).map_err(|e| bad_value(format!("invalid BSON value: {e}")))
}

pub(super) fn leaf(path: &FieldPath, pred: Pred) -> Node {
    Node::Leaf(Box::new(Leaf {
        path: path.clone(),
        pred,
    }))
}

/// `All` of one node is that node; `All` of none matches everything.
fn all(mut nodes: Vec<Node>) -> Node {
    if nodes.len() == 1 {
        if let Some(n) = nodes.pop() {
            return n;
        }
    }
    Node::All(nodes)
}

/// Compile a whole filter (top level, `$and`/`$or` clauses, `$elemMatch` objects).
pub(super) fn compile_filter(filter: &Document, ctx: &Ctx) -> Result<Node, CommandError> {
    let mut nodes = Vec::with_capacity(filter.len());
    for (key, value) in filter {
        if let Some(op) = key.strip_prefix('$') {
            if let Some(n) = compile_top_level(op, value, ctx)? {
                nodes.push(n);
            }
        } else {
            compile_path(key, value, ctx, &mut nodes)?;
        }
    }
    Ok(all(nodes))
}

fn compile_top_level(op: &str, value: &Bson, ctx: &Ctx) -> Result<Option<Node>, CommandError> {
    Ok(Some(match op {
        "and" | "or" | "nor" => {
            let clauses = match value {
                Bson::Array(a) if !a.is_empty() => a,
                _ => return Err(bad_value("$and/$or/$nor must be a nonempty array")),
            };
            let mut nodes = Vec::with_capacity(clauses.len());
            for c in clauses {
                let Bson::Document(d) = c else {
                    return Err(bad_value("$or/$and/$nor entries need to be full objects"));
                };
                nodes.push(compile_filter(d, ctx)?);
            }
            match op {
                "and" => all(nodes),
                "or" => Node::Any(nodes),
                _ => Node::Not(Box::new(Node::Any(nodes))),
            }
        }
        "comment" => return Ok(None),
        "alwaysTrue" => Node::All(Vec::new()),
        "alwaysFalse" => Node::False,
        "expr" if !ctx.in_elem_match => {
            let expr = Expr::compile(value)?;
            let vars = Vars::new(ctx.let_vars)?;
            Node::Expr(Box::new(ExprNode { expr, vars }))
        }
        "jsonSchema" if !ctx.in_elem_match => {
            let Bson::Document(d) = value else {
                return Err(CommandError::new(
                    14,
                    "TypeMismatch",
                    "$jsonSchema must be an object",
                ));
            };
            Node::Schema(Box::new(Schema::compile(d)?))
        }
        "where" => return Err(not_supported("$where")),
        "text" => return Err(not_supported("$text")),
        "expr" | "jsonSchema" => {
            return Err(bad_value(format!("${op} can only be applied to the top-level document")))
        }
        _ => {
            return Err(bad_value(format!(
                "unknown top level operator: ${op}. If you have a field name that starts with a '$' symbol, consider using $getField or $setField."
            )))
        }
    }))
}

/// Whether a document holds operators rather than being a value to compare
/// with. DBRefs (`{$ref, $id, $db}`) are values.
pub(super) fn is_operator_doc(d: &Document) -> bool {
    d.keys()
        .next()
        .is_some_and(|k| k.starts_with('$') && !matches!(k.as_str(), "$ref" | "$id" | "$db"))
}

fn compile_path(
    key: &str,
    value: &Bson,
    ctx: &Ctx,
    out: &mut Vec<Node>,
) -> Result<(), CommandError> {
    let path = FieldPath::parse(key);
    match value {
        Bson::Document(d) if is_operator_doc(d) => out.push(compile_ops(&path, d, ctx)?),
        Bson::RegularExpression(r) => out.push(leaf(
            &path,
            Pred::Regex(Box::new(RegexPred::new(
                r.pattern.as_str(),
                r.options.as_str(),
            )?)),
        )),
        other => out.push(leaf(&path, Pred::Eq(to_raw(other)?))),
    }
    Ok(())
}

/// Compile an operator document `{$gt: 1, $lt: 5}` on one path: each
/// operator is a separate condition on the path (any element may satisfy each).
pub(super) fn compile_ops(
    path: &FieldPath,
    ops: &Document,
    ctx: &Ctx,
) -> Result<Node, CommandError> {
    let mut nodes = Vec::with_capacity(ops.len());
    let mut regex: Option<(&str, &str, bool)> = None;
    let mut options: Option<&str> = None;
    let field = || path_name(path);
    for (op, arg) in ops {
        let cmp = |op: CmpOp| -> Result<Node, CommandError> {
            if let Bson::RegularExpression(_) = arg {
                return Err(bad_value(format!(
                    "Can't have RegEx as arg to predicate over field '{}'.",
                    field()
                )));
            }
            Ok(leaf(path, Pred::Cmp(op, to_raw(arg)?)))
        };
        let node = match op.as_str() {
            "$eq" => leaf(path, Pred::Eq(to_raw(arg)?)),
            "$ne" => {
                if let Bson::RegularExpression(_) = arg {
                    return Err(bad_value("Can't have regex as arg to $ne."));
                }
                Node::Not(Box::new(leaf(path, Pred::Eq(to_raw(arg)?))))
            }
            "$gt" => cmp(CmpOp::Gt)?,
            "$gte" => cmp(CmpOp::Gte)?,
            "$lt" => cmp(CmpOp::Lt)?,
            "$lte" => cmp(CmpOp::Lte)?,
            "$in" => leaf(path, Pred::In(Box::new(parse_in(arg, "$in")?))),
            "$nin" => Node::Not(Box::new(leaf(
                path,
                Pred::In(Box::new(parse_in(arg, "$nin")?)),
            ))),
            "$exists" => {
                let exists = leaf(path, Pred::Exists);
                if truthy(arg) {
                    exists
                } else {
                    Node::Not(Box::new(exists))
                }
            }
            "$type" => leaf(path, Pred::Type(TypeSet::parse(arg)?)),
            "$mod" => {
                let (divisor, remainder) = parse_mod(arg)?;
                leaf(path, Pred::Mod { divisor, remainder })
            }
            "$regex" => {
                regex = Some(match arg {
                    Bson::String(s) => (s.as_str(), "", false),
                    Bson::RegularExpression(r) => (r.pattern.as_str(), r.options.as_str(), true),
                    _ => return Err(bad_value("$regex has to be a string")),
                });
                continue;
            }
            "$options" => {
                let Bson::String(s) = arg else {
                    return Err(bad_value("$options has to be a string"));
                };
                options = Some(s);
                continue;
            }
            "$size" => leaf(path, parse_size(arg)?),
            "$all" => parse_all(path, arg, ctx)?,
            "$elemMatch" => leaf(path, parse_elem_match(arg, ctx)?),
            "$not" => Node::Not(Box::new(parse_not(path, arg, ctx)?)),
            "$near" | "$nearSphere" | "$geoWithin" | "$geoIntersects" | "$within" => {
                return Err(not_supported(op))
            }
            "$bitsAllSet" => leaf(path, bits(op, BitTest::AllSet, arg)?),
            "$bitsAllClear" => leaf(path, bits(op, BitTest::AllClear, arg)?),
            "$bitsAnySet" => leaf(path, bits(op, BitTest::AnySet, arg)?),
            "$bitsAnyClear" => leaf(path, bits(op, BitTest::AnyClear, arg)?),
            _ => return Err(bad_value(format!("unknown operator: {op}"))),
        };
        nodes.push(node);
    }
    match (regex, options) {
        (None, Some(_)) => return Err(bad_value("$options needs a $regex")),
        (Some((_, flags, true)), Some(o)) if !flags.is_empty() && !o.is_empty() => {
            return Err(CommandError::new(
                51075,
                "Location51075",
                "options set in both $regex and $options",
            ))
        }
        (Some((pattern, flags, _)), o) => {
            let flags = o.filter(|o| !o.is_empty()).unwrap_or(flags);
            nodes.push(leaf(
                path,
                Pred::Regex(Box::new(RegexPred::new(pattern, flags)?)),
            ));
        }
        (None, None) => {}
    }
    Ok(all(nodes))
}

fn bits(op: &str, test: BitTest, arg: &Bson) -> Result<Pred, CommandError> {
    Ok(Pred::Bits(Box::new(Bits::parse(op, test, arg)?)))
}

fn path_name(path: &FieldPath) -> String {
    path.parts()
        .iter()
        .map(|p| &*p.key)
        .collect::<Vec<_>>()
        .join(".")
}

fn parse_not(path: &FieldPath, arg: &Bson, ctx: &Ctx) -> Result<Node, CommandError> {
    match arg {
        Bson::RegularExpression(r) => Ok(leaf(
            path,
            Pred::Regex(Box::new(RegexPred::new(
                r.pattern.as_str(),
                r.options.as_str(),
            )?)),
        )),
        Bson::Document(d) if d.is_empty() => Err(bad_value("$not cannot be empty")),
        Bson::Document(d) => compile_ops(path, d, ctx),
        _ => Err(bad_value("$not needs a regex or a document")),
    }
}

fn parse_in(arg: &Bson, op: &str) -> Result<InSet, CommandError> {
    let Bson::Array(items) = arg else {
        return Err(bad_value(format!("{op} needs an array")));
    };
    let mut set = InSet::default();
    for item in items {
        match item {
            Bson::Null => set.has_null = true,
            Bson::RegularExpression(r) => set
                .regexes
                .push(RegexPred::new(r.pattern.as_str(), r.options.as_str())?),
            Bson::Document(d) if is_operator_doc(d) => {
                return Err(bad_value(format!("cannot nest $ under {op}")))
            }
            other => set.values.push(to_raw(other)?),
        }
    }
    set.values
        .sort_by(|a, b| compare(a.as_raw_bson_ref(), b.as_raw_bson_ref()));
    Ok(set)
}

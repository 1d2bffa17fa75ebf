//! Aggregation expressions: field paths, variables, literals and operators.
//!
//! An expression is compiled once into a [`Node`] tree (operator names are
//! resolved, arities and option documents checked) and then evaluated per
//! document by reference: only the values an expression produces are
//! allocated, never the input document.

mod arith;
mod array;
mod boolean;
mod compare;
mod compile;
mod cond;
mod convert;
mod date;
mod date_calc;
mod number;
mod object;
mod string;
mod vars;

use std::borrow::Cow;

use bson::{Bson, Document};

use crate::error::CommandError;

pub use compare::cmp as compare_values;
pub(crate) use compile::Node;
pub use convert::type_name;

/// Number helpers shared with the `$group` accumulators.
pub(crate) mod arith_support {
    pub(crate) use super::number::{add_nums, as_num, Num, Summer, Variance};
}

/// Calendar arithmetic shared with `$densify`.
pub(crate) use date_calc::add_to_date;

/// Sort-key helpers shared with `$top`/`$bottom`.
pub(crate) mod sort_support {
    pub(crate) use super::array::{compare_keys, key_values, sort_keys, SortKeys};
}

/// Check a user variable name (`let`): it must start with a lowercase
/// letter, so it cannot shadow `ROOT`, `CURRENT`, ... (`16870`).
pub(crate) fn check_variable_name(name: &str) -> Result<(), CommandError> {
    vars::check_user_name(name)
}

/// The integer value of a number that is integral (`2`, `2i64`, `2.0`).
pub(crate) fn as_exact_int(v: &Bson) -> Option<i64> {
    number::as_num(v).and_then(|n| n.exact_i64())
}

/// Variables visible to an expression: `$$ROOT`, `$$CURRENT`, `$$NOW`, `let`
/// variables and those bound by `$map`/`$filter`/`$reduce`/`$let`.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// User variables by name (without `$$`).
    pub user: Document,
    /// The value of `$$NOW` (and `$$CLUSTER_TIME`); the wall clock when unset.
    pub now: Option<bson::DateTime>,
    /// Seed for `$sample`, so tests are deterministic; random when unset.
    pub sample_seed: Option<u64>,
}

impl Vars {
    /// Variables from a `let` document (each value is itself an expression
    /// evaluated against an empty document).
    pub fn new(let_vars: Option<&Document>) -> Result<Self, CommandError> {
        let mut vars = Vars {
            user: Document::new(),
            now: Some(bson::DateTime::now()),
            sample_seed: None,
        };
        if let Some(spec) = let_vars {
            let empty = Document::new();
            let mut user = Document::new();
            for (name, value) in spec {
                vars::check_user_name(name)?;
                let expr = Expr::compile(value)?;
                let v = expr.eval(&empty, &vars)?.unwrap_or(Bson::Undefined);
                user.insert(name.clone(), v);
            }
            vars.user = user;
        }
        Ok(vars)
    }

    /// These variables plus `name = value` (for `$lookup`'s `let`).
    pub fn with(&self, user: Document) -> Self {
        let mut v = self.clone();
        for (k, val) in user {
            v.user.insert(k, val);
        }
        v
    }
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub struct Expr {
    node: Node,
}

impl Expr {
    /// Compile an expression; unknown operators are MongoDB's error (`168 InvalidPipelineOperator`).
    pub fn compile(spec: &Bson) -> Result<Self, CommandError> {
        Ok(Expr {
            node: compile::compile(spec)?,
        })
    }

    /// Evaluate against `root` (`$$ROOT` and `$$CURRENT`). `None` is "missing".
    pub fn eval(&self, root: &Document, vars: &Vars) -> Result<Option<Bson>, CommandError> {
        let mut env = Env::new(root, vars);
        env.eval(&self.node)
    }

    /// [`Expr::eval`] without copying when the value is a literal or a
    /// field of `root` (the hot path of `$group` and `$sort`-like callers).
    pub fn eval_ref<'a>(
        &'a self,
        root: &'a Document,
        vars: &Vars,
    ) -> Result<Option<Cow<'a, Bson>>, CommandError> {
        match &self.node {
            Node::Lit(v) => Ok(Some(Cow::Borrowed(v))),
            Node::Path(p) => Ok(doc_path_ref(root, p)),
            _ => Ok(self.eval(root, vars)?.map(Cow::Owned)),
        }
    }

    /// The compiled tree, for analyses and evaluators outside this module.
    pub(crate) fn node(&self) -> &Node {
        &self.node
    }

    /// The field path this expression reads when it is exactly `"$a.b"`.
    pub fn as_field_path(&self) -> Option<&[String]> {
        match &self.node {
            Node::Path(p) => Some(p),
            _ => None,
        }
    }

    /// Whether the expression is a constant (its value does not depend on the document).
    pub fn as_literal(&self) -> Option<&Bson> {
        match &self.node {
            Node::Lit(v) => Some(v),
            _ => None,
        }
    }
}

/// MongoDB's truthiness for `$cond`, `$and`, `$or`, `$not` and `$expr`:
/// false, null, undefined and zero are false; everything else (including
/// empty arrays and strings) is true. Missing is false too.
pub fn truthy(v: &Bson) -> bool {
    match v {
        Bson::Boolean(b) => *b,
        Bson::Null | Bson::Undefined => false,
        Bson::Int32(i) => *i != 0,
        Bson::Int64(i) => *i != 0,
        Bson::Double(d) => *d != 0.0,
        Bson::Decimal128(d) => number::dec_to_f64(*d) != 0.0,
        _ => true,
    }
}

/// The evaluation environment of one document: the root and the variables
/// bound so far (a stack, so `$map` inside `$map` shadows correctly).
pub(crate) struct Env<'a> {
    root: &'a Document,
    vars: &'a Vars,
    locals: Vec<(String, Bson)>,
}

impl<'a> Env<'a> {
    pub(crate) fn new(root: &'a Document, vars: &'a Vars) -> Self {
        Env {
            root,
            vars,
            locals: Vec::new(),
        }
    }

    /// Evaluate `node` with `bindings` in scope.
    pub(crate) fn with_locals<T>(
        &mut self,
        bindings: Vec<(String, Bson)>,
        f: impl FnOnce(&mut Self) -> Result<T, CommandError>,
    ) -> Result<T, CommandError> {
        let n = bindings.len();
        self.locals.extend(bindings);
        let r = f(self);
        let keep = self.locals.len().saturating_sub(n);
        self.locals.truncate(keep);
        r
    }

    fn var(&self, name: &str) -> Result<Option<Bson>, CommandError> {
        if let Some((_, v)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            // `$let` binds a missing value as undefined: reading it is missing again.
            return Ok((!matches!(v, Bson::Undefined)).then(|| v.clone()));
        }
        match name {
            "ROOT" | "CURRENT" => Ok(Some(Bson::Document(self.root.clone()))),
            "REMOVE" => Ok(None),
            // `$redact`'s decisions.
            "DESCEND" => Ok(Some(Bson::String("descend".into()))),
            "PRUNE" => Ok(Some(Bson::String("prune".into()))),
            "KEEP" => Ok(Some(Bson::String("keep".into()))),
            "NOW" | "CLUSTER_TIME" => Ok(Some(Bson::DateTime(
                self.vars.now.unwrap_or_else(bson::DateTime::now),
            ))),
            _ => match self.vars.user.get(name) {
                Some(Bson::Undefined) => Ok(None),
                Some(v) => Ok(Some(v.clone())),
                None => Err(CommandError::new(
                    17276,
                    "Location17276",
                    format!("Use of undefined variable: {name}"),
                )),
            },
        }
    }

    /// Evaluate `$$name.a.b` without cloning the whole `$$ROOT`.
    fn var_path(&self, name: &str, path: &[String]) -> Result<Option<Bson>, CommandError> {
        if matches!(name, "ROOT" | "CURRENT") && !self.locals.iter().any(|(n, _)| n == name) {
            return Ok(doc_path(self.root, path));
        }
        Ok(self.var(name)?.and_then(|v| value_path(&v, path)))
    }

    /// Evaluate a node.
    pub(crate) fn eval(&mut self, node: &Node) -> Result<Option<Bson>, CommandError> {
        match node {
            Node::Lit(v) => Ok(Some(v.clone())),
            Node::Absent => Ok(None),
            Node::Path(p) => Ok(doc_path(self.root, p)),
            Node::Var(name, path) if path.is_empty() => self.var(name),
            Node::Var(name, path) => self.var_path(name, path),
            Node::Doc(fields) => {
                let mut out = Document::new();
                for (k, n) in fields {
                    if let Some(v) = self.eval(n)? {
                        out.insert(k.clone(), v);
                    }
                }
                Ok(Some(Bson::Document(out)))
            }
            Node::Arr(items) => {
                let mut out = Vec::with_capacity(items.len());
                for n in items {
                    // Missing values inside an array literal become null.
                    out.push(self.eval(n)?.unwrap_or(Bson::Null));
                }
                Ok(Some(Bson::Array(out)))
            }
            Node::Op(op, args) => compile::eval_op(self, *op, args),
        }
    }

    /// Evaluate each argument, missing as `None`.
    pub(crate) fn eval_all(&mut self, args: &[Node]) -> Result<Vec<Option<Bson>>, CommandError> {
        args.iter().map(|a| self.eval(a)).collect()
    }
}

/// `doc.a.b` with MongoDB's aggregation rules: arrays along the path yield
/// the array of what each element yields (missing elements are skipped).
pub(crate) fn doc_path(doc: &Document, path: &[String]) -> Option<Bson> {
    let (first, rest) = path.split_first()?;
    let v = doc.get(first)?;
    if rest.is_empty() {
        Some(v.clone())
    } else {
        value_path(v, rest)
    }
}

/// [`doc_path`] by reference, copying only when the path crosses an array.
pub(crate) fn doc_path_ref<'a>(doc: &'a Document, path: &[String]) -> Option<Cow<'a, Bson>> {
    let (first, rest) = path.split_first()?;
    let v = doc.get(first)?;
    match (rest.is_empty(), v) {
        (true, _) => Some(Cow::Borrowed(v)),
        (false, Bson::Document(d)) => doc_path_ref(d, rest),
        (false, _) => value_path(v, rest).map(Cow::Owned),
    }
}

/// [`doc_path`] from any value.
pub(crate) fn value_path(v: &Bson, path: &[String]) -> Option<Bson> {
    if path.is_empty() {
        return Some(v.clone());
    }
    match v {
        Bson::Document(d) => doc_path(d, path),
        Bson::Array(items) => Some(Bson::Array(
            items
                .iter()
                .filter_map(|item| match item {
                    Bson::Document(d) => doc_path(d, path),
                    Bson::Array(_) => value_path(item, path),
                    _ => None,
                })
                .collect(),
        )),
        _ => None,
    }
}

/// Whether a value is null, undefined or missing: the input most operators
/// answer with null.
pub(crate) fn nullish(v: &Option<Bson>) -> bool {
    matches!(v, None | Some(Bson::Null) | Some(Bson::Undefined))
}

#[cfg(test)]
mod tests;

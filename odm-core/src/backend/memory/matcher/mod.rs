//! The query matcher: a filter document compiled once into a tree that
//! tests raw documents without decoding them.
//!
//! Compilation ([`compile`]) turns `{age: {$gte: 30}, "address.city": "Paris"}`
//! into a [`Node`] tree whose leaves pair a parsed path with a predicate on
//! one value. Matching walks the raw bytes of a document along each leaf's
//! path ([`path`]) and tests only the values it reaches; nothing is decoded
//! or allocated unless `$expr` needs the whole document.

mod array;
mod bits;
mod compile;
mod element;
pub(crate) mod path;
mod pred;
mod regex;
mod schema;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use bson::raw::{RawBsonRef, RawDocument};
use bson::Document;

use self::compile::{compile_filter, Ctx};
use self::path::FieldPath;
use self::pred::Pred;
use self::schema::Schema;
use crate::backend::memory::aggregate::deps::Deps;
use crate::backend::memory::aggregate::expr::{Expr, Vars};
use crate::backend::memory::collation::Collation;
use crate::error::CommandError;

/// Whether `doc` matches `{path: x}` for a value `x` that is not an operator
/// document or a regex: what the compiled leaf does, without compiling it.
pub(crate) fn matches_eq(doc: &RawDocument, path: &FieldPath, x: RawBsonRef<'_>) -> bool {
    // A string against a top-level string (the point read's usual check):
    // equal bytes are equal strings, so the stored one is not decoded and
    // checked for UTF-8 first. Any other shape takes the general walk.
    if let (RawBsonRef::String(s), Some(key)) = (x, path.single()) {
        if let Some((0x02, value)) = path::get_raw(doc, key) {
            return path::string_bytes(value) == Some(s.as_bytes());
        }
    }
    if path.is_empty() {
        return pred::eq_matches(Some(RawBsonRef::Document(doc)), x);
    }
    path.walk(doc, path::LeafArrays::ElementsAndWhole, &mut |v, _| {
        pred::eq_matches(v, x)
    })
}

/// A compiled filter.
#[derive(Debug, Clone)]
pub struct Matcher {
    root: Node,
}

/// A node of a compiled filter.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Every child matches (`$and`, several fields); empty matches everything.
    All(Vec<Node>),
    /// Some child matches (`$or`).
    Any(Vec<Node>),
    /// The child does not match (`$not`, `$nor`, `$ne`, `$nin`, `$exists: false`).
    Not(Box<Node>),
    /// A predicate on the values a path reaches.
    Leaf(Box<Leaf>),
    /// `$expr`.
    Expr(Box<ExprNode>),
    /// `$jsonSchema`.
    Schema(Box<Schema>),
    /// Matches nothing (`$all: []`, `$alwaysFalse`).
    False,
}

/// A path and the predicate its values are tested with.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    path: FieldPath,
    pred: Pred,
}

/// A compiled `$expr` with the variables it sees.
#[derive(Debug, Clone)]
pub(crate) struct ExprNode {
    expr: Expr,
    vars: Vars,
}

impl Leaf {
    fn eval_doc(&self, doc: &RawDocument, pos: &mut Option<usize>) -> bool {
        if self.path.is_empty() {
            return self.pred.test(Some(RawBsonRef::Document(doc)));
        }
        let mut hit = None;
        let matched = self.path.walk(doc, self.pred.leaf_arrays(), &mut |v, i| {
            if let (Pred::ElemMatchValue(_) | Pred::ElemMatchDoc(_), Some(RawBsonRef::Array(a))) =
                (&self.pred, v)
            {
                // `$` refers to the element `$elemMatch` picked.
                let p = self.pred.elem_match_position(a);
                hit = i.or(p);
                return p.is_some();
            }
            if self.pred.test(v) {
                hit = i;
                true
            } else {
                false
            }
        });
        if matched && pos.is_none() {
            *pos = hit;
        }
        matched
    }
}

impl Node {
    /// Make every string comparison below this node use `collation`.
    pub(crate) fn collate(&mut self, collation: &Arc<Collation>) {
        match self {
            Node::All(nodes) | Node::Any(nodes) => {
                nodes.iter_mut().for_each(|n| n.collate(collation));
            }
            Node::Not(n) => n.collate(collation),
            Node::Leaf(l) => l.pred.collate(collation),
            Node::Expr(_) | Node::Schema(_) | Node::False => {}
        }
    }

    /// Evaluate against a document, recording the first array index that a
    /// matching path went through in `pos`.
    fn eval(&self, doc: &RawDocument, pos: &mut Option<usize>) -> Result<bool, CommandError> {
        Ok(match self {
            Node::All(nodes) => {
                for n in nodes {
                    if !n.eval(doc, pos)? {
                        return Ok(false);
                    }
                }
                true
            }
            Node::Any(nodes) => {
                for n in nodes {
                    // A clause that fails must not leave its index behind.
                    let mut p = None;
                    if n.eval(doc, &mut p)? {
                        if pos.is_none() {
                            *pos = p;
                        }
                        return Ok(true);
                    }
                }
                false
            }
            Node::Not(n) => !n.eval(doc, &mut None)?,
            Node::Leaf(l) => l.eval_doc(doc, pos),
            Node::Expr(e) => {
                let decoded = Document::try_from(doc).map_err(|err| {
                    CommandError::new(2, "BadValue", format!("invalid document: {err}"))
                })?;
                e.expr.eval(&decoded, &e.vars)?.as_ref().is_some_and(truthy)
            }
            Node::Schema(s) => s.matches(doc),
            Node::False => false,
        })
    }

    fn deps(&self, deps: &mut Deps) {
        match self {
            Node::All(nodes) | Node::Any(nodes) => nodes.iter().for_each(|n| n.deps(deps)),
            Node::Not(n) => n.deps(deps),
            Node::Leaf(l) => match l.path.parts().first() {
                Some(p) => deps.field(&p.key),
                None => deps.whole(),
            },
            Node::Expr(e) => deps.node(e.expr.node()),
            Node::Schema(_) => deps.whole(),
            Node::False => {}
        }
    }

    /// Evaluate against a document inside `$elemMatch`.
    pub(crate) fn eval_doc(&self, doc: &RawDocument) -> Result<bool, CommandError> {
        self.eval(doc, &mut None)
    }

    /// Evaluate a value-form `$elemMatch` node (leaves with the empty path)
    /// against one array element, without expanding nested arrays.
    pub(crate) fn eval_value(&self, v: RawBsonRef<'_>) -> Result<bool, CommandError> {
        Ok(match self {
            Node::All(nodes) => {
                for n in nodes {
                    if !n.eval_value(v)? {
                        return Ok(false);
                    }
                }
                true
            }
            Node::Any(nodes) => {
                for n in nodes {
                    if n.eval_value(v)? {
                        return Ok(true);
                    }
                }
                false
            }
            Node::Not(n) => !n.eval_value(v)?,
            Node::Leaf(l) if l.path.is_empty() => l.pred.test(Some(v)),
            Node::False => false,
            other => match v {
                RawBsonRef::Document(d) => other.eval_doc(d)?,
                _ => false,
            },
        })
    }
}

/// `$expr` results and `$exists` arguments read truthiness as aggregation does.
pub(crate) use super::aggregate::expr::truthy;

impl Matcher {
    /// Compile a filter. Unknown operators and malformed arguments are
    /// MongoDB's errors (`2 BadValue`, ...).
    pub fn compile(filter: &Document) -> Result<Self, CommandError> {
        Self::compile_with_vars(filter, None)
    }

    /// Compile a filter whose `$expr` may refer to `let` variables (`$$name`).
    pub fn compile_with_vars(
        filter: &Document,
        let_vars: Option<&Document>,
    ) -> Result<Self, CommandError> {
        let ctx = Ctx {
            let_vars,
            in_elem_match: false,
        };
        Ok(Matcher {
            root: compile_filter(filter, &ctx)?,
        })
    }

    /// Compile a filter whose string comparisons (equality, ranges, `$in`,
    /// `$nin`, also of strings inside documents and arrays) use `collation`;
    /// `None` is [`compile_with_vars`](Self::compile_with_vars). Regexes,
    /// `$expr` and `$jsonSchema` are not collated.
    pub fn compile_with_collation(
        filter: &Document,
        let_vars: Option<&Document>,
        collation: Option<&Collation>,
    ) -> Result<Self, CommandError> {
        let mut m = Self::compile_with_vars(filter, let_vars)?;
        if let Some(c) = collation {
            m.root.collate(&Arc::new(c.clone()));
        }
        Ok(m)
    }

    /// Whether `doc` matches. Errors come only from `$expr` evaluation.
    pub fn matches(&self, doc: &RawDocument) -> Result<bool, CommandError> {
        self.root.eval(doc, &mut None)
    }

    /// Whether `doc` matches and, for the positional `$` update and
    /// projection operators, the index of the array element that matched the
    /// first array-valued path of the filter (`Some(None)` when it matched
    /// without an array).
    pub fn matches_positional(
        &self,
        doc: &RawDocument,
    ) -> Result<Option<Option<usize>>, CommandError> {
        let mut pos = None;
        Ok(self.root.eval(doc, &mut pos)?.then_some(pos))
    }

    /// Record the top-level fields the filter reads (for the aggregation
    /// engine's dependency analysis); `$jsonSchema` reads the whole document.
    pub(crate) fn deps(&self, deps: &mut Deps) {
        self.root.deps(deps);
    }

    /// Whether the filter matches every document (`{}`), so a scan can skip it.
    pub fn is_match_all(&self) -> bool {
        matches!(&self.root, Node::All(n) if n.is_empty())
    }
}

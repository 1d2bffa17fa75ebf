//! Aggregation expressions: field paths, variables, literals and operators.
//!
//! STUB: the interface is fixed; the implementation lands with the aggregation issue.

use bson::{Bson, Document};

use crate::error::CommandError;

/// Variables visible to an expression: `$$ROOT`, `$$CURRENT`, `$$NOW`, `let`
/// variables and those bound by `$map`/`$filter`/`$reduce`/`$let`.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// User variables by name (without `$$`).
    pub user: Document,
}

impl Vars {
    /// Variables from a `let` document (each value is itself an expression
    /// evaluated against an empty document).
    pub fn new(let_vars: Option<&Document>) -> Result<Self, CommandError> {
        Ok(Vars {
            user: let_vars.cloned().unwrap_or_default(),
        })
    }
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub struct Expr {
    _spec: Bson,
}

impl Expr {
    /// Compile an expression; unknown operators are MongoDB's error (`168 InvalidPipelineOperator`).
    pub fn compile(spec: &Bson) -> Result<Self, CommandError> {
        Ok(Expr {
            _spec: spec.clone(),
        })
    }

    /// Evaluate against `root` (`$$ROOT` and `$$CURRENT`). `None` is "missing".
    pub fn eval(&self, _root: &Document, _vars: &Vars) -> Result<Option<Bson>, CommandError> {
        Err(CommandError::new(
            238,
            "NotImplemented",
            "expressions not implemented yet",
        ))
    }
}

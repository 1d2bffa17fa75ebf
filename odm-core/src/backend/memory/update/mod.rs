//! The update applier: an update document (or pipeline) compiled once and
//! applied to documents with MongoDB's semantics and errors.
//!
//! Compiling parses every operator and path, rejects overlapping paths and
//! checks `arrayFilters`; applying walks the document in MongoDB's order
//! (paths sorted field by field, numeric names by value), in place, after
//! saving the top-level fields it may change, so a failing update leaves the
//! document as it was. Pipelines run the aggregation's stages and
//! expressions; `upsert_seed` builds the document an upsert starts from.

mod arrays;
mod bit;
mod compile;
pub(crate) mod decimal;
mod fields;
mod filters;
mod path;
mod pipeline;
mod upsert;

#[cfg(test)]
mod tests;

use std::cmp::Ordering;

use bson::{Bson, Document};

use self::compile::{Kind, Op};
use self::filters::ArrayFilters;
use self::path::{walk, Originals, Part, Saved, Trail, Walk};
use self::pipeline::Pipeline;
use crate::backend::memory::compare::compare_bson;
use crate::backend::UpdateModification;
use crate::error::CommandError;
use crate::value::display_bson;

pub use self::upsert::upsert_seed;

/// What the applier needs to know about the document being updated.
#[derive(Debug, Clone, Default)]
pub struct ApplyContext {
    /// For the positional `$` operator: the array index the filter matched.
    pub positional: Option<usize>,
    /// The update runs on the document an upsert is inserting (`$setOnInsert` applies).
    pub is_insert: bool,
    /// `$currentDate` and `$$NOW`.
    pub now: Option<bson::DateTime>,
}

#[derive(Debug, Clone)]
enum Plan {
    Operators {
        /// In application order.
        ops: Vec<Op>,
        filters: ArrayFilters,
        positional: bool,
        /// The distinct top-level fields the modifiers start from, saved
        /// before applying (none when the update cannot fail).
        touched: Vec<String>,
        /// Per modifier: whether its dynamic path may meet another's, so the
        /// paths it reaches are checked for conflicts after applying.
        tracked: Vec<bool>,
        /// When every modifier sets, unsets, computes or dates one top-level
        /// field (not `_id`): those fields. Only they need decoding.
        top_level: Option<Vec<String>>,
    },
    Pipeline(Pipeline),
}

/// A compiled update.
#[derive(Debug, Clone)]
pub struct UpdatePlan {
    plan: Plan,
}

impl UpdatePlan {
    /// Compile an update document or pipeline with its array filters and `let` variables.
    /// An update document without operators, or with conflicting paths, is an error.
    pub fn compile(
        update: &UpdateModification,
        array_filters: Option<&[Document]>,
        let_vars: Option<&Document>,
    ) -> Result<Self, CommandError> {
        let plan = match update {
            UpdateModification::Document(d) => compile_operators(d, array_filters, let_vars)?,
            UpdateModification::Pipeline(stages) => {
                if array_filters.is_some_and(|f| !f.is_empty()) {
                    return Err(CommandError::new(
                        72,
                        "InvalidOptions",
                        "arrayFilters may not be specified for pipeline-style updates",
                    ));
                }
                Plan::Pipeline(Pipeline::compile(stages, let_vars)?)
            }
        };
        Ok(UpdatePlan { plan })
    }

    /// Whether the update uses the positional `$` operator, so the caller
    /// must find the matched array index (`Matcher::matches_positional`).
    pub fn needs_positional(&self) -> bool {
        matches!(
            self.plan,
            Plan::Operators {
                positional: true,
                ..
            }
        )
    }

    /// The top-level fields this update reads and writes, when it touches
    /// nothing else (`$set`, `$unset`, `$inc`, `$mul`, `$min`, `$max`,
    /// `$currentDate` of top-level fields other than `_id`): applying it to
    /// a document holding only `_id` and those fields changes them exactly
    /// as applying it to the whole document would, so a caller can decode
    /// just them and copy the rest of the stored bytes.
    pub fn top_level_fields(&self) -> Option<&[String]> {
        match &self.plan {
            Plan::Operators { top_level, .. } => top_level.as_deref(),
            Plan::Pipeline(_) => None,
        }
    }

    /// Apply to `doc` in place; `Ok(true)` if it changed. On error `doc` is unchanged.
    pub fn apply(&self, doc: &mut Document, ctx: &ApplyContext) -> Result<bool, CommandError> {
        match &self.plan {
            Plan::Operators {
                ops,
                filters,
                positional,
                touched,
                tracked,
                ..
            } => {
                if *positional && ctx.positional.is_none() {
                    return Err(path::no_positional_match());
                }
                let ops = Operators {
                    ops,
                    filters,
                    touched,
                    tracked,
                };
                ops.apply(doc, ctx)
            }
            Plan::Pipeline(p) => apply_pipeline(p, doc, ctx),
        }
    }
}

/// Run a pipeline update; the result replaces `doc` when it differs.
fn apply_pipeline(
    p: &Pipeline,
    doc: &mut Document,
    ctx: &ApplyContext,
) -> Result<bool, CommandError> {
    let mut new = p.run(doc, ctx.now)?;
    if let (Some(id), false) = (doc.get("_id"), new.contains_key("_id")) {
        // A pipeline that drops `_id` keeps the original, as a replacement does.
        let mut with_id = Document::new();
        with_id.insert("_id", id.clone());
        with_id.extend(new);
        new = with_id;
    }
    if fields::identical_docs(doc, &new) {
        return Ok(false);
    }
    check_id(doc.get("_id"), new.get("_id"))?;
    *doc = new;
    Ok(true)
}

fn compile_operators(
    d: &Document,
    array_filters: Option<&[Document]>,
    let_vars: Option<&Document>,
) -> Result<Plan, CommandError> {
    if !d.keys().any(|k| k.starts_with('$')) {
        return Err(CommandError::failed_to_parse(
            "Update document requires atomic operators",
        ));
    }
    if let Some(k) = d.keys().find(|k| !k.starts_with('$')) {
        return Err(CommandError::failed_to_parse(format!(
            "Unknown modifier: {k}. Expected a valid update modifier or pipeline-style update \
             specified as an array"
        )));
    }
    let mut ops = compile::parse(d)?;
    compile::check_conflicts(&ops)?;
    let filters = ArrayFilters::compile(array_filters, let_vars)?;
    for op in &ops {
        if let Some(id) = op.path.identifiers().find(|id| !filters.has(id)) {
            return Err(CommandError::bad_value(format!(
                "No array filter found for identifier '{id}' in path '{}'",
                op.path.text
            )));
        }
    }
    if let Some(unused) = filters
        .identifiers()
        .find(|id| !ops.iter().any(|op| op.path.identifiers().any(|u| u == *id)))
    {
        return Err(CommandError::failed_to_parse(format!(
            "The array filter for identifier '{unused}' was not used in the update {}",
            display_bson(&Bson::Document(d.clone()))
        )));
    }
    let positional = ops
        .iter()
        .any(|op| op.path.parts.contains(&Part::Positional));
    ops.sort_by(|a, b| compile::order_path(a).apply_order(compile::order_path(b)));
    let mut touched: Vec<String> = Vec::new();
    for op in &ops {
        let mut heads = vec![&op.path];
        if let Kind::Rename(to) = &op.kind {
            heads.push(to);
        }
        for path in heads {
            if let Some(Part::Field(head)) = path.parts.first() {
                if !touched.contains(head) {
                    touched.push(head.clone());
                }
            }
        }
    }
    // Setting, unsetting or dating top-level fields other than `_id` cannot
    // fail once compiled: nothing needs saving for a rollback.
    let infallible = ops.iter().all(|op| {
        matches!(op.path.parts.as_slice(), [Part::Field(f)] if f != "_id")
            && matches!(
                op.kind,
                Kind::Set(_) | Kind::SetOnInsert(_) | Kind::Unset | Kind::CurrentDate(_)
            )
    });
    if infallible {
        touched.clear();
    }
    let top_level = ops
        .iter()
        .all(|op| {
            matches!(op.path.parts.as_slice(), [Part::Field(f)] if f != "_id")
                && matches!(
                    op.kind,
                    Kind::Set(_)
                        | Kind::Unset
                        | Kind::Arith(..)
                        | Kind::Min(_)
                        | Kind::Max(_)
                        | Kind::CurrentDate(_)
                )
        })
        .then(|| ops.iter().map(|op| op.path.text.clone()).collect());
    // A modifier records the concrete paths it reaches when another one may
    // reach the same values (checked for conflicts), or may change the
    // elements its array filters test (which must see them as they were).
    let any_dynamic = ops.iter().any(|op| op.path.is_dynamic());
    let tracked = (0..ops.len())
        .map(|i| {
            if !any_dynamic {
                return false;
            }
            let path = &ops[i].path;
            let filtered = path.last_filtered().map_or(0, |k| k + 1);
            ops.iter().enumerate().any(|(j, other)| {
                i != j
                    && ((path.is_dynamic() || other.path.is_dynamic())
                        && path.may_meet(&other.path, usize::MAX)
                        || filtered > 0 && path.may_meet(&other.path, filtered))
            })
        })
        .collect();
    Ok(Plan::Operators {
        ops,
        filters,
        positional,
        touched,
        tracked,
        top_level,
    })
}

/// The parts of a compiled operator update that applying reads.
struct Operators<'a> {
    ops: &'a [Op],
    filters: &'a ArrayFilters,
    touched: &'a [String],
    tracked: &'a [bool],
}

impl Operators<'_> {
    /// Apply the modifiers to `doc` in place; on error, put back the
    /// top-level fields they touched, as they were and where they were.
    ///
    /// Only those fields are copied beforehand: a modifier never reaches
    /// outside the top-level field its path starts with.
    fn apply(&self, doc: &mut Document, ctx: &ApplyContext) -> Result<bool, CommandError> {
        let id = doc.get("_id").cloned();
        let len = doc.len();
        let backup: Saved<'_> = self
            .touched
            .iter()
            .map(|name| {
                let at = doc.keys().position(|k| k == name);
                (at, name.as_str(), doc.get(name).cloned())
            })
            .collect();
        let mut root = Bson::Document(std::mem::take(doc));
        let result = self.run(&mut root, id.as_ref(), Originals(&backup), ctx);
        if let Bson::Document(new) = root {
            *doc = new;
        }
        let result = result.and_then(|changed| {
            check_id(id.as_ref(), doc.get("_id"))?;
            Ok(changed)
        });
        if result.is_err() {
            restore(doc, len, backup);
        }
        result
    }

    fn run(
        &self,
        root: &mut Bson,
        id: Option<&Bson>,
        original: Originals<'_>,
        ctx: &ApplyContext,
    ) -> Result<bool, CommandError> {
        let w = Walk {
            ctx,
            filters: self.filters,
            original,
            id,
        };
        let mut changed = false;
        let mut reached: Vec<(usize, Vec<String>)> = Vec::new();
        for (i, op) in self.ops.iter().enumerate() {
            let mut trail = Trail::new(self.tracked.get(i).copied().unwrap_or(false));
            changed |= match &op.kind {
                Kind::SetOnInsert(_) if !ctx.is_insert => false,
                Kind::Rename(to) => fields::rename(root, &op.path, to, &w)?,
                _ => walk(root, op, 0, &w, &mut trail)?,
            };
            if !trail.hits.is_empty() {
                reached.push((i, trail.hits));
            }
        }
        check_reached(&reached)?;
        Ok(changed)
    }
}

/// Two modifiers whose dynamic paths resolved to the same value, or one
/// inside the other, conflict as MongoDB reports it at runtime.
fn check_reached(reached: &[(usize, Vec<String>)]) -> Result<(), CommandError> {
    let within = |inner: &str, outer: &str| {
        inner == outer
            || inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    for (n, (i, hits)) in reached.iter().enumerate() {
        for (j, others) in reached.iter().skip(n + 1) {
            debug_assert!(i != j);
            for a in hits {
                if let Some(b) = others.iter().find(|b| within(a, b) || within(b, a)) {
                    let at = if a.len() <= b.len() { a } else { b };
                    return Err(CommandError::new(
                        40,
                        "ConflictingUpdateOperators",
                        format!("Update created a conflict at '{at}'"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Undo [`Operators::apply`]: drop the touched fields and put the saved ones
/// back at their original positions among the untouched ones.
fn restore(doc: &mut Document, len: usize, backup: Saved<'_>) {
    let mut current = std::mem::take(doc);
    let mut saved: Vec<(usize, &str, Bson)> = Vec::with_capacity(backup.len());
    for (at, name, value) in backup {
        current.remove(name);
        if let (Some(at), Some(value)) = (at, value) {
            saved.push((at, name, value));
        }
    }
    saved.sort_by_key(|(at, _, _)| *at);
    let mut saved = saved.into_iter().peekable();
    let mut untouched = current.into_iter();
    for i in 0..len {
        match saved.next_if(|(at, _, _)| *at == i) {
            Some((_, name, value)) => {
                doc.insert(name, value);
            }
            None => {
                if let Some((k, v)) = untouched.next() {
                    doc.insert(k, v);
                }
            }
        }
    }
}

/// `_id` may be set to an equal value but never changed or removed.
fn check_id(before: Option<&Bson>, after: Option<&Bson>) -> Result<(), CommandError> {
    let same = match (before, after) {
        (None, _) => true,
        (Some(b), Some(a)) => {
            compare_bson(b, a) == Ordering::Equal && b.element_type() == a.element_type()
        }
        (Some(_), None) => false,
    };
    if same {
        return Ok(());
    }
    Err(CommandError::new(
        66,
        "ImmutableField",
        "Performing an update on the path '_id' would modify the immutable field '_id'",
    ))
}

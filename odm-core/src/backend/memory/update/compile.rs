//! Parsing an update document into modifiers: operator arguments are checked
//! once, paths parsed once, and conflicting paths rejected before any
//! document is touched.

use bson::{Bson, Document};

use super::arrays::{AddToSet, Pull, Push};
use super::bit::BitOps;
use super::fields::{self, Arith, DateKind};
use super::path::{UpdatePath, Walk};
use crate::error::CommandError;
use crate::value::display_bson;

/// What one modifier does at its path.
#[derive(Debug, Clone)]
pub(super) enum Kind {
    Set(Bson),
    SetOnInsert(Bson),
    Unset,
    Arith(Arith, Bson),
    Min(Bson),
    Max(Bson),
    CurrentDate(DateKind),
    /// `$rename` to this path; the modifier's own path is the source.
    Rename(UpdatePath),
    Push(Push),
    AddToSet(AddToSet),
    /// `$pop`: `true` removes the first element.
    Pop(bool),
    Pull(Pull),
    PullAll(Vec<Bson>),
    Bit(BitOps),
}

/// One operator applied to one path.
#[derive(Debug, Clone)]
pub(super) struct Op {
    pub path: UpdatePath,
    pub kind: Kind,
}

impl Op {
    /// Update the existing value at the path; `Ok(true)` if it changed.
    pub fn update(&self, value: &mut Bson, w: &Walk<'_>) -> Result<bool, CommandError> {
        let field = self.field_name();
        match &self.kind {
            Kind::Set(v) | Kind::SetOnInsert(v) => Ok(fields::set(value, v)),
            // `walk` removes an unset field from its parent; reached here, the
            // value is an array element (`a.$[]`), which MongoDB nulls.
            Kind::Unset => Ok(!matches!(std::mem::replace(value, Bson::Null), Bson::Null)),
            // `$rename` does not walk: see `fields::rename`.
            Kind::Rename(_) => Ok(false),
            Kind::Arith(a, v) => fields::arith(*a, value, v, field, w),
            Kind::Min(v) => Ok(fields::min_max(value, v, std::cmp::Ordering::Less)),
            Kind::Max(v) => Ok(fields::min_max(value, v, std::cmp::Ordering::Greater)),
            Kind::CurrentDate(k) => {
                *value = k.now(w.ctx);
                Ok(true)
            }
            Kind::Push(p) => p.apply(value, field, w),
            Kind::AddToSet(a) => a.apply(value, field, w),
            Kind::Pop(first) => super::arrays::pop(value, *first, &self.path.text),
            Kind::Pull(p) => p.apply(value),
            Kind::PullAll(vals) => super::arrays::pull_all(value, vals),
            Kind::Bit(b) => b.apply(value, field, w),
        }
    }

    /// The value a missing path gets, or `None` when this modifier leaves it missing.
    pub fn create(&self, w: &Walk<'_>) -> Result<Option<Bson>, CommandError> {
        Ok(match &self.kind {
            Kind::Set(v) | Kind::SetOnInsert(v) | Kind::Min(v) | Kind::Max(v) => Some(v.clone()),
            Kind::Arith(a, v) => Some(a.on_missing(v)),
            Kind::CurrentDate(k) => Some(k.now(w.ctx)),
            Kind::Push(p) => Some(p.on_missing()),
            Kind::AddToSet(a) => Some(a.on_missing()),
            Kind::Bit(b) => Some(b.on_missing()),
            Kind::Unset | Kind::Rename(_) | Kind::Pop(_) | Kind::Pull(_) | Kind::PullAll(_) => None,
        })
    }

    /// Whether a path blocked by a scalar is silently skipped (modifiers that
    /// only remove) rather than error 28.
    pub fn tolerates_non_viable(&self) -> bool {
        matches!(
            self.kind,
            Kind::Unset | Kind::Pop(_) | Kind::Pull(_) | Kind::PullAll(_)
        )
    }

    /// Whether the modifier removes the field from its parent.
    pub fn is_unset(&self) -> bool {
        matches!(self.kind, Kind::Unset)
    }

    /// The last component of the path, as MongoDB names the field in messages.
    fn field_name(&self) -> &str {
        self.path.text.rsplit('.').next().unwrap_or_default()
    }
}

/// Parse every operator of an update document, in document order.
pub(super) fn parse(update: &Document) -> Result<Vec<Op>, CommandError> {
    let mut ops = Vec::new();
    for (operator, args) in update {
        let Bson::Document(args) = args else {
            return Err(CommandError::failed_to_parse(format!(
                "Modifiers operate on fields but we found type {} instead. For example: \
                 {{$mod: {{<field>: ...}}}} not {{{operator}: {}}}",
                crate::value::element_type_name(args.element_type()),
                display_bson(args)
            )));
        };
        for (field, arg) in args {
            let path = UpdatePath::parse(field)?;
            refuse_top_level_dollar(&path)?;
            let kind = parse_kind(operator, field, arg, &path)?;
            ops.push(Op { path, kind });
        }
    }
    Ok(ops)
}

/// MongoDB's storage validation refuses a top-level `$`-prefixed field
/// written by an update operator (only pipelines' `$setField` may create
/// one): `{$set: {"$where": 1}}` is code 52, never a stored field.
fn refuse_top_level_dollar(path: &UpdatePath) -> Result<(), CommandError> {
    match path.parts.first() {
        Some(super::path::Part::Field(first)) if first.starts_with('$') => Err(CommandError::new(
            52,
            "DollarPrefixedFieldName",
            format!(
                "The dollar ($) prefixed field '{first}' in '{}' is not valid for storage.",
                path.text
            ),
        )),
        _ => Ok(()),
    }
}

fn parse_kind(
    operator: &str,
    field: &str,
    arg: &Bson,
    path: &UpdatePath,
) -> Result<Kind, CommandError> {
    Ok(match operator {
        "$set" => Kind::Set(arg.clone()),
        "$setOnInsert" => Kind::SetOnInsert(arg.clone()),
        "$unset" => Kind::Unset,
        "$inc" => Kind::Arith(Arith::Inc, fields::numeric_arg(Arith::Inc, field, arg)?),
        "$mul" => Kind::Arith(Arith::Mul, fields::numeric_arg(Arith::Mul, field, arg)?),
        "$min" => Kind::Min(arg.clone()),
        "$max" => Kind::Max(arg.clone()),
        "$currentDate" => Kind::CurrentDate(DateKind::parse(field, arg)?),
        "$rename" => Kind::Rename(fields::rename_target(path, arg)?),
        "$push" => Kind::Push(Push::parse(arg)?),
        "$addToSet" => Kind::AddToSet(AddToSet::parse(arg)?),
        "$pop" => Kind::Pop(super::arrays::parse_pop(field, arg)?),
        "$pull" => Kind::Pull(Pull::parse(arg)?),
        "$pullAll" => Kind::PullAll(super::arrays::parse_pull_all(arg)?),
        "$bit" => Kind::Bit(BitOps::parse(field, arg)?),
        _ => {
            return Err(CommandError::failed_to_parse(format!(
                "Unknown modifier: {operator}. Expected a valid update modifier or \
                 pipeline-style update specified as an array"
            )))
        }
    })
}

/// Reject two modifiers whose paths overlap (`a` and `a`, or `a` and `a.b`),
/// counting both ends of a `$rename`.
///
/// Sorted by their parts, a path is followed directly by the paths it is a
/// prefix of, so comparing neighbours finds every overlap.
pub(super) fn check_conflicts(ops: &[Op]) -> Result<(), CommandError> {
    let mut paths: Vec<&UpdatePath> = Vec::with_capacity(ops.len());
    for op in ops {
        paths.push(&op.path);
        if let Kind::Rename(to) = &op.kind {
            paths.push(to);
        }
    }
    let mut sorted: Vec<(usize, &UpdatePath)> = paths.into_iter().enumerate().collect();
    sorted.sort_by(|(_, a), (_, b)| a.text_order(b));
    for pair in sorted.windows(2) {
        let [(i, a), (j, b)] = pair else { continue };
        if let Some(at) = a.conflict_with(b) {
            // MongoDB names the path it met second.
            let later = if i > j { a } else { b };
            return Err(CommandError::new(
                40,
                "ConflictingUpdateOperators",
                format!(
                    "Updating the path '{}' would create a conflict at '{at}'",
                    later.text
                ),
            ));
        }
    }
    Ok(())
}

/// The path that decides when a modifier runs: a `$rename` runs at its target.
pub(super) fn order_path(op: &Op) -> &UpdatePath {
    match &op.kind {
        Kind::Rename(to) => to,
        _ => &op.path,
    }
}

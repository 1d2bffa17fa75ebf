//! `$project`, `$addFields`/`$set` and `$unset`: a specification compiled
//! into a tree of paths, applied in one walk over each document. Computed
//! values are always evaluated against the input document.

use bson::{Bson, Document};

use super::err;
use crate::backend::memory::aggregate::deps::Deps;
use crate::backend::memory::aggregate::expr::{Expr, Vars};
use crate::error::CommandError;

#[derive(Debug, Clone)]
enum PNode {
    Include,
    Exclude,
    Computed(Expr),
    Sub(Vec<(String, PNode)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Only the named (and computed) fields, plus `_id` unless excluded.
    Inclusion,
    /// Everything but the named fields.
    Exclusion,
    /// Everything, plus the computed fields.
    AddFields,
}

/// A compiled `$project`, `$addFields`/`$set` or `$unset`.
#[derive(Debug, Clone)]
pub(crate) struct Projector {
    mode: Mode,
    tree: Vec<(String, PNode)>,
}

fn insert(
    tree: &mut Vec<(String, PNode)>,
    path: &[&str],
    node: PNode,
    full: &str,
) -> Result<(), CommandError> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(());
    };
    let pos = tree.iter().position(|(k, _)| k == first);
    if rest.is_empty() {
        if pos.is_some() {
            return Err(err(
                31250,
                format!("Invalid $project :: caused by :: Path collision at {full}"),
            ));
        }
        tree.push(((*first).to_owned(), node));
        return Ok(());
    }
    let idx = match pos {
        Some(i) => i,
        None => {
            tree.push(((*first).to_owned(), PNode::Sub(Vec::new())));
            tree.len() - 1
        }
    };
    match tree.get_mut(idx) {
        Some((_, PNode::Sub(sub))) => insert(sub, rest, node, full),
        _ => Err(err(
            31250,
            format!("Invalid $project :: caused by :: Path collision at {full}"),
        )),
    }
}

fn check_field(k: &str) -> Result<Vec<&str>, CommandError> {
    let parts: Vec<&str> = k.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(err(
            15998,
            format!("FieldPath field names may not be empty strings: '{k}'"),
        ));
    }
    if parts.iter().any(|p| p.starts_with('$')) {
        return Err(err(16410, format!("FieldPath field names may not start with '$'. Consider using $getField or $setField: '{k}'")));
    }
    Ok(parts)
}

fn is_operator_doc(d: &Document) -> bool {
    d.keys().next().is_some_and(|k| k.starts_with('$'))
}

/// Parse one specification level into `tree`, prefixing nested keys.
fn parse(
    spec: &Document,
    prefix: &str,
    tree: &mut Vec<(String, PNode)>,
    add_fields: bool,
) -> Result<(), CommandError> {
    for (k, v) in spec {
        let full = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        check_field(k)?;
        let node = match v {
            Bson::Document(d) if !is_operator_doc(d) => {
                if d.is_empty() {
                    if add_fields {
                        PNode::Computed(Expr::compile(v)?)
                    } else {
                        return Err(err(51270, format!("Invalid $project :: caused by :: An empty sub-projection is not a valid value. Found empty object at path {full}")));
                    }
                } else {
                    parse(d, &full, tree, add_fields)?;
                    continue;
                }
            }
            Bson::Boolean(_)
            | Bson::Int32(_)
            | Bson::Int64(_)
            | Bson::Double(_)
            | Bson::Decimal128(_)
                if !add_fields =>
            {
                if crate::backend::memory::aggregate::expr::truthy(v) {
                    PNode::Include
                } else {
                    PNode::Exclude
                }
            }
            other => PNode::Computed(Expr::compile(other)?),
        };
        let parts = check_field(&full)?;
        insert(tree, &parts, node, &full)?;
    }
    Ok(())
}

fn any_node(tree: &[(String, PNode)], top: bool, f: &dyn Fn(&PNode) -> bool) -> bool {
    tree.iter().any(|(k, n)| match n {
        PNode::Sub(sub) => any_node(sub, false, f),
        _ if top && k == "_id" => false,
        n => f(n),
    })
}

impl Projector {
    /// Compile `$project`.
    pub(crate) fn project(spec: &Document) -> Result<Self, CommandError> {
        if spec.is_empty() {
            return Err(err(51272, "Invalid $project :: caused by :: projection specification must have at least one field"));
        }
        let mut tree = Vec::new();
        parse(spec, "", &mut tree, false)?;
        let excludes = any_node(&tree, true, &|n| matches!(n, PNode::Exclude));
        let includes = any_node(&tree, true, &|n| {
            matches!(n, PNode::Include | PNode::Computed(_))
        });
        let id_included = tree
            .iter()
            .any(|(k, n)| k == "_id" && !matches!(n, PNode::Exclude));
        let mode = match (excludes, includes || id_included) {
            (true, true) => {
                let msg = if includes {
                    "Invalid $project :: caused by :: Cannot do exclusion on field in inclusion projection"
                } else {
                    "Invalid $project :: caused by :: Cannot do inclusion on field in exclusion projection"
                };
                return Err(err(31254, msg));
            }
            (true, false) => Mode::Exclusion,
            (false, true) => Mode::Inclusion,
            // Only `_id: 0`.
            (false, false) => Mode::Exclusion,
        };
        if mode == Mode::Inclusion && !tree.iter().any(|(k, _)| k == "_id") {
            tree.insert(0, ("_id".to_owned(), PNode::Include));
        }
        Ok(Projector { mode, tree })
    }

    /// Compile `$addFields` (alias `$set`).
    pub(crate) fn add_fields(stage: &str, spec: &Document) -> Result<Self, CommandError> {
        if spec.is_empty() {
            return Err(err(
                40177,
                format!(
                    "Invalid {stage} :: caused by :: specification must have at least one field"
                ),
            ));
        }
        let mut tree = Vec::new();
        parse(spec, "", &mut tree, true)?;
        Ok(Projector {
            mode: Mode::AddFields,
            tree,
        })
    }

    /// Compile `$unset`: a field name or an array of them.
    pub(crate) fn unset(spec: &Bson) -> Result<Self, CommandError> {
        let fields: Vec<&str> = match spec {
            Bson::String(s) => vec![s.as_str()],
            Bson::Array(a) if !a.is_empty() => a
                .iter()
                .map(|f| match f {
                    Bson::String(s) => Ok(s.as_str()),
                    _ => Err(err(31120, "$unset specification must be a string or an array containing only string values")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(err(31002, "$unset specification must be a string or an array with at least one field")),
        };
        let mut tree = Vec::new();
        for f in fields {
            let parts = check_field(f)?;
            insert(&mut tree, &parts, PNode::Exclude, f)?;
        }
        Ok(Projector {
            mode: Mode::Exclusion,
            tree,
        })
    }

    /// Record what the stage reads; `true` for an inclusion `$project`,
    /// whose output holds only what it names.
    pub(crate) fn deps(&self, deps: &mut Deps) -> bool {
        fn computed(tree: &[(String, PNode)], deps: &mut Deps) {
            for (_, n) in tree {
                match n {
                    PNode::Computed(e) => deps.node(e.node()),
                    PNode::Sub(sub) => computed(sub, deps),
                    PNode::Include | PNode::Exclude => {}
                }
            }
        }
        if self.mode == Mode::Exclusion {
            return false;
        }
        computed(&self.tree, deps);
        // Included and nested paths read their field (a nested computed
        // value merges into it); a computed top-level field does not.
        for (k, n) in &self.tree {
            if matches!(n, PNode::Include | PNode::Sub(_)) {
                deps.field(k);
            }
        }
        self.mode == Mode::Inclusion
    }

    /// Apply to a document the caller gives up: `$addFields` and exclusions
    /// edit it in place instead of copying every field.
    pub(crate) fn apply_owned(
        &self,
        mut doc: Document,
        vars: &Vars,
    ) -> Result<Document, CommandError> {
        match self.mode {
            Mode::Exclusion => {
                exclude_in_place(&self.tree, &mut doc);
                Ok(doc)
            }
            Mode::AddFields => {
                // Every value is computed from the input before any is set.
                let vals = compute(&self.tree, &doc, vars)?;
                add_in_place(&self.tree, &vals, &mut doc);
                Ok(doc)
            }
            Mode::Inclusion => self.apply(&doc, vars),
        }
    }

    /// Apply to one document.
    pub(crate) fn apply(&self, doc: &Document, vars: &Vars) -> Result<Document, CommandError> {
        match self.mode {
            Mode::Exclusion => Ok(exclude(&self.tree, doc)),
            _ => include(&self.tree, doc, doc, vars, self.mode == Mode::AddFields),
        }
    }
}

fn exclude_in_place(tree: &[(String, PNode)], doc: &mut Document) {
    for (k, n) in tree {
        match n {
            PNode::Exclude => {
                doc.remove(k);
            }
            PNode::Sub(sub) => {
                if let Some(v) = doc.get_mut(k) {
                    exclude_value_in_place(sub, v);
                }
            }
            _ => {}
        }
    }
}

fn exclude_value_in_place(sub: &[(String, PNode)], v: &mut Bson) {
    match v {
        Bson::Document(d) => exclude_in_place(sub, d),
        Bson::Array(items) => items
            .iter_mut()
            .for_each(|i| exclude_value_in_place(sub, i)),
        _ => {}
    }
}

/// Computed values, in the shape of the specification tree.
enum Val {
    Leaf(Option<Bson>),
    Sub(Vec<Val>),
    None,
}

fn compute(
    tree: &[(String, PNode)],
    root: &Document,
    vars: &Vars,
) -> Result<Vec<Val>, CommandError> {
    tree.iter()
        .map(|(_, n)| match n {
            PNode::Computed(e) => Ok(Val::Leaf(e.eval(root, vars)?)),
            PNode::Sub(sub) => Ok(Val::Sub(compute(sub, root, vars)?)),
            _ => Ok(Val::None),
        })
        .collect()
}

/// `$addFields` into `doc`: existing fields keep their place, new ones come
/// last in specification order, `$$REMOVE` removes.
fn add_in_place(tree: &[(String, PNode)], vals: &[Val], doc: &mut Document) {
    for ((k, n), val) in tree.iter().zip(vals) {
        match (n, val) {
            (PNode::Computed(_), Val::Leaf(Some(v))) => {
                doc.insert(k.clone(), v.clone());
            }
            (PNode::Computed(_), Val::Leaf(None)) => {
                doc.remove(k);
            }
            (PNode::Sub(sub), Val::Sub(sub_vals)) => match doc.get_mut(k) {
                Some(v @ (Bson::Document(_) | Bson::Array(_))) => {
                    add_value_in_place(sub, sub_vals, v)
                }
                _ => {
                    let mut fresh = Document::new();
                    add_in_place(sub, sub_vals, &mut fresh);
                    doc.insert(k.clone(), fresh);
                }
            },
            _ => {}
        }
    }
}

fn add_value_in_place(sub: &[(String, PNode)], vals: &[Val], v: &mut Bson) {
    match v {
        Bson::Document(d) => add_in_place(sub, vals, d),
        Bson::Array(items) => items
            .iter_mut()
            .for_each(|i| add_value_in_place(sub, vals, i)),
        other => {
            // A scalar in the way becomes a document of the computed fields.
            let mut fresh = Document::new();
            add_in_place(sub, vals, &mut fresh);
            *other = Bson::Document(fresh);
        }
    }
}

fn exclude(tree: &[(String, PNode)], doc: &Document) -> Document {
    let mut out = Document::new();
    for (k, v) in doc {
        match tree.iter().find(|(n, _)| n == k).map(|(_, n)| n) {
            Some(PNode::Exclude) => {}
            Some(PNode::Sub(sub)) => {
                out.insert(k.clone(), exclude_value(sub, v));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

fn exclude_value(sub: &[(String, PNode)], v: &Bson) -> Bson {
    match v {
        Bson::Document(d) => Bson::Document(exclude(sub, d)),
        Bson::Array(items) => Bson::Array(items.iter().map(|i| exclude_value(sub, i)).collect()),
        other => other.clone(),
    }
}

fn has_computed(tree: &[(String, PNode)]) -> bool {
    tree.iter().any(|(_, n)| match n {
        PNode::Computed(_) => true,
        PNode::Sub(s) => has_computed(s),
        _ => false,
    })
}

/// Inclusion (`keep_all` false) or `$addFields` (`keep_all` true) of one level.
fn include(
    tree: &[(String, PNode)],
    doc: &Document,
    root: &Document,
    vars: &Vars,
    keep_all: bool,
) -> Result<Document, CommandError> {
    let mut out = Document::new();
    // Existing fields first, in document order.
    for (k, v) in doc {
        match tree.iter().find(|(n, _)| n == k).map(|(_, n)| n) {
            Some(PNode::Include) => {
                out.insert(k.clone(), v.clone());
            }
            Some(PNode::Sub(sub)) => {
                if let Some(nv) = include_value(sub, v, root, vars, keep_all)? {
                    out.insert(k.clone(), nv);
                }
            }
            // Computed fields keep the existing position in `$addFields`.
            Some(PNode::Computed(_)) if keep_all => {
                out.insert(k.clone(), Bson::Null);
            }
            None if keep_all => {
                out.insert(k.clone(), v.clone());
            }
            _ => {}
        }
    }
    // Then computed fields in specification order.
    for (k, n) in tree {
        match n {
            PNode::Computed(e) => match e.eval(root, vars)? {
                Some(v) => {
                    out.insert(k.clone(), v);
                }
                None => {
                    out.remove(k);
                }
            },
            PNode::Sub(sub) if !doc.contains_key(k) && has_computed(sub) => {
                let empty = Document::new();
                out.insert(
                    k.clone(),
                    Bson::Document(include(sub, &empty, root, vars, keep_all)?),
                );
            }
            _ => {}
        }
    }
    Ok(out)
}

fn include_value(
    sub: &[(String, PNode)],
    v: &Bson,
    root: &Document,
    vars: &Vars,
    keep_all: bool,
) -> Result<Option<Bson>, CommandError> {
    Ok(match v {
        Bson::Document(d) => Some(Bson::Document(include(sub, d, root, vars, keep_all)?)),
        Bson::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Bson::Document(_) | Bson::Array(_) => {
                        if let Some(x) = include_value(sub, item, root, vars, keep_all)? {
                            out.push(x);
                        }
                    }
                    _ if has_computed(sub) => {
                        let empty = Document::new();
                        out.push(Bson::Document(include(sub, &empty, root, vars, keep_all)?));
                    }
                    other if keep_all => out.push(other.clone()),
                    _ => {}
                }
            }
            Some(Bson::Array(out))
        }
        _ if has_computed(sub) => {
            let empty = Document::new();
            Some(Bson::Document(include(sub, &empty, root, vars, keep_all)?))
        }
        other if keep_all => Some(other.clone()),
        _ => None,
    })
}

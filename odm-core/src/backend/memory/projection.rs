//! Find projections: inclusion, exclusion, `_id` rules, dotted paths,
//! `$slice`, `$elemMatch`, the positional `$`, and computed fields.
//!
//! A projection compiles into a tree of path parts. Applying it copies the
//! kept elements' raw bytes into a new document; only computed fields
//! (aggregation expressions) decode the source document, once.

use bson::raw::{CString, RawArray, RawArrayBuf, RawBsonRef, RawDocument, RawDocumentBuf};
use bson::{doc, Bson, Document, RawBson};

use super::aggregate::expr::{Expr, Vars};
use super::matcher::Matcher;
use crate::error::CommandError;

/// A compiled projection.
#[derive(Debug, Clone)]
pub struct Projection {
    mode: Mode,
    tree: Tree,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The empty projection: the whole document.
    Whole,
    Include,
    Exclude,
}

/// Projection items by field name, in specification order.
#[derive(Debug, Clone, Default)]
struct Tree {
    fields: Vec<(String, Item)>,
}

#[derive(Debug, Clone)]
enum Item {
    Include,
    Exclude,
    Sub(Tree),
    Slice {
        skip: Option<i64>,
        limit: i64,
    },
    /// Matches `{e: [element]}` for each element of the array.
    ElemMatch(Box<Matcher>),
    Positional,
    Literal(RawBson),
    Expr(Box<Expr>),
}

fn bad_value(msg: impl Into<String>) -> CommandError {
    CommandError::new(2, "BadValue", msg)
}

impl Tree {
    fn get(&self, key: &str) -> Option<&Item> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, i)| i)
    }

    /// Insert `item` at a dotted path, refusing paths that overlap.
    fn insert(&mut self, parts: &[&str], full: &str, item: Item) -> Result<(), CommandError> {
        let collision =
            || CommandError::new(31250, "Location31250", format!("Path collision at {full}"));
        let Some((first, rest)) = parts.split_first() else {
            return Err(bad_value(format!("invalid projection field '{full}'")));
        };
        if first.is_empty() || first.starts_with('$') {
            return Err(bad_value(format!(
                "FieldPath field names may not be empty or start with '$': '{full}'"
            )));
        }
        let pos = self.fields.iter().position(|(k, _)| k == first);
        if rest.is_empty() {
            if pos.is_some() {
                return Err(collision());
            }
            self.fields.push(((*first).to_owned(), item));
            return Ok(());
        }
        let idx = match pos {
            Some(i) => i,
            None => {
                self.fields
                    .push(((*first).to_owned(), Item::Sub(Tree::default())));
                self.fields.len() - 1
            }
        };
        match self.fields.get_mut(idx) {
            Some((_, Item::Sub(t))) => t.insert(rest, full, item),
            _ => Err(collision()),
        }
    }

    fn has_computed(&self) -> bool {
        self.fields.iter().any(|(_, i)| match i {
            Item::Literal(_) | Item::Expr(_) => true,
            Item::Sub(t) => t.has_computed(),
            _ => false,
        })
    }
}

/// The mode an item asks for, if any: `Some(true)` inclusion, `Some(false)` exclusion.
fn item_mode(item: &Item) -> Option<bool> {
    match item {
        Item::Include
        | Item::ElemMatch(_)
        | Item::Positional
        | Item::Literal(_)
        | Item::Expr(_) => Some(true),
        Item::Exclude => Some(false),
        Item::Slice { .. } => None,
        Item::Sub(t) => t.fields.iter().find_map(|(_, i)| item_mode(i)),
    }
}

fn as_number(v: &Bson) -> Option<f64> {
    match v {
        Bson::Int32(i) => Some(f64::from(*i)),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(d) => Some(*d),
        Bson::Decimal128(d) => d.to_string().parse().ok(),
        _ => None,
    }
}

fn parse_slice(arg: &Bson) -> Result<Item, CommandError> {
    let int = |v: &Bson| as_number(v).filter(|n| n.is_finite()).map(|n| n as i64);
    match arg {
        Bson::Array(a) => match a.as_slice() {
            [skip, limit] => {
                let (Some(skip), Some(limit)) = (int(skip), int(limit)) else {
                    return Err(bad_value(
                        "$slice only supports numbers and [skip, limit] arrays",
                    ));
                };
                if limit <= 0 {
                    return Err(bad_value("$slice limit must be positive"));
                }
                Ok(Item::Slice {
                    skip: Some(skip),
                    limit,
                })
            }
            _ => Err(bad_value(
                "$slice array argument must be of the form [skip, limit]",
            )),
        },
        other => match int(other) {
            Some(limit) => Ok(Item::Slice { skip: None, limit }),
            None => Err(bad_value(
                "$slice only supports numbers and [skip, limit] arrays",
            )),
        },
    }
}

/// Compile one projection value into an item (nested projections recurse).
fn compile_value(
    tree: &mut Tree,
    prefix: &str,
    key: &str,
    value: &Bson,
) -> Result<(), CommandError> {
    let full = if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    };
    if let Some(array_path) = full.strip_suffix(".$") {
        let parts: Vec<&str> = array_path.split('.').collect();
        return tree.insert(&parts, &full, Item::Positional);
    }
    let item = match value {
        Bson::Boolean(b) => {
            if *b {
                Item::Include
            } else {
                Item::Exclude
            }
        }
        v if as_number(v).is_some() => {
            if as_number(v) == Some(0.0) {
                Item::Exclude
            } else {
                Item::Include
            }
        }
        Bson::Document(d) => match d.keys().next().map(String::as_str) {
            Some("$slice") => parse_slice(d.get("$slice").unwrap_or(&Bson::Null))?,
            Some("$elemMatch") => {
                if full.contains('.') {
                    return Err(bad_value(
                        "Cannot use $elemMatch projection on a nested field.",
                    ));
                }
                let spec = d.get("$elemMatch").unwrap_or(&Bson::Null);
                if !matches!(spec, Bson::Document(_)) {
                    return Err(bad_value("elemMatch: Invalid argument, object required."));
                }
                Item::ElemMatch(Box::new(Matcher::compile(
                    &doc! {"e": {"$elemMatch": spec.clone()}},
                )?))
            }
            Some("$meta") => {
                return Err(CommandError::new(
                    238,
                    "NotImplemented",
                    "$meta projections are not supported by the in-memory engine",
                ))
            }
            Some("$literal") => Item::Literal(to_raw(d.get("$literal").unwrap_or(&Bson::Null))?),
            Some(k) if k.starts_with('$') => Item::Expr(Box::new(Expr::compile(value)?)),
            Some(_) => {
                for (k, v) in d {
                    compile_value(tree, &full, k, v)?;
                }
                return Ok(());
            }
            None => {
                return Err(CommandError::new(
                    51270,
                    "Location51270",
                    "An empty sub-projection is not a valid value. Found empty object at path",
                ))
            }
        },
        Bson::String(s) if s.starts_with('$') => Item::Expr(Box::new(Expr::compile(value)?)),
        Bson::Array(_) => Item::Expr(Box::new(Expr::compile(value)?)),
        other => Item::Literal(to_raw(other)?),
    };
    let parts: Vec<&str> = full.split('.').collect();
    tree.insert(&parts, &full, item)
}

fn to_raw(v: &Bson) -> Result<RawBson, CommandError> {
    RawBson::try_from(v.clone()).map_err(|e| bad_value(format!("invalid projection value: {e}")))
}

impl Projection {
    /// Compile a projection; mixing inclusion and exclusion is MongoDB's error.
    pub fn compile(spec: &Document) -> Result<Self, CommandError> {
        let mut tree = Tree::default();
        for (k, v) in spec {
            compile_value(&mut tree, "", k, v)?;
        }
        let mut mode = None;
        for (k, item) in &tree.fields {
            let Some(m) = item_mode(item) else { continue };
            // `_id: 0` and `_id: 1` go with either mode.
            if k == "_id" && matches!(item, Item::Include | Item::Exclude) {
                continue;
            }
            match mode {
                None => mode = Some(m),
                Some(prev) if prev != m => {
                    return Err(if prev {
                        CommandError::new(
                            31254,
                            "Location31254",
                            format!("Cannot do exclusion on field {k} in inclusion projection"),
                        )
                    } else {
                        CommandError::new(
                            31253,
                            "Location31253",
                            format!("Cannot do inclusion on field {k} in exclusion projection"),
                        )
                    });
                }
                _ => {}
            }
        }
        let positional = count_positional(&tree);
        if positional > 1 {
            return Err(bad_value(
                "Cannot specify more than one positional projection per query.",
            ));
        }
        let mode = match mode {
            Some(true) => Mode::Include,
            Some(false) => Mode::Exclude,
            None => match tree.get("_id") {
                Some(Item::Include) => Mode::Include,
                _ if tree.fields.is_empty() => Mode::Whole,
                _ => Mode::Exclude,
            },
        };
        if mode == Mode::Include && tree.get("_id").is_none() {
            tree.fields.insert(0, ("_id".to_owned(), Item::Include));
        }
        Ok(Projection { mode, tree })
    }

    /// Project `doc`. `positional` is the array index the filter matched, for `field.$`.
    pub fn apply(
        &self,
        doc: &RawDocument,
        positional: Option<usize>,
    ) -> Result<RawDocumentBuf, CommandError> {
        let mut ctx = ApplyCtx {
            root: doc,
            decoded: None,
            positional,
        };
        match self.mode {
            Mode::Whole => Ok(doc.to_owned()),
            Mode::Include => include(doc, &self.tree, &mut ctx),
            Mode::Exclude => exclude(doc, &self.tree),
        }
    }
}

fn count_positional(t: &Tree) -> usize {
    t.fields
        .iter()
        .map(|(_, i)| match i {
            Item::Positional => 1,
            Item::Sub(t) => count_positional(t),
            _ => 0,
        })
        .sum()
}

struct ApplyCtx<'a> {
    root: &'a RawDocument,
    decoded: Option<Document>,
    positional: Option<usize>,
}

impl ApplyCtx<'_> {
    fn eval(&mut self, e: &Expr) -> Result<Option<Bson>, CommandError> {
        let root = match &mut self.decoded {
            Some(d) => d,
            slot => slot.insert(
                Document::try_from(self.root)
                    .map_err(|err| bad_value(format!("invalid document: {err}")))?,
            ),
        };
        e.eval(root, &Vars::default())
    }
}

fn key_cstr(k: &str) -> Result<CString, CommandError> {
    CString::try_from(k.to_owned()).map_err(|e| bad_value(format!("invalid field name: {e}")))
}

fn include(
    doc: &RawDocument,
    tree: &Tree,
    ctx: &mut ApplyCtx<'_>,
) -> Result<RawDocumentBuf, CommandError> {
    let mut out = RawDocumentBuf::new();
    let mut seen: Vec<&str> = Vec::new();
    for elem in doc.iter_elements() {
        let Ok(elem) = elem else { break };
        let key = elem.key();
        let Some(item) = tree.get(key.as_str()) else {
            continue;
        };
        let Ok(value) = elem.value() else { continue };
        seen.push(key.as_str());
        match item {
            Item::Include => out.append(key, value),
            Item::Sub(t) => match value {
                RawBsonRef::Document(d) => out.append(key, include(d, t, ctx)?),
                RawBsonRef::Array(a) => out.append(key, include_array(a, t, ctx)?),
                _ => {}
            },
            Item::Slice { skip, limit } => out.append(key, slice(value, *skip, *limit)),
            Item::ElemMatch(m) => {
                if let RawBsonRef::Array(a) = value {
                    if let Some(e) = first_elem_match(a, m)? {
                        let mut arr = RawArrayBuf::new();
                        arr.push(e);
                        out.append(key, arr);
                    }
                }
            }
            Item::Positional => {
                if let RawBsonRef::Array(a) = value {
                    let e = ctx
                        .positional
                        .and_then(|i| a.get(i).ok().flatten())
                        .ok_or_else(|| {
                            CommandError::new(
                                51246,
                                "Location51246",
                                "positional operator '.$' couldn't find a matching element in the array",
                            )
                        })?;
                    let mut arr = RawArrayBuf::new();
                    arr.push(e);
                    out.append(key, arr);
                }
            }
            Item::Exclude | Item::Literal(_) | Item::Expr(_) => {}
        }
    }
    // Computed fields follow the kept ones, in specification order.
    for (k, item) in &tree.fields {
        match item {
            Item::Literal(v) => out.append(key_cstr(k)?, v.clone()),
            Item::Expr(e) => {
                if let Some(v) = ctx.eval(e)? {
                    out.append(key_cstr(k)?, to_raw(&v)?);
                }
            }
            Item::Sub(t) if !seen.contains(&k.as_str()) && t.has_computed() => {
                let empty = RawDocumentBuf::new();
                out.append(key_cstr(k)?, include(&empty, t, ctx)?);
            }
            _ => {}
        }
    }
    Ok(out)
}

fn include_array(
    a: &RawArray,
    tree: &Tree,
    ctx: &mut ApplyCtx<'_>,
) -> Result<RawArrayBuf, CommandError> {
    let mut out = RawArrayBuf::new();
    for e in a.into_iter().flatten() {
        match e {
            RawBsonRef::Document(d) => out.push(include(d, tree, ctx)?),
            RawBsonRef::Array(inner) => out.push(include_array(inner, tree, ctx)?),
            _ => {}
        }
    }
    Ok(out)
}

fn exclude(doc: &RawDocument, tree: &Tree) -> Result<RawDocumentBuf, CommandError> {
    let mut out = RawDocumentBuf::new();
    for elem in doc.iter_elements() {
        let Ok(elem) = elem else { break };
        let key = elem.key();
        let Ok(value) = elem.value() else { continue };
        match tree.get(key.as_str()) {
            None | Some(Item::Include) => out.append(key, value),
            Some(Item::Exclude) => {}
            Some(Item::Sub(t)) => match value {
                RawBsonRef::Document(d) => out.append(key, exclude(d, t)?),
                RawBsonRef::Array(a) => out.append(key, exclude_array(a, t)?),
                _ => out.append(key, value),
            },
            Some(Item::Slice { skip, limit }) => out.append(key, slice(value, *skip, *limit)),
            Some(_) => out.append(key, value),
        }
    }
    Ok(out)
}

fn exclude_array(a: &RawArray, tree: &Tree) -> Result<RawArrayBuf, CommandError> {
    let mut out = RawArrayBuf::new();
    for e in a.into_iter().flatten() {
        match e {
            RawBsonRef::Document(d) => out.push(exclude(d, tree)?),
            RawBsonRef::Array(inner) => out.push(exclude_array(inner, tree)?),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// `$slice`: `n` first, `-n` last, `[skip, n]` (a negative skip counts from
/// the end). Non-arrays are returned unchanged.
fn slice(value: RawBsonRef<'_>, skip: Option<i64>, limit: i64) -> RawBson {
    let RawBsonRef::Array(a) = value else {
        return value.into();
    };
    let len = a.into_iter().count() as i64;
    let (start, count) = match skip {
        None if limit >= 0 => (0, limit),
        None => ((len + limit).max(0), len),
        Some(s) if s < 0 => ((len + s).max(0), limit),
        Some(s) => (s.min(len), limit),
    };
    let out: RawArrayBuf = a
        .into_iter()
        .flatten()
        .skip(usize::try_from(start).unwrap_or(0))
        .take(usize::try_from(count).unwrap_or(0))
        .collect();
    RawBson::Array(out)
}

fn first_elem_match<'a>(
    a: &'a RawArray,
    m: &Matcher,
) -> Result<Option<RawBsonRef<'a>>, CommandError> {
    for e in a.into_iter().flatten() {
        let mut arr = RawArrayBuf::new();
        arr.push(e);
        let mut probe = RawDocumentBuf::new();
        probe.append(cstr_e(), arr);
        if m.matches(&probe)? {
            return Ok(Some(e));
        }
    }
    Ok(None)
}

fn cstr_e() -> &'static bson::raw::CStr {
    bson::raw::cstr!("e")
}

#[cfg(test)]
mod tests;

//! Update paths: parsing dotted paths with their positional parts, and
//! walking a document to the values a modifier applies to, creating the
//! missing parts (intermediate documents, null-padded array slots) the way
//! MongoDB does.

use std::borrow::Cow;
use std::cmp::Ordering;

use bson::{Bson, Document};

use super::compile::Op;
use super::filters::ArrayFilters;
use super::ApplyContext;
use crate::error::CommandError;
use crate::value::display_bson;

/// One component of an update path.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Part {
    /// A field name, or an array index when the value there is an array.
    Field(String),
    /// `$`: the array index the query matched.
    Positional,
    /// `$[]`: every element of the array.
    All,
    /// `$[id]`: the elements matching the array filter `id`.
    Filtered(String),
}

impl Part {
    fn text(&self) -> Cow<'_, str> {
        match self {
            Part::Field(f) => f.as_str().into(),
            Part::Positional => "$".into(),
            Part::All => "$[]".into(),
            Part::Filtered(id) => format!("$[{id}]").into(),
        }
    }

    fn is_array_update(&self) -> bool {
        matches!(self, Part::All | Part::Filtered(_) | Part::Positional)
    }
}

/// A parsed update path (`a.b.$[x].c`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct UpdatePath {
    pub text: String,
    pub parts: Vec<Part>,
}

impl UpdatePath {
    /// Parse a dotted update path, rejecting empty components and more than one `$`.
    pub fn parse(text: &str) -> Result<Self, CommandError> {
        if text.is_empty() {
            return Err(CommandError::new(
                56,
                "EmptyFieldName",
                "An empty update path is not valid.",
            ));
        }
        let mut parts = Vec::new();
        for raw in text.split('.') {
            if raw.is_empty() {
                return Err(CommandError::new(
                    56,
                    "EmptyFieldName",
                    format!(
                        "The update path '{text}' contains an empty field name, which is not allowed."
                    ),
                ));
            }
            let part = match raw {
                "$" => Part::Positional,
                "$[]" => Part::All,
                _ => match raw.strip_prefix("$[").and_then(|r| r.strip_suffix(']')) {
                    Some(id) => Part::Filtered(id.to_string()),
                    None => Part::Field(raw.to_string()),
                },
            };
            parts.push(part);
        }
        if parts.iter().filter(|p| **p == Part::Positional).count() > 1 {
            return Err(CommandError::bad_value(format!(
                "Too many positional (i.e. '$') elements found in path '{text}'"
            )));
        }
        match parts.first() {
            Some(Part::Positional) => {
                return Err(CommandError::bad_value(format!(
                    "Cannot have positional (i.e. '$') element in the first position in path \
                     '{text}'"
                )))
            }
            Some(Part::All | Part::Filtered(_)) => {
                return Err(CommandError::bad_value(format!(
                    "Cannot have array filter identifier (i.e. '$[<id>]') element in the first \
                     position in path '{text}'"
                )))
            }
            _ => {}
        }
        Ok(UpdatePath {
            text: text.to_string(),
            parts,
        })
    }

    /// Whether any part is `$`, `$[]` or `$[id]`.
    pub fn is_dynamic(&self) -> bool {
        self.parts.iter().any(Part::is_array_update)
    }

    /// The identifiers of the `$[id]` parts.
    pub fn identifiers(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Filtered(id) => Some(id.as_str()),
            _ => None,
        })
    }

    /// The common prefix of two paths when one is a prefix of the other: the
    /// two would update overlapping values.
    pub fn conflict_with(&self, other: &UpdatePath) -> Option<String> {
        let n = self.parts.len().min(other.parts.len());
        let same = self
            .parts
            .iter()
            .zip(&other.parts)
            .all(|(a, b)| a.text() == b.text());
        same.then(|| self.prefix(n))
    }

    /// Whether, once `$`, `$[]` and `$[id]` are resolved, the first `n`
    /// parts of the two paths may reach the same value.
    pub fn may_meet(&self, other: &UpdatePath, n: usize) -> bool {
        let dynamic_or_index = |p: &Part| match p {
            Part::Field(f) => parse_index(f).is_some(),
            _ => true,
        };
        let dynamic = |p: &Part| p.is_array_update();
        self.parts.iter().zip(&other.parts).take(n).all(|(a, b)| {
            a.text() == b.text()
                || (dynamic(a) && dynamic_or_index(b))
                || (dynamic(b) && dynamic_or_index(a))
        })
    }

    /// The position of the last `$[id]` part.
    pub fn last_filtered(&self) -> Option<usize> {
        self.parts
            .iter()
            .rposition(|p| matches!(p, Part::Filtered(_)))
    }

    /// Order by parts as text, so a path directly precedes the paths it prefixes.
    pub fn text_order(&self, other: &UpdatePath) -> Ordering {
        self.parts
            .iter()
            .map(Part::text)
            .cmp(other.parts.iter().map(Part::text))
    }

    /// The first `n` parts joined with dots.
    pub fn prefix(&self, n: usize) -> String {
        let parts: Vec<_> = self.parts.iter().take(n).map(Part::text).collect();
        parts.join(".")
    }

    /// The order MongoDB applies updates in: field by field, numeric names by value.
    pub fn apply_order(&self, other: &UpdatePath) -> Ordering {
        for (a, b) in self.parts.iter().zip(&other.parts) {
            let (ta, tb) = (a.text(), b.text());
            let o = match (parse_index(&ta), parse_index(&tb)) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => ta.cmp(&tb),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.parts.len().cmp(&other.parts.len())
    }
}

/// A path component read as an array index (`"3"`; no sign, no leading `+`).
pub(super) fn parse_index(s: &str) -> Option<usize> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// How many nulls MongoDB pads an array with, at most, to set an index past its end.
const MAX_PADDING: usize = 1_500_000;

/// What a walk needs besides the path: the context, the array filters,
/// the touched fields as they were and, for messages, the `_id`.
pub(super) struct Walk<'a> {
    pub ctx: &'a ApplyContext,
    pub filters: &'a ArrayFilters,
    pub original: Originals<'a>,
    pub id: Option<&'a Bson>,
}

/// The top-level fields an update touches, as they were before it: name,
/// position and value (`None` when absent).
pub(super) type Saved<'a> = Vec<(Option<usize>, &'a str, Option<Bson>)>;

/// Read access to [`Saved`] fields by concrete path.
#[derive(Clone, Copy)]
pub(super) struct Originals<'a>(pub &'a [(Option<usize>, &'a str, Option<Bson>)]);

impl Originals<'_> {
    /// The value that was at `path` (field names and array indexes).
    pub fn get(&self, path: &[String]) -> Option<&Bson> {
        let (head, rest) = path.split_first()?;
        let (_, _, value) = self.0.iter().find(|(_, name, _)| *name == head.as_str())?;
        let mut cur = value.as_ref()?;
        for part in rest {
            cur = match cur {
                Bson::Document(d) => d.get(part)?,
                Bson::Array(a) => a.get(parse_index(part)?)?,
                _ => return None,
            };
        }
        Some(cur)
    }
}

impl Walk<'_> {
    /// `{_id: 1}` for error messages.
    pub fn id_text(&self) -> String {
        match self.id {
            Some(id) => format!("{{_id: {}}}", display_bson(id)),
            None => "{}".to_string(),
        }
    }
}

/// The concrete paths a modifier reached, kept only for modifiers whose
/// dynamic paths (`$`, `$[]`, `$[id]`) may meet another modifier's.
#[derive(Debug, Default)]
pub(super) struct Trail {
    on: bool,
    stack: Vec<String>,
    /// The paths updated, created or removed, dotted.
    pub hits: Vec<String>,
}

impl Trail {
    /// A trail that records (`on`) or costs nothing.
    pub fn new(on: bool) -> Self {
        Trail {
            on,
            ..Trail::default()
        }
    }

    fn push(&mut self, part: &str) {
        if self.on {
            self.stack.push(part.to_string());
        }
    }

    fn push_index(&mut self, index: usize) {
        if self.on {
            self.stack.push(index.to_string());
        }
    }

    fn pop(&mut self) {
        if self.on {
            self.stack.pop();
        }
    }

    fn hit(&mut self) {
        if self.on {
            self.hits.push(self.stack.join("."));
        }
    }
}

/// Apply `op` to every value its path designates under `node` (the value at
/// `path.parts[..i]`). Returns whether anything changed.
pub(super) fn walk(
    node: &mut Bson,
    op: &Op,
    i: usize,
    w: &Walk<'_>,
    trail: &mut Trail,
) -> Result<bool, CommandError> {
    let path = &op.path;
    let Some(part) = path.parts.get(i) else {
        trail.hit();
        return op.update(node, w);
    };
    let name: Cow<'_, str> = match part {
        Part::All | Part::Filtered(_) => {
            let Bson::Array(items) = node else {
                return Err(CommandError::bad_value(format!(
                    "Cannot apply array updates to non-array element {}: {}",
                    path.prefix(i),
                    display_bson(node)
                )));
            };
            let mut changed = false;
            for (index, item) in items.iter_mut().enumerate() {
                trail.push_index(index);
                if let Part::Filtered(id) = part {
                    // Filters see the document as it was before this update,
                    // as MongoDB resolves every path before applying any.
                    let before = if trail.on {
                        w.original.get(&trail.stack)
                    } else {
                        None
                    };
                    if !w.filters.matches(id, before.unwrap_or(item))? {
                        trail.pop();
                        continue;
                    }
                }
                changed |= walk(item, op, i + 1, w, trail)?;
                trail.pop();
            }
            return Ok(changed);
        }
        Part::Positional => match w.ctx.positional {
            Some(index) => Cow::Owned(index.to_string()),
            None => return Err(no_positional_match()),
        },
        Part::Field(name) => Cow::Borrowed(name),
    };
    trail.push(&name);
    let result = step(node, &name, op, i, w, trail);
    trail.pop();
    result
}

/// [`walk`] one field (or array index) down from `node`.
fn step(
    node: &mut Bson,
    name: &str,
    op: &Op,
    i: usize,
    w: &Walk<'_>,
    trail: &mut Trail,
) -> Result<bool, CommandError> {
    let last = i + 1 == op.path.parts.len();
    match node {
        Bson::Document(doc) if last && op.is_unset() => {
            trail.hit();
            Ok(doc.remove(name).is_some())
        }
        Bson::Document(doc) => match doc.get_mut(name) {
            Some(child) => walk(child, op, i + 1, w, trail),
            None => match created(op, i, w)? {
                Some(value) => {
                    trail.hit();
                    doc.insert(name, value);
                    Ok(true)
                }
                None => Ok(false),
            },
        },
        Bson::Array(items) => {
            let Some(index) = parse_index(name) else {
                return non_viable(op, i, name, node);
            };
            if let Some(child) = items.get_mut(index) {
                if last && op.is_unset() {
                    // MongoDB keeps array positions: an unset element becomes null.
                    trail.hit();
                    return Ok(!matches!(std::mem::replace(child, Bson::Null), Bson::Null));
                }
                return walk(child, op, i + 1, w, trail);
            }
            match created(op, i, w)? {
                Some(_) if index - items.len() > MAX_PADDING => Err(CommandError::bad_value(
                    format!("can't backfill array to larger than {MAX_PADDING} elements"),
                )),
                Some(value) => {
                    trail.hit();
                    items.resize(index, Bson::Null);
                    items.push(value);
                    Ok(true)
                }
                None => Ok(false),
            }
        }
        _ => non_viable(op, i, name, node),
    }
}

/// The error of a `$` path when the query matched no array element.
pub(super) fn no_positional_match() -> CommandError {
    CommandError::bad_value("The positional operator did not find the match needed from the query.")
}

/// The value to insert where `op.path.parts[i]` is missing, wrapped in the
/// documents the rest of the path needs; `None` when `op` does not create.
fn created(op: &Op, i: usize, w: &Walk<'_>) -> Result<Option<Bson>, CommandError> {
    let rest = op.path.parts.get(i + 1..).unwrap_or_default();
    if let Some(at) = rest.iter().position(Part::is_array_update) {
        return Err(CommandError::bad_value(format!(
            "The path '{}' must exist in the document in order to apply array updates.",
            op.path.prefix(i + 1 + at)
        )));
    }
    let Some(mut value) = op.create(w)? else {
        return Ok(None);
    };
    for part in rest.iter().rev() {
        let mut doc = Document::new();
        doc.insert(part.text().into_owned(), value);
        value = Bson::Document(doc);
    }
    Ok(Some(value))
}

fn non_viable(op: &Op, i: usize, name: &str, node: &Bson) -> Result<bool, CommandError> {
    if op.tolerates_non_viable() {
        return Ok(false);
    }
    let parent = if i == 0 {
        String::new()
    } else {
        op.path
            .parts
            .get(i - 1)
            .map(|p| p.text().into_owned())
            .unwrap_or_default()
    };
    Err(CommandError::new(
        28,
        "PathNotViable",
        format!(
            "Cannot create field '{name}' in element {{{parent}: {}}}",
            display_bson(node)
        ),
    ))
}

/// The value at a plain dotted path (no positional parts), through documents only.
pub(super) fn get_dotted<'a>(doc: &'a Document, path: &str) -> Option<&'a Bson> {
    let mut parts = path.split('.');
    let mut cur = doc.get(parts.next()?)?;
    for part in parts {
        cur = match cur {
            Bson::Document(d) => d.get(part)?,
            Bson::Array(a) => a.get(parse_index(part)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_positional_parts() {
        let p = UpdatePath::parse("a.$.b.$[].c.$[x]").unwrap();
        assert_eq!(
            p.parts,
            vec![
                Part::Field("a".into()),
                Part::Positional,
                Part::Field("b".into()),
                Part::All,
                Part::Field("c".into()),
                Part::Filtered("x".into()),
            ]
        );
        assert!(p.is_dynamic());
        assert_eq!(p.identifiers().collect::<Vec<_>>(), vec!["x"]);
    }

    #[test]
    fn rejects_bad_paths() {
        assert_eq!(UpdatePath::parse("").unwrap_err().code, 56);
        assert_eq!(UpdatePath::parse("a..b").unwrap_err().code, 56);
        assert_eq!(UpdatePath::parse("a.$.b.$").unwrap_err().code, 2);
        assert_eq!(UpdatePath::parse("$.a").unwrap_err().code, 2);
        assert_eq!(UpdatePath::parse("$[].a").unwrap_err().code, 2);
        assert_eq!(UpdatePath::parse("$[x]").unwrap_err().code, 2);
    }

    #[test]
    fn conflicts_are_prefixes() {
        let a = UpdatePath::parse("a").unwrap();
        let ab = UpdatePath::parse("a.b").unwrap();
        let ac = UpdatePath::parse("ac").unwrap();
        assert_eq!(ab.conflict_with(&a).as_deref(), Some("a"));
        assert_eq!(a.conflict_with(&ac), None);
    }

    #[test]
    fn numeric_parts_order_by_value() {
        let p2 = UpdatePath::parse("a.2").unwrap();
        let p10 = UpdatePath::parse("a.10").unwrap();
        assert_eq!(p2.apply_order(&p10), Ordering::Less);
        let b = UpdatePath::parse("b").unwrap();
        assert_eq!(b.apply_order(&p10), Ordering::Greater);
    }

    #[test]
    fn index_parsing_is_strict() {
        assert_eq!(parse_index("12"), Some(12));
        assert_eq!(parse_index("-1"), None);
        assert_eq!(parse_index("+1"), None);
        assert_eq!(parse_index("1a"), None);
    }
}

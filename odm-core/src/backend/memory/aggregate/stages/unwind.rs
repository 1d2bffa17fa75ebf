//! `$unwind`: one output document per array element, with
//! `includeArrayIndex` and `preserveNullAndEmptyArrays`.

use bson::{Bson, Document};

use super::err;
use crate::error::CommandError;

/// A compiled `$unwind`.
#[derive(Debug, Clone)]
pub(crate) struct Unwind {
    path: Vec<String>,
    index_field: Option<String>,
    preserve: bool,
}

fn field_path(v: &Bson) -> Result<Vec<String>, CommandError> {
    match v {
        Bson::String(s) => match s.strip_prefix('$') {
            Some(p) if !p.is_empty() && !p.split('.').any(str::is_empty) && !p.starts_with('$') => {
                Ok(p.split('.').map(str::to_owned).collect())
            }
            _ => Err(err(
                28818,
                format!("path option to $unwind stage should be prefixed with a '$': {s}"),
            )),
        },
        other => Err(err(
            15981,
            format!(
                "expected either a string or an object as specification for $unwind stage, got {}",
                crate::backend::memory::aggregate::expr::type_name(other)
            ),
        )),
    }
}

impl Unwind {
    /// The unwound path.
    pub(crate) fn path(&self) -> &[String] {
        &self.path
    }

    pub(crate) fn compile(spec: &Bson) -> Result<Self, CommandError> {
        let Bson::Document(d) = spec else {
            return Ok(Unwind {
                path: field_path(spec)?,
                index_field: None,
                preserve: false,
            });
        };
        let mut u = Unwind {
            path: Vec::new(),
            index_field: None,
            preserve: false,
        };
        for (k, v) in d {
            match (k.as_str(), v) {
                ("path", v) => u.path = field_path(v)?,
                ("includeArrayIndex", Bson::String(s)) if !s.is_empty() && !s.starts_with('$') => {
                    u.index_field = Some(s.clone())
                }
                ("includeArrayIndex", _) => {
                    return Err(err(28822, "includeArrayIndex option to $unwind stage must be a non-empty string that does not start with '$'"))
                }
                ("preserveNullAndEmptyArrays", Bson::Boolean(b)) => u.preserve = *b,
                ("preserveNullAndEmptyArrays", _) => {
                    return Err(err(28809, "expected a boolean for the preserveNullAndEmptyArrays option to $unwind stage"))
                }
                (other, _) => {
                    return Err(err(28811, format!("unrecognized option to $unwind stage: {other}")))
                }
            }
        }
        if u.path.is_empty() {
            return Err(err(28812, "no path specified to $unwind stage"));
        }
        Ok(u)
    }

    pub(crate) fn run(&self, docs: Vec<Document>) -> Vec<Document> {
        let mut out = Vec::with_capacity(docs.len());
        for d in docs {
            match get(&d, &self.path) {
                Some(Bson::Array(items)) if !items.is_empty() => {
                    let items = items.clone();
                    for (i, item) in items.into_iter().enumerate() {
                        let mut copy = d.clone();
                        set(&mut copy, &self.path, item);
                        self.put_index(&mut copy, Bson::Int64(i as i64));
                        out.push(copy);
                    }
                }
                Some(Bson::Array(_)) => {
                    // An empty array is preserved as a missing field.
                    if self.preserve {
                        let mut copy = d;
                        remove(&mut copy, &self.path);
                        self.put_index(&mut copy, Bson::Null);
                        out.push(copy);
                    }
                }
                Some(Bson::Null | Bson::Undefined) | None => {
                    if self.preserve {
                        let mut copy = d;
                        self.put_index(&mut copy, Bson::Null);
                        out.push(copy);
                    }
                }
                Some(_) => {
                    let mut copy = d;
                    self.put_index(&mut copy, Bson::Null);
                    out.push(copy);
                }
            }
        }
        out
    }

    fn put_index(&self, d: &mut Document, v: Bson) {
        if let Some(f) = &self.index_field {
            let path: Vec<String> = f.split('.').map(str::to_owned).collect();
            set(d, &path, v);
        }
    }
}

/// The value at a dotted path through embedded documents only.
pub(crate) fn get<'a>(d: &'a Document, path: &[String]) -> Option<&'a Bson> {
    let (first, rest) = path.split_first()?;
    let v = d.get(first)?;
    if rest.is_empty() {
        return Some(v);
    }
    match v {
        Bson::Document(sub) => get(sub, rest),
        _ => None,
    }
}

/// Remove a dotted path through embedded documents.
fn remove(d: &mut Document, path: &[String]) {
    match path {
        [] => {}
        [last] => {
            d.remove(last);
        }
        [first, rest @ ..] => {
            if let Some(Bson::Document(sub)) = d.get_mut(first) {
                remove(sub, rest);
            }
        }
    }
}

/// Set a dotted path, creating (or replacing non-document) intermediates.
pub(crate) fn set(d: &mut Document, path: &[String], v: Bson) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        d.insert(first.clone(), v);
        return;
    }
    if !matches!(d.get(first), Some(Bson::Document(_))) {
        d.insert(first.clone(), Bson::Document(Document::new()));
    }
    if let Some(Bson::Document(sub)) = d.get_mut(first) {
        set(sub, rest, v);
    }
}

//! `$graphLookup` (a breadth-first search over another collection) and
//! `$redact` (document-level access control by `$$DESCEND`/`$$PRUNE`/`$$KEEP`).

use bson::{Bson, Document, RawDocumentBuf};

use super::group::key_bytes;
use super::lookup::{field_values, matches_any};
use super::{err, Ctx};
use crate::backend::memory::aggregate::expr::{type_name, Expr, Vars};
use crate::backend::memory::matcher::Matcher;
use crate::error::CommandError;

/// A compiled `$graphLookup`.
pub(crate) struct GraphLookup {
    from: String,
    start_with: Expr,
    connect_from: Vec<String>,
    connect_to: Vec<String>,
    as_path: Vec<String>,
    max_depth: Option<i64>,
    depth_field: Option<Vec<String>>,
    restrict: Option<Matcher>,
}

fn path_arg(v: &Bson, what: &str) -> Result<Vec<String>, CommandError> {
    match v {
        Bson::String(s) if !s.is_empty() && !s.starts_with('$') => {
            Ok(s.split('.').map(str::to_owned).collect())
        }
        _ => Err(err(
            40103,
            format!("$graphLookup '{what}' must be a field path without a leading '$'"),
        )),
    }
}

impl GraphLookup {
    pub(crate) fn compile(spec: &Document) -> Result<Self, CommandError> {
        let mut from = None;
        let mut start_with = None;
        let (mut connect_from, mut connect_to, mut as_path) = (None, None, None);
        let (mut max_depth, mut depth_field, mut restrict) = (None, None, None);
        for (k, v) in spec {
            match k.as_str() {
                "from" => match v {
                    Bson::String(s) => from = Some(s.clone()),
                    _ => return Err(err(40103, "$graphLookup 'from' must be a string")),
                },
                "startWith" => start_with = Some(Expr::compile(v)?),
                "connectFromField" => connect_from = Some(path_arg(v, k)?),
                "connectToField" => connect_to = Some(path_arg(v, k)?),
                "as" => as_path = Some(path_arg(v, k)?),
                "depthField" => depth_field = Some(path_arg(v, k)?),
                "maxDepth" => match crate::backend::memory::aggregate::expr::as_exact_int(v) {
                    Some(n) if n >= 0 => max_depth = Some(n),
                    _ => return Err(err(40101, "maxDepth requires a nonnegative argument")),
                },
                "restrictSearchWithMatch" => match v {
                    Bson::Document(d) => restrict = Some(Matcher::compile(d)?),
                    _ => return Err(err(40185, "restrictSearchWithMatch must be an object")),
                },
                other => {
                    return Err(err(
                        40104,
                        format!("Unknown argument to $graphLookup: {other}"),
                    ))
                }
            }
        }
        match (from, start_with, connect_from, connect_to, as_path) {
            (Some(from), Some(start_with), Some(connect_from), Some(connect_to), Some(as_path)) => {
                Ok(GraphLookup { from, start_with, connect_from, connect_to, as_path, max_depth, depth_field, restrict })
            }
            _ => Err(err(
                40105,
                "$graphLookup requires 'from', 'startWith', 'connectFromField', 'connectToField' and 'as'",
            )),
        }
    }

    pub(crate) fn run(
        &self,
        docs: Vec<Document>,
        ctx: &Ctx<'_>,
    ) -> Result<Vec<Document>, CommandError> {
        let mut foreign = Vec::new();
        for f in (ctx.lookup)(&self.from)? {
            let keep = match &self.restrict {
                Some(m) => m.matches(
                    &RawDocumentBuf::try_from(&f)
                        .map_err(|e| CommandError::bad_value(e.to_string()))?,
                )?,
                None => true,
            };
            if keep {
                foreign.push(f);
            }
        }
        let mut out = Vec::with_capacity(docs.len());
        for mut d in docs {
            let start = self.start_with.eval(&d, ctx.vars)?.unwrap_or(Bson::Null);
            let mut frontier = match start {
                Bson::Array(items) => items,
                v => vec![v],
            };
            let mut seen = std::collections::HashSet::new();
            let mut found = Vec::new();
            let mut depth = 0i64;
            while !frontier.is_empty() && self.max_depth.is_none_or(|m| depth <= m) {
                let mut next = Vec::new();
                for f in &foreign {
                    if !matches_any(f, &self.connect_to, &frontier) {
                        continue;
                    }
                    let mut key = Vec::new();
                    key_bytes(f.get("_id").unwrap_or(&Bson::Null), &mut key);
                    if !seen.insert(key) {
                        continue;
                    }
                    next.extend(field_values(f, &self.connect_from));
                    let mut hit = f.clone();
                    if let Some(p) = &self.depth_field {
                        super::unwind::set(&mut hit, p, Bson::Int64(depth));
                    }
                    found.push(Bson::Document(hit));
                }
                frontier = next;
                depth += 1;
            }
            super::unwind::set(&mut d, &self.as_path, Bson::Array(found));
            out.push(d);
        }
        Ok(out)
    }
}

/// `$redact`: the expression decides, level by level, to keep, prune or
/// descend into each (sub)document. Field paths are relative to the
/// document being decided.
pub(crate) fn redact(
    e: &Expr,
    doc: Document,
    vars: &Vars,
) -> Result<Option<Document>, CommandError> {
    let decision = e.eval(&doc, vars)?;
    match decision.as_ref() {
        Some(Bson::String(s)) if s == "keep" => Ok(Some(doc)),
        Some(Bson::String(s)) if s == "prune" => Ok(None),
        Some(Bson::String(s)) if s == "descend" => {
            let mut out = Document::new();
            for (k, v) in doc {
                if let Some(v) = redact_value(e, v, vars)? {
                    out.insert(k, v);
                }
            }
            Ok(Some(out))
        }
        other => Err(err(
            17053,
            format!(
                "$redact's expression should not return anything aside from the variables $$KEEP, $$DESCEND, and $$PRUNE, but returned {}",
                other.map_or("missing", type_name)
            ),
        )),
    }
}

fn redact_value(e: &Expr, v: Bson, vars: &Vars) -> Result<Option<Bson>, CommandError> {
    Ok(match v {
        Bson::Document(d) => redact(e, d, vars)?.map(Bson::Document),
        Bson::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Some(x) = redact_value(e, item, vars)? {
                    out.push(x);
                }
            }
            Some(Bson::Array(out))
        }
        other => Some(other),
    })
}

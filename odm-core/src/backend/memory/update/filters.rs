//! `arrayFilters`: one compiled filter per `$[identifier]`.
//!
//! A filter like `{"x.qty": {$gt: 5}}` speaks of the element as `x`, so an
//! element is tested as the document `{x: element}`: the same query then
//! works for scalar elements (`{x: {$gte: 100}}`) and document elements alike.

use bson::{Bson, Document};

use super::arrays::raw;
use crate::backend::memory::matcher::Matcher;
use crate::error::CommandError;

/// The compiled array filters of an update, by identifier.
#[derive(Debug, Clone, Default)]
pub(super) struct ArrayFilters {
    filters: Vec<(String, Matcher)>,
}

impl ArrayFilters {
    /// Compile each filter and check its identifier.
    pub fn compile(
        filters: Option<&[Document]>,
        let_vars: Option<&Document>,
    ) -> Result<Self, CommandError> {
        let mut compiled: Vec<(String, Matcher)> = Vec::new();
        for filter in filters.unwrap_or_default() {
            let id = identifier_of(filter)?;
            if compiled.iter().any(|(seen, _)| *seen == id) {
                return Err(CommandError::failed_to_parse(format!(
                    "Found multiple array filters with the same top-level field name {id}"
                )));
            }
            let matcher = Matcher::compile_with_vars(filter, let_vars)?;
            compiled.push((id, matcher));
        }
        Ok(ArrayFilters { filters: compiled })
    }

    /// Whether there is a filter for `id`.
    pub fn has(&self, id: &str) -> bool {
        self.filters.iter().any(|(k, _)| k == id)
    }

    /// The identifiers, in the order given.
    pub fn identifiers(&self) -> impl Iterator<Item = &str> {
        self.filters.iter().map(|(k, _)| k.as_str())
    }

    /// Whether `elem` passes the filter of `id` (a missing filter passes nothing;
    /// compiling the update rejects that case first).
    pub fn matches(&self, id: &str, elem: &Bson) -> Result<bool, CommandError> {
        let Some((_, matcher)) = self.filters.iter().find(|(k, _)| k == id) else {
            return Ok(false);
        };
        let mut wrapped = Document::new();
        wrapped.insert(id, elem.clone());
        matcher.matches(&raw(&wrapped)?)
    }
}

fn parse_error(message: String) -> CommandError {
    CommandError::failed_to_parse(format!(
        "Error parsing array filter :: caused by :: {message}"
    ))
}

/// The single identifier a filter speaks of: the first component of its
/// field paths, looking through `$and`/`$or`/`$nor`.
fn identifier_of(filter: &Document) -> Result<String, CommandError> {
    let mut found: Option<String> = None;
    collect_identifier(filter, &mut found)?;
    let id = found.ok_or_else(|| {
        CommandError::failed_to_parse(
            "Cannot use an expression without a top-level field name in arrayFilters",
        )
    })?;
    let mut chars = id.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric());
    if !valid {
        return Err(CommandError::bad_value(format!(
            "Error parsing array filter :: caused by :: The top-level field name must be an \
             alphanumeric string beginning with a lowercase letter, found '{id}'"
        )));
    }
    Ok(id)
}

fn collect_identifier(filter: &Document, found: &mut Option<String>) -> Result<(), CommandError> {
    for (key, value) in filter {
        if key.starts_with('$') {
            if let ("$and" | "$or" | "$nor", Bson::Array(clauses)) = (key.as_str(), value) {
                for clause in clauses {
                    if let Bson::Document(d) = clause {
                        collect_identifier(d, found)?;
                    }
                }
            }
            continue;
        }
        let id = key.split('.').next().unwrap_or_default();
        match found {
            Some(seen) if seen != id => {
                return Err(parse_error(format!(
                    "Expected a single top-level field name, found '{seen}' and '{id}'"
                )))
            }
            Some(_) => {}
            None => *found = Some(id.to_string()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn identifiers_are_found_and_checked() {
        assert_eq!(identifier_of(&doc! {"x.a": 1, "x.b": 2}).unwrap(), "x");
        assert_eq!(
            identifier_of(&doc! {"$or": [{"e.a": 1}, {"e": 2}]}).unwrap(),
            "e"
        );
        assert_eq!(identifier_of(&doc! {"x": 1, "y": 2}).unwrap_err().code, 9);
        assert_eq!(identifier_of(&doc! {}).unwrap_err().code, 9);
        assert_eq!(identifier_of(&doc! {"X": 1}).unwrap_err().code, 2);
        assert_eq!(identifier_of(&doc! {"a-b": 1}).unwrap_err().code, 2);
    }

    #[test]
    fn duplicate_identifiers_are_rejected() {
        let filters = [doc! {"x": 1}, doc! {"x.a": 2}];
        assert_eq!(
            ArrayFilters::compile(Some(&filters), None)
                .unwrap_err()
                .code,
            9
        );
        let ok = ArrayFilters::compile(Some(&[doc! {"x": 1}]), None).unwrap();
        assert!(ok.has("x") && !ok.has("y"));
    }
}

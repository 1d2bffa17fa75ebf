//! Dependency analysis: which top-level fields of the source documents a
//! pipeline can read, so the engine decodes only those (MongoDB's
//! `DepsTracker` does the same to avoid fetching whole documents).
//!
//! The analysis walks the stages until one replaces the documents with
//! values computed from the fields it names (`$group`, an inclusion
//! `$project`, `$replaceRoot`, `$count`, ...). Anything it cannot see
//! through (`$$ROOT`, `$lookup`, `$facet`, `$jsonSchema`, or reaching the end
//! of the pipeline with the documents still whole) asks for the whole
//! document. Over-approximating is always safe: it only decodes more.

use bson::raw::RawDocument;
use bson::{Bson, Document};

use super::expr::Node;
use super::stages::Stage;
use crate::error::CommandError;

/// The top-level fields a pipeline reads from its input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Deps {
    whole: bool,
    fields: Vec<String>,
}

impl Deps {
    /// Everything is needed.
    pub(crate) fn whole(&mut self) {
        self.whole = true;
    }

    /// The top-level field `name` is needed.
    pub(crate) fn field(&mut self, name: &str) {
        if !self.fields.iter().any(|f| f == name) {
            self.fields.push(name.to_owned());
        }
    }

    /// The field a dotted path starts at is needed; the empty path is the
    /// whole document.
    pub(crate) fn path(&mut self, path: &[String]) {
        match path.first() {
            Some(first) => self.field(first),
            None => self.whole(),
        }
    }

    /// The top-level fields needed (the whole document may be needed too).
    pub(crate) fn fields(&self) -> &[String] {
        &self.fields
    }

    /// Record what an expression reads from `$$CURRENT`/`$$ROOT`.
    pub(crate) fn node(&mut self, node: &Node) {
        match node {
            Node::Lit(_) | Node::Absent => {}
            Node::Path(p) => self.path(p),
            // Local variables cannot be named ROOT or CURRENT, so these are the document.
            Node::Var(name, p) if matches!(name.as_str(), "ROOT" | "CURRENT") => self.path(p),
            Node::Var(..) => {}
            Node::Doc(fields) => fields.iter().for_each(|(_, n)| self.node(n)),
            Node::Arr(items) | Node::Op(_, items) => items.iter().for_each(|n| self.node(n)),
        }
    }

    /// Decode the needed fields of `doc` (all of it when the whole is
    /// needed), in the document's own field order.
    pub(crate) fn decode(&self, doc: &RawDocument) -> Result<Document, CommandError> {
        if self.whole {
            return Document::try_from(doc).map_err(invalid);
        }
        let mut out = Document::new();
        if self.fields.is_empty() {
            return Ok(out);
        }
        for el in doc {
            let (k, v) = el.map_err(invalid)?;
            let k = k.as_str();
            if self.fields.iter().any(|f| f == k) {
                out.insert(k, Bson::try_from(v).map_err(invalid)?);
                if out.len() == self.fields.len() {
                    break;
                }
            }
        }
        Ok(out)
    }
}

pub(crate) fn invalid(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(1, "InternalError", format!("invalid stored document: {e}"))
}

/// What `stages` read of their input documents.
pub(crate) fn of_stages(stages: &[Stage]) -> Deps {
    let mut deps = Deps::default();
    for stage in stages {
        if stage.deps(&mut deps) || deps.whole {
            return deps;
        }
    }
    // The documents reach the output (or an unanalysed stage) still whole.
    deps.whole();
    deps
}

#[cfg(test)]
mod tests {
    use bson::{doc, RawDocumentBuf};

    use super::*;
    use crate::backend::memory::aggregate::expr::Vars;
    use crate::backend::memory::aggregate::stages::{compile, Ctx};

    fn deps_of(pipeline: &[Document]) -> Deps {
        let vars = Vars::default();
        let lookup = |_: &str| Ok(Vec::new());
        let ctx = Ctx {
            vars: &vars,
            lookup: &lookup,
            collation: None,
        };
        of_stages(&compile(pipeline, &ctx, true).unwrap())
    }

    fn fields(d: &Deps) -> Vec<&str> {
        let mut f: Vec<&str> = d.fields.iter().map(String::as_str).collect();
        f.sort_unstable();
        f
    }

    #[test]
    fn group_reads_only_its_paths() {
        let d = deps_of(&[
            doc! {"$match": {"active": true, "$or": [{"a.b": 1}, {"c": {"$gt": 2}}]}},
            doc! {"$group": {"_id": {"city": "$address.city"}, "n": {"$sum": "$$CURRENT.age"}}},
            doc! {"$project": {"whatever": 1}},
        ]);
        assert!(!d.whole);
        assert_eq!(fields(&d), ["a", "active", "address", "age", "c"]);
    }

    #[test]
    fn inclusion_projection_keeps_id() {
        let d = deps_of(&[
            doc! {"$sort": {"k.x": 1}},
            doc! {"$project": {"name": 1, "total": {"$add": ["$p", "$q"]}}},
        ]);
        assert_eq!(fields(&d), ["_id", "k", "name", "p", "q"]);
    }

    #[test]
    fn whole_document_when_it_flows_out_or_root_is_read() {
        assert!(deps_of(&[doc! {"$match": {"a": 1}}]).whole);
        assert!(deps_of(&[doc! {"$addFields": {"b": 1}}, doc! {"$limit": 2}]).whole);
        assert!(deps_of(&[doc! {"$project": {"a": 0}}]).whole);
        assert!(deps_of(&[doc! {"$group": {"_id": null, "all": {"$push": "$$ROOT"}}}]).whole);
        assert!(deps_of(&[doc! {"$match": {"$jsonSchema": {}}}, doc! {"$count": "n"}]).whole);
        assert!(deps_of(&[doc! {"$facet": {"a": [{"$count": "n"}]}}]).whole);
    }

    #[test]
    fn fields_read_before_an_add_fields_count() {
        let d = deps_of(&[
            doc! {"$addFields": {"t": {"$multiply": ["$price", "$qty"]}}},
            doc! {"$unwind": "$tags"},
            doc! {"$group": {"_id": "$tags", "t": {"$sum": "$t"}}},
        ]);
        assert_eq!(fields(&d), ["price", "qty", "t", "tags"]);
        assert!(!deps_of(&[doc! {"$count": "n"}]).whole);
    }

    #[test]
    fn decode_takes_the_needed_fields_in_document_order() {
        let raw =
            RawDocumentBuf::try_from(&doc! {"_id": 1, "a": {"x": [1, 2]}, "b": "s", "c": 3.5})
                .unwrap();
        let mut d = Deps::default();
        d.field("c");
        d.field("a");
        d.field("zz");
        assert_eq!(d.decode(&raw).unwrap(), doc! {"a": {"x": [1, 2]}, "c": 3.5});
        d.whole();
        assert_eq!(d.decode(&raw).unwrap().len(), 4);
        assert!(Deps::default().decode(&raw).unwrap().is_empty());
    }
}

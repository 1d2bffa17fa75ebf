//! `findAndModify`: pick one document (by sort), update, replace or remove
//! it, and return it as it was or as it became, projected.

use bson::raw::RawDocumentBuf;
use bson::Document;

use super::catalog::CollState;
use super::collation::Collation;
use super::projection::Projection;
use super::read::Selector;
use super::validate::from_command;
use super::write::{check_replacement, compile_update};
use crate::backend::{FindAndModifyAction, FindAndModifyOptions, Namespace, WriteError};

fn project(
    doc: Option<RawDocumentBuf>,
    projection: Option<&Projection>,
    positional: Option<usize>,
) -> Result<Option<RawDocumentBuf>, WriteError> {
    match (doc, projection) {
        (Some(d), Some(p)) => p.apply(&d, positional).map(Some).map_err(from_command),
        (d, _) => Ok(d),
    }
}

impl CollState {
    /// Run one `findAndModify` on this collection.
    pub(crate) fn find_and_modify(
        &mut self,
        ns: &Namespace,
        filter: &Document,
        action: &FindAndModifyAction,
        options: &FindAndModifyOptions,
    ) -> Result<Option<RawDocumentBuf>, WriteError> {
        let let_vars = options.let_vars.as_ref();
        let collation = Collation::from_option(options.collation.as_ref()).map_err(from_command)?;
        let selector =
            Selector::with_collation(filter, let_vars, collation.as_ref()).map_err(from_command)?;
        let projection = options
            .projection
            .as_ref()
            .filter(|p| !p.is_empty())
            .map(Projection::compile)
            .transpose()
            .map_err(from_command)?;
        let plan = match action {
            FindAndModifyAction::Update(u) => Some(
                compile_update(u, options.array_filters.as_deref(), let_vars)
                    .map_err(from_command)?,
            ),
            FindAndModifyAction::Replace(r) => {
                check_replacement(r)?;
                None
            }
            FindAndModifyAction::Remove => None,
        };
        let bypass = options.bypass_document_validation;
        let target = self
            .targets(&selector, options.sort.as_ref(), false)
            .map_err(from_command)?
            .into_iter()
            .next();
        let Some((slot, positional)) = target else {
            if !options.upsert {
                return Ok(None);
            }
            let id = match (action, &plan) {
                (FindAndModifyAction::Update(_), Some(plan)) => {
                    self.upsert_update(ns, filter, plan, bypass)?
                }
                (FindAndModifyAction::Replace(r), _) => {
                    self.upsert_replace(ns, filter, r, bypass)?
                }
                _ => return Ok(None),
            };
            if !options.return_new {
                return Ok(None);
            }
            let raw = bson::RawBson::try_from(id).map_err(|e| {
                WriteError::new(0, 22, "InvalidBSON", e.to_string(), Document::new())
            })?;
            let doc = self
                .store
                .slot_of_id(raw.as_raw_bson_ref())
                .and_then(|s| self.store.get(s))
                .map(|d| d.as_ref().to_owned());
            return project(doc, projection.as_ref(), None);
        };
        let before = self.store.get(slot).map(|d| d.as_ref().to_owned());
        match (action, &plan) {
            (FindAndModifyAction::Remove, _) => {
                if let Some(old) = self.store.remove(slot) {
                    self.indexes.remove(slot, &old);
                }
                self.compact();
                return project(before, projection.as_ref(), positional);
            }
            (FindAndModifyAction::Update(_), Some(plan)) => {
                self.update_slot(ns, slot, plan, positional, bypass)?;
            }
            (FindAndModifyAction::Replace(r), _) => {
                self.replace_slot(ns, slot, r, bypass)?;
            }
            _ => {}
        }
        if options.return_new {
            let after = self.store.get(slot).map(|d| d.as_ref().to_owned());
            project(after, projection.as_ref(), positional)
        } else {
            project(before, projection.as_ref(), positional)
        }
    }
}

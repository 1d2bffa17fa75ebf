//! `bulkWrite` and multi-document `insert`: several statements under one
//! collection lock, ordered (stop at the first failure) or not, with each
//! failure reported by the index of its statement.

use bson::Document;

use super::catalog::CollState;
use super::collation::Collation;
use super::read::Selector;
use super::validate::from_command;
use super::write::compile_update;
use crate::backend::{
    BulkWriteResult, Namespace, UpdateModification, UpdateOptions, WriteError, WriteModel,
};

impl CollState {
    /// Run `models` in order; failures are collected with their index.
    pub(crate) fn bulk_write(
        &mut self,
        ns: &Namespace,
        models: Vec<WriteModel>,
        ordered: bool,
        let_vars: Option<&Document>,
        bypass: bool,
    ) -> (BulkWriteResult, Vec<WriteError>) {
        let mut result = BulkWriteResult::default();
        let mut errors = Vec::new();
        for (index, model) in models.into_iter().enumerate() {
            if let Err(mut e) = self.one(ns, index, model, let_vars, bypass, &mut result) {
                e.index = index;
                errors.push(e);
                if ordered {
                    break;
                }
            }
        }
        self.compact();
        (result, errors)
    }

    fn one(
        &mut self,
        ns: &Namespace,
        index: usize,
        model: WriteModel,
        let_vars: Option<&Document>,
        bypass: bool,
        result: &mut BulkWriteResult,
    ) -> Result<(), WriteError> {
        match model {
            WriteModel::InsertOne { document } => {
                let id = self.insert_one(ns, document, bypass)?;
                result.inserted_count += 1;
                result.inserted_ids.insert(index, id);
            }
            WriteModel::UpdateOne {
                filter,
                update,
                options,
            } => {
                self.bulk_update(
                    ns, index, &filter, &update, &options, false, let_vars, bypass, result,
                )?;
            }
            WriteModel::UpdateMany {
                filter,
                update,
                options,
            } => {
                self.bulk_update(
                    ns, index, &filter, &update, &options, true, let_vars, bypass, result,
                )?;
            }
            WriteModel::ReplaceOne {
                filter,
                replacement,
                options,
            } => {
                let vars = options.let_vars.as_ref().or(let_vars);
                let selector = selector(&filter, vars, options.collation.as_ref())?;
                let r = self.replace(
                    ns,
                    &selector,
                    &filter,
                    &replacement,
                    options.upsert,
                    options.sort.as_ref(),
                    bypass || options.bypass_document_validation,
                )?;
                add_update(result, index, r);
            }
            WriteModel::DeleteOne { filter, options } => {
                let vars = options.let_vars.as_ref().or(let_vars);
                let selector = selector(&filter, vars, options.collation.as_ref())?;
                result.deleted_count += self.delete(&selector, false).map_err(from_command)?;
            }
            WriteModel::DeleteMany { filter, options } => {
                let vars = options.let_vars.as_ref().or(let_vars);
                let selector = selector(&filter, vars, options.collation.as_ref())?;
                result.deleted_count += self.delete(&selector, true).map_err(from_command)?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn bulk_update(
        &mut self,
        ns: &Namespace,
        index: usize,
        filter: &Document,
        update: &UpdateModification,
        options: &UpdateOptions,
        multi: bool,
        let_vars: Option<&Document>,
        bypass: bool,
        result: &mut BulkWriteResult,
    ) -> Result<(), WriteError> {
        let vars = options.let_vars.as_ref().or(let_vars);
        let selector = selector(filter, vars, options.collation.as_ref())?;
        let plan =
            compile_update(update, options.array_filters.as_deref(), vars).map_err(from_command)?;
        let r = self.update(
            ns,
            &selector,
            filter,
            &plan,
            multi,
            options.upsert,
            options.sort.as_ref(),
            bypass || options.bypass_document_validation,
        )?;
        add_update(result, index, r);
        Ok(())
    }
}

fn add_update(result: &mut BulkWriteResult, index: usize, r: crate::backend::UpdateResult) {
    result.matched_count += r.matched_count;
    result.modified_count += r.modified_count;
    if let Some(id) = r.upserted_id {
        result.upserted_count += 1;
        result.upserted_ids.insert(index, id);
    }
}

/// A statement's filter compiled with its own collation.
fn selector(
    filter: &Document,
    vars: Option<&Document>,
    collation: Option<&Document>,
) -> Result<Selector, WriteError> {
    let collation = Collation::from_option(collation).map_err(from_command)?;
    Selector::with_collation(filter, vars, collation.as_ref()).map_err(from_command)
}

//! `findAndModify` through the driver's `find_one_and_*` helpers.

use bson::{Document, RawDocumentBuf};
use mongodb::options::ReturnDocument;
use mongodb::Collection;

use super::session::{in_session, MongoTxn};

use super::convert::{collation, hint};
use crate::backend::{FindAndModifyAction, FindAndModifyOptions, UpdateModification};
use crate::error::Result;

/// Run the action; the outer error is a bad option, the inner the driver's.
pub(super) async fn run(
    coll: &Collection<RawDocumentBuf>,
    filter: Document,
    action: FindAndModifyAction,
    o: FindAndModifyOptions,
    txn: Option<&MongoTxn>,
) -> Result<mongodb::error::Result<Option<RawDocumentBuf>>> {
    let ret = if o.return_new {
        ReturnDocument::After
    } else {
        ReturnDocument::Before
    };
    let result = match action {
        FindAndModifyAction::Remove => {
            let mut options = mongodb::options::FindOneAndDeleteOptions::default();
            options.sort = o.sort;
            options.projection = o.projection;
            options.collation = collation(o.collation)?;
            options.hint = hint(o.hint)?;
            options.let_vars = o.let_vars;
            in_session!(txn, coll.find_one_and_delete(filter).with_options(options))
        }
        FindAndModifyAction::Update(update) => {
            let mut options = mongodb::options::FindOneAndUpdateOptions::default();
            options.sort = o.sort;
            options.projection = o.projection;
            options.upsert = Some(o.upsert);
            options.return_document = Some(ret);
            options.array_filters = o.array_filters;
            options.collation = collation(o.collation)?;
            options.hint = hint(o.hint)?;
            options.let_vars = o.let_vars;
            options.bypass_document_validation = o.bypass_document_validation.then_some(true);
            let update = match update {
                UpdateModification::Document(d) => {
                    mongodb::options::UpdateModifications::Document(d)
                }
                UpdateModification::Pipeline(p) => {
                    mongodb::options::UpdateModifications::Pipeline(p)
                }
            };
            in_session!(
                txn,
                coll.find_one_and_update(filter, update)
                    .with_options(options)
            )
        }
        FindAndModifyAction::Replace(replacement) => {
            let mut options = mongodb::options::FindOneAndReplaceOptions::default();
            options.sort = o.sort;
            options.projection = o.projection;
            options.upsert = Some(o.upsert);
            options.return_document = Some(ret);
            options.collation = collation(o.collation)?;
            options.hint = hint(o.hint)?;
            options.let_vars = o.let_vars;
            options.bypass_document_validation = o.bypass_document_validation.then_some(true);
            in_session!(
                txn,
                coll.find_one_and_replace(filter, replacement)
                    .with_options(options)
            )
        }
    };
    Ok(result)
}

//! The commands the server answers, each mapped onto the [`Backend`] trait,
//! with replies shaped as MongoDB shapes them.

mod args;
mod catalog;
mod read;
mod write;

use std::sync::Arc;

use bson::{doc, Bson, Document, RawDocumentBuf};

use super::cursors::Cursors;
use super::frame::{Request, MAX_BSON_SIZE, MAX_MESSAGE_SIZE};
use super::sessions::{Role, Sessions};
use crate::backend::Backend;
use crate::error::{CommandError, Error, Result};
use crate::transaction::InTxn;

/// What every connection of a server shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub backend: Arc<dyn Backend>,
    pub cursors: Arc<Cursors>,
    pub sessions: Arc<Sessions>,
}

impl Shared {
    /// The same server seen from inside a transaction: every backend call
    /// carries its handle.
    fn in_txn(&self, txn: crate::backend::TxnHandle) -> Shared {
        Shared {
            backend: Arc::new(InTxn::new(self.backend.clone(), txn)),
            cursors: self.cursors.clone(),
            sessions: self.sessions.clone(),
        }
    }
}

/// The wire version this server speaks (MongoDB 7.0).
const MAX_WIRE_VERSION: i32 = 21;

/// Run one command; the reply is a complete reply document, `ok: 0` on failure.
pub(crate) async fn run(shared: &Shared, connection_id: i64, req: Request) -> RawDocumentBuf {
    let result = match req.name() {
        "commitTransaction" => shared
            .sessions
            .finish(&shared.backend, &req.body, true)
            .await
            .map(|()| ok(doc! {})),
        "abortTransaction" => shared
            .sessions
            .finish(&shared.backend, &req.body, false)
            .await
            .map(|()| ok(doc! {})),
        "endSessions" => {
            shared.sessions.end(&shared.backend, &req.body).await;
            Ok(ok(doc! {}))
        }
        _ => match shared.sessions.role(&shared.backend, &req.body).await {
            Ok(Role::Plain) => dispatch(shared, connection_id, req).await,
            Ok(Role::In(txn)) => dispatch(&shared.in_txn(txn), connection_id, req).await,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(reply) => reply,
        Err(e) => raw(&error_reply(&e)),
    }
}

/// Run one command, in a transaction when `shared` is bound to one.
async fn dispatch(shared: &Shared, connection_id: i64, mut req: Request) -> CmdResult {
    let name = req.name().to_owned();
    match name.as_str() {
        "hello" | "isMaster" | "ismaster" => Ok(hello(&req, connection_id)),
        "ping" | "killAllSessions" | "refreshSessions" => Ok(ok(doc! {})),
        "buildInfo" | "buildinfo" => Ok(build_info()),
        "getParameter" => Ok(ok(doc! {})),
        "getCmdLineOpts" => Ok(ok(doc! { "argv": [], "parsed": {} })),
        "whatsmyuri" => Ok(ok(doc! { "you": "127.0.0.1:0" })),
        "connectionStatus" => Ok(ok(doc! {
            "authInfo": { "authenticatedUsers": [], "authenticatedUserRoles": [] },
        })),
        "find" => read::find(shared, &req).await,
        "explain" => read::explain(shared, &req).await,
        "getMore" => read::get_more(shared, &req).await,
        "killCursors" => read::kill_cursors(shared, &req),
        "aggregate" => read::aggregate(shared, &req).await,
        "count" => read::count(shared, &req).await,
        "distinct" => read::distinct(shared, &req).await,
        "insert" => write::insert(shared, &mut req).await,
        "update" => write::update(shared, &mut req).await,
        "delete" => write::delete(shared, &mut req).await,
        "findAndModify" | "findandmodify" => write::find_and_modify(shared, &req).await,
        "create" => catalog::create(shared, &req).await,
        "collMod" => catalog::coll_mod(shared, &req).await,
        "drop" => catalog::drop(shared, &req).await,
        "dropDatabase" => catalog::drop_database(shared, &req).await,
        "listCollections" => catalog::list_collections(shared, &req).await,
        "listDatabases" => catalog::list_databases(shared, &req).await,
        "createIndexes" => catalog::create_indexes(shared, &req).await,
        "listIndexes" => catalog::list_indexes(shared, &req).await,
        "dropIndexes" | "deleteIndexes" => catalog::drop_indexes(shared, &req).await,
        other => Err(Error::Command(CommandError::new(
            59,
            "CommandNotFound",
            format!("no such command: '{other}'"),
        ))),
    }
}

/// A reply document as raw BSON (a document too large to encode becomes an error reply).
pub(crate) fn raw(doc: &Document) -> RawDocumentBuf {
    RawDocumentBuf::try_from(doc).unwrap_or_else(|e| {
        let fallback = doc! { "ok": 0.0, "errmsg": format!("cannot encode the reply: {e}"), "code": 1, "codeName": "InternalError" };
        RawDocumentBuf::try_from(&fallback).unwrap_or_default()
    })
}

/// A successful reply: `fields` then `ok: 1.0`.
pub(crate) fn ok(mut fields: Document) -> RawDocumentBuf {
    fields.insert("ok", 1.0);
    raw(&fields)
}

/// `{ok: 0, errmsg, code, codeName}` for an error, with `keyPattern`/`keyValue`
/// for a duplicate key.
pub(crate) fn error_reply(e: &Error) -> Document {
    let (code, name, message, extra) = error_parts(e);
    let mut reply = doc! { "ok": 0.0, "errmsg": message, "code": code, "codeName": name };
    reply.extend(extra);
    if let Error::Command(c) = e {
        if !c.labels.is_empty() {
            reply.insert("errorLabels", c.labels.clone());
        }
    }
    reply
}

/// The code, code name, message and extra fields MongoDB reports for `e`.
pub(crate) fn error_parts(e: &Error) -> (i32, String, String, Document) {
    match e {
        Error::Command(c) => (
            c.code,
            c.code_name.clone(),
            c.message.clone(),
            c.details.as_deref().cloned().unwrap_or_default(),
        ),
        Error::DuplicateKey {
            namespace,
            index,
            key,
            key_pattern,
        } => {
            // A backend that did not report the pattern: the key's fields, ascending.
            let pattern: Document = if key_pattern.is_empty() {
                key.keys().map(|k| (k.clone(), Bson::Int32(1))).collect()
            } else {
                (**key_pattern).clone()
            };
            (
                11000,
                "DuplicateKey".into(),
                format!(
                    "E11000 duplicate key error collection: {namespace} index: {index} dup key: {}",
                    crate::value::display_bson(&Bson::Document((**key).clone()))
                ),
                doc! { "keyPattern": pattern, "keyValue": (**key).clone() },
            )
        }
        Error::Validation { errors, .. } => (
            121,
            "DocumentValidationFailure".into(),
            "Document failed validation".into(),
            doc! { "errInfo": { "details": errors.to_string() } },
        ),
        Error::BulkWrite { failure, .. } => match failure.write_errors.first() {
            Some(w) => (
                w.code,
                w.code_name.clone(),
                w.message.clone(),
                w.details.clone(),
            ),
            None => (1, "InternalError".into(), e.to_string(), doc! {}),
        },
        Error::Unsupported { .. } => (238, "NotImplemented".into(), e.to_string(), doc! {}),
        _ => (1, "InternalError".into(), e.to_string(), doc! {}),
    }
}

fn hello(req: &Request, connection_id: i64) -> RawDocumentBuf {
    let mut reply = doc! {};
    if req.body.contains_key("helloOk") {
        reply.insert("helloOk", true);
    }
    if req.name() == "hello" {
        reply.insert("isWritablePrimary", true);
    } else {
        reply.insert("ismaster", true);
    }
    reply.extend(doc! {
        "maxBsonObjectSize": MAX_BSON_SIZE as i32,
        "maxMessageSizeBytes": MAX_MESSAGE_SIZE as i32,
        "maxWriteBatchSize": 100_000,
        "localTime": bson::DateTime::now(),
        "logicalSessionTimeoutMinutes": 30,
        "connectionId": connection_id,
        "minWireVersion": 0,
        "maxWireVersion": MAX_WIRE_VERSION,
        "readOnly": false,
    });
    ok(reply)
}

fn build_info() -> RawDocumentBuf {
    ok(doc! {
        "version": "7.0.0",
        "gitVersion": "odm-wire",
        "versionArray": [7, 0, 0, 0],
        "bits": 64,
        "maxBsonObjectSize": MAX_BSON_SIZE as i32,
        "storageEngines": ["odm"],
    })
}

/// Results of a command body, typed or MongoDB's error.
pub(crate) type CmdResult = Result<RawDocumentBuf>;

#[cfg(test)]
mod tests;

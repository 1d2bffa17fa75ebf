//! Reads: `find`, `getMore`, `killCursors`, `aggregate`, `count`, `distinct`.

use bson::raw::cstr;
use bson::{doc, Bson, RawArrayBuf, RawDocumentBuf};

use super::args;
use super::{ok, CmdResult, Shared};
use crate::backend::{
    AggregateOptions, CountOptions, DistinctOptions, DocStream, FindOptions, Namespace,
};
use crate::error::{CommandError, Error};
use crate::wire::cursors::Cursor;
use crate::wire::frame::Request;

/// MongoDB's first batch when the client names none.
const DEFAULT_FIRST_BATCH: usize = 101;

/// `explain` of a `find` (other commands are not explained): the backend's
/// plan and `executionStats`.
pub(super) async fn explain(shared: &Shared, req: &Request) -> CmdResult {
    let inner = match req.body.get("explain") {
        Some(Bson::Document(d)) => d.clone(),
        _ => {
            return Err(Error::Command(CommandError::failed_to_parse(
                "explain command requires a nested object",
            )))
        }
    };
    let explained = Request {
        body: inner,
        sequences: Vec::new(),
        db: req.db.clone(),
        more_to_come: false,
        legacy: false,
    };
    if explained.name() != "find" {
        return Err(Error::unsupported(
            "wire",
            format!("explain of {}", explained.name()),
        ));
    }
    let (ns, filter, options) = find_parts(&explained)?;
    let mut reply = shared.backend.explain(ns, filter, options).await?;
    reply.remove("ok");
    Ok(ok(reply))
}

/// The namespace, filter and options of a `find` command.
fn find_parts(req: &Request) -> Result<(Namespace, bson::Document, FindOptions), Error> {
    let ns = args::namespace(req)?;
    let b = &req.body;
    let filter = args::doc(b, "find", "filter")?.unwrap_or_default();
    let limit = args::number(b, "find", "limit")?.unwrap_or(0);
    let options = FindOptions {
        sort: args::doc(b, "find", "sort")?,
        skip: args::count(b, "find", "skip")?.unwrap_or(0),
        limit: limit.unsigned_abs(),
        projection: args::doc(b, "find", "projection")?,
        batch_size: batch_size(args::count(b, "find", "batchSize")?),
        collation: args::doc(b, "find", "collation")?.map(Box::new),
        let_vars: args::doc(b, "find", "let")?.map(Box::new),
        hint: b.get("hint").cloned().map(Box::new),
        comment: b.get("comment").cloned().map(Box::new),
        txn: None,
    };
    Ok((ns, filter, options))
}

pub(super) async fn find(shared: &Shared, req: &Request) -> CmdResult {
    let (ns, filter, options) = find_parts(req)?;
    let b = &req.body;
    let limit = args::number(b, "find", "limit")?.unwrap_or(0);
    let single = args::flag(b, "find", "singleBatch")? || limit < 0;
    let first = options.batch_size.map(|n| n as usize);
    let stream: DocStream = if limit.unsigned_abs() == 1 {
        // What a driver's `find_one` sends: the backend's point read.
        let doc = shared.backend.find_one(ns.clone(), filter, options).await?;
        Box::pin(futures::stream::iter(doc.map(|d| Ok(d.into_owned()))))
    } else {
        shared.backend.find(ns.clone(), filter, options).await?
    };
    first_batch(
        shared,
        &ns,
        stream,
        first.or(Some(DEFAULT_FIRST_BATCH)),
        single,
    )
    .await
}

pub(super) async fn aggregate(shared: &Shared, req: &Request) -> CmdResult {
    let b = &req.body;
    let ns = match b.get("aggregate") {
        Some(Bson::Int32(1)) | Some(Bson::Int64(1)) | Some(Bson::Double(1.0)) => {
            Namespace::new(req.db.as_str(), "1")
        }
        _ => args::namespace(req)?,
    };
    let pipeline = args::docs(b, "aggregate", "pipeline")?.ok_or_else(|| {
        Error::Command(CommandError::new(
            40414,
            "Location40414",
            "BSON field 'aggregate.pipeline' is missing but a required field",
        ))
    })?;
    if args::flag(b, "aggregate", "explain")? {
        return Err(Error::unsupported("wire", "explain"));
    }
    let Some(cursor) = args::doc(b, "aggregate", "cursor")? else {
        return Err(Error::Command(CommandError::failed_to_parse(
            "The 'cursor' option is required, except for aggregate with the explain argument",
        )));
    };
    let batch = batch_size(args::count(&cursor, "aggregate", "batchSize")?);
    let options = AggregateOptions {
        batch_size: batch,
        collation: args::doc(b, "aggregate", "collation")?,
        let_vars: args::doc(b, "aggregate", "let")?,
        hint: b.get("hint").cloned(),
        allow_disk_use: b.get_bool("allowDiskUse").ok(),
        bypass_document_validation: args::flag(b, "aggregate", "bypassDocumentValidation")?,
        comment: b.get("comment").cloned(),
        txn: None,
    };
    let stream = shared
        .backend
        .aggregate(ns.clone(), pipeline, options)
        .await?;
    let first = batch.map(|n| n as usize).or(Some(DEFAULT_FIRST_BATCH));
    first_batch(shared, &ns, stream, first, false).await
}

pub(super) async fn get_more(shared: &Shared, req: &Request) -> CmdResult {
    let b = &req.body;
    let id = match b.get("getMore") {
        Some(Bson::Int64(id)) => *id,
        Some(Bson::Int32(id)) => i64::from(*id),
        Some(other) => {
            return Err(Error::Command(CommandError::type_mismatch(format!(
                "BSON field 'getMore.getMore' is the wrong type '{}', expected type 'long'",
                crate::value::element_type_name(other.element_type())
            ))))
        }
        None => {
            return Err(Error::Command(CommandError::failed_to_parse(
                "getMore needs a cursor id",
            )))
        }
    };
    let coll = b.get_str("collection").map_err(|_| {
        Error::Command(CommandError::new(
            40414,
            "Location40414",
            "BSON field 'getMore.collection' is missing but a required field",
        ))
    })?;
    let ns = format!("{}.{coll}", req.db);
    let Some(mut cursor) = shared.cursors.take(id) else {
        return Err(not_found(id));
    };
    if cursor.ns != ns {
        let message = format!(
            "Requested getMore on namespace '{ns}', but cursor belongs to a different namespace {}",
            cursor.ns
        );
        shared.cursors.insert_at(id, cursor);
        return Err(Error::Command(CommandError::new(
            13,
            "Unauthorized",
            message,
        )));
    }
    let size = args::count(b, "getMore", "batchSize")?.filter(|n| *n > 0);
    let (batch, done) = cursor.next_batch(size.map(|n| n as usize)).await?;
    if !done {
        shared.cursors.insert_at(id, cursor);
    }
    Ok(cursor_reply(
        if done { 0 } else { id },
        &ns,
        batch,
        "nextBatch",
    ))
}

pub(super) fn kill_cursors(shared: &Shared, req: &Request) -> CmdResult {
    let ids = match req.body.get("cursors") {
        Some(Bson::Array(ids)) => ids.clone(),
        _ => {
            return Err(Error::Command(CommandError::new(
                40414,
                "Location40414",
                "BSON field 'killCursors.cursors' is missing but a required field",
            )))
        }
    };
    let (mut killed, mut missing) = (Vec::new(), Vec::new());
    for id in ids {
        let n = match &id {
            Bson::Int64(n) => *n,
            Bson::Int32(n) => i64::from(*n),
            _ => continue,
        };
        if shared.cursors.kill(n) {
            killed.push(Bson::Int64(n));
        } else {
            missing.push(Bson::Int64(n));
        }
    }
    Ok(ok(doc! {
        "cursorsKilled": killed,
        "cursorsNotFound": missing,
        "cursorsAlive": [],
        "cursorsUnknown": [],
    }))
}

pub(super) async fn count(shared: &Shared, req: &Request) -> CmdResult {
    let ns = args::namespace(req)?;
    let b = &req.body;
    let filter = args::doc(b, "count", "query")?.unwrap_or_default();
    let options = CountOptions {
        skip: args::count(b, "count", "skip")?.unwrap_or(0),
        limit: args::number(b, "count", "limit")?
            .unwrap_or(0)
            .unsigned_abs(),
        collation: args::doc(b, "count", "collation")?,
        hint: b.get("hint").cloned(),
        txn: None,
    };
    let n = shared.backend.count(ns, filter, options).await?;
    Ok(ok(doc! { "n": i64::try_from(n).unwrap_or(i64::MAX) }))
}

pub(super) async fn distinct(shared: &Shared, req: &Request) -> CmdResult {
    let ns = args::namespace(req)?;
    let b = &req.body;
    let key = match b.get("key") {
        Some(Bson::String(k)) => k.clone(),
        _ => {
            return Err(Error::Command(CommandError::new(
                40414,
                "Location40414",
                "BSON field 'distinct.key' is missing but a required field",
            )))
        }
    };
    let filter = args::doc(b, "distinct", "query")?.unwrap_or_default();
    let options = DistinctOptions {
        collation: args::doc(b, "distinct", "collation")?,
        hint: b.get("hint").cloned(),
        txn: None,
    };
    let values = shared.backend.distinct(ns, key, filter, options).await?;
    Ok(ok(doc! { "values": values }))
}

fn batch_size(n: Option<u64>) -> Option<u32> {
    n.map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

fn not_found(id: i64) -> Error {
    Error::Command(CommandError::new(
        43,
        "CursorNotFound",
        format!("cursor id {id} not found"),
    ))
}

/// The first batch of a new cursor, keeping the cursor open when more follow.
pub(super) async fn first_batch(
    shared: &Shared,
    ns: &Namespace,
    stream: DocStream,
    size: Option<usize>,
    single: bool,
) -> CmdResult {
    let ns = ns.to_string();
    let mut cursor = Cursor::new(ns.clone(), stream);
    let (batch, done) = cursor.next_batch(size).await?;
    let id = if done || single {
        0
    } else {
        shared.cursors.insert(cursor)
    };
    Ok(cursor_reply(id, &ns, batch, "firstBatch"))
}

/// `{cursor: {firstBatch|nextBatch: [...], id, ns}, ok: 1.0}`, built raw so
/// the documents are not decoded.
pub(super) fn cursor_reply(
    id: i64,
    ns: &str,
    batch: Vec<RawDocumentBuf>,
    field: &str,
) -> RawDocumentBuf {
    let mut docs = RawArrayBuf::new();
    for d in batch {
        docs.push(d);
    }
    let mut cursor = RawDocumentBuf::new();
    let key = if field == "firstBatch" {
        cstr!("firstBatch")
    } else {
        cstr!("nextBatch")
    };
    cursor.append(key, docs);
    cursor.append(cstr!("id"), id);
    cursor.append(cstr!("ns"), ns);
    let mut reply = RawDocumentBuf::new();
    reply.append(cstr!("cursor"), cursor);
    reply.append(cstr!("ok"), 1.0);
    reply
}

//! The wire format: message headers, `OP_MSG` and legacy `OP_QUERY`
//! requests, and `OP_MSG`/`OP_REPLY` replies.
//!
//! Everything here reads untrusted bytes: every length is checked against
//! the bytes actually present, every document is validated (with a nesting
//! limit, so a hostile message cannot exhaust the stack) before anything
//! decodes it, and failures are [`FrameError`]s, never panics.

use bson::{Bson, Document, RawDocument, RawDocumentBuf};

/// MongoDB's `maxMessageSizeBytes`.
pub const MAX_MESSAGE_SIZE: usize = 48_000_000;
/// MongoDB's `maxBsonObjectSize`.
pub const MAX_BSON_SIZE: usize = 16 * 1024 * 1024;
/// Deeper documents are refused (MongoDB stores at most 100 levels; a
/// command adds a few).
const MAX_DEPTH: usize = 150;

/// `OP_REPLY`.
pub const OP_REPLY: i32 = 1;
/// `OP_QUERY`.
pub const OP_QUERY: i32 = 2004;
/// `OP_MSG`.
pub const OP_MSG: i32 = 2013;

const CHECKSUM_PRESENT: u32 = 1;
/// `moreToCome`: the sender expects no reply.
pub const MORE_TO_COME: u32 = 1 << 1;
const EXHAUST_ALLOWED: u32 = 1 << 16;
/// Bits 0-15 are "required": a receiver must refuse one it does not know.
const KNOWN_REQUIRED: u32 = CHECKSUM_PRESENT | MORE_TO_COME;

/// Why a message could not be read: the message, and which server error
/// the client is told (see [`FrameError::code`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError(pub String, pub(crate) Refusal);

/// The server error a framing failure is reported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `9 FailedToParse`: the bytes are not a well-formed request.
    Parse,
    /// `10334 BSONObjectTooLarge`: a document is over `maxBsonObjectSize`.
    TooLarge,
}

impl FrameError {
    /// A message that is not a well-formed request.
    pub fn parse(message: impl Into<String>) -> Self {
        FrameError(message.into(), Refusal::Parse)
    }

    /// MongoDB's code and code name for this failure.
    pub fn code(&self) -> (i32, &'static str) {
        match self.1 {
            Refusal::Parse => (9, "FailedToParse"),
            Refusal::TooLarge => (10334, "BSONObjectTooLarge"),
        }
    }
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, FrameError> {
    Err(FrameError::parse(message))
}

/// The 16-byte header of every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Total length, header included.
    pub length: usize,
    /// The sender's id for this message.
    pub request_id: i32,
    /// The id of the message this one answers.
    pub response_to: i32,
    /// The kind of message.
    pub op_code: i32,
}

impl Header {
    /// Read and check a header: its length must cover the header and stay
    /// within [`MAX_MESSAGE_SIZE`].
    pub fn parse(bytes: &[u8; 16]) -> Result<Header, FrameError> {
        let word =
            |i: usize| i32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let length = word(0);
        let length = match usize::try_from(length) {
            Ok(l) if (16..=MAX_MESSAGE_SIZE).contains(&l) => l,
            _ => {
                return err(format!(
                    "message length {length} is not between 16 and {MAX_MESSAGE_SIZE}"
                ))
            }
        };
        Ok(Header {
            length,
            request_id: word(4),
            response_to: word(8),
            op_code: word(12),
        })
    }
}

/// A command as a request carried it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The command document (its first key names the command).
    pub body: Document,
    /// Large document arrays kept raw: `OP_MSG` document sequences, and the
    /// `documents` of an `insert` body, which are handed to the backend as is.
    pub sequences: Vec<(String, Vec<RawDocumentBuf>)>,
    /// The database (`$db`, or the namespace of an `OP_QUERY`).
    pub db: String,
    /// The sender expects no reply.
    pub more_to_come: bool,
    /// The request was a legacy `OP_QUERY`, answered with `OP_REPLY`.
    pub legacy: bool,
}

impl Request {
    /// The command's name: the first key of the body.
    pub fn name(&self) -> &str {
        self.body.keys().next().map(String::as_str).unwrap_or("")
    }

    /// The raw documents of an array field, from a document sequence or the body.
    pub fn take_documents(&mut self, field: &str) -> Option<Vec<RawDocumentBuf>> {
        let at = self.sequences.iter().position(|(name, _)| name == field)?;
        Some(self.sequences.swap_remove(at).1)
    }
}

/// A little-endian reader over a byte slice that never reads past its end.
struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        if n > self.bytes.len() {
            return err("message truncated");
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, FrameError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i32(&mut self) -> Result<i32, FrameError> {
        self.u32().map(|u| u as i32)
    }

    fn cstring(&mut self) -> Result<&'a str, FrameError> {
        let Some(end) = self.bytes.iter().position(|b| *b == 0) else {
            return err("unterminated string");
        };
        let s = self.take(end)?;
        self.take(1)?;
        std::str::from_utf8(s).or_else(|_| err("string is not UTF-8"))
    }

    /// One BSON document, its declared length checked against the bytes left.
    fn document(&mut self) -> Result<&'a RawDocument, FrameError> {
        let Some(len) = self.bytes.get(..4) else {
            return err("message truncated");
        };
        let len = i32::from_le_bytes([len[0], len[1], len[2], len[3]]);
        let len = match usize::try_from(len) {
            Ok(l) if l >= 5 && l <= self.bytes.len() => l,
            _ => return err(format!("invalid BSON document length {len}")),
        };
        // A command may carry its own overhead over a stored document's
        // limit; past that, MongoDB refuses the object itself.
        if len > MAX_BSON_SIZE + 16 * 1024 {
            return Err(FrameError(
                format!("BSONObj size: {len} is invalid. Size must be between 0 and {MAX_BSON_SIZE}(16MB)"),
                Refusal::TooLarge,
            ));
        }
        let doc = RawDocument::from_bytes(self.take(len)?)
            .or_else(|e| err(format!("invalid BSON: {e}")))?;
        validate(doc, 0)?;
        Ok(doc)
    }
}

/// Walk a document completely (so later reads cannot fail half-way) with a
/// bound on nesting.
pub fn validate(doc: &RawDocument, depth: usize) -> Result<(), FrameError> {
    if depth > MAX_DEPTH {
        return err("BSON document nested too deeply");
    }
    for element in doc.iter() {
        let (_, value) = element.or_else(|e| err(format!("invalid BSON: {e}")))?;
        validate_value(value, depth)?;
    }
    Ok(())
}

fn validate_value(value: bson::RawBsonRef<'_>, depth: usize) -> Result<(), FrameError> {
    match value {
        bson::RawBsonRef::Document(d) => validate(d, depth + 1),
        bson::RawBsonRef::JavaScriptCodeWithScope(c) => validate(c.scope, depth + 1),
        bson::RawBsonRef::Array(a) => {
            if depth + 1 > MAX_DEPTH {
                return err("BSON document nested too deeply");
            }
            for item in a {
                let item = item.or_else(|e| err(format!("invalid BSON: {e}")))?;
                validate_value(item, depth + 1)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Decode a validated document, keeping the `documents` array of an
/// `insert` raw: those go to the backend without being decoded.
fn decode_body(raw: &RawDocument) -> Result<(Document, Option<Vec<RawDocumentBuf>>), FrameError> {
    let is_insert = matches!(raw.iter().next(), Some(Ok((k, _))) if k.as_str() == "insert");
    let mut body = Document::new();
    let mut documents = None;
    for element in raw.iter() {
        let (key, value) = element.or_else(|e| err(format!("invalid BSON: {e}")))?;
        if let (true, "documents", bson::RawBsonRef::Array(items)) =
            (is_insert, key.as_str(), value)
        {
            let mut docs = Vec::new();
            for item in items {
                match item {
                    Ok(bson::RawBsonRef::Document(d)) => docs.push(d.to_owned()),
                    _ => return err("insert.documents must be an array of documents"),
                }
            }
            documents = Some(docs);
            continue;
        }
        let value = Bson::try_from(value).or_else(|e| err(format!("invalid BSON: {e}")))?;
        body.insert(key.as_str(), value);
    }
    Ok((body, documents))
}

/// Parse the part of an `OP_MSG` after its header.
pub fn parse_op_msg(bytes: &[u8]) -> Result<Request, FrameError> {
    let mut c = Cursor { bytes };
    let flags = c.u32()?;
    let unknown = flags & 0xffff & !KNOWN_REQUIRED;
    if unknown != 0 {
        return err(format!("unknown required OP_MSG flag bits {unknown:#x}"));
    }
    let _ = EXHAUST_ALLOWED; // optional: replies are never streamed
    if flags & CHECKSUM_PRESENT != 0 {
        // The CRC-32C is optional for receivers to check; drop it.
        let Some(end) = c.bytes.len().checked_sub(4) else {
            return err("message truncated");
        };
        c.bytes = c.bytes.get(..end).unwrap_or_default();
    }
    let mut body = None;
    let mut sequences = Vec::new();
    while !c.bytes.is_empty() {
        match c.take(1)?.first() {
            Some(0) => {
                if body.is_some() {
                    return err("OP_MSG has more than one body section");
                }
                body = Some(c.document()?);
            }
            Some(1) => {
                let size = c.i32()?;
                let size = match usize::try_from(size) {
                    Ok(s) if s >= 4 => s - 4,
                    _ => return err(format!("invalid document sequence size {size}")),
                };
                let mut seq = Cursor {
                    bytes: c.take(size)?,
                };
                let name = seq.cstring()?.to_owned();
                let mut docs = Vec::new();
                while !seq.bytes.is_empty() {
                    docs.push(seq.document()?.to_owned());
                }
                sequences.push((name, docs));
            }
            _ => return err("unknown OP_MSG section kind"),
        }
    }
    let Some(raw) = body else {
        return err("OP_MSG has no body section");
    };
    let (body, documents) = decode_body(raw)?;
    if let Some(docs) = documents {
        sequences.push(("documents".into(), docs));
    }
    let db = match body.get("$db") {
        Some(Bson::String(db)) => db.clone(),
        _ => return err("OP_MSG body has no $db"),
    };
    Ok(Request {
        body,
        sequences,
        db,
        more_to_come: flags & MORE_TO_COME != 0,
        legacy: false,
    })
}

/// Parse the part of a legacy `OP_QUERY` after its header: only commands
/// (`<db>.$cmd`) are served, as MongoDB does since 5.1 (for the handshake).
pub fn parse_op_query(bytes: &[u8]) -> Result<Request, FrameError> {
    let mut c = Cursor { bytes };
    let _flags = c.i32()?;
    let namespace = c.cstring()?;
    let _skip = c.i32()?;
    let _return = c.i32()?;
    let query = c.document()?;
    let Some(db) = namespace.strip_suffix(".$cmd") else {
        return err(format!(
            "OP_QUERY is only supported for commands, not on {namespace}"
        ));
    };
    let (mut body, documents) = decode_body(query)?;
    // Old drivers wrap the command: `{$query: {...}, $readPreference: ...}`.
    if let Ok(inner) = body.get_document("$query") {
        body = inner.clone();
    }
    let mut sequences = Vec::new();
    if let Some(docs) = documents {
        sequences.push(("documents".into(), docs));
    }
    Ok(Request {
        body,
        sequences,
        db: db.to_owned(),
        more_to_come: false,
        legacy: true,
    })
}

/// An `OP_MSG` reply carrying `doc`.
pub fn op_msg_reply(request_id: i32, response_to: i32, doc: &RawDocument) -> Vec<u8> {
    let body = doc.as_bytes();
    let length = 16 + 4 + 1 + body.len();
    let mut out = Vec::with_capacity(length);
    header(&mut out, length, request_id, response_to, OP_MSG);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.push(0);
    out.extend_from_slice(body);
    out
}

/// An `OP_REPLY` carrying `doc` (the answer to a legacy `OP_QUERY`).
pub fn op_reply(request_id: i32, response_to: i32, doc: &RawDocument) -> Vec<u8> {
    let body = doc.as_bytes();
    let length = 16 + 4 + 8 + 4 + 4 + body.len();
    let mut out = Vec::with_capacity(length);
    header(&mut out, length, request_id, response_to, OP_REPLY);
    out.extend_from_slice(&0i32.to_le_bytes()); // responseFlags
    out.extend_from_slice(&0i64.to_le_bytes()); // cursorID
    out.extend_from_slice(&0i32.to_le_bytes()); // startingFrom
    out.extend_from_slice(&1i32.to_le_bytes()); // numberReturned
    out.extend_from_slice(body);
    out
}

fn header(out: &mut Vec<u8>, length: usize, request_id: i32, response_to: i32, op: i32) {
    let length = i32::try_from(length).unwrap_or(i32::MAX);
    for word in [length, request_id, response_to, op] {
        out.extend_from_slice(&word.to_le_bytes());
    }
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;

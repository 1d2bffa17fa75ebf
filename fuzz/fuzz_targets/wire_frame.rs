//! Random bytes through the wire server's message parser, as a connection
//! reads them: a 16-byte header, then an `OP_MSG` or `OP_QUERY` body.
//!
//! Never panics; a parsed request has a name and a database.
#![no_main]

use libfuzzer_sys::fuzz_target;
use odm::wire::frame::{self, Header};

fuzz_target!(|data: &[u8]| {
    if let Some(head) = data.first_chunk::<16>() {
        if let Ok(h) = Header::parse(head) {
            assert!(h.length >= 16 && h.length <= frame::MAX_MESSAGE_SIZE);
        }
    }
    let body = data.get(16..).unwrap_or_default();
    if let Ok(mut req) = frame::parse_op_msg(body) {
        let _ = req.name();
        let _ = req.take_documents("documents");
    }
    if let Ok(req) = frame::parse_op_query(body) {
        let _ = req.name();
    }
    if let Ok(doc) = odm::bson::RawDocument::from_bytes(data) {
        let _ = frame::validate(doc, 0);
    }
});

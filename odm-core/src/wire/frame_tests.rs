use super::*;
use bson::doc;

fn raw(d: &Document) -> Vec<u8> {
    RawDocumentBuf::try_from(d).unwrap().into_bytes()
}

fn op_msg(flags: u32, sections: &[u8]) -> Vec<u8> {
    let mut out = flags.to_le_bytes().to_vec();
    out.extend_from_slice(sections);
    out
}

fn sequence(name: &str, docs: &[Document]) -> Vec<u8> {
    let mut payload = name.as_bytes().to_vec();
    payload.push(0);
    for d in docs {
        payload.extend(raw(d));
    }
    let mut out = vec![1u8];
    out.extend(((payload.len() + 4) as i32).to_le_bytes());
    out.extend(payload);
    out
}

#[test]
fn header_lengths_outside_the_limits_are_refused() {
    let mut h = [0u8; 16];
    h[..4].copy_from_slice(&15i32.to_le_bytes());
    assert!(Header::parse(&h).is_err());
    h[..4].copy_from_slice(&(-1i32).to_le_bytes());
    assert!(Header::parse(&h).is_err());
    h[..4].copy_from_slice(&(MAX_MESSAGE_SIZE as i32 + 1).to_le_bytes());
    assert!(Header::parse(&h).is_err());
    h[..4].copy_from_slice(&100i32.to_le_bytes());
    h[12..].copy_from_slice(&OP_MSG.to_le_bytes());
    let parsed = Header::parse(&h).unwrap();
    assert_eq!((parsed.length, parsed.op_code), (100, OP_MSG));
}

#[test]
fn op_msg_merges_document_sequences_into_the_command() {
    let mut sections = vec![0u8];
    sections.extend(raw(&doc! { "insert": "c", "$db": "shop" }));
    sections.extend(sequence("documents", &[doc! { "a": 1 }, doc! { "a": 2 }]));
    let mut req = parse_op_msg(&op_msg(0, &sections)).unwrap();
    assert_eq!((req.name(), req.db.as_str()), ("insert", "shop"));
    let docs = req.take_documents("documents").unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(
        Document::try_from(docs[1].clone()).unwrap(),
        doc! { "a": 2 }
    );
    assert!(!req.more_to_come);
}

#[test]
fn insert_documents_in_the_body_stay_raw() {
    let mut sections = vec![0u8];
    sections.extend(raw(
        &doc! { "insert": "c", "documents": [{ "x": 1 }], "ordered": true, "$db": "d" },
    ));
    let mut req = parse_op_msg(&op_msg(MORE_TO_COME, &sections)).unwrap();
    assert!(req.body.get("documents").is_none());
    assert!(req.body.get_bool("ordered").unwrap());
    assert_eq!(req.take_documents("documents").unwrap().len(), 1);
    assert!(req.more_to_come);
}

#[test]
fn checksum_is_stripped_and_unknown_required_bits_refused() {
    let mut sections = vec![0u8];
    sections.extend(raw(&doc! { "ping": 1, "$db": "admin" }));
    sections.extend([1, 2, 3, 4]);
    assert_eq!(
        parse_op_msg(&op_msg(CHECKSUM_PRESENT, &sections))
            .unwrap()
            .name(),
        "ping"
    );
    assert!(parse_op_msg(&op_msg(1 << 5, &sections)).is_err());
}

#[test]
fn hostile_op_msgs_are_errors_not_panics() {
    let body = raw(&doc! { "ping": 1, "$db": "admin" });
    let mut good = vec![0u8];
    good.extend(&body);
    // every truncation of a valid message
    let full = op_msg(0, &good);
    for end in 0..full.len() {
        assert!(parse_op_msg(&full[..end]).is_err(), "truncated at {end}");
    }
    // a document length larger than the bytes present, and a negative one
    for len in [i32::MAX, -5, 3] {
        let mut bad = full.clone();
        bad[5..9].copy_from_slice(&len.to_le_bytes());
        assert!(parse_op_msg(&bad).is_err());
    }
    // no body, two bodies, an unknown section kind, no $db
    assert!(parse_op_msg(&op_msg(0, &sequence("documents", &[]))).is_err());
    let mut two = good.clone();
    two.extend(&good);
    assert!(parse_op_msg(&op_msg(0, &two)).is_err());
    assert!(parse_op_msg(&op_msg(0, &[7, 1, 2])).is_err());
    let mut no_db = vec![0u8];
    no_db.extend(raw(&doc! { "ping": 1 }));
    assert!(parse_op_msg(&op_msg(0, &no_db)).is_err());
    // a sequence whose size runs past the message
    let mut seq = good.clone();
    seq.extend([1u8]);
    seq.extend(1000i32.to_le_bytes());
    seq.extend(b"documents\0");
    assert!(parse_op_msg(&op_msg(0, &seq)).is_err());
    // garbage inside a well-framed document: an element type that does not exist
    let mut garbage = good.clone();
    if let Some(b) = garbage.get_mut(5) {
        *b = 0x7e;
    }
    assert!(parse_op_msg(&op_msg(0, &garbage)).is_err());
}

#[test]
fn deeply_nested_documents_are_refused_before_decoding() {
    // {a: {a: {a: ... }}} 10_000 levels deep, built by hand
    let depth = 10_000;
    let mut inner: Vec<u8> = vec![5, 0, 0, 0, 0];
    for _ in 0..depth {
        let mut d = Vec::with_capacity(inner.len() + 8);
        let len = (4 + 1 + 2 + inner.len() + 1) as i32;
        d.extend(len.to_le_bytes());
        d.push(0x03);
        d.extend(b"a\0");
        d.extend(&inner);
        d.push(0);
        inner = d;
    }
    let mut sections = vec![0u8];
    sections.extend(&inner);
    let e = parse_op_msg(&op_msg(0, &sections)).unwrap_err();
    assert!(e.0.contains("nested"), "{e}");
}

#[test]
fn op_query_serves_commands_only() {
    let mut q = 0i32.to_le_bytes().to_vec();
    q.extend(b"admin.$cmd\0");
    q.extend(0i32.to_le_bytes());
    q.extend((-1i32).to_le_bytes());
    q.extend(raw(
        &doc! { "$query": { "isMaster": 1 }, "$readPreference": { "mode": "primary" } },
    ));
    let req = parse_op_query(&q).unwrap();
    assert_eq!(
        (req.name(), req.db.as_str(), req.legacy),
        ("isMaster", "admin", true)
    );

    let mut not_cmd = 0i32.to_le_bytes().to_vec();
    not_cmd.extend(b"shop.users\0");
    not_cmd.extend([0u8; 8]);
    not_cmd.extend(raw(&doc! {}));
    assert!(parse_op_query(&not_cmd).is_err());
    assert!(parse_op_query(&q[..q.len() - 3]).is_err());
    assert!(parse_op_query(b"\0\0\0\0admin.$cmd").is_err());
}

#[test]
fn replies_are_framed_with_their_length() {
    let d = RawDocumentBuf::try_from(&doc! { "ok": 1.0 }).unwrap();
    let msg = op_msg_reply(7, 3, &d);
    let mut h = [0u8; 16];
    h.copy_from_slice(&msg[..16]);
    let h = Header::parse(&h).unwrap();
    assert_eq!(
        (h.length, h.request_id, h.response_to, h.op_code),
        (msg.len(), 7, 3, OP_MSG)
    );
    assert_eq!(&msg[21..], d.as_bytes());
    let reply = op_reply(8, 4, &d);
    assert_eq!(
        i32::from_le_bytes([reply[32], reply[33], reply[34], reply[35]]),
        1
    );
    assert_eq!(&reply[36..], d.as_bytes());
}

#[test]
fn documents_over_the_bson_limit_are_bson_object_too_large() {
    let mut sections = vec![0u8];
    sections.extend(raw(&doc! { "insert": "c", "$db": "shop" }));
    let big = "x".repeat(MAX_BSON_SIZE + 32 * 1024);
    sections.extend(sequence("documents", &[doc! { "s": big }]));
    let e = parse_op_msg(&op_msg(0, &sections)).unwrap_err();
    assert_eq!(e.code(), (10334, "BSONObjectTooLarge"), "{e}");

    // Malformed bytes stay a parse failure.
    let e = parse_op_msg(&op_msg(0, &[0u8, 3, 0])).unwrap_err();
    assert_eq!(e.code(), (9, "FailedToParse"), "{e}");
}

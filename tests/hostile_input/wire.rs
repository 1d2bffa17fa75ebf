//! Raw bytes against the wire server: every malformed message gets an
//! error reply or a closed connection, and the official driver keeps
//! working against the same server afterwards.

use std::net::SocketAddr;
use std::time::Duration;

use odm::backend::mongo::MongoBackend;
use odm::backend::Backend;
use odm::bson::{doc, Document as BsonDocument, RawDocumentBuf};
use odm::wire::frame::{self, OP_MSG, OP_QUERY};
use odm::wire::{Server, ServerHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const OP_COMPRESSED: i32 = 2012;

fn start() -> ServerHandle {
    let engine: std::sync::Arc<dyn Backend> =
        std::sync::Arc::new(odm::backend::memory::MemoryBackend::new());
    Server::bind("127.0.0.1:0".parse().unwrap(), engine)
        .unwrap()
        .spawn()
        .unwrap()
}

fn message(op: i32, request_id: i32, payload: &[u8]) -> Vec<u8> {
    let mut out = ((16 + payload.len()) as i32).to_le_bytes().to_vec();
    out.extend(request_id.to_le_bytes());
    out.extend(0i32.to_le_bytes());
    out.extend(op.to_le_bytes());
    out.extend(payload);
    out
}

fn op_msg_bytes(request_id: i32, body: &[u8]) -> Vec<u8> {
    let mut payload = 0u32.to_le_bytes().to_vec();
    payload.push(0);
    payload.extend(body);
    message(OP_MSG, request_id, &payload)
}

fn op_msg(request_id: i32, body: BsonDocument) -> Vec<u8> {
    op_msg_bytes(
        request_id,
        RawDocumentBuf::try_from(&body).unwrap().as_bytes(),
    )
}

/// Read one reply, or `None` if the server closed the connection.
async fn reply(s: &mut TcpStream) -> Option<BsonDocument> {
    let read = async {
        let mut head = [0u8; 16];
        s.read_exact(&mut head).await.ok()?;
        let header = frame::Header::parse(&head).ok()?;
        let mut body = vec![0u8; header.length - 16];
        s.read_exact(&mut body).await.ok()?;
        let at = if header.op_code == OP_MSG { 5 } else { 20 };
        let raw = RawDocumentBuf::from_bytes(body.get(at..)?.to_vec()).ok()?;
        BsonDocument::try_from(raw).ok()
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the server neither replied nor closed the connection")
}

async fn closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await;
    matches!(read, Ok(Ok(0) | Err(_)))
}

async fn send(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    // The server may close before reading everything: a failed write is fine.
    let _ = s.write_all(bytes).await;
    s
}

/// A document nested `levels` deep, built as bytes (no recursion anywhere).
fn deep_bson(levels: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in (1..levels).rev() {
        out.extend(((5 + 8 * i) as i32).to_le_bytes());
        out.extend([3, b'a', 0]);
    }
    out.extend([5, 0, 0, 0, 0]);
    out.extend(std::iter::repeat_n(0u8, levels - 1));
    out
}

/// `{ping: 1, $db: "admin", x: <value bytes of type 3>}`.
fn ping_with(x: &[u8]) -> Vec<u8> {
    let mut elems = vec![0x10];
    elems.extend(b"ping\0");
    elems.extend(1i32.to_le_bytes());
    elems.push(0x02);
    elems.extend(b"$db\0");
    elems.extend(6i32.to_le_bytes());
    elems.extend(b"admin\0");
    elems.push(0x03);
    elems.extend(b"x\0");
    elems.extend(x);
    let mut doc = ((elems.len() + 5) as i32).to_le_bytes().to_vec();
    doc.extend(elems);
    doc.push(0);
    doc
}

async fn driver_still_works(uri: &str, db: &str) {
    let driver = MongoBackend::connect(uri).await.unwrap();
    let ns = odm::backend::Namespace::new(db, "after");
    driver
        .insert(
            ns.clone(),
            vec![RawDocumentBuf::try_from(&doc! { "_id": 1, "ok": true }).unwrap()],
            Default::default(),
        )
        .await
        .unwrap();
    let n = driver.count(ns, doc! {}, Default::default()).await.unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn broken_framing_closes_only_that_connection() {
    let server = start();
    let addr = server.local_addr();

    // A peer that claims a large message and sends nothing more holds
    // its own connection only: others are served meanwhile.
    let mut hog = ((frame::MAX_MESSAGE_SIZE) as i32).to_le_bytes().to_vec();
    hog.extend([0u8; 8]);
    hog.extend(OP_MSG.to_le_bytes());
    let _hog = send(addr, &hog).await;

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("length below the header", {
            let mut m = message(OP_MSG, 1, &[]);
            m[..4].copy_from_slice(&12i32.to_le_bytes());
            m
        }),
        ("length 0", {
            let mut m = message(OP_MSG, 1, &[]);
            m[..4].copy_from_slice(&0i32.to_le_bytes());
            m
        }),
        ("negative length", {
            let mut m = message(OP_MSG, 1, &[0; 8]);
            m[..4].copy_from_slice(&(-1i32).to_le_bytes());
            m
        }),
        ("oversized length", {
            let mut m = message(OP_MSG, 1, &[0; 8]);
            m[..4].copy_from_slice(&i32::MAX.to_le_bytes());
            m
        }),
        ("unknown opcode", message(4242, 1, &[1, 2, 3, 4])),
        (
            "compressed (not negotiated)",
            message(OP_COMPRESSED, 1, &[0; 9]),
        ),
        ("legacy OP_INSERT", message(2002, 1, &[0; 12])),
    ];
    for (what, bytes) in cases {
        let mut s = send(addr, &bytes).await;
        assert!(closed(&mut s).await, "{what}: the connection stayed open");
    }

    // Garbage of every length: closed, or an error reply, never a hang.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for len in [1usize, 15, 16, 17, 64, 1000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let mut s = send(addr, &bytes).await;
        drop(s.shutdown().await);
        let mut sink = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut sink)).await;
        assert!(read.is_ok(), "{len} garbage bytes: the server hung");
    }

    // Disconnects mid-header and mid-body.
    let ping = op_msg(7, doc! { "ping": 1, "$db": "admin" });
    drop(send(addr, &ping[..10]).await);
    drop(send(addr, &ping[..ping.len() - 3]).await);

    driver_still_works(&server.uri(), "wire_framing").await;
    server.shutdown().await;
}

#[tokio::test]
async fn bad_messages_with_intact_framing_get_error_replies() {
    let server = start();
    let addr = server.local_addr();
    let mut s = TcpStream::connect(addr).await.unwrap();

    let failed_to_parse = |r: &BsonDocument| {
        r.get_f64("ok").ok() == Some(0.0) && r.get_str("codeName").ok() == Some("FailedToParse")
    };
    let body = RawDocumentBuf::try_from(&doc! { "ping": 1, "$db": "admin" }).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("no body section", message(OP_MSG, 1, &0u32.to_le_bytes())),
        ("unknown section kind", {
            let mut p = 0u32.to_le_bytes().to_vec();
            p.push(7);
            p.extend(body.as_bytes());
            message(OP_MSG, 2, &p)
        }),
        ("two bodies", {
            let mut p = 0u32.to_le_bytes().to_vec();
            for _ in 0..2 {
                p.push(0);
                p.extend(body.as_bytes());
            }
            message(OP_MSG, 3, &p)
        }),
        ("unknown required flag", {
            let mut p = 4u32.to_le_bytes().to_vec();
            p.push(0);
            p.extend(body.as_bytes());
            message(OP_MSG, 4, &p)
        }),
        ("document length past the end", {
            let mut b = body.as_bytes().to_vec();
            b[..4].copy_from_slice(&1000i32.to_le_bytes());
            op_msg_bytes(5, &b)
        }),
        ("document without its terminator", {
            let b = body.as_bytes();
            op_msg_bytes(6, &b[..b.len() - 1])
        }),
        ("no $db", op_msg(7, doc! { "ping": 1 })),
        ("non-UTF-8 string", {
            let mut b = body.as_bytes().to_vec();
            let at = b.len() - 3; // inside "admin"
            b[at] = 0xff;
            op_msg_bytes(8, &b)
        }),
        (
            "nested 10 000 levels (no stack overflow)",
            op_msg_bytes(9, &ping_with(&deep_bson(10_000))),
        ),
        ("OP_QUERY on a collection", {
            let mut p = 0i32.to_le_bytes().to_vec();
            p.extend(b"db.coll\0");
            p.extend([0u8; 8]);
            p.extend(body.as_bytes());
            message(OP_QUERY, 10, &p)
        }),
    ];
    for (what, bytes) in cases {
        s.write_all(&bytes).await.unwrap();
        let r = reply(&mut s).await;
        assert!(r.as_ref().is_some_and(failed_to_parse), "{what}: {r:?}");
    }

    // Well-formed, but not something the server knows.
    s.write_all(&op_msg(20, doc! { "shutdown": 1, "$db": "admin" }))
        .await
        .unwrap();
    let r = reply(&mut s).await.unwrap();
    assert_eq!(r.get_i32("code").ok(), Some(59), "{r}");
    assert_eq!(r.get_str("codeName").ok(), Some("CommandNotFound"));
    s.write_all(&op_msg(21, doc! { "$db": "admin" }))
        .await
        .unwrap();
    let r = reply(&mut s).await.unwrap();
    assert_eq!(r.get_f64("ok").ok(), Some(0.0), "an empty command: {r}");
    // Bad arguments to a known command.
    s.write_all(&op_msg(22, doc! { "find": 5, "$db": "x" }))
        .await
        .unwrap();
    let r = reply(&mut s).await.unwrap();
    assert_eq!(r.get_f64("ok").ok(), Some(0.0), "find on a number: {r}");
    s.write_all(&op_msg(
        23,
        doc! { "insert": "c", "documents": [1, 2], "$db": "x" },
    ))
    .await
    .unwrap();
    let r = reply(&mut s).await.unwrap();
    assert_eq!(
        r.get_f64("ok").ok(),
        Some(0.0),
        "insert of non-documents: {r}"
    );

    // The same connection still answers.
    s.write_all(&op_msg(30, doc! { "ping": 1, "$db": "admin" }))
        .await
        .unwrap();
    assert_eq!(reply(&mut s).await.unwrap(), doc! { "ok": 1.0 });
    driver_still_works(&server.uri(), "wire_replies").await;
    server.shutdown().await;
}

/// An insert whose document sequence carries `doc`.
fn insert_with_sequence(request_id: i32, doc: &[u8]) -> Vec<u8> {
    let body = RawDocumentBuf::try_from(&doc! { "insert": "big", "$db": "wire_size" }).unwrap();
    let mut p = 0u32.to_le_bytes().to_vec();
    p.push(0);
    p.extend(body.as_bytes());
    p.push(1);
    p.extend(((4 + b"documents\0".len() + doc.len()) as i32).to_le_bytes());
    p.extend(b"documents\0");
    p.extend(doc);
    message(OP_MSG, request_id, &p)
}

#[tokio::test]
async fn documents_over_16_mib_are_bson_object_too_large() {
    let server = start();
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    let code = |r: &Option<BsonDocument>| {
        r.as_ref().and_then(|r| {
            Some((
                r.get_i32("code").ok()?,
                r.get_str("codeName").ok()?.to_owned(),
            ))
        })
    };

    // Past what any command could need: refused while reading the message.
    let huge =
        RawDocumentBuf::try_from(&doc! { "_id": 1, "s": "x".repeat(17 * 1024 * 1024) }).unwrap();
    s.write_all(&insert_with_sequence(1, huge.as_bytes()))
        .await
        .unwrap();
    let r = reply(&mut s).await;
    assert_eq!(
        code(&r),
        Some((10334, "BSONObjectTooLarge".into())),
        "{r:?}"
    );

    // Just over 16 MiB: framed, then refused by the engine as a write error.
    let over =
        RawDocumentBuf::try_from(&doc! { "_id": 2, "s": "y".repeat(16 * 1024 * 1024) }).unwrap();
    s.write_all(&insert_with_sequence(2, over.as_bytes()))
        .await
        .unwrap();
    let r = reply(&mut s).await.expect("a reply");
    let first = r
        .get_array("writeErrors")
        .ok()
        .and_then(|w| w.first())
        .and_then(|w| w.as_document())
        .and_then(|w| w.get_i32("code").ok());
    assert_eq!(first, Some(10334), "{r:?}");

    driver_still_works(&server.uri(), "wire_size").await;
    let driver = MongoBackend::connect(&server.uri()).await.unwrap();
    let ns = odm::backend::Namespace::new("wire_size", "big");
    let n = driver.count(ns, doc! {}, Default::default()).await.unwrap();
    assert_eq!(n, 0, "nothing was stored");
    server.shutdown().await;
}

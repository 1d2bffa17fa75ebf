use super::*;
use crate::backend::memory::MemoryBackend;
use bson::{doc, Document, RawDocumentBuf};

async fn start() -> ServerHandle {
    let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
    Server::bind("127.0.0.1:0".parse().unwrap(), backend)
        .unwrap()
        .spawn()
        .unwrap()
}

fn op_msg(request_id: i32, body: &Document) -> Vec<u8> {
    let body = RawDocumentBuf::try_from(body).unwrap();
    let mut msg = frame::op_msg_reply(request_id, 0, &body);
    // op_msg_reply frames exactly what a client sends too
    msg[12..16].copy_from_slice(&OP_MSG.to_le_bytes());
    msg
}

async fn read_reply(stream: &mut TcpStream) -> std::io::Result<(Header, Document)> {
    let mut head = [0u8; 16];
    stream.read_exact(&mut head).await?;
    let header = Header::parse(&head).unwrap();
    let mut body = vec![0u8; header.length - 16];
    stream.read_exact(&mut body).await?;
    let offset = if header.op_code == OP_MSG { 5 } else { 20 };
    let doc =
        Document::try_from(RawDocumentBuf::from_bytes(body[offset..].to_vec()).unwrap()).unwrap();
    Ok((header, doc))
}

async fn ping(addr: SocketAddr) -> Document {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&op_msg(42, &doc! { "ping": 1, "$db": "admin" }))
        .await
        .unwrap();
    let (header, doc) = read_reply(&mut s).await.unwrap();
    assert_eq!(header.response_to, 42);
    doc
}

#[tokio::test]
async fn answers_ping_over_tcp() {
    let server = start().await;
    assert_eq!(ping(server.local_addr()).await, doc! { "ok": 1.0 });
    server.shutdown().await;
}

#[tokio::test]
async fn hostile_clients_do_not_stop_the_server() {
    let server = start().await;
    let addr = server.local_addr();

    // An oversized length: the connection is closed.
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut head = (frame::MAX_MESSAGE_SIZE as i32 + 1).to_le_bytes().to_vec();
    head.extend([0u8; 8]);
    head.extend(OP_MSG.to_le_bytes());
    s.write_all(&head).await.unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(s.read(&mut buf).await.unwrap_or(0), 0, "closed");

    // A well-framed OP_MSG with garbage inside: an error reply.
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut garbage = 26i32.to_le_bytes().to_vec();
    garbage.extend(1i32.to_le_bytes());
    garbage.extend(0i32.to_le_bytes());
    garbage.extend(OP_MSG.to_le_bytes());
    garbage.extend([0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 9]);
    s.write_all(&garbage).await.unwrap();
    let (_, reply) = read_reply(&mut s).await.unwrap();
    assert_eq!(reply.get_f64("ok").unwrap(), 0.0);
    assert_eq!(reply.get_str("codeName").unwrap(), "FailedToParse");
    // ... and the connection still works.
    s.write_all(&op_msg(2, &doc! { "ping": 1, "$db": "admin" }))
        .await
        .unwrap();
    assert_eq!(read_reply(&mut s).await.unwrap().1, doc! { "ok": 1.0 });

    // A client that disconnects mid-message.
    let mut s = TcpStream::connect(addr).await.unwrap();
    let msg = op_msg(3, &doc! { "ping": 1, "$db": "admin" });
    s.write_all(&msg[..msg.len() / 2]).await.unwrap();
    drop(s);

    // An unknown opCode: closed.
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut odd = 16i32.to_le_bytes().to_vec();
    odd.extend([0u8; 8]);
    odd.extend(2010i32.to_le_bytes());
    s.write_all(&odd).await.unwrap();
    assert_eq!(s.read(&mut buf).await.unwrap_or(0), 0, "closed");

    assert_eq!(ping(addr).await, doc! { "ok": 1.0 });
    server.shutdown().await;
}

#[tokio::test]
async fn more_to_come_requests_get_no_reply() {
    let server = start().await;
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut silent = op_msg(1, &doc! { "ping": 1, "$db": "admin" });
    silent[16..20].copy_from_slice(&frame::MORE_TO_COME.to_le_bytes());
    s.write_all(&silent).await.unwrap();
    s.write_all(&op_msg(2, &doc! { "ping": 1, "$db": "admin" }))
        .await
        .unwrap();
    let (header, _) = read_reply(&mut s).await.unwrap();
    assert_eq!(header.response_to, 2, "the first request was not answered");
    server.shutdown().await;
}

#[tokio::test]
async fn legacy_op_query_handshake_gets_op_reply() {
    let server = start().await;
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    let q = RawDocumentBuf::try_from(&doc! { "isMaster": 1 }).unwrap();
    let mut body = 0i32.to_le_bytes().to_vec();
    body.extend(b"admin.$cmd\0");
    body.extend(0i32.to_le_bytes());
    body.extend((-1i32).to_le_bytes());
    body.extend(q.as_bytes());
    let mut msg = ((16 + body.len()) as i32).to_le_bytes().to_vec();
    msg.extend(9i32.to_le_bytes());
    msg.extend(0i32.to_le_bytes());
    msg.extend(OP_QUERY.to_le_bytes());
    msg.extend(body);
    s.write_all(&msg).await.unwrap();
    let (header, reply) = read_reply(&mut s).await.unwrap();
    assert_eq!((header.op_code, header.response_to), (frame::OP_REPLY, 9));
    assert!(reply.get_bool("ismaster").unwrap());
    server.shutdown().await;
}

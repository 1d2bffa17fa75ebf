use super::*;
use crate::backend::memory::MemoryBackend;

fn shared() -> Shared {
    Shared {
        backend: Arc::new(MemoryBackend::new()),
        cursors: Arc::default(),
        sessions: Arc::default(),
    }
}

fn request(body: Document) -> Request {
    Request {
        body,
        sequences: Vec::new(),
        db: "test".into(),
        more_to_come: false,
        legacy: false,
    }
}

async fn reply(body: Document) -> Document {
    Document::try_from(run(&shared(), 7, request(body)).await).unwrap()
}

#[tokio::test]
async fn hello_advertises_what_drivers_need() {
    let r = reply(doc! { "hello": 1, "helloOk": true, "$db": "admin" }).await;
    assert!(r.get_bool("isWritablePrimary").unwrap());
    assert!(r.get_bool("helloOk").unwrap());
    assert_eq!(r.get_i32("maxWireVersion").unwrap(), MAX_WIRE_VERSION);
    assert_eq!(r.get_i32("maxBsonObjectSize").unwrap(), 16 * 1024 * 1024);
    assert_eq!(r.get_i32("maxMessageSizeBytes").unwrap(), 48_000_000);
    assert_eq!(r.get_i32("maxWriteBatchSize").unwrap(), 100_000);
    assert_eq!(r.get_i64("connectionId").unwrap(), 7);
    assert!(r.get_datetime("localTime").is_ok());
    assert_eq!(r.get_f64("ok").unwrap(), 1.0);
    let legacy = reply(doc! { "isMaster": 1 }).await;
    assert!(legacy.get_bool("ismaster").unwrap());
    assert!(legacy.get("isWritablePrimary").is_none());
}

#[tokio::test]
async fn unknown_commands_are_mongodbs_command_not_found() {
    let r = reply(doc! { "frobnicate": 1, "$db": "test" }).await;
    assert_eq!(
        r,
        doc! { "ok": 0.0, "errmsg": "no such command: 'frobnicate'", "code": 59, "codeName": "CommandNotFound" }
    );
}

#[tokio::test]
async fn malformed_arguments_are_type_errors() {
    let r = reply(doc! { "find": "c", "filter": 3, "$db": "test" }).await;
    assert_eq!(r.get_i32("code").unwrap(), 14);
    assert_eq!(
        r.get_str("errmsg").unwrap(),
        "BSON field 'find.filter' is the wrong type 'int', expected type 'object'"
    );
    let r = reply(doc! { "find": 5, "$db": "test" }).await;
    assert_eq!(r.get_i32("code").unwrap(), 73);
    let r = reply(doc! { "aggregate": "c", "pipeline": [], "$db": "test" }).await;
    assert_eq!(r.get_i32("code").unwrap(), 9, "cursor is required");
    let r = reply(doc! { "insert": "c", "documents": [], "$db": "test" }).await;
    assert_eq!(r.get_str("codeName").unwrap(), "InvalidLength");
    let r = reply(doc! { "getMore": 12345_i64, "collection": "c", "$db": "test" }).await;
    assert_eq!(
        (r.get_i32("code").unwrap(), r.get_str("codeName").unwrap()),
        (43, "CursorNotFound")
    );
}

#[test]
fn duplicate_keys_reply_with_key_pattern_and_value() {
    let e = Error::DuplicateKey {
        namespace: "shop.users".into(),
        index: "email_1".into(),
        key: Box::new(doc! { "email": "a@b.c" }),
        key_pattern: Box::new(doc! {}),
    };
    let r = error_reply(&e);
    assert_eq!(r.get_i32("code").unwrap(), 11000);
    assert_eq!(
        r.get_document("keyValue").unwrap(),
        &doc! { "email": "a@b.c" }
    );
    assert_eq!(r.get_document("keyPattern").unwrap(), &doc! { "email": 1 });
    assert!(r
        .get_str("errmsg")
        .unwrap()
        .contains("index: email_1 dup key:"));
}

//! What only the driver backend does: its command log, cursor cleanup,
//! batch splitting, connection errors, many clients on one wire server.

use super::*;

#[cfg(all(feature = "wire", feature = "mongodb"))]
#[tokio::test]
async fn the_driver_log_counts_what_went_on_the_wire() {
    let b = common::driver_over_wire_monitored().await;
    let ns = seed(&b, "people", people()).await;
    let log = b.backend.command_log();
    log.start();
    let options = opts!(FindOptions {
        batch_size: Some(2)
    });
    let docs = all(b
        .backend
        .find(ns.clone(), doc! { "age": { "$gt": 0 } }, options)
        .await
        .unwrap())
    .await;
    assert_eq!(docs.len(), 5);
    let events = log.take();
    let names: Vec<_> = events.iter().map(|e| e.command.as_str()).collect();
    assert_eq!(names, ["find", "getMore", "getMore"]);
    assert_eq!(events[0].namespace, ns.to_string());
    assert_eq!(events[0].filter, Some(doc! { "age": { "$gt": 0 } }));
    b.finish().await;
}

#[cfg(feature = "mongodb")]
#[tokio::test]
async fn an_unreachable_server_says_what_to_check() {
    let uri = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200&connectTimeoutMS=200";
    let e = odm::backend::mongo::MongoBackend::connect(uri)
        .await
        .unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, Error::Connection { .. }), "{e:?}");
    assert!(message.contains("mongod is running"), "{message}");
    assert!(message.contains("IP access list"), "{message}");
    assert!(std::error::Error::source(&e).is_some());
}

#[cfg(all(feature = "wire", feature = "mongodb"))]
#[tokio::test]
async fn dropping_a_cursor_early_kills_it_on_the_server() {
    use futures::StreamExt;
    let b = common::driver_over_wire_monitored().await;
    let ns = seed(&b, "people", people()).await;
    let log = b.backend.command_log();
    log.start();
    let options = opts!(FindOptions {
        batch_size: Some(2)
    });
    let mut stream = b.backend.find(ns.clone(), doc! {}, options).await.unwrap();
    assert!(stream.next().await.is_some());
    drop(stream);
    // The driver kills the cursor from a background task.
    let mut names = Vec::new();
    for _ in 0..50 {
        names = log.snapshot().iter().map(|e| e.command.clone()).collect();
        if names.iter().any(|n| n == "killCursors") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(names, ["find", "killCursors"]);
    b.finish().await;
}

#[cfg(all(feature = "wire", feature = "mongodb"))]
#[tokio::test]
async fn large_inserts_are_split_below_the_bson_limit() {
    let b = common::driver_over_wire_monitored().await;
    let ns = b.ns("blobs");
    let blob = "x".repeat(1024 * 1024);
    let docs: Vec<_> = (0..40)
        .map(|i| raw(doc! { "_id": i, "blob": blob.as_str() }))
        .collect();
    let log = b.backend.command_log();
    log.start();
    let r = b
        .backend
        .insert(ns.clone(), docs, InsertOptions::default())
        .await
        .unwrap();
    assert_eq!(r.inserted_ids.len(), 40);
    let inserts = log.take().iter().filter(|e| e.command == "insert").count();
    assert_eq!(inserts, 3, "40 MiB in commands of at most 16 MiB");
    let n = b
        .backend
        .count(ns, doc! {}, CountOptions::default())
        .await
        .unwrap();
    assert_eq!(n, 40);
    b.finish().await;
}

#[cfg(all(feature = "wire", feature = "mongodb"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_at_once() {
    let b = common::driver_over_wire().await;
    let uri = format!("mongodb://{}", b.server_addr().unwrap());
    let mut tasks = Vec::new();
    for client in 0..8 {
        let ns = b.ns("shared");
        let uri = uri.clone();
        tasks.push(tokio::spawn(async move {
            let backend = odm::backend::mongo::MongoBackend::connect(&uri)
                .await
                .unwrap();
            for i in 0..25 {
                let d = raw(doc! { "client": client, "i": i });
                backend
                    .insert(ns.clone(), vec![d], InsertOptions::default())
                    .await
                    .unwrap();
            }
            backend
                .count(ns, doc! { "client": client }, CountOptions::default())
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 25);
    }
    let total = b
        .backend
        .count(b.ns("shared"), doc! {}, CountOptions::default())
        .await
        .unwrap();
    assert_eq!(total, 200);
    b.finish().await;
}

#[cfg(all(feature = "wire", feature = "mongodb"))]
#[tokio::test]
async fn the_default_driver_log_counts_one_command_per_operation() {
    let b = common::driver_over_wire().await;
    let ns = seed(&b, "people", people()).await;
    let log = b.backend.command_log();
    log.start();
    let options = opts!(FindOptions {
        batch_size: Some(2)
    });
    let docs = all(b
        .backend
        .find(ns.clone(), doc! { "age": { "$gt": 0 } }, options)
        .await
        .unwrap())
    .await;
    assert_eq!(docs.len(), 5);
    let events = log.take();
    let names: Vec<_> = events.iter().map(|e| e.command.as_str()).collect();
    assert_eq!(names, ["find"], "the getMores are not monitored by default");
    assert_eq!(events[0].filter, Some(doc! { "age": { "$gt": 0 } }));
    b.finish().await;
}

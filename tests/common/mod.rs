//! The backends a scenario runs on, so one test proves the same behaviour
//! everywhere:
//!
//! 1. the in-memory engine, called directly;
//! 2. (features `mongodb` + `wire`) the official driver talking to a wire
//!    server started in-process, on an ephemeral port, in front of a fresh
//!    in-memory engine;
//! 3. (feature `mongodb`) the official driver on `MONGODB_URI`, when set.
//!
//! Each scenario gets a database of its own ([`TestBackend::db`]), so tests
//! can share a real server.

#![allow(dead_code)]

use std::sync::Arc;

use odm::backend::memory::MemoryBackend;
use odm::backend::Namespace;
use odm::Backend;

/// A backend under test, with what keeps it alive.
pub struct TestBackend {
    /// `memory`, `driver+wire` or `mongodb`.
    pub name: &'static str,
    /// The backend.
    pub backend: Arc<dyn Backend>,
    /// A database name unique to this scenario.
    pub db: String,
    #[cfg(feature = "wire")]
    server: Option<odm::wire::ServerHandle>,
}

impl TestBackend {
    /// `db.coll` in this scenario's database.
    pub fn ns(&self, coll: &str) -> Namespace {
        Namespace::new(self.db.as_str(), coll)
    }

    /// The address of the in-process wire server, for a second client.
    #[cfg(feature = "wire")]
    pub fn server_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().map(|s| s.local_addr())
    }

    /// Drop the scenario's database and stop the in-process server.
    pub async fn finish(self) {
        let _ = self.backend.drop_database(self.db.clone()).await;
        #[cfg(feature = "wire")]
        if let Some(server) = self.server {
            server.shutdown().await;
        }
    }
}

fn unique_db() -> String {
    format!("odm_test_{}", uuid::Uuid::new_v4().simple())
}

/// The in-memory engine alone.
pub fn memory() -> TestBackend {
    TestBackend {
        name: "memory",
        backend: Arc::new(MemoryBackend::new()),
        db: unique_db(),
        #[cfg(feature = "wire")]
        server: None,
    }
}

/// The official driver through an in-process wire server over a fresh engine.
#[cfg(all(feature = "wire", feature = "mongodb"))]
pub async fn driver_over_wire() -> TestBackend {
    driver_over_wire_with(false).await
}

/// [`driver_over_wire`] whose command log lists every command sent on the
/// wire (`getMore`, `killCursors`, split batches).
#[cfg(all(feature = "wire", feature = "mongodb"))]
pub async fn driver_over_wire_monitored() -> TestBackend {
    driver_over_wire_with(true).await
}

#[cfg(all(feature = "wire", feature = "mongodb"))]
async fn driver_over_wire_with(monitored: bool) -> TestBackend {
    let engine: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
    let server = odm::wire::Server::bind("127.0.0.1:0".parse().expect("address"), engine)
        .expect("bind an ephemeral port")
        .spawn()
        .expect("spawn the wire server");
    let uri = server.uri();
    let backend = if monitored {
        odm::backend::mongo::MongoBackend::connect_monitored(&uri).await
    } else {
        odm::backend::mongo::MongoBackend::connect(&uri).await
    }
    .expect("the driver connects to the wire server");
    TestBackend {
        name: "driver+wire",
        backend: Arc::new(backend),
        db: unique_db(),
        server: Some(server),
    }
}

/// The official driver on `MONGODB_URI`, when it is set.
#[cfg(feature = "mongodb")]
pub async fn real_mongodb() -> Option<TestBackend> {
    let uri = std::env::var("MONGODB_URI")
        .ok()
        .filter(|u| !u.trim().is_empty());
    let Some(uri) = uri else {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            eprintln!("MONGODB_URI is not set: scenarios did not run against a real MongoDB")
        });
        return None;
    };
    let backend = odm::backend::mongo::MongoBackend::connect(uri.trim())
        .await
        .expect("connect to MONGODB_URI");
    Some(TestBackend {
        name: "mongodb",
        backend: Arc::new(backend),
        db: unique_db(),
        #[cfg(feature = "wire")]
        server: None,
    })
}

/// Every backend available with the enabled features and environment.
pub async fn backends() -> Vec<TestBackend> {
    #[allow(unused_mut)]
    let mut out = vec![memory()];
    #[cfg(all(feature = "wire", feature = "mongodb"))]
    out.push(driver_over_wire().await);
    #[cfg(feature = "mongodb")]
    if let Some(real) = real_mongodb().await {
        out.push(real);
    }
    out
}

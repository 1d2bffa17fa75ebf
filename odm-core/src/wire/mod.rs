//! A MongoDB wire-protocol server in front of any [`Backend`] (feature `wire`).
//!
//! It lets MongoDB's own clients (the Rust driver, pymongo, mongosh) talk to
//! the in-memory engine: tests run the official driver against a fresh
//! engine on an ephemeral port, and `cargo run --example serve` gives a
//! throwaway server for experiments. It speaks `OP_MSG` (and legacy
//! `OP_QUERY` for the handshake), answers the commands drivers send (each
//! mapped onto the [`Backend`] trait) and keeps server-side cursors
//! ([`cursors`]).
//!
//! Each connection is a tokio task; a malformed, truncated or oversized
//! message closes that connection (or gets an error reply when the framing
//! is intact), and never affects the others.

mod commands;
pub mod cursors;
pub mod frame;
mod sessions;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, AtomicI64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::backend::Backend;
use crate::error::{Error, Result};
use commands::Shared;
use frame::{FrameError, Header, Request, OP_MSG, OP_QUERY};

/// A bound, not yet serving, wire-protocol server.
#[derive(Debug)]
pub struct Server {
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
}

/// A server running in a tokio task.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Server {
    /// Bind `addr` (`127.0.0.1:0` for an ephemeral port) in front of `backend`.
    pub fn bind(addr: SocketAddr, backend: Arc<dyn Backend>) -> Result<Server> {
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| io_error(&format!("cannot listen on {addr}"), e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| io_error("cannot configure the listener", e))?;
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                backend,
                cursors: Arc::default(),
                sessions: Arc::default(),
            }),
        })
    }

    /// The address clients connect to (with the port chosen for `:0`).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|e| io_error("cannot read the listener's address", e))
    }

    /// Serve in a new tokio task.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime with I/O enabled, as `tokio::spawn` does.
    pub fn spawn(self) -> Result<ServerHandle> {
        let addr = self.local_addr()?;
        let listener = TcpListener::from_std(self.listener)
            .map_err(|e| io_error("cannot register the listener with tokio", e))?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(listener, self.shared, stopped));
        Ok(ServerHandle { addr, stop, task })
    }

    /// Serve until the task is cancelled (for a program that only serves).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime with I/O enabled.
    pub async fn run(self) -> Result<()> {
        let listener = TcpListener::from_std(self.listener)
            .map_err(|e| io_error("cannot register the listener with tokio", e))?;
        let (_stop, stopped) = watch::channel(false);
        serve(listener, self.shared, stopped).await;
        Ok(())
    }
}

impl ServerHandle {
    /// The address clients connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `mongodb://127.0.0.1:<port>` for this server.
    pub fn uri(&self) -> String {
        format!("mongodb://{}", self.addr)
    }

    /// Stop accepting, close every connection, and wait for the task to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn io_error(what: &str, e: std::io::Error) -> Error {
    Error::Backend {
        message: format!("{what}: {e}"),
        source: Some(Box::new(e)),
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    static CONNECTION_IDS: AtomicI64 = AtomicI64::new(1);
    // Dropping the set aborts the connections still open.
    let mut connections = JoinSet::new();
    // Idle cursors also expire when nobody touches the registry.
    let mut sweep = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = sweep.tick() => shared.cursors.expire_idle(),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let id = CONNECTION_IDS.fetch_add(1, Ordering::Relaxed);
                    connections.spawn(connection(stream, Arc::clone(&shared), id));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!("wire server: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stopped.changed() => break,
        }
    }
}

/// What a message body's buffer starts at before its bytes arrive.
const INITIAL_BODY_CAPACITY: usize = 64 * 1024;

/// Serve one client until it disconnects or sends something unreadable.
async fn connection(mut stream: TcpStream, shared: Arc<Shared>, id: i64) {
    static REQUEST_IDS: AtomicI32 = AtomicI32::new(1);
    loop {
        let mut head = [0u8; 16];
        if stream.read_exact(&mut head).await.is_err() {
            return; // disconnected (or mid-header): drop the connection
        }
        let header = match Header::parse(&head) {
            Ok(h) => h,
            Err(e) => {
                tracing::debug!("wire server: closing connection {id}: {e}");
                return;
            }
        };
        // Grow the buffer as bytes arrive: a peer that announces 48 MB and
        // sends nothing holds a small buffer, not the announced size.
        let want = header.length - 16;
        let mut body = Vec::with_capacity(want.min(INITIAL_BODY_CAPACITY));
        match (&mut stream).take(want as u64).read_to_end(&mut body).await {
            Ok(n) if n == want => {}
            _ => return, // disconnected mid-body
        }
        let parsed: std::result::Result<Request, FrameError> = match header.op_code {
            OP_MSG => frame::parse_op_msg(&body),
            OP_QUERY => frame::parse_op_query(&body),
            other => Err(FrameError::parse(format!("unsupported opCode {other}"))),
        };
        let reply_id = REQUEST_IDS.fetch_add(1, Ordering::Relaxed);
        let reply = match parsed {
            Ok(request) => {
                let legacy = request.legacy;
                let silent = request.more_to_come;
                let doc = commands::run(&shared, id, request).await;
                if silent {
                    continue;
                }
                if legacy {
                    frame::op_reply(reply_id, header.request_id, &doc)
                } else {
                    frame::op_msg_reply(reply_id, header.request_id, &doc)
                }
            }
            Err(e) if header.op_code == OP_MSG || header.op_code == OP_QUERY => {
                // The framing is intact, so the client can read an error.
                let (code, code_name) = e.code();
                let doc = commands::raw(&bson::doc! {
                    "ok": 0.0, "errmsg": e.0, "code": code, "codeName": code_name,
                });
                if header.op_code == OP_QUERY {
                    frame::op_reply(reply_id, header.request_id, &doc)
                } else {
                    frame::op_msg_reply(reply_id, header.request_id, &doc)
                }
            }
            Err(e) => {
                tracing::debug!("wire server: closing connection {id}: {e}");
                return;
            }
        };
        if stream.write_all(&reply).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests;

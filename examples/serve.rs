//! A MongoDB wire-protocol server in front of a fresh in-memory engine.
//!
//! ```text
//! cargo run --example serve --features wire -- --port 27017
//! mongosh mongodb://127.0.0.1:27017      # or any driver
//! ```
//!
//! Data lives in memory and is gone when the server stops (Ctrl-C).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use odm::backend::memory::MemoryBackend;
use odm::wire::Server;

fn parse_args() -> Result<SocketAddr, String> {
    let mut host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut port = 27017u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" | "-p" => {
                let v = value("--port")?;
                port = v.parse().map_err(|_| format!("invalid port `{v}`"))?;
            }
            "--host" => {
                let v = value("--host")?;
                host = v.parse().map_err(|_| format!("invalid IP address `{v}`"))?;
            }
            "--help" | "-h" => {
                println!("usage: serve [--host 127.0.0.1] [--port 27017]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(SocketAddr::new(host, port))
}

#[tokio::main]
async fn main() {
    let addr = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("serve: {e}");
            std::process::exit(2);
        }
    };
    let server = match Server::bind(addr, Arc::new(MemoryBackend::new())) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("serve: {e}");
            std::process::exit(1);
        }
    };
    let handle = match server.spawn() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("serve: {e}");
            std::process::exit(1);
        }
    };
    println!("odm in-memory MongoDB listening on {}", handle.uri());
    println!("press Ctrl-C to stop (the data is not kept)");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("serve: cannot wait for Ctrl-C: {e}");
    }
    handle.shutdown().await;
}

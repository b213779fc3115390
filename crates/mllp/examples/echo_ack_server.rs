//! An MLLP server that answers every message with an AA ACK (MSA-2 = MSH-10), for
//! load baselines. Usage: `cargo run --release -p mllp --example echo_ack_server -- [ADDR]`
//! (default 127.0.0.1:2575). Stops on Ctrl-C, draining open connections.

#[path = "../tests/common/hl7.rs"]
mod hl7;

use std::sync::Arc;

use bytes::Bytes;
use mllp::{CancellationToken, HandlerOutcome, MllpHandler, MllpServer, PeerInfo, ServerConfig};

struct EchoAck;

impl MllpHandler for EchoAck {
    async fn handle(&self, frame: Bytes, _peer: PeerInfo) -> HandlerOutcome {
        let control_id = mllp::control_id::message_control_id(&frame)
            .map(|id| String::from_utf8_lossy(id).into_owned())
            .unwrap_or_default();
        HandlerOutcome::Reply(Bytes::from(hl7::ack("AA", &control_id, "")))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:2575".to_string());
    let config = ServerConfig {
        max_connections: 1024,
        ..ServerConfig::default()
    };
    let server = MllpServer::bind(addr.as_str(), config, Arc::new(EchoAck)).await?;
    println!("echo ACK server listening on {}", server.local_addr());
    let metrics = server.metrics();
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.cancel();
        }
    });
    server.run(shutdown).await;
    println!("{:?}", metrics.snapshot());
    Ok(())
}

//! Shared test fixtures: a scripted handler, a server on 127.0.0.1:0, raw-socket
//! helpers. Each test binary uses a different subset, hence the allow.
#![allow(dead_code)]

pub mod certs;
pub mod hl7;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use mllp::{
    CancellationToken, CodecError, HandlerOutcome, MllpCodec, MllpHandler, MllpMetrics, MllpServer,
    PeerInfo, ServerConfig,
};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::codec::Decoder;

/// Upper bound on any single wait in a test, so a bug fails the test instead of
/// hanging it. Never used to assert how fast something happens.
pub const HANG_GUARD: Duration = Duration::from_secs(20);

/// Size of the reply to a `HUGE…` message.
pub const HUGE_REPLY_BYTES: usize = 64 * 1024 * 1024;

/// Behaviour chosen by the message's MSH-10:
/// `PANIC…` panics, `CLOSE…` asks to close, `HUGE…` gets a 64 MiB ACK, `WRONG…` answers with another MSA-2,
/// `SLOW…` reports that it started and waits for a permit on `gate`; anything else
/// gets an AA whose MSA-3 is the TLS client subject (if any).
pub struct ScriptedHandler {
    pub gate: Semaphore,
    started: mpsc::UnboundedSender<String>,
}

impl Default for ScriptedHandler {
    /// A handler whose `SLOW…` start notices go nowhere.
    fn default() -> Self {
        Self::with_started(mpsc::unbounded_channel().0)
    }
}

impl ScriptedHandler {
    fn with_started(started: mpsc::UnboundedSender<String>) -> Self {
        Self {
            gate: Semaphore::new(0),
            started,
        }
    }
}

impl MllpHandler for ScriptedHandler {
    async fn handle(&self, frame: Bytes, peer: PeerInfo) -> HandlerOutcome {
        let control_id = mllp::control_id::message_control_id(&frame)
            .map(|id| String::from_utf8_lossy(id).into_owned())
            .unwrap_or_default();
        if control_id.starts_with("PANIC") {
            panic!("scripted panic for {control_id}");
        }
        if control_id.starts_with("CLOSE") {
            return HandlerOutcome::Close {
                reason: format!("scripted close for {control_id}"),
            };
        }
        if control_id.starts_with("HUGE") {
            // Far more than loopback socket buffers hold, for slow-reader tests.
            let padding = "X".repeat(HUGE_REPLY_BYTES);
            return reply(hl7::ack("AA", &control_id, &padding));
        }
        if control_id.starts_with("WRONG") {
            return reply(hl7::ack("AA", "SOMEONE-ELSE", ""));
        }
        if control_id.starts_with("SLOW") {
            let _ = self.started.send(control_id.clone());
            if let Ok(permit) = self.gate.acquire().await {
                permit.forget();
            }
        }
        let subject = peer.tls_client_subject.unwrap_or_default();
        reply(hl7::ack("AA", &control_id, &subject))
    }

    async fn on_frame_error(&self, error: &CodecError, _peer: &PeerInfo) -> Option<HandlerOutcome> {
        let (kind, head) = match error {
            CodecError::FrameTooLarge { head, .. } => ("frame too large", head.clone()),
            CodecError::InvalidEndBlock { .. } => ("invalid end block", Bytes::new()),
            _ => ("framing error", Bytes::new()),
        };
        // MSA-2 from the kept head, as a real handler would answer.
        let control_id = mllp::control_id::message_control_id(&head)
            .map(|id| String::from_utf8_lossy(id).into_owned())
            .unwrap_or_default();
        if control_id.starts_with("CLOSE") {
            return Some(HandlerOutcome::Close {
                reason: format!("scripted close for oversize {control_id}"),
            });
        }
        Some(reply(hl7::ack("AR", &control_id, kind)))
    }
}

fn reply(ack: Vec<u8>) -> HandlerOutcome {
    HandlerOutcome::Reply(Bytes::from(ack))
}

pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<()>,
    pub metrics: Arc<MllpMetrics>,
    pub handler: Arc<ScriptedHandler>,
    pub started: mpsc::UnboundedReceiver<String>,
}

impl Running {
    /// Signals shutdown and waits for the listener to finish draining.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.handler.gate.add_permits(1000);
        tokio::time::timeout(HANG_GUARD, self.task)
            .await
            .expect("server did not shut down")
            .expect("server task failed");
    }
}

pub async fn start(config: ServerConfig) -> Running {
    let (started_tx, started) = mpsc::unbounded_channel();
    let handler = Arc::new(ScriptedHandler::with_started(started_tx));
    let server = MllpServer::bind("127.0.0.1:0", config, Arc::clone(&handler))
        .await
        .expect("bind");
    let addr = server.local_addr();
    let metrics = server.metrics();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(server.run(shutdown.clone()));
    Running {
        addr,
        shutdown,
        task,
        metrics,
        handler,
        started,
    }
}

/// Reads one frame from a raw stream; `None` when the peer closed between frames.
pub async fn read_frame<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut BytesMut) -> Option<Bytes> {
    let mut codec = MllpCodec::default();
    let read = async {
        loop {
            if let Some(frame) = codec.decode(buf).expect("server sent a bad frame") {
                return Some(frame);
            }
            match stream.read_buf(buf).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(HANG_GUARD, read)
        .await
        .expect("no frame and no close")
}

/// MSA-1 and MSA-2 of an ACK, as text.
pub fn msa(ack: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(ack);
    let msa = text
        .split('\r')
        .find(|segment| segment.starts_with("MSA|"))
        .expect("ACK has an MSA segment");
    let mut fields = msa.split('|').skip(1);
    let code = fields.next().unwrap_or_default().to_string();
    let control_id = fields.next().unwrap_or_default().to_string();
    (code, control_id)
}

/// MSA-3 of an ACK.
pub fn msa_text(ack: &[u8]) -> String {
    let text = String::from_utf8_lossy(ack);
    text.split('\r')
        .find(|segment| segment.starts_with("MSA|"))
        .and_then(|msa| msa.split('|').nth(3))
        .unwrap_or_default()
        .to_string()
}

pub fn framed(message: &[u8]) -> Vec<u8> {
    mllp::encode_frame(message).expect("frameable").to_vec()
}

/// Waits until `condition` holds on the metrics (they are updated by other tasks).
pub async fn wait_for_metrics(
    metrics: &MllpMetrics,
    condition: impl Fn(&mllp::MetricsSnapshot) -> bool,
) {
    let wait = async {
        while !condition(&metrics.snapshot()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(HANG_GUARD, wait)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "metrics never reached the condition: {:?}",
                metrics.snapshot()
            )
        });
}

/// A plain-TCP client with default options, connected to `addr`.
pub async fn plain_client(addr: SocketAddr) -> mllp::MllpClient {
    mllp::MllpClient::connect(addr, mllp::ClientOptions::default())
        .await
        .expect("client connects")
}

/// True when the server closed the connection (end of stream or reset); false when
/// it sent something instead.
pub async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match tokio::time::timeout(HANG_GUARD, stream.read(&mut byte)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(_)) => false,
        Err(_) => panic!("connection neither closed nor answered"),
    }
}

//! What the server asks of its caller: an [`MllpHandler`] called once per frame.

use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;

use crate::codec::CodecError;

/// Who sent a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    pub addr: SocketAddr,
    /// Server-unique number of the connection, for correlating log lines.
    pub connection_id: u64,
    /// Subject of the verified client certificate (mutual TLS only), e.g. `CN=lab,O=Acme`.
    pub tls_client_subject: Option<String>,
}

/// What to do after a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlerOutcome {
    /// Send this payload (usually the ACK) framed, then read the next frame.
    Reply(Bytes),
    /// Close the connection without a reply; the reason is logged.
    Close { reason: String },
}

/// Called by the server for every complete frame. Frames of one connection are
/// handled one at a time, in order (HL7 original mode); connections run concurrently.
///
/// Implementations write `async fn handle(...)`; the returned future must be `Send`.
pub trait MllpHandler: Send + Sync + 'static {
    fn handle(&self, frame: Bytes, peer: PeerInfo) -> impl Future<Output = HandlerOutcome> + Send;

    /// Called when the codec dropped a frame but the connection can go on
    /// ([`CodecError::is_recoverable`]: too large, bad end block). `Some(Reply)` (e.g.
    /// an `AR` ACK built from the head [`CodecError::FrameTooLarge`] keeps) sends it
    /// framed and goes on; `Some(Close)` closes the connection with that reason;
    /// `None` sends nothing and goes on. Async so that it may log to a database first.
    fn on_frame_error(
        &self,
        error: &CodecError,
        peer: &PeerInfo,
    ) -> impl Future<Output = Option<HandlerOutcome>> + Send {
        let _ = (error, peer);
        std::future::ready(None)
    }
}

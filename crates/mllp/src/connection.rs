//! One server connection: read frames, hand each to the handler in order, write the
//! replies, and close on timeout, shutdown, handler request or fatal framing error.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::codec::{Decoder, Encoder};
use tokio_util::sync::CancellationToken;

use crate::codec::{CodecError, MllpCodec};
use crate::handler::{HandlerOutcome, MllpHandler, PeerInfo};
use crate::metrics::MllpMetrics;

const READ_CHUNK: usize = 8 * 1024;

/// Everything a connection needs from the server.
pub(crate) struct ConnectionContext<H> {
    pub handler: Arc<H>,
    pub metrics: Arc<MllpMetrics>,
    pub max_frame_size: usize,
    pub read_timeout: Duration,
    pub idle_timeout: Duration,
    pub write_timeout: Duration,
}

/// Why a connection ended; logged once when it does.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CloseReason {
    #[error("peer closed the connection")]
    PeerClosed,
    #[error("server shutting down")]
    Shutdown,
    #[error("idle for {0:?} without a frame")]
    IdleTimeout(Duration),
    #[error("stalled for {0:?} inside a frame")]
    ReadTimeout(Duration),
    #[error("reply not written within {0:?}")]
    WriteTimeout(Duration),
    #[error("handler asked to close: {0}")]
    Handler(String),
    #[error("handler panicked: {0}")]
    HandlerPanic(String),
    #[error("handler reply cannot be framed: {0}")]
    BadReply(CodecError),
    #[error(transparent)]
    Codec(CodecError),
    #[error("i/o error: {0}")]
    Io(std::io::Error),
}

impl CloseReason {
    fn is_normal(&self) -> bool {
        matches!(
            self,
            CloseReason::PeerClosed | CloseReason::Shutdown | CloseReason::IdleTimeout(_)
        )
    }
}

struct Connection<'a, S, H> {
    stream: S,
    buf: BytesMut,
    out: BytesMut,
    codec: MllpCodec,
    peer: PeerInfo,
    ctx: &'a ConnectionContext<H>,
}

/// Serves one (already TLS-wrapped, if any) stream until it closes.
pub(crate) async fn serve<S, H>(
    stream: S,
    peer: PeerInfo,
    ctx: &ConnectionContext<H>,
    shutdown: &CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin,
    H: MllpHandler,
{
    let mut connection = Connection {
        stream,
        buf: BytesMut::with_capacity(READ_CHUNK),
        out: BytesMut::new(),
        codec: MllpCodec::new(ctx.max_frame_size),
        peer,
        ctx,
    };
    let reason = connection.run(shutdown).await;
    if matches!(
        reason,
        CloseReason::IdleTimeout(_) | CloseReason::ReadTimeout(_) | CloseReason::WriteTimeout(_)
    ) {
        MllpMetrics::incr(&ctx.metrics.timeouts);
    }
    if reason.is_normal() {
        tracing::info!(%reason, "MLLP connection closed");
    } else {
        tracing::warn!(%reason, "MLLP connection closed");
    }
    // Best effort (TLS close_notify, FIN); the peer may already be gone.
    let _ = tokio::time::timeout(ctx.write_timeout, connection.stream.shutdown()).await;
}

impl<S, H> Connection<'_, S, H>
where
    S: AsyncRead + AsyncWrite + Unpin,
    H: MllpHandler,
{
    async fn run(&mut self, shutdown: &CancellationToken) -> CloseReason {
        loop {
            if let Err(reason) = self.handle_buffered_frames().await {
                return reason;
            }
            // Shutdown closes a connection only between frames: a frame being received
            // is finished (within the read timeout), handled and answered first.
            let between_frames = !self.codec.in_frame();
            if between_frames && shutdown.is_cancelled() {
                return CloseReason::Shutdown;
            }
            let limit = if between_frames {
                self.ctx.idle_timeout
            } else {
                self.ctx.read_timeout
            };
            self.buf.reserve(READ_CHUNK);
            let read = tokio::select! {
                biased;
                _ = shutdown.cancelled(), if between_frames => return CloseReason::Shutdown,
                read = tokio::time::timeout(limit, self.stream.read_buf(&mut self.buf)) => read,
            };
            match read {
                Err(_elapsed) if between_frames => return CloseReason::IdleTimeout(limit),
                Err(_elapsed) => return CloseReason::ReadTimeout(limit),
                Ok(Err(error)) => return CloseReason::Io(error),
                Ok(Ok(0)) => return self.end_of_stream(),
                Ok(Ok(n)) => MllpMetrics::add(&self.ctx.metrics.bytes_in, n as u64),
            }
        }
    }

    /// Handles every complete frame in the buffer, answering recoverable framing
    /// errors through the handler's hook.
    async fn handle_buffered_frames(&mut self) -> Result<(), CloseReason> {
        loop {
            let decoded = self.codec.decode(&mut self.buf);
            self.report_skipped();
            match decoded {
                Ok(Some(frame)) => self.dispatch(frame).await?,
                Ok(None) => return Ok(()),
                Err(error) if error.is_recoverable() => {
                    MllpMetrics::incr(&self.ctx.metrics.frames_rejected);
                    tracing::warn!(%error, "MLLP frame rejected");
                    let answer = self.ctx.handler.on_frame_error(&error, &self.peer);
                    match AssertUnwindSafe(answer).catch_unwind().await {
                        Ok(None) => {}
                        Ok(Some(HandlerOutcome::Reply(reply))) => self.write_reply(&reply).await?,
                        Ok(Some(HandlerOutcome::Close { reason })) => {
                            return Err(CloseReason::Handler(reason))
                        }
                        Err(panic) => return Err(self.panicked(panic.as_ref())),
                    }
                }
                Err(error) => return Err(CloseReason::Codec(error)),
            }
        }
    }

    fn end_of_stream(&mut self) -> CloseReason {
        match self.codec.decode_eof(&mut self.buf) {
            // Complete frames were all handled before this read, so none can be left.
            Ok(_) => CloseReason::PeerClosed,
            Err(error) => {
                MllpMetrics::incr(&self.ctx.metrics.frames_rejected);
                CloseReason::Codec(error)
            }
        }
    }

    fn report_skipped(&mut self) {
        let skipped = self.codec.take_skipped();
        if skipped > 0 {
            MllpMetrics::add(&self.ctx.metrics.bytes_skipped, skipped);
            tracing::warn!(skipped, "skipped bytes outside an MLLP frame");
        }
    }

    async fn dispatch(&mut self, frame: Bytes) -> Result<(), CloseReason> {
        MllpMetrics::incr(&self.ctx.metrics.frames_in);
        let call = self.ctx.handler.handle(frame, self.peer.clone());
        match AssertUnwindSafe(call).catch_unwind().await {
            Ok(HandlerOutcome::Reply(reply)) => self.write_reply(&reply).await,
            Ok(HandlerOutcome::Close { reason }) => Err(CloseReason::Handler(reason)),
            Err(panic) => Err(self.panicked(panic.as_ref())),
        }
    }

    fn panicked(&self, panic: &(dyn std::any::Any + Send)) -> CloseReason {
        MllpMetrics::incr(&self.ctx.metrics.handler_panics);
        CloseReason::HandlerPanic(panic_message(panic))
    }

    async fn write_reply(&mut self, reply: &[u8]) -> Result<(), CloseReason> {
        self.out.clear();
        self.codec
            .encode(reply, &mut self.out)
            .map_err(CloseReason::BadReply)?;
        let limit = self.ctx.write_timeout;
        let (stream, out) = (&mut self.stream, &self.out);
        let write = async move {
            stream.write_all(out).await?;
            stream.flush().await
        };
        match tokio::time::timeout(limit, write).await {
            Err(_elapsed) => Err(CloseReason::WriteTimeout(limit)),
            Ok(Err(error)) => Err(CloseReason::Io(error)),
            Ok(Ok(())) => {
                MllpMetrics::incr(&self.ctx.metrics.frames_out);
                Ok(())
            }
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

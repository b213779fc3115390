//! An MLLP client for sending one message at a time and awaiting its ACK (HL7
//! original mode), with the ACK checked to be ours: its MSA-2 must equal the sent
//! message's MSH-10.
//!
//! Any failure (timeout, wrong ACK, connection loss, framing error) drops the
//! connection, because a late ACK for the failed message could otherwise be taken
//! for the next message's. The next [`MllpClient::send`] reconnects.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use openssl::ssl::SslConnector;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio_util::codec::{Decoder, Encoder};

use crate::codec::{CodecError, MllpCodec, DEFAULT_MAX_FRAME_SIZE};
use crate::control_id::{AckMatcher, Er7ControlIds};
use crate::tls::{self, ClientTlsConfig, TlsError};

const READ_CHUNK: usize = 8 * 1024;

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    /// From the end of the write to the ACK's arrival.
    pub ack_timeout: Duration,
    pub write_timeout: Duration,
    /// Largest ACK accepted.
    pub max_frame_size: usize,
    pub tls: Option<ClientTlsConfig>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            ack_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            tls: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot resolve MLLP address: {0}")]
    Resolve(#[source] std::io::Error),
    #[error("MLLP address resolved to nothing")]
    NoAddress,
    #[error("cannot connect to MLLP peer {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("connecting to MLLP peer {addr} timed out after {after:?}")]
    ConnectTimeout { addr: SocketAddr, after: Duration },
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("message has no MSH-10 control id to correlate its ACK with")]
    MissingControlId,
    #[error("message cannot be framed: {0}")]
    Encode(#[source] CodecError),
    #[error("writing message {control_id} failed: {source}")]
    Write {
        control_id: String,
        source: std::io::Error,
    },
    #[error("writing message {control_id} timed out after {after:?}")]
    WriteTimeout { control_id: String, after: Duration },
    #[error("no ACK for message {control_id} within {after:?}")]
    AckTimeout { control_id: String, after: Duration },
    #[error("connection closed before the ACK for message {control_id} arrived")]
    ConnectionClosed { control_id: String },
    #[error("reading the ACK for message {control_id} failed: {source}")]
    Read {
        control_id: String,
        source: CodecError,
    },
    #[error("ACK answers {received:?}, not the sent message {expected}")]
    AckMismatch {
        expected: String,
        /// MSA-2 of the ACK received (`None` when it has none).
        received: Option<String>,
        ack: Bytes,
    },
}

/// A boxed stream, so plain TCP and TLS connections share one client type.
trait ClientStream: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> ClientStream for T {}

struct Connection {
    stream: Box<dyn ClientStream>,
    buf: BytesMut,
    codec: MllpCodec,
}

pub struct MllpClient {
    addr: SocketAddr,
    options: ClientOptions,
    connector: Option<SslConnector>,
    server_name: String,
    matcher: Arc<dyn AckMatcher>,
    connection: Option<Connection>,
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl MllpClient {
    /// Resolves `addr` (first address wins) and connects. Later sends reconnect to
    /// the same address after a failure.
    pub async fn connect(
        addr: impl ToSocketAddrs,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let addr = tokio::net::lookup_host(addr)
            .await
            .map_err(ClientError::Resolve)?
            .next()
            .ok_or(ClientError::NoAddress)?;
        let connector = match &options.tls {
            Some(tls) => Some(tls.build_connector()?),
            None => None,
        };
        let server_name = options
            .tls
            .as_ref()
            .and_then(|tls| tls.server_name.clone())
            .unwrap_or_else(|| addr.ip().to_string());
        let mut client = Self {
            addr,
            options,
            connector,
            server_name,
            matcher: Arc::new(Er7ControlIds),
            connection: None,
        };
        client.connection = Some(client.open().await?);
        Ok(client)
    }

    /// Replaces the default ER7 byte scan used to read MSH-10 and MSA-2.
    pub fn with_ack_matcher(mut self, matcher: Arc<dyn AckMatcher>) -> Self {
        self.matcher = matcher;
        self
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.addr
    }

    /// False after a failed send, until the next send reconnects.
    pub fn is_connected(&self) -> bool {
        self.connection.is_some()
    }

    /// Sends `message` framed and returns the payload of its ACK (not interpreted
    /// beyond MSA-2: the caller reads MSA-1 for AA/AE/AR).
    pub async fn send(&mut self, message: &[u8]) -> Result<Bytes, ClientError> {
        let control_id = self
            .matcher
            .message_control_id(message)
            .ok_or(ClientError::MissingControlId)?
            .to_vec();
        let mut frame = BytesMut::with_capacity(message.len() + 3);
        MllpCodec::default()
            .encode(message, &mut frame)
            .map_err(ClientError::Encode)?;
        let mut connection = match self.connection.take() {
            Some(connection) => connection,
            None => self.open().await?,
        };
        let ack = self.exchange(&mut connection, &frame, &control_id).await?;
        self.connection = Some(connection);
        Ok(ack)
    }

    /// Closes the connection politely (TLS close_notify, FIN).
    pub async fn close(mut self) {
        if let Some(mut connection) = self.connection.take() {
            let _ = tokio::time::timeout(self.options.write_timeout, connection.stream.shutdown())
                .await;
        }
    }

    async fn open(&self) -> Result<Connection, ClientError> {
        let addr = self.addr;
        let after = self.options.connect_timeout;
        let connect = async {
            let tcp = TcpStream::connect(addr)
                .await
                .map_err(|source| ClientError::Connect { addr, source })?;
            // One small message and a wait for its ACK: Nagle would only add delay.
            let _ = tcp.set_nodelay(true);
            let stream: Box<dyn ClientStream> = match &self.connector {
                Some(connector) => Box::new(tls::connect(connector, &self.server_name, tcp).await?),
                None => Box::new(tcp),
            };
            Ok::<_, ClientError>(stream)
        };
        let stream = tokio::time::timeout(after, connect)
            .await
            .map_err(|_| ClientError::ConnectTimeout { addr, after })??;
        Ok(Connection {
            stream,
            buf: BytesMut::with_capacity(READ_CHUNK),
            codec: MllpCodec::new(self.options.max_frame_size),
        })
    }

    async fn exchange(
        &self,
        connection: &mut Connection,
        frame: &[u8],
        control_id: &[u8],
    ) -> Result<Bytes, ClientError> {
        let write = async {
            connection.stream.write_all(frame).await?;
            connection.stream.flush().await
        };
        let after = self.options.write_timeout;
        match tokio::time::timeout(after, write).await {
            Err(_elapsed) => {
                let control_id = lossy(control_id);
                return Err(ClientError::WriteTimeout { control_id, after });
            }
            Ok(Err(source)) => {
                let control_id = lossy(control_id);
                return Err(ClientError::Write { control_id, source });
            }
            Ok(Ok(())) => {}
        }
        let after = self.options.ack_timeout;
        let ack = tokio::time::timeout(after, read_frame(connection, control_id))
            .await
            .map_err(|_| ClientError::AckTimeout {
                control_id: lossy(control_id),
                after,
            })??;
        let received = self.matcher.acknowledged_control_id(&ack);
        if received != Some(control_id) {
            let error = ClientError::AckMismatch {
                expected: lossy(control_id),
                received: received.map(lossy),
                ack: ack.clone(),
            };
            tracing::warn!(%error, "MLLP ACK not for the sent message; dropping connection");
            return Err(error);
        }
        Ok(ack)
    }
}

async fn read_frame(connection: &mut Connection, control_id: &[u8]) -> Result<Bytes, ClientError> {
    let read_error = |source| ClientError::Read {
        control_id: lossy(control_id),
        source,
    };
    loop {
        if let Some(frame) = connection
            .codec
            .decode(&mut connection.buf)
            .map_err(read_error)?
        {
            return Ok(frame);
        }
        connection.buf.reserve(READ_CHUNK);
        let n = connection
            .stream
            .read_buf(&mut connection.buf)
            .await
            .map_err(|error| read_error(CodecError::Io(error)))?;
        if n == 0 {
            connection
                .codec
                .decode_eof(&mut connection.buf)
                .map_err(read_error)?;
            return Err(ClientError::ConnectionClosed {
                control_id: lossy(control_id),
            });
        }
    }
}

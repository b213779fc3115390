//! TLS for MLLP through OpenSSL (`tokio-openssl`): server side from PEM certificate
//! chain and key with optional mutual TLS, client side with CA verification of the
//! server (host name or IP checked) and an optional client certificate.

use std::path::{Path, PathBuf};
use std::pin::Pin;

use openssl::error::ErrorStack;
use openssl::ssl::{SslAcceptor, SslConnector, SslFiletype, SslMethod, SslVerifyMode};
use openssl::x509::X509Ref;
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("TLS setup: cannot {what} {}: {source}", path.display())]
    Setup {
        what: &'static str,
        path: PathBuf,
        source: ErrorStack,
    },
    #[error("TLS setup: {what}: {source}")]
    Context {
        what: &'static str,
        source: ErrorStack,
    },
    #[error("TLS handshake failed: {0}")]
    Handshake(#[from] openssl::ssl::Error),
}

fn with_path<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(ErrorStack) -> TlsError + 'a {
    move |source| TlsError::Setup {
        what,
        path: path.to_path_buf(),
        source,
    }
}

fn context(what: &'static str) -> impl FnOnce(ErrorStack) -> TlsError {
    move |source| TlsError::Context { what, source }
}

/// Server TLS settings: PEM files on disk.
#[derive(Debug, Clone)]
pub struct ServerTlsConfig {
    /// Server certificate first, then intermediates.
    pub cert_chain_pem: PathBuf,
    pub private_key_pem: PathBuf,
    /// When set, clients must present a certificate that chains to one of these CAs
    /// (mutual TLS); a client without one fails the handshake.
    pub client_ca_pem: Option<PathBuf>,
}

impl ServerTlsConfig {
    /// Builds the acceptor once; it is shared by every connection.
    pub fn build_acceptor(&self) -> Result<SslAcceptor, TlsError> {
        let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
            .map_err(context("create server context"))?;
        builder
            .set_certificate_chain_file(&self.cert_chain_pem)
            .map_err(with_path("load certificate chain", &self.cert_chain_pem))?;
        builder
            .set_private_key_file(&self.private_key_pem, SslFiletype::PEM)
            .map_err(with_path("load private key", &self.private_key_pem))?;
        builder
            .check_private_key()
            .map_err(with_path("match private key", &self.private_key_pem))?;
        if let Some(ca) = &self.client_ca_pem {
            builder
                .set_ca_file(ca)
                .map_err(with_path("load client CA", ca))?;
            builder.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        }
        Ok(builder.build())
    }
}

/// Client TLS settings: PEM files on disk.
#[derive(Debug, Clone)]
pub struct ClientTlsConfig {
    /// CAs trusted to sign the server certificate.
    pub ca_pem: PathBuf,
    /// Client certificate chain and key, for servers that require mutual TLS.
    pub client_cert: Option<ClientCertificate>,
    /// Name checked against the server certificate (DNS name or IP); defaults to the
    /// IP address connected to.
    pub server_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ClientCertificate {
    pub cert_chain_pem: PathBuf,
    pub private_key_pem: PathBuf,
}

impl ClientTlsConfig {
    pub fn build_connector(&self) -> Result<SslConnector, TlsError> {
        let mut builder = SslConnector::builder(SslMethod::tls_client())
            .map_err(context("create client context"))?;
        builder
            .set_ca_file(&self.ca_pem)
            .map_err(with_path("load CA", &self.ca_pem))?;
        if let Some(cert) = &self.client_cert {
            builder
                .set_certificate_chain_file(&cert.cert_chain_pem)
                .map_err(with_path("load client certificate", &cert.cert_chain_pem))?;
            builder
                .set_private_key_file(&cert.private_key_pem, SslFiletype::PEM)
                .map_err(with_path("load client key", &cert.private_key_pem))?;
            builder
                .check_private_key()
                .map_err(with_path("match client key", &cert.private_key_pem))?;
        }
        Ok(builder.build())
    }
}

pub(crate) async fn accept(
    acceptor: &SslAcceptor,
    tcp: TcpStream,
) -> Result<SslStream<TcpStream>, TlsError> {
    let ssl = openssl::ssl::Ssl::new(acceptor.context()).map_err(context("create session"))?;
    let mut stream = SslStream::new(ssl, tcp).map_err(context("wrap stream"))?;
    Pin::new(&mut stream).accept().await?;
    Ok(stream)
}

pub(crate) async fn connect(
    connector: &SslConnector,
    server_name: &str,
    tcp: TcpStream,
) -> Result<SslStream<TcpStream>, TlsError> {
    // `into_ssl` turns on host name (or IP) verification against `server_name`.
    let ssl = connector
        .configure()
        .and_then(|config| config.into_ssl(server_name))
        .map_err(context("configure session"))?;
    let mut stream = SslStream::new(ssl, tcp).map_err(context("wrap stream"))?;
    Pin::new(&mut stream).connect().await?;
    Ok(stream)
}

/// The subject of a peer certificate as `CN=...,O=...` for logs and authorisation.
pub(crate) fn subject_text(cert: &X509Ref) -> String {
    cert.subject_name()
        .entries()
        .map(|entry| {
            let key = entry.object().nid().short_name().unwrap_or("?");
            let value = entry.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(",")
}

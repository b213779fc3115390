//! TLS and mutual TLS over real sockets, with certificates generated at test time.

mod common;

use common::{certs, hl7, msa, msa_text, start};
use mllp::{
    ClientCertificate, ClientError, ClientOptions, ClientTlsConfig, MllpClient, ServerConfig,
    ServerTlsConfig,
};

fn server_config(pki: &certs::TestPki, mutual: bool) -> ServerConfig {
    ServerConfig {
        tls: Some(ServerTlsConfig {
            cert_chain_pem: pki.server_cert.clone(),
            private_key_pem: pki.server_key.clone(),
            client_ca_pem: mutual.then(|| pki.ca.clone()),
        }),
        ..ServerConfig::default()
    }
}

fn client_options(ca: &std::path::Path, cert: Option<&certs::TestPki>) -> ClientOptions {
    ClientOptions {
        tls: Some(ClientTlsConfig {
            ca_pem: ca.to_path_buf(),
            client_cert: cert.map(|pki| ClientCertificate {
                cert_chain_pem: pki.client_cert.clone(),
                private_key_pem: pki.client_key.clone(),
            }),
            server_name: None,
        }),
        ..ClientOptions::default()
    }
}

#[tokio::test]
async fn tls_round_trip_verifies_the_server_ip() {
    let pki = certs::generate();
    let server = start(server_config(&pki, false)).await;
    let mut client = MllpClient::connect(server.addr, client_options(&pki.ca, None))
        .await
        .unwrap();
    let ack = client.send(&hl7::adt_a08("TLS-1")).await.unwrap();
    assert_eq!(msa(&ack), ("AA".to_string(), "TLS-1".to_string()));
    assert_eq!(msa_text(&ack), "", "no client certificate, no subject");
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn tls_by_host_name() {
    let pki = certs::generate();
    let server = start(server_config(&pki, false)).await;
    let mut options = client_options(&pki.ca, None);
    if let Some(tls) = options.tls.as_mut() {
        tls.server_name = Some("localhost".to_string());
    }
    let mut client = MllpClient::connect(server.addr, options).await.unwrap();
    client.send(&hl7::adt_a08("TLS-NAME")).await.unwrap();
    server.stop().await;
}

/// Connects with `options` to a TLS server and expects the client to refuse it.
async fn assert_client_refuses_server(pki: &certs::TestPki, options: ClientOptions) {
    let server = start(server_config(pki, false)).await;
    let result = MllpClient::connect(server.addr, options).await;
    assert!(
        matches!(result, Err(ClientError::Tls(_))),
        "{:?}",
        result.err()
    );
    server.stop().await;
}

#[tokio::test]
async fn client_refuses_a_server_signed_by_an_unknown_ca() {
    let pki = certs::generate();
    assert_client_refuses_server(&pki, client_options(&pki.other_ca, None)).await;
}

#[tokio::test]
async fn client_refuses_a_server_name_not_in_the_certificate() {
    let pki = certs::generate();
    let mut options = client_options(&pki.ca, None);
    if let Some(tls) = options.tls.as_mut() {
        tls.server_name = Some("lab.example.org".to_string());
    }
    assert_client_refuses_server(&pki, options).await;
}

#[tokio::test]
async fn mutual_tls_accepts_a_client_certificate_and_reports_its_subject() {
    let pki = certs::generate();
    let server = start(server_config(&pki, true)).await;
    let mut client = MllpClient::connect(server.addr, client_options(&pki.ca, Some(&pki)))
        .await
        .unwrap();
    let ack = client.send(&hl7::adt_a08("MTLS-1")).await.unwrap();
    assert_eq!(msa(&ack).1, "MTLS-1");
    assert_eq!(msa_text(&ack), "CN=lab-system,O=fhirgate tests");
    server.stop().await;
}

#[tokio::test]
async fn mutual_tls_rejects_a_client_without_certificate() {
    let pki = certs::generate();
    let server = start(server_config(&pki, true)).await;
    // With TLS 1.3 the client may finish its side of the handshake before the
    // server refuses it, so the failure can surface at connect or at the first send.
    let outcome = async {
        let mut client = MllpClient::connect(server.addr, client_options(&pki.ca, None)).await?;
        client.send(&hl7::adt_a08("NO-CERT")).await
    }
    .await;
    assert!(
        outcome.is_err(),
        "a client without certificate got {outcome:?}"
    );
    assert_eq!(server.metrics.snapshot().frames_in, 0);
    server.stop().await;
}

#[tokio::test]
async fn plain_tcp_to_a_tls_server_is_not_served() {
    let pki = certs::generate();
    let server = start(server_config(&pki, false)).await;
    let mut client = MllpClient::connect(server.addr, ClientOptions::default())
        .await
        .unwrap();
    assert!(client.send(&hl7::adt_a08("PLAIN")).await.is_err());
    assert_eq!(server.metrics.snapshot().frames_in, 0);
    server.stop().await;
}

#[tokio::test]
async fn bad_tls_files_fail_at_bind() {
    let pki = certs::generate();
    let mut config = server_config(&pki, false);
    if let Some(tls) = config.tls.as_mut() {
        tls.private_key_pem = pki.client_key.clone();
    }
    let handler = std::sync::Arc::new(common::ScriptedHandler::default());
    let result = mllp::MllpServer::bind("127.0.0.1:0", config, handler).await;
    match result {
        Err(error) => {
            let text = error.to_string();
            assert!(
                text.contains("private key") && text.contains("client.key"),
                "{text}"
            );
        }
        Ok(_) => panic!("a key that does not match the certificate was accepted"),
    }
}

#[tokio::test]
async fn silent_peer_is_closed_by_the_tls_handshake_timeout() {
    let pki = certs::generate();
    let config = ServerConfig {
        read_timeout: std::time::Duration::from_millis(200),
        ..server_config(&pki, false)
    };
    let server = start(config).await;
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    assert!(common::closed_by_server(&mut silent).await);
    common::wait_for_metrics(&server.metrics, |m| m.timeouts == 1).await;
    server.stop().await;
}

//! `[mllp]` settings through a real server, read from a TOML file as an operator writes
//! them: TLS and mutual TLS on the listener, and per-sender character sets that override
//! what a sender's MSH-18 declares.

// The mllp crate's throw-away PKI (test code; this suite does not need every file of it).
#[path = "../../../mllp/tests/common/certs.rs"]
#[allow(dead_code)]
mod certs;

use fhirgate::settings::{CommonArgs, Settings};
use mllp::{ClientCertificate, ClientOptions, ClientTlsConfig, MllpClient};

use crate::on_both_backends;
use crate::support::{get, Backend, TestServer};
use crate::v2_intake::{adt_a08, field, patient_id, raw_exchange};

fn settings_from_toml(toml: &str) -> Settings {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fhirgate.toml");
    std::fs::write(&path, toml).expect("write the configuration");
    let args = CommonArgs {
        config: Some(path),
        ..CommonArgs::default()
    };
    Settings::resolve(&args).unwrap_or_else(|error| panic!("{error:#}"))
}

/// A server on a fresh database whose `[mllp]` settings come from `toml`.
fn start_from_toml(backend: Backend, toml: &str) -> TestServer {
    let file = settings_from_toml(toml);
    TestServer::start_with(backend, move |settings| {
        settings.mllp_server = file.mllp_server;
        settings.sender_charsets = file.sender_charsets;
    })
}

fn tls_toml(pki: &certs::TestPki, mutual: bool) -> String {
    let mut toml = format!(
        "[mllp.tls]\ncertificate_chain = {:?}\nprivate_key = {:?}\n",
        pki.server_cert, pki.server_key
    );
    if mutual {
        toml.push_str(&format!("client_ca = {:?}\n", pki.ca));
    }
    toml
}

fn tls_client(pki: &certs::TestPki, with_certificate: bool) -> ClientOptions {
    ClientOptions {
        tls: Some(ClientTlsConfig {
            ca_pem: pki.ca.clone(),
            client_cert: with_certificate.then(|| ClientCertificate {
                cert_chain_pem: pki.client_cert.clone(),
                private_key_pem: pki.client_key.clone(),
            }),
            server_name: None,
        }),
        ..ClientOptions::default()
    }
}

/// Sends one message with `options`; the ACK as text, or the client's error.
fn send_with(addr: &str, options: ClientOptions, message: &[u8]) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut client = MllpClient::connect(addr, options)
            .await
            .map_err(|error| error.to_string())?;
        let ack = client
            .send(message)
            .await
            .map_err(|error| error.to_string())?;
        client.close().await;
        Ok(String::from_utf8_lossy(&ack).into_owned())
    })
}

fn tls_listener_translates_and_acknowledges(backend: Backend) {
    let pki = certs::generate();
    let server = start_from_toml(backend, &tls_toml(&pki, false));
    let message = adt_a08("TLS-1", "P-TLS");
    let ack = send_with(&server.mllp, tls_client(&pki, false), message.as_bytes())
        .unwrap_or_else(|error| panic!("TLS exchange failed: {error}"));
    assert_eq!(field(&ack, "MSA", 1), "AA", "{ack}");
    assert_eq!(field(&ack, "MSA", 2), "TLS-1", "{ack}");
    let read = get(&format!("{}/Patient/{}", server.base, patient_id(&message)));
    assert_eq!(read.status, 200, "{}", read.text);
    // A plain-TCP sender gets no ACK (its bytes are not a TLS handshake), and the
    // listener still serves TLS afterwards.
    let plain = raw_exchange(&server.mllp, adt_a08("PLAIN-1", "P-PLAIN").as_bytes());
    let plain = String::from_utf8_lossy(&plain);
    assert!(!plain.contains("MSA"), "plain TCP was answered: {plain:?}");
    let again = send_with(
        &server.mllp,
        tls_client(&pki, false),
        adt_a08("TLS-2", "P-TLS").as_bytes(),
    )
    .unwrap_or_else(|error| panic!("TLS after plain TCP failed: {error}"));
    assert_eq!(field(&again, "MSA", 1), "AA", "{again}");
}

fn mutual_tls_serves_only_clients_with_a_certificate(backend: Backend) {
    let pki = certs::generate();
    let server = start_from_toml(backend, &tls_toml(&pki, true));
    let refused = send_with(
        &server.mllp,
        tls_client(&pki, false),
        adt_a08("MTLS-0", "P-MTLS").as_bytes(),
    );
    assert!(
        refused.is_err(),
        "a client without certificate got {refused:?}"
    );
    let ack = send_with(
        &server.mllp,
        tls_client(&pki, true),
        adt_a08("MTLS-1", "P-MTLS").as_bytes(),
    )
    .unwrap_or_else(|error| panic!("mutual TLS exchange failed: {error}"));
    assert_eq!(field(&ack, "MSA", 1), "AA", "{ack}");
    let logged = crate::v2_intake::log(&server, "");
    assert_eq!(
        logged.len(),
        1,
        "only the certified client's message is logged"
    );
}

/// An ADT^A08 whose MSH-18 claims UTF-8 while PID-5 is written in ISO 8859-1 bytes, as
/// some legacy senders do.
fn latin1_labelled_utf8(sender: &str, control_id: &str, patient: &str) -> Vec<u8> {
    let mut message = format!(
        "MSH|^~\\&|{sender}|HOSP|FHIRGATE|GW|20260101120000||ADT^A08^ADT_A01|{control_id}|P|2.5.1|||||||UNICODE UTF-8\r\
         EVN|A08|20260101120000\r\
         PID|1||{patient}^^^HOSP^MR||"
    )
    .into_bytes();
    message.extend_from_slice(b"M\xDCLLER^J\xD6RG||19800101|M\r");
    message
}

fn a_sender_charset_overrides_msh18(backend: Backend) {
    let server = start_from_toml(
        backend,
        "[mllp.sender_charsets]\n\"LEGACYLAB^HOSP\" = \"8859/1\"\n",
    );
    let configured = latin1_labelled_utf8("LEGACYLAB", "CS-1", "P-CS1");
    let ack = String::from_utf8_lossy(&raw_exchange(&server.mllp, &configured)).into_owned();
    assert_eq!(field(&ack, "MSA", 1), "AA", "{ack}");
    let id = patient_id(&String::from_utf8_lossy(&configured));
    let patient = get(&format!("{}/Patient/{id}", server.base)).json();
    assert_eq!(patient["name"][0]["family"], "MÜLLER", "{patient}");
    assert_eq!(patient["name"][0]["given"][0], "JÖRG", "{patient}");

    // Another sender's identical bytes are decoded as declared: the bad bytes are
    // reported, never turned into some other text.
    let unconfigured = latin1_labelled_utf8("OTHERLAB", "CS-2", "P-CS2");
    let ack = String::from_utf8_lossy(&raw_exchange(&server.mllp, &unconfigured)).into_owned();
    assert!(
        ack.contains("\rERR|"),
        "the undecodable name is reported: {ack}"
    );
    let id = patient_id(&String::from_utf8_lossy(&unconfigured));
    let read = get(&format!("{}/Patient/{id}", server.base));
    let family = read.json()["name"][0]["family"].clone();
    assert_ne!(family, "MÜLLER", "{}", read.text);
}

on_both_backends!(
    tls_listener_translates_and_acknowledges,
    mutual_tls_serves_only_clients_with_a_certificate,
    a_sender_charset_overrides_msh18,
);

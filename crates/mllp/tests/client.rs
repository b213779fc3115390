//! The client against the real server: ACK correlation, timeouts, connection loss,
//! reconnect, and a caller-supplied ACK matcher.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{hl7, msa, start};
use mllp::{AckMatcher, ClientError, ClientOptions, MllpClient, ServerConfig};

#[tokio::test]
async fn ack_for_another_message_is_an_error_and_the_next_send_reconnects() {
    let server = start(ServerConfig::default()).await;
    let mut client = common::plain_client(server.addr).await;
    match client.send(&hl7::adt_a08("WRONG-1")).await {
        Err(ClientError::AckMismatch {
            expected, received, ..
        }) => {
            assert_eq!(expected, "WRONG-1");
            assert_eq!(received.as_deref(), Some("SOMEONE-ELSE"));
        }
        other => panic!("expected AckMismatch, got {other:?}"),
    }
    assert!(!client.is_connected());
    let ack = client.send(&hl7::adt_a08("RIGHT-1")).await.unwrap();
    assert_eq!(msa(&ack).1, "RIGHT-1");
    assert!(client.is_connected());
    assert_eq!(server.metrics.snapshot().connections_total, 2);
    server.stop().await;
}

#[tokio::test]
async fn no_ack_in_time_is_an_ack_timeout() {
    let server = start(ServerConfig::default()).await;
    let options = ClientOptions {
        ack_timeout: Duration::from_millis(200),
        ..ClientOptions::default()
    };
    let mut client = MllpClient::connect(server.addr, options).await.unwrap();
    match client.send(&hl7::adt_a08("SLOW-NEVER")).await {
        Err(error @ ClientError::AckTimeout { .. }) => {
            assert!(error.to_string().contains("SLOW-NEVER"), "{error}");
        }
        other => panic!("expected AckTimeout, got {other:?}"),
    }
    assert!(!client.is_connected());
    server.stop().await;
}

#[tokio::test]
async fn connection_closed_by_the_server_is_an_error_not_a_hang() {
    let server = start(ServerConfig::default()).await;
    let mut client = common::plain_client(server.addr).await;
    let error = client.send(&hl7::adt_a08("CLOSE-1")).await.unwrap_err();
    assert!(
        matches!(error, ClientError::ConnectionClosed { .. }),
        "{error}"
    );
    server.stop().await;
}

#[tokio::test]
async fn server_gone_is_a_connect_error() {
    let server = start(ServerConfig::default()).await;
    let addr = server.addr;
    let mut client = common::plain_client(addr).await;
    client.send(&hl7::adt_a08("BEFORE")).await.unwrap();
    server.stop().await;
    let error = client.send(&hl7::adt_a08("AFTER")).await.unwrap_err();
    assert!(
        matches!(
            error,
            ClientError::ConnectionClosed { .. }
                | ClientError::Write { .. }
                | ClientError::Read { .. }
        ),
        "{error}"
    );
    let error = client.send(&hl7::adt_a08("AFTER-2")).await.unwrap_err();
    assert!(matches!(error, ClientError::Connect { .. }), "{error}");
}

#[tokio::test]
async fn message_without_control_id_or_with_block_bytes_is_refused_before_sending() {
    let server = start(ServerConfig::default()).await;
    let mut client = common::plain_client(server.addr).await;
    let error = client.send(b"PID|1||123\r").await.unwrap_err();
    assert!(matches!(error, ClientError::MissingControlId), "{error}");
    let mut bad = hl7::adt_a08("X1");
    bad.push(0x1C);
    let error = client.send(&bad).await.unwrap_err();
    assert!(matches!(error, ClientError::Encode(_)), "{error}");
    assert!(client.is_connected());
    assert_eq!(server.metrics.snapshot().frames_in, 0);
    server.stop().await;
}

/// A matcher that never finds an MSA-2: every ACK is refused, which shows the
/// client asks the caller's matcher rather than its own scan.
struct BlindMatcher;

impl AckMatcher for BlindMatcher {
    fn message_control_id<'a>(&self, message: &'a [u8]) -> Option<&'a [u8]> {
        mllp::control_id::message_control_id(message)
    }

    fn acknowledged_control_id<'a>(&self, _ack: &'a [u8]) -> Option<&'a [u8]> {
        None
    }
}

#[tokio::test]
async fn a_caller_matcher_decides_what_counts_as_our_ack() {
    let server = start(ServerConfig::default()).await;
    let mut client = common::plain_client(server.addr)
        .await
        .with_ack_matcher(Arc::new(BlindMatcher));
    let error = client.send(&hl7::adt_a08("M1")).await.unwrap_err();
    assert!(
        matches!(error, ClientError::AckMismatch { received: None, .. }),
        "{error}"
    );
    server.stop().await;
}

//! The listener over real 127.0.0.1 sockets: framing on the wire, timeouts,
//! connection cap, graceful shutdown and handler failures.

mod common;

use std::time::Duration;

use bytes::BytesMut;
use common::{closed_by_server, framed, hl7, msa, read_frame, start, wait_for_metrics, HANG_GUARD};
use mllp::{ConnectionLimitPolicy, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn raw(addr: std::net::SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.expect("connect")
}

#[tokio::test]
async fn round_trip_with_the_client() {
    let server = start(ServerConfig::default()).await;
    let mut client = common::plain_client(server.addr).await;
    for n in 0..3 {
        let id = format!("MSG{n}");
        let ack = client.send(&hl7::adt_a08(&id)).await.unwrap();
        assert_eq!(msa(&ack), ("AA".to_string(), id));
    }
    let snapshot = server.metrics.snapshot();
    assert_eq!(snapshot.frames_in, 3);
    assert_eq!(snapshot.frames_out, 3);
    assert!(
        snapshot.bytes_in > 3 * 200,
        "bytes_in = {}",
        snapshot.bytes_in
    );
    assert_eq!(snapshot.connections_open, 1);
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn several_frames_in_one_write_are_answered_in_order() {
    let server = start(ServerConfig::default()).await;
    let mut stream = raw(server.addr).await;
    let mut batch = Vec::new();
    for id in ["A", "B", "C", "D"] {
        batch.extend(framed(&hl7::adt_a08(id)));
    }
    stream.write_all(&batch).await.unwrap();
    let mut buf = BytesMut::new();
    for id in ["A", "B", "C", "D"] {
        let ack = read_frame(&mut stream, &mut buf).await.expect("ack");
        assert_eq!(msa(&ack).1, id);
    }
    server.stop().await;
}

#[tokio::test]
async fn one_frame_written_a_byte_at_a_time() {
    let server = start(ServerConfig::default()).await;
    let mut stream = raw(server.addr).await;
    stream.set_nodelay(true).unwrap();
    for byte in framed(&hl7::adt_a08("BYTEWISE")) {
        stream.write_all(&[byte]).await.unwrap();
        stream.flush().await.unwrap();
    }
    let ack = read_frame(&mut stream, &mut BytesMut::new())
        .await
        .expect("ack");
    assert_eq!(msa(&ack), ("AA".to_string(), "BYTEWISE".to_string()));
    server.stop().await;
}

#[tokio::test]
async fn garbage_before_the_start_block_is_skipped_and_counted() {
    let server = start(ServerConfig::default()).await;
    let mut stream = raw(server.addr).await;
    let garbage = b"\r\nGET / HTTP/1.0\r\n\x1C\x0D";
    let mut bytes = garbage.to_vec();
    bytes.extend(framed(&hl7::adt_a08("AFTER-GARBAGE")));
    stream.write_all(&bytes).await.unwrap();
    let ack = read_frame(&mut stream, &mut BytesMut::new())
        .await
        .expect("ack");
    assert_eq!(msa(&ack).1, "AFTER-GARBAGE");
    assert_eq!(
        server.metrics.snapshot().bytes_skipped,
        garbage.len() as u64
    );
    server.stop().await;
}

#[tokio::test]
async fn oversized_frame_gets_the_handlers_reject_and_the_connection_goes_on() {
    let config = ServerConfig {
        max_frame_size: 1024,
        ..ServerConfig::default()
    };
    let server = start(config).await;
    let mut stream = raw(server.addr).await;
    let mut big = hl7::adt_a08("BIG");
    big.extend(std::iter::repeat_n(b'X', 200_000));
    let mut bytes = framed(&big);
    bytes.extend(framed(&hl7::adt_a08("SMALL")));
    stream.write_all(&bytes).await.unwrap();
    let mut buf = BytesMut::new();
    let reject = read_frame(&mut stream, &mut buf).await.expect("AR");
    // The handler named the message from the head the codec kept.
    assert_eq!(msa(&reject), ("AR".to_string(), "BIG".to_string()));
    assert_eq!(common::msa_text(&reject), "frame too large");
    let ack = read_frame(&mut stream, &mut buf).await.expect("ack");
    assert_eq!(msa(&ack), ("AA".to_string(), "SMALL".to_string()));
    let snapshot = server.metrics.snapshot();
    assert_eq!(snapshot.frames_rejected, 1);
    assert_eq!(snapshot.frames_in, 1);
    server.stop().await;
}

#[tokio::test]
async fn oversized_frame_the_handler_cannot_answer_closes_the_connection() {
    let config = ServerConfig {
        max_frame_size: 512,
        ..ServerConfig::default()
    };
    let server = start(config).await;
    let mut closing = raw(server.addr).await;
    let mut big = hl7::adt_a08("CLOSE-BIG");
    big.extend(std::iter::repeat_n(b'X', 4096));
    closing.write_all(&framed(&big)).await.unwrap();
    assert!(closed_by_server(&mut closing).await);
    // The listener goes on serving other connections.
    let mut other = raw(server.addr).await;
    other
        .write_all(&framed(&hl7::adt_a08("NEXT")))
        .await
        .unwrap();
    let ack = read_frame(&mut other, &mut BytesMut::new())
        .await
        .expect("ack");
    assert_eq!(msa(&ack).1, "NEXT");
    assert_eq!(server.metrics.snapshot().frames_rejected, 1);
    server.stop().await;
}

#[tokio::test]
async fn bad_end_block_is_rejected_and_the_next_frame_served() {
    let server = start(ServerConfig::default()).await;
    let mut stream = raw(server.addr).await;
    let mut bytes = b"\x0BMSH|^~\\&|broken\x1CX".to_vec();
    bytes.extend(framed(&hl7::adt_a08("GOOD")));
    stream.write_all(&bytes).await.unwrap();
    let mut buf = BytesMut::new();
    let reject = read_frame(&mut stream, &mut buf).await.expect("AR");
    assert_eq!(common::msa_text(&reject), "invalid end block");
    let ack = read_frame(&mut stream, &mut buf).await.expect("ack");
    assert_eq!(msa(&ack).1, "GOOD");
    server.stop().await;
}

#[tokio::test]
async fn stalled_frame_is_closed_by_the_read_timeout_while_others_are_served() {
    let config = ServerConfig {
        read_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let server = start(config).await;
    let mut stalled = raw(server.addr).await;
    let half = framed(&hl7::adt_a08("STALLED"));
    stalled.write_all(&half[..half.len() / 2]).await.unwrap();

    let mut client = common::plain_client(server.addr).await;
    let ack = client.send(&hl7::adt_a08("HEALTHY")).await.unwrap();
    assert_eq!(msa(&ack).1, "HEALTHY");

    assert!(closed_by_server(&mut stalled).await);
    let ack = client.send(&hl7::adt_a08("STILL-HEALTHY")).await.unwrap();
    assert_eq!(msa(&ack).1, "STILL-HEALTHY");
    let snapshot = server.metrics.snapshot();
    assert_eq!(snapshot.timeouts, 1);
    assert_eq!(snapshot.frames_in, 2);
    server.stop().await;
}

#[tokio::test]
async fn idle_connection_is_closed_by_the_idle_timeout() {
    let config = ServerConfig {
        idle_timeout: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let server = start(config).await;
    let mut stream = raw(server.addr).await;
    assert!(closed_by_server(&mut stream).await);
    wait_for_metrics(&server.metrics, |m| m.connections_open == 0).await;
    assert_eq!(server.metrics.snapshot().timeouts, 1);
    server.stop().await;
}

#[tokio::test]
async fn peer_that_does_not_read_its_acks_is_closed_by_the_write_timeout() {
    let config = ServerConfig {
        write_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let server = start(config).await;
    let mut slow_reader = raw(server.addr).await;
    slow_reader
        .write_all(&framed(&hl7::adt_a08("HUGE-1")))
        .await
        .unwrap();
    // Not reading: the reply fills the socket buffers and the write stalls.
    wait_for_metrics(&server.metrics, |m| {
        m.timeouts == 1 && m.connections_open == 0
    })
    .await;
    assert_eq!(server.metrics.snapshot().frames_out, 0);
    let mut other = common::plain_client(server.addr).await;
    assert_eq!(
        msa(&other.send(&hl7::adt_a08("OTHER")).await.unwrap()).1,
        "OTHER"
    );
    // What did arrive is a cut-off frame followed by the close.
    let mut received = 0usize;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(HANG_GUARD, slow_reader.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => received += n,
            Err(_) => panic!("connection not closed"),
        }
    }
    assert!(received < common::HUGE_REPLY_BYTES, "received {received}");
    server.stop().await;
}

#[tokio::test]
async fn truncated_frame_at_end_of_stream_is_counted_as_rejected() {
    let server = start(ServerConfig::default()).await;
    let mut stream = raw(server.addr).await;
    stream.write_all(b"\x0BMSH|^~\\&|cut short").await.unwrap();
    stream.shutdown().await.unwrap();
    assert!(closed_by_server(&mut stream).await);
    wait_for_metrics(&server.metrics, |m| m.frames_rejected == 1).await;
    assert_eq!(server.metrics.snapshot().frames_in, 0);
    server.stop().await;
}

#[tokio::test]
async fn connection_cap_refuses_extra_connections() {
    let config = ServerConfig {
        max_connections: 1,
        connection_limit_policy: ConnectionLimitPolicy::Refuse,
        ..ServerConfig::default()
    };
    let server = start(config).await;
    let mut first = common::plain_client(server.addr).await;
    first.send(&hl7::adt_a08("FIRST")).await.unwrap();

    let mut extra = raw(server.addr).await;
    assert!(closed_by_server(&mut extra).await);
    assert_eq!(server.metrics.snapshot().connections_refused, 1);

    first.close().await;
    wait_for_metrics(&server.metrics, |m| m.connections_open == 0).await;
    let mut later = common::plain_client(server.addr).await;
    let ack = later.send(&hl7::adt_a08("LATER")).await.unwrap();
    assert_eq!(msa(&ack).1, "LATER");
    server.stop().await;
}

#[tokio::test]
async fn connection_cap_with_wait_serves_the_extra_connection_once_a_slot_frees() {
    let config = ServerConfig {
        max_connections: 1,
        connection_limit_policy: ConnectionLimitPolicy::Wait,
        ..ServerConfig::default()
    };
    let server = start(config).await;
    let mut first = common::plain_client(server.addr).await;
    first.send(&hl7::adt_a08("FIRST")).await.unwrap();

    // The kernel completes the handshake; the server only picks it up later.
    let mut waiting = raw(server.addr).await;
    waiting
        .write_all(&framed(&hl7::adt_a08("WAITED")))
        .await
        .unwrap();
    assert_eq!(server.metrics.snapshot().connections_total, 1);

    first.close().await;
    let ack = read_frame(&mut waiting, &mut BytesMut::new())
        .await
        .expect("ack");
    assert_eq!(msa(&ack).1, "WAITED");
    let snapshot = server.metrics.snapshot();
    assert_eq!(snapshot.connections_refused, 0);
    assert_eq!(snapshot.connections_total, 2);
    server.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_lets_the_in_flight_message_finish_and_ack() {
    let mut server = start(ServerConfig::default()).await;
    let mut idle = raw(server.addr).await;
    let mut busy = raw(server.addr).await;
    busy.write_all(&framed(&hl7::adt_a08("SLOW-1")))
        .await
        .unwrap();
    let started = tokio::time::timeout(HANG_GUARD, server.started.recv())
        .await
        .unwrap();
    assert_eq!(started.as_deref(), Some("SLOW-1"));

    server.shutdown.cancel();
    // The idle connection is closed at once, without waiting for the busy one.
    assert!(closed_by_server(&mut idle).await);
    wait_for_metrics(&server.metrics, |m| m.connections_open == 1).await;

    server.handler.gate.add_permits(1);
    let mut buf = BytesMut::new();
    let ack = read_frame(&mut busy, &mut buf)
        .await
        .expect("in-flight ACK");
    assert_eq!(msa(&ack), ("AA".to_string(), "SLOW-1".to_string()));
    assert!(read_frame(&mut busy, &mut buf).await.is_none());
    let addr = server.addr;
    server.stop().await;
    // The listener is gone: new connections are refused by the kernel.
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn handler_panic_closes_only_its_connection() {
    let server = start(ServerConfig::default()).await;
    let mut victim = common::plain_client(server.addr).await;
    let mut bystander = common::plain_client(server.addr).await;
    let error = victim.send(&hl7::adt_a08("PANIC-1")).await.unwrap_err();
    assert!(
        matches!(error, mllp::ClientError::ConnectionClosed { .. }),
        "{error}"
    );
    let ack = bystander.send(&hl7::adt_a08("FINE")).await.unwrap();
    assert_eq!(msa(&ack).1, "FINE");
    // The listener still accepts, and the victim's client reconnects.
    let ack = victim.send(&hl7::adt_a08("AGAIN")).await.unwrap();
    assert_eq!(msa(&ack).1, "AGAIN");
    assert_eq!(server.metrics.snapshot().handler_panics, 1);
    server.stop().await;
}

#[tokio::test]
async fn handler_close_outcome_closes_the_connection() {
    let server = start(ServerConfig::default()).await;
    let mut stream = raw(server.addr).await;
    stream
        .write_all(&framed(&hl7::adt_a08("CLOSE-ME")))
        .await
        .unwrap();
    assert!(read_frame(&mut stream, &mut BytesMut::new())
        .await
        .is_none());
    server.stop().await;
}

#[tokio::test]
async fn unusable_configuration_is_refused_at_bind() {
    let configs = [
        ServerConfig {
            max_connections: 0,
            ..ServerConfig::default()
        },
        ServerConfig {
            idle_timeout: Duration::ZERO,
            ..ServerConfig::default()
        },
    ];
    for config in configs {
        let handler = std::sync::Arc::new(common::ScriptedHandler::default());
        match mllp::MllpServer::bind("127.0.0.1:0", config, handler).await {
            Err(mllp::ServerError::InvalidConfig(_)) => {}
            Err(other) => panic!("expected InvalidConfig, got {other}"),
            Ok(_) => panic!("an unusable configuration was accepted"),
        }
    }
}

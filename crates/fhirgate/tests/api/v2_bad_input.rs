//! Hostile and broken input through the real MLLP listener (issue 5, point 4): a frame
//! over the limit, no MSH, bad delimiters, a truncated frame, bytes outside frames and
//! a client that stalls mid-frame. Each is answered where an ACK can name the message,
//! otherwise its connection is closed, and other connections are served meanwhile.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use crate::on_both_backends;
use crate::support::{get, Backend, TestServer};
use crate::v2_intake::{adt_a08, field, frame, log, raw_exchange, send_mllp, start_with};

/// A guard against a hung test, never an assertion on speed.
const HANG_GUARD: Duration = Duration::from_secs(30);

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(HANG_GUARD)).expect("timeout");
    stream
}

/// Reads one MLLP frame's payload; `None` when the server closed first.
fn read_reply(stream: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let mut byte = [0u8; 1];
    while !received.ends_with(&[0x1C, 0x0D]) {
        match stream.read(&mut byte) {
            Ok(0) => return None,
            Ok(_) => received.push(byte[0]),
            Err(error) => panic!("no reply and no close within {HANG_GUARD:?}: {error}"),
        }
    }
    let payload = received.get(1..received.len() - 2).unwrap_or_default();
    Some(String::from_utf8_lossy(payload).into_owned())
}

/// True when the server closed the connection without sending anything more.
fn closed_without_reply(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) => rest.is_empty(),
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => rest.is_empty(),
        Err(error) => panic!("connection neither answered nor closed: {error}"),
    }
}

fn metric(server: &TestServer, name: &str) -> u64 {
    let text = get(&format!("{}/metrics", server.root)).text;
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

const LIMIT: usize = 1024;

/// An ADT^A08 whose payload is exactly `size` bytes (an NTE padded with text).
fn message_of(control_id: &str, size: usize) -> Vec<u8> {
    let mut message = adt_a08(control_id, "P1").into_bytes();
    message.extend_from_slice(b"NTE|1||");
    let padding = size
        .checked_sub(message.len() + 1)
        .expect("size above the base message");
    message.extend(std::iter::repeat_n(b'x', padding));
    message.push(b'\r');
    assert_eq!(message.len(), size);
    message
}

fn oversize_frame_gets_an_ar_naming_the_limit(backend: Backend) {
    let (server, mllp) = start_with(backend, |settings| {
        settings.mllp_server.max_frame_size = LIMIT;
    });
    let big = frame(&message_of("BIG1", LIMIT + 1));
    let mut stream = connect(&mllp);
    // Half of the oversize frame first: while it is being discarded, another
    // connection is served.
    let (first, second) = big.split_at(big.len() / 2);
    stream.write_all(first).expect("write");
    let meanwhile = send_mllp(&mllp, &[adt_a08("OTHER1", "P2")]);
    assert_eq!(field(&meanwhile[0], "MSA", 2), "OTHER1");
    stream.write_all(second).expect("write");
    let ar = read_reply(&mut stream).expect("an AR for the oversize frame");
    assert_eq!(field(&ar, "MSA", 1), "AR", "{ar}");
    assert_eq!(field(&ar, "MSA", 2), "BIG1", "{ar}");
    assert!(field(&ar, "ERR", 3).starts_with("207"), "{ar}");
    let text = field(&ar, "ERR", 8);
    assert!(text.contains(&format!("{} bytes", LIMIT + 1)), "{ar}");
    assert!(text.contains(&format!("limit of {LIMIT} bytes")), "{ar}");
    // The same connection goes on: a frame of exactly the limit is processed.
    stream
        .write_all(&frame(&message_of("FIT1", LIMIT)))
        .expect("write");
    let next = read_reply(&mut stream).expect("the next frame is answered");
    assert_eq!(field(&next, "MSA", 2), "FIT1", "{next}");
    assert_eq!(field(&next, "MSA", 1), "AA", "{next}");

    let oversize = log(&server, "?_count=10")
        .into_iter()
        .find(|entry| entry["control_id"] == "BIG1")
        .expect("the oversize frame is logged");
    assert_eq!(oversize["status"], "rejected");
    assert_eq!(oversize["flags"], serde_json::json!(["oversize"]));
    assert_eq!(oversize["ack"].as_str(), Some(ar.as_str()));
    let id = oversize["id"].as_i64().expect("id");
    let raw = get(&format!("{}/hl7v2/messages/{id}", server.root)).json()["raw"].clone();
    // Only the head is kept: the MSH segment, not the payload.
    let msh = adt_a08("BIG1", "P1");
    let msh = msh.split_inclusive('\r').next().expect("MSH line");
    assert_eq!(raw, msh);
    assert_eq!(metric(&server, "fhirgate_mllp_frames_rejected_total"), 1);
}

fn oversize_frame_without_a_whole_msh_closes_only_its_connection(backend: Backend) {
    const SMALL_LIMIT: usize = 64;
    let (server, mllp) = start_with(backend, |settings| {
        settings.mllp_server.max_frame_size = SMALL_LIMIT;
    });
    // No MSH at all, then an MSH longer than the limit: its MSH-10 could be cut, so
    // no ACK may name it.
    let long_msh = adt_a08("A-CONTROL-ID-BEYOND-THE-LIMIT", "P1");
    for payload in [vec![b'Z'; SMALL_LIMIT * 4], long_msh.into_bytes()] {
        let mut stream = connect(&mllp);
        stream.write_all(&frame(&payload)).expect("write");
        assert!(closed_without_reply(&mut stream));
    }
    let small = "MSH|^~\\&|LAB|HOSP|GW|FAC|||ADT^A08|S1|P|2.5.1\r";
    assert!(small.len() <= SMALL_LIMIT);
    let acks = send_mllp(&mllp, &[small.to_owned()]);
    assert_eq!(field(&acks[0], "MSA", 2), "S1");
    let logged = log(&server, "?_count=10");
    assert_eq!(logged.len(), 3, "{logged:?}");
    for headless in &logged[1..] {
        assert_eq!(headless["status"], "rejected", "{headless}");
        assert_eq!(headless["ack"], serde_json::Value::Null, "{headless}");
        assert_eq!(
            headless["flags"],
            serde_json::json!(["oversize", "unparseable"])
        );
        assert_eq!(headless["control_id"], "", "{headless}");
    }
    // Newest first: the cut MSH, then the Zs.
    assert_eq!(logged[1]["issues"][0]["code"], 207);
    let cut = logged[1]["issues"][1]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(cut.contains("longer than the 64 bytes kept"), "{cut}");
    assert_eq!(
        get(&format!(
            "{}/hl7v2/messages/{}",
            server.root, logged[2]["id"]
        ))
        .json()["raw"],
        "Z".repeat(SMALL_LIMIT)
    );
}

fn message_without_msh_closes_the_connection_and_is_logged(backend: Backend) {
    let (server, mllp) = start_with(backend, |_| {});
    let closed = raw_exchange(&mllp, b"PID|1||P1^^^HOSP^MR||DOE^JANE\rPV1|1|I\r");
    assert!(closed.is_empty(), "{}", String::from_utf8_lossy(&closed));
    let logged = log(&server, "");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["status"], "rejected");
    assert_eq!(logged[0]["ack"], serde_json::Value::Null);
    assert_eq!(logged[0]["flags"], serde_json::json!(["unparseable"]));
    assert!(
        logged[0]["issues"][0]["message"]
            .as_str()
            .is_some_and(|text| !text.is_empty()),
        "the reason is logged: {logged:?}"
    );
}

fn bad_delimiters_close_the_connection_with_a_logged_reason(backend: Backend) {
    let (server, mllp) = start_with(backend, |_| {});
    // MSH-2 repeats the component separator as the repetition separator: no usable
    // delimiters, so not even MSH-10 can be read and no ACK can name the message.
    let repeated = raw_exchange(
        &mllp,
        b"MSH|^^\\&|LAB|HOSP|GW|FAC|20260101||ADT^A08|DELIM1|P|2.5.1\rPID|1\r",
    );
    assert!(
        repeated.is_empty(),
        "{}",
        String::from_utf8_lossy(&repeated)
    );
    // An MSH too short to hold its encoding characters.
    let short = raw_exchange(&mllp, b"MSH|^~\r");
    assert!(short.is_empty(), "{}", String::from_utf8_lossy(&short));
    // Newest first.
    let logged = log(&server, "");
    assert_eq!(logged.len(), 2);
    let reasons = ["encoding characters", "used twice"];
    for (entry, reason) in logged.iter().zip(reasons) {
        assert_eq!(entry["status"], "rejected", "{entry}");
        assert_eq!(entry["ack"], serde_json::Value::Null, "{entry}");
        assert_eq!(
            entry["flags"],
            serde_json::json!(["unparseable"]),
            "{entry}"
        );
        let message = entry["issues"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(reason), "{reason}: {entry}");
    }
    let acks = send_mllp(&mllp, &[adt_a08("AFTER3", "P1")]);
    assert_eq!(field(&acks[0], "MSA", 2), "AFTER3");
}

fn truncated_frame_is_counted_and_never_acknowledged(backend: Backend) {
    let (server, mllp) = start_with(backend, |_| {});
    let mut stream = connect(&mllp);
    let whole = frame(adt_a08("CUT1", "P1").as_bytes());
    stream.write_all(&whole[..whole.len() / 2]).expect("write");
    // The sender goes away mid-frame.
    stream.shutdown(Shutdown::Write).expect("half close");
    assert!(closed_without_reply(&mut stream));
    let acks = send_mllp(&mllp, &[adt_a08("AFTER4", "P1")]);
    assert_eq!(field(&acks[0], "MSA", 2), "AFTER4");
    // Nothing of the cut frame reached the message log; the listener counted it.
    let logged = log(&server, "");
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0]["control_id"], "AFTER4");
    assert_eq!(metric(&server, "fhirgate_mllp_frames_rejected_total"), 1);
}

fn binary_garbage_between_frames_is_skipped(backend: Backend) {
    let (server, mllp) = start_with(backend, |_| {});
    let garbage = b"\xff\xfe\x00GET / HTTP/1.1\r\n\x1c\x0d\x80";
    let mut bytes = garbage.to_vec();
    bytes.extend(frame(adt_a08("GARB1", "P1").as_bytes()));
    let mut stream = connect(&mllp);
    stream.write_all(&bytes).expect("write");
    let ack = read_reply(&mut stream).expect("the frame after the garbage is answered");
    assert_eq!(field(&ack, "MSA", 2), "GARB1", "{ack}");
    assert_eq!(
        metric(&server, "fhirgate_mllp_bytes_skipped_total"),
        garbage.len() as u64
    );
    assert_eq!(log(&server, "").len(), 1);
}

fn stalled_client_is_closed_while_others_are_served(backend: Backend) {
    let (server, mllp) = start_with(backend, |settings| {
        settings.mllp_server.read_timeout = Duration::from_millis(300);
    });
    let mut stalled = connect(&mllp);
    let whole = frame(adt_a08("STALL1", "P1").as_bytes());
    stalled.write_all(&whole[..whole.len() / 2]).expect("write");
    // The stalled client keeps its socket open and sends nothing more.
    let acks = send_mllp(&mllp, &[adt_a08("LIVE1", "P2")]);
    assert_eq!(field(&acks[0], "MSA", 2), "LIVE1");
    assert!(closed_without_reply(&mut stalled));
    assert_eq!(metric(&server, "fhirgate_mllp_timeouts_total"), 1);
    let logged = log(&server, "");
    assert_eq!(
        logged.len(),
        1,
        "the stalled frame is not processed: {logged:?}"
    );
    assert_eq!(logged[0]["control_id"], "LIVE1");
}

on_both_backends!(
    oversize_frame_gets_an_ar_naming_the_limit,
    oversize_frame_without_a_whole_msh_closes_only_its_connection,
    message_without_msh_closes_the_connection_and_is_logged,
    bad_delimiters_close_the_connection_with_a_logged_reason,
    truncated_frame_is_counted_and_never_acknowledged,
    binary_garbage_between_frames_is_skipped,
    stalled_client_is_closed_while_others_are_served,
);

//! HL7 v2 intake through real sockets: MLLP (the mllp crate's client) and `POST /hl7v2`,
//! the message log over HTTP, retransmissions, reused control ids, garbage and replay.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use mllp::{ClientOptions, MllpClient};
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{get, send, Backend, TestServer};

const ER7: &str = "x-application/hl7-v2+er7";

pub fn adt_a08(control_id: &str, patient: &str) -> String {
    format!(
        "MSH|^~\\&|LAB|HOSP|FHIRGATE|GW|20260101120000||ADT^A08^ADT_A01|{control_id}|P|2.5.1\r\
         EVN|A08|20260101120000\r\
         PID|1||{patient}^^^HOSP^MR||DOE^JANE||19800101|F\r"
    )
}

/// A server and its MLLP address (bound on port 0 by the server itself).
fn start(backend: Backend) -> (TestServer, String) {
    start_with(backend, |_| {})
}

/// [`start`] with adjusted settings (limits, timeouts).
pub fn start_with(
    backend: Backend,
    adjust: impl FnOnce(&mut fhirgate::settings::Settings),
) -> (TestServer, String) {
    let server = TestServer::start_with(backend, adjust);
    let addr = server.mllp.clone();
    (server, addr)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Sends each message over one MLLP connection, returns the ACKs as text.
pub fn send_mllp(addr: &str, messages: &[String]) -> Vec<String> {
    runtime().block_on(async {
        let mut client = MllpClient::connect(addr, ClientOptions::default())
            .await
            .expect("connect");
        let mut acks = Vec::new();
        for message in messages {
            let ack = client.send(message.as_bytes()).await.expect("ACK");
            acks.push(String::from_utf8_lossy(&ack).into_owned());
        }
        client.close().await;
        acks
    })
}

pub fn field(message: &str, segment: &str, index: usize) -> String {
    message
        .split('\r')
        .find(|line| line.starts_with(segment))
        .and_then(|line| line.split('|').nth(index))
        .unwrap_or("")
        .to_owned()
}

pub fn log(server: &TestServer, query: &str) -> Vec<Value> {
    let reply = get(&format!("{}/hl7v2/messages{query}", server.root));
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn unsupported_type_is_rejected_with_err_200(backend: Backend) {
    let (server, mllp) = start(backend);
    let oru = adt_a08("MSG0001", "P1").replace("ADT^A08^ADT_A01", "ORU^R01^ORU_R01");
    let acks = send_mllp(&mllp, &[oru]);
    let ack = &acks[0];
    assert_eq!(field(ack, "MSA", 1), "AR", "{ack}");
    assert_eq!(field(ack, "MSA", 2), "MSG0001");
    assert!(field(ack, "ERR", 3).starts_with("200"), "{ack}");
    assert!(
        field(ack, "ERR", 8).contains("message type `ORU` is not translated to FHIR"),
        "{ack}"
    );
    let logged = log(&server, "");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["status"], "rejected");
    assert_eq!(logged[0]["sender"], "LAB^HOSP");
    assert_eq!(logged[0]["control_id"], "MSG0001");
    assert_eq!(logged[0]["type"], "ORU^R01^ORU_R01");
    assert_eq!(logged[0]["ack"].as_str(), Some(ack.as_str()));
    assert_eq!(logged[0]["issues"][0]["code"], 200);
}

fn retransmission_replays_the_first_ack(backend: Backend) {
    let (server, mllp) = start(backend);
    let message = adt_a08("RETX1", "P1");
    let first = send_mllp(&mllp, std::slice::from_ref(&message));
    let again = send_mllp(&mllp, &[message.clone(), message]);
    assert_eq!(again[0], first[0]);
    assert_eq!(again[1], first[0]);
    let logged = log(&server, "");
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0]["retransmissions"], 2);
}

fn reused_control_id_is_processed_and_flagged(backend: Backend) {
    let (server, mllp) = start(backend);
    let acks = send_mllp(&mllp, &[adt_a08("SAME", "P1"), adt_a08("SAME", "P2")]);
    assert_ne!(acks[0], acks[1]);
    assert_eq!(field(&acks[1], "MSA", 2), "SAME");
    let logged = log(&server, "");
    assert_eq!(logged.len(), 2);
    // Newest first: the second message carries the flag, the first does not.
    assert_eq!(logged[0]["flags"], serde_json::json!(["control-id-reused"]));
    assert_eq!(logged[1]["flags"], serde_json::json!([]));
}

pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut framed = vec![0x0B];
    framed.extend_from_slice(payload);
    framed.extend_from_slice(&[0x1C, 0x0D]);
    framed
}

/// Writes one frame on a raw socket; returns what came back before the peer closed or
/// a complete frame arrived.
pub fn raw_exchange(addr: &str, payload: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream.write_all(&frame(payload)).expect("write");
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while !received.ends_with(&[0x1C, 0x0D]) {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
        }
    }
    received
}

fn garbage_is_answered_or_closed_and_others_keep_working(backend: Backend) {
    let (server, mllp) = start(backend);
    // No MSH at all: nothing can name the message, so the connection is closed.
    let closed = raw_exchange(&mllp, b"\x00\x01binary garbage\xff\xfe");
    assert!(closed.is_empty(), "{}", String::from_utf8_lossy(&closed));
    // A readable MSH with a broken body: AR naming the control id.
    let broken = b"MSH|^~\\&|LAB|HOSP|GW|FAC|20260101||ADT^A08|BAD1|P|2.5.1\rP\xffD\r";
    let answered = String::from_utf8_lossy(&raw_exchange(&mllp, broken)).into_owned();
    assert_eq!(field(&answered, "MSA", 2), "BAD1", "{answered}");
    assert!(matches!(field(&answered, "MSA", 1).as_str(), "AR" | "AE"));
    let acks = send_mllp(&mllp, &[adt_a08("AFTER", "P1")]);
    assert_eq!(field(&acks[0], "MSA", 2), "AFTER");
    let logged = log(&server, "?_count=10");
    assert_eq!(logged.len(), 3);
    let unparseable = logged
        .iter()
        .filter(|entry| entry["flags"].to_string().contains("unparseable"))
        .count();
    assert_eq!(unparseable, 2);
}

fn http_post_returns_the_ack(backend: Backend) {
    let (server, _) = start(backend);
    let url = format!("{}/hl7v2", server.root);
    let message = adt_a08("HTTP1", "P9");
    for content_type in [ER7, "application/hl7-v2"] {
        let reply = send(
            "POST",
            &url,
            &[("content-type", content_type)],
            Some(&message),
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.header("content-type"), Some(ER7));
        assert_eq!(field(&reply.text, "MSA", 2), "HTTP1");
        assert_eq!(field(&reply.text, "MSA", 1), "AA", "{}", reply.text);
    }
    let refused = send(
        "POST",
        &url,
        &[("content-type", "text/plain")],
        Some(&message),
    );
    refused.assert_outcome(415, "not-supported");
    let garbage = send("POST", &url, &[("content-type", ER7)], Some("not hl7"));
    assert_eq!(garbage.status, 400, "{}", garbage.text);
}

fn log_search_by_status_sender_and_type(backend: Backend) {
    let (server, mllp) = start(backend);
    let other = adt_a08("O1", "P1").replace("|LAB|HOSP|", "|PHARM|WEST|");
    let oru = adt_a08("R1", "P1").replace("ADT^A08^ADT_A01", "ORU^R01^ORU_R01");
    send_mllp(&mllp, &[adt_a08("A1", "P1"), other, oru]);
    assert_eq!(log(&server, "?status=rejected").len(), 1);
    assert_eq!(log(&server, "?status=accepted").len(), 2);
    let by_sender = log(&server, "?sender=PHARM%5EWEST");
    assert_eq!(by_sender.len(), 1);
    assert_eq!(by_sender[0]["control_id"], "O1");
    let by_type = log(&server, "?type=ORU");
    assert_eq!(by_type.len(), 1);
    assert_eq!(by_type[0]["control_id"], "R1");
    assert_eq!(log(&server, "?type=ADT%5EA08").len(), 2);
    assert_eq!(log(&server, "?since=2000-01-01").len(), 3);
    assert_eq!(log(&server, "?since=2999-01-01").len(), 0);
    assert_eq!(log(&server, "?before=2999-01-01").len(), 3);
    assert_eq!(log(&server, "?before=2000-01-01").len(), 0);
    let by_control_id = log(&server, "?control_id=O1");
    assert_eq!(by_control_id.len(), 1);
    assert_eq!(by_control_id[0]["sender"], "PHARM^WEST");
    let bad_time = get(&format!("{}/hl7v2/messages?before=yesterday", server.root));
    bad_time.assert_outcome(400, "invalid");
    assert_eq!(log(&server, "?_count=1").len(), 1);
    let bad = get(&format!("{}/hl7v2/messages?status=lost", server.root));
    bad.assert_outcome(400, "invalid");
}

fn replay_reruns_a_logged_message(backend: Backend) {
    let (server, mllp) = start(backend);
    let first = send_mllp(&mllp, &[adt_a08("REPLAY1", "P1")]);
    let id = log(&server, "")[0]["id"].as_i64().expect("id");
    let shown = get(&format!("{}/hl7v2/messages/{id}", server.root));
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json()["raw"], adt_a08("REPLAY1", "P1"));
    let url = format!("{}/hl7v2/messages/{id}/$replay", server.root);
    let replayed = send("POST", &url, &[], None);
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    assert_eq!(field(&replayed.text, "MSA", 2), "REPLAY1");
    // A new ACK (own control id), not the first one replayed.
    assert_ne!(replayed.text, first[0]);
    let logged = log(&server, "");
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[0]["replay_of"], id);
    assert_eq!(logged[0]["flags"], serde_json::json!(["replay"]));
    let missing = send(
        "POST",
        &format!("{}/hl7v2/messages/999999/$replay", server.root),
        &[],
        None,
    );
    missing.assert_outcome(404, "not-found");
}

/// The Patient id the translator gives the message's PID-3.
pub fn patient_id(message: &str) -> String {
    let translator = translate::V2ToFhir::new().expect("tables");
    let parsed =
        hl7v2::Message::parse(message.as_bytes(), &hl7v2::ParseOptions::default()).expect("parses");
    let translated = translator.translate(&parsed).expect("translates");
    let (_, id, _) = translated.resources().next().expect("a Patient");
    id.to_owned()
}

fn adt_is_translated_committed_then_acknowledged(backend: Backend) {
    let (server, mllp) = start(backend);
    let first = adt_a08("T1", "P7");
    let second = adt_a08("T2", "P7").replace("DOE^JANE", "DOE^JOAN");
    let acks = send_mllp(&mllp, &[first.clone(), second]);
    for ack in &acks {
        assert_eq!(field(ack, "MSA", 1), "AA", "{ack}");
    }
    // EVN-2 has no mapping: reported as an ERR warning (severity W) on the AA.
    assert!(acks[0].contains("EVN^1^2"), "{}", acks[0]);
    assert_eq!(field(&acks[0], "ERR", 4), "W", "{}", acks[0]);
    let id = patient_id(&first);
    let read = get(&format!("{}/Patient/{id}", server.base));
    assert_eq!(read.status, 200, "{}", read.text);
    let patient = read.json();
    assert_eq!(
        patient["name"][0]["given"][0], "JOAN",
        "the later A08 updated it"
    );
    assert_eq!(patient["meta"]["versionId"], "2");
    let logged = log(&server, "");
    assert_eq!(logged[0]["status"], "accepted");
    assert!(
        logged[0]["issues"].to_string().contains("EVN[1]-2"),
        "{}",
        logged[0]
    );
}

fn mllp_counters_are_exported(backend: Backend) {
    let (server, mllp) = start(backend);
    send_mllp(&mllp, &[adt_a08("M1", "P1")]);
    let metrics = get(&format!("{}/metrics", server.root)).text;
    let frames = metrics
        .lines()
        .find(|line| line.starts_with("fhirgate_mllp_frames_in_total "))
        .unwrap_or_else(|| panic!("no MLLP counter in {metrics}"));
    assert_eq!(frames, "fhirgate_mllp_frames_in_total 1");
}

on_both_backends!(
    unsupported_type_is_rejected_with_err_200,
    adt_is_translated_committed_then_acknowledged,
    retransmission_replays_the_first_ack,
    reused_control_id_is_processed_and_flagged,
    garbage_is_answered_or_closed_and_others_keep_working,
    http_post_returns_the_ack,
    log_search_by_status_sender_and_type,
    replay_reruns_a_logged_message,
    mllp_counters_are_exported,
);

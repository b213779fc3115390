//! Issue 5's durability test: a kill -9 of the real server in the middle of a stream of
//! HL7 v2 messages on several MLLP connections. Every message that was answered AA is
//! in the database afterwards (its log entry accepted, its Patient written); messages
//! in flight at the kill may or may not be there, and their senders got no ACK.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mllp::{ClientOptions, MllpClient};

use crate::on_both_backends;
use crate::process::{signal, start};
use crate::support::{get, Backend, TestDatabase};

const CONNECTIONS: usize = 4;
const MESSAGES_PER_CONNECTION: usize = 200;
/// The kill comes once this many AAs have arrived, with every connection still sending.
const KILL_AFTER_ACKS: usize = 150;

fn adt_a08(connection: usize, n: usize) -> (String, String) {
    let control_id = format!("K{connection}-{n}");
    let family = format!("Kill{connection}x{n}");
    let message = format!(
        "MSH|^~\\&|KILLTEST|HOSP|FHIRGATE|GW|20260101120000||ADT^A08^ADT_A01|{control_id}|P|2.5.1\r\
         EVN|A08|20260101120000\r\
         PID|1||KP{connection}-{n}^^^HOSP^MR||{family}^Jane||19800101|F\r\
         PV1|1|O\r"
    );
    (message, family)
}

/// Streams messages on `CONNECTIONS` connections until the server dies; returns the
/// family names of the messages answered AA.
fn stream_until_killed(mllp: &str, server_pid: u32) -> BTreeSet<String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let acks = Arc::new(AtomicUsize::new(0));
    runtime.block_on(async {
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|connection| {
                let mllp = mllp.to_owned();
                let acks = Arc::clone(&acks);
                tokio::spawn(async move {
                    let mut accepted = Vec::new();
                    let Ok(mut client) = MllpClient::connect(&mllp, ClientOptions::default()).await
                    else {
                        return accepted;
                    };
                    for n in 0..MESSAGES_PER_CONNECTION {
                        let (message, family) = adt_a08(connection, n);
                        let Ok(ack) = client.send(message.as_bytes()).await else {
                            break; // the server is gone: this message has no answer
                        };
                        let ack = String::from_utf8_lossy(&ack).into_owned();
                        assert!(ack.contains("\rMSA|AA|"), "expected AA, got {ack}");
                        accepted.push(family);
                        if acks.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER_ACKS {
                            let pid = i32::try_from(server_pid).expect("pid");
                            // SAFETY: killing our own child process.
                            unsafe { libc::kill(pid, libc::SIGKILL) };
                        }
                    }
                    accepted
                })
            })
            .collect();
        let mut accepted = BTreeSet::new();
        for task in tasks {
            accepted.extend(task.await.expect("sender task"));
        }
        accepted
    })
}

/// Family names of every Patient version in the database.
fn stored_families(base: &str) -> BTreeSet<String> {
    let mut families = BTreeSet::new();
    let mut url = format!("{base}/Patient/_history?_count=1000");
    loop {
        let page = get(&url).json();
        for entry in page["entry"].as_array().into_iter().flatten() {
            if let Some(family) = entry["resource"]["name"][0]["family"].as_str() {
                families.insert(family.to_owned());
            }
        }
        let next = page["link"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|link| link["relation"] == "next")
            .and_then(|link| link["url"].as_str());
        match next {
            Some(next) => url = next.to_owned(),
            None => return families,
        }
    }
}

fn every_aa_survives_kill_9(backend: Backend) {
    let (_database, url) = TestDatabase::new(backend);
    let mut first = start(&url);
    let accepted = stream_until_killed(&first.mllp, first.child.id());
    let _ = first.child.wait();
    assert!(
        accepted.len() >= KILL_AFTER_ACKS,
        "the kill came after {KILL_AFTER_ACKS} AAs, only {} seen",
        accepted.len()
    );
    assert!(
        accepted.len() < CONNECTIONS * MESSAGES_PER_CONNECTION,
        "the kill must interrupt the stream"
    );

    let mut second = start(&url);
    let stored = stored_families(&second.base);
    let lost: Vec<_> = accepted.difference(&stored).collect();
    assert!(lost.is_empty(), "AA'd but not stored: {lost:?}");
    let log = get(&format!(
        "{}/hl7v2/messages?status=accepted&sender=KILLTEST%5EHOSP&_count=1000",
        second.base.trim_end_matches("/fhir")
    ));
    assert_eq!(log.status, 200, "{}", log.text);
    let logged = log.json()["messages"].as_array().map_or(0, Vec::len);
    assert!(
        logged >= accepted.len(),
        "{logged} accepted log entries for {} AAs",
        accepted.len()
    );
    signal(&mut second, libc::SIGTERM);
    let _ = second.child.wait();
}

on_both_backends!(every_aa_survives_kill_9);

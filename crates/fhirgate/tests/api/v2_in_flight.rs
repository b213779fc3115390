//! Copies of one HL7 v2 message that arrive while the first is still being processed
//! (DESIGN promise 5): applied once, every copy answered with the first ACK, across
//! two gateways sharing one database. A copy that cannot wait long enough is answered
//! nothing, and a copy of a message whose process died is processed anew.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use gateway::time::Micros;
use gateway::v2_intake::{
    content_hash, BeginBounds, Begun, Completion, LogStatus, MessageLog, NewLogEntry,
};
use store::{DatabaseUrl, PoolOptions, Store};

use crate::on_both_backends;
use crate::support::{get, profiles_dir, Backend, TestDatabase, TestServer};
use crate::v2_intake::{adt_a08, field, log, raw_exchange, send_mllp};

const COPIES: usize = 20;

/// Gateways sharing one fresh database, each with its MLLP address.
struct Cluster {
    gateways: Vec<(TestServer, String)>,
    url: String,
    // Dropped last: the servers must stop before their database goes.
    _database: TestDatabase,
}

impl Cluster {
    fn start(backend: Backend, gateways: usize, in_flight_wait: Duration) -> Self {
        let (database, url) = TestDatabase::new(backend);
        let gateways = (0..gateways)
            .map(|_| {
                let mut settings = fhirgate::settings::Settings::for_database(&url);
                settings.profiles = profiles_dir();
                settings.in_flight_wait = in_flight_wait;
                let server = TestServer::start_on(settings);
                let addr = server.mllp.clone();
                (server, addr)
            })
            .collect();
        Self {
            gateways,
            url,
            _database: database,
        }
    }

    /// A store of its own on the same database, as another process would have.
    fn other_process(&self) -> Store {
        let url = DatabaseUrl::parse(&self.url).expect("database URL");
        Store::open(&url, &PoolOptions::default()).expect("second store")
    }

    fn server(&self) -> &TestServer {
        &self.gateways[0].0
    }
}

fn simultaneous_copies_are_applied_once(backend: Backend) {
    // Two gateways on one database stand for two processes.
    let cluster = Cluster::start(backend, 2, Duration::from_secs(20));
    let message = adt_a08("SAME-MOMENT", "P1");
    let barrier = Arc::new(Barrier::new(COPIES));
    let senders: Vec<_> = (0..COPIES)
        .map(|n| {
            let addr = cluster.gateways[n % 2].1.clone();
            let (message, barrier) = (message.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                send_mllp(&addr, &[message]).remove(0)
            })
        })
        .collect();
    let acks: Vec<String> = senders
        .into_iter()
        .map(|sender| sender.join().expect("sender"))
        .collect();
    assert_eq!(field(&acks[0], "MSA", 2), "SAME-MOMENT", "{}", acks[0]);
    assert!(
        acks.iter().all(|ack| *ack == acks[0]),
        "every copy gets the first ACK byte for byte: {acks:?}"
    );
    let logged = log(cluster.server(), "?_count=100");
    assert_eq!(logged.len(), 1, "processed once: {logged:?}");
    assert_eq!(field(&acks[0], "MSA", 1), "AA", "{}", acks[0]);
    assert_eq!(logged[0]["status"], "accepted");
    assert_eq!(logged[0]["ack"].as_str(), Some(acks[0].as_str()));
    assert_eq!(logged[0]["retransmissions"], COPIES as i64 - 1);
    let history = get(&cluster.server().url("/Patient/_history")).json();
    assert_eq!(
        history["entry"].as_array().map(Vec::len),
        Some(1),
        "the translated Patient is written once: {history}"
    );
}

/// The log entry `V2Intake` makes for `raw` (same sender, control id, type and hash).
fn entry_for(raw: &str, control_id: &str, received_at: Micros) -> NewLogEntry {
    NewLogEntry {
        received_at,
        sender: "LAB^HOSP".into(),
        control_id: control_id.into(),
        message_type: "ADT^A08^ADT_A01".into(),
        content_hash: content_hash(raw.as_bytes()),
        raw: raw.as_bytes().to_vec(),
        flags: vec![],
        replay_of: None,
    }
}

fn bounds_now() -> BeginBounds {
    let hour = 3_600_000_000;
    BeginBounds {
        window_start: Micros(Micros::now().0 - hour),
        abandoned_before: Micros(Micros::now().0 - hour),
    }
}

fn copy_of_an_unanswered_message_gets_no_ack_then_the_first_one(backend: Backend) {
    let cluster = Cluster::start(backend, 1, Duration::from_millis(300));
    let (server, mllp) = &cluster.gateways[0];
    let message = adt_a08("IN-FLIGHT", "P1");
    // Another process has logged this message and is still working on it.
    let other = cluster.other_process();
    let begin_now = || {
        let entry = entry_for(&message, "IN-FLIGHT", Micros::now());
        other.begin("default", &entry, bounds_now()).expect("begin")
    };
    let begun = begin_now();
    let Begun::New { id, .. } = begun else {
        panic!("expected a new entry, got {begun:?}")
    };
    let again = begin_now();
    assert_eq!(again, Begun::InFlight { id });

    // This gateway waits for it, in vain, and answers nothing.
    let unanswered = raw_exchange(mllp, message.as_bytes());
    assert!(
        unanswered.is_empty(),
        "{}",
        String::from_utf8_lossy(&unanswered)
    );
    let logged = log(server, "");
    assert_eq!(logged.len(), 1, "nothing processed twice: {logged:?}");
    assert_eq!(logged[0]["status"], "received");

    // The other process commits its ACK; the sender's retransmission gets it as is.
    let first_ack = "MSH|^~\\&|FHIRGATE|GW|LAB|HOSP|20260101120001||ACK^A08^ACK|FG1|P|2.5.1\rMSA|AA|IN-FLIGHT\r";
    let completion = Completion {
        status: LogStatus::Accepted,
        ack: Some(first_ack.as_bytes().to_vec()),
        issues: serde_json::json!([]),
        writes: vec![],
    };
    other
        .complete("default", id, &completion)
        .expect("complete");
    let acks = send_mllp(mllp, &[message]);
    assert_eq!(acks[0], first_ack);
    let logged = log(server, "");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["retransmissions"], 1);
}

fn copy_of_an_abandoned_message_is_processed_anew(backend: Backend) {
    let cluster = Cluster::start(backend, 1, Duration::from_millis(300));
    let (server, mllp) = &cluster.gateways[0];
    let message = adt_a08("ABANDONED", "P1");
    // A process logged it an hour ago and died before answering.
    let long_ago = Micros(Micros::now().0 - 3_600_000_000);
    let window = BeginBounds {
        window_start: Micros(long_ago.0 - 1),
        abandoned_before: long_ago,
    };
    let begun = cluster
        .other_process()
        .begin(
            "default",
            &entry_for(&message, "ABANDONED", long_ago),
            window,
        )
        .expect("begin");
    assert!(matches!(begun, Begun::New { .. }), "{begun:?}");

    let acks = send_mllp(mllp, &[message]);
    assert_eq!(field(&acks[0], "MSA", 2), "ABANDONED");
    assert_eq!(field(&acks[0], "MSA", 1), "AA");
    let logged = log(server, "");
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert_eq!(logged[0]["status"], "accepted");
    assert_eq!(logged[1]["status"], "received");
    // Same content, so not a reused control id.
    assert_eq!(logged[0]["flags"], serde_json::json!([]));
}

on_both_backends!(
    simultaneous_copies_are_applied_once,
    copy_of_an_unanswered_message_gets_no_ack_then_the_first_one,
    copy_of_an_abandoned_message_is_processed_anew,
);

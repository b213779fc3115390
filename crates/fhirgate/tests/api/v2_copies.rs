//! Copies of one HL7 v2 message that arrive while the first is still being processed
//! (DESIGN promise 5): applied once, every copy answered with the first ACK, across
//! two gateways sharing one database. Each copy is translated, then waits for the
//! control id's lock in `record`, and finds the first one answered.

use crate::on_both_backends;
use crate::support::{all_at_once, get, profiles_dir, Backend, TestDatabase, TestServer};
use crate::v2_intake::{adt_a08, field, log, send_mllp};

const COPIES: usize = 20;

/// Gateways sharing one fresh database, each with its MLLP address.
struct Cluster {
    gateways: Vec<(TestServer, String)>,
    // Dropped last: the servers must stop before their database goes.
    _database: TestDatabase,
}

impl Cluster {
    fn start(backend: Backend, gateways: usize) -> Self {
        let (database, url) = TestDatabase::new(backend);
        let gateways = (0..gateways)
            .map(|_| {
                let mut settings = fhirgate::settings::Settings::for_database(&url);
                settings.profiles = profiles_dir();
                let server = TestServer::start_on(settings);
                let addr = server.mllp.clone();
                (server, addr)
            })
            .collect();
        Self {
            gateways,
            _database: database,
        }
    }

    fn server(&self) -> &TestServer {
        &self.gateways[0].0
    }
}

fn simultaneous_copies_are_applied_once(backend: Backend) {
    // Two gateways on one database stand for two processes.
    let cluster = Cluster::start(backend, 2);
    let message = adt_a08("SAME-MOMENT", "P1");
    let addrs: Vec<String> = cluster
        .gateways
        .iter()
        .map(|(_, addr)| addr.clone())
        .collect();
    let acks: Vec<String> = all_at_once(COPIES, move |n| {
        send_mllp(&addrs[n % 2], std::slice::from_ref(&message)).remove(0)
    });
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

on_both_backends!(simultaneous_copies_are_applied_once);

//! The message log records a message, its translated writes and its ACK in one
//! transaction (DESIGN promise 1): all of them, or none of them. On PostgreSQL many
//! messages share a transaction (group commit); these tests send them concurrently so
//! batches really form, and check that each message still gets exactly its own answer.

use std::sync::Arc;

use gateway::time::Micros;
use gateway::v2_intake::{
    Completion, LogStatus, MessageLog, NewLogEntry, Recorded, FLAG_CONTROL_ID_REUSED,
};
use gateway::{Precondition, Storage, StorageError, WriteMethod, WriteRequest};
use serde_json::json;
use store::{DatabaseUrl, PoolOptions, Store};

use crate::on_both_backends;
use crate::support::{self, Backend, TestDatabase};

/// A fresh database and a store on it; the URL opens more stores (other processes).
fn open(backend: Backend) -> (TestDatabase, Arc<Store>, DatabaseUrl) {
    let (database, url) = TestDatabase::new(backend);
    let url = DatabaseUrl::parse(&url).expect("url");
    let store = Store::open(&url, &PoolOptions::default()).expect("open");
    store.migrate().expect("migrate");
    (database, Arc::new(store), url)
}

fn entry(store: &Store, control_id: &str, content: &str) -> NewLogEntry {
    NewLogEntry {
        id: store.reserve_id().expect("reserve an id"),
        received_at: Micros::now(),
        sender: "LAB^HOSP".into(),
        control_id: control_id.into(),
        message_type: "ADT^A08".into(),
        content_hash: format!("hash-{content}"),
        raw: format!("MSH|^~\\&|LAB|HOSP|||||ADT^A08|{control_id}|P|2.5.1\r{content}\r")
            .into_bytes(),
        flags: vec![],
        replay_of: None,
    }
}

fn put(id: &str, family: &str, precondition: Precondition) -> WriteRequest {
    WriteRequest {
        resource_type: "Patient".into(),
        id: id.into(),
        method: WriteMethod::Put,
        precondition,
        resource: Some(json!({"resourceType": "Patient", "id": id, "name": [{"family": family}]})),
    }
}

fn completion(ack: &str, writes: Vec<WriteRequest>) -> Completion {
    Completion {
        status: LogStatus::Accepted,
        ack: Some(format!("MSH|^~\\&|ACK\rMSA|AA|{ack}\r").into_bytes()),
        issues: json!([]),
        writes,
    }
}

fn record(
    store: &Store,
    entry: NewLogEntry,
    writes: Vec<WriteRequest>,
) -> Result<Recorded, StorageError> {
    let ack = entry.control_id.clone();
    store.record("default", entry, completion(&ack, writes), Micros(0))
}

fn writes_commit_with_the_ack(backend: Backend) {
    let (_database, store, _) = open(backend);
    let entry = entry(&store, "C1", "one");
    let id = entry.id;
    let writes = vec![
        put("p1", "One", Precondition::None),
        put("p2", "Two", Precondition::None),
        // The same resource twice in one message: two versions, in order.
        put("p1", "One-again", Precondition::None),
    ];
    let recorded = record(&store, entry, writes).expect("record");
    assert_eq!(
        recorded,
        Recorded::New {
            control_id_reused: false
        }
    );
    let logged = store.entry("default", id).expect("entry").expect("exists");
    assert_eq!(logged.status, LogStatus::Accepted);
    assert_eq!(
        logged.ack.as_deref(),
        Some(&b"MSH|^~\\&|ACK\rMSA|AA|C1\r"[..])
    );
    let p1 = store
        .read_current("default", "Patient", "p1")
        .expect("read")
        .expect("p1 stored");
    assert_eq!(p1.version, 2);
    assert!(p1.body.as_deref().unwrap_or("").contains("One-again"));
    assert!(store
        .read_current("default", "Patient", "p2")
        .expect("read")
        .is_some());
}

fn a_refused_write_records_nothing(backend: Backend) {
    let (_database, store, _) = open(backend);
    store
        .write("default", put("exists", "Old", Precondition::None))
        .expect("seed");
    let entry = entry(&store, "C2", "two");
    let id = entry.id;
    let writes = vec![
        put("fresh", "New", Precondition::None),
        put("exists", "Clash", Precondition::MustNotExist),
    ];
    let result = record(&store, entry, writes);
    assert!(
        matches!(result, Err(StorageError::AlreadyExists)),
        "the conflicting write must fail the record: {result:?}"
    );
    assert_eq!(
        store.entry("default", id).expect("entry"),
        None,
        "no log entry (and so no ACK) without the data"
    );
    assert!(store
        .read_current("default", "Patient", "fresh")
        .expect("read")
        .is_none());
    let existing = store
        .read_current("default", "Patient", "exists")
        .expect("read")
        .expect("still there");
    assert_eq!(existing.version, 1);
}

const SENDERS: usize = 24;

/// Runs `job(store, n)` on SENDERS threads released at once.
fn all_at_once<T: Send + 'static>(
    store: &Arc<Store>,
    job: impl Fn(&Store, usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let store = store.clone();
    support::all_at_once(SENDERS, move |n| job(&store, n))
}

fn concurrent_messages_each_get_their_own_answer(backend: Backend) {
    let (_database, store, _) = open(backend);
    store
        .write("default", put("taken", "Old", Precondition::None))
        .expect("seed");
    // Every message writes its own patient and the shared one; message 7 also makes a
    // write the store refuses, which must fail it alone.
    let results = all_at_once(&store, |store, n| {
        let entry = entry(store, &format!("M{n}"), &format!("content {n}"));
        let id = entry.id;
        let mut writes = vec![
            put(&format!("own-{n}"), &format!("F{n}"), Precondition::None),
            put("shared", &format!("S{n}"), Precondition::None),
        ];
        if n == 7 {
            writes.push(put("taken", "Clash", Precondition::MustNotExist));
        }
        (id, record(store, entry, writes))
    });
    for (n, (id, result)) in results.iter().enumerate() {
        let logged = store.entry("default", *id).expect("entry");
        let own = store
            .read_current("default", "Patient", &format!("own-{n}"))
            .expect("read");
        if n == 7 {
            assert!(
                matches!(result, Err(StorageError::AlreadyExists)),
                "{result:?}"
            );
            assert_eq!(logged, None);
            assert_eq!(own, None);
        } else {
            assert_eq!(
                result.as_ref().ok(),
                Some(&Recorded::New {
                    control_id_reused: false
                }),
                "message {n}"
            );
            let logged = logged.expect("logged");
            let expected_ack = format!("MSH|^~\\&|ACK\rMSA|AA|M{n}\r");
            assert_eq!(logged.ack.as_deref(), Some(expected_ack.as_bytes()));
            assert_eq!(logged.control_id, format!("M{n}"));
            assert!(own.is_some(), "patient own-{n} written with its message");
        }
    }
    let shared = store
        .read_current("default", "Patient", "shared")
        .expect("read")
        .expect("shared written");
    assert_eq!(
        shared.version,
        SENDERS as i64 - 1,
        "one version per accepted message, none lost, none from the refused one"
    );
    let taken = store
        .read_current("default", "Patient", "taken")
        .expect("read")
        .expect("seeded");
    assert_eq!(taken.version, 1);
}

fn concurrent_copies_are_recorded_once(backend: Backend) {
    let (_database, store, _) = open(backend);
    let results = all_at_once(&store, |store, _| {
        let entry = entry(store, "SAME", "same content");
        record(store, entry, vec![put("copy", "Once", Precondition::None)])
    });
    let new = results
        .iter()
        .filter(|result| matches!(result, Ok(Recorded::New { .. })))
        .count();
    assert_eq!(new, 1, "{results:?}");
    let firsts: Vec<i64> = results
        .iter()
        .filter_map(|result| match result {
            Ok(Recorded::Retransmission(first)) => Some(first.id),
            _ => None,
        })
        .collect();
    assert_eq!(firsts.len(), SENDERS - 1, "{results:?}");
    let first = store
        .entry("default", firsts[0])
        .expect("entry")
        .expect("first copy logged");
    assert!(firsts.iter().all(|id| *id == first.id));
    assert_eq!(first.retransmissions, SENDERS as i64 - 1);
    let copy = store
        .read_current("default", "Patient", "copy")
        .expect("read")
        .expect("written");
    assert_eq!(copy.version, 1, "applied once");
}

fn a_reused_control_id_is_recorded_and_flagged(backend: Backend) {
    let (_database, store, _) = open(backend);
    let first = entry(&store, "REUSED", "first content");
    record(&store, first, vec![]).expect("first");
    let second = entry(&store, "REUSED", "other content");
    let id = second.id;
    let recorded = record(&store, second, vec![]).expect("second");
    assert_eq!(
        recorded,
        Recorded::New {
            control_id_reused: true
        }
    );
    let logged = store.entry("default", id).expect("entry").expect("logged");
    assert_eq!(logged.flags, vec![FLAG_CONTROL_ID_REUSED.to_owned()]);
}

fn reserved_ids_are_unique_across_stores(backend: Backend) {
    let (_database, store, url) = open(backend);
    let other = Store::open(&url, &PoolOptions::default()).expect("second store");
    let mut ids: Vec<i64> = (0..200)
        .flat_map(|_| {
            [
                store.reserve_id().expect("id"),
                other.reserve_id().expect("id"),
            ]
        })
        .collect();
    let reserved = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), reserved, "no id handed out twice");
    // An entry recorded with an id from one store never collides with the other's.
    let entry = entry(&other, "IDS", "ids");
    record(&other, entry, vec![]).expect("record through the second store");
}

on_both_backends!(
    writes_commit_with_the_ack,
    a_refused_write_records_nothing,
    concurrent_messages_each_get_their_own_answer,
    concurrent_copies_are_recorded_once,
    a_reused_control_id_is_recorded_and_flagged,
    reserved_ids_are_unique_across_stores,
);

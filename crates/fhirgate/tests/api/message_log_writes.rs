//! The message log commits translated writes in the same transaction as the ACK
//! (DESIGN promise 1): all of them with the status, or none of them and no status.

use gateway::time::Micros;
use gateway::v2_intake::{BeginBounds, Begun, Completion, LogStatus, MessageLog, NewLogEntry};
use gateway::{Precondition, Storage, WriteMethod, WriteRequest};
use serde_json::json;
use store::{DatabaseUrl, PoolOptions, Store};

use crate::on_both_backends;
use crate::support::{Backend, TestDatabase};

fn open(backend: Backend) -> (TestDatabase, Store) {
    let (database, url) = TestDatabase::new(backend);
    let url = DatabaseUrl::parse(&url).expect("url");
    let store = Store::open(&url, &PoolOptions::default()).expect("open");
    store.migrate().expect("migrate");
    (database, store)
}

fn begin(store: &Store, control_id: &str) -> i64 {
    let entry = NewLogEntry {
        received_at: Micros::now(),
        sender: "LAB^HOSP".into(),
        control_id: control_id.into(),
        message_type: "ADT^A08".into(),
        content_hash: format!("hash-{control_id}"),
        raw: b"MSH|^~\\&|LAB|HOSP\r".to_vec(),
        flags: vec![],
        replay_of: None,
    };
    match store
        .begin(
            "default",
            &entry,
            BeginBounds {
                window_start: Micros(0),
                abandoned_before: Micros(0),
            },
        )
        .expect("begin")
    {
        Begun::New { id, .. } => id,
        other => panic!("expected a new entry, got {other:?}"),
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

fn completion(writes: Vec<WriteRequest>) -> Completion {
    Completion {
        status: LogStatus::Accepted,
        ack: Some(b"MSH|^~\\&|ACK\rMSA|AA|1\r".to_vec()),
        issues: json!([]),
        writes,
    }
}

fn writes_commit_with_the_ack(backend: Backend) {
    let (_database, store) = open(backend);
    let id = begin(&store, "C1");
    let writes = vec![
        put("p1", "One", Precondition::None),
        put("p2", "Two", Precondition::None),
        // The same resource twice in one message: two versions, in order.
        put("p1", "One-again", Precondition::None),
    ];
    store
        .complete("default", id, &completion(writes))
        .expect("complete");
    let entry = store.entry("default", id).expect("entry").expect("exists");
    assert_eq!(entry.status, LogStatus::Accepted);
    assert!(entry.ack.is_some());
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

fn a_failing_write_rolls_back_everything(backend: Backend) {
    let (_database, store) = open(backend);
    store
        .write("default", put("exists", "Old", Precondition::None))
        .expect("seed");
    let id = begin(&store, "C2");
    let writes = vec![
        put("fresh", "New", Precondition::None),
        put("exists", "Clash", Precondition::MustNotExist),
    ];
    let result = store.complete("default", id, &completion(writes));
    assert!(
        result.is_err(),
        "the conflicting write must fail the commit"
    );
    let entry = store.entry("default", id).expect("entry").expect("exists");
    assert_eq!(
        entry.status,
        LogStatus::Received,
        "no status without the data"
    );
    assert!(entry.ack.is_none(), "no ACK stored without the data");
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

on_both_backends!(
    writes_commit_with_the_ack,
    a_failing_write_rolls_back_everything
);

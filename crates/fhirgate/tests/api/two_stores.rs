//! DESIGN promise 5: two gateway processes on one database lose no update. Two
//! `Store`s with their own pools stand for the two processes; every writer races
//! every other through the optimistic single-statement path and its fallback.

use std::sync::Arc;

use gateway::{HistoryQuery, HistoryScope, Precondition, Storage, StorageError};
use gateway::{WriteMethod, WriteRequest};
use serde_json::json;
use store::{DatabaseUrl, PoolOptions, Store};

use crate::on_both_backends;
use crate::support::{all_at_once, Backend, TestDatabase};

const WRITERS_PER_STORE: usize = 10;

fn open_two(backend: Backend) -> (TestDatabase, Arc<Store>, Arc<Store>) {
    let (database, url) = TestDatabase::new(backend);
    let url = DatabaseUrl::parse(&url).expect("url");
    let first = Store::open(&url, &PoolOptions::default()).expect("open");
    first.migrate().expect("migrate");
    let second = Store::open(&url, &PoolOptions::default()).expect("open second");
    (database, Arc::new(first), Arc::new(second))
}

fn put(id: &str, writer: usize, precondition: Precondition) -> WriteRequest {
    WriteRequest {
        resource_type: "Patient".into(),
        id: id.into(),
        method: WriteMethod::Put,
        precondition,
        resource: Some(
            json!({"resourceType": "Patient", "id": id, "name": [{"family": format!("w{writer}")}]}),
        ),
    }
}

/// Runs one write per writer, all released at once, half through each store.
fn race(
    stores: [&Arc<Store>; 2],
    request: impl Fn(usize) -> WriteRequest + Send + Sync + 'static,
) -> Vec<Result<i64, StorageError>> {
    let stores = [Arc::clone(stores[0]), Arc::clone(stores[1])];
    all_at_once(2 * WRITERS_PER_STORE, move |writer| {
        stores[writer % 2]
            .write("default", request(writer))
            .map(|outcome| outcome.stored.version)
    })
}

fn versions_in_history(store: &Store, id: &str) -> Vec<i64> {
    let page = store
        .history(
            "default",
            &HistoryQuery {
                scope: HistoryScope::Instance("Patient".into(), id.into()),
                since: None,
                at: None,
                count: 1000,
                before_seq: None,
            },
        )
        .expect("history");
    let mut versions: Vec<i64> = page.versions.iter().map(|v| v.version).collect();
    versions.sort_unstable();
    versions
}

fn blind_writers_on_two_stores_lose_nothing(backend: Backend) {
    let (_database, first, second) = open_two(backend);
    let results = race([&first, &second], |writer| {
        put("shared", writer, Precondition::None)
    });
    let mut versions: Vec<i64> = results
        .into_iter()
        .map(|result| result.expect("every blind write succeeds"))
        .collect();
    versions.sort_unstable();
    let expected: Vec<i64> = (1..=2 * WRITERS_PER_STORE as i64).collect();
    assert_eq!(versions, expected, "each writer got its own version");
    assert_eq!(versions_in_history(&second, "shared"), expected);
}

fn if_match_writers_on_two_stores_have_one_winner(backend: Backend) {
    let (_database, first, second) = open_two(backend);
    first
        .write("default", put("guarded", 0, Precondition::None))
        .expect("seed");
    let results = race([&first, &second], |writer| {
        put("guarded", writer, Precondition::VersionIs(1))
    });
    let winners = results.iter().filter(|result| result.is_ok()).count();
    let refused = results
        .iter()
        .filter(|result| matches!(result, Err(StorageError::PreconditionFailed { .. })))
        .count();
    assert_eq!(winners, 1, "{results:?}");
    assert_eq!(refused, 2 * WRITERS_PER_STORE - 1, "{results:?}");
    assert_eq!(versions_in_history(&first, "guarded"), vec![1, 2]);
}

on_both_backends!(
    blind_writers_on_two_stores_lose_nothing,
    if_match_writers_on_two_stores_have_one_winner
);

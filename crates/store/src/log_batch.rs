//! Recording a batch of HL7 v2 messages on PostgreSQL in one transaction of four round
//! trips, whatever the batch size (see `log_committer` for why batches):
//!
//! 1. `BEGIN` and a transaction-scoped advisory lock per (tenant, sender, control id),
//!    in one simple-protocol message; the locks serialise this batch with every other
//!    `record` of the same control id, in any process;
//! 2. one read, taken after the locks so it sees every copy committed before them: the
//!    earlier entries of those control ids, and the current-version pointers of every
//!    resource the batch writes, row-locked in key order;
//! 3. (only when the batch holds retransmissions) their counters, returning the first
//!    entries; then, planned in memory in queue order, one write: all new versions,
//!    the pointers moved, and all new log rows with status and ACK;
//! 4. `COMMIT`, after which every caller gets its answer.
//!
//! Locks are always taken in ascending order (advisory keys, then pointer rows), so
//! two batches never wait for each other in a cycle. A message whose write is refused
//! (a precondition) gets its error and contributes nothing; the others go on.

use std::collections::HashMap;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use gateway::time::Micros;
use gateway::v2_intake::{Completion, NewLogEntry, Recorded};
use gateway::{StorageError, WriteMethod, WriteRequest};

use crate::log_batch_sql::{
    LogColumns, ReadState, VersionColumns, WriteAll, BATCH_PLANNER_SETTINGS,
};
use crate::message_log::{count_retransmissions_pg, decide, new_row, Decision, Earlier, NewRow};
use crate::versions::{plan_write, CurrentState, TxError};

/// A message to record, as the committer queued it.
pub(crate) struct Pending {
    pub tenant: String,
    pub entry: NewLogEntry,
    pub completion: Completion,
    pub window_start: Micros,
    /// [`lock_key`] of the message; `None` for messages that are never matched to
    /// earlier copies (replays, no control id).
    pub lock_key: Option<String>,
}

/// The key that serialises copies of one message: tenant, sender and control id
/// separated by a byte none of them contains in practice (unit separator), so `A|BC`
/// and `AB|C` differ.
pub(crate) fn lock_key(tenant: &str, sender: &str, control_id: &str) -> String {
    format!("{tenant}\u{1f}{sender}\u{1f}{control_id}")
}

/// First key of the two-key advisory lock space ("v2", message log), apart from the
/// migration lock, which uses the one-bigint space.
const CONTROL_ID_LOCK_CLASS: i32 = 0x7632_4C47;

pub(crate) type Answer = Result<Recorded, StorageError>;

/// Records `batch` in one transaction on `conn`. The outer `Result` fails the whole
/// batch (and rolls it back); the inner ones are each message's answer.
pub(crate) fn record(conn: &mut PgConnection, batch: &[&Pending]) -> Result<Vec<Answer>, TxError> {
    AnsiTransactionManager::begin_transaction_sql(&mut *conn, &begin_and_lock(batch)).inspect_err(
        |_| {
            // The BEGIN may have gone through before a lock failed; diesel does not
            // count the transaction then, so end it here (a no-op otherwise).
            let _ = conn.batch_execute("ROLLBACK");
        },
    )?;
    match record_in_transaction(conn, batch) {
        Ok(answers) => {
            AnsiTransactionManager::commit_transaction(&mut *conn)?;
            Ok(answers)
        }
        Err(error) => {
            // A failed rollback leaves diesel's transaction manager marked broken,
            // and the pool then discards the connection.
            let _ = AnsiTransactionManager::rollback_transaction(&mut *conn);
            Err(error)
        }
    }
}

/// Step 1's SQL: BEGIN, the plan mode, then the locks in ascending key order. The keys are integers
/// computed here, so writing them into the SQL text is safe.
fn begin_and_lock(batch: &[&Pending]) -> String {
    let mut keys: Vec<i32> = batch
        .iter()
        .filter_map(|pending| pending.lock_key.as_deref())
        .map(lock_number)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    // The batch's statements are prepared (`log_batch_sql`), but PostgreSQL keeps
    // re-planning a prepared statement whose custom plans look cheaper than its generic
    // one, which unnest over array parameters always does; the generic plan (index
    // lookups per array element) is the right one at any batch size. Sequential scans
    // are off for the batch: every lookup in it is by key, and a generic plan made on a
    // new, empty table otherwise scans the whole table for every batch (see READ_STATE).
    let mut sql = format!("BEGIN; {BATCH_PLANNER_SETTINGS}");
    for key in keys {
        sql.push_str(&format!(
            "; SELECT pg_advisory_xact_lock({CONTROL_ID_LOCK_CLASS}, {key})"
        ));
    }
    sql
}

/// FNV-1a of the key, as the advisory lock's second number. A collision only makes two
/// unrelated control ids wait for each other.
fn lock_number(key: &str) -> i32 {
    let hash = key.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    i32::from_ne_bytes(hash.to_ne_bytes())
}

fn record_in_transaction(
    conn: &mut PgConnection,
    batch: &[&Pending],
) -> Result<Vec<Answer>, TxError> {
    let state = read_state(conn, batch)?;
    let decisions: Vec<Decision> = batch
        .iter()
        .map(|pending| {
            let earlier = pending
                .lock_key
                .as_ref()
                .and_then(|key| state.earlier.get(key))
                .map(Vec::as_slice)
                .unwrap_or_default();
            decide(earlier, &pending.entry, pending.window_start)
        })
        .collect();
    let mut answers: Vec<Option<Answer>> = (0..batch.len()).map(|_| None).collect();
    answer_retransmissions(conn, &decisions, &mut answers)?;
    let planned = plan_versions(batch, &decisions, state.pointers, &mut answers)?;
    let mut rows = Vec::new();
    for (n, pending) in batch.iter().enumerate() {
        if let (None, Decision::New { control_id_reused }) = (&answers[n], decisions[n]) {
            rows.push(new_row(
                &pending.tenant,
                &pending.entry,
                &pending.completion,
                control_id_reused,
            ));
            answers[n] = Some(Ok(Recorded::New { control_id_reused }));
        }
    }
    write_all(conn, &planned, &rows)?;
    Ok(answers
        .into_iter()
        .map(|answer| {
            answer.unwrap_or_else(|| Err(StorageError::Database("message left unanswered".into())))
        })
        .collect())
}

/// A row of step 2's read, of one of two kinds. `log`: an earlier entry (`a`, `b` =
/// sender, control id; `n` = seq; `at` = received_at; `flag` = answered; `hash`).
/// `pointer`: a current version (`a`, `b` = resource type, id; `n` = version; `at` =
/// last_updated; `flag` = deleted).
#[derive(QueryableByName)]
struct StateRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    tenant: String,
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    at: i64,
    #[diesel(sql_type = Bool)]
    flag: bool,
    #[diesel(sql_type = Nullable<Text>)]
    hash: Option<String>,
}

/// (tenant, resource type, id).
type ResourceKey = (String, String, String);

/// What step 2 read.
struct State {
    /// Earlier entries per lock key ([`lock_key`]), oldest first.
    earlier: HashMap<String, Vec<Earlier>>,
    pointers: HashMap<ResourceKey, CurrentState>,
}

fn read_state(conn: &mut PgConnection, batch: &[&Pending]) -> Result<State, TxError> {
    let matched: Vec<&Pending> = batch
        .iter()
        .copied()
        .filter(|pending| pending.lock_key.is_some())
        .collect();
    let oldest_window = matched
        .iter()
        .map(|pending| pending.window_start.0)
        .min()
        .unwrap_or(i64::MAX);
    let mut resources: Vec<ResourceKey> = batch
        .iter()
        .flat_map(|pending| {
            pending
                .completion
                .writes
                .iter()
                .map(|write| resource_key(&pending.tenant, write))
        })
        .collect();
    resources.sort();
    resources.dedup();
    let rows: Vec<StateRow> = ReadState {
        resource_tenants: resources.iter().map(|k| k.0.as_str()).collect(),
        resource_types: resources.iter().map(|k| k.1.as_str()).collect(),
        resource_ids: resources.iter().map(|k| k.2.as_str()).collect(),
        log_tenants: column(&matched, |p| &p.tenant),
        senders: column(&matched, |p| &p.entry.sender),
        control_ids: column(&matched, |p| &p.entry.control_id),
        received_since: oldest_window,
    }
    .load(conn)?;

    let mut state = State {
        earlier: HashMap::new(),
        pointers: HashMap::new(),
    };
    for row in rows {
        if row.kind == "pointer" {
            let current = CurrentState {
                version: row.n,
                last_updated: row.at,
                deleted: row.flag,
            };
            state.pointers.insert((row.tenant, row.a, row.b), current);
            continue;
        }
        let key = lock_key(&row.tenant, &row.a, &row.b);
        state.earlier.entry(key).or_default().push(Earlier {
            seq: row.n,
            content_hash: row.hash.unwrap_or_default(),
            answered: row.flag,
            received_at: row.at,
        });
    }
    Ok(state)
}

fn column<'a>(batch: &[&'a Pending], field: impl Fn(&'a Pending) -> &'a String) -> Vec<&'a str> {
    batch
        .iter()
        .map(|pending| field(pending).as_str())
        .collect()
}

fn resource_key(tenant: &str, write: &WriteRequest) -> ResourceKey {
    (
        tenant.to_owned(),
        write.resource_type.clone(),
        write.id.clone(),
    )
}

/// Counts the retransmissions in the batch and answers them with their first entries.
fn answer_retransmissions(
    conn: &mut PgConnection,
    decisions: &[Decision],
    answers: &mut [Option<Answer>],
) -> Result<(), TxError> {
    let copies: Vec<(usize, i64)> = decisions
        .iter()
        .enumerate()
        .filter_map(|(n, decision)| match decision {
            Decision::Retransmission(seq) => Some((n, *seq)),
            Decision::New { .. } => None,
        })
        .collect();
    if copies.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i64> = copies.iter().map(|(_, seq)| *seq).collect();
    let mut firsts: HashMap<i64, _> = count_retransmissions_pg(conn, &seqs)?
        .into_iter()
        .map(|row| (row.seq(), row))
        .collect();
    for (n, seq) in copies {
        let first = firsts
            .remove(&seq)
            .ok_or(TxError::Storage(StorageError::NotFound))?;
        answers[n] = Some(
            first
                .into_entry()
                .map(|entry| Recorded::Retransmission(Box::new(entry))),
        );
    }
    Ok(())
}

/// One version planned for the batch.
struct PlannedRow {
    key: ResourceKey,
    method: &'static str,
    deleted: bool,
    version: i64,
    last_updated: i64,
    body: Option<String>,
}

/// Plans every new message's writes in queue order against the pointers read (and
/// the versions planned before it). A message whose write is refused gets its error
/// in `answers` and contributes nothing.
fn plan_versions(
    batch: &[&Pending],
    decisions: &[Decision],
    mut current: HashMap<ResourceKey, CurrentState>,
    answers: &mut [Option<Answer>],
) -> Result<Vec<PlannedRow>, TxError> {
    let mut planned = Vec::new();
    for (n, pending) in batch.iter().enumerate() {
        if answers[n].is_some() || !matches!(decisions[n], Decision::New { .. }) {
            continue;
        }
        // Planned against a copy, so a refused message leaves no trace.
        let mut tentative: HashMap<ResourceKey, CurrentState> = HashMap::new();
        let mut rows = Vec::new();
        let mut refused = None;
        for write in &pending.completion.writes {
            let key = resource_key(&pending.tenant, write);
            let state = tentative.get(&key).or_else(|| current.get(&key)).copied();
            match plan_write(write, state) {
                Ok(version) => {
                    let deleted = write.method == WriteMethod::Delete;
                    let now = CurrentState {
                        version: version.version,
                        last_updated: version.last_updated,
                        deleted,
                    };
                    tentative.insert(key.clone(), now);
                    rows.push(PlannedRow {
                        key,
                        method: write.method.as_str(),
                        deleted,
                        version: version.version,
                        last_updated: version.last_updated,
                        body: version.body,
                    });
                }
                Err(TxError::Unchanged) => {}
                Err(TxError::Storage(error)) => {
                    refused = Some(error);
                    break;
                }
                Err(error) => return Err(error),
            }
        }
        match refused {
            Some(error) => answers[n] = Some(Err(error)),
            None => {
                current.extend(tentative);
                planned.extend(rows);
            }
        }
    }
    Ok(planned)
}

/// Step 3's write: all versions, the last version of each resource as its pointer,
/// and the log rows.
fn write_all(
    conn: &mut PgConnection,
    planned: &[PlannedRow],
    rows: &[NewRow<'_>],
) -> Result<(), TxError> {
    // Versions are planned in increasing order per resource: the last one wins.
    let mut last: HashMap<&ResourceKey, &PlannedRow> = HashMap::new();
    for row in planned {
        last.insert(&row.key, row);
    }
    let pointers: Vec<&PlannedRow> = last.into_values().collect();
    let versions: Vec<&PlannedRow> = planned.iter().collect();
    let mut log = LogColumns::default();
    for row in rows {
        log.seqs.push(row.seq);
        log.tenants.push(row.tenant);
        log.received_at.push(row.received_at);
        log.senders.push(row.sender);
        log.control_ids.push(row.control_id);
        log.message_types.push(row.message_type);
        log.content_hashes.push(row.content_hash);
        log.raws.push(row.raw);
        log.statuses.push(row.status);
        log.acks.push(row.ack);
        log.issues.push(&row.issues);
        log.flags.push(row.flags.as_deref());
        log.replays_of.push(row.replay_of);
    }
    WriteAll {
        versions: version_columns(&versions),
        pointers: version_columns(&pointers),
        log,
    }
    .execute(conn)?;
    Ok(())
}

fn version_columns<'a>(rows: &[&'a PlannedRow]) -> VersionColumns<'a> {
    let mut columns = VersionColumns::default();
    for row in rows {
        columns.tenants.push(&row.key.0);
        columns.types.push(&row.key.1);
        columns.ids.push(&row.key.2);
        columns.versions.push(row.version);
        columns.last_updated.push(row.last_updated);
        columns.methods.push(row.method);
        columns.deleted.push(row.deleted);
        columns.bodies.push(row.body.as_deref());
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_numbers_are_stable_and_distinguish_keys() {
        assert_eq!(
            lock_number(""),
            i32::from_ne_bytes(0x811c_9dc5_u32.to_ne_bytes())
        );
        assert_ne!(
            lock_number("t\u{1f}A\u{1f}BC"),
            lock_number("t\u{1f}AB\u{1f}C")
        );
        assert_eq!(lock_number("key"), lock_number("key"));
    }
}

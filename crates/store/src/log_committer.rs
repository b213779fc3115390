//! Group commit of HL7 v2 messages on PostgreSQL.
//!
//! Recording one message alone costs about ten statements (lock, lookup, per resource
//! a pointer read and a write, the log row, BEGIN and COMMIT) and a WAL flush; with
//! many senders those round trips, not the work in them, were the limit (about 900
//! ADT^A08/s on two cores, docs/benchmarks.md). Here every `record` call joins a
//! queue, and a few committer threads each take whatever is waiting and record it in
//! ONE transaction with a fixed number of multi-row statements:
//!
//! 1. advisory locks on every (tenant, sender, control id), in a fixed order;
//! 2. the earlier entries of all of them (retransmission and reused-id checks);
//! 3. the retransmission counters of the copies, returning the first entries;
//! 4. the current-version pointers of every resource written, locked, in a fixed order;
//! 5. all new versions; 6. the pointers moved (one row per resource);
//! 7. all new log rows with their status and ACK; then COMMIT, and every caller
//!    gets its answer.
//!
//! A batch never holds two messages with the same lock key: a later copy waits for
//! the next batch and then finds the first answered. Versions are planned in memory in
//! queue order, so two messages about one patient in one batch make two versions. A
//! message whose write is refused (a precondition) fails alone; if the batch fails
//! for another reason, each message is retried in a batch of its own, so one bad
//! message cannot fail its neighbours.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text};
use diesel::upsert::excluded;
use gateway::time::Micros;
use gateway::v2_intake::{Completion, NewLogEntry, Recorded};
use gateway::{StorageError, WriteRequest};

use crate::message_log::{
    count_retransmissions_pg, decide, insert_rows_pg, matches_earlier, new_row, storage_error,
    Decision, Earlier,
};
use crate::pool::PgPool;
use crate::rows::{CurrentRow, NewVersion};
use crate::schema::{resource_current, resource_version};
use crate::versions::{plan_write, retry_conflicts, CurrentState, TxError};

/// Messages recorded in one transaction at most.
const MAX_BATCH: usize = 64;

/// First key of the two-key advisory lock space ("v2", message log), apart from the
/// migration lock, which uses the one-bigint space.
const CONTROL_ID_LOCK_CLASS: i32 = 0x7632_4C47;

/// Locks the keys' hashes in ascending order, so two committers (in this process or
/// another) never wait for each other in a cycle. Transaction-scoped advisory locks
/// work across processes, need no row to exist yet and are released by the commit; a
/// `hashtext` collision only makes two unrelated keys wait for each other.
const LOCK_KEYS: &str = "\
SELECT pg_advisory_xact_lock($1, h)
  FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k ORDER BY h) AS keys";

/// Earlier entries of the batch's (tenant, sender, control id) triples, oldest first.
const EARLIER_ENTRIES: &str = "\
SELECT l.tenant, l.sender, l.control_id, l.seq, l.content_hash,
       l.ack IS NOT NULL AS answered, l.received_at
  FROM message_log AS l
  JOIN unnest($1::text[], $2::text[], $3::text[]) AS k (tenant, sender, control_id)
    ON l.tenant = k.tenant AND l.sender = k.sender AND l.control_id = k.control_id
 WHERE l.received_at >= $4 AND l.replay_of IS NULL
 ORDER BY l.seq";

/// The pointers of the resources the batch writes, row-locked in key order (the
/// LockRows step runs above the sort) so concurrent batches cannot deadlock.
const LOCK_POINTERS: &str = "\
SELECT c.tenant, c.resource_type, c.resource_id, c.version, c.last_updated, c.deleted
  FROM resource_current AS c
  JOIN unnest($1::text[], $2::text[], $3::text[]) AS k (tenant, resource_type, resource_id)
    ON c.tenant = k.tenant AND c.resource_type = k.resource_type
   AND c.resource_id = k.resource_id
 ORDER BY c.tenant, c.resource_type, c.resource_id
   FOR UPDATE OF c";

/// A message waiting to be recorded, and where its answer goes.
struct Job {
    tenant: String,
    entry: NewLogEntry,
    completion: Completion,
    window_start: Micros,
    /// `None` for messages that are never matched to earlier copies.
    lock_key: Option<String>,
    answer: SyncSender<Result<Recorded, StorageError>>,
}

#[derive(Default)]
struct QueueState {
    waiting: VecDeque<Job>,
    closed: bool,
}

#[derive(Default)]
struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        // A poisoned lock only means a thread panicked holding it; the queue is intact.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for work and takes a batch of it: up to [`MAX_BATCH`] jobs in queue
    /// order, skipping (and leaving queued) a job whose lock key is already taken.
    /// `None` once the queue is closed and empty.
    fn take_batch(&self) -> Option<Vec<Job>> {
        let mut state = self.lock();
        while state.waiting.is_empty() {
            if state.closed {
                return None;
            }
            state = self
                .ready
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        let mut batch = Vec::new();
        let mut keys = HashSet::new();
        let mut left = VecDeque::new();
        while let Some(job) = state.waiting.pop_front() {
            let duplicate = job
                .lock_key
                .as_ref()
                .is_some_and(|key| !keys.insert(key.clone()));
            if duplicate || batch.len() == MAX_BATCH {
                left.push_back(job);
            } else {
                batch.push(job);
            }
        }
        state.waiting = left;
        if !state.waiting.is_empty() {
            // Another committer may take the rest now.
            self.ready.notify_one();
        }
        Some(batch)
    }
}

/// The committer threads and their queue; dropping it lets them finish what is queued
/// and stop (so their pooled connections are released with the store).
pub(crate) struct LogCommitter {
    queue: Arc<Queue>,
    threads: Vec<JoinHandle<()>>,
}

impl LogCommitter {
    pub(crate) fn start(pool: &PgPool, threads: usize) -> Result<Self, StorageError> {
        let queue = Arc::new(Queue::default());
        let threads = (0..threads.max(1))
            .map(|n| {
                let (queue, pool) = (Arc::clone(&queue), pool.clone());
                std::thread::Builder::new()
                    .name(format!("v2-committer-{n}"))
                    .spawn(move || {
                        while let Some(batch) = queue.take_batch() {
                            commit(&pool, batch);
                        }
                    })
                    .map_err(|error| {
                        StorageError::Unavailable(format!("cannot start a committer: {error}"))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { queue, threads })
    }

    /// Queues the message and blocks until its batch has committed (or failed).
    pub(crate) fn record(
        &self,
        tenant: &str,
        entry: NewLogEntry,
        completion: Completion,
        window_start: Micros,
    ) -> Result<Recorded, StorageError> {
        let lock_key = matches_earlier(&entry).then(|| control_id_key(tenant, &entry));
        let (answer, answered) = sync_channel(1);
        {
            let mut state = self.queue.lock();
            if state.closed {
                return Err(StorageError::Unavailable("the store is closing".into()));
            }
            state.waiting.push_back(Job {
                tenant: tenant.to_owned(),
                entry,
                completion,
                window_start,
                lock_key,
                answer,
            });
        }
        self.queue.ready.notify_one();
        answered.recv().unwrap_or_else(|_| {
            Err(StorageError::Unavailable(
                "the message log committer stopped before answering".into(),
            ))
        })
    }
}

impl Drop for LogCommitter {
    fn drop(&mut self) {
        self.queue.lock().closed = true;
        self.queue.ready.notify_all();
        for thread in self.threads.drain(..) {
            // A committer that panicked has already dropped its callers' senders,
            // so they got an error; nothing more to do here.
            let _ = thread.join();
        }
    }
}

/// The lock key: the three parts separated by a byte that none of them contains in
/// practice (unit separator), so `A|BC` and `AB|C` differ.
fn control_id_key(tenant: &str, entry: &NewLogEntry) -> String {
    format!("{tenant}\u{1f}{}\u{1f}{}", entry.sender, entry.control_id)
}

/// Records a batch and answers every job in it.
fn commit(pool: &PgPool, batch: Vec<Job>) {
    let result = retry_conflicts(|| {
        let mut pooled = crate::pool::checkout(pool).map_err(TxError::Storage)?;
        let conn: &mut PgConnection = &mut pooled;
        conn.transaction(|conn| record_batch(conn, &batch))
    });
    match result {
        Ok(answers) => {
            for (job, answer) in batch.into_iter().zip(answers) {
                // A caller that gave up waiting is gone; its message is committed
                // all the same and a retransmission will get its ACK.
                let _ = job.answer.send(answer);
            }
        }
        Err(error) if batch.len() > 1 => {
            tracing::warn!(
                error = ?storage_error(error),
                messages = batch.len(),
                "message batch failed; recording its messages one by one"
            );
            for job in batch {
                commit(pool, vec![job]);
            }
        }
        Err(error) => {
            if let Some(job) = batch.into_iter().next() {
                let _ = job.answer.send(Err(storage_error(error)));
            }
        }
    }
}

#[derive(QueryableByName)]
struct EarlierRow {
    #[diesel(sql_type = Text)]
    tenant: String,
    #[diesel(sql_type = Text)]
    sender: String,
    #[diesel(sql_type = Text)]
    control_id: String,
    #[diesel(embed)]
    earlier: Earlier,
}

#[derive(QueryableByName)]
struct PointerRow {
    #[diesel(sql_type = Text)]
    tenant: String,
    #[diesel(sql_type = Text)]
    resource_type: String,
    #[diesel(sql_type = Text)]
    resource_id: String,
    #[diesel(embed)]
    state: CurrentState,
}

type ResourceKey = (String, String, String);

fn resource_key(tenant: &str, write: &WriteRequest) -> ResourceKey {
    (
        tenant.to_owned(),
        write.resource_type.clone(),
        write.id.clone(),
    )
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

/// Steps 1–7 of the module comment, inside the caller's transaction. The outer
/// `Result` fails the whole batch; the inner ones are each job's answer.
fn record_batch(
    conn: &mut PgConnection,
    batch: &[Job],
) -> Result<Vec<Result<Recorded, StorageError>>, TxError> {
    let decisions = decide_batch(conn, batch)?;
    let mut answers: Vec<Option<Result<Recorded, StorageError>>> =
        (0..batch.len()).map(|_| None).collect();

    let copies: Vec<(usize, i64)> = decisions
        .iter()
        .enumerate()
        .filter_map(|(n, decision)| match decision {
            Decision::Retransmission(seq) => Some((n, *seq)),
            Decision::New { .. } => None,
        })
        .collect();
    if !copies.is_empty() {
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
    }

    let planned = plan_versions(conn, batch, &decisions, &mut answers)?;
    write_versions(conn, &planned)?;

    let mut rows = Vec::new();
    for (n, job) in batch.iter().enumerate() {
        if let (None, Decision::New { control_id_reused }) = (&answers[n], decisions[n]) {
            rows.push(new_row(
                &job.tenant,
                &job.entry,
                &job.completion,
                control_id_reused,
            ));
            answers[n] = Some(Ok(Recorded::New { control_id_reused }));
        }
    }
    if !rows.is_empty() {
        insert_rows_pg(conn, &rows)?;
    }
    Ok(answers
        .into_iter()
        .map(|answer| {
            answer.unwrap_or_else(|| Err(StorageError::Database("message left unanswered".into())))
        })
        .collect())
}

/// Steps 1 and 2: lock the batch's control ids, read their earlier entries, decide.
fn decide_batch(conn: &mut PgConnection, batch: &[Job]) -> Result<Vec<Decision>, TxError> {
    let matched: Vec<&Job> = batch.iter().filter(|job| job.lock_key.is_some()).collect();
    let mut earlier: HashMap<ResourceKey, Vec<Earlier>> = HashMap::new();
    if !matched.is_empty() {
        let keys: Vec<&str> = matched
            .iter()
            .filter_map(|job| job.lock_key.as_deref())
            .collect();
        diesel::sql_query(LOCK_KEYS)
            .bind::<Integer, _>(CONTROL_ID_LOCK_CLASS)
            .bind::<Array<Text>, _>(&keys)
            .execute(conn)?;
        let tenants: Vec<&str> = matched.iter().map(|job| job.tenant.as_str()).collect();
        let senders: Vec<&str> = matched
            .iter()
            .map(|job| job.entry.sender.as_str())
            .collect();
        let control_ids: Vec<&str> = matched
            .iter()
            .map(|job| job.entry.control_id.as_str())
            .collect();
        let oldest_window = matched
            .iter()
            .map(|job| job.window_start.0)
            .min()
            .unwrap_or(i64::MIN);
        let rows: Vec<EarlierRow> = diesel::sql_query(EARLIER_ENTRIES)
            .bind::<Array<Text>, _>(&tenants)
            .bind::<Array<Text>, _>(&senders)
            .bind::<Array<Text>, _>(&control_ids)
            .bind::<BigInt, _>(oldest_window)
            .load(conn)?;
        for row in rows {
            earlier
                .entry((row.tenant, row.sender, row.control_id))
                .or_default()
                .push(row.earlier);
        }
    }
    Ok(batch
        .iter()
        .map(|job| {
            let key = (
                job.tenant.clone(),
                job.entry.sender.clone(),
                job.entry.control_id.clone(),
            );
            let found = match &job.lock_key {
                Some(_) => earlier.get(&key).map(Vec::as_slice).unwrap_or_default(),
                None => &[],
            };
            decide(found, &job.entry, job.window_start)
        })
        .collect())
}

/// Step 4 and the planning: reads and locks the pointers, then plans every new
/// message's writes in queue order. A message whose write is refused gets its error
/// in `answers` and contributes nothing.
fn plan_versions(
    conn: &mut PgConnection,
    batch: &[Job],
    decisions: &[Decision],
    answers: &mut [Option<Result<Recorded, StorageError>>],
) -> Result<Vec<PlannedRow>, TxError> {
    let writing: Vec<usize> = (0..batch.len())
        .filter(|&n| answers[n].is_none() && matches!(decisions[n], Decision::New { .. }))
        .filter(|&n| !batch[n].completion.writes.is_empty())
        .collect();
    if writing.is_empty() {
        return Ok(Vec::new());
    }
    let mut keys: Vec<ResourceKey> = writing
        .iter()
        .flat_map(|&n| {
            let job = &batch[n];
            job.completion
                .writes
                .iter()
                .map(|write| resource_key(&job.tenant, write))
        })
        .collect();
    keys.sort();
    keys.dedup();
    let rows: Vec<PointerRow> = diesel::sql_query(LOCK_POINTERS)
        .bind::<Array<Text>, _>(keys.iter().map(|k| k.0.as_str()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(keys.iter().map(|k| k.1.as_str()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(keys.iter().map(|k| k.2.as_str()).collect::<Vec<_>>())
        .load(conn)?;
    let mut current: HashMap<ResourceKey, CurrentState> = rows
        .into_iter()
        .map(|row| ((row.tenant, row.resource_type, row.resource_id), row.state))
        .collect();

    let mut planned = Vec::new();
    for n in writing {
        let job = &batch[n];
        // Planned against a copy, so a refused message leaves no trace.
        let mut tentative: HashMap<ResourceKey, CurrentState> = HashMap::new();
        let mut rows = Vec::new();
        let mut refused = None;
        for write in &job.completion.writes {
            let key = resource_key(&job.tenant, write);
            let state = tentative.get(&key).or_else(|| current.get(&key)).copied();
            match plan_write(write, state) {
                Ok(version) => {
                    let deleted = write.method == gateway::WriteMethod::Delete;
                    tentative.insert(
                        key.clone(),
                        CurrentState {
                            version: version.version,
                            last_updated: version.last_updated,
                            deleted,
                        },
                    );
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

/// Steps 5 and 6: every planned version, then each resource's pointer at its last.
fn write_versions(conn: &mut PgConnection, planned: &[PlannedRow]) -> Result<(), TxError> {
    if planned.is_empty() {
        return Ok(());
    }
    let versions: Vec<NewVersion<'_>> = planned
        .iter()
        .map(|row| NewVersion {
            tenant: &row.key.0,
            resource_type: &row.key.1,
            resource_id: &row.key.2,
            version: row.version,
            last_updated: row.last_updated,
            method: row.method,
            deleted: row.deleted,
            body: row.body.as_deref(),
        })
        .collect();
    diesel::insert_into(resource_version::table)
        .values(&versions)
        .execute(conn)?;
    // Versions are planned in increasing order per resource: the last one wins.
    let mut last: HashMap<&ResourceKey, &PlannedRow> = HashMap::new();
    for row in planned {
        last.insert(&row.key, row);
    }
    let pointers: Vec<CurrentRow<'_>> = last
        .into_values()
        .map(|row| CurrentRow {
            tenant: &row.key.0,
            resource_type: &row.key.1,
            resource_id: &row.key.2,
            version: row.version,
            last_updated: row.last_updated,
            method: row.method,
            deleted: row.deleted,
            body: row.body.as_deref(),
        })
        .collect();
    diesel::insert_into(resource_current::table)
        .values(&pointers)
        .on_conflict((
            resource_current::tenant,
            resource_current::resource_type,
            resource_current::resource_id,
        ))
        .do_update()
        .set((
            resource_current::version.eq(excluded(resource_current::version)),
            resource_current::last_updated.eq(excluded(resource_current::last_updated)),
            resource_current::method.eq(excluded(resource_current::method)),
            resource_current::deleted.eq(excluded(resource_current::deleted)),
            resource_current::body.eq(excluded(resource_current::body)),
        ))
        .execute(conn)?;
    Ok(())
}

//! Group commit of HL7 v2 messages: the queue and the committer threads, for both
//! backends (each records a batch its own way: `log_batch` on PostgreSQL,
//! [`SqliteBatches`] on SQLite).
//!
//! Recording one message alone cost about ten statements (lock, lookup, per resource
//! a pointer read and a write, the log row, BEGIN and COMMIT) and a WAL flush; with
//! many senders those round trips, not the work in them, were the limit (about 900
//! ADT^A08/s on two cores, docs/benchmarks.md). Here every `record` call joins a
//! queue, and a committer thread (see `LOG_COMMITTERS`) takes whatever is waiting and
//! records it as one batch in one transaction: on PostgreSQL four round trips
//! (`log_batch`), on SQLite one write lock and one fsync for the whole batch.
//!
//! A batch never holds two messages with the same lock key: a later copy waits for
//! the next batch and then finds the first one answered. If a batch fails for a reason
//! other than a refused write (which fails only its own message), each of its messages
//! is retried in a batch of its own, so one bad message cannot fail its neighbours.

use std::collections::{HashSet, VecDeque};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use gateway::time::Micros;
use gateway::v2_intake::{Completion, NewLogEntry, Recorded};
use gateway::StorageError;

use diesel::Connection;

use crate::log_batch::{lock_key, Answer, Pending};
use crate::message_log::{matches_earlier, record_sqlite, storage_error};
use crate::pool::{PgPool, SqlitePool};
use crate::versions::{retry_conflicts, TxError};

/// Records a batch in one transaction. The outer `Result` fails the whole batch (and
/// rolls it back); the inner ones are each message's answer.
pub(crate) trait BatchRecorder: Send + Sync + 'static {
    fn record(&self, batch: &[&Pending]) -> Result<Vec<Answer>, TxError>;
}

pub(crate) struct PostgresBatches(pub PgPool);

impl BatchRecorder for PostgresBatches {
    fn record(&self, batch: &[&Pending]) -> Result<Vec<Answer>, TxError> {
        let mut pooled = crate::pool::checkout(&self.0).map_err(TxError::Storage)?;
        crate::log_batch::record(&mut pooled, batch)
    }
}

/// SQLite: the batch's messages one after the other inside one BEGIN IMMEDIATE, each
/// in a savepoint so a refused write undoes only its own message.
pub(crate) struct SqliteBatches {
    pub pool: SqlitePool,
    /// The store's in-process writer lock (see `Store::lock_sqlite_writer`).
    pub writer: Arc<Mutex<()>>,
}

impl BatchRecorder for SqliteBatches {
    fn record(&self, batch: &[&Pending]) -> Result<Vec<Answer>, TxError> {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut pooled = crate::pool::checkout(&self.pool).map_err(TxError::Storage)?;
        let conn: &mut diesel::SqliteConnection = &mut pooled;
        conn.immediate_transaction(|conn| {
            let mut answers = Vec::with_capacity(batch.len());
            for pending in batch {
                let recorded = conn.transaction(|conn| {
                    record_sqlite(
                        conn,
                        &pending.tenant,
                        &pending.entry,
                        &pending.completion,
                        pending.window_start,
                    )
                });
                match recorded {
                    Ok(recorded) => answers.push(Ok(recorded)),
                    Err(TxError::Storage(refused)) => answers.push(Err(refused)),
                    Err(error) => return Err(error),
                }
            }
            Ok(answers)
        })
    }
}

/// Messages recorded in one transaction at most.
const MAX_BATCH: usize = 64;

/// A message waiting to be recorded, and where its answer goes.
struct Job {
    pending: Pending,
    answer: SyncSender<Answered>,
}

/// A job's answer, with its message handed back: the caller's thread built the
/// message's many small allocations (the translated resources), and freeing them there
/// keeps them off the allocator's cross-thread free path and off the serial committer.
/// (Its effect on throughput was within this benchmark's run-to-run drift.)
type Answered = (Pending, Answer);

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
                .pending
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
    pub(crate) fn start(
        recorder: Arc<dyn BatchRecorder>,
        threads: usize,
    ) -> Result<Self, StorageError> {
        let queue = Arc::new(Queue::default());
        let threads = (0..threads.max(1))
            .map(|n| {
                let (queue, recorder) = (Arc::clone(&queue), Arc::clone(&recorder));
                std::thread::Builder::new()
                    .name(format!("v2-committer-{n}"))
                    .spawn(move || {
                        while let Some(batch) = queue.take_batch() {
                            // A panic (a bug) drops the batch, so its callers get an
                            // error instead of waiting forever; the thread goes on.
                            let committed =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    commit(recorder.as_ref(), batch)
                                }));
                            if committed.is_err() {
                                tracing::error!("the message log committer panicked");
                            }
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
        let lock_key =
            matches_earlier(&entry).then(|| lock_key(tenant, &entry.sender, &entry.control_id));
        let pending = Pending {
            tenant: tenant.to_owned(),
            entry,
            completion,
            window_start,
            lock_key,
        };
        let (answer, answered) = sync_channel(1);
        {
            let mut state = self.queue.lock();
            if state.closed {
                return Err(StorageError::Unavailable("the store is closing".into()));
            }
            state.waiting.push_back(Job { pending, answer });
        }
        self.queue.ready.notify_one();
        match answered.recv() {
            Ok((pending, result)) => {
                drop(pending);
                result
            }
            Err(_) => Err(StorageError::Unavailable(
                "the message log committer stopped before answering".into(),
            )),
        }
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

/// Records a batch and answers every job in it.
fn commit(recorder: &dyn BatchRecorder, batch: Vec<Job>) {
    tracing::debug!(messages = batch.len(), "recording a message batch");
    let pending: Vec<&Pending> = batch.iter().map(|job| &job.pending).collect();
    let result = retry_conflicts(|| recorder.record(&pending));
    drop(pending);
    match result {
        Ok(answers) => {
            for (job, answer) in batch.into_iter().zip(answers) {
                // A caller that gave up waiting is gone; its message is committed
                // all the same and a retransmission will get its ACK.
                let _ = job.answer.send((job.pending, answer));
            }
        }
        Err(error) if batch.len() > 1 => {
            tracing::warn!(
                error = ?storage_error(error),
                messages = batch.len(),
                "message batch failed; recording its messages one by one"
            );
            for job in batch {
                commit(recorder, vec![job]);
            }
        }
        Err(error) => {
            if let Some(job) = batch.into_iter().next() {
                let _ = job.answer.send((job.pending, Err(storage_error(error))));
            }
        }
    }
}

//! The HL7 v2 message log (`gateway::v2_intake::MessageLog`): raw bytes as received,
//! retransmission detection, and the final status with the ACK sent.
//!
//! `issues` and `flags` are JSON text so one column shape serves both dialects.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use gateway::time::Micros;
use gateway::v2_intake::{
    BeginBounds, Begun, Completion, LogEntry, LogQuery, LogStatus, MessageLog, NewLogEntry,
    FLAG_CONTROL_ID_REUSED,
};
use gateway::StorageError;
use serde_json::Value;

use crate::pool::Pools;
use crate::versions::{database_error, retry_conflicts, TxError, VersionWriter};

diesel::table! {
    message_log (seq) {
        seq -> BigInt,
        tenant -> Text,
        received_at -> BigInt,
        sender -> Text,
        control_id -> Text,
        message_type -> Text,
        content_hash -> Text,
        raw -> Binary,
        status -> Text,
        ack -> Nullable<Binary>,
        issues -> Nullable<Text>,
        flags -> Nullable<Text>,
        retransmissions -> BigInt,
        replay_of -> Nullable<BigInt>,
    }
}

#[derive(Debug, Queryable)]
struct LogRow {
    seq: i64,
    received_at: i64,
    sender: String,
    control_id: String,
    message_type: String,
    content_hash: String,
    raw: Vec<u8>,
    status: String,
    ack: Option<Vec<u8>>,
    issues: Option<String>,
    flags: Option<String>,
    retransmissions: i64,
    replay_of: Option<i64>,
}

macro_rules! log_columns {
    () => {
        (
            message_log::seq,
            message_log::received_at,
            message_log::sender,
            message_log::control_id,
            message_log::message_type,
            message_log::content_hash,
            message_log::raw,
            message_log::status,
            message_log::ack,
            message_log::issues,
            message_log::flags,
            message_log::retransmissions,
            message_log::replay_of,
        )
    };
}

#[derive(Debug, Insertable)]
#[diesel(table_name = message_log)]
struct NewRow<'a> {
    tenant: &'a str,
    received_at: i64,
    sender: &'a str,
    control_id: &'a str,
    message_type: &'a str,
    content_hash: &'a str,
    raw: &'a [u8],
    status: &'a str,
    flags: Option<String>,
    replay_of: Option<i64>,
}

impl LogRow {
    fn into_entry(self) -> Result<LogEntry, StorageError> {
        let corrupt = |what: String| StorageError::Corrupt(format!("message {}: {what}", self.seq));
        let status = LogStatus::parse(&self.status)
            .ok_or_else(|| corrupt(format!("unknown status '{}'", self.status)))?;
        let issues = match &self.issues {
            Some(text) => serde_json::from_str(text)
                .map_err(|error| corrupt(format!("issues are not JSON: {error}")))?,
            None => Value::Array(vec![]),
        };
        let flags = match &self.flags {
            Some(text) => serde_json::from_str(text)
                .map_err(|error| corrupt(format!("flags are not a JSON list: {error}")))?,
            None => Vec::new(),
        };
        Ok(LogEntry {
            id: self.seq,
            received_at: Micros(self.received_at),
            sender: self.sender,
            control_id: self.control_id,
            message_type: self.message_type,
            content_hash: self.content_hash,
            raw: self.raw,
            status,
            ack: self.ack,
            issues,
            flags,
            retransmissions: self.retransmissions,
            replay_of: self.replay_of,
        })
    }
}

fn storage_error(error: TxError) -> StorageError {
    match error {
        TxError::Diesel(error) => database_error(error),
        TxError::Storage(error) => error,
        // Only version writes report `Unchanged`, and `complete` absorbs it.
        TxError::Unchanged => StorageError::Database("unexpected unchanged write".into()),
    }
}

/// Runs `$body` in a transaction on either backend (errors stay [`TxError`]); SQLite takes the write lock up
/// front (BEGIN IMMEDIATE) because every body here reads and then writes.
macro_rules! log_transaction {
    ($pools:expr, |$conn:ident| $body:expr) => {
        match $pools {
            Pools::Postgres(pool) => crate::pool::checkout(pool)
                .map_err(TxError::Storage)
                .and_then(|mut pooled| {
                    let conn: &mut diesel::PgConnection = &mut pooled;
                    conn.transaction(|$conn| $body)
                }),
            Pools::Sqlite(pool) => crate::pool::checkout(pool)
                .map_err(TxError::Storage)
                .and_then(|mut pooled| {
                    let conn: &mut diesel::SqliteConnection = &mut pooled;
                    conn.immediate_transaction(|$conn| $body)
                }),
        }
    };
}

/// Earlier entries of this sender and control id inside the window, oldest first.
macro_rules! same_control_id {
    ($tenant:expr, $entry:expr, $window_start:expr) => {
        message_log::table
            .select((
                message_log::seq,
                message_log::content_hash,
                message_log::ack.is_not_null(),
                message_log::status,
                message_log::received_at,
            ))
            .filter(message_log::tenant.eq($tenant))
            .filter(message_log::sender.eq(&$entry.sender))
            .filter(message_log::control_id.eq(&$entry.control_id))
            .filter(message_log::received_at.ge($window_start.0))
            .filter(message_log::replay_of.is_null())
            .order(message_log::seq.asc())
    };
}

/// One earlier entry as `begin` compares it: seq, hash, answered, status, received_at.
type Earlier = (i64, String, bool, String, i64);

/// Serialises `begin` for one (tenant, sender, control id) inside the caller's
/// transaction, so two copies of a message arriving together cannot both miss each
/// other and both be inserted (DESIGN promise 5).
trait ControlIdLock {
    fn lock_control_id(&mut self, key: &str) -> Result<(), DieselError>;

    /// Lets this transaction's commit return before its WAL is flushed. Only for
    /// `begin`: its row is evidence, not an acknowledgement, and the synchronous commit
    /// of `complete` that precedes any ACK flushes the WAL up to and including it, so no
    /// acknowledged message can lack its log entry (DESIGN promise 1). A database crash
    /// before that may lose only entries that were never acknowledged.
    fn commit_without_waiting_for_flush(&mut self) -> Result<(), DieselError>;
}

/// First key of the two-key advisory lock space ("v2", message log), apart from the
/// migration lock, which uses the one-bigint space.
const CONTROL_ID_LOCK_CLASS: i32 = 0x7632_4C47;

impl ControlIdLock for diesel::PgConnection {
    /// A transaction-scoped advisory lock: it works across processes, needs no row to
    /// exist yet, and is released by the commit. A `hashtext` collision only makes two
    /// unrelated keys wait for each other.
    fn lock_control_id(&mut self, key: &str) -> Result<(), DieselError> {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind::<diesel::sql_types::Integer, _>(CONTROL_ID_LOCK_CLASS)
            .bind::<diesel::sql_types::Text, _>(key)
            .execute(self)
            .map(|_| ())
    }

    fn commit_without_waiting_for_flush(&mut self) -> Result<(), DieselError> {
        diesel::sql_query("SET LOCAL synchronous_commit = off")
            .execute(self)
            .map(|_| ())
    }
}

impl ControlIdLock for diesel::SqliteConnection {
    /// Nothing to add: `begin` runs in BEGIN IMMEDIATE, which already holds the
    /// database's single write lock, across processes too, until the commit.
    fn lock_control_id(&mut self, _key: &str) -> Result<(), DieselError> {
        Ok(())
    }

    /// SQLite's durability is per connection (`synchronous`), not per transaction.
    fn commit_without_waiting_for_flush(&mut self) -> Result<(), DieselError> {
        Ok(())
    }
}

/// The lock key: the three parts separated by a byte that none of them contains
/// in practice (unit separator), so `A|BC` and `AB|C` differ.
fn control_id_key(tenant: &str, entry: &NewLogEntry) -> String {
    format!("{tenant}\u{1f}{}\u{1f}{}", entry.sender, entry.control_id)
}

/// The earlier copy of this very message that is still being processed, if any.
fn in_flight(earlier: &[Earlier], entry: &NewLogEntry, bounds: BeginBounds) -> Option<i64> {
    earlier
        .iter()
        .find(|(_, hash, answered, status, received_at)| {
            !*answered
                && *hash == entry.content_hash
                && status == LogStatus::Received.as_str()
                && *received_at >= bounds.abandoned_before.0
        })
        .map(|(seq, ..)| *seq)
}

fn flags_text(flags: &[String]) -> Option<String> {
    if flags.is_empty() {
        None
    } else {
        serde_json::to_string(flags).ok()
    }
}

impl MessageLog for crate::Store {
    fn begin(
        &self,
        tenant: &str,
        entry: &NewLogEntry,
        bounds: BeginBounds,
    ) -> Result<Begun, StorageError> {
        log_transaction!(&self.pools, |conn| {
            conn.commit_without_waiting_for_flush()?;
            // A message without a readable control id cannot be matched to an earlier one.
            let earlier: Vec<Earlier> = if entry.replay_of.is_some() || entry.control_id.is_empty()
            {
                Vec::new()
            } else {
                conn.lock_control_id(&control_id_key(tenant, entry))?;
                same_control_id!(tenant, entry, bounds.window_start).load(conn)?
            };
            let answered_same = earlier
                .iter()
                .find(|(_, hash, answered, ..)| *answered && *hash == entry.content_hash);
            if let Some((seq, ..)) = answered_same {
                diesel::update(message_log::table.filter(message_log::seq.eq(*seq)))
                    .set(message_log::retransmissions.eq(message_log::retransmissions + 1))
                    .execute(conn)?;
                let row: LogRow = message_log::table
                    .select(log_columns!())
                    .filter(message_log::seq.eq(*seq))
                    .first(conn)?;
                return row
                    .into_entry()
                    .map(|entry| Begun::Retransmission(Box::new(entry)))
                    .map_err(TxError::Storage);
            }
            if let Some(id) = in_flight(&earlier, entry, bounds) {
                return Ok(Begun::InFlight { id });
            }
            let control_id_reused = earlier
                .iter()
                .any(|(_, hash, ..)| *hash != entry.content_hash);
            let mut flags = entry.flags.clone();
            if control_id_reused {
                flags.push(FLAG_CONTROL_ID_REUSED.to_owned());
            }
            let id: i64 = diesel::insert_into(message_log::table)
                .values(NewRow {
                    tenant,
                    received_at: entry.received_at.0,
                    sender: &entry.sender,
                    control_id: &entry.control_id,
                    message_type: &entry.message_type,
                    content_hash: &entry.content_hash,
                    raw: &entry.raw,
                    status: LogStatus::Received.as_str(),
                    flags: flags_text(&flags),
                    replay_of: entry.replay_of,
                })
                .returning(message_log::seq)
                .get_result(conn)?;
            Ok::<_, TxError>(Begun::New {
                id,
                control_id_reused,
            })
        })
        .map_err(storage_error)
    }

    fn complete(&self, tenant: &str, id: i64, completion: &Completion) -> Result<(), StorageError> {
        let issues = completion.issues.to_string();
        // Translated writes and the ACK commit together: an ACK is never stored (or
        // sent) without the data it acknowledges (DESIGN promise 1).
        let _writer = (!completion.writes.is_empty()).then(|| self.lock_sqlite_writer());
        let result = retry_conflicts(|| {
            log_transaction!(&self.pools, |conn| {
                for write in &completion.writes {
                    match conn.write_in_transaction(tenant, write) {
                        Ok(_) | Err(TxError::Unchanged) => {}
                        Err(error) => return Err(error),
                    }
                }
                let updated = diesel::update(
                    message_log::table
                        .filter(message_log::tenant.eq(tenant))
                        .filter(message_log::seq.eq(id)),
                )
                .set((
                    message_log::status.eq(completion.status.as_str()),
                    message_log::ack.eq(completion.ack.as_deref()),
                    message_log::issues.eq(Some(issues.as_str())),
                ))
                .execute(conn)?;
                if updated == 1 {
                    Ok(())
                } else {
                    Err(TxError::Storage(StorageError::NotFound))
                }
            })
        });
        result.map_err(storage_error)
    }

    fn entry(&self, tenant: &str, id: i64) -> Result<Option<LogEntry>, StorageError> {
        let row: Option<LogRow> = crate::pool::with_connection!(&self.pools, |conn| {
            message_log::table
                .select(log_columns!())
                .filter(message_log::tenant.eq(tenant))
                .filter(message_log::seq.eq(id))
                .first(conn)
                .optional()
                .map_err(database_error)?
        });
        row.map(LogRow::into_entry).transpose()
    }

    fn search(&self, tenant: &str, query: &LogQuery) -> Result<Vec<LogEntry>, StorageError> {
        let rows: Vec<LogRow> = crate::pool::with_connection!(&self.pools, |conn| {
            let mut select = message_log::table
                .select(log_columns!())
                .filter(message_log::tenant.eq(tenant))
                .into_boxed();
            if let Some(status) = query.status {
                select = select.filter(message_log::status.eq(status.as_str()));
            }
            if let Some(sender) = &query.sender {
                select = select.filter(message_log::sender.eq(sender.clone()));
            }
            if let Some(message_type) = &query.message_type {
                let prefix = format!("{}^%", escape_like(message_type));
                select = select.filter(
                    message_log::message_type
                        .eq(message_type.clone())
                        .or(message_log::message_type.like(prefix).escape('\\')),
                );
            }
            if let Some(since) = query.since {
                select = select.filter(message_log::received_at.ge(since.0));
            }
            select
                .order(message_log::seq.desc())
                .limit(i64::from(query.count))
                .load(conn)
                .map_err(database_error)?
        });
        rows.into_iter().map(LogRow::into_entry).collect()
    }
}

/// Escapes LIKE wildcards so a type filter such as `ADT_A01` matches literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("ADT_A01%\\"), "ADT\\_A01\\%\\\\");
    }
}

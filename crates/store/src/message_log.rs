//! The HL7 v2 message log (`gateway::v2_intake::MessageLog`): raw bytes as received,
//! retransmission detection, and the final status with the ACK sent, recorded with the
//! translated writes in one transaction. `record` hands messages to the group
//! committer (`log_committer`), which records them in batches; the rules it applies
//! ([`decide`]) and the SQLite form of one message ([`record_sqlite`]) are here. Ids
//! come from `log_ids`.
//!
//! `issues` and `flags` are JSON text so one column shape serves both dialects.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use gateway::time::Micros;
use gateway::v2_intake::{
    Completion, LogEntry, LogQuery, LogStatus, MessageLog, NewLogEntry, Recorded,
    FLAG_CONTROL_ID_REUSED,
};
use gateway::StorageError;
use serde_json::Value;

use crate::versions::{database_error, TxError, VersionWriter};

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
pub(crate) struct LogRow {
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
pub(crate) struct NewRow<'a> {
    pub(crate) seq: i64,
    pub(crate) tenant: &'a str,
    pub(crate) received_at: i64,
    pub(crate) sender: &'a str,
    pub(crate) control_id: &'a str,
    pub(crate) message_type: &'a str,
    pub(crate) content_hash: &'a str,
    pub(crate) raw: &'a [u8],
    pub(crate) status: &'a str,
    pub(crate) ack: Option<&'a [u8]>,
    pub(crate) issues: String,
    pub(crate) flags: Option<String>,
    pub(crate) replay_of: Option<i64>,
}

impl LogRow {
    pub(crate) fn seq(&self) -> i64 {
        self.seq
    }

    pub(crate) fn into_entry(self) -> Result<LogEntry, StorageError> {
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

pub(crate) fn storage_error(error: TxError) -> StorageError {
    match error {
        TxError::Diesel(error) => database_error(error),
        TxError::Storage(error) => error,
        // Only version writes report `Unchanged`, and `record` absorbs it.
        TxError::Unchanged => StorageError::Database("unexpected unchanged write".into()),
    }
}

/// An earlier entry of the same tenant, sender and control id, as `record` compares it.
#[derive(Debug, Clone, Queryable, QueryableByName)]
pub(crate) struct Earlier {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub seq: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub content_hash: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub answered: bool,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub received_at: i64,
}

/// What `record` does with a message, given the earlier entries it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Answer with this entry's ACK and write nothing else.
    Retransmission(i64),
    New {
        control_id_reused: bool,
    },
}

/// Whether `record` looks for earlier copies at all: a replay is new by definition, and
/// a message without a readable control id cannot be matched to an earlier one.
pub(crate) fn matches_earlier(entry: &NewLogEntry) -> bool {
    entry.replay_of.is_none() && !entry.control_id.is_empty()
}

/// The rule of DESIGN promise 5, shared by both backends. `earlier` holds entries of
/// the same tenant, sender and control id (not replays), oldest first; only those
/// received at or after `window_start` count. Unanswered entries (left by a crash of an
/// older version, or messages no ACK could name) never make a copy a retransmission.
pub(crate) fn decide<'a>(
    earlier: impl IntoIterator<Item = &'a Earlier>,
    entry: &NewLogEntry,
    window_start: Micros,
) -> Decision {
    let mut control_id_reused = false;
    for found in earlier {
        if found.received_at < window_start.0 {
            continue;
        }
        if found.content_hash != entry.content_hash {
            control_id_reused = true;
        } else if found.answered {
            return Decision::Retransmission(found.seq);
        }
    }
    Decision::New { control_id_reused }
}

/// The row `record` inserts for a new message: its final state, all at once.
pub(crate) fn new_row<'a>(
    tenant: &'a str,
    entry: &'a NewLogEntry,
    completion: &'a Completion,
    control_id_reused: bool,
) -> NewRow<'a> {
    let mut flags = entry.flags.clone();
    if control_id_reused {
        flags.push(FLAG_CONTROL_ID_REUSED.to_owned());
    }
    NewRow {
        seq: entry.id,
        tenant,
        received_at: entry.received_at.0,
        sender: &entry.sender,
        control_id: &entry.control_id,
        message_type: &entry.message_type,
        content_hash: &entry.content_hash,
        raw: &entry.raw,
        status: completion.status.as_str(),
        ack: completion.ack.as_deref(),
        issues: completion.issues.to_string(),
        flags: flags_text(&flags),
        replay_of: entry.replay_of,
    }
}

/// Counts one more retransmission on each of `seqs` and returns their entries.
macro_rules! count_retransmissions {
    ($conn:expr, $seqs:expr) => {
        diesel::update(message_log::table.filter(message_log::seq.eq_any($seqs)))
            .set(message_log::retransmissions.eq(message_log::retransmissions + 1))
            .returning(log_columns!())
            .get_results::<LogRow>($conn)
    };
}

/// [`count_retransmissions`] for the PostgreSQL group committer.
pub(crate) fn count_retransmissions_pg(
    conn: &mut diesel::PgConnection,
    seqs: &[i64],
) -> Result<Vec<LogRow>, DieselError> {
    count_retransmissions!(conn, seqs)
}

/// Earlier entries of the entry's tenant, sender and control id in the window, oldest
/// first (SQLite; PostgreSQL reads them for a whole batch in `log_batch_sql`).
macro_rules! earlier_entries {
    ($tenant:expr, $entry:expr, $window_start:expr) => {
        message_log::table
            .select((
                message_log::seq,
                message_log::content_hash,
                message_log::ack.is_not_null(),
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

/// One message's `record` on SQLite, inside the caller's BEGIN IMMEDIATE transaction
/// (the SQLite committer runs a batch of them in one).
pub(crate) fn record_sqlite(
    conn: &mut diesel::SqliteConnection,
    tenant: &str,
    entry: &NewLogEntry,
    completion: &Completion,
    window_start: Micros,
) -> Result<Recorded, TxError> {
    let earlier: Vec<Earlier> = if matches_earlier(entry) {
        earlier_entries!(tenant, entry, window_start).load(conn)?
    } else {
        Vec::new()
    };
    match decide(&earlier, entry, window_start) {
        Decision::Retransmission(seq) => {
            let first = count_retransmissions!(conn, [seq])?
                .into_iter()
                .next()
                .ok_or(TxError::Storage(StorageError::NotFound))?;
            first
                .into_entry()
                .map(|entry| Recorded::Retransmission(Box::new(entry)))
                .map_err(TxError::Storage)
        }
        Decision::New { control_id_reused } => {
            for write in &completion.writes {
                match conn.write_in_transaction(tenant, write) {
                    Ok(_) | Err(TxError::Unchanged) => {}
                    Err(error) => return Err(error),
                }
            }
            diesel::insert_into(message_log::table)
                .values(new_row(tenant, entry, completion, control_id_reused))
                .execute(conn)?;
            Ok(Recorded::New { control_id_reused })
        }
    }
}

fn flags_text(flags: &[String]) -> Option<String> {
    if flags.is_empty() {
        None
    } else {
        serde_json::to_string(flags).ok()
    }
}

impl MessageLog for crate::Store {
    fn reserve_id(&self) -> Result<i64, StorageError> {
        self.log_ids.next(&self.pools)
    }

    fn record(
        &self,
        tenant: &str,
        entry: NewLogEntry,
        completion: Completion,
        window_start: Micros,
    ) -> Result<Recorded, StorageError> {
        self.log_committer
            .record(tenant, entry, completion, window_start)
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
            if let Some(control_id) = &query.control_id {
                select = select.filter(message_log::control_id.eq(control_id.clone()));
            }
            if let Some(since) = query.since {
                select = select.filter(message_log::received_at.ge(since.0));
            }
            if let Some(before) = query.before {
                select = select.filter(message_log::received_at.lt(before.0));
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

    /// Without an index on all four columns SQLite answered this from the time index
    /// and read the whole window per message (migration 2026-12-07-000003).
    #[test]
    fn sqlite_looks_earlier_copies_up_by_control_id() {
        use diesel_migrations::MigrationHarness;
        #[derive(QueryableByName)]
        struct PlanRow {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        let mut conn = diesel::SqliteConnection::establish(":memory:")
            .unwrap_or_else(|error| panic!("in-memory SQLite: {error}"));
        conn.run_pending_migrations(crate::migrate::SQLITE)
            .unwrap_or_else(|error| panic!("migrations: {error}"));
        let entry = NewLogEntry {
            id: 1,
            received_at: Micros(0),
            sender: "LAB^HOSP".into(),
            control_id: "C1".into(),
            message_type: "ADT^A08".into(),
            content_hash: "h".into(),
            raw: vec![],
            flags: vec![],
            replay_of: None,
        };
        let query = earlier_entries!("default", entry, Micros(0));
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string();
        let sql = sql.split(" -- binds").next().unwrap_or_default();
        let plan: Vec<PlanRow> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .bind::<diesel::sql_types::Text, _>("default")
            .bind::<diesel::sql_types::Text, _>("LAB^HOSP")
            .bind::<diesel::sql_types::Text, _>("C1")
            .bind::<diesel::sql_types::BigInt, _>(0)
            .load(&mut conn)
            .unwrap_or_else(|error| panic!("plan of {sql}: {error}"));
        let details: Vec<&str> = plan.iter().map(|row| row.detail.as_str()).collect();
        assert!(
            details.iter().any(|detail| detail.contains(
                "USING INDEX message_log_by_control_id (tenant=? AND sender=? AND control_id=? AND received_at>?)"
            )),
            "{details:?}"
        );
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("ADT_A01%\\"), "ADT\\_A01\\%\\\\");
    }
}

//! Message-log ids reserved before a message is recorded: the ACK built before the
//! commit names its log entry in MSH-10 (`FG<id>`), so the id must be known first.
//!
//! Ids are taken from the database in blocks, so reserving costs one statement per
//! [`BLOCK`] messages and stays unique across processes sharing the database: on
//! PostgreSQL from the `seq` column's sequence, on SQLite by moving the table's
//! AUTOINCREMENT counter (`sqlite_sequence`) forward inside a write transaction. A
//! process that stops leaves the rest of its block unused: gaps, never duplicates.

use std::collections::VecDeque;
use std::sync::Mutex;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use gateway::StorageError;

use crate::pool::{checkout, Pools};
use crate::versions::database_error;

/// Ids reserved per database round trip.
const BLOCK: i64 = 64;

#[derive(Default)]
pub(crate) struct LogIds {
    reserved: Mutex<VecDeque<i64>>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

impl LogIds {
    pub(crate) fn next(&self, pools: &Pools) -> Result<i64, StorageError> {
        // A poisoned lock only means another thread panicked while holding it; the
        // queue of unused ids is still valid.
        let mut reserved = self
            .reserved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if reserved.is_empty() {
            reserved.extend(reserve_block(pools)?);
        }
        reserved
            .pop_front()
            .ok_or_else(|| StorageError::Database("the database reserved no log ids".into()))
    }
}

fn reserve_block(pools: &Pools) -> Result<Vec<i64>, StorageError> {
    match pools {
        Pools::Postgres(pool) => {
            let mut conn = checkout(pool)?;
            let ids: Vec<Id> = diesel::sql_query(
                "SELECT nextval(pg_get_serial_sequence('message_log', 'seq')) AS id \
                 FROM generate_series(1, $1)",
            )
            .bind::<BigInt, _>(BLOCK)
            .load(&mut *conn)
            .map_err(database_error)?;
            Ok(ids.into_iter().map(|row| row.id).collect())
        }
        Pools::Sqlite(pool) => {
            let mut pooled = checkout(pool)?;
            let conn: &mut diesel::SqliteConnection = &mut pooled;
            let last = conn
                .immediate_transaction(advance_sqlite_counter)
                .map_err(database_error)?;
            Ok(((last - BLOCK + 1)..=last).collect())
        }
    }
}

/// Moves `message_log`'s AUTOINCREMENT counter forward by a block and returns its new
/// value; the block is the ids just below it. SQLite's own inserts continue above.
fn advance_sqlite_counter(conn: &mut diesel::SqliteConnection) -> QueryResult<i64> {
    let current: Option<Id> =
        diesel::sql_query("SELECT seq AS id FROM sqlite_sequence WHERE name = 'message_log'")
            .get_result(conn)
            .optional()?;
    match current {
        Some(Id { id }) => {
            diesel::sql_query("UPDATE sqlite_sequence SET seq = ? WHERE name = 'message_log'")
                .bind::<BigInt, _>(id + BLOCK)
                .execute(conn)?;
            Ok(id + BLOCK)
        }
        None => {
            // No row yet: the table has never had an insert (or its ids were all
            // given explicitly); start above whatever is there.
            let highest: Id =
                diesel::sql_query("SELECT COALESCE(MAX(seq), 0) AS id FROM message_log")
                    .get_result(conn)?;
            diesel::sql_query("INSERT INTO sqlite_sequence (name, seq) VALUES ('message_log', ?)")
                .bind::<BigInt, _>(highest.id + BLOCK)
                .execute(conn)?;
            Ok(highest.id + BLOCK)
        }
    }
}

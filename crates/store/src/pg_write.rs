//! The PostgreSQL write fast path: optimistic compare-and-swap in one statement.
//!
//! The locking path (`BEGIN; SELECT … FOR UPDATE; INSERT; UPSERT; COMMIT`) costs five
//! round trips per write, and on a small machine with many clients those round trips,
//! not the commit, bound throughput (measured with pgbench: the single-statement form
//! commits about twice as many writes per second; docs/benchmarks.md). Here a write
//! reads the current pointer without a lock, plans the version, and then moves the
//! pointer and inserts the version in ONE statement that only succeeds if the pointer
//! still holds the version it planned from:
//!
//! ```sql
//! WITH moved AS (UPDATE resource_current SET … WHERE key AND version = $planned_from RETURNING 1)
//! INSERT INTO resource_version … SELECT … WHERE EXISTS (SELECT 1 FROM moved)
//! ```
//!
//! A single statement is atomic, and under READ COMMITTED the UPDATE re-checks its
//! `WHERE` against a concurrently committed row, so exactly one of several racing
//! writers wins each version; the others see 0 rows and plan again from the new state
//! (an `If-Match` loser then gets its 412). A new resource uses
//! `INSERT … ON CONFLICT DO NOTHING` on the pointer the same way. After a few lost
//! races the caller falls back to the locking transaction, which queues writers on the
//! row lock and so always makes progress.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use gateway::storage::WriteOutcome;
use gateway::{WriteMethod, WriteRequest};

use crate::versions::{plan_write, CurrentState, TxError};

/// Optimistic attempts before falling back to the row-locking transaction.
const OPTIMISTIC_ATTEMPTS: u32 = 3;

const MOVE_POINTER: &str = "\
WITH moved AS (
    UPDATE resource_current
       SET version = $4, last_updated = $5, method = $6, deleted = $7, body = $8
     WHERE tenant = $1 AND resource_type = $2 AND resource_id = $3 AND version = $9
 RETURNING 1)
INSERT INTO resource_version
       (tenant, resource_type, resource_id, version, last_updated, method, deleted, body)
SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM moved)";

const CREATE_POINTER: &str = "\
WITH moved AS (
    INSERT INTO resource_current
           (tenant, resource_type, resource_id, version, last_updated, method, deleted, body)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (tenant, resource_type, resource_id) DO NOTHING
 RETURNING 1)
INSERT INTO resource_version
       (tenant, resource_type, resource_id, version, last_updated, method, deleted, body)
SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM moved)";

/// Up to [`OPTIMISTIC_ATTEMPTS`] attempts; `None` when every one lost its race and the
/// caller should take the row-locking path.
pub fn write_optimistically(
    conn: &mut PgConnection,
    tenant: &str,
    request: &WriteRequest,
) -> Result<Option<WriteOutcome>, TxError> {
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        if let Attempt::Written(outcome) = try_write(conn, tenant, request)? {
            return Ok(Some(outcome));
        }
    }
    Ok(None)
}

/// What one optimistic attempt did.
enum Attempt {
    Written(WriteOutcome),
    /// Another writer moved the pointer between our read and our write: plan again.
    LostRace,
}

/// One optimistic attempt, outside any explicit transaction (autocommit).
fn try_write(
    conn: &mut PgConnection,
    tenant: &str,
    request: &WriteRequest,
) -> Result<Attempt, TxError> {
    // A POST has a fresh server-made id: skip the read, the insert below checks it.
    let current = if request.method == WriteMethod::Post {
        None
    } else {
        current_state(conn, tenant, request)?
    };
    let planned = plan_write(request, current)?;
    let method = request.method.as_str();
    let deleted = request.method == WriteMethod::Delete;
    let sql = if current.is_some() {
        MOVE_POINTER
    } else {
        CREATE_POINTER
    };
    let mut statement = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Text, _>(tenant)
        .bind::<Text, _>(&request.resource_type)
        .bind::<Text, _>(&request.id)
        .bind::<BigInt, _>(planned.version)
        .bind::<BigInt, _>(planned.last_updated)
        .bind::<Text, _>(method)
        .bind::<Bool, _>(deleted)
        .bind::<Nullable<Text>, _>(planned.body.as_deref());
    if let Some(state) = current {
        statement = statement.bind::<BigInt, _>(state.version);
    }
    let inserted = statement.execute(conn)?;
    if inserted == 0 {
        return Ok(Attempt::LostRace);
    }
    Ok(Attempt::Written(planned.into_outcome(request)))
}

fn current_state(
    conn: &mut PgConnection,
    tenant: &str,
    request: &WriteRequest,
) -> Result<Option<CurrentState>, TxError> {
    use crate::schema::resource_current;
    Ok(crate::versions::current_state_query!(tenant, request)
        .first::<CurrentState>(conn)
        .optional()?)
}

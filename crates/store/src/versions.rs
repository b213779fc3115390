//! The versioned record: writes (one transaction each), reads and history.

use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use gateway::resource::finalize_body;
use gateway::storage::WriteOutcome;
use gateway::time::Micros;
use gateway::{
    HistoryPage, HistoryQuery, HistoryScope, Precondition, StorageError, StoredVersion,
    WriteMethod, WriteRequest,
};

use crate::rows::{version_columns, CurrentRow, HistoryRow, NewVersion, VersionRow};
use crate::schema::{resource_current, resource_version};

/// Concurrent writers to one resource can both try to insert the same version;
/// the unique key makes one fail, and it simply tries again on the new state.
const MAX_WRITE_ATTEMPTS: u32 = 8;

/// The state of the current-version pointer that a write looks at.
#[derive(Debug, Clone, Copy, Queryable, QueryableByName)]
pub struct CurrentState {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub version: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub last_updated: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub deleted: bool,
}

/// Errors inside a write transaction: diesel's (which roll back) or ours.
#[derive(Debug)]
pub enum TxError {
    Diesel(DieselError),
    Storage(StorageError),
    /// Nothing to write (delete of an absent or deleted resource): roll back, report success.
    Unchanged,
}

impl From<DieselError> for TxError {
    fn from(error: DieselError) -> Self {
        TxError::Diesel(error)
    }
}

/// What the write decided, given the current state: the new row's fields.
pub struct PlannedVersion {
    pub version: i64,
    pub last_updated: i64,
    pub body: Option<String>,
    pub created: bool,
}

impl PlannedVersion {
    /// The outcome to report once this version is written.
    pub fn into_outcome(self, request: &WriteRequest) -> WriteOutcome {
        WriteOutcome {
            created: self.created,
            changed: true,
            stored: StoredVersion {
                resource_type: request.resource_type.clone(),
                id: request.id.clone(),
                version: self.version,
                last_updated: Micros(self.last_updated),
                method: request.method,
                deleted: request.method == WriteMethod::Delete,
                body: self.body,
            },
        }
    }
}

/// Pure decision shared by both backends: check the precondition and plan the next version.
pub fn plan_write(
    request: &WriteRequest,
    current: Option<CurrentState>,
) -> Result<PlannedVersion, TxError> {
    let current_version = current.map(|state| state.version);
    let exists = current.is_some_and(|state| !state.deleted);
    match request.precondition {
        Precondition::None => {}
        Precondition::MustNotExist if current.is_some() => {
            return Err(TxError::Storage(StorageError::AlreadyExists))
        }
        Precondition::MustNotExist => {}
        Precondition::VersionIs(expected) if current_version != Some(expected) => {
            return Err(TxError::Storage(StorageError::PreconditionFailed {
                current: current_version,
            }))
        }
        Precondition::VersionIs(_) => {}
        Precondition::MustExist if !exists => return Err(TxError::Storage(StorageError::NotFound)),
        Precondition::MustExist => {}
    }
    if request.method == WriteMethod::Delete && !exists {
        return Err(TxError::Unchanged);
    }
    let version = current_version.unwrap_or(0) + 1;
    // Never go back in time, even if this node's clock is behind the last writer's.
    let last_updated = current
        .map(|state| state.last_updated + 1)
        .unwrap_or(i64::MIN)
        .max(Micros::now().0);
    let body = request
        .resource
        .as_ref()
        .map(|resource| finalize_body(resource, &request.id, version, Micros(last_updated)));
    Ok(PlannedVersion {
        version,
        last_updated,
        body,
        created: !exists,
    })
}

/// Runs a write transaction body for one backend: select the current state
/// (`$select_current` decides whether it locks), plan, insert, move the pointer.
macro_rules! write_transaction {
    ($conn:ident, $tenant:expr, $request:expr, $select_current:expr) => {{
        let tenant: &str = $tenant;
        let request: &WriteRequest = $request;
        let current: Option<CurrentState> = $select_current;
        let planned = plan_write(request, current)?;
        let method = request.method.as_str();
        let deleted = request.method == WriteMethod::Delete;
        diesel::insert_into(resource_version::table)
            .values(NewVersion {
                tenant,
                resource_type: &request.resource_type,
                resource_id: &request.id,
                version: planned.version,
                last_updated: planned.last_updated,
                method,
                deleted,
                body: planned.body.as_deref(),
            })
            .execute($conn)?;
        let pointer = CurrentRow {
            tenant,
            resource_type: &request.resource_type,
            resource_id: &request.id,
            version: planned.version,
            last_updated: planned.last_updated,
            method,
            deleted,
            body: planned.body.as_deref(),
        };
        diesel::insert_into(resource_current::table)
            .values(&pointer)
            .on_conflict((
                resource_current::tenant,
                resource_current::resource_type,
                resource_current::resource_id,
            ))
            .do_update()
            .set(&pointer)
            .execute($conn)?;
        Ok::<_, TxError>(planned.into_outcome(request))
    }};
}

macro_rules! current_state_query {
    ($tenant:expr, $request:expr) => {
        resource_current::table
            .select((
                resource_current::version,
                resource_current::last_updated,
                resource_current::deleted,
            ))
            .filter(resource_current::tenant.eq($tenant))
            .filter(resource_current::resource_type.eq(&$request.resource_type))
            .filter(resource_current::resource_id.eq(&$request.id))
    };
}
pub(crate) use current_state_query;

/// Writes one version inside a transaction the caller opened, on either backend;
/// shared by single writes and by the HL7 v2 message log, whose translated writes
/// commit in the same transaction as the ACK (DESIGN promise 1).
pub(crate) trait VersionWriter {
    fn write_in_transaction(
        &mut self,
        tenant: &str,
        request: &WriteRequest,
    ) -> Result<WriteOutcome, TxError>;
}

impl VersionWriter for diesel::PgConnection {
    fn write_in_transaction(
        &mut self,
        tenant: &str,
        request: &WriteRequest,
    ) -> Result<WriteOutcome, TxError> {
        // The single-statement compare-and-swap first (see `pg_write`); inside the
        // caller's transaction it saves two of the locking path's three statements.
        if let Some(outcome) = crate::pg_write::write_optimistically(self, tenant, request)? {
            return Ok(outcome);
        }
        let conn = self;
        // Row lock on the pointer: concurrent writers of one resource queue here.
        write_transaction!(
            conn,
            tenant,
            request,
            current_state_query!(tenant, request)
                .for_update()
                .first::<CurrentState>(conn)
                .optional()?
        )
    }
}

impl VersionWriter for diesel::SqliteConnection {
    fn write_in_transaction(
        &mut self,
        tenant: &str,
        request: &WriteRequest,
    ) -> Result<WriteOutcome, TxError> {
        let conn = self;
        // The caller holds SQLite's write lock (BEGIN IMMEDIATE), so no row lock is needed.
        write_transaction!(
            conn,
            tenant,
            request,
            current_state_query!(tenant, request)
                .first::<CurrentState>(conn)
                .optional()?
        )
    }
}

/// Runs `attempt` again while it fails on a write conflict that a fresh
/// transaction resolves (two first versions of one id, a deadlock, SQLite busy).
pub(crate) fn retry_conflicts<T>(
    mut attempt: impl FnMut() -> Result<T, TxError>,
) -> Result<T, TxError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match attempt() {
            Err(TxError::Diesel(error))
                if attempts < MAX_WRITE_ATTEMPTS && is_retryable(&error) =>
            {
                tracing::debug!(%error, attempts, "write conflict, retrying");
            }
            other => return other,
        }
    }
}

impl crate::Store {
    pub(crate) fn write_version(
        &self,
        tenant: &str,
        request: &WriteRequest,
    ) -> Result<WriteOutcome, StorageError> {
        if let crate::pool::Pools::Postgres(pool) = &self.pools {
            if let Some(result) = optimistic_postgres_write(pool, tenant, request) {
                return match result {
                    Ok(outcome) => Ok(outcome),
                    Err(TxError::Unchanged) => self.unchanged_delete(tenant, request),
                    Err(TxError::Storage(error)) => Err(error),
                    Err(TxError::Diesel(error)) => Err(database_error(error)),
                };
            }
        }
        let result = retry_conflicts(|| match &self.pools {
            crate::pool::Pools::Postgres(pool) => {
                let mut pooled = crate::pool::checkout(pool).map_err(TxError::Storage)?;
                let conn: &mut diesel::PgConnection = &mut pooled;
                conn.transaction(|conn| conn.write_in_transaction(tenant, request))
            }
            crate::pool::Pools::Sqlite(pool) => {
                let _writer = self.lock_sqlite_writer();
                let mut pooled = crate::pool::checkout(pool).map_err(TxError::Storage)?;
                let conn: &mut diesel::SqliteConnection = &mut pooled;
                // BEGIN IMMEDIATE takes the write lock up front, so two
                // writers never deadlock upgrading a read lock.
                conn.immediate_transaction(|conn| conn.write_in_transaction(tenant, request))
            }
        });
        match result {
            Ok(outcome) => Ok(outcome),
            Err(TxError::Unchanged) => self.unchanged_delete(tenant, request),
            Err(TxError::Storage(error)) => Err(error),
            Err(TxError::Diesel(error)) => Err(database_error(error)),
        }
    }

    /// Serialises SQLite writers in-process. A poisoned lock only means another
    /// writer panicked; the database is intact.
    pub(crate) fn lock_sqlite_writer(&self) -> std::sync::MutexGuard<'_, ()> {
        self.sqlite_writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A delete that found nothing to delete: report the current (deleted) version if any.
    fn unchanged_delete(
        &self,
        tenant: &str,
        request: &WriteRequest,
    ) -> Result<WriteOutcome, StorageError> {
        let current = self.current(tenant, &request.resource_type, &request.id)?;
        Ok(WriteOutcome {
            created: false,
            changed: false,
            stored: current.unwrap_or_else(|| StoredVersion {
                resource_type: request.resource_type.clone(),
                id: request.id.clone(),
                version: 0,
                last_updated: Micros::now(),
                method: WriteMethod::Delete,
                deleted: true,
                body: None,
            }),
        })
    }

    pub(crate) fn current(
        &self,
        tenant: &str,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<StoredVersion>, StorageError> {
        let row: Option<VersionRow> = crate::pool::with_connection!(&self.pools, |conn| {
            resource_current::table
                .select(version_columns!(resource_current))
                .filter(resource_current::tenant.eq(tenant))
                .filter(resource_current::resource_type.eq(resource_type))
                .filter(resource_current::resource_id.eq(id))
                .first(conn)
                .optional()
                .map_err(database_error)?
        });
        row.map(VersionRow::into_stored).transpose()
    }

    pub(crate) fn version(
        &self,
        tenant: &str,
        resource_type: &str,
        id: &str,
        version: i64,
    ) -> Result<Option<StoredVersion>, StorageError> {
        let row: Option<VersionRow> = crate::pool::with_connection!(&self.pools, |conn| {
            resource_version::table
                .select(version_columns!(resource_version))
                .filter(resource_version::tenant.eq(tenant))
                .filter(resource_version::resource_type.eq(resource_type))
                .filter(resource_version::resource_id.eq(id))
                .filter(resource_version::version.eq(version))
                .first(conn)
                .optional()
                .map_err(database_error)?
        });
        row.map(VersionRow::into_stored).transpose()
    }

    pub(crate) fn history_page(
        &self,
        tenant: &str,
        query: &HistoryQuery,
    ) -> Result<HistoryPage, StorageError> {
        let limit = i64::from(query.count) + 1;
        let rows: Vec<HistoryRow> = crate::pool::with_connection!(&self.pools, |conn| {
            let newer = diesel::alias!(resource_version as newer);
            let mut select = resource_version::table
                .select((resource_version::seq, version_columns!(resource_version)))
                .filter(resource_version::tenant.eq(tenant))
                .into_boxed();
            match &query.scope {
                HistoryScope::System => {}
                HistoryScope::Type(resource_type) => {
                    select = select.filter(resource_version::resource_type.eq(resource_type));
                }
                HistoryScope::Instance(resource_type, id) => {
                    select = select
                        .filter(resource_version::resource_type.eq(resource_type))
                        .filter(resource_version::resource_id.eq(id));
                }
            }
            if let Some(since) = query.since {
                select = select.filter(resource_version::last_updated.ge(since.0));
            }
            if let Some(before) = query.before_seq {
                select = select.filter(resource_version::seq.lt(before));
            }
            if let Some((low, high)) = query.at {
                // Current at some time in [low, high]: written by `high`, and not
                // yet replaced by a newer version at `low`.
                let replaced_by_low = newer
                    .filter(
                        newer
                            .field(resource_version::tenant)
                            .eq(resource_version::tenant),
                    )
                    .filter(
                        newer
                            .field(resource_version::resource_type)
                            .eq(resource_version::resource_type),
                    )
                    .filter(
                        newer
                            .field(resource_version::resource_id)
                            .eq(resource_version::resource_id),
                    )
                    .filter(
                        newer
                            .field(resource_version::version)
                            .gt(resource_version::version),
                    )
                    .filter(newer.field(resource_version::last_updated).le(low.0));
                select = select
                    .filter(resource_version::last_updated.le(high.0))
                    .filter(not(exists(replaced_by_low)));
            }
            select
                .order(resource_version::seq.desc())
                .limit(limit)
                .load(conn)
                .map_err(database_error)?
        });
        let has_more = rows.len() > query.count as usize;
        let page: Vec<HistoryRow> = rows.into_iter().take(query.count as usize).collect();
        let next_before_seq = if has_more {
            page.last().map(|row| row.seq)
        } else {
            None
        };
        let versions = page
            .into_iter()
            .map(|row| row.row.into_stored())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(HistoryPage {
            versions,
            next_before_seq,
        })
    }
}

/// The fast path (see `pg_write`): `None` when it kept losing races or hit a
/// retryable conflict, and the locking transaction should take over.
fn optimistic_postgres_write(
    pool: &crate::pool::PgPool,
    tenant: &str,
    request: &WriteRequest,
) -> Option<Result<WriteOutcome, TxError>> {
    let mut pooled = match crate::pool::checkout(pool) {
        Ok(pooled) => pooled,
        Err(error) => return Some(Err(TxError::Storage(error))),
    };
    match crate::pg_write::write_optimistically(&mut pooled, tenant, request) {
        Ok(Some(outcome)) => Some(Ok(outcome)),
        Ok(None) => None,
        Err(TxError::Diesel(error)) if is_retryable(&error) => None,
        Err(error) => Some(Err(error)),
    }
}

fn is_retryable(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
        | DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("deadlock") || message.contains("database is locked")
        }
        _ => false,
    }
}

pub fn database_error(error: DieselError) -> StorageError {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            StorageError::Unavailable(info.message().to_owned())
        }
        other => StorageError::Database(other.to_string()),
    }
}

//! The canonical, versioned record in PostgreSQL or SQLite, through diesel.
//!
//! `pool` opens either backend and holds the macro that runs one body of
//! diesel code against it (see there for why we use blocking diesel in a
//! pool rather than diesel-async); `schema` and `rows` describe the tables;
//! `versions` implements writes (one transaction per version; on PostgreSQL first
//! the single-statement optimistic path in `pg_write`), reads and
//! history; `message_log` implements `gateway::v2_intake::MessageLog` (raw HL7 v2
//! messages, retransmissions, ACKs sent; ids from `log_ids`, group commit in
//! `log_committer`, PostgreSQL batches in `log_batch`); `migrate` applies the SQL migrations embedded in the binary.
//! [`Store`] implements `gateway::Storage`, the only interface the rest of
//! the gateway sees. Timestamps are BIGINT microseconds and bodies TEXT in
//! both dialects, so one set of queries serves both.

pub mod admin;
mod log_batch;
mod log_batch_sql;
mod log_committer;
mod log_ids;
mod message_log;
mod migrate;
mod pg_write;
mod pool;
mod rows;
mod schema;
mod versions;

use std::path::PathBuf;

use gateway::storage::WriteOutcome;
use gateway::{HistoryPage, HistoryQuery, Storage, StorageError, StoredVersion, WriteRequest};

pub use pool::PoolOptions;

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// `postgres://…`/`postgresql://…`, or `sqlite://PATH` (relative or absolute).
    pub fn parse(url: &str) -> Result<Self, StorageError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StorageError::Unavailable(
                    "sqlite:// needs a file path, e.g. sqlite://./fhirgate-data/fhirgate.db".into(),
                ));
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else {
            Err(StorageError::Unavailable(format!(
                "unsupported database URL '{url}': use postgres://… or sqlite://PATH"
            )))
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Postgres(_) => "postgresql",
            DatabaseUrl::Sqlite(_) => "sqlite",
        }
    }
}

pub struct Store {
    pools: pool::Pools,
    /// SQLite has one writer at a time; queueing writers here instead of in
    /// SQLite's busy handler (which sleeps and retries) keeps write latency fair.
    sqlite_writer: std::sync::Arc<std::sync::Mutex<()>>,
    log_ids: log_ids::LogIds,
    /// Records HL7 v2 messages in batches (group commit).
    log_committer: log_committer::LogCommitter,
}

/// Committer threads. One: the messages that arrive while a batch
/// commits form the next batch, and bigger batches cost less per message. Measured
/// with the MLLP benchmark (docs/benchmarks.md) on two busy cores: 1 thread
/// 987–1,012 msg/s, 2 threads 906–919/s, 4 threads 754/s; with no other load:
/// 1 thread 1,364–1,993/s, 2 threads 1,496–2,033/s, 3 threads 1,339–1,725/s.
const LOG_COMMITTERS: usize = 1;

impl Store {
    /// Opens the pool; does not migrate (call [`Store::migrate`]).
    pub fn open(url: &DatabaseUrl, options: &PoolOptions) -> Result<Self, StorageError> {
        let pools = match url {
            DatabaseUrl::Postgres(url) => pool::Pools::Postgres(pool::postgres(url, options)?),
            DatabaseUrl::Sqlite(path) => pool::Pools::Sqlite(pool::sqlite(path, options)?),
        };
        let sqlite_writer = std::sync::Arc::new(std::sync::Mutex::new(()));
        let recorder: std::sync::Arc<dyn log_committer::BatchRecorder> = match &pools {
            pool::Pools::Postgres(pool) => {
                std::sync::Arc::new(log_committer::PostgresBatches(pool.clone()))
            }
            pool::Pools::Sqlite(pool) => std::sync::Arc::new(log_committer::SqliteBatches {
                pool: pool.clone(),
                writer: sqlite_writer.clone(),
            }),
        };
        let log_committer = log_committer::LogCommitter::start(recorder, LOG_COMMITTERS)?;
        Ok(Self {
            pools,
            sqlite_writer,
            log_ids: log_ids::LogIds::default(),
            log_committer,
        })
    }

    /// Applies pending migrations; returns the names of those applied.
    pub fn migrate(&self) -> Result<Vec<String>, StorageError> {
        migrate::run(&self.pools)
    }
}

impl Storage for Store {
    fn write(&self, tenant: &str, request: WriteRequest) -> Result<WriteOutcome, StorageError> {
        self.write_version(tenant, &request)
    }

    fn read_current(
        &self,
        tenant: &str,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<StoredVersion>, StorageError> {
        self.current(tenant, resource_type, id)
    }

    fn read_version(
        &self,
        tenant: &str,
        resource_type: &str,
        id: &str,
        version: i64,
    ) -> Result<Option<StoredVersion>, StorageError> {
        self.version(tenant, resource_type, id, version)
    }

    fn history(&self, tenant: &str, query: &HistoryQuery) -> Result<HistoryPage, StorageError> {
        self.history_page(tenant, query)
    }

    fn ping(&self) -> Result<(), StorageError> {
        use diesel::RunQueryDsl;
        pool::with_connection!(&self.pools, |conn| {
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .map(|_| ())
                .map_err(|error| StorageError::Unavailable(error.to_string()))
        })
    }

    fn pool_state(&self) -> (u32, u32) {
        let state = match &self.pools {
            pool::Pools::Postgres(pool) => pool.state(),
            pool::Pools::Sqlite(pool) => pool.state(),
        };
        (
            state.connections.saturating_sub(state.idle_connections),
            state.idle_connections,
        )
    }
}

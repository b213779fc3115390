//! Connection pools for the two backends, and the macro that runs one body of
//! diesel code against whichever backend is configured.
//!
//! diesel is synchronous; we use it through r2d2 pools on a blocking thread pool
//! rather than diesel-async because diesel-async has no native SQLite
//! connection (only a wrapper that is itself a blocking pool) and the same
//! blocking code then serves both backends, the CLI tools and the MLLP path.

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use gateway::StorageError;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;

pub enum Pools {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 32,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// WAL lets readers run beside the one writer; `synchronous = FULL` makes a
/// commit durable before we acknowledge it (DESIGN promise 1).
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, connection: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        connection
            .batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL; \
                 PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// libpq tries a GSSAPI-encrypted session first unless told otherwise; that costs a
/// round trip per connection and, when the process exits while r2d2 is still opening
/// connections in the background, aborts in the Kerberos library's exit handlers
/// (seen in tests). Operators who use GSSAPI encryption name `gssencmode` themselves.
fn without_gss_by_default(url: &str) -> String {
    if url.contains("gssencmode=") {
        url.to_owned()
    } else {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}gssencmode=disable")
    }
}

pub fn postgres(url: &str, options: &PoolOptions) -> Result<PgPool, StorageError> {
    let url = without_gss_by_default(url);
    Pool::builder()
        .max_size(options.max_connections)
        .min_idle(Some(2))
        // r2d2 would otherwise run a query before every checkout: one extra round trip per request.
        // A broken connection still surfaces as an error on its first real query.
        .test_on_check_out(false)
        .connection_timeout(options.connect_timeout)
        .build(ConnectionManager::new(url))
        .map_err(|error| StorageError::Unavailable(format!("PostgreSQL: {error}")))
}

pub fn sqlite(path: &Path, options: &PoolOptions) -> Result<SqlitePool, StorageError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|error| {
            StorageError::Unavailable(format!("cannot create {}: {error}", parent.display()))
        })?;
    }
    let url = path.to_string_lossy().into_owned();
    // The journal mode is a property of the file: set it once, before the pool
    // opens connections in parallel (switching it needs an exclusive lock).
    let unavailable =
        |error: String| StorageError::Unavailable(format!("SQLite {}: {error}", path.display()));
    let mut first = SqliteConnection::establish(&url).map_err(|e| unavailable(e.to_string()))?;
    first
        .batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
        .map_err(|e| unavailable(e.to_string()))?;
    drop(first);
    Pool::builder()
        .min_idle(Some(1))
        .test_on_check_out(false)
        .max_size(options.max_connections.min(16))
        .connection_timeout(options.connect_timeout)
        .connection_customizer(Box::new(SqlitePragmas))
        .build(ConnectionManager::new(url))
        .map_err(|error| StorageError::Unavailable(format!("SQLite {}: {error}", path.display())))
}

pub fn checkout<C>(
    pool: &Pool<ConnectionManager<C>>,
) -> Result<PooledConnection<ConnectionManager<C>>, StorageError>
where
    C: diesel::r2d2::R2D2Connection + 'static,
{
    pool.get()
        .map_err(|error| StorageError::Unavailable(error.to_string()))
}

/// Runs `$body` with `$conn` bound to a `&mut PgConnection` or a
/// `&mut SqliteConnection`: the body is type-checked once per backend, so
/// plain diesel DSL works without backend-generic trait bounds.
macro_rules! with_connection {
    ($pools:expr, |$conn:ident| $body:expr) => {
        match $pools {
            $crate::pool::Pools::Postgres(pool) => {
                let mut pooled = $crate::pool::checkout(pool)?;
                let $conn: &mut diesel::PgConnection = &mut pooled;
                $body
            }
            $crate::pool::Pools::Sqlite(pool) => {
                let mut pooled = $crate::pool::checkout(pool)?;
                let $conn: &mut diesel::SqliteConnection = &mut pooled;
                $body
            }
        }
    };
}
pub(crate) use with_connection;

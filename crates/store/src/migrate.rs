//! SQL migrations, embedded in the binary and applied at start or by `fhirgate migrate`.

use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use gateway::StorageError;

use crate::pool::{checkout, Pools};

pub(crate) const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub(crate) const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Arbitrary constant key: several gateway processes starting at once on one
/// PostgreSQL take turns migrating instead of racing.
const MIGRATION_LOCK_KEY: i64 = 0x6668_6972_6761_7465; // "fhirgate"

pub fn run(pools: &Pools) -> Result<Vec<String>, StorageError> {
    let failed = |error: Box<dyn std::error::Error + Send + Sync>| {
        StorageError::Database(format!("migration failed: {error}"))
    };
    let applied = match pools {
        Pools::Postgres(pool) => {
            let mut conn = checkout(pool)?;
            let execute = |conn: &mut diesel::PgConnection, sql: String| {
                conn.batch_execute(&sql)
                    .map_err(|error| StorageError::Database(error.to_string()))
            };
            execute(
                &mut conn,
                format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"),
            )?;
            let result = conn
                .run_pending_migrations(POSTGRES)
                .map(|versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>());
            execute(
                &mut conn,
                format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"),
            )?;
            result.map_err(failed)?
        }
        Pools::Sqlite(pool) => {
            let mut conn = checkout(pool)?;
            conn.run_pending_migrations(SQLITE)
                .map(|versions| versions.iter().map(ToString::to_string).collect())
                .map_err(failed)?
        }
    };
    Ok(applied)
}

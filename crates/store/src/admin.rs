//! Administrative helpers for PostgreSQL schemas: isolating test databases and
//! (later) tenants that want a schema of their own.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use gateway::StorageError;

fn check_name(name: &str) -> Result<(), StorageError> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(StorageError::Database(format!(
            "'{name}' is not a plain schema name"
        )))
    }
}

fn execute(url: &str, sql: &str) -> Result<(), StorageError> {
    let mut connection = PgConnection::establish(url)
        .map_err(|error| StorageError::Unavailable(error.to_string()))?;
    connection
        .batch_execute(sql)
        .map_err(|error| StorageError::Database(error.to_string()))
}

/// Creates `schema` and returns a URL whose connections use it as `search_path`.
pub fn create_postgres_schema(url: &str, schema: &str) -> Result<String, StorageError> {
    check_name(schema)?;
    execute(url, &format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{separator}options=-csearch_path%3D{schema}"))
}

pub fn drop_postgres_schema(url: &str, schema: &str) -> Result<(), StorageError> {
    check_name(schema)?;
    execute(url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
}

//! Row types shared by both backends, and their conversion to gateway types.

use diesel::prelude::*;
use gateway::time::Micros;
use gateway::{StorageError, StoredVersion, WriteMethod};

use crate::schema::{resource_current, resource_version};

/// A row of either table, selected with the same columns.
#[derive(Debug, Clone, Queryable)]
pub struct VersionRow {
    pub resource_type: String,
    pub resource_id: String,
    pub version: i64,
    pub last_updated: i64,
    pub method: String,
    pub deleted: bool,
    pub body: Option<String>,
}

/// History rows also carry the sequence used as the paging cursor.
#[derive(Debug, Clone, Queryable)]
pub struct HistoryRow {
    pub seq: i64,
    pub row: VersionRow,
}

impl VersionRow {
    pub fn into_stored(self) -> Result<StoredVersion, StorageError> {
        let method = WriteMethod::parse(&self.method).ok_or_else(|| {
            StorageError::Corrupt(format!(
                "{}/{} version {} has unknown method '{}'",
                self.resource_type, self.resource_id, self.version, self.method
            ))
        })?;
        Ok(StoredVersion {
            resource_type: self.resource_type,
            id: self.resource_id,
            version: self.version,
            last_updated: Micros(self.last_updated),
            method,
            deleted: self.deleted,
            body: self.body,
        })
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = resource_version)]
pub struct NewVersion<'a> {
    pub tenant: &'a str,
    pub resource_type: &'a str,
    pub resource_id: &'a str,
    pub version: i64,
    pub last_updated: i64,
    pub method: &'a str,
    pub deleted: bool,
    pub body: Option<&'a str>,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = resource_current, treat_none_as_null = true)]
pub struct CurrentRow<'a> {
    pub tenant: &'a str,
    pub resource_type: &'a str,
    pub resource_id: &'a str,
    pub version: i64,
    pub last_updated: i64,
    pub method: &'a str,
    pub deleted: bool,
    pub body: Option<&'a str>,
}

/// The columns a `VersionRow` is read from, for either table.
macro_rules! version_columns {
    ($table:ident) => {
        (
            $table::resource_type,
            $table::resource_id,
            $table::version,
            $table::last_updated,
            $table::method,
            $table::deleted,
            $table::body,
        )
    };
}
pub(crate) use version_columns;

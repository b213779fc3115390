//! What the use-cases need from a database. Implemented by the `store` crate.
//!
//! Every method is blocking: callers on an async runtime run them on a
//! blocking thread pool. A write is one database transaction that assigns the
//! next version, stores it immutably and moves the current-version pointer;
//! the 2xx is sent only after that transaction commits (DESIGN promise 1).

use serde_json::Value;

use crate::time::Micros;

/// The interaction that produced a version; history shows it as `request.method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMethod {
    Post,
    Put,
    Delete,
}

impl WriteMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            WriteMethod::Post => "POST",
            WriteMethod::Put => "PUT",
            WriteMethod::Delete => "DELETE",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "POST" => Some(WriteMethod::Post),
            "PUT" => Some(WriteMethod::Put),
            "DELETE" => Some(WriteMethod::Delete),
            _ => None,
        }
    }
}

/// What must be true of the current version for the write to go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    None,
    /// The resource must not exist (create with a server-assigned id).
    MustNotExist,
    /// `If-Match`: the current version must be exactly this one.
    VersionIs(i64),
    /// Update-as-create is disabled: the resource must exist already.
    MustExist,
}

/// One write. For deletes `resource` is `None`.
#[derive(Debug, Clone)]
pub struct WriteRequest {
    pub resource_type: String,
    pub id: String,
    pub method: WriteMethod,
    pub precondition: Precondition,
    /// The validated resource as accepted; the store fills `id` and `meta` via
    /// [`crate::resource::finalize_body`] once it knows the version.
    pub resource: Option<Value>,
}

/// One immutable version as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVersion {
    pub resource_type: String,
    pub id: String,
    pub version: i64,
    pub last_updated: Micros,
    pub method: WriteMethod,
    pub deleted: bool,
    /// The stored JSON text (with `id` and `meta` set); `None` for deletes.
    pub body: Option<String>,
}

/// Outcome of a write that committed.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOutcome {
    pub stored: StoredVersion,
    /// True when this write created the resource (version 1, or a re-create after delete).
    pub created: bool,
    /// False when nothing was written (delete of something already deleted or absent).
    pub changed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryScope {
    System,
    Type(String),
    Instance(String, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    pub scope: HistoryScope,
    /// Only versions with `last_updated >= since`.
    pub since: Option<Micros>,
    /// `_at`: versions current at some time within `[low, high]`.
    pub at: Option<(Micros, Micros)>,
    /// Page size (already capped by the caller).
    pub count: u32,
    /// Keyset cursor: only versions older (lower sequence) than this.
    pub before_seq: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    /// Newest first.
    pub versions: Vec<StoredVersion>,
    /// Cursor for the next (older) page, when there is one.
    pub next_before_seq: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("version conflict: the current version is {current:?}")]
    PreconditionFailed { current: Option<i64> },
    #[error("resource already exists")]
    AlreadyExists,
    #[error("resource does not exist and update-as-create is disabled")]
    NotFound,
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub trait Storage: Send + Sync + 'static {
    fn write(&self, tenant: &str, request: WriteRequest) -> Result<WriteOutcome, StorageError>;

    /// The current version, deleted or not; `None` when the resource never existed.
    fn read_current(
        &self,
        tenant: &str,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<StoredVersion>, StorageError>;

    fn read_version(
        &self,
        tenant: &str,
        resource_type: &str,
        id: &str,
        version: i64,
    ) -> Result<Option<StoredVersion>, StorageError>;

    fn history(&self, tenant: &str, query: &HistoryQuery) -> Result<HistoryPage, StorageError>;

    /// Cheap round trip for `/health/ready`.
    fn ping(&self) -> Result<(), StorageError>;

    /// Connections `(in_use, idle)` for metrics.
    fn pool_state(&self) -> (u32, u32);
}

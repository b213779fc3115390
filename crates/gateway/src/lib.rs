//! The gateway's use-cases: create, read, update, delete and history over the
//! canonical versioned record (and later transaction, v2 ingest and delivery).
//!
//! `storage` declares what the use-cases need from a database (the `store`
//! crate implements it for SQLite and PostgreSQL); `error` is the one table
//! that maps every failure to a FHIR issue type and HTTP status; `resource`
//! holds the checks every incoming body passes and sets the server-owned
//! `id`/`meta` fields; `use_cases` ties them together; `v2_intake` ingests
//! HL7 v2 messages through the message log (log, translate, commit, then ACK), and
//! `v2_oversize` logs and rejects those over the MLLP frame limit.
//! Nothing here knows about actix or diesel, so the HTTP and MLLP edges share
//! the same rules.

pub mod error;
pub mod resource;
pub mod storage;
pub mod time;
pub mod use_cases;
pub mod v2_intake;
pub mod v2_oversize;

pub use error::GatewayError;
pub use storage::{
    HistoryPage, HistoryQuery, HistoryScope, Precondition, Storage, StorageError, StoredVersion,
    WriteMethod, WriteOutcome, WriteRequest,
};
pub use use_cases::{Gateway, GatewayConfig};

//! The REST integration suite: every scenario runs through real HTTP against
//! SQLite and against PostgreSQL, each test on its own fresh database.

mod support;

mod capability;
mod concurrency;
mod crud;
mod errors;
mod history;
mod http_semantics;
mod message_log_writes;
mod operations;
mod process;
mod restart;
mod terminology;
mod two_stores;
mod v2_bad_input;
mod v2_copies;
mod v2_intake;
mod v2_kill;
mod v2_settings;
mod validation;

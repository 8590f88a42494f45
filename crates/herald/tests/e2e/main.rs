//! End-to-end tests: each starts the real `herald` binary and drives it
//! over HTTP with the AWS SDK for Rust (and, for protocol edge cases, raw
//! HTTP). One test binary, so the large SDK crate is linked once.

mod common;

/// This binary runs the suite on the embedded SQLite store.
const BACKEND: common::Backend = common::Backend::Sqlite;

mod backup;
mod chime;
mod cli;
mod crash;
mod directory;
mod expiry;
mod notifications;
mod pagination;
mod persistence;
mod protocol;
mod search;
mod security;
mod storage_faults;
mod storage_read_only;
mod throttling;
mod user_notifications;
mod widget;

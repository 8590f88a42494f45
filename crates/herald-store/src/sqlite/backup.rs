//! `herald backup` and `herald restore` for the embedded store.
//!
//! A backup is `VACUUM INTO` on a read-only connection of its own: it reads
//! one WAL snapshot, so the copy is consistent while a server keeps
//! writing, and it holds every commit acknowledged before it began. Both
//! directions write a temporary file, fsync it and rename it into place,
//! so a crash leaves either the old file or the whole new one.

use std::fs::File;
use std::path::{Path, PathBuf};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use super::dir_lock::DirLock;
use super::identity::{Found, inspect, sibling, sqlite_err, verify_copy, wal_len};
use super::{BUSY_TIMEOUT, DB_FILE};
use crate::{StoreError, StoreResult};

/// What a backup or restore wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Copies the store in `data_dir` to `to`, which must not exist yet. Works
/// whether or not a server is running on `data_dir`.
pub async fn backup(data_dir: &Path, to: &Path) -> StoreResult<Written> {
    let source = data_dir.join(DB_FILE);
    if !source.exists() {
        return Err(StoreError::Unavailable(format!(
            "{} holds no Herald store (no {DB_FILE})",
            data_dir.display()
        )));
    }
    if inspect(&source).await? == Found::Empty {
        return Err(StoreError::Unavailable(format!(
            "{} holds no Herald store ({} is empty)",
            data_dir.display(),
            source.display()
        )));
    }
    refuse_existing(to)?;
    let temp = temp_next_to(to);
    // Only a crashed earlier run of a process with this id left it.
    let _ = std::fs::remove_file(&temp);
    let written = copy_snapshot(&source, &temp)
        .await
        .and_then(|()| finish(&temp, to, false));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Replaces (with `force`) or creates the store in `data_dir` from the
/// backup `from`, after checking it is a whole Herald database. Refused
/// while a server uses `data_dir`; holds its lock throughout, so none
/// starts meanwhile.
pub async fn restore(from: &Path, data_dir: &Path, force: bool) -> StoreResult<Written> {
    if !from.is_file() {
        return Err(StoreError::Unavailable(format!(
            "{} is not a file",
            from.display()
        )));
    }
    if wal_len(from) > 0 {
        return Err(StoreError::Unavailable(format!(
            "{} has a write-ahead log next to it: it is a live database, not a backup (take one with `herald backup`)",
            from.display()
        )));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| io_err("cannot create", data_dir, e))?;
    let _lock = DirLock::acquire(data_dir)?;
    let target = data_dir.join(DB_FILE);
    if !force && (target.exists() || wal_len(&target) > 0) {
        return Err(StoreError::Conflict(format!(
            "{} already holds a store; pass --force to replace it",
            data_dir.display()
        )));
    }
    let temp = temp_next_to(&target);
    let written = restore_via(from, &temp, &target).await;
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

async fn restore_via(from: &Path, temp: &Path, target: &Path) -> StoreResult<Written> {
    std::fs::copy(from, temp).map_err(|e| io_err("cannot copy", from, e))?;
    // The copy is what gets checked: what lands is what was verified.
    verify_copy(temp, from).await?;
    // The old store's log would be replayed onto the new file: it goes
    // first, before the rename makes the new file the store.
    for suffix in ["-wal", "-shm"] {
        let stale = sibling(target, suffix);
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("cannot remove", &stale, e)),
        }
    }
    finish(temp, target, true)
}

/// `VACUUM INTO` from a read-only connection: one snapshot, no effect on
/// the source beyond a reader's (a server's checkpoints wait for it).
async fn copy_snapshot(source: &Path, temp: &Path) -> StoreResult<()> {
    let mut conn: SqliteConnection = SqliteConnectOptions::new()
        .filename(source)
        .read_only(true)
        .busy_timeout(BUSY_TIMEOUT)
        .connect()
        .await
        .map_err(|e| sqlite_err(source, e))?;
    let target = temp.to_str().ok_or_else(|| {
        StoreError::Unavailable(format!("{} is not a UTF-8 path", temp.display()))
    })?;
    let copied = sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut conn)
        .await
        .map_err(|e| sqlite_err(source, e));
    let _ = conn.close().await;
    copied.map(|_| ())
}

/// fsyncs `temp`, renames it to `to` and fsyncs the directory, so the
/// rename itself is durable. Without `replace`, an existing `to` is
/// refused (checked again here: the copy took a while).
fn finish(temp: &Path, to: &Path, replace: bool) -> StoreResult<Written> {
    let file = File::open(temp).map_err(|e| io_err("cannot open", temp, e))?;
    file.sync_all()
        .map_err(|e| io_err("cannot fsync", temp, e))?;
    let bytes = file
        .metadata()
        .map_err(|e| io_err("cannot read", temp, e))?
        .len();
    drop(file);
    if !replace {
        refuse_existing(to)?;
    }
    std::fs::rename(temp, to).map_err(|e| io_err("cannot rename into", to, e))?;
    let dir = parent(to);
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err("cannot fsync", &dir, e))?;
    Ok(Written {
        path: to.to_path_buf(),
        bytes,
    })
}

fn refuse_existing(to: &Path) -> StoreResult<()> {
    if to.exists() {
        return Err(StoreError::Conflict(format!(
            "{} already exists; Herald will not overwrite it",
            to.display()
        )));
    }
    Ok(())
}

/// A name in the same directory as `path` (so the rename stays on one
/// filesystem), unique to this process.
fn temp_next_to(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "herald".into(), |n| n.to_string_lossy().into_owned());
    parent(path).join(format!(".{name}.tmp-{}", std::process::id()))
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("{what} {}: {e}", path.display()))
}

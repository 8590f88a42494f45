//! What a file claims to be, checked before Herald writes to it: a SQLite
//! database marked as Herald's (`PRAGMA application_id`), or one made by
//! an older Herald (its migrations, no mark yet), or empty. Anything else
//! — not SQLite, truncated, damaged, another program's — is refused
//! without a byte of it changed.

use std::io::Read;
use std::path::{Path, PathBuf};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use super::MIGRATOR;
use crate::{StoreError, StoreResult};

/// `PRAGMA application_id` of every Herald database: ASCII "HRLD".
pub const HERALD_APPLICATION_ID: i32 = 0x4852_4C44;

const HEADER_LEN: usize = 100;
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What was found at a database path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No file, an empty one, or a SQLite database without any table.
    Empty,
    /// A Herald database; `marked` is false for one from before the mark.
    Herald { marked: bool },
}

/// Classifies the file at `path` for opening as a store, reading only.
/// `Corrupt` for a file that is not SQLite or is damaged, `Unavailable`
/// for another program's database; both name the file.
pub async fn inspect(path: &Path) -> StoreResult<Found> {
    let len = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Empty),
        Err(e) => return Err(unreadable(path, e)),
    };
    let wal = wal_len(path);
    if len == 0 && wal == 0 {
        return Ok(Found::Empty);
    }
    if len > 0 {
        check_header(path, path, len, wal > 0)?;
    }
    let mut conn = connect_read_only(path, path, wal > 0).await?;
    let found = classify(&mut conn, path).await;
    let _ = conn.close().await;
    found
}

/// The checks of [`inspect`], plus SQLite's `quick_check` of every page
/// and that the migrations applied are all Herald's own (none unknown,
/// none failed): for a file about to replace a store. `file` must have no
/// write-ahead log (a backup, or a copy of one); messages name `shown`
/// (the file it was copied from).
pub async fn verify_copy(file: &Path, shown: &Path) -> StoreResult<()> {
    let len = std::fs::metadata(file)
        .map_err(|e| unreadable(shown, e))?
        .len();
    check_header(file, shown, len, false)?;
    let mut conn = connect_read_only(file, shown, false).await?;
    let verdict = verify_on(&mut conn, shown).await;
    let _ = conn.close().await;
    verdict
}

async fn verify_on(conn: &mut SqliteConnection, path: &Path) -> StoreResult<()> {
    let check: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| sqlite_err(path, e))?;
    if check != ["ok"] {
        let shown: Vec<&str> = check.iter().take(3).map(String::as_str).collect();
        return Err(StoreError::Corrupt(format!(
            "{} is damaged: SQLite's quick_check reports {}",
            path.display(),
            shown.join("; ")
        )));
    }
    if classify(conn, path).await? == Found::Empty {
        return Err(StoreError::Unavailable(format!(
            "{} holds no Herald store (it has no tables)",
            path.display()
        )));
    }
    let applied: Vec<(i64, Vec<u8>, bool)> =
        sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| sqlite_err(path, e))?;
    for (version, checksum, success) in applied {
        let known = MIGRATOR.iter().find(|m| m.version == version);
        match known {
            Some(m) if success && *m.checksum == *checksum => {}
            Some(_) if !success => {
                return Err(StoreError::Corrupt(format!(
                    "{}: Herald migration {version} did not complete",
                    path.display()
                )));
            }
            Some(_) => {
                return Err(StoreError::Unavailable(format!(
                    "{}: migration {version} is not the one this Herald applies",
                    path.display()
                )));
            }
            None => {
                return Err(StoreError::Unavailable(format!(
                    "{}: migration {version} is unknown to this Herald (made by a newer version?)",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

/// `Found` from the mark, the migrations table and the schema.
async fn classify(conn: &mut SqliteConnection, path: &Path) -> StoreResult<Found> {
    let application_id: i32 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| sqlite_err(path, e))?;
    if application_id == HERALD_APPLICATION_ID {
        return Ok(Found::Herald { marked: true });
    }
    if application_id != 0 {
        return Err(foreign(
            path,
            &format!("its application_id is {application_id:#010x}, not Herald's"),
        ));
    }
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_schema")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| sqlite_err(path, e))?;
    if tables == 0 {
        return Ok(Found::Empty);
    }
    // Before the mark, a Herald database is recognised by its first
    // migration: the same version with the same checksum.
    let first = MIGRATOR.iter().next().expect("Herald has migrations");
    let has_migrations: bool = sqlx::query_scalar(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| sqlite_err(path, e))?;
    let first_applied: Option<Vec<u8>> = if has_migrations {
        sqlx::query_scalar("SELECT checksum FROM _sqlx_migrations WHERE version = ?")
            .bind(first.version)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| sqlite_err(path, e))?
    } else {
        None
    };
    match first_applied {
        Some(checksum) if *checksum == *first.checksum => Ok(Found::Herald { marked: false }),
        _ => Err(foreign(path, "it has tables but not Herald's migrations")),
    }
}

/// The 100-byte header: the magic string, and that the file is as long as
/// the header says. Without a write-ahead log that is exact; with one, an
/// interrupted checkpoint may legitimately leave the file short, so the
/// length is left to SQLite then.
fn check_header(file: &Path, path: &Path, len: u64, has_wal: bool) -> StoreResult<()> {
    let mut header = [0u8; HEADER_LEN];
    let read = std::fs::File::open(file)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => not_sqlite(path),
            _ => unreadable(path, e),
        });
    read?;
    if &header[..16] != MAGIC {
        return Err(not_sqlite(path));
    }
    let be32 = |at: usize| u32::from_be_bytes(header[at..at + 4].try_into().expect("4 bytes"));
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    // The page count is only meaningful when "version-valid-for" matches
    // the change counter (older writers did not maintain it).
    let page_count = u64::from(be32(28));
    let count_valid = be32(92) == be32(24) && page_count > 0;
    if !has_wal && count_valid && page_count * page_size > len {
        return Err(StoreError::Corrupt(format!(
            "{} is truncated: its header says {} bytes, the file has {len}; Herald will not open or change it",
            path.display(),
            page_count * page_size
        )));
    }
    Ok(())
}

/// A connection that cannot write. Without a write-ahead log there is
/// nothing to replay, so the file is opened immutable: SQLite then creates
/// no `-wal`/`-shm` files next to it either.
async fn connect_read_only(
    file: &Path,
    path: &Path,
    has_wal: bool,
) -> StoreResult<SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .immutable(!has_wal)
        .connect()
        .await
        .map_err(|e| sqlite_err(path, e))
}

/// The size of the write-ahead log next to `path` (0 when there is none).
pub(crate) fn wal_len(path: &Path) -> u64 {
    std::fs::metadata(sibling(path, "-wal")).map_or(0, |m| m.len())
}

/// `path` with `suffix` appended to its file name (`herald.db-wal`).
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// SQLite's "not a database" and "malformed" become `Corrupt`; anything
/// else (permissions, I/O) `Unavailable`. Either way the file is named.
pub(crate) fn sqlite_err(path: &Path, e: sqlx::Error) -> StoreError {
    // SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), extended codes included.
    let primary = e
        .as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i32>().ok())
        .map(|c| c & 0xff);
    match primary {
        Some(26) => not_sqlite(path),
        Some(11) => StoreError::Corrupt(format!(
            "{} is damaged ({e}); Herald will not open or change it",
            path.display()
        )),
        _ => StoreError::Unavailable(format!("{}: {e}", path.display())),
    }
}

fn not_sqlite(path: &Path) -> StoreError {
    StoreError::Corrupt(format!(
        "{} is not a SQLite database; Herald will not open or change it",
        path.display()
    ))
}

fn foreign(path: &Path, why: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "{} is a foreign database ({why}); Herald will not open or change it",
        path.display()
    ))
}

fn unreadable(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("cannot read {}: {e}", path.display()))
}

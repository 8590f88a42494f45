//! The data directory's advisory lock: one Herald process at a time may
//! use a SQLite data directory (a server, or a restore replacing its file).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::{StoreError, StoreResult};

const LOCK_FILE: &str = "herald.lock";

/// Held for as long as the value lives; the kernel drops the lock when the
/// process dies, so a crash leaves nothing stale behind. The file itself
/// stays: removing it would let two processes lock two different files.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Locks `data_dir/herald.lock` exclusively, or refuses at once when
    /// another process (or another open store in this one) holds it.
    pub fn acquire(data_dir: &Path) -> StoreResult<DirLock> {
        let path = data_dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(DirLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(StoreError::Unavailable(format!(
                "another herald is using {} (it holds the lock on {})",
                data_dir.display(),
                path.display()
            ))),
            Err(TryLockError::Error(e)) => Err(StoreError::Unavailable(format!(
                "cannot lock {}: {e}",
                path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DirLock;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path()).expect("first lock");
        let refused = DirLock::acquire(dir.path()).expect_err("second lock");
        assert!(
            refused.to_string().contains("another herald is using"),
            "{refused}"
        );
        drop(first);
        DirLock::acquire(dir.path()).expect("lock after release");
    }
}

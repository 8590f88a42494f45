//! `herald backup` and `herald restore`: the embedded store to a file and
//! back (the work is in `herald_store::sqlite`).

use anyhow::Context;
use herald_store::sqlite;

use crate::config::{BackupArgs, RestoreArgs};

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    if args.database_url.is_some() {
        anyhow::bail!(
            "herald backup copies the embedded SQLite store; with --database-url (HERALD_DATABASE_URL) the data is in PostgreSQL: back it up with pg_dump"
        );
    }
    let written = sqlite::backup(&args.data_dir, &args.to)
        .await
        .with_context(|| format!("backing up the store in {}", args.data_dir.display()))?;
    println!(
        "backup written to {} ({} bytes)",
        written.path.display(),
        written.bytes
    );
    Ok(())
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    if args.database_url.is_some() {
        anyhow::bail!(
            "herald restore replaces the embedded SQLite store; with --database-url (HERALD_DATABASE_URL) the data is in PostgreSQL: restore it with pg_restore or psql"
        );
    }
    let written = sqlite::restore(&args.from, &args.data_dir, args.force)
        .await
        .with_context(|| {
            format!(
                "restoring {} into {}",
                args.from.display(),
                args.data_dir.display()
            )
        })?;
    println!(
        "restored {} to {} ({} bytes)",
        args.from.display(),
        written.path.display(),
        written.bytes
    );
    Ok(())
}

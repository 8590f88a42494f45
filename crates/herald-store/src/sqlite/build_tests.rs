//! The SQLite this workspace links is built as `.cargo/config.toml` asks
//! (`LIBSQLITE3_FLAGS`): without the process-wide page cache and memory
//! counters, each behind one mutex that every connection takes on every
//! page fetch and every allocation. Dropping that file would bring the
//! locks back silently, only slower; this test says so.

use sqlx::Connection;

#[tokio::test]
async fn the_bundled_sqlite_takes_no_process_wide_lock_per_page_or_allocation() {
    // Any connection reports the linked library's options; no store needed.
    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .expect("in-memory connection");
    let options: Vec<String> =
        sqlx::query_scalar("SELECT compile_options FROM pragma_compile_options")
            .fetch_all(&mut conn)
            .await
            .expect("compile options");
    assert!(
        options.iter().any(|o| o == "THREADSAFE=1"),
        "connections on several threads need the core mutexes: {options:?}"
    );
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "SQLITE_ENABLE_MEMORY_MANAGEMENT shares one page cache lock between connections: {options:?}"
    );
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "memory statistics take a process-wide lock on every allocation: {options:?}"
    );
}

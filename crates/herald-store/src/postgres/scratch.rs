//! Scratch databases for tests: each test gets a database of its own on the
//! server that `HERALD_TEST_DATABASE_URL` names, so tests run in parallel
//! without seeing each other; it is dropped when the value is.

use sqlx::{Connection, PgConnection};

/// The variable naming the PostgreSQL server tests may use.
pub const TEST_DATABASE_URL_ENV: &str = "HERALD_TEST_DATABASE_URL";

/// The server URL tests should use, when set (and not empty).
pub fn test_server_url() -> Option<String> {
    std::env::var(TEST_DATABASE_URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A database created for one test.
#[derive(Debug)]
pub struct ScratchDatabase {
    server_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates a fresh, empty database on the server of `server_url`.
    pub async fn create(server_url: &str) -> Result<ScratchDatabase, sqlx::Error> {
        let name = format!("herald_test_{:016x}", rand::random::<u64>());
        let mut admin = PgConnection::connect(server_url).await?;
        // The name is ours (hex digits only), so it is safe to splice in.
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        Ok(ScratchDatabase {
            url: with_database(server_url, &name),
            server_url: server_url.to_owned(),
            name,
        })
    }

    /// The URL of the scratch database.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many connections Herald (`application_name` herald) holds to
    /// this database now.
    pub async fn herald_connections(&self) -> Result<i64, sqlx::Error> {
        let mut admin = PgConnection::connect(&self.server_url).await?;
        let count = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'herald'",
        )
        .bind(&self.name)
        .fetch_one(&mut admin)
        .await?;
        admin.close().await?;
        Ok(count)
    }
}

impl ScratchDatabase {
    /// Ends every connection to this database named `application_name`
    /// (as a network cut would); how many there were.
    pub async fn terminate(&self, application_name: &str) -> Result<i64, sqlx::Error> {
        let mut admin = PgConnection::connect(&self.server_url).await?;
        let count = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = $2",
        )
        .bind(&self.name)
        .bind(application_name)
        .fetch_one(&mut admin)
        .await?;
        admin.close().await?;
        Ok(count)
    }
}

impl Drop for ScratchDatabase {
    /// Drops the database (closing whatever is still connected). Runs on a
    /// thread of its own so that it works inside and outside a runtime.
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&server_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(e) = sqlx::query(&sql).execute(&mut admin).await {
                        eprintln!("could not drop scratch database {name}: {e}");
                    }
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// `url` with its database (the path) replaced by `database`, query kept.
pub fn with_database(url: &str, database: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let (head, query) = match url[authority_start..].find('?') {
        Some(i) => url.split_at(authority_start + i),
        None => (url, ""),
    };
    let base = match head[authority_start..].find('/') {
        Some(i) => &head[..authority_start + i],
        None => head,
    };
    format!("{base}/{database}{query}")
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_and_keeps_the_query() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
        assert_eq!(with_database("postgres://h?a=b", "x"), "postgres://h/x?a=b");
    }
}

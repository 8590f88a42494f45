//! Command line and environment configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "herald",
    version,
    about = "A self-hosted notification service that speaks the AWS wire protocol",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// With no subcommand, `herald [OPTIONS]` is `herald serve [OPTIONS]`.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Manage the keys of a credentials file.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Copy the embedded store to a new file, consistently, while a server
    /// runs on it or not. (For PostgreSQL, use pg_dump.)
    Backup(BackupArgs),
    /// Replace the embedded store with a backup; the server must be
    /// stopped. (For PostgreSQL, use pg_restore.)
    Restore(RestoreArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    /// The file to write; refused if it exists.
    #[arg(long)]
    pub to: PathBuf,

    /// The data directory of the store to copy.
    #[arg(long, env = "HERALD_DATA_DIR", default_value = "./herald-data")]
    pub data_dir: PathBuf,

    /// Set when the store is PostgreSQL: then this command refuses and
    /// points to pg_dump.
    #[arg(long, env = "HERALD_DATABASE_URL", hide = true)]
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RestoreArgs {
    /// The backup to restore (a file `herald backup` wrote).
    #[arg(long)]
    pub from: PathBuf,

    /// The data directory to restore into; created if missing.
    #[arg(long, env = "HERALD_DATA_DIR", default_value = "./herald-data")]
    pub data_dir: PathBuf,

    /// Replace the store the data directory already holds.
    #[arg(long)]
    pub force: bool,

    /// Set when the store is PostgreSQL: then this command refuses and
    /// points to pg_restore.
    #[arg(long, env = "HERALD_DATABASE_URL", hide = true)]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Append a key with a freshly generated secret; prints the secret once.
    Add(AddKeyArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct AddKeyArgs {
    /// The credentials file to append to (created with mode 0600).
    #[arg(long, env = "HERALD_CREDENTIALS")]
    pub credentials: PathBuf,

    /// admin, connect-user or chime-user.
    #[arg(long, value_parser = ["admin", "connect-user", "chime-user"])]
    pub role: String,

    /// The account the key acts in (12 digits).
    #[arg(long)]
    pub account_id: String,

    /// For connect-user: the ARN of the one user the key may act for.
    #[arg(
        long,
        required_if_eq("role", "connect-user"),
        conflicts_with = "chime_bearer_arn"
    )]
    pub connect_user_arn: Option<String>,

    /// For chime-user: the AppInstanceUser ARN the key may act as.
    #[arg(long, required_if_eq("role", "chime-user"))]
    pub chime_bearer_arn: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "HERALD_LISTEN", default_value = "127.0.0.1:4580")]
    pub listen: SocketAddr,

    /// Directory of the embedded store; created on first run. Unused with
    /// `--database-url`.
    #[arg(long, env = "HERALD_DATA_DIR", default_value = "./herald-data")]
    pub data_dir: PathBuf,

    /// `postgres://user:password@host:port/database`: keep everything in
    /// this PostgreSQL database instead of the embedded store, so that
    /// several nodes can share it.
    #[arg(long, env = "HERALD_DATABASE_URL")]
    pub database_url: Option<String>,

    /// PostgreSQL connections this node keeps open at most.
    #[arg(long, env = "HERALD_DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,

    /// Longest one PostgreSQL statement may run, in milliseconds; also how
    /// long a request waits for a connection. A request's whole store call
    /// is cut off at twice this, so none hangs on an unreachable database.
    #[arg(
        long,
        env = "HERALD_DATABASE_STATEMENT_TIMEOUT_MS",
        default_value_t = 5000
    )]
    pub database_statement_timeout_ms: u64,

    /// Region that ARNs and last-modified regions name.
    #[arg(long, env = "HERALD_REGION", default_value = "us-east-1")]
    pub region: String,

    /// Account that owns the resources of the built-in principal.
    #[arg(long, env = "HERALD_ACCOUNT_ID", default_value = "000000000000")]
    pub account_id: String,

    /// How long an expired notification is kept before the sweeper deletes it.
    #[arg(long, env = "HERALD_EXPIRY_GRACE_SECONDS", default_value_t = 3600)]
    pub expiry_grace_seconds: u64,

    /// How often the sweeper runs.
    #[arg(long, env = "HERALD_SWEEP_INTERVAL_SECONDS", default_value_t = 60)]
    pub sweep_interval_seconds: u64,

    /// TOML file of `[[keys]]`; re-read on SIGHUP. Without it Herald accepts
    /// only the key test/test, and only on a loopback address.
    #[arg(long, env = "HERALD_CREDENTIALS")]
    pub credentials: Option<PathBuf>,

    /// Longest time one request may take, reading its body included.
    #[arg(long, env = "HERALD_REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,

    /// How clients reach this server (e.g. `https://herald.example.com`
    /// behind a TLS proxy), for the widget URLs it hands out; without it,
    /// `http://` and the request's Host header.
    #[arg(long, env = "HERALD_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Most connections open at once; more wait until one closes. Each
    /// open widget event stream holds one. Lowered to fit the process's
    /// file-descriptor limit (raised to its hard limit at start).
    #[arg(long, env = "HERALD_MAX_CONNECTIONS", default_value_t = 16384)]
    pub max_connections: usize,

    /// URL that every Chime push delivery is POSTed to (at least once,
    /// retried with backoff until a 2xx answer). Without it deliveries are
    /// only recorded.
    #[arg(long, env = "HERALD_PUSH_WEBHOOK")]
    pub push_webhook: Option<String>,

    /// Requests per second each access key may make (a token bucket per
    /// key, refilled at this rate); beyond it, 429 ThrottlingException
    /// (ThrottledClientException for Chime). `0` or `off` turns it off.
    #[arg(
        long,
        env = "HERALD_RATE_LIMIT_PER_KEY",
        default_value = "1000",
        value_parser = parse_off_or_number::<u32>
    )]
    pub rate_limit_per_key: u32,

    /// Requests a key may make at once before the rate applies (the
    /// bucket's size) [default: twice --rate-limit-per-key].
    #[arg(long, env = "HERALD_RATE_LIMIT_BURST")]
    pub rate_limit_burst: Option<u32>,

    /// Requests worked on at once at most; more wait up to
    /// --in-flight-wait-ms for one to finish, then are refused (429
    /// ThrottlingException; 503 ServiceUnavailableException for Chime).
    /// Event streams and the health check do not count. `0` or `off`: no
    /// bound.
    #[arg(
        long,
        env = "HERALD_MAX_IN_FLIGHT",
        default_value = "512",
        value_parser = parse_off_or_number::<usize>
    )]
    pub max_in_flight: usize,

    /// How long a request waits for a place among --max-in-flight.
    #[arg(long, env = "HERALD_IN_FLIGHT_WAIT_MS", default_value_t = 2000)]
    pub in_flight_wait_ms: u64,
}

/// A number, with `off` meaning 0.
fn parse_off_or_number<T: std::str::FromStr + From<u8>>(text: &str) -> Result<T, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(T::from(0));
    }
    text.parse()
        .map_err(|_| format!("expected a whole number or `off`, got '{text}'"))
}

impl ServeArgs {
    /// The rate limit in force: the burst defaults to twice the rate.
    pub fn rate_limit(&self) -> herald_protocol::overload::RateLimitSettings {
        let per_second = self.rate_limit_per_key;
        herald_protocol::overload::RateLimitSettings {
            per_second,
            burst: self
                .rate_limit_burst
                .unwrap_or_else(|| per_second.saturating_mul(2)),
        }
    }
}

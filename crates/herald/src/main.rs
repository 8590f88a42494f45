//! The `herald` binary: parses configuration and wires the store, the
//! rules and the HTTP layer together. Nothing else lives here.

mod backup;
mod config;
mod keys;
mod serve;
mod sweeper;

use clap::Parser;

/// mimalloc instead of glibc malloc, for Rust and (through its `override`
/// feature) SQLite alike: the request paths allocate many small, short-lived
/// values, where glibc spent a quarter of a listing's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // The chain of causes, without a backtrace: this is for operators.
            eprintln!("herald: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = config::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HERALD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Some(config::Command::Serve(args)) => serve::run(args).await,
        Some(config::Command::Keys(config::KeysCommand::Add(args))) => keys::add(args),
        Some(config::Command::Backup(args)) => backup::backup(args).await,
        Some(config::Command::Restore(args)) => backup::restore(args).await,
        None => serve::run(cli.serve).await,
    }
}

//! What the fuzz targets and the seed generator (`examples/seed_corpus.rs`)
//! must agree on: fixed keys, scopes and clocks, and how a target splits
//! its input. Harness only; every decoder called is Herald's own.

use herald_domain::live::SessionTokens;
use herald_domain::pagination::{TokenCodec, TokenScope};
use jiff::Timestamp;

/// The store secret both token kinds derive from.
pub const SECRET: &[u8] = b"herald fuzz secret";

/// The server's clock for the time-checking decoders: 2026-12-01T12:00:00Z.
pub fn now() -> Timestamp {
    Timestamp::from_second(1_796_126_400).expect("a valid timestamp")
}

/// The `x-amz-date` the seed signature was made at (equal to [`now`]).
pub const AMZ_DATE: &str = "20261201T120000Z";
pub const REGION: &str = "us-east-1";
pub const ACCESS_KEY: &str = "test";
pub const SECRET_KEY: &str = "test";
pub const HOST: &str = "127.0.0.1:4580";

pub fn token_codec() -> TokenCodec {
    TokenCodec::new(SECRET.to_vec())
}

pub fn session_tokens() -> SessionTokens {
    SessionTokens::new(SECRET)
}

/// The scope the pagination target redeems tokens in.
pub fn token_scope() -> TokenScope {
    TokenScope::new("ListNotifications", &("instance-1",))
}

/// Splits `data` at the first `separator`: (before, after); all of it is
/// `before` when there is none.
pub fn split_once(data: &[u8], separator: u8) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == separator) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}

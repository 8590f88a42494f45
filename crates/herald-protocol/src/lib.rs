//! Herald's HTTP face: the AWS restJson1 protocol for each service, and
//! Herald's own endpoints under `/_herald/`.

pub mod auth;
pub mod aws;
pub mod chime;
pub mod connect;
mod dispatch;
pub mod herald_api;
pub mod overload;
pub mod push_webhook;
pub mod server;
pub mod widget;

use std::sync::Arc;

use axum::Router;
use axum::routing::any;
use herald_domain::chime::ChimeService;
use herald_domain::connect::ConnectService;
use herald_domain::live::LiveHub;

pub use dispatch::MAX_BODY_BYTES;

/// Everything a request handler needs.
pub struct AppState {
    pub connect: ConnectService,
    pub chime: Arc<ChimeService>,
    pub connect_routes: Vec<aws::routing::Route<connect::ConnectOp>>,
    pub chime_routes: Vec<aws::routing::Route<chime::ChimeOp>>,
    pub herald_routes: Vec<aws::routing::Route<herald_api::HeraldOp>>,
    /// The keys requests must be signed with.
    pub keys: Arc<auth::credentials::Keys>,
    /// This node's live event streams.
    pub live: LiveHub,
    pub renders: Arc<widget::RenderCache>,
    /// How clients reach this server (`https://herald.example.com`), for
    /// the URLs it hands out; without it, `http://` and the request's Host.
    pub public_url: Option<String>,
    /// Per-key token buckets, checked once a signature is verified.
    pub rate_limits: overload::RateLimits,
    /// The bound on requests in progress.
    pub admission: overload::Admission,
}

impl AppState {
    pub fn new(
        connect: ConnectService,
        chime: Arc<ChimeService>,
        keys: Arc<auth::credentials::Keys>,
        live: LiveHub,
    ) -> Self {
        AppState {
            connect,
            chime,
            connect_routes: connect::routes(),
            chime_routes: chime::routes(),
            herald_routes: herald_api::routes(),
            keys,
            live,
            renders: Arc::new(widget::RenderCache::new()),
            public_url: None,
            rate_limits: overload::RateLimits::off(),
            admission: overload::Admission::unbounded(),
        }
    }
}

/// The whole HTTP application. `request_timeout` bounds each request,
/// body included, so a slow client cannot hold a handler forever.
pub fn router(state: Arc<AppState>, request_timeout: std::time::Duration) -> Router {
    Router::new()
        .route("/_herald/health", any(dispatch::health))
        .merge(widget::routes())
        .fallback(dispatch::aws)
        .with_state(state)
        .layer(axum::middleware::from_fn(move |request, next| {
            dispatch::deadline(request_timeout, request, next)
        }))
        .layer(axum::middleware::from_fn(dispatch::request_id))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            dispatch::panic_response,
        ))
}

//! The live notification widget over HTTP: the page and its script, the
//! event stream, and the two writes the widget makes. Everything here is
//! authenticated by a widget session token (see
//! `herald_domain::live::session`), not by SigV4, so a browser can use it.

mod markdown;
mod view;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use herald_domain::connect::{StatusUpdateInput, WidgetAccess};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::json;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tower_http::cors::{Any, CorsLayer};

use crate::AppState;
use crate::aws::routing::{Labels, parse_query};
use crate::aws::{AwsError, AwsRequest};
use crate::connect::errors::to_aws;

pub use view::RenderCache;

const PAGE: &str = include_str!("assets/widget.html");
const SCRIPT: &str = include_str!("assets/widget.js");
/// The standalone page runs only its own script; content never runs any.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *";
/// Comments on an idle stream, so that proxies do not close it.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How soon an `EventSource` reconnects after a drop.
const RECONNECT: Duration = Duration::from_secs(1);
/// The widget's writes are tiny.
const MAX_WRITE_BODY: usize = 16 * 1024;

pub fn routes() -> Router<Arc<AppState>> {
    // Tokens travel in the URL or the Authorization header, never in
    // cookies: any origin may embed the widget.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([http::Method::GET, http::Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("last-event-id"),
        ])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/_herald/widget", get(page))
        .route("/_herald/widget.js", get(script))
        .route("/_herald/events", get(events))
        .route("/_herald/widget/status", post(set_status))
        .route("/_herald/widget/read-all", post(read_all))
        .layer(cors)
}

async fn page() -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    // The token is in the fragment; still, never pass it on.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        SCRIPT,
    )
        .into_response()
}

fn unauthorized(message: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::UNAUTHORIZED, "UnauthorizedException", message)
}

/// The token from `?token=` (EventSource cannot send headers) or from
/// `Authorization: Bearer`.
fn access(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<WidgetAccess, AwsError> {
    let from_query = parse_query(query)
        .into_iter()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value);
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned);
    let token = from_query.or(from_header).ok_or_else(|| {
        unauthorized("A widget token is required: ?token=… or Authorization: Bearer ….")
    })?;
    state
        .connect
        .widget_access(token.trim())
        .map_err(|refusal| unauthorized(refusal.to_string()))
}

/// The widget's writes count against the in-flight bound as API calls do.
/// (They have no rate limit of their own: a token is minted by a signed,
/// rate-limited call, and its writes are a person's clicks.)
async fn admit(state: &AppState) -> Result<crate::overload::Admitted, AwsError> {
    state
        .admission
        .enter()
        .await
        .map_err(|error| crate::connect::errors::overload(&error))
}

fn refused(error: AwsError) -> Response {
    let mut response = error.into_response();
    if response.status() == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"herald-widget\""),
        );
    }
    response
}

async fn events(State(state): State<Arc<AppState>>, request: axum::extract::Request) -> Response {
    let (parts, _) = request.into_parts();
    let access = match access(&state, &parts.headers, parts.uri.query()) {
        Ok(access) => access,
        Err(error) => return refused(error),
    };
    let subject = match state.connect.widget_subject(&access).await {
        Ok(subject) => subject,
        Err(error) => return refused(to_aws(error)),
    };
    let last_event_id = parts
        .headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok());
    let live = state
        .live
        .open(subject, last_event_id, access.grant.expires_at);
    let renders = state.renders.clone();
    let mut first = true;
    let stream = ReceiverStream::new(live).map(move |event| {
        let (name, id, data) = renders.event(&event);
        let mut sse = Event::default().event(name).id(id).data(data);
        if std::mem::take(&mut first) {
            sse = sse.retry(RECONNECT);
        }
        Ok::<_, Infallible>(sse)
    });
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat"))
        .into_response();
    // nginx and the like buffer responses unless told not to.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// The widget's write requests, read as AWS requests are (NUL refused,
/// members named in errors).
pub fn body(bytes: Bytes) -> Result<AwsRequest, AwsError> {
    if bytes.len() > MAX_WRITE_BODY {
        return Err(AwsError::too_large(MAX_WRITE_BODY));
    }
    Ok(AwsRequest {
        labels: Labels::default(),
        query: Vec::new(),
        headers: HeaderMap::new(),
        body: bytes,
    })
}

/// Public only so that the fuzz target decodes it as the handler does.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StatusRequest {
    notification_id: Option<String>,
    status: Option<String>,
}

async fn set_status(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let result = async {
        let access = access(&state, &headers, None)?;
        let _admitted = admit(&state).await?;
        let request: StatusRequest = body(bytes)?.json()?;
        let notification_id = request
            .notification_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| AwsError::invalid_parameter("NotificationId is required."))?;
        state
            .connect
            .update_user_notification_status(
                &access.caller,
                StatusUpdateInput {
                    instance_id: access.grant.instance_id.clone(),
                    user_id: access.grant.user_id.clone(),
                    notification_id,
                    status: request.status,
                    ..StatusUpdateInput::default()
                },
            )
            .await
            .map_err(to_aws)?;
        Ok::<_, AwsError>(axum::Json(json!({})).into_response())
    }
    .await;
    result.unwrap_or_else(refused)
}

/// Public only so that the fuzz target decodes it as the handler does.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReadAllRequest {
    next_token: Option<String>,
}

async fn read_all(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let result = async {
        let access = access(&state, &headers, None)?;
        let _admitted = admit(&state).await?;
        let request: ReadAllRequest = body(bytes)?.json()?;
        let (updated, resume) = state
            .connect
            .mark_all_read(&access, request.next_token.as_deref())
            .await
            .map_err(to_aws)?;
        Ok::<_, AwsError>(
            axum::Json(json!({
                "Updated": updated,
                "Remaining": resume.is_some(),
                "NextToken": resume,
            }))
            .into_response(),
        )
    }
    .await;
    result.unwrap_or_else(refused)
}

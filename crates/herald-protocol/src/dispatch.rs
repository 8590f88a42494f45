//! From an HTTP request to an operation handler and back: request ids,
//! the body limit, route lookup, and the last-resort panic response.

use std::any::Any;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::HeaderValue;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tracing::Instrument;

use crate::AppState;
use crate::auth::authenticate::{
    RequestToVerify, Service, check_headers, service_for_path, verify,
};
use crate::aws::routing::{self, parse_query};
use crate::aws::{AwsError, AwsRequest};
use crate::overload::OverloadError;
use crate::{chime, connect, herald_api};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub async fn health(method: http::Method) -> Response {
    if method != http::Method::GET && method != http::Method::HEAD {
        return AwsError::unknown_operation(&method, "/_herald/health").into_response();
    }
    axum::Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
    }))
    .into_response()
}

/// Gives every response an `x-amzn-RequestId` and every log line of the
/// request that id.
pub async fn request_id(request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path());
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| tracing::debug!(status = %response.status(), "response"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amzn-RequestId", value);
    }
    response
}

/// Answers 408 when a request (reading its body included) takes too long.
pub async fn deadline(limit: std::time::Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AwsError::new(
            http::StatusCode::REQUEST_TIMEOUT,
            "RequestTimeoutException",
            format!(
                "The request did not complete within {} seconds.",
                limit.as_secs()
            ),
        )
        .into_response(),
    }
}

pub fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    AwsError::internal().into_response()
}

/// A refused body up to this size is read and thrown away before the 413
/// goes out, so that closing the connection does not reset it under a
/// client still sending (which can destroy the answer before it is read).
/// Larger ones are cut off.
const LINGER_BYTES: u64 = 4 * MAX_BODY_BYTES as u64;

async fn discard(body: Body) {
    let mut body = Limited::new(body, LINGER_BYTES as usize);
    while let Some(Ok(_)) = body.frame().await {}
}

async fn read_body(body: Body, declared_length: Option<u64>) -> Result<bytes::Bytes, AwsError> {
    if declared_length.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(AwsError::too_large(MAX_BODY_BYTES));
    }
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(AwsError::too_large(MAX_BODY_BYTES))
        }
        Err(_) => Err(AwsError::invalid_request(
            "The request body could not be read.",
        )),
    }
}

/// Every path that is not Herald's own goes through the AWS route tables.
pub async fn aws(State(state): State<Arc<AppState>>, request: Request) -> Response {
    match route_aws(&state, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn route_aws(state: &AppState, request: Request) -> Result<Response, AwsError> {
    let (parts, body) = request.into_parts();
    let declared_length = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let path = parts.uri.path();
    // The signature covers the normalised path; routing reads the raw one.
    // Refusing what normalisation would change keeps the two the same.
    if path
        .split('/')
        .skip(1)
        .any(|segment| matches!(segment, "" | "." | ".."))
        && path != "/"
    {
        return Err(AwsError::invalid_request(
            "The path must not contain empty, '.' or '..' segments.",
        ));
    }
    if let Some(length) = declared_length.filter(|length| *length > MAX_BODY_BYTES as u64) {
        if length <= LINGER_BYTES {
            discard(body).await;
        }
        return Err(AwsError::too_large(MAX_BODY_BYTES));
    }
    // Headers first, so an unauthenticated client cannot make us buffer a
    // body; then the body, whose hash the signature covers.
    let pending = check_headers(
        &state.keys,
        state.connect.region(),
        path,
        &parts.headers,
        jiff::Timestamp::now(),
    )?;
    let body = read_body(body, declared_length).await?;
    let access_key_id = pending.access_key_id().to_owned();
    let service = service_for_path(path);
    let caller = verify(
        pending,
        &RequestToVerify {
            method: &parts.method,
            raw_path: path,
            raw_query: parts.uri.query(),
            headers: &parts.headers,
            authority: parts.uri.authority().map(|a| a.as_str()),
            body: &body,
        },
    )?;
    // After the signature: only the key's holder spends its tokens.
    state
        .rate_limits
        .check(&access_key_id)
        .map_err(|error| overload_error(service, &error))?;
    let query = parse_query(parts.uri.query());
    let not_found = || AwsError::unknown_operation(&parts.method, path);
    let (op, labels) = match service {
        Service::Connect => {
            let (route, labels) =
                routing::find(&state.connect_routes, &parts.method, path, &query)?
                    .ok_or_else(not_found)?;
            (Op::Connect(route.op), labels)
        }
        Service::Chime => {
            let (route, labels) = routing::find(&state.chime_routes, &parts.method, path, &query)
                .map_err(chime::wire)?
                .ok_or_else(not_found)?;
            (Op::Chime(route.op), labels)
        }
        Service::Herald => {
            let (route, labels) = routing::find(&state.herald_routes, &parts.method, path, &query)?
                .ok_or_else(not_found)?;
            (Op::Herald(route.op), labels)
        }
    };
    tracing::debug!(?op, "operation");
    if let Some((name, _)) = query
        .iter()
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
    {
        // No stored value holds U+0000 (PostgreSQL text cannot).
        let error = AwsError::invalid_parameter(format!(
            "Query parameter {} must not contain NUL (%00).",
            name.escape_debug()
        ));
        return Err(match op {
            Op::Chime(_) => chime::wire(error),
            _ => error,
        });
    }
    let request = AwsRequest {
        labels,
        query,
        headers: parts.headers,
        body,
    };
    // Held until the operation's answer is built; the body is read already.
    let _admitted = state
        .admission
        .enter()
        .await
        .map_err(|error| overload_error(service, &error))?;
    match op {
        Op::Connect(op) => connect::handle(&state.connect, &caller, op, request).await,
        Op::Chime(op) => Ok(chime::handle(&state.chime, &caller, op, request).await),
        Op::Herald(op) => herald_api::handle(state, &caller, op, request).await,
    }
}

/// Each service names a refusal for overload as AWS does.
fn overload_error(service: Service, error: &OverloadError) -> AwsError {
    match service {
        Service::Chime => chime::overload(error),
        Service::Connect | Service::Herald => connect::errors::overload(error),
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Connect(connect::ConnectOp),
    Chime(chime::ChimeOp),
    Herald(herald_api::HeraldOp),
}

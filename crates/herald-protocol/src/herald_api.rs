//! Herald's own signed endpoints under `/_herald/` (SigV4 service name
//! `herald`): what AWS has no API for.

use axum::response::{IntoResponse, Response};
use herald_domain::chime::ChimeService;
use herald_domain::{Caller, Role};
use http::{Method, StatusCode};
use serde_json::json;

use crate::AppState;
use crate::aws::routing::Route;
use crate::aws::timestamp::to_epoch_seconds;
use crate::aws::{AwsError, AwsRequest};
use crate::chime::shapes;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeraldOp {
    ListPushDeliveries,
    CreateWidgetSession,
}

pub fn routes() -> Vec<Route<HeraldOp>> {
    vec![
        Route::new(
            Method::GET,
            "/_herald/push-deliveries",
            HeraldOp::ListPushDeliveries,
        ),
        Route::new(
            Method::POST,
            "/_herald/widget-sessions",
            HeraldOp::CreateWidgetSession,
        ),
    ]
}

fn access_denied(message: &str) -> AwsError {
    AwsError::new(StatusCode::FORBIDDEN, "AccessDeniedException", message)
}

/// Public only so that the fuzz target decodes it as the handler does.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WidgetSessionRequest {
    instance_id: Option<String>,
    user_id: Option<String>,
    duration_seconds: Option<i64>,
}

pub async fn handle(
    state: &AppState,
    caller: &Caller,
    op: HeraldOp,
    request: AwsRequest,
) -> Result<Response, AwsError> {
    let chime: &ChimeService = &state.chime;
    match op {
        HeraldOp::CreateWidgetSession => {
            let body: WidgetSessionRequest = request.json()?;
            let session = state
                .connect
                .create_widget_session(
                    caller,
                    body.instance_id,
                    body.user_id,
                    body.duration_seconds,
                )
                .await
                .map_err(crate::connect::errors::to_aws)?;
            let base = match &state.public_url {
                Some(base) => base.trim_end_matches('/').to_owned(),
                None => format!(
                    "http://{}",
                    request
                        .headers
                        .get(http::header::HOST)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or("localhost")
                ),
            };
            // The token rides in the fragment: browsers never send it to
            // a server or in a Referer.
            let url = format!("{base}/_herald/widget#token={}", session.token);
            Ok((
                StatusCode::OK,
                axum::Json(json!({
                    "Token": session.token,
                    "ExpiresAt": to_epoch_seconds(session.expires_at),
                    "WidgetUrl": url,
                })),
            )
                .into_response())
        }
        HeraldOp::ListPushDeliveries => {
            if caller.role != Role::Admin {
                return Err(access_denied(
                    "Only administrator keys may list push deliveries.",
                ));
            }
            let deliveries = chime
                .list_push_deliveries(
                    caller,
                    request.query_one("channelArn")?,
                    request.query_one("messageId")?,
                )
                .await
                .map_err(|error| {
                    let aws = crate::chime::to_aws(error);
                    // Herald's own API names input errors as Connect does.
                    if aws.status == StatusCode::BAD_REQUEST {
                        AwsError::invalid_parameter(aws.message)
                    } else {
                        aws
                    }
                })?;
            let items: Vec<_> = deliveries.iter().map(shapes::delivery).collect();
            Ok((StatusCode::OK, axum::Json(json!({ "Deliveries": items }))).into_response())
        }
    }
}

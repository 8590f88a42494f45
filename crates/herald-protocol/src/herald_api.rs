//! Herald's own signed endpoints under `/_herald/` (SigV4 service name
//! `herald`): what AWS has no API for.

use axum::response::{IntoResponse, Response};
use herald_domain::chime::ChimeService;
use herald_domain::{Caller, Role};
use http::{Method, StatusCode};
use serde_json::json;

use crate::aws::routing::Route;
use crate::aws::{AwsError, AwsRequest};
use crate::chime::shapes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeraldOp {
    ListPushDeliveries,
}

pub fn routes() -> Vec<Route<HeraldOp>> {
    vec![Route::new(
        Method::GET,
        "/_herald/push-deliveries",
        HeraldOp::ListPushDeliveries,
    )]
}

fn access_denied(message: &str) -> AwsError {
    AwsError::new(StatusCode::FORBIDDEN, "AccessDeniedException", message)
}

pub async fn handle(
    chime: &ChimeService,
    caller: &Caller,
    op: HeraldOp,
    request: AwsRequest,
) -> Result<Response, AwsError> {
    match op {
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

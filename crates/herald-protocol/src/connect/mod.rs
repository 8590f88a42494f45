//! Amazon Connect over restJson1: the route table, the shapes, and one
//! handler per operation, grouped by resource.

mod directory;
mod errors;
mod notifications;
pub mod router;
mod search;
pub mod shapes;
mod tags;
mod user_notifications;

use axum::response::{IntoResponse, Response};
use herald_domain::connect::ConnectService;
use herald_domain::{Caller, ConnectError};
use http::StatusCode;
use serde::Serialize;

use crate::aws::{AwsError, AwsRequest};
pub use router::{ConnectOp, routes};

type HandlerResult = Result<Response, AwsError>;

fn domain(error: ConnectError) -> AwsError {
    errors::to_aws(error)
}

fn json<T: Serialize>(body: &T) -> Response {
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// 200 with `{}`: operations whose output shape has no members.
fn empty() -> Response {
    json(&serde_json::json!({}))
}

pub async fn handle(
    service: &ConnectService,
    caller: &Caller,
    op: ConnectOp,
    request: AwsRequest,
) -> HandlerResult {
    use ConnectOp::*;
    match op {
        CreateInstance => directory::create_instance(service, caller, request).await,
        DescribeInstance => directory::describe_instance(service, caller, request).await,
        ListInstances => directory::list_instances(service, caller, request).await,
        DeleteInstance => directory::delete_instance(service, caller, request).await,
        CreateUser => directory::create_user(service, caller, request).await,
        DescribeUser => directory::describe_user(service, caller, request).await,
        ListUsers => directory::list_users(service, caller, request).await,
        DeleteUser => directory::delete_user(service, caller, request).await,
        CreateNotification => notifications::create(service, caller, request).await,
        DescribeNotification => notifications::describe(service, caller, request).await,
        ListNotifications => notifications::list(service, caller, request).await,
        UpdateNotificationContent => notifications::update_content(service, caller, request).await,
        DeleteNotification => notifications::delete(service, caller, request).await,
        ListUserNotifications => user_notifications::list(service, caller, request).await,
        UpdateUserNotificationStatus => user_notifications::update_status(service, caller, request).await,
        SearchNotifications => search::search(service, caller, request).await,
        TagResource => tags::tag(service, caller, request).await,
        UntagResource => tags::untag(service, caller, request).await,
        ListTagsForResource => tags::list(service, caller, request).await,
    }
}

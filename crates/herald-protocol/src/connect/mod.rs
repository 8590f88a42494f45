//! Amazon Connect over restJson1: the route table, the shapes, and one
//! handler per operation, grouped by resource.

mod directory;
pub(crate) mod errors;
mod notifications;
pub mod router;
pub mod search;
pub mod shapes;
mod tags;
mod user_notifications;

use axum::response::{IntoResponse, Response};
use herald_domain::connect::ConnectService;
use herald_domain::{Caller, ConnectAccess, ConnectError};
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

/// A page of a listing: the items under `member`, and `NextToken` when
/// there is a next page.
fn listing<T: Serialize>(member: &str, items: &[T], next_token: Option<String>) -> Response {
    json(&Listing {
        member,
        items,
        next_token,
    })
}

/// A listing's body, serialised as it is written: no `serde_json::Value`
/// tree of the page (a map and a string per field of every item) built
/// and dropped in between.
struct Listing<'a, T> {
    member: &'a str,
    items: &'a [T],
    next_token: Option<String>,
}

impl<T: Serialize> Serialize for Listing<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1 + usize::from(self.next_token.is_some())))?;
        map.serialize_entry(self.member, self.items)?;
        if let Some(token) = &self.next_token {
            map.serialize_entry("NextToken", token)?;
        }
        map.end()
    }
}

/// 200 with `{}`: operations whose output shape has no members.
fn empty() -> Response {
    json(&serde_json::json!({}))
}

/// The access each operation needs; every operation is listed, so a new
/// one cannot be added without deciding who may call it.
fn access(op: ConnectOp, request: &AwsRequest) -> ConnectAccess<'_> {
    use ConnectOp::*;
    match op {
        ListUserNotifications | UpdateUserNotificationStatus => ConnectAccess::ActAsUser {
            instance_id: request.labels.get("InstanceId").unwrap_or_default(),
            user_id: request.labels.get("UserId").unwrap_or_default(),
        },
        CreateNotification
        | DescribeNotification
        | ListNotifications
        | SearchNotifications
        | UpdateNotificationContent
        | DeleteNotification
        | CreateInstance
        | DescribeInstance
        | ListInstances
        | DeleteInstance
        | CreateUser
        | DescribeUser
        | ListUsers
        | DeleteUser
        | TagResource
        | UntagResource
        | ListTagsForResource => ConnectAccess::Administer,
    }
}

pub async fn handle(
    service: &ConnectService,
    caller: &Caller,
    op: ConnectOp,
    request: AwsRequest,
) -> HandlerResult {
    use ConnectOp::*;
    caller
        .authorize_connect(service.region(), access(op, &request))
        .map_err(domain)?;
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
        UpdateUserNotificationStatus => {
            user_notifications::update_status(service, caller, request).await
        }
        SearchNotifications => search::search(service, caller, request).await,
        TagResource => tags::tag(service, caller, request).await,
        UntagResource => tags::untag(service, caller, request).await,
        ListTagsForResource => tags::list(service, caller, request).await,
    }
}

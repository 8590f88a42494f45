//! Chime SDK Identity and Messaging over restJson1: the route table, the
//! shapes, and one handler per operation, grouped by resource.

mod channels;
mod errors;
mod identity;
mod memberships;
mod messages;
mod moderation;
pub mod router;
pub mod shapes;

use axum::response::{IntoResponse, Response};
use herald_domain::chime::{ChimeError, ChimeService};
use herald_domain::{Caller, ChimeAccess};
use http::{HeaderValue, StatusCode};
use serde_json::Value;

use crate::aws::{AwsError, AwsRequest};
pub use errors::{overload, to_aws, wire};
pub use router::{ChimeOp, routes};

type HandlerResult = Result<Response, AwsError>;

const BEARER_HEADER: &str = "x-amz-chime-bearer";

fn domain(error: ChimeError) -> AwsError {
    errors::to_aws(error)
}

fn respond(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn ok(body: Value) -> Response {
    respond(StatusCode::OK, body)
}

fn created(body: Value) -> Response {
    respond(StatusCode::CREATED, body)
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A page of a listing: `items` under `member`, `NextToken` when there is
/// more, and any further members (`ChannelArn`, …).
fn listing(
    member: &str,
    items: Vec<Value>,
    next_token: Option<String>,
    extra: &[(&str, &str)],
) -> Response {
    let mut body = serde_json::Map::new();
    for (name, value) in extra {
        body.insert((*name).to_owned(), Value::from(*value));
    }
    body.insert(member.to_owned(), Value::Array(items));
    if let Some(token) = next_token {
        body.insert("NextToken".to_owned(), Value::from(token));
    }
    ok(Value::Object(body))
}

/// Accessors that report bad input as Chime's `BadRequestException`.
trait ChimeRequest {
    fn chime_label(&self, name: &str) -> Result<String, AwsError>;
    fn bearer(&self) -> Result<Option<&str>, AwsError>;
    fn chime_query(&self, name: &str) -> Result<Option<&str>, AwsError>;
    fn chime_paging(&self) -> Result<(Option<i64>, Option<&str>), AwsError>;
    fn chime_json<T: serde::de::DeserializeOwned>(&self) -> Result<T, AwsError>;
}

impl ChimeRequest for AwsRequest {
    fn chime_label(&self, name: &str) -> Result<String, AwsError> {
        self.label(name).map_err(errors::wire)
    }

    fn bearer(&self) -> Result<Option<&str>, AwsError> {
        self.header(BEARER_HEADER).map_err(errors::wire)
    }

    fn chime_query(&self, name: &str) -> Result<Option<&str>, AwsError> {
        self.query_one(name).map_err(errors::wire)
    }

    fn chime_paging(&self) -> Result<(Option<i64>, Option<&str>), AwsError> {
        let max_results = self.query_int("max-results").map_err(errors::wire)?;
        Ok((max_results, self.chime_query("next-token")?))
    }

    fn chime_json<T: serde::de::DeserializeOwned>(&self) -> Result<T, AwsError> {
        self.json().map_err(errors::wire)
    }
}

/// The access each operation needs; every operation is listed, so a new
/// one cannot be added without deciding who may call it.
fn access(op: ChimeOp, request: &AwsRequest) -> ChimeAccess<'_> {
    use ChimeOp::*;
    match op {
        CreateAppInstance
        | DescribeAppInstance
        | ListAppInstances
        | DeleteAppInstance
        | CreateAppInstanceUser
        | ListAppInstanceUsers
        | DeleteAppInstanceUser
        | CreateAppInstanceAdmin
        | ListAppInstanceAdmins
        | DeleteAppInstanceAdmin => ChimeAccess::Administer,
        DescribeAppInstanceUser
        | RegisterAppInstanceUserEndpoint
        | DescribeAppInstanceUserEndpoint
        | UpdateAppInstanceUserEndpoint
        | ListAppInstanceUserEndpoints
        | DeregisterAppInstanceUserEndpoint => ChimeAccess::OwnUser {
            user_arn: request.labels.get("appInstanceUserArn").unwrap_or_default(),
        },
        CreateChannel
        | DescribeChannel
        | ListChannels
        | DeleteChannel
        | CreateChannelMembership
        | BatchCreateChannelMembership
        | DescribeChannelMembership
        | ListChannelMemberships
        | DeleteChannelMembership
        | CreateChannelModerator
        | ListChannelModerators
        | DeleteChannelModerator
        | CreateChannelBan
        | DescribeChannelBan
        | ListChannelBans
        | DeleteChannelBan
        | SendChannelMessage
        | GetChannelMessage
        | ListChannelMessages
        | PutChannelMembershipPreferences
        | GetChannelMembershipPreferences
        | Unimplemented(_) => ChimeAccess::AsBearer {
            bearer: request
                .headers
                .get(BEARER_HEADER)
                .and_then(|value| value.to_str().ok()),
        },
    }
}

pub async fn handle(
    service: &ChimeService,
    caller: &Caller,
    op: ChimeOp,
    request: AwsRequest,
) -> Response {
    if let ChimeOp::Unimplemented(name) = op {
        return unimplemented(name).into_response();
    }
    let result = match caller.authorize_chime(access(op, &request)) {
        Ok(()) => dispatch(service, caller, op, request).await,
        Err(error) => Err(domain(error)),
    };
    match result {
        Ok(response) => response,
        Err(error) => {
            let unavailable = error.status == StatusCode::SERVICE_UNAVAILABLE;
            let mut response = error.into_response();
            if unavailable {
                response.headers_mut().insert(
                    http::header::RETRY_AFTER,
                    HeaderValue::from(errors::RETRY_AFTER_SECONDS),
                );
            }
            response
        }
    }
}

fn unimplemented(name: &str) -> AwsError {
    AwsError::new(
        StatusCode::NOT_FOUND,
        "UnknownOperationException",
        format!("Herald does not implement {name}."),
    )
}

async fn dispatch(
    service: &ChimeService,
    caller: &Caller,
    op: ChimeOp,
    request: AwsRequest,
) -> HandlerResult {
    use ChimeOp::*;
    let (s, c, r) = (service, caller, request);
    match op {
        CreateAppInstance => identity::create_app_instance(s, c, r).await,
        DescribeAppInstance => identity::describe_app_instance(s, c, r).await,
        ListAppInstances => identity::list_app_instances(s, c, r).await,
        DeleteAppInstance => identity::delete_app_instance(s, c, r).await,
        CreateAppInstanceUser => identity::create_user(s, c, r).await,
        DescribeAppInstanceUser => identity::describe_user(s, c, r).await,
        ListAppInstanceUsers => identity::list_users(s, c, r).await,
        DeleteAppInstanceUser => identity::delete_user(s, c, r).await,
        CreateAppInstanceAdmin => identity::create_admin(s, c, r).await,
        ListAppInstanceAdmins => identity::list_admins(s, c, r).await,
        DeleteAppInstanceAdmin => identity::delete_admin(s, c, r).await,
        RegisterAppInstanceUserEndpoint => identity::register_endpoint(s, c, r).await,
        DescribeAppInstanceUserEndpoint => identity::describe_endpoint(s, c, r).await,
        UpdateAppInstanceUserEndpoint => identity::update_endpoint(s, c, r).await,
        ListAppInstanceUserEndpoints => identity::list_endpoints(s, c, r).await,
        DeregisterAppInstanceUserEndpoint => identity::deregister_endpoint(s, c, r).await,
        CreateChannel => channels::create(s, c, r).await,
        DescribeChannel => channels::describe(s, c, r).await,
        ListChannels => channels::list(s, c, r).await,
        DeleteChannel => channels::delete(s, c, r).await,
        CreateChannelMembership => memberships::create(s, c, r).await,
        BatchCreateChannelMembership => memberships::batch_create(s, c, r).await,
        DescribeChannelMembership => memberships::describe(s, c, r).await,
        ListChannelMemberships => memberships::list(s, c, r).await,
        DeleteChannelMembership => memberships::delete(s, c, r).await,
        CreateChannelModerator => moderation::create_moderator(s, c, r).await,
        ListChannelModerators => moderation::list_moderators(s, c, r).await,
        DeleteChannelModerator => moderation::delete_moderator(s, c, r).await,
        CreateChannelBan => moderation::create_ban(s, c, r).await,
        DescribeChannelBan => moderation::describe_ban(s, c, r).await,
        ListChannelBans => moderation::list_bans(s, c, r).await,
        DeleteChannelBan => moderation::delete_ban(s, c, r).await,
        SendChannelMessage => messages::send(s, c, r).await,
        GetChannelMessage => messages::get(s, c, r).await,
        ListChannelMessages => messages::list(s, c, r).await,
        PutChannelMembershipPreferences => messages::put_preferences(s, c, r).await,
        GetChannelMembershipPreferences => messages::get_preferences(s, c, r).await,
        Unimplemented(name) => Err(unimplemented(name)),
    }
}

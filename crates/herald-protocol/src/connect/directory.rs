//! Instances and users.

use herald_domain::Caller;
use herald_domain::connect::{ConnectService, CreateInstanceInput, CreateUserInput};
use serde_json::json;

use super::shapes::{
    CreateInstanceRequest, CreateUserRequest, InstanceShape, USER_ECHOED_MEMBERS, UserSummaryShape,
    user_shape,
};
use super::{HandlerResult, domain, empty, json, listing};
use crate::aws::{AwsError, AwsRequest};

pub async fn create_instance(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: CreateInstanceRequest = request.json()?;
    let _ = body.client_token; // accepted; every create makes a new instance
    let instance = service
        .create_instance(
            caller,
            CreateInstanceInput {
                identity_management_type: body.identity_management_type,
                instance_alias: body.instance_alias,
                directory_id: body.directory_id,
                inbound_calls_enabled: body.inbound_calls_enabled,
                outbound_calls_enabled: body.outbound_calls_enabled,
                tags: body.tags,
            },
        )
        .await
        .map_err(domain)?;
    Ok(json(&json!({ "Id": instance.id, "Arn": instance.arn })))
}

pub async fn describe_instance(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let instance = service
        .describe_instance(caller, &request.label("InstanceId")?)
        .await
        .map_err(domain)?;
    Ok(json(
        &json!({ "Instance": InstanceShape::from_record(&instance, true) }),
    ))
}

pub async fn list_instances(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let (max_results, next_token) = request.paging()?;
    let page = service
        .list_instances(caller, max_results, next_token)
        .await
        .map_err(domain)?;
    let summaries: Vec<InstanceShape> = page
        .items
        .iter()
        .map(|instance| InstanceShape::from_record(instance, false))
        .collect();
    Ok(listing("InstanceSummaryList", &summaries, page.next_token))
}

pub async fn delete_instance(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    service
        .delete_instance(caller, &request.label("InstanceId")?)
        .await
        .map_err(domain)?;
    Ok(empty())
}

pub async fn create_user(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: CreateUserRequest = request.json()?;
    let _ = body.password; // accepted, never stored or echoed
    let mut settings = serde_json::Map::new();
    for (member, kind) in USER_ECHOED_MEMBERS {
        if let Some(value) = body.rest.get(member) {
            if value.is_null() {
                continue;
            }
            if !kind.accepts(value) {
                return Err(AwsError::invalid_request(format!(
                    "Invalid value for member {member}: expected {kind:?}."
                )));
            }
            settings.insert(member.to_owned(), value.clone());
        }
    }
    let user = service
        .create_user(
            caller,
            CreateUserInput {
                instance_id: request.label("InstanceId")?,
                username: body.username,
                security_profile_ids: body.security_profile_ids,
                routing_profile_id: body.routing_profile_id,
                settings: serde_json::Value::Object(settings),
                tags: body.tags,
            },
        )
        .await
        .map_err(domain)?;
    Ok(json(&json!({ "UserId": user.id, "UserArn": user.arn })))
}

pub async fn describe_user(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let user = service
        .describe_user(
            caller,
            &request.label("InstanceId")?,
            &request.label("UserId")?,
        )
        .await
        .map_err(domain)?;
    Ok(json(&json!({ "User": user_shape(&user) })))
}

pub async fn list_users(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let (max_results, next_token) = request.paging()?;
    let page = service
        .list_users(
            caller,
            &request.label("InstanceId")?,
            max_results,
            next_token,
        )
        .await
        .map_err(domain)?;
    let summaries: Vec<UserSummaryShape> = page.items.iter().map(UserSummaryShape::from).collect();
    Ok(listing("UserSummaryList", &summaries, page.next_token))
}

pub async fn delete_user(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    service
        .delete_user(
            caller,
            &request.label("InstanceId")?,
            &request.label("UserId")?,
        )
        .await
        .map_err(domain)?;
    Ok(empty())
}

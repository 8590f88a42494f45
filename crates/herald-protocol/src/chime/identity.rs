//! App instances, users, admins and endpoints (Chime SDK Identity).

use herald_domain::Caller;
use herald_domain::chime::{
    ChimeService, CreateAppInstanceInput, CreateAppInstanceUserInput, RegisterEndpointInput,
    UpdateEndpointInput,
};
use serde_json::json;

use super::shapes::{self, tag_pairs};
use super::{ChimeRequest, HandlerResult, created, domain, listing, no_content, ok};
use crate::aws::AwsRequest;

const APP_INSTANCE: &str = "appInstanceArn";
const USER: &str = "appInstanceUserArn";
const ENDPOINT: &str = "endpointId";

pub async fn create_app_instance(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: shapes::CreateAppInstanceRequest = request.chime_json()?;
    let arn = service
        .create_app_instance(
            caller,
            CreateAppInstanceInput {
                name: body.name,
                metadata: body.metadata,
                client_request_token: body.client_request_token,
                tags: tag_pairs(body.tags),
            },
        )
        .await
        .map_err(domain)?;
    Ok(created(json!({ "AppInstanceArn": arn })))
}

pub async fn describe_app_instance(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let view = service
        .describe_app_instance(caller, &request.chime_label(APP_INSTANCE)?)
        .await
        .map_err(domain)?;
    Ok(ok(json!({ "AppInstance": shapes::app_instance(&view) })))
}

pub async fn list_app_instances(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let (max_results, next_token) = request.chime_paging()?;
    let page = service
        .list_app_instances(caller, max_results, next_token)
        .await
        .map_err(domain)?;
    let items = page
        .items
        .iter()
        .map(shapes::app_instance_summary)
        .collect();
    Ok(listing("AppInstances", items, page.next_token, &[]))
}

pub async fn delete_app_instance(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    service
        .delete_app_instance(caller, &request.chime_label(APP_INSTANCE)?)
        .await
        .map_err(domain)?;
    Ok(no_content())
}

pub async fn create_user(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: shapes::CreateAppInstanceUserRequest = request.chime_json()?;
    let arn = service
        .create_app_instance_user(
            caller,
            CreateAppInstanceUserInput {
                app_instance_arn: body.app_instance_arn,
                app_instance_user_id: body.app_instance_user_id,
                name: body.name,
                metadata: body.metadata,
                client_request_token: body.client_request_token,
                tags: tag_pairs(body.tags),
                expiration_settings_given: body.expiration_settings.is_some(),
            },
        )
        .await
        .map_err(domain)?;
    Ok(created(json!({ "AppInstanceUserArn": arn })))
}

pub async fn describe_user(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let view = service
        .describe_app_instance_user(caller, &request.chime_label(USER)?)
        .await
        .map_err(domain)?;
    Ok(ok(
        json!({ "AppInstanceUser": shapes::app_instance_user(&view) }),
    ))
}

pub async fn list_users(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let (max_results, next_token) = request.chime_paging()?;
    let app_instance = request.chime_query("app-instance-arn")?;
    let (arn, page) = service
        .list_app_instance_users(caller, app_instance, max_results, next_token)
        .await
        .map_err(domain)?;
    let items = page
        .items
        .iter()
        .map(shapes::app_instance_user_summary)
        .collect();
    Ok(listing(
        "AppInstanceUsers",
        items,
        page.next_token,
        &[("AppInstanceArn", &arn)],
    ))
}

pub async fn delete_user(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    service
        .delete_app_instance_user(caller, &request.chime_label(USER)?)
        .await
        .map_err(domain)?;
    Ok(no_content())
}

pub async fn create_admin(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: shapes::CreateAppInstanceAdminRequest = request.chime_json()?;
    let (arn, admin) = service
        .create_app_instance_admin(
            caller,
            &request.chime_label(APP_INSTANCE)?,
            body.app_instance_admin_arn.as_deref(),
        )
        .await
        .map_err(domain)?;
    Ok(created(json!({
        "AppInstanceAdmin": shapes::identity(&admin),
        "AppInstanceArn": arn,
    })))
}

pub async fn list_admins(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let (max_results, next_token) = request.chime_paging()?;
    let (arn, page) = service
        .list_app_instance_admins(
            caller,
            &request.chime_label(APP_INSTANCE)?,
            max_results,
            next_token,
        )
        .await
        .map_err(domain)?;
    let items = page
        .items
        .iter()
        .map(|admin| json!({ "Admin": shapes::identity(admin) }))
        .collect();
    Ok(listing(
        "AppInstanceAdmins",
        items,
        page.next_token,
        &[("AppInstanceArn", &arn)],
    ))
}

pub async fn delete_admin(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    service
        .delete_app_instance_admin(
            caller,
            &request.chime_label(APP_INSTANCE)?,
            &request.chime_label("appInstanceAdminArn")?,
        )
        .await
        .map_err(domain)?;
    Ok(no_content())
}

pub async fn register_endpoint(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: shapes::RegisterEndpointRequest = request.chime_json()?;
    let attributes_given = body.endpoint_attributes.is_some();
    let attributes = body.endpoint_attributes.unwrap_or_default();
    let (user_arn, endpoint_id) = service
        .register_endpoint(
            caller,
            &request.chime_label(USER)?,
            RegisterEndpointInput {
                name: body.name,
                endpoint_type: body.endpoint_type,
                resource_arn: body.resource_arn,
                device_token: attributes.device_token,
                voip_device_token: attributes.voip_device_token,
                endpoint_attributes_given: attributes_given,
                client_request_token: body.client_request_token,
                allow_messages: body.allow_messages,
            },
        )
        .await
        .map_err(domain)?;
    Ok(created(json!({
        "AppInstanceUserArn": user_arn,
        "EndpointId": endpoint_id,
    })))
}

pub async fn describe_endpoint(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let view = service
        .describe_endpoint(
            caller,
            &request.chime_label(USER)?,
            &request.chime_label(ENDPOINT)?,
        )
        .await
        .map_err(domain)?;
    Ok(ok(
        json!({ "AppInstanceUserEndpoint": shapes::endpoint(&view) }),
    ))
}

pub async fn update_endpoint(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: shapes::UpdateEndpointRequest = request.chime_json()?;
    let (user_arn, endpoint_id) = service
        .update_endpoint(
            caller,
            &request.chime_label(USER)?,
            &request.chime_label(ENDPOINT)?,
            UpdateEndpointInput {
                name: body.name,
                allow_messages: body.allow_messages,
            },
        )
        .await
        .map_err(domain)?;
    Ok(ok(json!({
        "AppInstanceUserArn": user_arn,
        "EndpointId": endpoint_id,
    })))
}

pub async fn list_endpoints(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let (max_results, next_token) = request.chime_paging()?;
    let page = service
        .list_endpoints(caller, &request.chime_label(USER)?, max_results, next_token)
        .await
        .map_err(domain)?;
    let items = page.items.iter().map(shapes::endpoint_summary).collect();
    Ok(listing(
        "AppInstanceUserEndpoints",
        items,
        page.next_token,
        &[],
    ))
}

pub async fn deregister_endpoint(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    service
        .deregister_endpoint(
            caller,
            &request.chime_label(USER)?,
            &request.chime_label(ENDPOINT)?,
        )
        .await
        .map_err(domain)?;
    Ok(no_content())
}

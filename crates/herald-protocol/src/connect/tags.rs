//! TagResource, UntagResource, ListTagsForResource.

use herald_domain::Caller;
use herald_domain::connect::ConnectService;
use serde_json::json;

use super::shapes::TagResourceRequest;
use super::{HandlerResult, domain, empty, json};
use crate::aws::AwsRequest;

pub async fn tag(service: &ConnectService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    let body: TagResourceRequest = request.json()?;
    service
        .tag_resource(caller, &request.label("resourceArn")?, body.tags)
        .await
        .map_err(domain)?;
    Ok(empty())
}

pub async fn untag(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    service
        .untag_resource(
            caller,
            &request.label("resourceArn")?,
            request.query_all("tagKeys"),
        )
        .await
        .map_err(domain)?;
    Ok(empty())
}

pub async fn list(service: &ConnectService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    let tags = service
        .list_tags_for_resource(caller, &request.label("resourceArn")?)
        .await
        .map_err(domain)?;
    Ok(json(&json!({ "tags": tags })))
}

//! CreateChannel, DescribeChannel, ListChannels, DeleteChannel.

use herald_domain::Caller;
use herald_domain::chime::{ChimeService, CreateChannelInput};
use serde_json::json;

use super::shapes::{self, tag_pairs};
use super::{ChimeRequest, HandlerResult, created, domain, listing, no_content, ok};
use crate::aws::AwsRequest;

pub const CHANNEL: &str = "channelArn";

pub async fn create(service: &ChimeService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    let body: shapes::CreateChannelRequest = request.chime_json()?;
    let arn = service
        .create_channel(
            caller,
            request.bearer()?,
            CreateChannelInput {
                app_instance_arn: body.app_instance_arn,
                name: body.name,
                mode: body.mode,
                privacy: body.privacy,
                metadata: body.metadata,
                client_request_token: body.client_request_token,
                tags: tag_pairs(body.tags),
                channel_id: body.channel_id,
                member_arns: body.member_arns,
                moderator_arns: body.moderator_arns,
                elastic_configuration_given: body.elastic_channel_configuration.is_some(),
                expiration_settings_given: body.expiration_settings.is_some(),
            },
        )
        .await
        .map_err(domain)?;
    Ok(created(json!({ "ChannelArn": arn })))
}

pub async fn describe(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let view = service
        .describe_channel(caller, request.bearer()?, &request.chime_label(CHANNEL)?)
        .await
        .map_err(domain)?;
    Ok(ok(json!({ "Channel": shapes::channel(&view) })))
}

pub async fn list(service: &ChimeService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    let (max_results, next_token) = request.chime_paging()?;
    let page = service
        .list_channels(
            caller,
            request.bearer()?,
            request.chime_query("app-instance-arn")?,
            request.chime_query("privacy")?,
            max_results,
            next_token,
        )
        .await
        .map_err(domain)?;
    let items = page.items.iter().map(shapes::channel_summary).collect();
    Ok(listing("Channels", items, page.next_token, &[]))
}

pub async fn delete(service: &ChimeService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    service
        .delete_channel(caller, request.bearer()?, &request.chime_label(CHANNEL)?)
        .await
        .map_err(domain)?;
    Ok(no_content())
}

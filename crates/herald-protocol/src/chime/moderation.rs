//! Channel moderators and bans.

use herald_domain::Caller;
use herald_domain::chime::ChimeService;
use serde_json::json;

use super::channels::CHANNEL;
use super::shapes;
use super::{ChimeRequest, HandlerResult, created, domain, listing, no_content, ok};
use crate::aws::AwsRequest;

pub async fn create_moderator(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: shapes::CreateModeratorRequest = request.chime_json()?;
    let view = service
        .create_channel_moderator(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            body.channel_moderator_arn.as_deref(),
        )
        .await
        .map_err(domain)?;
    Ok(created(json!({
        "ChannelArn": view.channel_arn,
        "ChannelModerator": shapes::identity(&view.user),
    })))
}

pub async fn list_moderators(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let (max_results, next_token) = request.chime_paging()?;
    let (arn, page) = service
        .list_channel_moderators(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            max_results,
            next_token,
        )
        .await
        .map_err(domain)?;
    let items = page
        .items
        .iter()
        .map(|moderator| json!({ "Moderator": shapes::identity(&moderator.user) }))
        .collect();
    Ok(listing(
        "ChannelModerators",
        items,
        page.next_token,
        &[("ChannelArn", &arn)],
    ))
}

pub async fn delete_moderator(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    service
        .delete_channel_moderator(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            &request.chime_label("channelModeratorArn")?,
        )
        .await
        .map_err(domain)?;
    Ok(no_content())
}

pub async fn create_ban(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: shapes::CreateBanRequest = request.chime_json()?;
    let view = service
        .create_channel_ban(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            body.member_arn.as_deref(),
        )
        .await
        .map_err(domain)?;
    Ok(created(json!({
        "ChannelArn": view.channel_arn,
        "Member": shapes::identity(&view.user),
    })))
}

pub async fn describe_ban(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let view = service
        .describe_channel_ban(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            &request.chime_label("memberArn")?,
        )
        .await
        .map_err(domain)?;
    Ok(ok(json!({ "ChannelBan": shapes::ban(&view) })))
}

pub async fn list_bans(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let (max_results, next_token) = request.chime_paging()?;
    let (arn, page) = service
        .list_channel_bans(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            max_results,
            next_token,
        )
        .await
        .map_err(domain)?;
    let items = page
        .items
        .iter()
        .map(|ban| json!({ "Member": shapes::identity(&ban.user) }))
        .collect();
    Ok(listing(
        "ChannelBans",
        items,
        page.next_token,
        &[("ChannelArn", &arn)],
    ))
}

pub async fn delete_ban(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    service
        .delete_channel_ban(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            &request.chime_label("memberArn")?,
        )
        .await
        .map_err(domain)?;
    Ok(no_content())
}

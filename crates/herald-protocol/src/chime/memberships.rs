//! Channel memberships.

use herald_domain::Caller;
use herald_domain::chime::ChimeService;
use serde_json::json;

use super::channels::CHANNEL;
use super::shapes;
use super::{ChimeRequest, HandlerResult, created, domain, listing, no_content, ok};
use crate::aws::AwsRequest;

const MEMBER: &str = "memberArn";

fn sub_channel_given(request: &AwsRequest) -> Result<bool, crate::aws::AwsError> {
    Ok(request.chime_query("sub-channel-id")?.is_some())
}

pub async fn create(service: &ChimeService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    let body: shapes::CreateMembershipRequest = request.chime_json()?;
    let view = service
        .create_channel_membership(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            body.member_arn.as_deref(),
            body.membership_type.as_deref(),
            body.sub_channel_id.is_some(),
        )
        .await
        .map_err(domain)?;
    Ok(created(json!({
        "ChannelArn": view.channel_arn,
        "Member": shapes::identity(&view.member),
    })))
}

pub async fn batch_create(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: shapes::BatchCreateMembershipRequest = request.chime_json()?;
    let view = service
        .batch_create_channel_membership(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            body.member_arns,
            body.membership_type.as_deref(),
            body.sub_channel_id.is_some(),
        )
        .await
        .map_err(domain)?;
    let members: Vec<_> = view.members.iter().map(shapes::identity).collect();
    let errors: Vec<_> = view
        .errors
        .iter()
        .map(|error| {
            json!({
                "MemberArn": error.member_arn,
                "ErrorCode": error.code,
                "ErrorMessage": error.message,
            })
        })
        .collect();
    Ok(ok(json!({
        "BatchChannelMemberships": {
            "InvitedBy": shapes::identity(&view.invited_by),
            "Type": view.membership_type.as_str(),
            "Members": members,
            "ChannelArn": view.channel_arn,
        },
        "Errors": errors,
    })))
}

pub async fn describe(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let view = service
        .describe_channel_membership(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            &request.chime_label(MEMBER)?,
            sub_channel_given(&request)?,
        )
        .await
        .map_err(domain)?;
    Ok(ok(
        json!({ "ChannelMembership": shapes::membership(&view) }),
    ))
}

pub async fn list(service: &ChimeService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    let (max_results, next_token) = request.chime_paging()?;
    let (arn, page) = service
        .list_channel_memberships(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            request.chime_query("type")?,
            max_results,
            next_token,
            sub_channel_given(&request)?,
        )
        .await
        .map_err(domain)?;
    let items = page
        .items
        .iter()
        .map(|membership| json!({ "Member": shapes::identity(&membership.member) }))
        .collect();
    Ok(listing(
        "ChannelMemberships",
        items,
        page.next_token,
        &[("ChannelArn", &arn)],
    ))
}

pub async fn delete(service: &ChimeService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    service
        .delete_channel_membership(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            &request.chime_label(MEMBER)?,
            sub_channel_given(&request)?,
        )
        .await
        .map_err(domain)?;
    Ok(no_content())
}

//! Channel messages and membership preferences.

use herald_domain::Caller;
use herald_domain::chime::{
    ChimeService, ListMessagesInput, PreferencesInput, PushNotificationInput, SendMessageInput,
};
use jiff::Timestamp;
use serde_json::json;

use super::channels::CHANNEL;
use super::shapes;
use super::{ChimeRequest, HandlerResult, created, domain, listing, ok};
use crate::aws::{AwsError, AwsRequest};

pub async fn send(service: &ChimeService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    let body: shapes::SendMessageRequest = request.chime_json()?;
    let attributes = body.message_attributes.map(|map| {
        map.into_iter()
            .map(|(name, value)| (name, value.string_values.unwrap_or_default()))
            .collect()
    });
    let sent = service
        .send_channel_message(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            SendMessageInput {
                content: body.content,
                message_type: body.message_type,
                persistence: body.persistence,
                metadata: body.metadata,
                client_request_token: body.client_request_token,
                push_notification: body.push_notification.map(|push| PushNotificationInput {
                    title: push.title,
                    body: push.body,
                    push_type: push.push_type,
                }),
                message_attributes: attributes,
                content_type: body.content_type,
                sub_channel_given: body.sub_channel_id.is_some(),
                target_given: body.target.is_some(),
            },
        )
        .await
        .map_err(domain)?;
    Ok(created(json!({
        "ChannelArn": sent.channel_arn,
        "MessageId": sent.message_id,
        "Status": { "Value": "SENT" },
    })))
}

pub async fn get(service: &ChimeService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    let view = service
        .get_channel_message(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            &request.chime_label("messageId")?,
            request.chime_query("sub-channel-id")?.is_some(),
        )
        .await
        .map_err(domain)?;
    Ok(ok(json!({ "ChannelMessage": shapes::message(&view) })))
}

/// A query-string timestamp: ISO 8601 as restJson1 sends it, or epoch
/// seconds.
fn query_timestamp(
    request: &AwsRequest,
    name: &str,
    member: &str,
) -> Result<Option<Timestamp>, AwsError> {
    let Some(value) = request.chime_query(name)? else {
        return Ok(None);
    };
    let bad = || {
        AwsError::new(
            http::StatusCode::BAD_REQUEST,
            "BadRequestException",
            format!("{member} is not a timestamp: '{value}'."),
        )
    };
    if let Ok(seconds) = value.parse::<f64>() {
        return crate::aws::timestamp::from_epoch_seconds(seconds, member)
            .map(Some)
            .map_err(|_| bad());
    }
    value.parse::<Timestamp>().map(Some).map_err(|_| bad())
}

pub async fn list(service: &ChimeService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    let (max_results, next_token) = request.chime_paging()?;
    let input = ListMessagesInput {
        sort_order: request.chime_query("sort-order")?.map(str::to_owned),
        not_before: query_timestamp(&request, "not-before", "NotBefore")?,
        not_after: query_timestamp(&request, "not-after", "NotAfter")?,
        max_results,
        next_token: next_token.map(str::to_owned),
        sub_channel_given: request.chime_query("sub-channel-id")?.is_some(),
    };
    let (arn, page) = service
        .list_channel_messages(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            input,
        )
        .await
        .map_err(domain)?;
    let items = page.items.iter().map(shapes::message_summary).collect();
    Ok(listing(
        "ChannelMessages",
        items,
        page.next_token,
        &[("ChannelArn", &arn)],
    ))
}

pub async fn put_preferences(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: shapes::PutPreferencesRequest = request.chime_json()?;
    let preferences_given = body.preferences.is_some();
    let push = body.preferences.and_then(|p| p.push_notifications);
    let input = PreferencesInput {
        preferences_given,
        push_notifications_given: push.is_some(),
        allow_notifications: push.as_ref().and_then(|p| p.allow_notifications.clone()),
        filter_rule: push.and_then(|p| p.filter_rule),
    };
    let view = service
        .put_channel_membership_preferences(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            &request.chime_label("memberArn")?,
            input,
        )
        .await
        .map_err(domain)?;
    Ok(ok(shapes::preferences(&view)))
}

pub async fn get_preferences(
    service: &ChimeService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let view = service
        .get_channel_membership_preferences(
            caller,
            request.bearer()?,
            &request.chime_label(CHANNEL)?,
            &request.chime_label("memberArn")?,
        )
        .await
        .map_err(domain)?;
    Ok(ok(shapes::preferences(&view)))
}

//! CreateNotification, DescribeNotification, ListNotifications,
//! UpdateNotificationContent, DeleteNotification.

use herald_domain::Caller;
use herald_domain::connect::{ConnectService, CreateNotificationInput};
use serde_json::json;

use super::shapes::{
    CreateNotificationRequest, NotificationShape, UpdateNotificationContentRequest,
};
use super::{HandlerResult, domain, empty, json, listing};
use crate::aws::AwsRequest;
use crate::aws::timestamp::from_epoch_seconds;

pub async fn create(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: CreateNotificationRequest = request.json()?;
    let expires_at = body
        .expires_at
        .map(|seconds| from_epoch_seconds(seconds, "ExpiresAt"))
        .transpose()?;
    let (id, arn) = service
        .create_notification(
            caller,
            CreateNotificationInput {
                instance_id: request.label("InstanceId")?,
                recipients: body.recipients,
                content: body.content,
                priority: body.priority,
                expires_at,
                tags: body.tags,
                predefined_notification_id: body.predefined_notification_id,
                client_token: body.client_token,
            },
        )
        .await
        .map_err(domain)?;
    Ok(json(
        &json!({ "NotificationId": id, "NotificationArn": arn }),
    ))
}

pub async fn describe(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let notification = service
        .describe_notification(
            caller,
            &request.label("InstanceId")?,
            &request.label("NotificationId")?,
        )
        .await
        .map_err(domain)?;
    Ok(json(&DescribeNotificationResponse {
        notification: NotificationShape::new(&notification, None),
    }))
}

pub async fn list(service: &ConnectService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    let (max_results, next_token) = request.paging()?;
    let page = service
        .list_notifications(
            caller,
            &request.label("InstanceId")?,
            max_results,
            next_token,
        )
        .await
        .map_err(domain)?;
    let summaries: Vec<NotificationShape> = page
        .items
        .iter()
        .map(|notification| NotificationShape::new(notification, None))
        .collect();
    Ok(listing(
        "NotificationSummaryList",
        &summaries,
        page.next_token,
    ))
}

pub async fn update_content(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: UpdateNotificationContentRequest = request.json()?;
    service
        .update_notification_content(
            caller,
            &request.label("InstanceId")?,
            &request.label("NotificationId")?,
            body.content,
        )
        .await
        .map_err(domain)?;
    Ok(empty())
}

pub async fn delete(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    service
        .delete_notification(
            caller,
            &request.label("InstanceId")?,
            &request.label("NotificationId")?,
        )
        .await
        .map_err(domain)?;
    Ok(empty())
}

/// The response body, serialised as it is written.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeNotificationResponse<'a> {
    notification: NotificationShape<'a>,
}

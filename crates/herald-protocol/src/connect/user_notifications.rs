//! ListUserNotifications and UpdateUserNotificationStatus.

use herald_domain::Caller;
use herald_domain::connect::{ConnectService, StatusUpdateInput};

use super::shapes::{UpdateUserNotificationStatusRequest, UserNotificationShape};
use super::{HandlerResult, domain, empty, listing};
use crate::aws::AwsRequest;

pub async fn list(service: &ConnectService, caller: &Caller, request: AwsRequest) -> HandlerResult {
    let instance_id = request.label("InstanceId")?;
    let user_id = request.label("UserId")?;
    let (max_results, next_token) = request.paging()?;
    let page = service
        .list_user_notifications(caller, &instance_id, &user_id, max_results, next_token)
        .await
        .map_err(domain)?;
    let items: Vec<UserNotificationShape> = page
        .items
        .iter()
        .map(|entry| UserNotificationShape::new(entry, &instance_id, &user_id))
        .collect();
    Ok(listing("UserNotifications", &items, page.next_token))
}

pub async fn update_status(
    service: &ConnectService,
    caller: &Caller,
    request: AwsRequest,
) -> HandlerResult {
    let body: UpdateUserNotificationStatusRequest = request.json()?;
    let input = StatusUpdateInput {
        instance_id: request.label("InstanceId")?,
        user_id: request.label("UserId")?,
        notification_id: request.label("NotificationId")?,
        status: body.status,
        last_modified_time: request.header_timestamp("x-amz-last-modified-time")?,
        last_modified_region: request
            .header("x-amz-last-modified-region")?
            .map(str::to_owned),
    };
    service
        .update_user_notification_status(caller, input)
        .await
        .map_err(domain)?;
    Ok(empty())
}

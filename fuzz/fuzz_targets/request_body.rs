//! Request bodies into typed inputs, as the handlers decode them: the first
//! byte picks the operation (its index in `OPERATIONS`), the rest is its
//! body. Connect bodies go
//! through `AwsRequest::json`, Chime ones through the same and Chime's
//! error mapping; then whatever the handler does with the typed body
//! before the domain sees it.
#![no_main]

use bytes::Bytes;
use herald_protocol::aws::timestamp::from_epoch_seconds;
use herald_protocol::aws::{AwsError, AwsRequest};
use herald_protocol::chime::shapes as chime;
use herald_protocol::connect::search::search_input;
use herald_protocol::connect::shapes as connect;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;

fn request(body: &[u8]) -> AwsRequest {
    AwsRequest {
        labels: Default::default(),
        query: Vec::new(),
        headers: Default::default(),
        body: Bytes::copy_from_slice(body),
    }
}

fn connect_body<T: DeserializeOwned>(request: &AwsRequest) -> Result<T, AwsError> {
    request.json()
}

fn chime_body<T: DeserializeOwned>(request: &AwsRequest) -> Result<T, AwsError> {
    request.json().map_err(herald_protocol::chime::wire)
}

fn decode<T: DeserializeOwned>(request: &AwsRequest) {
    let _ = connect_body::<T>(request);
}

fn decode_chime<T: DeserializeOwned>(request: &AwsRequest) {
    let _ = chime_body::<T>(request);
}

fn create_notification(request: &AwsRequest) {
    if let Ok(body) = connect_body::<connect::CreateNotificationRequest>(request) {
        let _ = body
            .expires_at
            .map(|seconds| from_epoch_seconds(seconds, "ExpiresAt"));
    }
}

fn create_user(request: &AwsRequest) {
    if let Ok(body) = connect_body::<connect::CreateUserRequest>(request) {
        for (name, kind) in connect::USER_ECHOED_MEMBERS {
            let _ = body.rest.get(name).map(|value| kind.accepts(value));
        }
    }
}

fn search_notifications(request: &AwsRequest) {
    if let Ok(body) = connect_body(request) {
        let _ = search_input(body);
    }
}

fn chime_tags<T: DeserializeOwned>(
    tags: impl Fn(T) -> Option<Vec<chime::Tag>>,
) -> impl Fn(&AwsRequest) {
    move |request| {
        if let Ok(body) = chime_body::<T>(request) {
            let _ = chime::tag_pairs(tags(body));
        }
    }
}

fn create_app_instance(request: &AwsRequest) {
    chime_tags(|body: chime::CreateAppInstanceRequest| body.tags)(request)
}

fn create_app_instance_user(request: &AwsRequest) {
    chime_tags(|body: chime::CreateAppInstanceUserRequest| body.tags)(request)
}

fn create_channel(request: &AwsRequest) {
    chime_tags(|body: chime::CreateChannelRequest| body.tags)(request)
}

/// The widget's writes: its own size limit, then the same decoding.
fn widget_write<T: DeserializeOwned>(request: &AwsRequest) {
    if let Ok(request) = herald_protocol::widget::body(request.body.clone()) {
        let _ = request.json::<T>();
    }
}

/// Every operation that reads a body.
const OPERATIONS: &[fn(&AwsRequest)] = &[
    // Amazon Connect
    create_notification,
    decode::<connect::UpdateNotificationContentRequest>,
    decode::<connect::UpdateUserNotificationStatusRequest>,
    search_notifications,
    decode::<connect::CreateInstanceRequest>,
    create_user,
    decode::<connect::TagResourceRequest>,
    // Chime SDK Identity and Messaging
    create_app_instance,
    create_app_instance_user,
    decode_chime::<chime::CreateAppInstanceAdminRequest>,
    decode_chime::<chime::RegisterEndpointRequest>,
    decode_chime::<chime::UpdateEndpointRequest>,
    create_channel,
    decode_chime::<chime::CreateMembershipRequest>,
    decode_chime::<chime::BatchCreateMembershipRequest>,
    decode_chime::<chime::CreateModeratorRequest>,
    decode_chime::<chime::CreateBanRequest>,
    decode_chime::<chime::SendMessageRequest>,
    decode_chime::<chime::PutPreferencesRequest>,
    // Herald's own
    decode::<herald_protocol::herald_api::WidgetSessionRequest>,
    widget_write::<herald_protocol::widget::StatusRequest>,
    widget_write::<herald_protocol::widget::ReadAllRequest>,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    OPERATIONS[usize::from(selector) % OPERATIONS.len()](&request(body));
});

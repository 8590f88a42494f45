//! Chime SDK Identity and Messaging, end to end: the official SDK clients
//! (and, for wire edges, raw signed HTTP) against the real binary. The
//! contract is `docs/chime-semantics.md`; the filter-rule language is
//! `docs/chime-filter-rules.md`.
//!
//! This module holds the clients, fixtures, the push-delivery log reader and
//! a small webhook receiver; each submodule tests one part of the contract.
#![allow(dead_code)]

mod channels;
mod identity;
mod memberships;
mod messages;
mod moderation;
mod permissions;
mod preferences;
mod protocol;
mod push;
mod webhook;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use aws_sdk_chimesdkidentity::types::{
    AllowMessages, AppInstanceUserEndpointType, EndpointAttributes,
};
use aws_sdk_chimesdkmessaging::types::{
    AllowNotifications, ChannelMembershipPreferences, ChannelMembershipType,
    ChannelMessagePersistenceType, ChannelMessageType, ChannelMode, ChannelPrivacy,
    MessageAttributeValue, PushNotificationConfiguration, PushNotificationPreferences,
    PushNotificationType,
};
use reqwest::Method;
use serde_json::Value;

pub type IdentityClient = aws_sdk_chimesdkidentity::Client;
pub type MessagingClient = aws_sdk_chimesdkmessaging::Client;

/// How long a webhook delivery may take to show up (first attempt, or the
/// next retry after the receiver comes back).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(45);
/// How long a SIGHUP reload of the credentials file may take.
pub const RELOAD_TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// Clients

/// Both Chime SDK clients, signing with one key.
#[derive(Clone, Debug)]
pub struct Chime {
    pub id: IdentityClient,
    pub msg: MessagingClient,
}

impl Chime {
    /// The built-in admin key `test`/`test` (account 000000000000).
    pub fn new(server: &Server) -> Chime {
        Chime::with(server, "test", "test")
    }

    /// Signing with `key`.
    pub fn key(server: &Server, key: &TestKey) -> Chime {
        Chime::with(server, &key.id, &key.secret)
    }

    pub fn with(server: &Server, access_key_id: &str, secret: &str) -> Chime {
        Chime {
            id: identity_client(server, REGION, access_key_id, secret),
            msg: messaging_client(server, REGION, access_key_id, secret),
        }
    }
}

pub fn identity_client(
    server: &Server,
    region: &str,
    access_key_id: &str,
    secret: &str,
) -> IdentityClient {
    use aws_sdk_chimesdkidentity::config::retry::RetryConfig;
    use aws_sdk_chimesdkidentity::config::timeout::TimeoutConfig;
    use aws_sdk_chimesdkidentity::config::{Credentials, Region};
    let config = aws_sdk_chimesdkidentity::Config::builder()
        .behavior_version_latest()
        .endpoint_url(server.endpoint())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(
            access_key_id,
            secret,
            None,
            None,
            "static",
        ))
        // Plain HTTP to the local server; the SDK's TLS stack is not built.
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .build();
    IdentityClient::from_conf(config)
}

pub fn messaging_client(
    server: &Server,
    region: &str,
    access_key_id: &str,
    secret: &str,
) -> MessagingClient {
    use aws_sdk_chimesdkmessaging::config::retry::RetryConfig;
    use aws_sdk_chimesdkmessaging::config::timeout::TimeoutConfig;
    use aws_sdk_chimesdkmessaging::config::{Credentials, Region};
    let config = aws_sdk_chimesdkmessaging::Config::builder()
        .behavior_version_latest()
        .endpoint_url(server.endpoint())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(
            access_key_id,
            secret,
            None,
            None,
            "static",
        ))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .build();
    MessagingClient::from_conf(config)
}

// ---------------------------------------------------------------------------
// Keys

/// Rewrites the credentials file with `keys` and has the server reload it
/// (SIGHUP), waiting until the reload is logged.
pub async fn reload_keys(server: &Server, file: &KeyFile, keys: &[&TestKey]) {
    let count = || server.whole_log().matches("credentials reloaded").count();
    let before = count();
    file.write(keys);
    server.signal("HUP");
    eventually(RELOAD_TIMEOUT, "credentials reloaded after SIGHUP", || {
        let now = count();
        async move { (now > before).then_some(()) }
    })
    .await;
}

// ---------------------------------------------------------------------------
// ARNs and formats

/// `arn:aws:chime:us-east-1:{account}:app-instance/`
pub fn app_instance_prefix(account: &str) -> String {
    format!("arn:aws:chime:{REGION}:{account}:app-instance/")
}

/// The id at the end of an app instance ARN (a UUID), checking the rest.
#[track_caller]
pub fn app_instance_id(arn: &str, account: &str) -> String {
    let id = arn
        .strip_prefix(&app_instance_prefix(account))
        .unwrap_or_else(|| panic!("not an app instance ARN of {account}: {arn}"));
    assert!(is_uuid(id), "app instance id is not a UUID: {arn}");
    id.to_string()
}

/// 32 lowercase hex digits (endpoint ids, message ids).
pub fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`
pub fn is_iso_millis(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            23 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Percent-encodes everything but RFC 3986 unreserved characters (for
/// paths and query values of raw requests).
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A fresh client request token.
pub fn token() -> String {
    format!("tok-{}", random_hex())
}

/// Asserts `message` names `what` (case-sensitively).
#[track_caller]
pub fn assert_names(err: &ApiError, what: &str) {
    assert!(
        err.message.contains(what),
        "the error message should name {what:?}: {err:?}"
    );
}

/// Asserts a BadRequestException (400) naming `what`.
#[track_caller]
pub fn assert_bad_request<T, E>(
    res: Result<T, aws_sdk_chimesdkmessaging::error::SdkError<E, HttpResponseAlias>>,
    what: &str,
) -> ApiError
where
    T: std::fmt::Debug,
    E: aws_sdk_chimesdkmessaging::error::ProvideErrorMetadata + std::fmt::Debug,
{
    let err = assert_err(res, "BadRequestException", 400);
    assert_names(&err, what);
    err
}

pub type HttpResponseAlias = aws_sdk_chimesdkmessaging::config::http::HttpResponse;

#[track_caller]
pub fn assert_forbidden<T, E>(
    res: Result<T, aws_sdk_chimesdkmessaging::error::SdkError<E, HttpResponseAlias>>,
) -> ApiError
where
    T: std::fmt::Debug,
    E: aws_sdk_chimesdkmessaging::error::ProvideErrorMetadata + std::fmt::Debug,
{
    assert_err(res, "ForbiddenException", 403)
}

#[track_caller]
pub fn assert_not_found<T, E>(
    res: Result<T, aws_sdk_chimesdkmessaging::error::SdkError<E, HttpResponseAlias>>,
) -> ApiError
where
    T: std::fmt::Debug,
    E: aws_sdk_chimesdkmessaging::error::ProvideErrorMetadata + std::fmt::Debug,
{
    assert_err(res, "NotFoundException", 404)
}

#[track_caller]
pub fn assert_unauthorized<T, E>(
    res: Result<T, aws_sdk_chimesdkmessaging::error::SdkError<E, HttpResponseAlias>>,
) -> ApiError
where
    T: std::fmt::Debug,
    E: aws_sdk_chimesdkmessaging::error::ProvideErrorMetadata + std::fmt::Debug,
{
    assert_err(res, "UnauthorizedClientException", 401)
}

#[track_caller]
pub fn assert_conflict<T, E>(
    res: Result<T, aws_sdk_chimesdkmessaging::error::SdkError<E, HttpResponseAlias>>,
) -> ApiError
where
    T: std::fmt::Debug,
    E: aws_sdk_chimesdkmessaging::error::ProvideErrorMetadata + std::fmt::Debug,
{
    assert_err(res, "ConflictException", 409)
}

// ---------------------------------------------------------------------------
// Identity fixtures

pub async fn create_app(id: &IdentityClient, name: &str) -> String {
    ok(id.create_app_instance().name(name).send().await)
        .app_instance_arn()
        .expect("CreateAppInstance returns AppInstanceArn")
        .to_string()
}

/// An AppInstanceUser whose id and name are `user_id`.
pub async fn create_user(id: &IdentityClient, app: &str, user_id: &str) -> String {
    ok(id
        .create_app_instance_user()
        .app_instance_arn(app)
        .app_instance_user_id(user_id)
        .name(user_id)
        .send()
        .await)
    .app_instance_user_arn()
    .expect("CreateAppInstanceUser returns AppInstanceUserArn")
    .to_string()
}

pub async fn make_admin(id: &IdentityClient, app: &str, user: &str) {
    ok(id
        .create_app_instance_admin()
        .app_instance_arn(app)
        .app_instance_admin_arn(user)
        .send()
        .await);
}

pub fn attributes(device_token: &str, voip: Option<&str>) -> EndpointAttributes {
    EndpointAttributes::builder()
        .device_token(device_token)
        .set_voip_device_token(voip.map(str::to_string))
        .build()
        .expect("EndpointAttributes")
}

/// The ResourceArn of a (pretend) mobile push application.
pub const PUSH_APP_ARN: &str = "arn:aws:mobiletargeting:us-east-1:000000000000:apps/e2e";

/// RegisterAppInstanceUserEndpoint (APNS); returns the EndpointId.
pub async fn register_endpoint(
    id: &IdentityClient,
    user: &str,
    device_token: &str,
    voip: Option<&str>,
    allow: Option<AllowMessages>,
) -> String {
    let out = ok(id
        .register_app_instance_user_endpoint()
        .app_instance_user_arn(user)
        .name(format!("device {device_token}"))
        .r#type(AppInstanceUserEndpointType::Apns)
        .resource_arn(PUSH_APP_ARN)
        .endpoint_attributes(attributes(device_token, voip))
        .set_allow_messages(allow)
        .send()
        .await);
    assert_eq!(out.app_instance_user_arn(), Some(user));
    let endpoint = out.endpoint_id().expect("EndpointId").to_string();
    assert!(is_hex32(&endpoint), "EndpointId {endpoint:?}");
    endpoint
}

// ---------------------------------------------------------------------------
// Messaging fixtures

/// A channel created by `bearer` (UNRESTRICTED, PUBLIC unless given).
pub async fn create_channel(
    msg: &MessagingClient,
    app: &str,
    bearer: &str,
    mode: Option<ChannelMode>,
    privacy: Option<ChannelPrivacy>,
) -> String {
    ok(msg
        .create_channel()
        .app_instance_arn(app)
        .name("e2e channel")
        .chime_bearer(bearer)
        .set_mode(mode)
        .set_privacy(privacy)
        .send()
        .await)
    .channel_arn()
    .expect("CreateChannel returns ChannelArn")
    .to_string()
}

pub async fn public_channel(msg: &MessagingClient, app: &str, bearer: &str) -> String {
    create_channel(
        msg,
        app,
        bearer,
        Some(ChannelMode::Unrestricted),
        Some(ChannelPrivacy::Public),
    )
    .await
}

pub async fn add_member(msg: &MessagingClient, channel: &str, bearer: &str, member: &str) {
    add_member_typed(msg, channel, bearer, member, ChannelMembershipType::Default).await;
}

pub async fn add_member_typed(
    msg: &MessagingClient,
    channel: &str,
    bearer: &str,
    member: &str,
    kind: ChannelMembershipType,
) {
    let out = ok(msg
        .create_channel_membership()
        .channel_arn(channel)
        .member_arn(member)
        .r#type(kind)
        .chime_bearer(bearer)
        .send()
        .await);
    assert_eq!(out.channel_arn(), Some(channel));
    assert_eq!(out.member().and_then(|m| m.arn()), Some(member));
}

pub async fn add_moderator(msg: &MessagingClient, channel: &str, bearer: &str, moderator: &str) {
    ok(msg
        .create_channel_moderator()
        .channel_arn(channel)
        .channel_moderator_arn(moderator)
        .chime_bearer(bearer)
        .send()
        .await);
}

pub async fn ban(msg: &MessagingClient, channel: &str, bearer: &str, member: &str) {
    ok(msg
        .create_channel_ban()
        .channel_arn(channel)
        .member_arn(member)
        .chime_bearer(bearer)
        .send()
        .await);
}

pub fn prefs(allow: AllowNotifications, rule: Option<&str>) -> ChannelMembershipPreferences {
    ChannelMembershipPreferences::builder()
        .push_notifications(
            PushNotificationPreferences::builder()
                .allow_notifications(allow)
                .set_filter_rule(rule.map(str::to_string))
                .build()
                .expect("PushNotificationPreferences"),
        )
        .build()
}

/// PutChannelMembershipPreferences by the member themselves.
pub async fn set_prefs(
    msg: &MessagingClient,
    channel: &str,
    member: &str,
    allow: AllowNotifications,
    rule: Option<&str>,
) {
    let out = ok(msg
        .put_channel_membership_preferences()
        .channel_arn(channel)
        .member_arn(member)
        .chime_bearer(member)
        .preferences(prefs(allow, rule))
        .send()
        .await);
    assert_eq!(out.channel_arn(), Some(channel));
    assert_eq!(out.member().and_then(|m| m.arn()), Some(member));
}

/// The member's push preference as `(AllowNotifications, FilterRule)`, or
/// `None` when none is set.
pub async fn get_prefs(
    msg: &MessagingClient,
    channel: &str,
    member: &str,
) -> Option<(AllowNotifications, Option<String>)> {
    let out = ok(msg
        .get_channel_membership_preferences()
        .channel_arn(channel)
        .member_arn(member)
        .chime_bearer(member)
        .send()
        .await);
    assert_eq!(out.channel_arn(), Some(channel));
    assert_eq!(out.member().and_then(|m| m.arn()), Some(member));
    let p = out
        .preferences()
        .expect("GetChannelMembershipPreferences returns Preferences");
    p.push_notifications().map(|p| {
        (
            p.allow_notifications().clone(),
            p.filter_rule().map(str::to_string),
        )
    })
}

pub fn attr(values: &[&str]) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .set_string_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

pub fn push_config(
    title: &str,
    body: &str,
    kind: Option<PushNotificationType>,
) -> PushNotificationConfiguration {
    PushNotificationConfiguration::builder()
        .title(title)
        .body(body)
        .set_type(kind)
        .build()
}

/// A STANDARD PERSISTENT message builder from `sender`.
pub fn message(
    msg: &MessagingClient,
    channel: &str,
    sender: &str,
    content: &str,
) -> aws_sdk_chimesdkmessaging::operation::send_channel_message::builders::SendChannelMessageFluentBuilder
{
    msg.send_channel_message()
        .channel_arn(channel)
        .chime_bearer(sender)
        .content(content)
        .r#type(ChannelMessageType::Standard)
        .persistence(ChannelMessagePersistenceType::Persistent)
}

/// Sends a message with a push notification and these attributes; returns
/// the MessageId.
pub async fn send_push(
    msg: &MessagingClient,
    channel: &str,
    sender: &str,
    attrs: &[(&str, &[&str])],
) -> String {
    let mut req = message(msg, channel, sender, "hello").push_notification(push_config(
        "New message",
        "You have a new message",
        None,
    ));
    for (name, values) in attrs {
        req = req.message_attributes(*name, attr(values));
    }
    let out = ok(req.send().await);
    assert_eq!(out.channel_arn(), Some(channel));
    out.message_id().expect("MessageId").to_string()
}

/// Every page of a listing: `page(token)` returns one page's items and its
/// NextToken. Returns all items and the number of pages.
pub async fn all_pages<F, Fut>(mut page: F) -> (Vec<String>, usize)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = (Vec<String>, Option<String>)>,
{
    let mut all = Vec::new();
    let mut token = None;
    for pages in 1..=1000 {
        let (items, next) = page(token).await;
        all.extend(items);
        match next {
            Some(t) => token = Some(t),
            None => return (all, pages),
        }
    }
    panic!("listing never stopped paging");
}

pub async fn member_arns(msg: &MessagingClient, channel: &str, bearer: &str) -> Vec<String> {
    member_arns_of(msg, channel, bearer, None).await
}

pub async fn member_arns_of(
    msg: &MessagingClient,
    channel: &str,
    bearer: &str,
    kind: Option<ChannelMembershipType>,
) -> Vec<String> {
    all_pages(|token| {
        let req = msg
            .list_channel_memberships()
            .channel_arn(channel)
            .chime_bearer(bearer)
            .set_type(kind.clone())
            .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.channel_memberships()
                    .iter()
                    .map(|m| m.member().and_then(|i| i.arn()).unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await
    .0
}

pub async fn moderator_arns(msg: &MessagingClient, channel: &str, bearer: &str) -> Vec<String> {
    all_pages(|token| {
        let req = msg
            .list_channel_moderators()
            .channel_arn(channel)
            .chime_bearer(bearer)
            .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.channel_moderators()
                    .iter()
                    .map(|m| {
                        m.moderator()
                            .and_then(|i| i.arn())
                            .unwrap_or("")
                            .to_string()
                    })
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await
    .0
}

pub async fn ban_arns(msg: &MessagingClient, channel: &str, bearer: &str) -> Vec<String> {
    all_pages(|token| {
        let req = msg
            .list_channel_bans()
            .channel_arn(channel)
            .chime_bearer(bearer)
            .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.channel_bans()
                    .iter()
                    .map(|m| m.member().and_then(|i| i.arn()).unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await
    .0
}

/// Message ids, newest first (the default order).
pub async fn message_ids(msg: &MessagingClient, channel: &str, bearer: &str) -> Vec<String> {
    all_pages(|token| {
        let req = msg
            .list_channel_messages()
            .channel_arn(channel)
            .chime_bearer(bearer)
            .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.channel_messages()
                    .iter()
                    .map(|m| m.message_id().unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await
    .0
}

pub async fn admin_arns(id: &IdentityClient, app: &str) -> Vec<String> {
    all_pages(|token| {
        let req = id
            .list_app_instance_admins()
            .app_instance_arn(app)
            .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.app_instance_admins()
                    .iter()
                    .map(|a| a.admin().and_then(|i| i.arn()).unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await
    .0
}

pub async fn user_arns(id: &IdentityClient, app: &str) -> Vec<String> {
    all_pages(|token| {
        let req = id
            .list_app_instance_users()
            .app_instance_arn(app)
            .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.app_instance_users()
                    .iter()
                    .map(|u| u.app_instance_user_arn().unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await
    .0
}

pub async fn endpoint_ids(id: &IdentityClient, user: &str) -> Vec<String> {
    all_pages(|token| {
        let req = id
            .list_app_instance_user_endpoints()
            .app_instance_user_arn(user)
            .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.app_instance_user_endpoints()
                    .iter()
                    .map(|e| e.endpoint_id().unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await
    .0
}

pub async fn app_arns(id: &IdentityClient) -> Vec<String> {
    all_pages(|token| {
        let req = id.list_app_instances().set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.app_instances()
                    .iter()
                    .map(|a| a.app_instance_arn().unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await
    .0
}

pub async fn channel_arns(
    msg: &MessagingClient,
    app: &str,
    bearer: &str,
    privacy: Option<ChannelPrivacy>,
) -> Vec<String> {
    all_pages(|token| {
        let req = msg
            .list_channels()
            .app_instance_arn(app)
            .chime_bearer(bearer)
            .set_privacy(privacy.clone())
            .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.channels()
                    .iter()
                    .map(|c| c.channel_arn().unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await
    .0
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------
// Raw Chime requests

/// A Chime request signed with `signer` for the service `chime`; a JSON
/// body is sent with `content-type: application/json`.
pub async fn chime_raw(
    server: &Server,
    signer: &Signer,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Raw {
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    if body.is_some() {
        all.push(("content-type", "application/json"));
    }
    let signer = signer.clone().service("chime");
    server
        .send_signed(&signer, method, path_and_query, &all, body)
        .await
}

/// `chime_raw` with the built-in admin key.
pub async fn chime_admin_raw(
    server: &Server,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Raw {
    chime_raw(
        server,
        &Signer::test(),
        method,
        path_and_query,
        headers,
        body,
    )
    .await
}

// ---------------------------------------------------------------------------
// Push deliveries

/// `GET /_herald/push-deliveries` for one message, signed by `signer`
/// (service `herald`).
pub async fn deliveries_raw(server: &Server, signer: &Signer, channel: &str, message: &str) -> Raw {
    let path = format!(
        "/_herald/push-deliveries?channelArn={}&messageId={}",
        enc(channel),
        enc(message)
    );
    server
        .send_signed(
            &signer.clone().service("herald"),
            Method::GET,
            &path,
            &[],
            None,
        )
        .await
}

/// The delivery records of one message (as the built-in admin key).
pub async fn deliveries(server: &Server, channel: &str, message: &str) -> Vec<Value> {
    deliveries_as(server, &Signer::test(), channel, message).await
}

pub async fn deliveries_as(
    server: &Server,
    signer: &Signer,
    channel: &str,
    message: &str,
) -> Vec<Value> {
    let r = deliveries_raw(server, signer, channel, message).await;
    let body = r.assert_ok();
    body["Deliveries"]
        .as_array()
        .unwrap_or_else(|| panic!("no Deliveries array: {body}"))
        .clone()
}

/// A delivery's string member.
#[track_caller]
pub fn field(d: &Value, name: &str) -> String {
    d[name]
        .as_str()
        .unwrap_or_else(|| panic!("delivery without string {name}: {d}"))
        .to_string()
}

/// `(MemberArn, EndpointId)` of each delivery, as a set; panics on
/// duplicates.
#[track_caller]
pub fn recipients(deliveries: &[Value]) -> BTreeSet<(String, String)> {
    let mut set = BTreeSet::new();
    for d in deliveries {
        let pair = (field(d, "MemberArn"), field(d, "EndpointId"));
        assert!(
            set.insert(pair.clone()),
            "pushed twice to {pair:?}: {deliveries:#?}"
        );
    }
    set
}

pub fn pairs<A: AsRef<str>, B: AsRef<str>>(items: &[(A, B)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(m, e)| (m.as_ref().to_string(), e.as_ref().to_string()))
        .collect()
}

// ---------------------------------------------------------------------------
// Webhook receiver

/// One POST the receiver got.
#[derive(Debug, Clone)]
pub struct Post {
    pub at: Instant,
    pub path: String,
    pub delivery_id_header: Option<String>,
    pub content_type: Option<String>,
    /// The body as JSON (`Value::String` of the raw text when not JSON).
    pub body: Value,
    /// The status the receiver answered.
    pub status: u16,
}

#[derive(Default)]
struct HookState {
    posts: Mutex<Vec<Post>>,
    fail: AtomicUsize,
}

/// A tiny HTTP receiver for push deliveries on a fixed loopback port: it
/// records every POST, answers 500 to the first `fail_next(n)` of them and
/// 200 after, and can be stopped (port closed) and run again on the same
/// port. Every response closes its connection, so a stopped receiver is
/// really gone.
pub struct Hook {
    port: u16,
    state: Arc<HookState>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Hook {
    /// A receiver that is not running yet, on a port that was free a
    /// moment ago (connections to it are refused until `run`).
    pub fn reserve() -> Hook {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().expect("local addr").port();
        drop(listener);
        Hook {
            port,
            state: Arc::new(HookState::default()),
            task: Mutex::new(None),
        }
    }

    /// A running receiver.
    pub async fn start() -> Hook {
        let hook = Hook::reserve();
        hook.run().await;
        hook
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/push", self.port)
    }

    /// Starts serving on the port (again).
    pub async fn run(&self) {
        let mut listener = None;
        for _ in 0..50 {
            match tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let listener = listener.unwrap_or_else(|| panic!("cannot bind 127.0.0.1:{}", self.port));
        let state = Arc::clone(&self.state);
        let app = axum::Router::new().fallback(
            move |method: axum::http::Method,
                  uri: axum::http::Uri,
                  headers: axum::http::HeaderMap,
                  body: axum::body::Bytes| {
                let state = Arc::clone(&state);
                async move {
                    let failing = state
                        .fail
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    let status = if method != axum::http::Method::POST {
                        405
                    } else if failing {
                        500
                    } else {
                        200
                    };
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string)
                    };
                    let body = serde_json::from_slice(&body).unwrap_or_else(|_| {
                        Value::String(String::from_utf8_lossy(&body).into_owned())
                    });
                    state.posts.lock().unwrap().push(Post {
                        at: Instant::now(),
                        path: uri.path().to_string(),
                        delivery_id_header: header("x-herald-delivery-id"),
                        content_type: header("content-type"),
                        body,
                        status,
                    });
                    (
                        axum::http::StatusCode::from_u16(status).unwrap(),
                        [(axum::http::header::CONNECTION, "close")],
                        "",
                    )
                }
            },
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        *self.task.lock().unwrap() = Some(task);
    }

    /// Stops serving: the port is closed.
    pub async fn stop(&self) {
        let task = self.task.lock().unwrap().take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }

    /// Answers 500 to the next `n` requests.
    pub fn fail_next(&self, n: usize) {
        self.state.fail.store(n, Ordering::SeqCst);
    }

    pub fn posts(&self) -> Vec<Post> {
        self.state.posts.lock().unwrap().clone()
    }

    /// The DeliveryIds acknowledged (answered 2xx).
    pub fn acknowledged(&self) -> BTreeSet<String> {
        self.posts()
            .iter()
            .filter(|p| p.status == 200)
            .filter_map(|p| p.body["DeliveryId"].as_str().map(str::to_string))
            .collect()
    }

    /// Waits until every one of `ids` has been acknowledged.
    pub async fn wait_acknowledged(&self, ids: &BTreeSet<String>, timeout: Duration) {
        let what = format!("webhook to acknowledge {ids:?}");
        eventually(timeout, &what, || {
            let done = ids.is_subset(&self.acknowledged());
            async move { done.then_some(()) }
        })
        .await;
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }
}

/// Starts a server that delivers pushes to `url`.
pub async fn server_with_webhook(url: &str) -> Server {
    Server::start_with(&["--push-webhook", url]).await
}

/// A server, an app instance with three users, and a public channel that
/// `owner` created (so owner is its member and moderator).
pub struct World {
    pub server: Server,
    pub c: Chime,
    pub app: String,
    pub owner: String,
    pub bob: String,
    pub carol: String,
    pub channel: String,
}

pub async fn world() -> World {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let owner = create_user(&c.id, &app, "owner").await;
    let bob = create_user(&c.id, &app, "bob").await;
    let carol = create_user(&c.id, &app, "carol").await;
    let channel = public_channel(&c.msg, &app, &owner).await;
    World {
        server,
        c,
        app,
        owner,
        bob,
        carol,
        channel,
    }
}

//! SendChannelMessage (with its push decision), GetChannelMessage,
//! ListChannelMessages.

use std::collections::BTreeMap;

use herald_store::chime::{
    Attributes, Created, DeliveryState, MessageCursor, MessageQuery, NewMessage, PushNotification,
    PushType,
};
use jiff::Timestamp;

use super::ChimeService;
use super::error::{ChimeResult, bad_request, not_found};
use super::filter_rule::validate_message_attributes;
use super::push::{self, PushContext};
use super::standing::required_bearer;
use super::validate::{self, required};
use super::views::{MessageView, SentMessage};
use crate::pagination::TokenScope;
use crate::{Caller, Page};

const MESSAGE_TYPES: [&str; 2] = ["STANDARD", "CONTROL"];
const PERSISTENCE: [&str; 2] = ["PERSISTENT", "NON_PERSISTENT"];
const PUSH_TYPES: [&str; 2] = ["DEFAULT", "VOIP"];
const SORT_ORDERS: [&str; 2] = ["ASCENDING", "DESCENDING"];

#[derive(Debug, Clone, Default)]
pub struct PushNotificationInput {
    pub title: Option<String>,
    pub body: Option<String>,
    pub push_type: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SendMessageInput {
    pub content: Option<String>,
    pub message_type: Option<String>,
    pub persistence: Option<String>,
    pub metadata: Option<String>,
    pub client_request_token: Option<String>,
    pub push_notification: Option<PushNotificationInput>,
    pub message_attributes: Option<BTreeMap<String, Vec<String>>>,
    pub content_type: Option<String>,
    pub sub_channel_given: bool,
    pub target_given: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ListMessagesInput {
    pub sort_order: Option<String>,
    pub not_before: Option<Timestamp>,
    pub not_after: Option<Timestamp>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub sub_channel_given: bool,
}

fn closed(value: &str, member: &str, allowed: &[&str]) -> ChimeResult<()> {
    validate::one_of(
        value,
        member,
        |v| allowed.contains(&v).then_some(()),
        allowed,
    )
}

fn push_notification(
    input: Option<PushNotificationInput>,
) -> ChimeResult<Option<PushNotification>> {
    let Some(input) = input else {
        return Ok(None);
    };
    if let Some(title) = &input.title {
        validate::length(title, "PushNotification.Title", 1, 50)?;
    }
    if let Some(body) = &input.body {
        validate::length(body, "PushNotification.Body", 1, 150)?;
    }
    let push_type = match &input.push_type {
        Some(value) => {
            validate::one_of(value, "PushNotification.Type", PushType::parse, &PUSH_TYPES)?
        }
        None => PushType::Default,
    };
    Ok(Some(PushNotification {
        title: input.title,
        body: input.body,
        push_type,
    }))
}

fn attributes(input: Option<BTreeMap<String, Vec<String>>>) -> ChimeResult<Attributes> {
    let attributes = input.unwrap_or_default();
    for (name, values) in &attributes {
        validate::length(name, "MessageAttributes key", 1, 64)?;
        for value in values {
            validate::length(
                value,
                &format!("MessageAttributes.{name}.StringValues"),
                1,
                512,
            )?;
        }
    }
    validate_message_attributes(&attributes)
        .map_err(|error| bad_request(format!("MessageAttributes: {error}.")))?;
    Ok(attributes)
}

impl ChimeService {
    pub async fn send_channel_message(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        input: SendMessageInput,
    ) -> ChimeResult<SentMessage> {
        let content = required(input.content, "Content")?;
        validate::length(&content, "Content", 1, 4096)?;
        let message_type = required(input.message_type, "Type")?;
        closed(&message_type, "Type", &MESSAGE_TYPES)?;
        let persistence = required(input.persistence, "Persistence")?;
        closed(&persistence, "Persistence", &PERSISTENCE)?;
        let metadata = validate::metadata(input.metadata, "Metadata")?;
        let content_type = input.content_type.unwrap_or_default();
        validate::length(&content_type, "ContentType", 0, 45)?;
        let token = validate::client_request_token(input.client_request_token)?;
        let push = push_notification(input.push_notification)?;
        let attributes = attributes(input.message_attributes)?;
        validate::unsupported(input.sub_channel_given, "SubChannelId")?;
        validate::unsupported(input.target_given, "Target")?;

        let bearer_arn = required_bearer(bearer)?;

        let attributes_text = serde_json::to_string(&attributes).unwrap_or_default();
        let push_text = push
            .as_ref()
            .map(|p| format!("{:?}", (&p.title, &p.body, p.push_type.as_str())))
            .unwrap_or_default();
        let claim = self.claim(
            caller,
            "SendChannelMessage",
            token,
            &[
                channel_arn,
                bearer_arn,
                &content,
                &message_type,
                &persistence,
                &metadata,
                &content_type,
                &attributes_text,
                &push_text,
            ],
        );
        // A retry of a send that succeeded answers as it did, even if the
        // sender has since lost the right to send: before any check, and
        // without deciding the pushes again.
        if let Some(message_id) = self.store.replayed_claim(&claim).await? {
            return Ok(SentMessage {
                channel_arn: channel_arn.to_owned(),
                message_id,
            });
        }
        let context = self
            .channel_context(caller, channel_arn, Some(bearer_arn))
            .await?;
        context.require(context.is_member(), "send messages (only members may)")?;

        let message_id = validate::new_hex_id();
        let (deliveries, audience_version) = match &push {
            Some(push) => {
                let audience = self
                    .audiences
                    .audience(self.store.as_ref(), &context.channel)
                    .await?;
                let app_instance_arn = self.app_instance_arn(&context.app_instance);
                let deliveries = push::decide(
                    &audience.candidates,
                    &PushContext {
                        app_instance_arn: &app_instance_arn,
                        channel_arn: &context.channel_arn,
                        message_id: &message_id,
                        attributes: &attributes,
                        push,
                        state: if self.webhook_configured {
                            DeliveryState::Pending
                        } else {
                            DeliveryState::Recorded
                        },
                    },
                    &self.rules,
                );
                (deliveries, Some(audience.version))
            }
            None => (Vec::new(), None),
        };
        let pushes = !deliveries.is_empty();
        let created = self
            .store
            .send_message(
                NewMessage {
                    channel_seq: context.channel.seq,
                    message_id,
                    content,
                    metadata,
                    message_type,
                    persistent: persistence == "PERSISTENT",
                    content_type,
                    attributes,
                    push,
                    sender: context.bearer_identity.clone(),
                    sender_seq: context.bearer.seq,
                    audience_version,
                    created: self.clock.now(),
                },
                deliveries,
                claim,
            )
            .await?;
        let message_id = match created {
            Created::New(record) => {
                if pushes && self.webhook_configured {
                    (self.wake_deliveries)();
                }
                record.message_id
            }
            Created::Replayed { resource_id } => resource_id,
        };
        Ok(SentMessage {
            channel_arn: context.channel_arn,
            message_id,
        })
    }

    pub async fn get_channel_message(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        message_id: &str,
        sub_channel_given: bool,
    ) -> ChimeResult<MessageView> {
        validate::length(message_id, "MessageId", 1, 128)?;
        validate::unsupported(sub_channel_given, "SubChannelId")?;
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.may_read(), "read messages")?;
        let message = self
            .store
            .get_message(context.channel.seq, message_id)
            .await?
            .ok_or_else(|| {
                not_found(format!(
                    "Message {message_id} was not found in {channel_arn}."
                ))
            })?;
        Ok(MessageView {
            channel_arn: context.channel_arn,
            message,
        })
    }

    pub async fn list_channel_messages(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        channel_arn: &str,
        input: ListMessagesInput,
    ) -> ChimeResult<(String, Page<MessageView>)> {
        let sort = input.sort_order.as_deref().unwrap_or("DESCENDING");
        closed(sort, "SortOrder", &SORT_ORDERS)?;
        let limit = validate::max_results(input.max_results)?;
        validate::unsupported(input.sub_channel_given, "SubChannelId")?;
        if let (Some(before), Some(after)) = (input.not_before, input.not_after)
            && before > after
        {
            return Err(bad_request("NotBefore must not be later than NotAfter."));
        }
        let context = self.channel_context(caller, channel_arn, bearer).await?;
        context.require(context.may_read(), "read messages")?;
        let query = MessageQuery {
            ascending: sort == "ASCENDING",
            not_before: input.not_before,
            not_after: input.not_after,
        };
        let scope = TokenScope::new(
            "ListChannelMessages",
            &(
                channel_arn,
                sort,
                input.not_before.map(|t| t.as_millisecond()),
                input.not_after.map(|t| t.as_millisecond()),
            ),
        );
        let after: Option<(i64, i64)> = self.tokens.cursor(&scope, input.next_token.as_deref())?;
        let cursor = after.map(|(created_ms, seq)| MessageCursor { created_ms, seq });
        let rows = self
            .store
            .list_messages(context.channel.seq, &query, cursor, limit + 1)
            .await?;
        let page = self.tokens.page(rows, limit, &scope, |row| {
            (row.created.as_millisecond(), row.seq)
        });
        let channel_arn = context.channel_arn;
        Ok((
            channel_arn.clone(),
            page.map(|message| MessageView {
                channel_arn: channel_arn.clone(),
                message,
            }),
        ))
    }
}

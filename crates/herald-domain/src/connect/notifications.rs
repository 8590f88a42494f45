//! CreateNotification, DescribeNotification, ListNotifications,
//! UpdateNotificationContent, DeleteNotification.

use std::collections::BTreeMap;

use herald_store::feed::{ChangeAudience, ChangeKind};
use herald_store::{
    ClientTokenClaim, CreateOutcome, CreatedCursor, InstanceRecord, NewNotification, Notification,
    Priority,
};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::validate::{self, invalid, required};
use super::{ConnectService, created_token_cursor, not_found};
use crate::error::{ConnectError, ConnectResult};
use crate::pagination::TokenScope;
use crate::{Caller, Page, arn};

pub const MAX_RECIPIENTS: usize = 200;
const DEFAULT_LIFETIME: SignedDuration = SignedDuration::from_hours(7 * 24);
const MAX_LIFETIME: SignedDuration = SignedDuration::from_hours(365 * 24);

#[derive(Debug, Clone, Default, Serialize)]
pub struct CreateNotificationInput {
    pub instance_id: String,
    pub recipients: Option<Vec<String>>,
    pub content: Option<BTreeMap<String, String>>,
    pub priority: Option<String>,
    #[serde(skip)]
    pub expires_at: Option<Timestamp>,
    pub tags: Option<BTreeMap<String, String>>,
    pub predefined_notification_id: Option<String>,
    #[serde(skip)]
    pub client_token: Option<String>,
}

impl CreateNotificationInput {
    /// What a client token is bound to: the request as sent, minus the
    /// token itself. Defaults are not applied, so a retry matches.
    fn digest(&self) -> String {
        #[derive(Serialize)]
        struct Canonical<'a> {
            request: &'a CreateNotificationInput,
            expires_at_ms: Option<i64>,
        }
        let canonical = Canonical {
            request: self,
            expires_at_ms: self.expires_at.map(|t| t.as_millisecond()),
        };
        let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn parse_priority(priority: Option<&str>) -> ConnectResult<Priority> {
    match priority {
        None | Some("LOW") => Ok(Priority::Low),
        Some("HIGH") => Ok(Priority::High),
        Some("URGENT") => Err(invalid(
            "Priority URGENT is reserved for system notifications; use HIGH or LOW.",
        )),
        Some(other) => Err(invalid(format!(
            "Priority '{other}' is not valid; valid values: HIGH, LOW."
        ))),
    }
}

/// Recipients resolved against the instance.
struct Audience {
    recipients: Vec<String>,
    broadcast: bool,
    direct_user_seqs: Vec<i64>,
}

impl ConnectService {
    async fn resolve_recipients(
        &self,
        instance: &InstanceRecord,
        recipients: Vec<String>,
    ) -> ConnectResult<Audience> {
        if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS {
            return Err(invalid(format!(
                "Recipients must have between 1 and {MAX_RECIPIENTS} entries; it has {}.",
                recipients.len()
            )));
        }
        let user_prefix = format!("{}/agent/", instance.arn);
        let mut unique: Vec<String> = Vec::with_capacity(recipients.len());
        let mut broadcast = false;
        let mut user_ids: Vec<String> = Vec::new();
        for recipient in recipients {
            if unique.contains(&recipient) {
                continue;
            }
            if recipient == instance.arn {
                broadcast = true;
            } else {
                match recipient.strip_prefix(&user_prefix) {
                    Some(user_id) if !user_id.is_empty() && !user_id.contains('/') => {
                        user_ids.push(user_id.to_owned());
                    }
                    _ => {
                        return Err(invalid(format!(
                            "Recipient '{recipient}' is neither this instance's ARN nor the ARN of one of its users."
                        )));
                    }
                }
            }
            unique.push(recipient);
        }
        let users = self.store.find_users(instance.seq, &user_ids).await?;
        if let Some(missing) = user_ids
            .iter()
            .find(|id| !users.iter().any(|user| &user.id == *id))
        {
            return Err(invalid(format!(
                "Recipient '{user_prefix}{missing}' is not a user of instance {}.",
                instance.id
            )));
        }
        let direct_user_seqs = if broadcast {
            Vec::new()
        } else {
            users.iter().map(|user| user.seq).collect()
        };
        Ok(Audience {
            recipients: unique,
            broadcast,
            direct_user_seqs,
        })
    }

    pub async fn create_notification(
        &self,
        caller: &Caller,
        input: CreateNotificationInput,
    ) -> ConnectResult<(String, String)> {
        let digest = input.digest();
        let recipients = required(input.recipients, "Recipients")?;
        let content = validate::content(input.content)?;
        let priority = parse_priority(input.priority.as_deref())?;
        let tags = validate::tags(input.tags, "Tags")?;
        if let Some(token) = &input.client_token {
            validate::length(token, "ClientToken", 1, 500)?;
        }
        if let Some(id) = &input.predefined_notification_id {
            validate::length(id, "PredefinedNotificationId", 1, 256)?;
        }
        let now = self.clock.now();
        let expires_at = match input.expires_at {
            None => now + DEFAULT_LIFETIME,
            Some(at) if at <= now => {
                return Err(invalid(format!("ExpiresAt ({at}) must be in the future.")));
            }
            Some(at) if at > now + MAX_LIFETIME => {
                return Err(invalid(format!(
                    "ExpiresAt ({at}) must be at most one year after now ({now})."
                )));
            }
            Some(at) => at,
        };
        let instance = self.instance(caller, &input.instance_id).await?;
        let audience = self.resolve_recipients(&instance, recipients).await?;
        // Time-ordered (UUIDv7): the store's indexes over ids then grow at
        // their end, one page per commit, instead of taking a random page
        // each; a notification's creation time is public anyway.
        let id = input
            .predefined_notification_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let announced_to = if audience.broadcast {
            ChangeAudience::Instance
        } else {
            ChangeAudience::Users(audience.direct_user_seqs.clone())
        };
        let outcome = self
            .store
            .create_notification(NewNotification {
                instance_seq: instance.seq,
                arn: arn::notification_arn(&instance.arn, &id),
                id: id.clone(),
                content,
                priority,
                recipients: audience.recipients,
                broadcast: audience.broadcast,
                direct_user_seqs: audience.direct_user_seqs,
                tags,
                created_at: now,
                expires_at,
                region: self.region.clone(),
                client_token: input.client_token.map(|token| ClientTokenClaim {
                    account_id: caller.account_id.clone(),
                    token,
                    request_digest: digest.clone(),
                }),
            })
            .await?;
        match outcome {
            CreateOutcome::Created(created) => {
                self.announce(instance.seq, &created.id, ChangeKind::Created, announced_to)
                    .await;
                Ok((created.id, created.arn))
            }
            CreateOutcome::TokenSeen {
                notification_id,
                notification_arn,
                request_digest,
            } if request_digest == digest => Ok((notification_id, notification_arn)),
            CreateOutcome::TokenSeen { .. } => Err(ConnectError::DuplicateResource(
                "ClientToken was already used with a different request.".into(),
            )),
            CreateOutcome::IdTaken => Err(ConnectError::DuplicateResource(format!(
                "A notification with id '{id}' already exists in instance {}.",
                instance.id
            ))),
        }
    }

    pub(super) async fn notification(
        &self,
        instance: &InstanceRecord,
        notification_id: &str,
    ) -> ConnectResult<Notification> {
        self.store
            .get_notification(instance.seq, notification_id)
            .await?
            .ok_or_else(|| {
                not_found(format!(
                    "Notification {notification_id} was not found in instance {}.",
                    instance.id
                ))
            })
    }

    pub async fn describe_notification(
        &self,
        caller: &Caller,
        instance_id: &str,
        notification_id: &str,
    ) -> ConnectResult<Notification> {
        let instance = self.instance(caller, instance_id).await?;
        self.notification(&instance, notification_id).await
    }

    pub async fn list_notifications(
        &self,
        caller: &Caller,
        instance_id: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> ConnectResult<Page<Notification>> {
        let limit = validate::max_results(max_results, 100, 100)?;
        let instance = self.instance(caller, instance_id).await?;
        let scope = TokenScope::new("ListNotifications", &instance.id);
        let after = self
            .tokens
            .cursor::<(i64, i64)>(&scope, next_token)?
            .map(|(created_ms, seq)| CreatedCursor { created_ms, seq });
        let rows = self
            .store
            .list_notifications(instance.seq, self.clock.now(), after, limit + 1)
            .await?;
        Ok(self.tokens.page(rows, limit, &scope, created_token_cursor))
    }

    pub async fn update_notification_content(
        &self,
        caller: &Caller,
        instance_id: &str,
        notification_id: &str,
        content: Option<BTreeMap<String, String>>,
    ) -> ConnectResult<()> {
        let content = validate::content(content)?;
        let instance = self.instance(caller, instance_id).await?;
        let current = self.notification(&instance, notification_id).await?;
        // LastModifiedTime must advance even when two updates land within
        // one clock tick.
        let now = self.clock.now();
        let modified_at = if now > current.modified_at {
            now
        } else {
            current.modified_at + SignedDuration::from_millis(1)
        };
        self.store
            .update_notification_content(
                instance.seq,
                notification_id,
                &content,
                modified_at,
                &self.region,
            )
            .await?
            .ok_or_else(|| {
                not_found(format!(
                    "Notification {notification_id} was not found in instance {instance_id}."
                ))
            })?;
        if let Some(audience) = self.audience_of(&instance, &current).await {
            self.announce(
                instance.seq,
                notification_id,
                ChangeKind::ContentUpdated,
                audience,
            )
            .await;
        }
        Ok(())
    }

    pub async fn delete_notification(
        &self,
        caller: &Caller,
        instance_id: &str,
        notification_id: &str,
    ) -> ConnectResult<()> {
        let instance = self.instance(caller, instance_id).await?;
        // Read first: the recipients say whose streams hear of it.
        let current = self.notification(&instance, notification_id).await?;
        if !self
            .store
            .delete_notification(instance.seq, notification_id)
            .await?
        {
            return Err(not_found(format!(
                "Notification {notification_id} was not found in instance {instance_id}."
            )));
        }
        if let Some(audience) = self.audience_of(&instance, &current).await {
            self.announce(instance.seq, notification_id, ChangeKind::Deleted, audience)
                .await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_defaults_to_low_and_refuses_urgent() {
        assert_eq!(parse_priority(None), Ok(Priority::Low));
        assert_eq!(parse_priority(Some("HIGH")), Ok(Priority::High));
        assert!(parse_priority(Some("URGENT")).is_err());
        assert!(parse_priority(Some("high")).is_err());
    }

    #[test]
    fn digest_ignores_the_token_but_not_the_request() {
        let base = CreateNotificationInput {
            instance_id: "i".into(),
            recipients: Some(vec!["a".into()]),
            client_token: Some("t1".into()),
            ..Default::default()
        };
        let mut other_token = base.clone();
        other_token.client_token = Some("t2".into());
        assert_eq!(base.digest(), other_token.digest());
        let mut other_expiry = base.clone();
        other_expiry.expires_at = Some(Timestamp::UNIX_EPOCH);
        assert_ne!(base.digest(), other_expiry.digest());
        let mut other_priority = base.clone();
        other_priority.priority = Some("HIGH".into());
        assert_ne!(base.digest(), other_priority.digest());
    }
}

//! TagResource, UntagResource, ListTagsForResource on notification ARNs.

use std::collections::BTreeMap;

use herald_store::{InstanceRecord, TagUpdateOutcome, Tags};

use super::validate::{self, MAX_TAGS, invalid, required};
use super::{ConnectService, not_found};
use crate::error::{ConnectError, ConnectResult};
use crate::{Caller, arn};

fn unknown_resource(resource_arn: &str) -> ConnectError {
    not_found(format!("Resource {resource_arn} was not found."))
}

impl ConnectService {
    /// The instance and notification id a notification ARN names, if the
    /// caller's account owns them. Anything else is "not found", so that
    /// nothing about other accounts is revealed.
    async fn tagged_notification(
        &self,
        caller: &Caller,
        resource_arn: &str,
    ) -> ConnectResult<(InstanceRecord, String)> {
        let parts = arn::parse_notification_arn(resource_arn)
            .ok_or_else(|| unknown_resource(resource_arn))?;
        if parts.account_id != caller.account_id {
            return Err(unknown_resource(resource_arn));
        }
        let instance = self
            .store
            .get_instance(&caller.account_id, parts.instance_id)
            .await?
            .filter(|instance| resource_arn.starts_with(&format!("{}/notification/", instance.arn)))
            .ok_or_else(|| unknown_resource(resource_arn))?;
        Ok((instance, parts.notification_id.to_owned()))
    }

    async fn change_tags(
        &self,
        caller: &Caller,
        resource_arn: &str,
        add: Tags,
        remove: Vec<String>,
    ) -> ConnectResult<()> {
        let (instance, notification_id) = self.tagged_notification(caller, resource_arn).await?;
        let outcome = self
            .store
            .update_notification_tags(instance.seq, &notification_id, &add, &remove, MAX_TAGS)
            .await?;
        match outcome {
            TagUpdateOutcome::Updated(_) => Ok(()),
            TagUpdateOutcome::NotFound => Err(unknown_resource(resource_arn)),
            TagUpdateOutcome::TooMany { would_have } => Err(invalid(format!(
                "A notification can have at most {MAX_TAGS} tags; this change would leave {would_have}."
            ))),
        }
    }

    pub async fn tag_resource(
        &self,
        caller: &Caller,
        resource_arn: &str,
        tags: Option<BTreeMap<String, String>>,
    ) -> ConnectResult<()> {
        let tags = required(tags, "tags")?;
        if tags.is_empty() {
            return Err(invalid("tags must have at least one entry."));
        }
        let tags = validate::tags(Some(tags), "tags")?;
        self.change_tags(caller, resource_arn, tags, Vec::new())
            .await
    }

    pub async fn untag_resource(
        &self,
        caller: &Caller,
        resource_arn: &str,
        tag_keys: Vec<String>,
    ) -> ConnectResult<()> {
        if tag_keys.is_empty() || tag_keys.len() > MAX_TAGS {
            return Err(invalid(format!(
                "tagKeys must have between 1 and {MAX_TAGS} entries; it has {}.",
                tag_keys.len()
            )));
        }
        for key in &tag_keys {
            validate::length(key, "tagKeys entry", 1, 128)?;
        }
        self.change_tags(caller, resource_arn, Tags::new(), tag_keys)
            .await
    }

    pub async fn list_tags_for_resource(
        &self,
        caller: &Caller,
        resource_arn: &str,
    ) -> ConnectResult<Tags> {
        let (instance, notification_id) = self.tagged_notification(caller, resource_arn).await?;
        let notification = self
            .store
            .get_notification(instance.seq, &notification_id)
            .await?
            .ok_or_else(|| unknown_resource(resource_arn))?;
        Ok(notification.tags)
    }
}

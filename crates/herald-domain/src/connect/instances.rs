//! CreateInstance, DescribeInstance, ListInstances, DeleteInstance.

use std::sync::Arc;

use herald_store::{InstanceRecord, NewInstance};

use super::ConnectService;
use super::validate::{self, invalid, required};
use crate::error::ConnectResult;
use crate::pagination::TokenScope;
use crate::{Caller, Page, arn};

const DIRECTORY_TYPES: [&str; 3] = ["SAML", "CONNECT_MANAGED", "EXISTING_DIRECTORY"];

#[derive(Debug, Clone, Default)]
pub struct CreateInstanceInput {
    pub identity_management_type: Option<String>,
    pub instance_alias: Option<String>,
    pub directory_id: Option<String>,
    pub inbound_calls_enabled: Option<bool>,
    pub outbound_calls_enabled: Option<bool>,
    pub tags: Option<std::collections::BTreeMap<String, String>>,
}

impl ConnectService {
    pub async fn create_instance(
        &self,
        caller: &Caller,
        input: CreateInstanceInput,
    ) -> ConnectResult<InstanceRecord> {
        let identity = required(input.identity_management_type, "IdentityManagementType")?;
        if !DIRECTORY_TYPES.contains(&identity.as_str()) {
            return Err(invalid(format!(
                "IdentityManagementType '{identity}' is not valid; valid values: {}.",
                DIRECTORY_TYPES.join(", ")
            )));
        }
        let inbound = required(input.inbound_calls_enabled, "InboundCallsEnabled")?;
        let outbound = required(input.outbound_calls_enabled, "OutboundCallsEnabled")?;
        if let Some(alias) = &input.instance_alias {
            validate::length(alias, "InstanceAlias", 1, 45)?;
            if alias.starts_with("d-")
                || !alias.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                || alias.starts_with('-')
                || alias.ends_with('-')
            {
                return Err(invalid(format!(
                    "InstanceAlias '{alias}' must be letters, digits and inner hyphens, not starting with 'd-'."
                )));
            }
        }
        if let Some(directory) = &input.directory_id {
            validate::length(directory, "DirectoryId", 12, 12)?;
        }
        let tags = validate::tags(input.tags, "Tags")?;
        let id = uuid::Uuid::new_v4().to_string();
        let record = self
            .store
            .create_instance(NewInstance {
                account_id: caller.account_id.clone(),
                arn: arn::instance_arn(&self.region, &caller.account_id, &id),
                id,
                alias: input.instance_alias,
                identity_management_type: identity,
                inbound_calls_enabled: inbound,
                outbound_calls_enabled: outbound,
                tags,
                created_at: self.clock.now(),
            })
            .await?;
        Ok(record)
    }

    pub async fn describe_instance(
        &self,
        caller: &Caller,
        instance_id: &str,
    ) -> ConnectResult<InstanceRecord> {
        self.instance(caller, instance_id)
            .await
            .map(Arc::unwrap_or_clone)
    }

    pub async fn list_instances(
        &self,
        caller: &Caller,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> ConnectResult<Page<InstanceRecord>> {
        let limit = validate::max_results(max_results, 10, 10)?;
        let scope = TokenScope::new("ListInstances", &caller.account_id);
        let after: Option<i64> = self.tokens.cursor(&scope, next_token)?;
        let rows = self
            .store
            .list_instances(&caller.account_id, after, limit + 1)
            .await?;
        Ok(self.tokens.page(rows, limit, &scope, |last| last.seq))
    }

    pub async fn delete_instance(&self, caller: &Caller, instance_id: &str) -> ConnectResult<()> {
        let instance = self.instance(caller, instance_id).await?;
        self.store.delete_instance(instance.seq).await?;
        // At once here; other nodes forget it when they hear of it.
        self.instances.forget(instance.seq);
        // Every open widget stream of the instance ends.
        self.announce(
            instance.seq,
            "",
            herald_store::feed::ChangeKind::SubjectDeleted,
            herald_store::feed::ChangeAudience::Instance,
        )
        .await;
        Ok(())
    }
}

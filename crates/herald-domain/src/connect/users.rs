//! CreateUser, DescribeUser, ListUsers, DeleteUser.

use herald_store::{NewUser, UserRecord};

use super::ConnectService;
use super::validate::{self, invalid, required};
use crate::error::{ConnectError, ConnectResult};
use crate::pagination::TokenScope;
use crate::{Caller, Page, arn};

#[derive(Debug, Clone, Default)]
pub struct CreateUserInput {
    pub instance_id: String,
    pub username: Option<String>,
    pub security_profile_ids: Option<Vec<String>>,
    pub routing_profile_id: Option<String>,
    /// The other members `DescribeUser` echoes, as a JSON object; the
    /// protocol layer has already removed `Password`.
    pub settings: serde_json::Value,
    pub tags: Option<std::collections::BTreeMap<String, String>>,
}

impl ConnectService {
    pub async fn create_user(
        &self,
        caller: &Caller,
        input: CreateUserInput,
    ) -> ConnectResult<UserRecord> {
        let username = required(input.username, "Username")?;
        validate::length(&username, "Username", 1, 100)?;
        let profiles = required(input.security_profile_ids, "SecurityProfileIds")?;
        if profiles.is_empty() || profiles.len() > 10 {
            return Err(invalid(format!(
                "SecurityProfileIds must have between 1 and 10 entries; it has {}.",
                profiles.len()
            )));
        }
        let routing = required(input.routing_profile_id, "RoutingProfileId")?;
        let tags = validate::tags(input.tags, "Tags")?;
        let instance = self.instance(caller, &input.instance_id).await?;

        let mut settings = match input.settings {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        settings.insert("SecurityProfileIds".into(), serde_json::json!(profiles));
        settings.insert("RoutingProfileId".into(), serde_json::json!(routing));

        let id = uuid::Uuid::new_v4().to_string();
        let created = self
            .store
            .create_user(NewUser {
                instance_seq: instance.seq,
                arn: arn::user_arn(&instance.arn, &id),
                id,
                username: username.clone(),
                settings: serde_json::Value::Object(settings),
                tags,
                modified_at: self.clock.now(),
                modified_region: self.region.clone(),
            })
            .await;
        match created {
            Ok(user) => Ok(user),
            Err(herald_store::StoreError::Conflict(_)) => {
                Err(ConnectError::DuplicateResource(format!(
                    "A user named '{username}' already exists in instance {}.",
                    instance.id
                )))
            }
            Err(other) => Err(other.into()),
        }
    }

    pub async fn describe_user(
        &self,
        caller: &Caller,
        instance_id: &str,
        user_id: &str,
    ) -> ConnectResult<UserRecord> {
        let instance = self.instance(caller, instance_id).await?;
        self.user(&instance, user_id).await
    }

    pub async fn list_users(
        &self,
        caller: &Caller,
        instance_id: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> ConnectResult<Page<UserRecord>> {
        let limit = validate::max_results(max_results, 1000, 100)?;
        let instance = self.instance(caller, instance_id).await?;
        let scope = TokenScope::new("ListUsers", &instance.id);
        let after: Option<i64> = self.tokens.cursor(&scope, next_token)?;
        let rows = self
            .store
            .list_users(instance.seq, after, limit + 1)
            .await?;
        Ok(self.tokens.page(rows, limit, &scope, |last| last.seq))
    }

    pub async fn delete_user(
        &self,
        caller: &Caller,
        instance_id: &str,
        user_id: &str,
    ) -> ConnectResult<()> {
        let instance = self.instance(caller, instance_id).await?;
        let user = self.user(&instance, user_id).await?;
        if !self.store.delete_user(instance.seq, user_id).await? {
            return Err(super::not_found(format!(
                "User {user_id} was not found in instance {instance_id}."
            )));
        }
        // Its open widget streams end (its seq may be given again).
        self.announce(
            instance.seq,
            "",
            herald_store::feed::ChangeKind::SubjectDeleted,
            herald_store::feed::ChangeAudience::Users(vec![user.seq]),
        )
        .await;
        Ok(())
    }
}

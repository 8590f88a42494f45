//! App instances, app instance users and app instance admins.

use herald_store::chime::{
    AdminRecord, AppInstanceRecord, AppInstanceUserRecord, Created, IdentitySnapshot,
    NewAppInstance, NewAppInstanceUser,
};

use super::error::{ChimeResult, bad_request, not_found};
use super::validate::{self, required};
use super::views::{AppInstanceUserView, AppInstanceView};
use super::{ChimeService, arn};
use crate::pagination::TokenScope;
use crate::{Caller, Page};

#[derive(Debug, Clone, Default)]
pub struct CreateAppInstanceInput {
    pub name: Option<String>,
    pub metadata: Option<String>,
    pub client_request_token: Option<String>,
    pub tags: Option<Vec<(String, String)>>,
}

#[derive(Debug, Clone, Default)]
pub struct CreateAppInstanceUserInput {
    pub app_instance_arn: Option<String>,
    pub app_instance_user_id: Option<String>,
    pub name: Option<String>,
    pub metadata: Option<String>,
    pub client_request_token: Option<String>,
    pub tags: Option<Vec<(String, String)>>,
    pub expiration_settings_given: bool,
}

fn tags_digest(tags: &herald_store::Tags) -> String {
    serde_json::to_string(tags).unwrap_or_default()
}

impl ChimeService {
    pub(super) fn app_instance_view(&self, record: AppInstanceRecord) -> AppInstanceView {
        AppInstanceView {
            arn: self.app_instance_arn(&record),
            name: record.name,
            metadata: record.metadata,
            created: record.created,
            updated: record.updated,
        }
    }

    pub(super) fn user_view(
        &self,
        app_instance: &AppInstanceRecord,
        user: AppInstanceUserRecord,
    ) -> AppInstanceUserView {
        AppInstanceUserView {
            arn: arn::user_arn(&self.app_instance_arn(app_instance), &user.user_id),
            name: user.name,
            metadata: user.metadata,
            created: user.created,
            updated: user.updated,
        }
    }

    pub(super) fn identity(
        &self,
        app_instance: &AppInstanceRecord,
        user: &AppInstanceUserRecord,
    ) -> IdentitySnapshot {
        IdentitySnapshot {
            arn: arn::user_arn(&self.app_instance_arn(app_instance), &user.user_id),
            name: user.name.clone(),
        }
    }

    pub async fn create_app_instance(
        &self,
        caller: &Caller,
        input: CreateAppInstanceInput,
    ) -> ChimeResult<String> {
        let name = required(input.name, "Name")?;
        validate::resource_name(&name, "Name")?;
        let metadata = validate::metadata(input.metadata, "Metadata")?;
        let token = validate::client_request_token(input.client_request_token)?;
        let tags = validate::tags(input.tags)?;
        let claim = self.claim(
            caller,
            "CreateAppInstance",
            token,
            &[&name, &metadata, &tags_digest(&tags)],
        );
        let id = uuid::Uuid::new_v4().to_string();
        let created = self
            .store
            .create_app_instance(
                NewAppInstance {
                    account_id: caller.account_id.clone(),
                    id,
                    name,
                    metadata,
                    tags,
                    created: self.clock.now(),
                },
                claim,
            )
            .await?;
        let id = match created {
            Created::New(record) => record.id,
            Created::Replayed { resource_id } => resource_id,
        };
        Ok(arn::app_instance_arn(&self.region, &caller.account_id, &id))
    }

    pub async fn describe_app_instance(
        &self,
        caller: &Caller,
        app_instance_arn: &str,
    ) -> ChimeResult<AppInstanceView> {
        let record = self
            .app_instance(caller, app_instance_arn, "AppInstanceArn")
            .await?;
        Ok(self.app_instance_view(record))
    }

    pub async fn list_app_instances(
        &self,
        caller: &Caller,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> ChimeResult<Page<AppInstanceView>> {
        let limit = validate::max_results(max_results)?;
        let scope = TokenScope::new("ListAppInstances", &caller.account_id);
        let after: Option<i64> = self.tokens.cursor(&scope, next_token)?;
        let rows = self
            .store
            .list_app_instances(&caller.account_id, after, limit + 1)
            .await?;
        let page = self.tokens.page(rows, limit, &scope, |row| row.seq);
        Ok(page.map(|record| self.app_instance_view(record)))
    }

    pub async fn delete_app_instance(
        &self,
        caller: &Caller,
        app_instance_arn: &str,
    ) -> ChimeResult<()> {
        let record = self
            .app_instance(caller, app_instance_arn, "AppInstanceArn")
            .await?;
        if !self.store.delete_app_instance(record.seq).await? {
            return Err(not_found(format!(
                "AppInstance {app_instance_arn} was not found."
            )));
        }
        Ok(())
    }

    pub async fn create_app_instance_user(
        &self,
        caller: &Caller,
        input: CreateAppInstanceUserInput,
    ) -> ChimeResult<String> {
        let app_instance_arn = required(input.app_instance_arn, "AppInstanceArn")?;
        let user_id = required(input.app_instance_user_id, "AppInstanceUserId")?;
        validate::resource_id(&user_id, "AppInstanceUserId")?;
        let name = required(input.name, "Name")?;
        validate::user_name(&name, "Name")?;
        let metadata = validate::metadata(input.metadata, "Metadata")?;
        let token = validate::client_request_token(input.client_request_token)?;
        let tags = validate::tags(input.tags)?;
        validate::unsupported(input.expiration_settings_given, "ExpirationSettings")?;
        let app_instance = self
            .app_instance(caller, &app_instance_arn, "AppInstanceArn")
            .await?;
        let claim = self.claim(
            caller,
            "CreateAppInstanceUser",
            token,
            &[
                &app_instance_arn,
                &user_id,
                &name,
                &metadata,
                &tags_digest(&tags),
            ],
        );
        let created = self
            .store
            .create_app_instance_user(
                NewAppInstanceUser {
                    app_instance_seq: app_instance.seq,
                    user_id,
                    name,
                    metadata,
                    tags,
                    created: self.clock.now(),
                },
                claim,
            )
            .await?;
        let user_id = match created {
            Created::New(record) => record.user_id,
            Created::Replayed { resource_id } => resource_id,
        };
        Ok(arn::user_arn(
            &self.app_instance_arn(&app_instance),
            &user_id,
        ))
    }

    pub async fn describe_app_instance_user(
        &self,
        caller: &Caller,
        user_arn: &str,
    ) -> ChimeResult<AppInstanceUserView> {
        let (app_instance, user) = self.user(caller, user_arn, "AppInstanceUserArn").await?;
        Ok(self.user_view(&app_instance, user))
    }

    pub async fn list_app_instance_users(
        &self,
        caller: &Caller,
        app_instance_arn: Option<&str>,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> ChimeResult<(String, Page<AppInstanceUserView>)> {
        let app_instance_arn = required(app_instance_arn, "AppInstanceArn")?;
        let limit = validate::max_results(max_results)?;
        let app_instance = self
            .app_instance(caller, app_instance_arn, "AppInstanceArn")
            .await?;
        let scope = TokenScope::new("ListAppInstanceUsers", &app_instance_arn);
        let after: Option<i64> = self.tokens.cursor(&scope, next_token)?;
        let rows = self
            .store
            .list_app_instance_users(app_instance.seq, after, limit + 1)
            .await?;
        let page = self.tokens.page(rows, limit, &scope, |row| row.seq);
        let arn = self.app_instance_arn(&app_instance);
        Ok((arn, page.map(|user| self.user_view(&app_instance, user))))
    }

    pub async fn delete_app_instance_user(
        &self,
        caller: &Caller,
        user_arn: &str,
    ) -> ChimeResult<()> {
        let (_, user) = self.user(caller, user_arn, "AppInstanceUserArn").await?;
        if !self.store.delete_app_instance_user(user.seq).await? {
            return Err(not_found(format!(
                "AppInstanceUser {user_arn} was not found."
            )));
        }
        Ok(())
    }

    /// The admin must be a user of the same app instance.
    async fn admin_user(
        &self,
        caller: &Caller,
        app_instance: &AppInstanceRecord,
        admin_arn: &str,
    ) -> ChimeResult<Option<AppInstanceUserRecord>> {
        let (admin_instance, user) = match self.user(caller, admin_arn, "AppInstanceAdminArn").await
        {
            Ok(found) => found,
            Err(super::ChimeError::NotFound(_)) => return Ok(None),
            Err(other) => return Err(other),
        };
        Ok((admin_instance.seq == app_instance.seq).then_some(user))
    }

    pub async fn create_app_instance_admin(
        &self,
        caller: &Caller,
        app_instance_arn: &str,
        admin_arn: Option<&str>,
    ) -> ChimeResult<(String, IdentitySnapshot)> {
        let admin_arn = required(admin_arn, "AppInstanceAdminArn")?;
        let app_instance = self
            .app_instance(caller, app_instance_arn, "AppInstanceArn")
            .await?;
        let user = self
            .admin_user(caller, &app_instance, admin_arn)
            .await?
            .ok_or_else(|| {
                bad_request(format!(
                    "AppInstanceAdminArn {admin_arn} is not an AppInstanceUser of {app_instance_arn}."
                ))
            })?;
        self.store
            .add_app_instance_admin(app_instance.seq, user.seq, self.clock.now())
            .await?;
        Ok((
            self.app_instance_arn(&app_instance),
            self.identity(&app_instance, &user),
        ))
    }

    pub async fn list_app_instance_admins(
        &self,
        caller: &Caller,
        app_instance_arn: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> ChimeResult<(String, Page<IdentitySnapshot>)> {
        let limit = validate::max_results(max_results)?;
        let app_instance = self
            .app_instance(caller, app_instance_arn, "AppInstanceArn")
            .await?;
        let scope = TokenScope::new("ListAppInstanceAdmins", &app_instance_arn);
        let after: Option<i64> = self.tokens.cursor(&scope, next_token)?;
        let rows: Vec<AdminRecord> = self
            .store
            .list_app_instance_admins(app_instance.seq, after, limit + 1)
            .await?;
        let page = self.tokens.page(rows, limit, &scope, |row| row.seq);
        Ok((
            self.app_instance_arn(&app_instance),
            page.map(|admin| self.identity(&app_instance, &admin.user)),
        ))
    }

    pub async fn delete_app_instance_admin(
        &self,
        caller: &Caller,
        app_instance_arn: &str,
        admin_arn: &str,
    ) -> ChimeResult<()> {
        let app_instance = self
            .app_instance(caller, app_instance_arn, "AppInstanceArn")
            .await?;
        validate::arn_shape(admin_arn, "AppInstanceAdminArn")?;
        if let Some(user) = self.admin_user(caller, &app_instance, admin_arn).await? {
            self.store
                .remove_app_instance_admin(app_instance.seq, user.seq)
                .await?;
        }
        Ok(())
    }
}
